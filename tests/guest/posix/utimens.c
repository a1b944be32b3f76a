// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: utimensat(2) and futimens(3): explicit times to the
 * nanosecond, UTIME_OMIT, UTIME_NOW, and a write after an old mtime.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

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

static const struct fcase utimens_fcases[] = {
	{ "utimens-explicit", utimens_explicit },
	{ "utimens-omit", utimens_omit },
	{ "utimens-now", utimens_now },
	{ "futimens", futimens_fd },
	{ "utimens-then-write", utimens_then_write },
};

const struct topic topic_utimens = TOPIC_FCASES(utimens_fcases);
