// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: rename(2) and renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE,
 * RENAME_WHITEOUT): over files and directories, across directories,
 * into itself, hard links of one inode, the errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "posix.h"

static const struct tcase rename_cases[] = {
	{ "rename", "f:a", op_rename, "a", "b", 0, "-a f:b=a", 0 },
	{ "rename-over-file", "f:a f:b", op_rename, "a", "b", 0, "-a f:b=a n:b=1", 0 },
	{ "rename-over-empty-dir", "d:a f:a/x d:b", op_rename, "a", "b", 0,
	  "-a f:b/x=a/x n:.=3", 0 },
	{ "rename-over-nonempty-dir", "d:a d:b f:b/x", op_rename, "a", "b",
	  ENOTEMPTY, "d:a f:b/x=b/x", 0 },
	{ "rename-file-over-dir", "f:a d:b", op_rename, "a", "b", EISDIR,
	  "f:a=a d:b", 0 },
	{ "rename-dir-over-file", "d:a f:b", op_rename, "a", "b", ENOTDIR,
	  "d:a f:b=b", 0 },
	{ "rename-into-own-subdir", "d:a d:a/b", op_rename, "a", "a/b/c", EINVAL,
	  "d:a/b -a/b/c", 0 },
	{ "rename-into-self", "d:a", op_rename, "a", "a/c", EINVAL, "d:a", 0 },
	{ "rename-enoent", "", op_rename, "a", "b", ENOENT, "-b", 0 },
	{ "rename-enoent-target-dir", "f:a", op_rename, "a", "no/b", ENOENT,
	  "f:a=a", 0 },
	{ "rename-enotdir-target-dir", "f:a f:b", op_rename, "a", "b/c", ENOTDIR,
	  "f:a=a f:b=b", 0 },
	{ "rename-over-hardlink-nlink", "f:a f:b h:c=b", op_rename, "a", "b", 0,
	  "f:b=a n:b=1 f:c=b n:c=1", 0 },
	{ "rename-same", "f:a", op_rename, "a", "a", 0, "f:a=a", 0 },
	{ "rename-hardlinks-noop", "f:a h:b=a", op_rename, "a", "b", 0,
	  "f:a=a f:b=a n:a=2", 0 },
	{ "rename-symlink", "f:a l:s=a", op_rename, "s", "t", 0,
	  "-s l:t=a f:a=a", 0 },
	{ "rename-across-dirs", "d:x d:y f:x/a", op_rename, "x/a", "y/b", 0,
	  "-x/a f:y/b=x/a", 0 },
	{ "rename-dir-across-dirs", "d:x d:y d:x/d", op_rename, "x/d", "y/d", 0,
	  "-x/d d:y/d n:x=2 n:y=3", 0 },
	{ "rename-dir-dotdot", "d:x d:y d:x/d", op_rename, "x/d", "y/d", 0,
	  "i:y/d/..=y", 0 },
	{ "rename-dot", "d:d", op_rename, "d/.", "e", EBUSY, "d:d -e", 0 },
	{ "rename-noreplace-eexist", "f:a f:b", op_noreplace, "a", "b", EEXIST,
	  "f:a=a f:b=b", T_FLAGS },
	{ "rename-noreplace", "f:a", op_noreplace, "a", "b", 0, "-a f:b=a",
	  T_FLAGS },
	{ "rename-exchange", "f:a d:b f:b/x", op_exchange, "a", "b", 0,
	  "d:a f:a/x=b/x f:b=a", T_FLAGS },
	{ "rename-exchange-enoent", "f:a", op_exchange, "a", "b", ENOENT,
	  "f:a=a -b", T_FLAGS },
};

const struct topic topic_rename = TOPIC_CASES(rename_cases);

/*
 * FUSE daemons that reject renameat2 flags give EINVAL; a file system with
 * whiteouts (tmpfs, as root) leaves a 0/0 character device behind.
 */
static void rename_whiteout(const char *name)
{
	char err[300];
	struct stat st;
	int e;

	if (put_file("a", "a", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_WHITEOUT));
	if (e == EINVAL) {
		verdict(name, check_post("f:a=a -b", err, sizeof(err)) == 0,
			"after EINVAL: %s", err);
		return;
	}
	if (e)
		return fail(name, "got %s, want EINVAL", ename(e));
	verdict(name, lstat("a", &st) == 0 && S_ISCHR(st.st_mode) &&
		st.st_rdev == makedev(0, 0) &&
		check_post("f:b=a", err, sizeof(err)) == 0,
		"no whiteout left behind (%s)", err);
}

static const struct fcase whiteout_fcases[] = {
	{ "rename-whiteout", rename_whiteout },
};

const struct topic topic_rename_whiteout = TOPIC_FCASES(whiteout_fcases);
