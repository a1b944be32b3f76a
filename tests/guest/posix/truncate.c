// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: truncate(2) and ftruncate(2): growing reads zeros, cut-off
 * data stays gone (also when it was cached), a read-only descriptor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

static const struct tcase truncate_cases[] = {
	{ "truncate-eisdir", "d:d", op_truncate, "d", 0, EISDIR, "", 0 },
	{ "truncate-enoent", "", op_truncate, "a", 0, ENOENT, "", 0 },
	{ "truncate-grow", "f:a", op_truncate, "a", "5000", 0, "s:a=5000", 0 },
	{ "truncate-shrink", "f:a", op_truncate, "a", "0", 0, "f:a= s:a=0", 0 },
};

const struct topic topic_truncate = TOPIC_CASES(truncate_cases);

static void trunc_grow_zeros(const char *name)
{
	unsigned char want[10000] = "0123456789";
	char err[300];

	if (put_file("a", want, 10) < 0 || truncate("a", sizeof(want)) < 0)
		return fail(name, "setup: %s", ename(errno));
	verdict(name, same_content("a", want, sizeof(want), err,
				   sizeof(err)) == 0, "%s", err);
}

static void ftrunc_shrink(const char *name)
{
	unsigned char buf[10000];
	char err[300];
	struct stat st;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	fill_pattern(buf, sizeof(buf), 3);
	if (fd < 0 || write_all(fd, buf, sizeof(buf), 0) < 0 ||
	    ftruncate(fd, 100) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (fstat(fd, &st) < 0 || st.st_size != 100)
		fail(name, "fstat size %lld", (long long)st.st_size);
	else if (pread(fd, err, 10, 100) != 0)
		fail(name, "data after the new EOF");
	else
		verdict(name, same_content("a", buf, 100, err, sizeof(err)) == 0,
			"%s", err);
	close(fd);
}

/* shrink and grow again: the cut-off data must not come back */
static void trunc_stale_cache(const char *name)
{
	unsigned char buf[8192], want[8192] = { 0 };
	long d;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	memset(buf, 'x', sizeof(buf));
	memset(want, 'x', 100);
	if (fd < 0 || write_all(fd, buf, sizeof(buf), 0) < 0 ||
	    read_all(fd, buf, sizeof(buf), 0) != sizeof(buf))
		return fail(name, "setup: %s", ename(errno));
	if (truncate("a", 100) < 0 || truncate("a", sizeof(buf)) < 0)
		fail(name, "truncate: %s", ename(errno));
	else if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf))
		fail(name, "short read after growing");
	else if ((d = first_diff(buf, want, sizeof(buf))) >= 0)
		fail(name, "byte %ld is 0x%02x after shrink+grow", d, buf[d]);
	else
		verdict(name, same_content("a", want, sizeof(want), (char *)buf,
					   sizeof(buf)) == 0, "%s", (char *)buf);
	close(fd);
}

static void ftrunc_rdonly(const char *name)
{
	int fd, e;

	if (put_file("a", "abc", 3) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(ftruncate(fd, 0));
	verdict(name, e == EINVAL || e == EBADF, "got %s, want EINVAL",
		ename(e));
	close(fd);
}

static const struct fcase truncate_fcases[] = {
	{ "truncate-grow-zeros", trunc_grow_zeros },
	{ "ftruncate-shrink", ftrunc_shrink },
	{ "truncate-shrink-grow-cached", trunc_stale_cache },
	{ "ftruncate-rdonly-einval", ftrunc_rdonly },
};

const struct topic topic_truncate_data = TOPIC_FCASES(truncate_fcases);
