// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: O_APPEND: writes go to the end, from two descriptors too,
 * pwrite appends (Linux), the end follows a truncate by another path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "posix.h"

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

static const struct fcase append_fcases[] = {
	{ "append", append_checks },
	{ "append-after-truncate", append_after_truncate },
};

const struct topic topic_append = TOPIC_FCASES(append_fcases);
