// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: the umask on the mode of new files, directories and fifos.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "posix.h"

static void umask_checks(const char *name)
{
	static const struct {
		const char *name;
		op_fn op;
		const char *path;
		mode_t mask, want;
	} c[] = {
		{ "umask-creat", op_creat, "a", 027, 0640 },
		{ "umask-mkdir", op_mkdir, "d", 027, 0750 },
		{ "umask-mkfifo", op_mkfifo, "p", 077, 0600 },
	};
	struct stat st;
	mode_t old;
	size_t i;
	int e;

	(void)name;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		old = umask(c[i].mask);
		e = err_of(c[i].op(c[i].path, NULL));
		umask(old);
		if (e) {
			fail(c[i].name, "%s", ename(e));
			continue;
		}
		verdict(c[i].name, lstat(c[i].path, &st) == 0 &&
			(st.st_mode & 07777) == c[i].want, "mode %o, want %o",
			st.st_mode & 07777, c[i].want);
	}
}

static const struct fcase umask_fcases[] = {
	{ "umask", umask_checks },
};

const struct topic topic_umask = TOPIC_FCASES(umask_fcases);
