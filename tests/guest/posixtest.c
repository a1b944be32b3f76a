// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest - POSIX / Linux file system semantics checks for a FUSE mount
 *
 * usage: posixtest [-kv] [-t SECS] [-u UID] [-U UID] [-o REGEX] [-l LOWER] DIR
 *
 * Creates DIR/posixtest.XXXXXX and, for every check, a fresh directory
 * below it named after the check.  Each check prints one line:
 *   PASS posix-NAME | FAIL posix-NAME: detail | SKIP posix-NAME: reason
 * Lines starting with '#' are information.  Every check runs in its own
 * process with a time limit (-t, default 30 s), so a hang or a crash is
 * reported as that check's failure and the run goes on.
 *
 *   -k        keep the scratch directory
 *   -v        print each check's duration
 *   -u UID    the unprivileged user for permission checks (default 1000;
 *             its gid is the same number)
 *   -U UID    run everything as UID (gid the same number, no
 *             supplementary groups): root drops its privileges first
 *   -o REGEX  run only the checks whose name matches
 *   -l LOWER  the directory the daemon serves as DIR: data checks then
 *             also compare the files there (what the daemon really wrote)
 *
 * Permission checks (EACCES/EPERM as the unprivileged user) need the
 * kernel to enforce permissions: on a FUSE mount that means the
 * default_permissions option (else the daemon, running as root, decides),
 * and allow_other for the user to enter the mount at all.  Both are read
 * from /proc/self/mountinfo.
 *
 * Exit status: 0 when the checks ran (whatever their results), 2 when
 * they could not run at all (usage, no scratch directory).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/falloc.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "waitsleep.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define GIB (1024LL * 1024 * 1024)

/* ------------------------------------------------------------ settings */

static struct {
	int keep;		/* -k */
	int verbose;		/* -v: each check's time */
	int timeout;		/* -t, per check */
	uid_t uid;		/* -u */
	regex_t only;		/* -o */
	int have_only;
	int is_root;
	int is_fuse;		/* the mount is FUSE-like */
	int perms;		/* the kernel enforces permissions */
	int others;		/* other users may enter the mount */
	const char *xprefix;	/* "user." or "trusted." or NULL */
	char fstype[64];
	char scratch[PATH_MAX];
	int scratch_fd;		/* scratch, open: no path walk per check */
	const char *lower;	/* -l: the lower directory that DIR shows */
	long run_as;		/* -U, or -1 */
	char here_lower[PATH_MAX];	/* the current check's dir there */
} cfg = { .timeout = 30, .uid = 1000, .run_as = -1 };

/* ------------------------------------------------------------ results */

static void oneline(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static void report(const char *what, const char *name, const char *fmt,
		   va_list ap)
{
	char detail[512];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	oneline(detail);
	printf("%s posix-%s: %s\n", what, name, detail);
	fflush(stdout);
}

static void pass(const char *name)
{
	printf("PASS posix-%s\n", name);
	fflush(stdout);
}

static void __attribute__((format(printf, 2, 3)))
fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("FAIL", name, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("SKIP", name, fmt, ap);
	va_end(ap);
}

/* snprintf that may truncate: details are cut, never overflow */
static void __attribute__((format(printf, 3, 4)))
sfmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, cap, f, ap);
	va_end(ap);
}

/* "ENOENT" for an errno value, "success" for 0 */
static const char *ename(int e)
{
	static char buf[4][32];
	static int slot;
	const char *n;

	if (e == 0)
		return "success";
	n = strerrorname_np(e);
	if (n)
		return n;
	slot = (slot + 1) % 4;
	sfmt(buf[slot], sizeof(buf[slot]), "errno %d", e);
	return buf[slot];
}

/* pass or fail NAME on a condition, with a detail for the failure */
static int __attribute__((format(printf, 3, 4)))
verdict(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		pass(name);
		return 1;
	}
	va_start(ap, fmt);
	report("FAIL", name, fmt, ap);
	va_end(ap);
	return 0;
}

/* Daemons that lack an operation answer ENOSYS or EOPNOTSUPP. */
static int unsupported(int e)
{
	return e == EOPNOTSUPP || e == ENOSYS || e == ENOTTY;
}

/* ------------------------------------------------------------ helpers */

/* -1 with errno set, or 0: the result as an errno value */
static int err_of(int r)
{
	return r < 0 ? errno : 0;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static ssize_t read_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, off + got);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static int put_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int r, e;

	if (fd < 0)
		return -1;
	r = write_all(fd, buf, len, 0);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* read up to cap bytes of a file, -1 on error */
static ssize_t get_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = read_all(fd, buf, cap, 0);
	e = errno;
	close(fd);
	errno = e;
	return n;
}

static void fill_pattern(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;
	uint32_t x = seed * 2654435761u + 1;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = x >> 16;
	}
}

/* offset of the first difference, or -1 */
static long first_diff(const unsigned char *a, const unsigned char *b,
		       size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/* offset of the first nonzero byte, or -1 */
static long first_nonzero(const unsigned char *a, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i])
			return i;
	return -1;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* -1, 0, 1 */
static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

static int fsize(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 ? -1 : (int)st.st_size;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		perror("posixtest: calloc");
		exit(2);
	}
	return p;
}

/*
 * Path arguments of the tables may hold "%L" (a 256-byte name component,
 * one more than NAME_MAX) or "%K" (1100 bytes, more than FUSE's limit).
 */
static const char *expand(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (!in)
		return NULL;
	for (; *in && o + 1 < cap; in++) {
		size_t n = 0;

		if (in[0] == '%' && in[1] == 'L')
			n = 256;
		else if (in[0] == '%' && in[1] == 'K')
			n = 1100;
		if (!n) {
			out[o++] = *in;
			continue;
		}
		for (; n && o + 1 < cap; n--)
			out[o++] = 'x';
		in++;
	}
	out[o] = 0;
	return out;
}

/* ------------------------------------------------- running as the user */

typedef int (*op_fn)(const char *a, const char *b);

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
static int as_user(op_fn op, const char *a, const char *b)
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

static int op_creat(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_CREAT | O_WRONLY, 0644));
}

static int op_creat_excl(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_CREAT | O_EXCL | O_RDWR, 0644));
}

static int op_open_r(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDONLY));
}

static int op_open_w(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_WRONLY));
}

static int op_open_rw(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDWR));
}

static int op_open_trunc(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_WRONLY | O_TRUNC));
}

static int op_open_dir(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDONLY | O_DIRECTORY));
}

static int op_open_nofollow(const char *a, const char *b)
{
	(void)b;
	return close_ok(open(a, O_RDONLY | O_NOFOLLOW));
}

static int op_readdir(const char *a, const char *b)
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

static int op_lstat(const char *a, const char *b)
{
	struct stat st;

	(void)b;
	return lstat(a, &st);
}

static int op_access(const char *a, const char *b)
{
	int m = 0;

	for (; *b; b++)
		m |= *b == 'r' ? R_OK : *b == 'w' ? W_OK : *b == 'x' ? X_OK : 0;
	return access(a, m);
}

static int op_mkdir(const char *a, const char *b)
{
	(void)b;
	return mkdir(a, 0755);
}

static int op_rmdir(const char *a, const char *b)
{
	(void)b;
	return rmdir(a);
}

static int op_unlink(const char *a, const char *b)
{
	(void)b;
	return unlink(a);
}

static int op_rename(const char *a, const char *b)
{
	return rename(a, b);
}

static int op_noreplace(const char *a, const char *b)
{
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE);
}

static int op_exchange(const char *a, const char *b)
{
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static int op_link(const char *a, const char *b)
{
	return link(a, b);
}

static int op_symlink(const char *a, const char *b)
{
	return symlink(a, b);
}

static int op_readlink(const char *a, const char *b)
{
	char buf[PATH_MAX];

	(void)b;
	return readlink(a, buf, sizeof(buf)) < 0 ? -1 : 0;
}

static int op_mkfifo(const char *a, const char *b)
{
	(void)b;
	return mknod(a, S_IFIFO | 0644, 0);
}

static int op_mknod_reg(const char *a, const char *b)
{
	(void)b;
	return mknod(a, S_IFREG | 0644, 0);
}

static int op_mknod_chr(const char *a, const char *b)
{
	(void)b;
	return mknod(a, S_IFCHR | 0644, makedev(1, 3));
}

static int op_truncate(const char *a, const char *b)
{
	return truncate(a, b ? atoll(b) : 0);
}

static int op_chmod(const char *a, const char *b)
{
	return chmod(a, strtoul(b, NULL, 8));
}

/* b is "UID:GID", -1 for either keeps it */
static int op_chown(const char *a, const char *b)
{
	long u, g;

	if (sscanf(b, "%ld:%ld", &u, &g) != 2) {
		errno = EINVAL;
		return -1;
	}
	return lchown(a, (uid_t)u, (gid_t)g);
}

static int op_utime_now(const char *a, const char *b)
{
	(void)b;
	return utimensat(AT_FDCWD, a, NULL, 0);
}

static int op_utime_set(const char *a, const char *b)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	(void)b;
	return utimensat(AT_FDCWD, a, ts, 0);
}

/* append one byte through write(2) */
static int op_write(const char *a, const char *b)
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

static int op_setxattr(const char *a, const char *b)
{
	char name[64];

	sfmt(name, sizeof(name), "%s%s", cfg.xprefix, b ? b : "pt");
	return lsetxattr(a, name, "v", 1, 0);
}

static int op_chdir(const char *a, const char *b)
{
	(void)b;
	return chdir(a);
}

/* ------------------------------------------------------------ fixtures */

/*
 * A fixture or a post-condition is a list of space-separated tokens
 * KIND:NAME[=VALUE][#MODE][@UID:GID].  Fixture kinds: f (file holding its
 * own name), d (dir), l (symlink to VALUE), p (fifo), h (hard link to
 * VALUE).  Post-condition kinds: f (regular file, with content VALUE when
 * given), d, l (symlink to VALUE), p, c (char device), - (absent: "-NAME"),
 * n (st_nlink == VALUE), m (mode bits == octal VALUE), s (size == VALUE),
 * u (owner == VALUE "UID:GID"), i (same inode as VALUE).
 */
struct token {
	char kind;
	char name[300];
	char value[300];
	int has_value;
	long mode;		/* -1: none */
	long uid, gid;		/* -1: none */
};

/* next token of *sp into t; 0 at the end */
static int next_token(const char **sp, struct token *t)
{
	const char *s = *sp;
	char word[700], *p;
	size_t n;

	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	n = strcspn(s, " ");
	sfmt(word, sizeof(word), "%.*s", (int)n, s);
	*sp = s + n;
	memset(t, 0, sizeof(*t));
	t->mode = t->uid = t->gid = -1;
	p = strchr(word, '@');
	if (p) {
		*p = 0;
		sscanf(p + 1, "%ld:%ld", &t->uid, &t->gid);
	}
	p = strchr(word, '#');
	if (p) {
		*p = 0;
		t->mode = strtol(p + 1, NULL, 8);
	}
	p = strchr(word, '=');
	if (p) {
		*p = 0;
		t->has_value = 1;
		sfmt(t->value, sizeof(t->value), "%s", p + 1);
	}
	t->kind = word[0];
	sfmt(t->name, sizeof(t->name), "%s", word[0] == '-' ? word + 1 :
		 word[1] == ':' ? word + 2 : word + 1);
	return 1;
}

static int make_one(const struct token *t)
{
	switch (t->kind) {
	case 'f':
		if (put_file(t->name, t->name, strlen(t->name)) < 0)
			return -1;
		break;
	case 'd':	/* again for a directory: sets mode and owner */
		if (mkdir(t->name, 0755) < 0 && errno != EEXIST)
			return -1;
		break;
	case 'l':
		return symlink(t->value, t->name);
	case 'p':
		if (mknod(t->name, S_IFIFO | 0644, 0) < 0)
			return -1;
		break;
	case 'h':
		return link(t->value, t->name);
	default:
		errno = EINVAL;
		return -1;
	}
	if (t->uid != -1 && lchown(t->name, t->uid, t->gid) < 0)
		return -1;
	if (t->mode != -1 && chmod(t->name, t->mode) < 0)
		return -1;
	return 0;
}

/* Build a fixture; on error print why into err. */
static int make_fixture(const char *spec, char *err, size_t cap)
{
	struct token t;

	while (spec && next_token(&spec, &t)) {
		if (make_one(&t) < 0) {
			sfmt(err, cap, "fixture %c:%s: %s", t.kind, t.name,
				 ename(errno));
			return -1;
		}
	}
	return 0;
}

static int check_type(const struct token *t, const struct stat *st,
		      char *err, size_t cap)
{
	static const struct {
		char kind;
		mode_t type;
		const char *what;
	} types[] = {
		{ 'f', S_IFREG, "regular file" }, { 'd', S_IFDIR, "directory" },
		{ 'l', S_IFLNK, "symlink" }, { 'p', S_IFIFO, "fifo" },
		{ 'c', S_IFCHR, "char device" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (types[i].kind != t->kind)
			continue;
		if ((st->st_mode & S_IFMT) == types[i].type)
			return 0;
		sfmt(err, cap, "%s is not a %s (mode %o)", t->name,
			 types[i].what, (unsigned int)st->st_mode);
		return -1;
	}
	return 0;
}

static int check_value(const struct token *t, const struct stat *st,
		       char *err, size_t cap)
{
	char buf[400];
	ssize_t n = 0;

	if (!t->has_value || (t->kind != 'f' && t->kind != 'l'))
		return 0;
	if (t->kind == 'f')
		n = get_file(t->name, buf, sizeof(buf) - 1);
	else
		n = readlink(t->name, buf, sizeof(buf) - 1);
	if (n < 0) {
		sfmt(err, cap, "reading %s: %s", t->name, ename(errno));
		return -1;
	}
	buf[n] = 0;
	if (strcmp(buf, t->value) == 0)
		return 0;
	sfmt(err, cap, "%s holds '%s', want '%s' (size %lld)", t->name,
		 buf, t->value, (long long)st->st_size);
	return -1;
}

static int check_owner(const struct token *t, const struct stat *st,
		       char *err, size_t cap)
{
	char got[64];

	sfmt(got, sizeof(got), "%u:%u", (unsigned int)st->st_uid,
		 (unsigned int)st->st_gid);
	if (strcmp(got, t->value) == 0)
		return 0;
	sfmt(err, cap, "%s is owned by %s, want %s", t->name, got,
		 t->value);
	return -1;
}

static int check_attr(const struct token *t, const struct stat *st,
		      char *err, size_t cap)
{
	long long want = strtoll(t->value, NULL, t->kind == 'm' ? 8 : 10);
	long long got;
	struct stat o;

	switch (t->kind) {
	case 'n': got = st->st_nlink; break;
	case 'm': got = st->st_mode & 07777; break;
	case 's': got = st->st_size; break;
	case 'u':
		return check_owner(t, st, err, cap);
	case 'i':
		if (lstat(t->value, &o) < 0) {
			sfmt(err, cap, "lstat %s: %s", t->value,
				 ename(errno));
			return -1;
		}
		got = o.st_ino;
		want = st->st_ino;
		break;
	default:
		return 0;
	}
	if (got == want)
		return 0;
	sfmt(err, cap, t->kind == 'm' ? "%c:%s is %llo, want %llo" :
		 "%c:%s is %lld, want %lld", t->kind, t->name, got, want);
	return -1;
}

/* Check a post-condition list; on mismatch print why into err. */
static int check_post(const char *spec, char *err, size_t cap)
{
	struct token t;
	struct stat st;

	while (spec && next_token(&spec, &t)) {
		int r = lstat(t.name, &st);

		if (t.kind == '-') {
			if (r == 0 || errno != ENOENT) {
				sfmt(err, cap, "%s still exists (%s)",
					 t.name, r ? ename(errno) : "lstat ok");
				return -1;
			}
			continue;
		}
		if (r < 0) {
			sfmt(err, cap, "lstat %s: %s", t.name,
				 ename(errno));
			return -1;
		}
		if (check_type(&t, &st, err, cap) ||
		    check_value(&t, &st, err, cap) ||
		    check_attr(&t, &st, err, cap))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------- table of syscalls */

enum {
	T_USER = 1 << 0,	/* run the op as the unprivileged user */
	T_PERM = 1 << 1,	/* needs permissions enforced by the kernel */
	T_ROOT = 1 << 2,	/* needs root */
	T_FLAGS = 1 << 3,	/* renameat2 flags: EINVAL means unsupported */
	T_XATTR = 1 << 4,	/* needs user.* xattrs */
	T_OPT = 1 << 5,		/* ENOSYS/EOPNOTSUPP: the daemon lacks it */
	T_XANY = 1 << 6,	/* needs some xattr namespace */
};

struct tcase {
	const char *name;
	const char *fix;	/* fixture */
	op_fn op;
	const char *a, *b;
	int want;		/* errno, 0 for success */
	const char *post;	/* post-conditions */
	unsigned int flags;
};

#define U (T_USER | T_PERM)

static const struct tcase cases[] = {
	/* open and creat */
	{ "open-creat", "", op_creat, "a", 0, 0, "f:a= m:a=644", 0 },
	{ "open-creat-exists", "f:a#600", op_creat, "a", 0, 0, "f:a=a m:a=600",
	  0 },
	{ "open-excl", "", op_creat_excl, "a", 0, 0, "f:a= n:a=1", 0 },
	{ "open-excl-eexist", "f:a", op_creat_excl, "a", 0, EEXIST, "f:a=a", 0 },
	{ "open-excl-eexist-dir", "d:d", op_creat_excl, "d", 0, EEXIST, "d:d", 0 },
	{ "open-excl-dangling-symlink", "l:s=nowhere", op_creat_excl, "s", 0,
	  EEXIST, "l:s=nowhere -nowhere", 0 },
	{ "open-creat-via-symlink", "l:s=t", op_creat, "s", 0, 0, "f:t= l:s=t", 0 },
	{ "open-enoent", "", op_open_r, "a", 0, ENOENT, "-a", 0 },
	{ "open-enoent-path", "", op_open_r, "no/a", 0, ENOENT, "", 0 },
	{ "open-creat-enoent-path", "", op_creat, "no/a", 0, ENOENT, "-no", 0 },
	{ "open-enotdir", "f:a", op_open_r, "a/b", 0, ENOTDIR, "", 0 },
	{ "open-creat-enotdir", "f:a", op_creat, "a/b", 0, ENOTDIR, "f:a=a", 0 },
	{ "open-eisdir-write", "d:d", op_open_w, "d", 0, EISDIR, "", 0 },
	{ "open-eisdir-rdwr", "d:d", op_open_rw, "d", 0, EISDIR, "", 0 },
	{ "open-eisdir-creat", "d:d", op_creat, "d", 0, EISDIR, "d:d", 0 },
	{ "open-read-dir", "d:d", op_open_r, "d", 0, 0, "", 0 },
	{ "open-directory-enotdir", "f:a", op_open_dir, "a", 0, ENOTDIR, "", 0 },
	{ "open-nofollow-eloop", "f:a l:s=a", op_open_nofollow, "s", 0, ELOOP,
	  "", 0 },
	{ "open-symlink-loop", "l:s=s", op_open_r, "s", 0, ELOOP, "", 0 },
	{ "open-trunc", "f:a", op_open_trunc, "a", 0, 0, "f:a= s:a=0", 0 },
	{ "open-nametoolong", "", op_creat, "%L", 0, ENAMETOOLONG, "", 0 },
	{ "open-nametoolong-1k", "", op_creat, "%K", 0, ENAMETOOLONG, "", 0 },
	{ "stat-nametoolong", "", op_lstat, "%L", 0, ENAMETOOLONG, "", 0 },
	{ "mkdir-nametoolong", "", op_mkdir, "%L", 0, ENAMETOOLONG, "", 0 },
	{ "open-name-255", "", op_creat,
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, 0, "", 0 },
	/* mknod */
	{ "mknod-fifo", "", op_mkfifo, "p", 0, 0, "p:p m:p=644", 0 },
	{ "mknod-reg", "", op_mknod_reg, "r", 0, 0, "f:r= m:r=644", 0 },
	{ "mknod-chr", "", op_mknod_chr, "c", 0, 0, "c:c m:c=644", T_ROOT },
	{ "mknod-eexist", "f:a", op_mkfifo, "a", 0, EEXIST, "f:a=a", 0 },
	{ "mknod-enoent", "", op_mkfifo, "no/p", 0, ENOENT, "", 0 },
	{ "mknod-enotdir", "f:a", op_mkfifo, "a/p", 0, ENOTDIR, "", 0 },
	/* mkdir and rmdir */
	{ "mkdir", "", op_mkdir, "d", 0, 0, "d:d n:d=2 m:d=755", 0 },
	{ "mkdir-nlink-parent", "d:d", op_mkdir, "d/s", 0, 0, "n:d=3 n:d/s=2", 0 },
	{ "mkdir-eexist-file", "f:a", op_mkdir, "a", 0, EEXIST, "f:a=a", 0 },
	{ "mkdir-eexist-dir", "d:d", op_mkdir, "d", 0, EEXIST, "d:d", 0 },
	{ "mkdir-eexist-symlink", "l:s=nowhere", op_mkdir, "s", 0, EEXIST,
	  "-nowhere", 0 },
	{ "mkdir-enoent", "", op_mkdir, "no/d", 0, ENOENT, "", 0 },
	{ "mkdir-enotdir", "f:a", op_mkdir, "a/d", 0, ENOTDIR, "", 0 },
	{ "rmdir", "d:d", op_rmdir, "d", 0, 0, "-d", 0 },
	{ "rmdir-nlink-parent", "d:d d:d/s", op_rmdir, "d/s", 0, 0, "n:d=2", 0 },
	{ "rmdir-enotempty", "d:d f:d/a", op_rmdir, "d", 0, ENOTEMPTY,
	  "f:d/a=d/a", 0 },
	{ "rmdir-enotempty-subdir", "d:d d:d/s", op_rmdir, "d", 0, ENOTEMPTY,
	  "d:d/s", 0 },
	{ "rmdir-enotdir", "f:a", op_rmdir, "a", 0, ENOTDIR, "f:a", 0 },
	{ "rmdir-enoent", "", op_rmdir, "d", 0, ENOENT, "", 0 },
	{ "rmdir-symlink", "d:d l:s=d", op_rmdir, "s", 0, ENOTDIR, "d:d l:s=d", 0 },
	{ "rmdir-dot", "d:d", op_rmdir, "d/.", 0, EINVAL, "d:d", 0 },
	{ "rmdir-dotdot", "d:d", op_rmdir, "d/..", 0, ENOTEMPTY, "d:d", 0 },
	/* unlink */
	{ "unlink", "f:a", op_unlink, "a", 0, 0, "-a", 0 },
	{ "unlink-eisdir", "d:d", op_unlink, "d", 0, EISDIR, "d:d", 0 },
	{ "unlink-enoent", "", op_unlink, "a", 0, ENOENT, "", 0 },
	{ "unlink-enotdir", "f:a", op_unlink, "a/b", 0, ENOTDIR, "f:a", 0 },
	{ "unlink-symlink", "f:a l:s=a", op_unlink, "s", 0, 0, "-s f:a=a", 0 },
	{ "unlink-fifo", "p:p", op_unlink, "p", 0, 0, "-p", 0 },
	{ "unlink-hardlink-nlink", "f:a h:b=a", op_unlink, "b", 0, 0,
	  "-b f:a=a n:a=1", 0 },
	/* rename */
	{ "rename", "f:a", op_rename, "a", "b", 0, "-a f:b=a", 0 },
	{ "rename-over-file", "f:a f:b", op_rename, "a", "b", 0, "-a f:b=a n:b=1", 0 },
	{ "rename-over-empty-dir", "d:a f:a/x d:b", op_rename, "a", "b", 0,
	  "-a f:b/x=a/x n:.=3", 0 },
	{ "rename-over-nonempty-dir", "d:a d:b f:b/x", op_rename, "a", "b",
	  ENOTEMPTY, "d:a f:b/x=b/x", 0 },
	{ "rename-file-over-dir", "f:a d:b", op_rename, "a", "b", EISDIR,
	  "f:a=a d:b", 0 },
	{ "rename-dir-over-file", "d:a f:b", op_rename, "a", "b", ENOTDIR,
	  "d:a f:b=b", 0 },
	{ "rename-into-own-subdir", "d:a d:a/b", op_rename, "a", "a/b/c", EINVAL,
	  "d:a/b -a/b/c", 0 },
	{ "rename-into-self", "d:a", op_rename, "a", "a/c", EINVAL, "d:a", 0 },
	{ "rename-enoent", "", op_rename, "a", "b", ENOENT, "-b", 0 },
	{ "rename-enoent-target-dir", "f:a", op_rename, "a", "no/b", ENOENT,
	  "f:a=a", 0 },
	{ "rename-enotdir-target-dir", "f:a f:b", op_rename, "a", "b/c", ENOTDIR,
	  "f:a=a f:b=b", 0 },
	{ "rename-over-hardlink-nlink", "f:a f:b h:c=b", op_rename, "a", "b", 0,
	  "f:b=a n:b=1 f:c=b n:c=1", 0 },
	{ "rename-same", "f:a", op_rename, "a", "a", 0, "f:a=a", 0 },
	{ "rename-hardlinks-noop", "f:a h:b=a", op_rename, "a", "b", 0,
	  "f:a=a f:b=a n:a=2", 0 },
	{ "rename-symlink", "f:a l:s=a", op_rename, "s", "t", 0,
	  "-s l:t=a f:a=a", 0 },
	{ "rename-across-dirs", "d:x d:y f:x/a", op_rename, "x/a", "y/b", 0,
	  "-x/a f:y/b=x/a", 0 },
	{ "rename-dir-across-dirs", "d:x d:y d:x/d", op_rename, "x/d", "y/d", 0,
	  "-x/d d:y/d n:x=2 n:y=3", 0 },
	{ "rename-dir-dotdot", "d:x d:y d:x/d", op_rename, "x/d", "y/d", 0,
	  "i:y/d/..=y", 0 },
	{ "rename-dot", "d:d", op_rename, "d/.", "e", EBUSY, "d:d -e", 0 },
	{ "rename-noreplace-eexist", "f:a f:b", op_noreplace, "a", "b", EEXIST,
	  "f:a=a f:b=b", T_FLAGS },
	{ "rename-noreplace", "f:a", op_noreplace, "a", "b", 0, "-a f:b=a",
	  T_FLAGS },
	{ "rename-exchange", "f:a d:b f:b/x", op_exchange, "a", "b", 0,
	  "d:a f:a/x=b/x f:b=a", T_FLAGS },
	{ "rename-exchange-enoent", "f:a", op_exchange, "a", "b", ENOENT,
	  "f:a=a -b", T_FLAGS },
	/* link */
	{ "link", "f:a", op_link, "a", "b", 0, "f:b=a n:a=2 n:b=2 i:a=b", 0 },
	{ "link-eexist", "f:a f:b", op_link, "a", "b", EEXIST, "f:b=b n:a=1", 0 },
	{ "link-dir-eperm", "d:d", op_link, "d", "e", EPERM, "-e n:d=2", 0 },
	{ "link-enoent", "", op_link, "a", "b", ENOENT, "-b", 0 },
	{ "link-symlink", "l:s=nowhere", op_link, "s", "t", 0,
	  "l:t=nowhere n:s=2", 0 },
	{ "link-third", "f:a h:b=a", op_link, "b", "c", 0, "n:a=3 n:c=3 f:c=a", 0 },
	/* symlink and readlink */
	{ "symlink", "", op_symlink, "some/where", "s", 0,
	  "l:s=some/where s:s=10", 0 },
	{ "symlink-eexist", "f:a", op_symlink, "x", "a", EEXIST, "f:a=a", 0 },
	{ "symlink-enoent", "", op_symlink, "x", "no/s", ENOENT, "", 0 },
	{ "readlink-einval", "f:a", op_readlink, "a", 0, EINVAL, "", 0 },
	{ "readlink-enoent", "", op_readlink, "a", 0, ENOENT, "", 0 },
	/* truncate */
	{ "truncate-eisdir", "d:d", op_truncate, "d", 0, EISDIR, "", 0 },
	{ "truncate-enoent", "", op_truncate, "a", 0, ENOENT, "", 0 },
	{ "truncate-grow", "f:a", op_truncate, "a", "5000", 0, "s:a=5000", 0 },
	{ "truncate-shrink", "f:a", op_truncate, "a", "0", 0, "f:a= s:a=0", 0 },
	/* chmod and chown as root */
	{ "chmod", "f:a", op_chmod, "a", "741", 0, "m:a=741", 0 },
	{ "chmod-dir", "d:d", op_chmod, "d", "1777", 0, "m:d=1777", 0 },
	{ "chmod-via-symlink", "f:a l:s=a", op_chmod, "s", "600", 0, "m:a=600", 0 },
	{ "chmod-enoent", "", op_chmod, "a", "644", ENOENT, "", 0 },
	{ "chown", "f:a", op_chown, "a", "1000:1000", 0, "u:a=1000:1000",
	  T_ROOT },
	{ "chown-group-only", "f:a", op_chown, "a", "-1:1000", 0, "u:a=0:1000",
	  T_ROOT },
	{ "lchown-symlink", "f:a l:s=a", op_chown, "s", "1000:1000", 0,
	  "u:s=1000:1000 u:a=0:0", T_ROOT },
	/* suid/sgid clearing (Linux: chown clears them even for root) */
	{ "suid-clear-chown-root", "f:a#6755", op_chown, "a", "1000:1000", 0,
	  "m:a=755", T_ROOT },
	{ "suid-clear-chown-user", "f:a#6755@1000:1000", op_chown, "a",
	  "-1:1000", 0, "m:a=755 u:a=1000:1000", T_USER },
	{ "suid-clear-write-user", "f:a#6777", op_write, "a", 0, 0,
	  "m:a=777 s:a=2", T_USER },
	{ "suid-clear-truncate-user", "f:a#6777", op_truncate, "a", "0", 0,
	  "m:a=777 s:a=0", T_USER },
	{ "sgid-nogx-kept-write-member", "f:a#2766@0:1000", op_write, "a", 0, 0,
	  "m:a=2766", T_USER },
	{ "suid-kept-write-root", "f:a#6777", op_write, "a", 0, 0, "m:a=6777",
	  T_ROOT },
	{ "sgid-clear-chmod-nonmember", "f:a#644@1000:0", op_chmod, "a", "2755",
	  0, "m:a=755", U },
	/* permissions as the unprivileged user */
	{ "perm-read-0600", "f:a#600", op_open_r, "a", 0, EACCES, "", U },
	{ "perm-write-0644", "f:a#644", op_open_w, "a", 0, EACCES, "f:a=a", U },
	{ "perm-read-0644", "f:a#644", op_open_r, "a", 0, 0, "", T_USER },
	{ "perm-owner-0000", "f:a#000@1000:1000", op_open_r, "a", 0, EACCES,
	  "", U },
	{ "perm-owner-0600", "f:a#600@1000:1000", op_open_rw, "a", 0, 0, "", T_USER },
	{ "perm-group-0640", "f:a#640@0:1000", op_open_r, "a", 0, 0, "", T_USER },
	{ "perm-group-only-0604", "f:a#604@0:1000", op_open_r, "a", 0, EACCES,
	  "", U },
	{ "perm-trunc-0644", "f:a#644", op_open_trunc, "a", 0, EACCES, "f:a=a",
	  U },
	{ "perm-truncate-0644", "f:a#644", op_truncate, "a", "0", EACCES,
	  "f:a=a", U },
	{ "perm-access-r", "f:a#600", op_access, "a", "r", EACCES, "", U },
	{ "perm-access-w", "f:a#644", op_access, "a", "w", EACCES, "", U },
	{ "perm-access-x", "f:a#644", op_access, "a", "x", EACCES, "", U },
	{ "perm-access-rx", "f:a#755", op_access, "a", "rx", 0, "", T_USER },
	{ "perm-dir-nox-lookup", "d:d f:d/a d:d#766", op_lstat, "d/a", 0, EACCES,
	  "", U },
	{ "perm-dir-nox-chdir", "d:d#766", op_chdir, "d", 0, EACCES, "", U },
	{ "perm-dir-nor-readdir", "d:d f:d/a d:d#711", op_readdir, "d", 0,
	  EACCES, "", U },
	{ "perm-dir-nor-lookup-ok", "d:d f:d/a d:d#711", op_lstat, "d/a", 0, 0,
	  "", T_USER },
	{ "perm-dir-now-create", "d:d#755", op_creat, "d/new", 0, EACCES,
	  "-d/new", U },
	{ "perm-dir-now-mkdir", "d:d#755", op_mkdir, "d/new", 0, EACCES,
	  "-d/new", U },
	{ "perm-dir-now-unlink", "d:d f:d/a d:d#755", op_unlink, "d/a", 0,
	  EACCES, "f:d/a", U },
	{ "perm-dir-now-rename", "d:d f:d/a d:d#755", op_rename, "d/a", "d/b",
	  EACCES, "f:d/a -d/b", U },
	{ "perm-dir-now-symlink", "d:d#755", op_symlink, "x", "d/s", EACCES,
	  "-d/s", U },
	{ "perm-sticky-unlink", "d:d f:d/a d:d#1777", op_unlink, "d/a", 0, EPERM,
	  "f:d/a", U },
	{ "perm-sticky-rename", "d:d f:d/a d:d#1777", op_rename, "d/a", "d/b",
	  EPERM, "f:d/a -d/b", U },
	{ "perm-sticky-own-unlink", "d:d f:d/a@1000:1000 d:d#1777", op_unlink,
	  "d/a", 0, 0, "-d/a", T_USER },
	{ "perm-chmod-notowner", "f:a#666", op_chmod, "a", "777", EPERM,
	  "m:a=666", U },
	{ "perm-chmod-owner", "f:a#600@1000:1000", op_chmod, "a", "640", 0,
	  "m:a=640", T_USER },
	{ "perm-chown-to-root", "f:a@1000:1000", op_chown, "a", "0:-1", EPERM,
	  "u:a=1000:1000", U },
	{ "perm-chgrp-nonmember", "f:a@1000:1000", op_chown, "a", "-1:0", EPERM,
	  "u:a=1000:1000", U },
	{ "perm-utime-now-writable", "f:a#666", op_utime_now, "a", 0, 0, "",
	  T_USER | T_OPT },
	{ "perm-utime-now-readonly", "f:a#644", op_utime_now, "a", 0, EACCES, "",
	  U | T_OPT },
	{ "perm-utime-set-notowner", "f:a#666", op_utime_set, "a", 0, EPERM, "",
	  U | T_OPT },
	{ "perm-utime-set-owner", "f:a#600@1000:1000", op_utime_set, "a", 0, 0,
	  "", T_USER | T_OPT },
	{ "perm-mknod-chr", "d:d#777", op_mknod_chr, "d/c", 0, EPERM, "-d/c",
	  T_USER },
	{ "perm-link-dir-now", "f:a@1000:1000 d:d#755", op_link, "a", "d/b",
	  EACCES,
	  "-d/b", U },
	{ "perm-setxattr-notowner", "f:a#644", op_setxattr, "a", "u", EACCES, "",
	  U | T_XATTR | T_OPT },
	{ "xattr-user-symlink-eperm", "f:a l:s=a", op_setxattr, "s", "u", EPERM,
	  "", T_XATTR | T_OPT },
};

/* why case c cannot run here, or NULL */
static const char *case_unrunnable(unsigned int flags)
{
	if ((flags & (T_ROOT | T_USER)) && !cfg.is_root)
		return "needs root";
	if ((flags & T_USER) && !cfg.others)
		return "the mount lacks allow_other: other users cannot enter";
	if ((flags & T_PERM) && !cfg.perms)
		return "no default_permissions: the daemon checks permissions";
	if ((flags & T_XATTR) &&
	    (!cfg.xprefix || strcmp(cfg.xprefix, "user.") != 0))
		return "no user.* xattrs here";
	if ((flags & T_XANY) && !cfg.xprefix)
		return "no xattr namespace works here";
	return NULL;
}

static void run_case(const struct tcase *c)
{
	char err[600] = "", a[1200], b[1200];
	struct stat st;
	int r, e;
	const char *why = case_unrunnable(c->flags);

	if (why)
		return skip(c->name, "%s", why);
	if (make_fixture(c->fix, err, sizeof(err)) < 0)
		return fail(c->name, "%s", err);
	expand(c->a, a, sizeof(a));
	expand(c->b, b, sizeof(b));
	if (c->flags & T_USER)
		r = as_user(c->op, a, c->b ? b : NULL);
	else
		r = c->op(a, c->b ? b : NULL);
	e = err_of(r);
	if (c->op == op_link && e == EPERM && c->want != EPERM &&
	    !cfg.is_root && lstat(a, &st) == 0 && st.st_uid != geteuid())
		return skip(c->name, "fs.protected_hardlinks: the daemon made "
			    "the file uid %u's, not ours", (unsigned)st.st_uid);
	if ((c->flags & T_FLAGS) && e == EINVAL && c->want != EINVAL)
		return skip(c->name, "renameat2 flags unsupported (EINVAL)");
	if ((c->flags & T_OPT) && unsupported(e) && !unsupported(c->want))
		return skip(c->name, "the daemon lacks it (%s)", ename(e));
	if (e != c->want)
		return fail(c->name, "got %s, want %s", ename(e),
			    ename(c->want));
	if (check_post(c->post, err, sizeof(err)) < 0)
		return fail(c->name, "%s", err);
	pass(c->name);
}

/* ------------------------------------------------- timestamp updates */

static int op_ftruncate(const char *a, const char *b)
{
	int fd = open(a, O_WRONLY);
	int r, e;

	if (fd < 0)
		return -1;
	r = ftruncate(fd, b ? atoll(b) : 0);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

static int op_mmap_write(const char *a, const char *b)
{
	int fd = open(a, O_RDWR);
	char *m;

	(void)b;
	if (fd < 0)
		return -1;
	m = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	m[0] = 'M';
	msync(m, 1, MS_SYNC);
	return munmap(m, 1);
}

static int op_read(const char *a, const char *b)
{
	char buf[64];
	int fd = open(a, O_RDONLY);
	ssize_t n;

	(void)b;
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n < 0 ? -1 : 0;
}

/*
 * After op, the times of path in newer ('m' mtime, 'c' ctime) must have
 * moved forward and those in same must not have changed.
 */
struct tmcase {
	const char *name;
	const char *fix;
	op_fn op;
	const char *a, *b;
	const char *path;
	const char *newer, *same;
	unsigned int flags;
};

static const struct tmcase tmcases[] = {
	{ "time-write", "f:a", op_write, "a", 0, "a", "mc", "", 0 },
	{ "time-truncate", "f:a", op_truncate, "a", "0", "a", "mc", "", 0 },
	{ "time-ftruncate", "f:a", op_ftruncate, "a", "100", "a", "mc", "", 0 },
	{ "time-open-trunc", "f:a", op_open_trunc, "a", 0, "a", "mc", "", 0 },
	{ "time-mmap-write", "f:a", op_mmap_write, "a", 0, "a", "mc", "", 0 },
	{ "time-read-nochange", "f:a", op_read, "a", 0, "a", "", "mc", 0 },
	{ "time-create-parent", "", op_creat, "a", 0, ".", "mc", "", 0 },
	{ "time-mkdir-parent", "", op_mkdir, "d", 0, ".", "mc", "", 0 },
	{ "time-mknod-parent", "", op_mkfifo, "p", 0, ".", "mc", "", 0 },
	{ "time-symlink-parent", "", op_symlink, "x", "s", ".", "mc", "", 0 },
	{ "time-unlink-parent", "f:a", op_unlink, "a", 0, ".", "mc", "", 0 },
	{ "time-rmdir-parent", "d:d", op_rmdir, "d", 0, ".", "mc", "", 0 },
	{ "time-link-ctime", "f:a", op_link, "a", "b", "a", "c", "m", 0 },
	{ "time-link-parent", "f:a", op_link, "a", "b", ".", "mc", "", 0 },
	{ "time-unlink-other-link", "f:a h:b=a", op_unlink, "b", 0, "a", "c",
	  "m", 0 },
	{ "time-rename-ctime", "f:a", op_rename, "a", "b", "a>b", "c", "m", 0 },
	{ "time-rename-parent", "f:a", op_rename, "a", "b", ".", "mc", "", 0 },
	{ "time-rename-from-dir", "d:x d:y f:x/a", op_rename, "x/a", "y/a", "x",
	  "mc", "", 0 },
	{ "time-rename-to-dir", "d:x d:y f:x/a", op_rename, "x/a", "y/a", "y",
	  "mc", "", 0 },
	{ "time-chmod", "f:a", op_chmod, "a", "600", "a", "c", "m", 0 },
	{ "time-chown", "f:a", op_chown, "a", "1000:1000", "a", "c", "m",
	  T_ROOT },
	{ "time-utime-ctime", "f:a", op_utime_set, "a", 0, "a", "c", "",
	  T_OPT },
	{ "time-setxattr-ctime", "f:a", op_setxattr, "a", "t", "a", "c", "m",
	  T_XANY | T_OPT },
};

static int time_moved(const char *which, const struct stat *b,
		      const struct stat *a, int want_newer, char *err,
		      size_t cap)
{
	for (; *which; which++) {
		const struct timespec *tb = *which == 'm' ? &b->st_mtim :
					    &b->st_ctim;
		const struct timespec *ta = *which == 'm' ? &a->st_mtim :
					    &a->st_ctim;
		int c = ts_cmp(*ta, *tb);

		if (want_newer ? c > 0 : c == 0)
			continue;
		sfmt(err, cap, "%ctime %s: %lld.%09ld -> %lld.%09ld",
			 *which, want_newer ? "did not advance" : "changed",
			 (long long)tb->tv_sec, tb->tv_nsec,
			 (long long)ta->tv_sec, ta->tv_nsec);
		return -1;
	}
	return 0;
}

/* fixture, op, times: 0 as expected, 1 op unsupported, -1 (err says) */
static int tm_measure(const struct tmcase *c, char *err, size_t cap)
{
	char path[64], *after_path;
	struct stat before, after;
	int e;

	if (make_fixture(c->fix, err, cap) < 0)
		return -1;
	sfmt(path, sizeof(path), "%s", c->path);
	after_path = strchr(path, '>');	/* "a>b": renamed from a to b */
	if (after_path)
		*after_path++ = 0;
	else
		after_path = path;
	if (lstat(path, &before) < 0) {
		sfmt(err, cap, "lstat before: %s", ename(errno));
		return -1;
	}
	msleep(30);
	e = err_of(c->op(c->a, c->b));
	if ((c->flags & T_OPT) && unsupported(e)) {
		sfmt(err, cap, "the daemon lacks it (%s)", ename(e));
		return 1;
	}
	if (e) {
		sfmt(err, cap, "the operation failed: %s", ename(e));
		return -1;
	}
	if (lstat(after_path, &after) < 0) {
		sfmt(err, cap, "lstat after: %s", ename(errno));
		return -1;
	}
	if (time_moved(c->newer, &before, &after, 1, err, cap) ||
	    time_moved(c->same, &before, &after, 0, err, cap))
		return -1;
	return 0;
}

/*
 * A FUSE passthrough cannot keep better times than its lower file
 * system: with -l, a failure is first repeated there (some Linux versions
 * of tmpfs do not touch ctime on setxattr, for example).
 */
static int lower_fails_too(const struct tmcase *c)
{
	char dir[PATH_MAX + 32], err[600];
	int r;

	if (!cfg.lower)
		return 0;
	sfmt(dir, sizeof(dir), "%s/lowerprobe", cfg.here_lower);
	if (mkdir(dir, 0755) < 0 || chdir(dir) < 0)
		return 0;
	r = tm_measure(c, err, sizeof(err));
	if (fchdir(cfg.scratch_fd) < 0 || chdir(c->name) < 0)
		exit(2);
	return r == -1;
}

static void run_tmcase(const struct tmcase *c)
{
	char err[600] = "";
	const char *why = case_unrunnable(c->flags);
	int r;

	if (why)
		return skip(c->name, "%s", why);
	r = tm_measure(c, err, sizeof(err));
	if (r == 1)
		return skip(c->name, "%s", err);
	if (r < 0 && lower_fails_too(c))
		return skip(c->name, "the lower file system does the same: %s",
			    err);
	if (r < 0)
		return fail(c->name, "%s", err);
	pass(c->name);
}

/* ------------------------------------------------------- data checks */

/* compare the whole content of path with want[0..len) */
static int same_one(const char *path, const unsigned char *want, size_t len,
		    char *err, size_t cap)
{
	unsigned char *got = xmalloc(len + 1);
	ssize_t n = get_file(path, got, len + 1);
	long d;
	int r = -1;

	if (n < 0)
		sfmt(err, cap, "read %s: %s", path, ename(errno));
	else if ((size_t)n != len)
		sfmt(err, cap, "%s has %zd bytes, want %zu", path, n, len);
	else if ((d = first_diff(got, want, len)) >= 0)
		sfmt(err, cap, "%s differs at byte %ld", path, d);
	else
		r = 0;
	free(got);
	return r;
}

/*
 * The file through the mount and, with -l, the lower file the daemon
 * wrote (so data that only reached the page cache is caught).
 */
static int same_content(const char *path, const unsigned char *want,
			size_t len, char *err, size_t cap)
{
	char low[PATH_MAX + 300];

	if (same_one(path, want, len, err, cap) < 0)
		return -1;
	if (!cfg.lower)
		return 0;
	sfmt(low, sizeof(low), "%s/%s", cfg.here_lower, path);
	return same_one(low, want, len, err, cap);
}

static void io_write_read(const char *name)
{
	static const size_t chunks[] = { 1, 4095, 4097, 65539, 12345, 113923 };
	size_t total = 0, i;
	unsigned char *buf;
	char err[300];
	int fd;

	for (i = 0; i < ARRAY_SIZE(chunks); i++)
		total += chunks[i];
	buf = xmalloc(total);
	fill_pattern(buf, total, 1);
	fd = open("a", O_WRONLY | O_CREAT, 0644);
	for (i = 0, total = 0; fd >= 0 && i < ARRAY_SIZE(chunks); i++) {
		if (write(fd, buf + total, chunks[i]) != (ssize_t)chunks[i])
			break;
		total += chunks[i];
	}
	if (fd < 0 || i < ARRAY_SIZE(chunks))
		fail(name, "open/write: %s", ename(errno));
	else if (close(fd) < 0)
		fail(name, "close: %s", ename(errno));
	else if (same_content("a", buf, total, err, sizeof(err)) < 0)
		fail(name, "%s", err);
	else
		pass(name);
	free(buf);
}

static void io_overwrite(const char *name)
{
	unsigned char buf[3 * 4096];
	char err[300];
	int fd;

	memset(buf, 'a', sizeof(buf));
	if (put_file("a", buf, sizeof(buf)) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf)) {
		close(fd);
		return fail(name, "read: %s", ename(errno));
	}
	memset(buf + 4000, 'b', 300);
	if (write_all(fd, buf + 4000, 300, 4000) < 0) {
		close(fd);
		return fail(name, "pwrite: %s", ename(errno));
	}
	close(fd);
	verdict(name, same_content("a", buf, sizeof(buf), err,
				   sizeof(err)) == 0, "%s", err);
}

static void io_read_eof(const char *name)
{
	char buf[16];
	int fd;

	if (put_file("a", "0123456789", 10) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (pread(fd, buf, sizeof(buf), 10) != 0)
		fail(name, "pread at EOF did not return 0");
	else if (pread(fd, buf, sizeof(buf), 1000) != 0)
		fail(name, "pread past EOF did not return 0");
	else if (pread(fd, buf, sizeof(buf), 5) != 5)
		fail(name, "pread across EOF did not return 5");
	else
		pass(name);
	close(fd);
}

static void io_hardlink_shared(const char *name)
{
	char buf[16] = "";
	int fdb;

	if (put_file("a", "old", 3) < 0 || link("a", "b") < 0 ||
	    (fdb = open("b", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (read(fdb, buf, sizeof(buf)) < 0 || put_file("a", "new!", 4) < 0)
		fail(name, "read/write: %s", ename(errno));
	else if (pread(fdb, buf, sizeof(buf), 0) != 4 || memcmp(buf, "new!", 4))
		fail(name, "b shows '%.4s', want 'new!'", buf);
	else
		pass(name);
	close(fdb);
}

static void io_unlinked_open(const char *name)
{
	char buf[16] = "";
	struct stat st;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || unlink("a") < 0)
		return fail(name, "setup: %s", ename(errno));
	if (write_all(fd, "still here", 10, 0) < 0 ||
	    pread(fd, buf, sizeof(buf), 0) != 10)
		fail(name, "io on the unlinked file: %s", ename(errno));
	else if (memcmp(buf, "still here", 10))
		fail(name, "read back '%.10s'", buf);
	else if (fstat(fd, &st) < 0 || st.st_nlink != 0)
		fail(name, "fstat: nlink %lu (%s)", (unsigned long)st.st_nlink,
		     ename(errno));
	else
		pass(name);
	close(fd);
}

static void io_rename_open(const char *name)
{
	char buf[16] = "";
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || rename("a", "b") < 0)
		return fail(name, "setup: %s", ename(errno));
	if (write_all(fd, "moved", 5, 0) < 0)
		fail(name, "write: %s", ename(errno));
	else if (get_file("b", buf, sizeof(buf)) != 5 || memcmp(buf, "moved", 5))
		fail(name, "b holds '%s'", buf);
	else
		pass(name);
	close(fd);
}

static void io_mmap_write(const char *name)
{
	size_t len = 3 * 4096 + 100;
	unsigned char *want = xmalloc(len), *m;
	char err[300];
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	fill_pattern(want, len, 7);
	if (fd < 0 || ftruncate(fd, len) < 0)
		return fail(name, "setup: %s", ename(errno));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail(name, "mmap: %s", ename(errno));
	memcpy(m, want, len);
	if (msync(m, len, MS_SYNC) < 0)
		fail(name, "msync: %s", ename(errno));
	else if (munmap(m, len) < 0 || close(fd) < 0)
		fail(name, "munmap/close: %s", ename(errno));
	else
		verdict(name, same_content("a", want, len, err, sizeof(err)) == 0,
			"%s", err);
	free(want);
}

static void io_mmap_read(const char *name)
{
	size_t len = 2 * 4096 + 7;
	unsigned char *want = xmalloc(len), *m;
	long d;
	int fd;

	fill_pattern(want, len, 9);
	if (put_file("a", want, len) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fail(name, "mmap: %s", ename(errno));
	} else {
		d = first_diff(m, want, len);
		verdict(name, d < 0, "mapping differs at byte %ld", d);
		munmap(m, len);
	}
	close(fd);
	free(want);
}

static void io_sparse_read(const char *name)
{
	unsigned char *buf = xmalloc(1 << 20);
	long d;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || write_all(fd, "end", 3, 1 << 20) < 0)
		fail(name, "setup: %s", ename(errno));
	else if (read_all(fd, buf, 1 << 20, 0) != 1 << 20)
		fail(name, "short read of the hole");
	else if ((d = first_nonzero(buf, 1 << 20)) >= 0)
		fail(name, "hole has a nonzero byte at %ld", d);
	else
		pass(name);
	if (fd >= 0)
		close(fd);
	free(buf);
}


/* a write past EOF leaves a hole of zeros (also in a cached page) */
static void io_extend_gap(const char *name)
{
	unsigned char want[6000] = { 0 };
	char err[300];
	int fd;

	memset(want, 'a', 3000);
	memset(want + 5000, 'b', 1000);
	if (put_file("a", want, 3000) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	read_all(fd, err, 100, 0);
	if (write_all(fd, want + 5000, 1000, 5000) < 0)
		fail(name, "pwrite: %s", ename(errno));
	else
		verdict(name, same_content("a", want, sizeof(want), err,
					   sizeof(err)) == 0, "%s", err);
	close(fd);
}

/* shrink inside a cached page, write past the new EOF: no old bytes */
static void io_partial_page(const char *name)
{
	unsigned char buf[4096], want[201] = { 0 };
	char err[300];
	int fd;

	memset(buf, 'x', sizeof(buf));
	memset(want, 'x', 100);
	want[200] = 'y';
	if (put_file("a", buf, sizeof(buf)) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf) ||
	    ftruncate(fd, 100) < 0 || write_all(fd, "y", 1, 200) < 0)
		fail(name, "read/ftruncate/pwrite: %s", ename(errno));
	else
		verdict(name, same_content("a", want, sizeof(want), err,
					   sizeof(err)) == 0, "%s", err);
	close(fd);
}

/* a reader's cached pages must not survive another open(O_TRUNC) */
static void io_otrunc_cached(const char *name)
{
	char buf[64] = "";
	int fd, fw;

	if (put_file("a", "old content", 11) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	read_all(fd, buf, sizeof(buf), 0);
	fw = open("a", O_WRONLY | O_TRUNC);
	if (fw < 0 || write_all(fw, "new", 3, 0) < 0)
		fail(name, "open(O_TRUNC)/write: %s", ename(errno));
	else
		verdict(name, read_all(fd, buf, sizeof(buf), 0) == 3 &&
			!memcmp(buf, "new", 3), "the reader sees '%s'", buf);
	if (fw >= 0)
		close(fw);
	close(fd);
}

/* rename over a file that is open: the old inode lives on, unlinked */
static void rename_over_open(const char *name)
{
	char buf[8] = "";
	struct stat st;
	int fd;

	if (put_file("a", "a", 1) < 0 || put_file("b", "b", 1) < 0 ||
	    (fd = open("b", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (rename("a", "b") < 0)
		fail(name, "rename: %s", ename(errno));
	else
		verdict(name, fstat(fd, &st) == 0 && st.st_nlink == 0 &&
			pread(fd, buf, 8, 0) == 1 && buf[0] == 'b',
			"old file: nlink %lu, content '%s'",
			(unsigned long)st.st_nlink, buf);
	close(fd);
}

/* dirty shared mapping, no msync: close must get the data written */
static void io_mmap_close(const char *name)
{
	size_t len = 2 * 4096;
	unsigned char *want = xmalloc(len), *m;
	char err[300];
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	fill_pattern(want, len, 31);
	if (fd < 0 || ftruncate(fd, len) < 0)
		return fail(name, "setup: %s", ename(errno));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail(name, "mmap: %s", ename(errno));
	memcpy(m, want, len);
	munmap(m, len);
	close(fd);
	verdict(name, same_content("a", want, len, err, sizeof(err)) == 0, "%s",
		err);
	free(want);
}

static void mmap_private(const char *name)
{
	char *m, err[300];
	int fd;

	if (put_file("a", "private!", 8) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	m = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		return fail(name, "mmap: %s", ename(errno));
	}
	memcpy(m, "CHANGED!", 8);
	munmap(m, 8);
	close(fd);
	verdict(name, same_content("a", (const unsigned char *)"private!", 8,
				   err, sizeof(err)) == 0, "%s", err);
}

/* touching a mapped page wholly past EOF raises SIGBUS */
static void mmap_sigbus(const char *name)
{
	long pg = sysconf(_SC_PAGESIZE);
	volatile char *m;
	int fd, st;
	pid_t pid;

	if (put_file("a", "short", 5) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	/* the page after the one holding EOF: past it (4 or 16 KiB pages) */
	m = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail(name, "mmap: %s", ename(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(m[200] == 0 && m[pg + 10] == 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	verdict(name, WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
		"child %s %d (want SIGBUS)", WIFSIGNALED(st) ? "got signal" :
		"exited with", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	close(fd);
}

/* RLIMIT_FSIZE: EFBIG past it, a short write across it (in this child) */
static void fsize_limit(const char *name)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	int fd = open("a", O_RDWR | O_CREAT, 0644), e, e2;
	ssize_t n;

	if (fd < 0)
		return fail(name, "setup: %s", ename(errno));
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return fail(name, "setrlimit: %s", ename(errno));
	e = err_of(pwrite(fd, "x", 1, 1 << 20) < 0 ? -1 : 0);
	n = pwrite(fd, "0123456789abcdefghij", 20, (1 << 20) - 10);
	e2 = err_of(ftruncate(fd, (1 << 20) + 1));
	verdict(name, e == EFBIG && n == 10 && e2 == EFBIG && fsize(fd) == 1 << 20,
		"write past: %s, across: %zd (want 10), ftruncate past: %s, "
		"size %d", ename(e), n, ename(e2), fsize(fd));
	close(fd);
}

/* --------------------------------------------------------- truncation */

static void trunc_grow_zeros(const char *name)
{
	unsigned char want[10000] = "0123456789";
	char err[300];

	if (put_file("a", want, 10) < 0 || truncate("a", sizeof(want)) < 0)
		return fail(name, "setup: %s", ename(errno));
	verdict(name, same_content("a", want, sizeof(want), err,
				   sizeof(err)) == 0, "%s", err);
}

static void ftrunc_shrink(const char *name)
{
	unsigned char buf[10000];
	char err[300];
	struct stat st;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	fill_pattern(buf, sizeof(buf), 3);
	if (fd < 0 || write_all(fd, buf, sizeof(buf), 0) < 0 ||
	    ftruncate(fd, 100) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (fstat(fd, &st) < 0 || st.st_size != 100)
		fail(name, "fstat size %lld", (long long)st.st_size);
	else if (pread(fd, err, 10, 100) != 0)
		fail(name, "data after the new EOF");
	else
		verdict(name, same_content("a", buf, 100, err, sizeof(err)) == 0,
			"%s", err);
	close(fd);
}

/* shrink and grow again: the cut-off data must not come back */
static void trunc_stale_cache(const char *name)
{
	unsigned char buf[8192], want[8192] = { 0 };
	long d;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	memset(buf, 'x', sizeof(buf));
	memset(want, 'x', 100);
	if (fd < 0 || write_all(fd, buf, sizeof(buf), 0) < 0 ||
	    read_all(fd, buf, sizeof(buf), 0) != sizeof(buf))
		return fail(name, "setup: %s", ename(errno));
	if (truncate("a", 100) < 0 || truncate("a", sizeof(buf)) < 0)
		fail(name, "truncate: %s", ename(errno));
	else if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf))
		fail(name, "short read after growing");
	else if ((d = first_diff(buf, want, sizeof(buf))) >= 0)
		fail(name, "byte %ld is 0x%02x after shrink+grow", d, buf[d]);
	else
		verdict(name, same_content("a", want, sizeof(want), (char *)buf,
					   sizeof(buf)) == 0, "%s", (char *)buf);
	close(fd);
}

static void ftrunc_rdonly(const char *name)
{
	int fd, e;

	if (put_file("a", "abc", 3) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(ftruncate(fd, 0));
	verdict(name, e == EINVAL || e == EBADF, "got %s, want EINVAL",
		ename(e));
	close(fd);
}

/* ------------------------------------------------------------ utimens */

static int ts_is(struct timespec t, time_t s, long ns)
{
	return t.tv_sec == s && t.tv_nsec == ns;
}

/* set times; 1 = done, 0 = reported (skip or failure) */
static int set_times(const char *name, const char *path, struct timespec a,
		     struct timespec m)
{
	struct timespec ts[2] = { a, m };
	int e = err_of(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));

	if (unsupported(e))
		skip(name, "the daemon lacks utimens (%s)", ename(e));
	else if (e)
		fail(name, "utimensat: %s", ename(e));
	return e == 0;
}

static void utimens_explicit(const char *name)
{
	struct timespec a = { 1000000000, 123456789 }, m = { 1100000000, 987654321 };
	struct stat st;

	if (put_file("a", "x", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!set_times(name, "a", a, m))
		return;
	if (stat("a", &st) < 0)
		return fail(name, "stat: %s", ename(errno));
	verdict(name, ts_is(st.st_atim, a.tv_sec, a.tv_nsec) &&
		ts_is(st.st_mtim, m.tv_sec, m.tv_nsec),
		"atime %lld.%09ld mtime %lld.%09ld", (long long)st.st_atim.tv_sec,
		st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec,
		st.st_mtim.tv_nsec);
}

static void utimens_omit(const char *name)
{
	struct timespec a = { 1000000000, 5 }, m = { 1100000000, 6 };
	struct timespec omit = { 0, UTIME_OMIT }, m2 = { 1200000000, 0 };
	struct stat st;

	if (put_file("a", "x", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!set_times(name, "a", a, m) || !set_times(name, "a", omit, m2))
		return;
	if (stat("a", &st) < 0)
		return fail(name, "stat: %s", ename(errno));
	verdict(name, ts_is(st.st_atim, a.tv_sec, a.tv_nsec) &&
		ts_is(st.st_mtim, m2.tv_sec, 0),
		"atime %lld.%09ld (want kept) mtime %lld",
		(long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		(long long)st.st_mtim.tv_sec);
}

static void utimens_now(const char *name)
{
	struct timespec old = { 1000000000, 0 }, now = { 0, UTIME_NOW };
	struct timespec omit = { 0, UTIME_OMIT };
	struct stat st;
	time_t t0 = time(NULL);

	if (put_file("a", "x", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!set_times(name, "a", old, old) || !set_times(name, "a", omit, now))
		return;
	if (stat("a", &st) < 0)
		return fail(name, "stat: %s", ename(errno));
	verdict(name, st.st_atim.tv_sec == old.tv_sec &&
		st.st_mtim.tv_sec >= t0 - 2 && st.st_mtim.tv_sec <= time(NULL) + 2,
		"atime %lld (want %lld) mtime %lld (want about %lld)",
		(long long)st.st_atim.tv_sec, (long long)old.tv_sec,
		(long long)st.st_mtim.tv_sec, (long long)t0);
}

static void futimens_fd(const char *name)
{
	struct timespec ts[2] = { { 1000000000, 1 }, { 1000000001, 2 } };
	struct stat st;
	int fd = open("a", O_RDWR | O_CREAT, 0644), e;

	if (fd < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(futimens(fd, ts));
	if (unsupported(e))
		skip(name, "the daemon lacks utimens (%s)", ename(e));
	else if (e)
		fail(name, "futimens: %s", ename(e));
	else if (fstat(fd, &st) < 0)
		fail(name, "fstat: %s", ename(errno));
	else
		verdict(name, ts_is(st.st_mtim, 1000000001, 2) &&
			ts_is(st.st_atim, 1000000000, 1), "mtime %lld.%09ld",
			(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	close(fd);
}

/* mtime set in the past, then a write must make it current */
static void utimens_then_write(const char *name)
{
	struct timespec old = { 1000000000, 0 };
	struct stat st;

	if (put_file("a", "x", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!set_times(name, "a", old, old))
		return;
	if (op_write("a", NULL) < 0 || stat("a", &st) < 0)
		return fail(name, "write/stat: %s", ename(errno));
	verdict(name, st.st_mtim.tv_sec > old.tv_sec + 1000,
		"mtime still %lld after write", (long long)st.st_mtim.tv_sec);
}

/* ------------------------------------------------------------- xattrs */

enum xop { XSET, XGET, XSIZE, XLIST, XDEL };

struct xstep {
	const char *name;
	enum xop op;
	const char *attr;	/* without the namespace prefix */
	const char *value;	/* XSET: the value; XGET: the expected value */
	int flags;		/* XSET: XATTR_CREATE/REPLACE */
	size_t bufsize;		/* XGET/XLIST */
	int want;		/* errno */
};

/* run on one file, in order */
static const struct xstep xsteps[] = {
	{ "xattr-create", XSET, "one", "v1", XATTR_CREATE, 0, 0 },
	{ "xattr-create-eexist", XSET, "one", "v2", XATTR_CREATE, 0, EEXIST },
	{ "xattr-replace-enodata", XSET, "two", "v", XATTR_REPLACE, 0, ENODATA },
	{ "xattr-get", XGET, "one", "v1", 0, 64, 0 },
	{ "xattr-replace", XSET, "one", "value2", XATTR_REPLACE, 0, 0 },
	{ "xattr-get-replaced", XGET, "one", "value2", 0, 64, 0 },
	{ "xattr-get-size", XSIZE, "one", "6", 0, 0, 0 },
	{ "xattr-get-erange", XGET, "one", NULL, 0, 2, ERANGE },
	{ "xattr-set", XSET, "two", "2", 0, 0, 0 },
	{ "xattr-set-overwrite", XSET, "two", "22", 0, 0, 0 },
	{ "xattr-empty-value", XSET, "empty", "", 0, 0, 0 },
	{ "xattr-get-empty", XGET, "empty", "", 0, 64, 0 },
	{ "xattr-list", XLIST, NULL, NULL, 0, 4096, 0 },
	{ "xattr-list-erange", XLIST, NULL, NULL, 0, 1, ERANGE },
	{ "xattr-remove", XDEL, "one", NULL, 0, 0, 0 },
	{ "xattr-get-removed", XGET, "one", NULL, 0, 64, ENODATA },
	{ "xattr-remove-enodata", XDEL, "one", NULL, 0, 0, ENODATA },
	{ "xattr-get-enodata", XGET, "never", NULL, 0, 64, ENODATA },
};

/* the list must hold one, two and empty, each once */
static int xlist_ok(const char *list, ssize_t n, char *err, size_t cap)
{
	static const char *const names[] = { "one", "two", "empty" };
	char full[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		const char *p;
		int seen = 0;

		sfmt(full, sizeof(full), "%s%s", cfg.xprefix, names[i]);
		for (p = list; p < list + n; p += strlen(p) + 1)
			seen += strcmp(p, full) == 0;
		if (seen != 1) {
			sfmt(err, cap, "%s listed %d times", full, seen);
			return -1;
		}
	}
	return 0;
}

/* one step on path: 0 when it went as expected, else err says why */
static int xstep_run(const struct xstep *x, const char *path, int *e,
		     char *err, size_t cap)
{
	char attr[64], buf[4096];
	ssize_t n = 0;

	sfmt(attr, sizeof(attr), "%s%s", cfg.xprefix, x->attr ? x->attr : "");
	switch (x->op) {
	case XSET:
		n = lsetxattr(path, attr, x->value, strlen(x->value), x->flags);
		break;
	case XGET:
		n = lgetxattr(path, attr, buf, x->bufsize);
		break;
	case XSIZE:
		n = lgetxattr(path, attr, NULL, 0);
		break;
	case XLIST:
		n = llistxattr(path, buf, x->bufsize);
		break;
	case XDEL:
		n = lremovexattr(path, attr);
		break;
	}
	*e = err_of(n < 0 ? -1 : 0);
	if (*e != x->want) {
		sfmt(err, cap, "got %s, want %s", ename(*e), ename(x->want));
		return -1;
	}
	if (*e)
		return 0;
	if (x->op == XGET && x->value &&
	    ((size_t)n != strlen(x->value) || memcmp(buf, x->value, n))) {
		sfmt(err, cap, "value '%.*s', want '%s'", (int)n, buf,
			 x->value);
		return -1;
	}
	if (x->op == XSIZE && n != atol(x->value)) {
		sfmt(err, cap, "size %zd, want %s", n, x->value);
		return -1;
	}
	if (x->op == XLIST)
		return xlist_ok(buf, n, err, cap);
	return 0;
}

static void xattr_steps(const char *name)
{
	const char *why = NULL;
	char err[300];
	size_t i;
	int e;

	(void)name;
	if (!cfg.xprefix)
		why = "no xattr namespace works here";
	else if (put_file("a", "x", 1) < 0)
		why = "cannot create the file";
	for (i = 0; i < ARRAY_SIZE(xsteps); i++) {
		if (why) {
			skip(xsteps[i].name, "%s", why);
			continue;
		}
		if (xstep_run(&xsteps[i], "a", &e, err, sizeof(err)) == 0) {
			pass(xsteps[i].name);
		} else if (unsupported(e)) {
			why = "the daemon lacks xattrs";
			skip(xsteps[i].name, "%s (%s)", why, ename(e));
		} else {
			fail(xsteps[i].name, "%s", err);
		}
	}
}

/* skip when no namespace, 1 when set worked */
static int xattr_set_value(const char *name, const char *path,
			   const char *attr, const void *v, size_t len)
{
	char full[64];
	int e;

	if (!cfg.xprefix) {
		skip(name, "no xattr namespace works here");
		return 0;
	}
	sfmt(full, sizeof(full), "%s%s", cfg.xprefix, attr);
	e = err_of(lsetxattr(path, full, v, len, 0));
	if (unsupported(e))
		skip(name, "the daemon lacks xattrs (%s)", ename(e));
	else if (e)
		fail(name, "setxattr: %s", ename(e));
	return e == 0;
}

static void xattr_big(const char *name)
{
	unsigned char v[4000], got[4096];
	char full[64];
	ssize_t n;

	fill_pattern(v, sizeof(v), 5);
	if (put_file("a", "x", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!xattr_set_value(name, "a", "big", v, sizeof(v)))
		return;
	sfmt(full, sizeof(full), "%sbig", cfg.xprefix);
	n = lgetxattr("a", full, got, sizeof(got));
	verdict(name, n == sizeof(v) && !memcmp(got, v, sizeof(v)),
		"getxattr returned %zd (%s)", n, n < 0 ? ename(errno) : "data");
}

static void xattr_dir(const char *name)
{
	char full[64], got[16];
	ssize_t n;

	if (mkdir("d", 0755) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!xattr_set_value(name, "d", "dir", "dv", 2))
		return;
	sfmt(full, sizeof(full), "%sdir", cfg.xprefix);
	n = lgetxattr("d", full, got, sizeof(got));
	verdict(name, n == 2 && !memcmp(got, "dv", 2), "getxattr returned %zd",
		n);
}

/* -------------------------------------------------------------- fsync */

static void sync_calls(const char *name)
{
	static const struct {
		const char *name, *path;
		int oflags, data;
	} c[] = {
		{ "fsync", "a", O_WRONLY, 0 },
		{ "fdatasync", "a", O_WRONLY, 1 },
		{ "fsync-rdonly", "a", O_RDONLY, 0 },
		{ "fsync-dir", ".", O_RDONLY | O_DIRECTORY, 0 },
		{ "fdatasync-dir", ".", O_RDONLY | O_DIRECTORY, 1 },
	};
	size_t i;
	int fd, e;

	(void)name;
	if (put_file("a", "data", 4) < 0)
		return fail(name, "setup: %s", ename(errno));
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		fd = open(c[i].path, c[i].oflags);
		if (fd < 0) {
			fail(c[i].name, "open: %s", ename(errno));
			continue;
		}
		if (c[i].oflags == O_WRONLY)
			write_all(fd, "more", 4, 4);
		e = err_of(c[i].data ? fdatasync(fd) : fsync(fd));
		verdict(c[i].name, e == 0, "got %s", ename(e));
		close(fd);
	}
}

/* ---------------------------------------------------------- fallocate */

/* fallocate on fd; 1 = done, 0 = reported */
static int do_falloc(const char *name, int fd, int mode, off_t off, off_t len)
{
	int e = err_of(fallocate(fd, mode, off, len));

	if (unsupported(e))
		skip(name, "the daemon lacks fallocate (%s)", ename(e));
	else if (e)
		fail(name, "fallocate: %s", ename(e));
	return e == 0;
}

static void falloc_mode0(const char *name)
{
	unsigned char buf[10000];
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0)
		return fail(name, "setup: %s", ename(errno));
	if (do_falloc(name, fd, 0, 0, sizeof(buf))) {
		if (fsize(fd) != sizeof(buf))
			fail(name, "size %d, want %zu", fsize(fd), sizeof(buf));
		else if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf) ||
			 first_nonzero(buf, sizeof(buf)) >= 0)
			fail(name, "content is not %zu zero bytes", sizeof(buf));
		else
			pass(name);
	}
	close(fd);
}

static void falloc_offset(const char *name)
{
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || write_all(fd, "abc", 3, 0) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (do_falloc(name, fd, 0, 20000, 100))
		verdict(name, fsize(fd) == 20100, "size %d, want 20100",
			fsize(fd));
	close(fd);
}

static void falloc_keep_size(const char *name)
{
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || write_all(fd, "abc", 3, 0) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (do_falloc(name, fd, FALLOC_FL_KEEP_SIZE, 0, 65536))
		verdict(name, fsize(fd) == 3, "size %d, want 3", fsize(fd));
	close(fd);
}

/* the punched range reads as zeros even though it was cached */
static void falloc_punch(const char *name)
{
	unsigned char buf[3 * 4096], want[3 * 4096];
	long d;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	memset(buf, 'x', sizeof(buf));
	memcpy(want, buf, sizeof(want));
	memset(want + 4096, 0, 4096);
	if (fd < 0 || write_all(fd, buf, sizeof(buf), 0) < 0 ||
	    read_all(fd, buf, sizeof(buf), 0) != sizeof(buf))
		return fail(name, "setup: %s", ename(errno));
	if (do_falloc(name, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      4096, 4096)) {
		if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf))
			fail(name, "short read, size %d", fsize(fd));
		else if ((d = first_diff(buf, want, sizeof(buf))) >= 0)
			fail(name, "byte %ld is 0x%02x after the punch", d, buf[d]);
		else
			verdict(name, same_content("a", want, sizeof(want),
				(char *)buf, sizeof(buf)) == 0, "%s", (char *)buf);
	}
	close(fd);
}

static void falloc_punch_nokeep(const char *name)
{
	int fd = open("a", O_RDWR | O_CREAT, 0644), e;

	if (fd < 0 || write_all(fd, "abcdef", 6, 0) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 2));
	verdict(name, e == EOPNOTSUPP, "got %s, want EOPNOTSUPP", ename(e));
	close(fd);
}

/* ------------------------------------------------ SEEK_DATA/SEEK_HOLE */

#define SEEK_FAR (1 << 20)

/*
 * Data at [0, P) and [1 MiB, 1 MiB + P), a hole between, with P the page
 * size: tmpfs, the usual lower file system here, keeps data in pages, so
 * with 16 KiB pages its first hole starts at 16 KiB.
 */
#define SEEK_CHUNK 65536	/* the largest page size of Linux */
static off_t seek_p;

static int sparse_file(const char *path)
{
	static unsigned char buf[SEEK_CHUNK];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	seek_p = sysconf(_SC_PAGESIZE);
	memset(buf, 'd', sizeof(buf));
	if (fd < 0)
		return -1;
	if (seek_p > SEEK_CHUNK ||
	    write_all(fd, buf, seek_p, 0) < 0 ||
	    write_all(fd, buf, seek_p, SEEK_FAR) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void seek_data_hole(const char *name)
{
	/* offsets in pages (P) past a base, want: -1 is ENXIO */
	static const struct {
		const char *name;
		off_t from, from_p;
		int whence;
		off_t want, want_p;
		int needs_holes;
	} c[] = {
		{ "seek-data-start", 0, 0, SEEK_DATA, 0, 0, 0 },
		{ "seek-hole-first", 0, 0, SEEK_HOLE, 0, 1, 1 },
		{ "seek-data-after-hole", 0, 2, SEEK_DATA, SEEK_FAR, 0, 1 },
		{ "seek-hole-at-end", SEEK_FAR, 0, SEEK_HOLE, SEEK_FAR, 1, 0 },
		{ "seek-data-eof-enxio", SEEK_FAR, 1, SEEK_DATA, -1, 0, 0 },
		{ "seek-hole-past-eof-enxio", SEEK_FAR + 904, 1, SEEK_HOLE, -1, 0, 0 },
	};
	int fd = sparse_file("a"), holes, e;
	off_t r, want;
	size_t i;

	(void)name;
	if (fd < 0)
		return fail(name, "setup: %s", ename(errno));
	/* a file system may report no holes at all: that is allowed */
	holes = lseek(fd, 0, SEEK_HOLE) != SEEK_FAR + seek_p;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		want = c[i].want < 0 ? -1 : c[i].want + c[i].want_p * seek_p;
		r = lseek(fd, c[i].from + c[i].from_p * seek_p, c[i].whence);
		e = err_of(r < 0 ? -1 : 0);
		if (unsupported(e) || e == EINVAL)
			skip(c[i].name, "SEEK_DATA/SEEK_HOLE unsupported (%s)",
			     ename(e));
		else if (c[i].needs_holes && !holes)
			skip(c[i].name, "the file system reports no holes");
		else if (want < 0)
			verdict(c[i].name, e == ENXIO, "got %lld (%s), want ENXIO",
				(long long)r, ename(e));
		else
			verdict(c[i].name, r == want, "got %lld (%s), want %lld",
				(long long)r, ename(e), (long long)want);
	}
	close(fd);
}

static void seek_basic(const char *name)
{
	int fd = open("a", O_RDWR | O_CREAT, 0644);
	off_t e, c;

	if (fd < 0 || write_all(fd, "0123456789", 10, 0) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = lseek(fd, -3, SEEK_END);
	c = lseek(fd, 2, SEEK_CUR);
	verdict(name, e == 7 && c == 9 && lseek(fd, -1, SEEK_SET) < 0 &&
		errno == EINVAL, "SEEK_END-3 %lld, SEEK_CUR+2 %lld",
		(long long)e, (long long)c);
	close(fd);
}

/* ---------------------------------------------------- copy_file_range */

/*
 * Within one mount Linux never refuses copy_file_range: FUSE copies
 * through the page cache when the daemon lacks COPY_FILE_RANGE.
 */
static void cfr_unsupported(const char *name)
{
	fail(name, "%s: Linux FUSE falls back to a page-cache copy when the "
	     "daemon lacks COPY_FILE_RANGE", ename(errno));
}

static void cfr_basic(const char *name)
{
	unsigned char src[20000], want[8000] = { 0 };
	char err[300];
	loff_t in = 1000, out = 3000;
	int fi, fo;
	ssize_t n;

	fill_pattern(src, sizeof(src), 11);
	memcpy(want + 3000, src + 1000, 5000);
	if (put_file("src", src, sizeof(src)) < 0 ||
	    (fi = open("src", O_RDONLY)) < 0 ||
	    (fo = open("dst", O_RDWR | O_CREAT, 0644)) < 0)
		return fail(name, "setup: %s", ename(errno));
	n = copy_file_range(fi, &in, fo, &out, 5000, 0);
	if (n < 0 && unsupported(errno))
		cfr_unsupported(name);
	else if (n != 5000 || in != 6000 || out != 8000)
		fail(name, "returned %zd (%s), offsets %lld %lld", n,
		     n < 0 ? ename(errno) : "ok", (long long)in, (long long)out);
	else
		verdict(name, same_content("dst", want, sizeof(want), err,
					   sizeof(err)) == 0, "%s", err);
	close(fi);
	close(fo);
}

static void cfr_eof(const char *name)
{
	unsigned char src[20000];
	loff_t in = 15000, in2 = 20000;
	ssize_t n, n2;
	int fi, fo;

	fill_pattern(src, sizeof(src), 12);
	if (put_file("src", src, sizeof(src)) < 0 ||
	    (fi = open("src", O_RDONLY)) < 0 ||
	    (fo = open("dst", O_RDWR | O_CREAT, 0644)) < 0)
		return fail(name, "setup: %s", ename(errno));
	n = copy_file_range(fi, &in, fo, NULL, 10000, 0);
	n2 = copy_file_range(fi, &in2, fo, NULL, 10000, 0);
	if (n < 0 && unsupported(errno))
		cfr_unsupported(name);
	else
		verdict(name, n == 5000 && n2 == 0 && fsize(fo) == 5000 &&
			lseek(fo, 0, SEEK_CUR) == 5000,
			"copied %zd then %zd (want 5000, 0), size %d", n, n2,
			fsize(fo));
	close(fi);
	close(fo);
}

/* the destination's cached pages must not survive the copy */
static void cfr_dst_cached(const char *name)
{
	unsigned char src[8192], dst[8192];
	loff_t in = 0, out = 0;
	long d;
	int fi, fo;
	ssize_t n;

	fill_pattern(src, sizeof(src), 13);
	memset(dst, 'o', sizeof(dst));
	if (put_file("src", src, sizeof(src)) < 0 ||
	    put_file("dst", dst, sizeof(dst)) < 0 ||
	    (fi = open("src", O_RDONLY)) < 0 || (fo = open("dst", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	read_all(fo, dst, sizeof(dst), 0);
	n = copy_file_range(fi, &in, fo, &out, sizeof(src), 0);
	if (n < 0 && unsupported(errno))
		cfr_unsupported(name);
	else if (n != sizeof(src))
		fail(name, "copied %zd (%s)", n, n < 0 ? ename(errno) : "short");
	else if (read_all(fo, dst, sizeof(dst), 0) != sizeof(dst))
		fail(name, "short read after the copy");
	else if ((d = first_diff(dst, src, sizeof(dst))) >= 0)
		fail(name, "stale byte at %ld after the copy", d);
	else
		pass(name);
	close(fi);
	close(fo);
}

static void cfr_overlap(const char *name)
{
	unsigned char buf[8192];
	loff_t in = 0, out = 100;
	int fd;
	ssize_t n;

	memset(buf, 'z', sizeof(buf));
	if (put_file("a", buf, sizeof(buf)) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	n = copy_file_range(fd, &in, fd, &out, 1000, 0);
	verdict(name, n < 0 && errno == EINVAL, "got %zd (%s), want EINVAL", n,
		n < 0 ? ename(errno) : "success");
	close(fd);
}

/* ------------------------------------------------------------ O_APPEND */

static void append_checks(const char *name)
{
	char err[300];
	int fa, fb;

	(void)name;
	if (put_file("a", "abc", 3) < 0 ||
	    (fa = open("a", O_WRONLY | O_APPEND)) < 0 ||
	    (fb = open("a", O_WRONLY | O_APPEND)) < 0)
		return fail("append", "setup: %s", ename(errno));
	lseek(fa, 0, SEEK_SET);
	if (write(fa, "de", 2) != 2)
		fail("append-write", "write: %s", ename(errno));
	else
		verdict("append-write", lseek(fa, 0, SEEK_CUR) == 5 &&
			same_content("a", (const unsigned char *)"abcde", 5, err,
				     sizeof(err)) == 0,
			"position %lld; %s", (long long)lseek(fa, 0, SEEK_CUR),
			err);
	if (write(fb, "1", 1) != 1 || write(fa, "2", 1) != 1)
		fail("append-two-fds", "write: %s", ename(errno));
	else
		verdict("append-two-fds", same_content("a",
			(const unsigned char *)"abcde12", 7, err, sizeof(err)) == 0,
			"%s", err);
	if (pwrite(fa, "P", 1, 0) != 1)
		fail("append-pwrite", "pwrite: %s", ename(errno));
	else
		verdict("append-pwrite", same_content("a",
			(const unsigned char *)"abcde12P", 8, err, sizeof(err)) == 0,
			"%s (Linux appends)", err);
	close(fa);
	close(fb);
}

/* the appender must see a size changed through another descriptor */
static void append_after_truncate(const char *name)
{
	char err[300];
	int fa;

	if (put_file("a", "abcdef", 6) < 0 ||
	    (fa = open("a", O_WRONLY | O_APPEND)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (write(fa, "g", 1) != 1 || truncate("a", 2) < 0 ||
	    write(fa, "z", 1) != 1)
		fail(name, "write/truncate: %s", ename(errno));
	else
		verdict(name, same_content("a", (const unsigned char *)"abz", 3,
					   err, sizeof(err)) == 0, "%s", err);
	close(fa);
}

/* --------------------------------------------------- offsets > 4 GiB */

/* after big_offsets' writes: size, holes, EOF, truncation */
static void big_rest(int fd)
{
	unsigned char buf[4096];
	struct stat st;
	long long end = 5 * GIB + 128;

	if (fstat(fd, &st) < 0)
		return fail("big-size", "fstat: %s", ename(errno));
	verdict("big-size", st.st_size == end, "size %lld, want %lld",
		(long long)st.st_size, end);
	verdict("big-sparse", st.st_blocks < 32768, "%lld blocks allocated",
		(long long)st.st_blocks);
	verdict("big-pread-hole", read_all(fd, buf, sizeof(buf), 3 * GIB) ==
		sizeof(buf) && first_nonzero(buf, sizeof(buf)) < 0,
		"hole at 3 GiB not zero");
	verdict("big-pread-eof", pread(fd, buf, 10, 6 * GIB) == 0,
		"pread past EOF returned data");
	if (ftruncate(fd, 6 * GIB) < 0)
		return fail("big-ftruncate-grow", "%s", ename(errno));
	verdict("big-ftruncate-grow", lseek(fd, 0, SEEK_END) == 6 * GIB &&
		pread(fd, buf, 5, 5 * GIB + 123) == 5 && !memcmp(buf, "hello", 5),
		"SEEK_END %lld", (long long)lseek(fd, 0, SEEK_END));
	if (ftruncate(fd, 4 * GIB) < 0)
		return fail("big-ftruncate-shrink", "%s", ename(errno));
	verdict("big-ftruncate-shrink", pread(fd, buf, 10, 4 * GIB - 2) == 2 &&
		!memcmp(buf, "he", 2), "data at the new EOF wrong");
}

static void big_offsets(const char *name)
{
	static const struct {
		const char *name;
		long long off;
	} spots[] = {
		{ "big-pwrite-2g", 2 * GIB - 2 },
		{ "big-pwrite-4g", 4 * GIB - 2 },
		{ "big-pwrite-5g", 5 * GIB + 123 },
	};
	char buf[8];
	size_t i;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	(void)name;
	if (fd < 0)
		return fail("big", "setup: %s", ename(errno));
	for (i = 0; i < ARRAY_SIZE(spots); i++) {
		memset(buf, 0, sizeof(buf));
		if (write_all(fd, "hello", 5, spots[i].off) < 0) {
			fail(spots[i].name, "pwrite: %s", ename(errno));
			continue;
		}
		verdict(spots[i].name, pread(fd, buf, 5, spots[i].off) == 5 &&
			!memcmp(buf, "hello", 5), "read back '%.5s'", buf);
	}
	big_rest(fd);
	close(fd);
}

/* ----------------------------------------------------------- O_DIRECT */

static void direct_names_skip(const char *why)
{
	static const char *const names[] = { "direct-write", "direct-read",
		"direct-then-buffered", "buffered-then-direct", "direct-extend" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		skip(names[i], "%s", why);
}

static void direct_io(const char *name)
{
	unsigned char *buf, *back;
	int fd = open("a", O_RDWR | O_CREAT | O_DIRECT, 0644), fb;

	(void)name;
	if (fd < 0 && errno == EINVAL)
		return direct_names_skip("O_DIRECT refused (EINVAL): the lower "
					 "file system lacks it");
	if (fd < 0 || (fb = open("a", O_RDWR)) < 0)
		return fail("direct-write", "open: %s", ename(errno));
	if (posix_memalign((void **)&buf, 4096, 8192) ||
	    posix_memalign((void **)&back, 4096, 8192))
		exit(2);
	fill_pattern(buf, 8192, 21);
	verdict("direct-write", pwrite(fd, buf, 8192, 0) == 8192,
		"pwrite: %s", ename(errno));
	verdict("direct-read", pread(fd, back, 8192, 0) == 8192 &&
		!memcmp(back, buf, 8192), "read back differs");
	memset(back, 0, 8192);
	verdict("direct-then-buffered", read_all(fb, back, 8192, 0) == 8192 &&
		!memcmp(back, buf, 8192), "buffered read differs");
	fill_pattern(buf + 4096, 4096, 22);
	verdict("buffered-then-direct", write_all(fb, buf + 4096, 4096, 4096) == 0 &&
		pread(fd, back, 8192, 0) == 8192 && !memcmp(back, buf, 8192),
		"direct read after a buffered write differs");
	verdict("direct-extend", pwrite(fd, buf, 4096, 16384) == 4096 &&
		fsize(fb) == 20480, "size %d, want 20480", fsize(fb));
	free(buf);
	free(back);
	close(fd);
	close(fb);
}

/* -------------------------------------------------------------- locks */

struct lockres {
	int err;
	struct flock fl;
	long long ms;		/* how long the call took */
};

static void on_alarm(int sig)
{
	(void)sig;
}

/* In a child process: fcntl(cmd) on a fresh descriptor of path. */
static struct lockres child_lock(const char *path, int cmd, short type,
				 off_t start, off_t len, int readyfd)
{
	struct lockres r = { .err = EINTR };
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return r;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		int fd = open(path, O_RDWR);
		long long t0;

		sigaction(SIGALRM, &sa, NULL);
		alarm(10);
		r.fl = (struct flock){ .l_type = type, .l_whence = SEEK_SET,
				       .l_start = start, .l_len = len };
		if (readyfd >= 0) {
			pid_t me = getpid();

			if (write(readyfd, &me, sizeof(me)) != sizeof(me))
				_exit(1);
		}
		t0 = now_ms();
		r.err = fd < 0 ? errno : err_of(fcntl(fd, cmd, &r.fl));
		r.ms = now_ms() - t0;
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &r, sizeof(r)) != sizeof(r))
		r.err = EINTR;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
}

static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

static int is_eagain(int e)
{
	return e == EAGAIN || e == EACCES;
}

static void lock_conflicts(int fd)
{
	struct lockres r;

	r = child_lock("a", F_SETLK, F_WRLCK, 50, 10, -1);
	verdict("lock-conflict-eagain", is_eagain(r.err), "got %s, want EAGAIN",
		ename(r.err));
	r = child_lock("a", F_GETLK, F_WRLCK, 0, 1, -1);
	verdict("lock-getlk", r.err == 0 && r.fl.l_type == F_WRLCK &&
		r.fl.l_pid == getpid() && r.fl.l_start == 0 && r.fl.l_len == 100,
		"%s type %d pid %d (want %d) start %lld len %lld", ename(r.err),
		r.fl.l_type, (int)r.fl.l_pid, (int)getpid(),
		(long long)r.fl.l_start, (long long)r.fl.l_len);
	r = child_lock("a", F_SETLK, F_WRLCK, 100, 100, -1);
	verdict("lock-nonoverlap", r.err == 0, "got %s", ename(r.err));
	r = child_lock("a", F_GETLK, F_WRLCK, 500, 10, -1);
	verdict("lock-getlk-unlocked", r.err == 0 && r.fl.l_type == F_UNLCK,
		"%s type %d", ename(r.err), r.fl.l_type);
	if (set_lock(fd, F_SETLK, F_RDLCK, 200, 10) < 0)
		return fail("lock-read-shared", "F_RDLCK: %s", ename(errno));
	r = child_lock("a", F_SETLK, F_RDLCK, 200, 10, -1);
	verdict("lock-read-shared", r.err == 0, "got %s", ename(r.err));
	r = child_lock("a", F_SETLK, F_WRLCK, 200, 10, -1);
	verdict("lock-read-vs-write", is_eagain(r.err), "got %s, want EAGAIN",
		ename(r.err));
}

/* F_SETLKW in a child blocks until the parent unlocks */
static void lock_wait(int fd)
{
	struct lockres r = { .err = EINTR };
	int p[2], q[2];
	char st = '?';
	pid_t pid, waiter;

	if (pipe(p) < 0 || pipe(q) < 0)
		return fail("lock-setlkw-waits", "pipe: %s", ename(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		r = child_lock("a", F_SETLKW, F_WRLCK, 0, 1, p[1]);
		_exit(write(q[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	close(q[1]);
	if (read(p[0], &waiter, sizeof(waiter)) == sizeof(waiter)) {
		st = wait_sleeping(waiter);
		msleep(300);
		set_lock(fd, F_SETLK, F_UNLCK, 0, 100);
	}
	if (read(q[0], &r, sizeof(r)) != sizeof(r))
		r.err = EINTR;
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(q[0]);
	verdict("lock-setlkw-waits", r.err == 0 && r.ms >= 200,
		"got %s after %lld ms, waiter state %c (want success after "
		"~300 ms)", ename(r.err), r.ms, st);
}

static void lock_checks(const char *name)
{
	struct lockres r;
	int fd, fd2;

	(void)name;
	if (put_file("a", "lockfile", 8) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail("lock-setlk", "setup: %s", ename(errno));
	if (!verdict("lock-setlk", set_lock(fd, F_SETLK, F_WRLCK, 0, 100) == 0,
		     "%s", ename(errno)))
		return;
	lock_conflicts(fd);
	lock_wait(fd);
	set_lock(fd, F_SETLK, F_WRLCK, 0, 100);
	fd2 = open("a", O_RDONLY);
	close(fd2);
	r = child_lock("a", F_SETLK, F_WRLCK, 0, 1, -1);
	verdict("lock-close-releases", r.err == 0,
		"closing another descriptor kept the lock: %s", ename(r.err));
	close(fd);
}

static void lock_ofd(const char *name)
{
	int fa, fb, e;

	if (put_file("a", "ofd", 3) < 0 || (fa = open("a", O_RDWR)) < 0 ||
	    (fb = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (set_lock(fa, F_OFD_SETLK, F_WRLCK, 0, 10) < 0) {
		fail(name, "first F_OFD_SETLK: %s", ename(errno));
	} else {
		e = err_of(set_lock(fb, F_OFD_SETLK, F_WRLCK, 5, 10));
		verdict(name, is_eagain(e), "got %s, want EAGAIN", ename(e));
	}
	close(fa);
	close(fb);
}

/* -------------------------------------------------------------- flock */

struct fstep {
	const char *name;
	int which;		/* 0: fa, 1: fb, 2: close fb */
	int op;
	int want;
};

static const struct fstep fsteps[] = {
	{ "flock-ex", 0, LOCK_EX | LOCK_NB, 0 },
	{ "flock-ex-conflict", 1, LOCK_EX | LOCK_NB, EWOULDBLOCK },
	{ "flock-sh-vs-ex", 1, LOCK_SH | LOCK_NB, EWOULDBLOCK },
	{ "flock-unlock", 0, LOCK_UN, 0 },
	{ "flock-sh-after-unlock", 1, LOCK_SH | LOCK_NB, 0 },
	{ "flock-sh-shared", 0, LOCK_SH | LOCK_NB, 0 },
	{ "flock-ex-vs-sh", 0, LOCK_EX | LOCK_NB, EWOULDBLOCK },
	{ "flock-close-releases", 2, LOCK_EX | LOCK_NB, 0 },
};

static void flock_steps(const char *name)
{
	size_t i;
	int fd[2], e, t;

	(void)name;
	if (put_file("a", "flock", 5) < 0 || (fd[0] = open("a", O_RDWR)) < 0 ||
	    (fd[1] = open("a", O_RDWR)) < 0)
		return fail("flock-ex", "setup: %s", ename(errno));
	for (i = 0; i < ARRAY_SIZE(fsteps); i++) {
		int w = fsteps[i].which;

		if (w == 2) {
			close(fd[1]);
			w = 0;
		}
		e = err_of(flock(fd[w], fsteps[i].op));
		/*
		 * A daemon that implements flock sees the unlock only with
		 * the RELEASE of the closed file, which FUSE sends
		 * asynchronously: allow it a moment.
		 */
		for (t = 0; fsteps[i].which == 2 && e == EWOULDBLOCK && t < 200;
		     t++) {
			msleep(10);
			e = err_of(flock(fd[w], fsteps[i].op));
		}
		verdict(fsteps[i].name, e == fsteps[i].want, "got %s, want %s",
			ename(e), ename(fsteps[i].want));
	}
	close(fd[0]);
}

/* a blocking LOCK_EX in a child waits for the holder */
static void flock_wait(const char *name)
{
	int fd, p[2], q[2];
	long long ms = -1;
	char st = '?';
	pid_t pid, waiter;

	if (put_file("a", "flock", 5) < 0 || (fd = open("a", O_RDWR)) < 0 ||
	    flock(fd, LOCK_EX) < 0 || pipe(p) < 0 || pipe(q) < 0)
		return fail(name, "setup: %s", ename(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		int f = open("a", O_RDWR);
		pid_t me = getpid();
		long long t0;

		sigaction(SIGALRM, &sa, NULL);
		alarm(10);
		if (write(p[1], &me, sizeof(me)) != sizeof(me))
			_exit(1);
		t0 = now_ms();
		ms = f >= 0 && flock(f, LOCK_EX) == 0 ? now_ms() - t0 : -1;
		_exit(write(q[1], &ms, sizeof(ms)) == sizeof(ms) ? 0 : 1);
	}
	close(p[1]);
	close(q[1]);
	if (read(p[0], &waiter, sizeof(waiter)) == sizeof(waiter)) {
		st = wait_sleeping(waiter);
		msleep(300);
		flock(fd, LOCK_UN);
	}
	if (read(q[0], &ms, sizeof(ms)) != sizeof(ms))
		ms = -1;
	waitpid(pid, NULL, 0);
	verdict(name, ms >= 200,
		"LOCK_EX returned after %lld ms, waiter state %c (want ~300)",
		ms, st);
	close(fd);
	close(p[0]);
	close(q[0]);
}

/* ---------------------------------------------------- RENAME_WHITEOUT */

/*
 * FUSE daemons that reject renameat2 flags give EINVAL; a file system with
 * whiteouts (tmpfs, as root) leaves a 0/0 character device behind.
 */
static void rename_whiteout(const char *name)
{
	char err[300];
	struct stat st;
	int e;

	if (put_file("a", "a", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_WHITEOUT));
	if (e == EINVAL) {
		verdict(name, check_post("f:a=a -b", err, sizeof(err)) == 0,
			"after EINVAL: %s", err);
		return;
	}
	if (e)
		return fail(name, "got %s, want EINVAL", ename(e));
	verdict(name, lstat("a", &st) == 0 && S_ISCHR(st.st_mode) &&
		st.st_rdev == makedev(0, 0) &&
		check_post("f:b=a", err, sizeof(err)) == 0,
		"no whiteout left behind (%s)", err);
}

/* ------------------------------------------------------------ readdir */

/* Count the entries of a directory stream, check . and .. and marks. */
struct listing {
	int n, dot, dotdot;
	char seen[200];		/* seen[i]: f%03d was listed */
	char other[64];		/* an unexpected name */
};

static int list_dir(DIR *d, struct listing *l)
{
	struct dirent *de;

	memset(l, 0, sizeof(*l));
	errno = 0;
	while ((de = readdir(d))) {
		int i;

		if (!strcmp(de->d_name, "."))
			l->dot++;
		else if (!strcmp(de->d_name, ".."))
			l->dotdot++;
		else if (sscanf(de->d_name, "f%d", &i) == 1 && i >= 0 && i < 200)
			l->seen[i]++, l->n++;
		else
			sfmt(l->other, sizeof(l->other), "%s", de->d_name),
				l->n++;
	}
	return errno ? -1 : 0;
}

/* the listing holds exactly f000..f(count-1) where keep(i) */
static int listing_is(const struct listing *l, int count, int step, char *err,
		      size_t cap)
{
	int i, want = 0;

	for (i = 0; i < 200; i++) {
		int exp = i < count && i % step == 0;

		want += exp;
		if (l->seen[i] != exp) {
			sfmt(err, cap, "f%03d listed %d times, want %d", i,
				 l->seen[i], exp);
			return -1;
		}
	}
	if (l->dot != 1 || l->dotdot != 1 || l->n != want) {
		sfmt(err, cap, ". %d times, .. %d times, %d names (want %d)%s%s",
			 l->dot, l->dotdot, l->n, want, l->other[0] ? ", extra " : "",
			 l->other);
		return -1;
	}
	return 0;
}

static int list_path(const char *path, struct listing *l)
{
	DIR *d = opendir(path);
	int r;

	if (!d)
		return -1;
	r = list_dir(d, l);
	closedir(d);
	return r;
}

static void readdir_many(const char *name)
{
	struct listing l;
	char err[300] = "", f[16];
	int i;

	(void)name;
	verdict("readdir-empty", list_path(".", &l) == 0 &&
		listing_is(&l, 0, 1, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < 150; i++) {
		sfmt(f, sizeof(f), "f%03d", i);
		if (put_file(f, "x", 1) < 0)
			return fail("readdir-150", "create %s: %s", f, ename(errno));
	}
	verdict("readdir-150", list_path(".", &l) == 0 &&
		listing_is(&l, 150, 1, err, sizeof(err)) == 0, "%s", err);
	for (i = 1; i < 150; i += 2) {
		sfmt(f, sizeof(f), "f%03d", i);
		unlink(f);
	}
	verdict("readdir-after-unlink", list_path(".", &l) == 0 &&
		listing_is(&l, 150, 2, err, sizeof(err)) == 0, "%s", err);
}

/* rewinddir after a change shows the change (readdir caches) */
static void readdir_rewind(const char *name)
{
	struct listing l;
	char err[300] = "";
	DIR *d;

	if (put_file("f000", "x", 1) < 0 || !(d = opendir(".")))
		return fail(name, "setup: %s", ename(errno));
	list_dir(d, &l);
	if (put_file("f001", "x", 1) < 0)
		return fail(name, "create: %s", ename(errno));
	rewinddir(d);
	verdict(name, list_dir(d, &l) == 0 &&
		listing_is(&l, 2, 1, err, sizeof(err)) == 0, "%s", err);
	closedir(d);
}

static void readdir_seek(const char *name)
{
	char f[16], at[300] = "", again[300] = "";
	struct dirent *de;
	long pos;
	DIR *d;
	int i;

	for (i = 0; i < 60; i++) {
		sfmt(f, sizeof(f), "f%03d", i);
		if (put_file(f, "x", 1) < 0)
			return fail(name, "create: %s", ename(errno));
	}
	if (!(d = opendir(".")))
		return fail(name, "opendir: %s", ename(errno));
	for (i = 0; i < 30 && readdir(d); i++)
		;
	pos = telldir(d);
	if ((de = readdir(d)))
		sfmt(at, sizeof(at), "%s", de->d_name);
	for (i = 0; i < 10 && readdir(d); i++)
		;
	seekdir(d, pos);
	if ((de = readdir(d)))
		sfmt(again, sizeof(again), "%s", de->d_name);
	verdict(name, at[0] && !strcmp(at, again),
		"entry after seekdir is '%s', want '%s'", again, at);
	closedir(d);
}

static void readdir_types(const char *name)
{
	static const struct {
		const char *name;
		unsigned char type;
	} want[] = { { "f", DT_REG }, { "d", DT_DIR }, { "l", DT_LNK },
		     { "p", DT_FIFO } };
	char err[300] = "";
	struct dirent *de;
	struct stat st;
	size_t i;
	int found = 0;
	DIR *d;

	if (make_fixture("f:f d:d l:l=f p:p", err, sizeof(err)) < 0)
		return fail(name, "%s", err);
	if (!(d = opendir(".")))
		return fail(name, "opendir: %s", ename(errno));
	while ((de = readdir(d)) && !err[0]) {
		for (i = 0; i < ARRAY_SIZE(want); i++) {
			if (strcmp(de->d_name, want[i].name))
				continue;
			found++;
			if (de->d_type != want[i].type)
				sfmt(err, sizeof(err), "%s: d_type %d, want %d",
					 de->d_name, de->d_type, want[i].type);
			else if (lstat(de->d_name, &st) < 0 ||
				 st.st_ino != de->d_ino)
				sfmt(err, sizeof(err), "%s: d_ino %llu, st_ino %llu",
					 de->d_name, (unsigned long long)de->d_ino,
					 (unsigned long long)st.st_ino);
		}
	}
	closedir(d);
	verdict(name, !err[0] && found == 4, "%s (found %d of 4)", err, found);
}

/* --------------------------------------------------------------- umask */

static void umask_checks(const char *name)
{
	static const struct {
		const char *name;
		op_fn op;
		const char *path;
		mode_t mask, want;
	} c[] = {
		{ "umask-creat", op_creat, "a", 027, 0640 },
		{ "umask-mkdir", op_mkdir, "d", 027, 0750 },
		{ "umask-mkfifo", op_mkfifo, "p", 077, 0600 },
	};
	struct stat st;
	mode_t old;
	size_t i;
	int e;

	(void)name;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		old = umask(c[i].mask);
		e = err_of(c[i].op(c[i].path, NULL));
		umask(old);
		if (e) {
			fail(c[i].name, "%s", ename(e));
			continue;
		}
		verdict(c[i].name, lstat(c[i].path, &st) == 0 &&
			(st.st_mode & 07777) == c[i].want, "mode %o, want %o",
			st.st_mode & 07777, c[i].want);
	}
}

/* ---------------------------------------------------------------- misc */

static void mknod_rdev(const char *name)
{
	struct stat st;

	if (!cfg.is_root)
		return skip(name, "needs root");
	if (mknod("c", S_IFCHR | 0600, makedev(1, 3)) < 0)
		return fail(name, "mknod: %s", ename(errno));
	verdict(name, lstat("c", &st) == 0 && st.st_rdev == makedev(1, 3),
		"rdev %u:%u, want 1:3", major(st.st_rdev), minor(st.st_rdev));
}

static void symlink_long(const char *name)
{
	char target[4001], back[4096];
	struct stat st;
	ssize_t n;

	memset(target, 'y', 4000);
	target[4000] = 0;
	if (symlink(target, "s") < 0)
		return fail(name, "symlink: %s", ename(errno));
	n = readlink("s", back, sizeof(back));
	verdict(name, n == 4000 && !memcmp(back, target, 4000) &&
		lstat("s", &st) == 0 && st.st_size == 4000,
		"readlink returned %zd, size %lld", n, (long long)st.st_size);
}

static void readlink_small(const char *name)
{
	char buf[8] = "";

	if (symlink("abcdef", "s") < 0)
		return fail(name, "symlink: %s", ename(errno));
	verdict(name, readlink("s", buf, 3) == 3 && !memcmp(buf, "abc", 3),
		"got '%.3s'", buf);
}

static void stat_after_write(const char *name)
{
	unsigned char buf[12345];
	struct stat st;

	if (put_file("a", "x", 1) < 0 || stat("a", &st) < 0)
		return fail(name, "setup: %s", ename(errno));
	memset(buf, 'q', sizeof(buf));
	if (put_file("a", buf, sizeof(buf)) < 0 || stat("a", &st) < 0)
		return fail(name, "write/stat: %s", ename(errno));
	verdict(name, st.st_size == sizeof(buf), "size %lld, want %zu",
		(long long)st.st_size, sizeof(buf));
}

static void fchmod_fchown(const char *name)
{
	struct stat st;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0)
		return fail(name, "setup: %s", ename(errno));
	if (fchmod(fd, 0604) < 0 || (cfg.is_root && fchown(fd, 1000, 1000) < 0))
		fail(name, "fchmod/fchown: %s", ename(errno));
	else
		verdict(name, fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0604 &&
			(!cfg.is_root || st.st_uid == 1000),
			"mode %o uid %u", st.st_mode & 07777, (unsigned)st.st_uid);
	close(fd);
}

static void read_wronly(const char *name)
{
	char c;
	int fd, e;

	if (put_file("a", "x", 1) < 0 || (fd = open("a", O_WRONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(read(fd, &c, 1) < 0 ? -1 : 0);
	verdict(name, e == EBADF, "got %s, want EBADF", ename(e));
	close(fd);
}

/* ------------------------------------------------- table of functions */

struct fcase {
	const char *name;	/* also the name of a crash or time-out */
	void (*fn)(const char *name);
};

static const struct fcase fcases[] = {
	{ "io-write-read", io_write_read },
	{ "io-overwrite-cached", io_overwrite },
	{ "io-read-eof", io_read_eof },
	{ "io-hardlink-shared", io_hardlink_shared },
	{ "io-unlinked-open", io_unlinked_open },
	{ "io-rename-open", io_rename_open },
	{ "io-mmap-write", io_mmap_write },
	{ "io-mmap-read", io_mmap_read },
	{ "io-sparse-read", io_sparse_read },
	{ "io-extend-gap", io_extend_gap },
	{ "io-partial-page-eof", io_partial_page },
	{ "io-otrunc-cached", io_otrunc_cached },
	{ "io-mmap-close-writeback", io_mmap_close },
	{ "mmap-private", mmap_private },
	{ "mmap-sigbus", mmap_sigbus },
	{ "rename-over-open", rename_over_open },
	{ "rlimit-fsize", fsize_limit },
	{ "io-read-wronly-ebadf", read_wronly },
	{ "stat-size-after-write", stat_after_write },
	{ "truncate-grow-zeros", trunc_grow_zeros },
	{ "ftruncate-shrink", ftrunc_shrink },
	{ "truncate-shrink-grow-cached", trunc_stale_cache },
	{ "ftruncate-rdonly-einval", ftrunc_rdonly },
	{ "utimens-explicit", utimens_explicit },
	{ "utimens-omit", utimens_omit },
	{ "utimens-now", utimens_now },
	{ "futimens", futimens_fd },
	{ "utimens-then-write", utimens_then_write },
	{ "fchmod-fchown", fchmod_fchown },
	{ "mknod-chr-rdev", mknod_rdev },
	{ "symlink-long-target", symlink_long },
	{ "readlink-small-buffer", readlink_small },
	{ "rename-whiteout", rename_whiteout },
	{ "xattr", xattr_steps },
	{ "xattr-big", xattr_big },
	{ "xattr-dir", xattr_dir },
	{ "sync", sync_calls },
	{ "falloc-mode0", falloc_mode0 },
	{ "falloc-extend-offset", falloc_offset },
	{ "falloc-keep-size", falloc_keep_size },
	{ "falloc-punch-hole", falloc_punch },
	{ "falloc-punch-needs-keep-size", falloc_punch_nokeep },
	{ "seek", seek_data_hole },
	{ "seek-basic", seek_basic },
	{ "cfr-basic", cfr_basic },
	{ "cfr-eof", cfr_eof },
	{ "cfr-dst-cached", cfr_dst_cached },
	{ "cfr-overlap-einval", cfr_overlap },
	{ "append", append_checks },
	{ "append-after-truncate", append_after_truncate },
	{ "big", big_offsets },
	{ "direct", direct_io },
	{ "lock", lock_checks },
	{ "lock-ofd", lock_ofd },
	{ "flock", flock_steps },
	{ "flock-wait", flock_wait },
	{ "readdir", readdir_many },
	{ "readdir-rewind", readdir_rewind },
	{ "readdir-seekdir", readdir_seek },
	{ "readdir-types", readdir_types },
	{ "umask", umask_checks },
};

/* ------------------------------------------------------------- runner */

static int selected(const char *name)
{
	return !cfg.have_only || regexec(&cfg.only, name, 0, NULL, 0) == 0;
}

/* wait for pid at most cfg.timeout seconds; its wait status or -1 */
static int wait_limited(pid_t pid)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	int st, r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(cfg.timeout);
	r = waitpid(pid, &st, 0);
	alarm(0);
	if (r == pid)
		return st;
	kill(pid, SIGKILL);
	/* a child stuck in an uninterruptible wait is left behind */
	alarm(2);
	r = waitpid(pid, &st, 0);
	alarm(0);
	return -1;
}

/*
 * Run one check in a child, in a fresh directory named after it (the
 * parent also fails the check when the child hangs or crashes).
 */
static void in_child(const char *name, void (*body)(const void *),
		     const void *arg)
{
	long long t0;
	pid_t pid;
	int st;

	if (!selected(name))
		return;
	if (fchdir(cfg.scratch_fd) < 0 || mkdir(name, 0755) < 0 ||
	    chdir(name) < 0) {
		fail(name, "cannot make its directory: %s", ename(errno));
		if (errno == ENOTCONN || errno == ECONNABORTED) {
			fprintf(stderr, "posixtest: the mount is gone (%s)\n",
				ename(errno));
			exit(2);
		}
		return;
	}
	if (cfg.lower)
		sfmt(cfg.here_lower, sizeof(cfg.here_lower), "%s/%s/%s",
		     cfg.lower, strrchr(cfg.scratch, '/') + 1, name);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(name, "fork: %s", ename(errno));
	if (pid == 0) {
		body(arg);
		fflush(stdout);
		_exit(0);
	}
	t0 = now_ms();
	st = wait_limited(pid);
	if (cfg.verbose)
		printf("# %s: %lld ms\n", name, now_ms() - t0);
	if (st == -1)
		fail(name, "timed out after %d s", cfg.timeout);
	else if (WIFSIGNALED(st))
		fail(name, "killed by signal %d", WTERMSIG(st));
	else if (WEXITSTATUS(st))
		fail(name, "exit status %d", WEXITSTATUS(st));
	if (fchdir(cfg.scratch_fd) < 0) {
		fail(name, "after it, cannot enter %s: %s", cfg.scratch,
		     ename(errno));
		fprintf(stderr, "posixtest: lost the scratch directory after %s\n",
			name);
		exit(2);
	}
}

static void body_case(const void *p)
{
	run_case(p);
}

static void body_tmcase(const void *p)
{
	run_tmcase(p);
}

static void body_fcase(const void *p)
{
	const struct fcase *f = p;

	f->fn(f->name);
}

static void run_all(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		in_child(cases[i].name, body_case, &cases[i]);
	for (i = 0; i < ARRAY_SIZE(tmcases); i++)
		in_child(tmcases[i].name, body_tmcase, &tmcases[i]);
	for (i = 0; i < ARRAY_SIZE(fcases); i++)
		in_child(fcases[i].name, body_fcase, &fcases[i]);
}

/* ------------------------------------------------------ the mount */

/* "\040" in mountinfo fields is a space (and so on) */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*o++ = (char)strtol((char[]){ s[1], s[2], s[3], 0 }, NULL, 8);
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* is mnt a path prefix of path (on component boundaries)? */
static size_t prefix_len(const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return 1;
	if (strncmp(mnt, path, n) || (path[n] && path[n] != '/'))
		return 0;
	return n;
}

/* Find the mount holding path; fill cfg.fstype, cfg.perms, cfg.others. */
static void detect_mount(const char *path)
{
	char line[4096], mnt[PATH_MAX], type[64], opts[2048], best_opts[2048] = "";
	size_t best = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		size_t n;

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %2047s", type, opts) != 2)
			continue;
		unescape(mnt);
		n = prefix_len(mnt, path);
		if (n && n >= best) {
			best = n;
			sfmt(cfg.fstype, sizeof(cfg.fstype), "%s", type);
			sfmt(best_opts, sizeof(best_opts), ",%s,", opts);
		}
	}
	if (f)
		fclose(f);
	cfg.is_fuse = !strncmp(cfg.fstype, "fuse", 4);
	cfg.perms = !cfg.is_fuse || strstr(best_opts, ",default_permissions,");
	cfg.others = !cfg.is_fuse || strstr(best_opts, ",allow_other,");
}

/* the xattr namespace to use: user. if it works, else trusted. as root */
static void detect_xattr(void)
{
	static const char *const prefixes[] = { "user.", "trusted." };
	char name[64];
	size_t i;

	if (put_file("xattr-probe", "x", 1) < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		sfmt(name, sizeof(name), "%sposixtest", prefixes[i]);
		if (setxattr("xattr-probe", name, "1", 1, 0) == 0) {
			cfg.xprefix = prefixes[i];
			break;
		}
	}
	unlink("xattr-probe");
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);	/* best effort: go on with the rest */
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: posixtest [-kv] [-t SECS] [-u UID] [-U UID] "
		"[-o REGEX] "
		"[-l LOWER] DIR\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "kvt:u:U:o:l:")) != -1) {
		switch (c) {
		case 'k': cfg.keep = 1; break;
		case 'v': cfg.verbose = 1; break;
		case 'l': cfg.lower = optarg; break;
		case 't': cfg.timeout = atoi(optarg); break;
		case 'u': cfg.uid = atoi(optarg); break;
		case 'U': cfg.run_as = atol(optarg); break;
		case 'o':
			if (regcomp(&cfg.only, optarg, REG_EXTENDED | REG_NOSUB))
				usage();
			cfg.have_only = 1;
			break;
		default: usage();
		}
	}
	if (optind != argc - 1 || cfg.timeout <= 0)
		usage();
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX];

	parse_args(argc, argv);
	if (cfg.run_as >= 0 &&
	    (setgroups(0, NULL) < 0 || setgid(cfg.run_as) < 0 ||
	     setuid(cfg.run_as) < 0)) {
		fprintf(stderr, "posixtest: cannot become uid %ld: %s\n",
			cfg.run_as, strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	cfg.is_root = geteuid() == 0;
	if (!realpath(argv[optind], dir)) {
		fprintf(stderr, "posixtest: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	sfmt(cfg.scratch, sizeof(cfg.scratch), "%s/posixtest.XXXXXX", dir);
	if (!mkdtemp(cfg.scratch) || chmod(cfg.scratch, 0755) < 0 ||
	    chdir(cfg.scratch) < 0 ||
	    (cfg.scratch_fd = open(".", O_RDONLY | O_DIRECTORY)) < 0) {
		fprintf(stderr, "posixtest: cannot make a directory in %s: %s\n",
			dir, strerror(errno));
		return 2;
	}
	detect_mount(cfg.scratch);
	detect_xattr();
	printf("# posixtest: dir=%s fs=%s perms=%s others=%s xattr=%s root=%s\n",
	       cfg.scratch, cfg.fstype, cfg.perms ? "kernel" : "daemon",
	       cfg.others ? "yes" : "no", cfg.xprefix ? cfg.xprefix : "none",
	       cfg.is_root ? "yes" : "no");
	run_all();
	if (!cfg.keep && chdir(dir) == 0)
		nftw(cfg.scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("# posixtest: done\n");
	return 0;
}
