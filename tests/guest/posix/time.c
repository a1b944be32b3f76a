// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: which operations move mtime and ctime, of the file and of
 * its parent directories, and which leave them alone (time-* checks).
 * With -l a failure is repeated on the lower directory: a FUSE mount
 * cannot keep better times than the file system below it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

/* the operations only the time checks use (the others are in ops.c) */

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

static const struct tmcase time_tmcases[] = {
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

const struct topic topic_time = TOPIC_TMCASES(time_tmcases);

/* -1, 0, 1 */
static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

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

void run_tmcase(const struct tmcase *c)
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
