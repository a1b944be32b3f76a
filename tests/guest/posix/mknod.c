// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: mknod(2) of fifos, regular files and (as root) character
 * devices, and st_rdev of a device node.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "posix.h"

static const struct tcase mknod_cases[] = {
	{ "mknod-fifo", "", op_mkfifo, "p", 0, 0, "p:p m:p=644", 0 },
	{ "mknod-reg", "", op_mknod_reg, "r", 0, 0, "f:r= m:r=644", 0 },
	{ "mknod-chr", "", op_mknod_chr, "c", 0, 0, "c:c m:c=644", T_ROOT },
	{ "mknod-eexist", "f:a", op_mkfifo, "a", 0, EEXIST, "f:a=a", 0 },
	{ "mknod-enoent", "", op_mkfifo, "no/p", 0, ENOENT, "", 0 },
	{ "mknod-enotdir", "f:a", op_mkfifo, "a/p", 0, ENOTDIR, "", 0 },
};

const struct topic topic_mknod = TOPIC_CASES(mknod_cases);

static void mknod_rdev(const char *name)
{
	struct stat st;

	if (!cfg.is_root)
		return skip(name, "needs root");
	if (mknod("c", S_IFCHR | 0600, makedev(1, 3)) < 0)
		return fail(name, "mknod: %s", ename(errno));
	verdict(name, lstat("c", &st) == 0 && st.st_rdev == makedev(1, 3),
		"rdev %u:%u, want 1:3", major(st.st_rdev), minor(st.st_rdev));
}

static const struct fcase mknod_rdev_fcases[] = {
	{ "mknod-chr-rdev", mknod_rdev },
};

const struct topic topic_mknod_rdev = TOPIC_FCASES(mknod_rdev_fcases);
