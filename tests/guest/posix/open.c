// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: open(2) and creat: O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY,
 * O_NOFOLLOW, symlinks on the way, the errors of a bad path or name
 * (ENOENT, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG).
 */
#define _GNU_SOURCE
#include <errno.h>

#include "posix.h"

static const struct tcase open_cases[] = {
	{ "open-creat", "", op_creat, "a", 0, 0, "f:a= m:a=644", 0 },
	{ "open-creat-exists", "f:a#600", op_creat, "a", 0, 0, "f:a=a m:a=600",
	  0 },
	{ "open-excl", "", op_creat_excl, "a", 0, 0, "f:a= n:a=1", 0 },
	{ "open-excl-eexist", "f:a", op_creat_excl, "a", 0, EEXIST, "f:a=a", 0 },
	{ "open-excl-eexist-dir", "d:d", op_creat_excl, "d", 0, EEXIST, "d:d", 0 },
	{ "open-excl-dangling-symlink", "l:s=nowhere", op_creat_excl, "s", 0,
	  EEXIST, "l:s=nowhere -nowhere", 0 },
	{ "open-creat-via-symlink", "l:s=t", op_creat, "s", 0, 0, "f:t= l:s=t", 0 },
	{ "open-enoent", "", op_open_r, "a", 0, ENOENT, "-a", 0 },
	{ "open-enoent-path", "", op_open_r, "no/a", 0, ENOENT, "", 0 },
	{ "open-creat-enoent-path", "", op_creat, "no/a", 0, ENOENT, "-no", 0 },
	{ "open-enotdir", "f:a", op_open_r, "a/b", 0, ENOTDIR, "", 0 },
	{ "open-creat-enotdir", "f:a", op_creat, "a/b", 0, ENOTDIR, "f:a=a", 0 },
	{ "open-eisdir-write", "d:d", op_open_w, "d", 0, EISDIR, "", 0 },
	{ "open-eisdir-rdwr", "d:d", op_open_rw, "d", 0, EISDIR, "", 0 },
	{ "open-eisdir-creat", "d:d", op_creat, "d", 0, EISDIR, "d:d", 0 },
	{ "open-read-dir", "d:d", op_open_r, "d", 0, 0, "", 0 },
	{ "open-directory-enotdir", "f:a", op_open_dir, "a", 0, ENOTDIR, "", 0 },
	{ "open-nofollow-eloop", "f:a l:s=a", op_open_nofollow, "s", 0, ELOOP,
	  "", 0 },
	{ "open-symlink-loop", "l:s=s", op_open_r, "s", 0, ELOOP, "", 0 },
	{ "open-trunc", "f:a", op_open_trunc, "a", 0, 0, "f:a= s:a=0", 0 },
	{ "open-nametoolong", "", op_creat, "%L", 0, ENAMETOOLONG, "", 0 },
	{ "open-nametoolong-1k", "", op_creat, "%K", 0, ENAMETOOLONG, "", 0 },
	{ "stat-nametoolong", "", op_lstat, "%L", 0, ENAMETOOLONG, "", 0 },
	{ "mkdir-nametoolong", "", op_mkdir, "%L", 0, ENAMETOOLONG, "", 0 },
	{ "open-name-255", "", op_creat,
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, 0, "", 0 },
};

const struct topic topic_open = TOPIC_CASES(open_cases);
