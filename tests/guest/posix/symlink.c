// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: symlink(2) and readlink(2): targets up to 4000 bytes, a
 * buffer too small, readlink of a non-link.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

static const struct tcase symlink_cases[] = {
	{ "symlink", "", op_symlink, "some/where", "s", 0,
	  "l:s=some/where s:s=10", 0 },
	{ "symlink-eexist", "f:a", op_symlink, "x", "a", EEXIST, "f:a=a", 0 },
	{ "symlink-enoent", "", op_symlink, "x", "no/s", ENOENT, "", 0 },
	{ "readlink-einval", "f:a", op_readlink, "a", 0, EINVAL, "", 0 },
	{ "readlink-enoent", "", op_readlink, "a", 0, ENOENT, "", 0 },
};

const struct topic topic_symlink = TOPIC_CASES(symlink_cases);

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

static const struct fcase symlink_long_fcases[] = {
	{ "symlink-long-target", symlink_long },
	{ "readlink-small-buffer", readlink_small },
};

const struct topic topic_symlink_long = TOPIC_FCASES(symlink_long_fcases);
