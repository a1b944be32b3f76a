// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: mkdir(2) and rmdir(2): st_nlink of the directory and its
 * parent, EEXIST, ENOTEMPTY, ENOTDIR, rmdir of . and .. and a symlink.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "posix.h"

static const struct tcase mkdir_cases[] = {
	{ "mkdir", "", op_mkdir, "d", 0, 0, "d:d n:d=2 m:d=755", 0 },
	{ "mkdir-nlink-parent", "d:d", op_mkdir, "d/s", 0, 0, "n:d=3 n:d/s=2", 0 },
	{ "mkdir-eexist-file", "f:a", op_mkdir, "a", 0, EEXIST, "f:a=a", 0 },
	{ "mkdir-eexist-dir", "d:d", op_mkdir, "d", 0, EEXIST, "d:d", 0 },
	{ "mkdir-eexist-symlink", "l:s=nowhere", op_mkdir, "s", 0, EEXIST,
	  "-nowhere", 0 },
	{ "mkdir-enoent", "", op_mkdir, "no/d", 0, ENOENT, "", 0 },
	{ "mkdir-enotdir", "f:a", op_mkdir, "a/d", 0, ENOTDIR, "", 0 },
	{ "rmdir", "d:d", op_rmdir, "d", 0, 0, "-d", 0 },
	{ "rmdir-nlink-parent", "d:d d:d/s", op_rmdir, "d/s", 0, 0, "n:d=2", 0 },
	{ "rmdir-enotempty", "d:d f:d/a", op_rmdir, "d", 0, ENOTEMPTY,
	  "f:d/a=d/a", 0 },
	{ "rmdir-enotempty-subdir", "d:d d:d/s", op_rmdir, "d", 0, ENOTEMPTY,
	  "d:d/s", 0 },
	{ "rmdir-enotdir", "f:a", op_rmdir, "a", 0, ENOTDIR, "f:a", 0 },
	{ "rmdir-enoent", "", op_rmdir, "d", 0, ENOENT, "", 0 },
	{ "rmdir-symlink", "d:d l:s=d", op_rmdir, "s", 0, ENOTDIR, "d:d l:s=d", 0 },
	{ "rmdir-dot", "d:d", op_rmdir, "d/.", 0, EINVAL, "d:d", 0 },
	{ "rmdir-dotdot", "d:d", op_rmdir, "d/..", 0, ENOTEMPTY, "d:d", 0 },
};

const struct topic topic_mkdir = TOPIC_CASES(mkdir_cases);
