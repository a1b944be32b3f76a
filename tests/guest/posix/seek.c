// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: lseek(2): SEEK_SET, SEEK_CUR, SEEK_END and SEEK_DATA/SEEK_HOLE
 * on a sparse file (in pages: tmpfs keeps holes per page).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

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

static const struct fcase seek_fcases[] = {
	{ "seek", seek_data_hole },
	{ "seek-basic", seek_basic },
};

const struct topic topic_seek = TOPIC_FCASES(seek_fcases);
