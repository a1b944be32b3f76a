// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: the system calls the tables of checks name, op(a, b) each,
 * 0 or -1 with errno; as_user() runs one as the unprivileged user.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "posix.h"

/* ------------------------------------------------- running as the user */

static void become_user(void)
{
	gid_t g = cfg.uid;

	if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 ||
	    setresuid(cfg.uid, cfg.uid, cfg.uid) < 0) {
		fprintf(stderr, "posixtest: cannot become uid %u: %s\n",
			(unsigned int)cfg.uid, strerror(errno));
		_exit(254);
	}
}

/* Run op in a child as the unprivileged user: 0 or -1 with errno. */
int as_user(op_fn op, const char *a, const char *b)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		become_user();
		_exit(op(a, b) == 0 ? 0 : (errno & 0xff));
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	if (!WIFEXITED(st)) {
		errno = EINTR;
		return -1;
	}
	if (WEXITSTATUS(st) == 254) {
		errno = EPERM;
		return -1;
	}
	errno = WEXITSTATUS(st);
	return errno ? -1 : 0;
}

/* ------------------------------------------------------------ the ops */

static int close_ok(int fd)
{
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int op_creat(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_CREAT | O_WRONLY, 0644));
}

int op_creat_excl(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_CREAT | O_EXCL | O_RDWR, 0644));
}

int op_open_r(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDONLY));
}

int op_open_w(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_WRONLY));
}

int op_open_rw(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDWR));
}

int op_open_trunc(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_WRONLY | O_TRUNC));
}

int op_open_dir(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDONLY | O_DIRECTORY));
}

int op_open_nofollow(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDONLY | O_NOFOLLOW));
}

int op_readdir(const char *a, const char *b)
{
	DIR *d = opendir(a);

	(void)b;
	if (!d)
		return -1;
	errno = 0;
	while (readdir(d))
		;
	closedir(d);
	return errno ? -1 : 0;
}

int op_lstat(const char *a, const char *b)
{
	struct stat st;

	(void)b;
	return lstat(a, &st);
}

int op_access(const char *a, const char *b)
{
	int m = 0;

	for (; *b; b++)
		m |= *b == 'r' ? R_OK : *b == 'w' ? W_OK : *b == 'x' ? X_OK : 0;
	return access(a, m);
}

int op_mkdir(const char *a, const char *b)
{
	(void)b;
	return mkdir(a, 0755);
}

int op_rmdir(const char *a, const char *b)
{
	(void)b;
	return rmdir(a);
}

int op_unlink(const char *a, const char *b)
{
	(void)b;
	return unlink(a);
}

int op_rename(const char *a, const char *b)
{
	return rename(a, b);
}

int op_noreplace(const char *a, const char *b)
{
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE);
}

int op_exchange(const char *a, const char *b)
{
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int op_link(const char *a, const char *b)
{
	return link(a, b);
}

int op_symlink(const char *a, const char *b)
{
	return symlink(a, b);
}

int op_readlink(const char *a, const char *b)
{
	char buf[PATH_MAX];

	(void)b;
	return readlink(a, buf, sizeof(buf)) < 0 ? -1 : 0;
}

int op_mkfifo(const char *a, const char *b)
{
	(void)b;
	return mknod(a, S_IFIFO | 0644, 0);
}

int op_mknod_reg(const char *a, const char *b)
{
	(void)b;
	return mknod(a, S_IFREG | 0644, 0);
}

int op_mknod_chr(const char *a, const char *b)
{
	(void)b;
	return mknod(a, S_IFCHR | 0644, makedev(1, 3));
}

int op_truncate(const char *a, const char *b)
{
	return truncate(a, b ? atoll(b) : 0);
}

int op_chmod(const char *a, const char *b)
{
	return chmod(a, strtoul(b, NULL, 8));
}

/* b is "UID:GID", -1 for either keeps it */
int op_chown(const char *a, const char *b)
{
	long u, g;

	if (sscanf(b, "%ld:%ld", &u, &g) != 2) {
		errno = EINVAL;
		return -1;
	}
	return lchown(a, (uid_t)u, (gid_t)g);
}

int op_utime_now(const char *a, const char *b)
{
	(void)b;
	return utimensat(AT_FDCWD, a, NULL, 0);
}

int op_utime_set(const char *a, const char *b)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	(void)b;
	return utimensat(AT_FDCWD, a, ts, 0);
}

/* append one byte through write(2) */
int op_write(const char *a, const char *b)
{
	int fd = open(a, O_WRONLY | O_APPEND);
	int r, e;

	(void)b;
	if (fd < 0)
		return -1;
	r = write(fd, "w", 1) == 1 ? 0 : -1;
	e = errno;
	close(fd);
	errno = e;
	return r;
}

int op_setxattr(const char *a, const char *b)
{
	char name[64];

	sfmt(name, sizeof(name), "%s%s", cfg.xprefix, b ? b : "pt");
	return lsetxattr(a, name, "v", 1, 0);
}

int op_chdir(const char *a, const char *b)
{
	(void)b;
	return chdir(a);
}
