// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: chmod(2) and chown(2) as root, the clearing of the suid and
 * sgid bits (by chown, write and truncate) and fchmod/fchown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

/* chmod and chown as root */
static const struct tcase chmod_cases[] = {
	{ "chmod", "f:a", op_chmod, "a", "741", 0, "m:a=741", 0 },
	{ "chmod-dir", "d:d", op_chmod, "d", "1777", 0, "m:d=1777", 0 },
	{ "chmod-via-symlink", "f:a l:s=a", op_chmod, "s", "600", 0, "m:a=600", 0 },
	{ "chmod-enoent", "", op_chmod, "a", "644", ENOENT, "", 0 },
	{ "chown", "f:a", op_chown, "a", "1000:1000", 0, "u:a=1000:1000",
	  T_ROOT },
	{ "chown-group-only", "f:a", op_chown, "a", "-1:1000", 0, "u:a=0:1000",
	  T_ROOT },
	{ "lchown-symlink", "f:a l:s=a", op_chown, "s", "1000:1000", 0,
	  "u:s=1000:1000 u:a=0:0", T_ROOT },
};

const struct topic topic_chmod = TOPIC_CASES(chmod_cases);

/* suid/sgid clearing (Linux: chown clears them even for root) */
static const struct tcase suid_cases[] = {
	{ "suid-clear-chown-root", "f:a#6755", op_chown, "a", "1000:1000", 0,
	  "m:a=755", T_ROOT },
	{ "suid-clear-chown-user", "f:a#6755@1000:1000", op_chown, "a",
	  "-1:1000", 0, "m:a=755 u:a=1000:1000", T_USER },
	{ "suid-clear-write-user", "f:a#6777", op_write, "a", 0, 0,
	  "m:a=777 s:a=2", T_USER },
	{ "suid-clear-truncate-user", "f:a#6777", op_truncate, "a", "0", 0,
	  "m:a=777 s:a=0", T_USER },
	{ "sgid-nogx-kept-write-member", "f:a#2766@0:1000", op_write, "a", 0, 0,
	  "m:a=2766", T_USER },
	{ "suid-kept-write-root", "f:a#6777", op_write, "a", 0, 0, "m:a=6777",
	  T_ROOT },
	{ "sgid-clear-chmod-nonmember", "f:a#644@1000:0", op_chmod, "a", "2755",
	  0, "m:a=755", U },
};

const struct topic topic_suid = TOPIC_CASES(suid_cases);

static void fchmod_fchown(const char *name)
{
	struct stat st;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0)
		return fail(name, "setup: %s", ename(errno));
	if (fchmod(fd, 0604) < 0 || (cfg.is_root && fchown(fd, 1000, 1000) < 0))
		fail(name, "fchmod/fchown: %s", ename(errno));
	else
		verdict(name, fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0604 &&
			(!cfg.is_root || st.st_uid == 1000),
			"mode %o uid %u", st.st_mode & 07777, (unsigned)st.st_uid);
	close(fd);
}

static const struct fcase fchmod_fcases[] = {
	{ "fchmod-fchown", fchmod_fchown },
};

const struct topic topic_fchmod = TOPIC_FCASES(fchmod_fcases);
