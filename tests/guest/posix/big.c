// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: offsets past 2 and 4 GiB in a sparse file: pwrite and pread,
 * st_size, holes, EOF, ftruncate up and down.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

#define GIB (1024LL * 1024 * 1024)

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

static const struct fcase big_fcases[] = {
	{ "big", big_offsets },
};

const struct topic topic_big = TOPIC_FCASES(big_fcases);
