// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: fsync(2) and fdatasync(2) of files (also read-only) and of
 * directories.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "posix.h"

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

static const struct fcase fsync_fcases[] = {
	{ "sync", sync_calls },
};

const struct topic topic_fsync = TOPIC_FCASES(fsync_fcases);
