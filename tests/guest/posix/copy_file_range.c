// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: copy_file_range(2) within the mount: offsets, EOF, the
 * destination's cached pages, an overlapping range in one file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

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

static const struct fcase cfr_fcases[] = {
	{ "cfr-basic", cfr_basic },
	{ "cfr-eof", cfr_eof },
	{ "cfr-dst-cached", cfr_dst_cached },
	{ "cfr-overlap-einval", cfr_overlap },
};

const struct topic topic_cfr = TOPIC_FCASES(cfr_fcases);
