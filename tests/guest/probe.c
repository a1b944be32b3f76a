// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-probe - run one system call and print its errno name
 *
 * usage: fusept-probe [-u UID] CMD ARGS...
 *   stat PATH            lstat(2)
 *   statfs PATH          statfs(2)
 *   readdir DIR          opendir + readdir to the end
 *   count DIR            print the number of entries (no . and ..)
 *   access PATH MODE     access(2), MODE is f or a mix of r, w, x
 *   getxattr PATH NAME   lgetxattr(2), prints the value on success
 *   listxattr PATH       llistxattr(2), prints one name a line
 *   readlink PATH        readlink(2), prints the target on success
 *   mmapcmp FILE REF     mmap FILE read-only, compare with read(2) of REF;
 *                        the rest of the last page must be zeros
 * The first line printed is "OK" or the errno name (ENOENT, ...);
 * exit status 0 for OK, 1 for an error, 2 for a usage error.
 * -u UID runs the call as UID (gid = UID, no supplementary groups).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

static int report(int err)
{
	const char *n = err ? strerrorname_np(err) : "OK";

	printf("%s\n", n ? n : "E?");
	return err ? 1 : 0;
}

static int do_stat(char **a)
{
	struct stat st;

	return report(lstat(a[0], &st) < 0 ? errno : 0);
}

static int do_statfs(char **a)
{
	struct statfs s;

	return report(statfs(a[0], &s) < 0 ? errno : 0);
}

/* Returns the entry count or -errno. */
static long count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	long n = 0;

	if (!d)
		return -errno;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	}
	if (errno) {
		n = -errno;
		closedir(d);
		return n;
	}
	closedir(d);
	return n;
}

static int do_readdir(char **a)
{
	long n = count_entries(a[0]);

	return report(n < 0 ? (int)-n : 0);
}

static int do_count(char **a)
{
	long n = count_entries(a[0]);

	if (n < 0)
		return report((int)-n);
	printf("%ld\n", n);
	return 0;
}

static int do_access(char **a)
{
	int mode = 0;
	const char *p;

	for (p = a[1]; *p; p++) {
		switch (*p) {
		case 'r': mode |= R_OK; break;
		case 'w': mode |= W_OK; break;
		case 'x': mode |= X_OK; break;
		case 'f': mode |= F_OK; break;
		default:
			fprintf(stderr, "fusept-probe: bad mode %s\n", a[1]);
			return 2;
		}
	}
	return report(access(a[0], mode) < 0 ? errno : 0);
}

static int do_getxattr(char **a)
{
	char buf[65536];
	ssize_t n = lgetxattr(a[0], a[1], buf, sizeof(buf));

	if (n < 0)
		return report(errno);
	report(0);
	printf("%.*s\n", (int)n, buf);
	return 0;
}

static int do_listxattr(char **a)
{
	char buf[65536];
	ssize_t n = llistxattr(a[0], buf, sizeof(buf)), i;

	if (n < 0)
		return report(errno);
	report(0);
	for (i = 0; i < n; i += strlen(buf + i) + 1)
		printf("%s\n", buf + i);
	return 0;
}

static int do_readlink(char **a)
{
	char buf[8192];
	ssize_t n = readlink(a[0], buf, sizeof(buf));

	if (n < 0)
		return report(errno);
	report(0);
	printf("%.*s\n", (int)n, buf);
	return 0;
}

/* Compare [0, size) of the mapping with what read(2) of fd returns. */
static int compare_map(int fd, const unsigned char *map, off_t size)
{
	static unsigned char buf[1 << 16];
	off_t off = 0;
	ssize_t n;

	while (off < size) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return report(errno);
		if (n == 0 || off + n > size)
			break;
		if (memcmp(map + off, buf, n) != 0) {
			printf("MISMATCH near offset %lld\n", (long long)off);
			return 1;
		}
		off += n;
	}
	if (off != size) {
		printf("SIZE the reference's size differs from %lld bytes\n",
		       (long long)size);
		return 1;
	}
	return 0;
}

/* The rest of the last page, past the end of the file, must read 0. */
static int check_tail(const unsigned char *map, off_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t end = (size + page - 1) / page * page, i;

	for (i = size; i < end; i++) {
		if (map[i]) {
			printf("TAIL byte %lld past the end is not 0\n",
			       (long long)i);
			return 1;
		}
	}
	return 0;
}

static int do_mmapcmp(char **a)
{
	int fd = open(a[0], O_RDONLY), ref = open(a[1], O_RDONLY), ret;
	struct stat st;
	void *map;

	if (fd < 0 || ref < 0 || fstat(fd, &st) < 0)
		return report(errno);
	if (st.st_size == 0)
		return report(0);
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return report(errno);
	ret = compare_map(ref, map, st.st_size);
	if (!ret)
		ret = check_tail(map, st.st_size);
	munmap(map, st.st_size);
	close(fd);
	close(ref);
	return ret ? ret : report(0);
}

static const struct cmd {
	const char *name;
	int nargs;
	int (*fn)(char **args);
} cmds[] = {
	{ "stat",	1, do_stat },
	{ "statfs",	1, do_statfs },
	{ "readdir",	1, do_readdir },
	{ "count",	1, do_count },
	{ "access",	2, do_access },
	{ "getxattr",	2, do_getxattr },
	{ "listxattr",	1, do_listxattr },
	{ "readlink",	1, do_readlink },
	{ "mmapcmp",	2, do_mmapcmp },
};

static void become(const char *uidstr)
{
	uid_t uid = (uid_t)strtoul(uidstr, NULL, 10);

	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		perror("fusept-probe: cannot change uid");
		exit(2);
	}
}

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: fusept-probe [-u UID] CMD ARGS...; CMD is");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, " %s", cmds[i].name);
	fputc('\n', stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "+u:")) != -1) {
		if (opt != 'u')
			usage();
		become(optarg);
	}
	if (optind >= argc)
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		if (argc - optind - 1 != cmds[i].nargs)
			usage();
		return cmds[i].fn(argv + optind + 1);
	}
	usage();
	return 2;
}
