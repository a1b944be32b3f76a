// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: O_DIRECT reads and writes, against buffered ones on another
 * descriptor of the file, and extending the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

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

static const struct fcase direct_fcases[] = {
	{ "direct", direct_io },
};

const struct topic topic_direct = TOPIC_FCASES(direct_fcases);
