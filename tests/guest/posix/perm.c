// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: permissions as the unprivileged user (-u): the kernel must
 * enforce them (default_permissions) and the user must enter the mount
 * (allow_other): file modes, owner and group, search and write permission
 * of directories, the sticky bit, chmod/chown/utimes/setxattr by others.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "posix.h"

static const struct tcase perm_cases[] = {
	{ "perm-read-0600", "f:a#600", op_open_r, "a", 0, EACCES, "", U },
	{ "perm-write-0644", "f:a#644", op_open_w, "a", 0, EACCES, "f:a=a", U },
	{ "perm-read-0644", "f:a#644", op_open_r, "a", 0, 0, "", T_USER },
	{ "perm-owner-0000", "f:a#000@1000:1000", op_open_r, "a", 0, EACCES,
	  "", U },
	{ "perm-owner-0600", "f:a#600@1000:1000", op_open_rw, "a", 0, 0, "", T_USER },
	{ "perm-group-0640", "f:a#640@0:1000", op_open_r, "a", 0, 0, "", T_USER },
	{ "perm-group-only-0604", "f:a#604@0:1000", op_open_r, "a", 0, EACCES,
	  "", U },
	{ "perm-trunc-0644", "f:a#644", op_open_trunc, "a", 0, EACCES, "f:a=a",
	  U },
	{ "perm-truncate-0644", "f:a#644", op_truncate, "a", "0", EACCES,
	  "f:a=a", U },
	{ "perm-access-r", "f:a#600", op_access, "a", "r", EACCES, "", U },
	{ "perm-access-w", "f:a#644", op_access, "a", "w", EACCES, "", U },
	{ "perm-access-x", "f:a#644", op_access, "a", "x", EACCES, "", U },
	{ "perm-access-rx", "f:a#755", op_access, "a", "rx", 0, "", T_USER },
	{ "perm-dir-nox-lookup", "d:d f:d/a d:d#766", op_lstat, "d/a", 0, EACCES,
	  "", U },
	{ "perm-dir-nox-chdir", "d:d#766", op_chdir, "d", 0, EACCES, "", U },
	{ "perm-dir-nor-readdir", "d:d f:d/a d:d#711", op_readdir, "d", 0,
	  EACCES, "", U },
	{ "perm-dir-nor-lookup-ok", "d:d f:d/a d:d#711", op_lstat, "d/a", 0, 0,
	  "", T_USER },
	{ "perm-dir-now-create", "d:d#755", op_creat, "d/new", 0, EACCES,
	  "-d/new", U },
	{ "perm-dir-now-mkdir", "d:d#755", op_mkdir, "d/new", 0, EACCES,
	  "-d/new", U },
	{ "perm-dir-now-unlink", "d:d f:d/a d:d#755", op_unlink, "d/a", 0,
	  EACCES, "f:d/a", U },
	{ "perm-dir-now-rename", "d:d f:d/a d:d#755", op_rename, "d/a", "d/b",
	  EACCES, "f:d/a -d/b", U },
	{ "perm-dir-now-symlink", "d:d#755", op_symlink, "x", "d/s", EACCES,
	  "-d/s", U },
	{ "perm-sticky-unlink", "d:d f:d/a d:d#1777", op_unlink, "d/a", 0, EPERM,
	  "f:d/a", U },
	{ "perm-sticky-rename", "d:d f:d/a d:d#1777", op_rename, "d/a", "d/b",
	  EPERM, "f:d/a -d/b", U },
	{ "perm-sticky-own-unlink", "d:d f:d/a@1000:1000 d:d#1777", op_unlink,
	  "d/a", 0, 0, "-d/a", T_USER },
	{ "perm-chmod-notowner", "f:a#666", op_chmod, "a", "777", EPERM,
	  "m:a=666", U },
	{ "perm-chmod-owner", "f:a#600@1000:1000", op_chmod, "a", "640", 0,
	  "m:a=640", T_USER },
	{ "perm-chown-to-root", "f:a@1000:1000", op_chown, "a", "0:-1", EPERM,
	  "u:a=1000:1000", U },
	{ "perm-chgrp-nonmember", "f:a@1000:1000", op_chown, "a", "-1:0", EPERM,
	  "u:a=1000:1000", U },
	{ "perm-utime-now-writable", "f:a#666", op_utime_now, "a", 0, 0, "",
	  T_USER | T_OPT },
	{ "perm-utime-now-readonly", "f:a#644", op_utime_now, "a", 0, EACCES, "",
	  U | T_OPT },
	{ "perm-utime-set-notowner", "f:a#666", op_utime_set, "a", 0, EPERM, "",
	  U | T_OPT },
	{ "perm-utime-set-owner", "f:a#600@1000:1000", op_utime_set, "a", 0, 0,
	  "", T_USER | T_OPT },
	{ "perm-mknod-chr", "d:d#777", op_mknod_chr, "d/c", 0, EPERM, "-d/c",
	  T_USER },
	{ "perm-link-dir-now", "f:a@1000:1000 d:d#755", op_link, "a", "d/b",
	  EACCES,
	  "-d/b", U },
	{ "perm-setxattr-notowner", "f:a#644", op_setxattr, "a", "u", EACCES, "",
	  U | T_XATTR | T_OPT },
	{ "xattr-user-symlink-eperm", "f:a l:s=a", op_setxattr, "s", "u", EPERM,
	  "", T_XATTR | T_OPT },
};

const struct topic topic_perm = TOPIC_CASES(perm_cases);
