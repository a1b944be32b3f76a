// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: fallocate(2): mode 0 (zeros, growing at an offset),
 * FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE over cached data, and a punch
 * without KEEP_SIZE refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

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

static const struct fcase fallocate_fcases[] = {
	{ "falloc-mode0", falloc_mode0 },
	{ "falloc-extend-offset", falloc_offset },
	{ "falloc-keep-size", falloc_keep_size },
	{ "falloc-punch-hole", falloc_punch },
	{ "falloc-punch-needs-keep-size", falloc_punch_nokeep },
};

const struct topic topic_fallocate = TOPIC_FCASES(fallocate_fcases);
