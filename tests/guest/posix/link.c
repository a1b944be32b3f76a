// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: unlink(2) and link(2): hard links, st_nlink, same inode,
 * the errors (EISDIR, EPERM for a directory, EEXIST, ENOENT).
 */
#define _GNU_SOURCE
#include <errno.h>

#include "posix.h"

static const struct tcase unlink_cases[] = {
	{ "unlink", "f:a", op_unlink, "a", 0, 0, "-a", 0 },
	{ "unlink-eisdir", "d:d", op_unlink, "d", 0, EISDIR, "d:d", 0 },
	{ "unlink-enoent", "", op_unlink, "a", 0, ENOENT, "", 0 },
	{ "unlink-enotdir", "f:a", op_unlink, "a/b", 0, ENOTDIR, "f:a", 0 },
	{ "unlink-symlink", "f:a l:s=a", op_unlink, "s", 0, 0, "-s f:a=a", 0 },
	{ "unlink-fifo", "p:p", op_unlink, "p", 0, 0, "-p", 0 },
	{ "unlink-hardlink-nlink", "f:a h:b=a", op_unlink, "b", 0, 0,
	  "-b f:a=a n:a=1", 0 },
};

const struct topic topic_unlink = TOPIC_CASES(unlink_cases);

static const struct tcase link_cases[] = {
	{ "link", "f:a", op_link, "a", "b", 0, "f:b=a n:a=2 n:b=2 i:a=b", 0 },
	{ "link-eexist", "f:a f:b", op_link, "a", "b", EEXIST, "f:b=b n:a=1", 0 },
	{ "link-dir-eperm", "d:d", op_link, "d", "e", EPERM, "-e n:d=2", 0 },
	{ "link-enoent", "", op_link, "a", "b", ENOENT, "-b", 0 },
	{ "link-symlink", "l:s=nowhere", op_link, "s", "t", 0,
	  "l:t=nowhere n:s=2", 0 },
	{ "link-third", "f:a h:b=a", op_link, "b", "c", 0, "n:a=3 n:c=3 f:c=a", 0 },
};

const struct topic topic_link = TOPIC_CASES(link_cases);
