// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: data through read(2) and write(2): what was written reads
 * back (with -l also from the lower file the daemon wrote), cached pages
 * against later writes, O_TRUNC, holes, unlinked and renamed open files,
 * EOF, RLIMIT_FSIZE, st_size after a write. The mmap checks (mmap.c) run
 * among these, in the order of the table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

static void io_write_read(const char *name)
{
	static const size_t chunks[] = { 1, 4095, 4097, 65539, 12345, 113923 };
	size_t total = 0, i;
	unsigned char *buf;
	char err[300];
	int fd;

	for (i = 0; i < ARRAY_SIZE(chunks); i++)
		total += chunks[i];
	buf = xmalloc(total);
	fill_pattern(buf, total, 1);
	fd = open("a", O_WRONLY | O_CREAT, 0644);
	for (i = 0, total = 0; fd >= 0 && i < ARRAY_SIZE(chunks); i++) {
		if (write(fd, buf + total, chunks[i]) != (ssize_t)chunks[i])
			break;
		total += chunks[i];
	}
	if (fd < 0 || i < ARRAY_SIZE(chunks))
		fail(name, "open/write: %s", ename(errno));
	else if (close(fd) < 0)
		fail(name, "close: %s", ename(errno));
	else if (same_content("a", buf, total, err, sizeof(err)) < 0)
		fail(name, "%s", err);
	else
		pass(name);
	free(buf);
}

static void io_overwrite(const char *name)
{
	unsigned char buf[3 * 4096];
	char err[300];
	int fd;

	memset(buf, 'a', sizeof(buf));
	if (put_file("a", buf, sizeof(buf)) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf)) {
		close(fd);
		return fail(name, "read: %s", ename(errno));
	}
	memset(buf + 4000, 'b', 300);
	if (write_all(fd, buf + 4000, 300, 4000) < 0) {
		close(fd);
		return fail(name, "pwrite: %s", ename(errno));
	}
	close(fd);
	verdict(name, same_content("a", buf, sizeof(buf), err,
				   sizeof(err)) == 0, "%s", err);
}

static void io_read_eof(const char *name)
{
	char buf[16];
	int fd;

	if (put_file("a", "0123456789", 10) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (pread(fd, buf, sizeof(buf), 10) != 0)
		fail(name, "pread at EOF did not return 0");
	else if (pread(fd, buf, sizeof(buf), 1000) != 0)
		fail(name, "pread past EOF did not return 0");
	else if (pread(fd, buf, sizeof(buf), 5) != 5)
		fail(name, "pread across EOF did not return 5");
	else
		pass(name);
	close(fd);
}

static void io_hardlink_shared(const char *name)
{
	char buf[16] = "";
	int fdb;

	if (put_file("a", "old", 3) < 0 || link("a", "b") < 0 ||
	    (fdb = open("b", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (read(fdb, buf, sizeof(buf)) < 0 || put_file("a", "new!", 4) < 0)
		fail(name, "read/write: %s", ename(errno));
	else if (pread(fdb, buf, sizeof(buf), 0) != 4 || memcmp(buf, "new!", 4))
		fail(name, "b shows '%.4s', want 'new!'", buf);
	else
		pass(name);
	close(fdb);
}

static void io_unlinked_open(const char *name)
{
	char buf[16] = "";
	struct stat st;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || unlink("a") < 0)
		return fail(name, "setup: %s", ename(errno));
	if (write_all(fd, "still here", 10, 0) < 0 ||
	    pread(fd, buf, sizeof(buf), 0) != 10)
		fail(name, "io on the unlinked file: %s", ename(errno));
	else if (memcmp(buf, "still here", 10))
		fail(name, "read back '%.10s'", buf);
	else if (fstat(fd, &st) < 0 || st.st_nlink != 0)
		fail(name, "fstat: nlink %lu (%s)", (unsigned long)st.st_nlink,
		     ename(errno));
	else
		pass(name);
	close(fd);
}

static void io_rename_open(const char *name)
{
	char buf[16] = "";
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || rename("a", "b") < 0)
		return fail(name, "setup: %s", ename(errno));
	if (write_all(fd, "moved", 5, 0) < 0)
		fail(name, "write: %s", ename(errno));
	else if (get_file("b", buf, sizeof(buf)) != 5 || memcmp(buf, "moved", 5))
		fail(name, "b holds '%s'", buf);
	else
		pass(name);
	close(fd);
}

static void io_sparse_read(const char *name)
{
	unsigned char *buf = xmalloc(1 << 20);
	long d;
	int fd = open("a", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || write_all(fd, "end", 3, 1 << 20) < 0)
		fail(name, "setup: %s", ename(errno));
	else if (read_all(fd, buf, 1 << 20, 0) != 1 << 20)
		fail(name, "short read of the hole");
	else if ((d = first_nonzero(buf, 1 << 20)) >= 0)
		fail(name, "hole has a nonzero byte at %ld", d);
	else
		pass(name);
	if (fd >= 0)
		close(fd);
	free(buf);
}

/* a write past EOF leaves a hole of zeros (also in a cached page) */
static void io_extend_gap(const char *name)
{
	unsigned char want[6000] = { 0 };
	char err[300];
	int fd;

	memset(want, 'a', 3000);
	memset(want + 5000, 'b', 1000);
	if (put_file("a", want, 3000) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	read_all(fd, err, 100, 0);
	if (write_all(fd, want + 5000, 1000, 5000) < 0)
		fail(name, "pwrite: %s", ename(errno));
	else
		verdict(name, same_content("a", want, sizeof(want), err,
					   sizeof(err)) == 0, "%s", err);
	close(fd);
}

/* shrink inside a cached page, write past the new EOF: no old bytes */
static void io_partial_page(const char *name)
{
	unsigned char buf[4096], want[201] = { 0 };
	char err[300];
	int fd;

	memset(buf, 'x', sizeof(buf));
	memset(want, 'x', 100);
	want[200] = 'y';
	if (put_file("a", buf, sizeof(buf)) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (read_all(fd, buf, sizeof(buf), 0) != sizeof(buf) ||
	    ftruncate(fd, 100) < 0 || write_all(fd, "y", 1, 200) < 0)
		fail(name, "read/ftruncate/pwrite: %s", ename(errno));
	else
		verdict(name, same_content("a", want, sizeof(want), err,
					   sizeof(err)) == 0, "%s", err);
	close(fd);
}

/* a reader's cached pages must not survive another open(O_TRUNC) */
static void io_otrunc_cached(const char *name)
{
	char buf[64] = "";
	int fd, fw;

	if (put_file("a", "old content", 11) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	read_all(fd, buf, sizeof(buf), 0);
	fw = open("a", O_WRONLY | O_TRUNC);
	if (fw < 0 || write_all(fw, "new", 3, 0) < 0)
		fail(name, "open(O_TRUNC)/write: %s", ename(errno));
	else
		verdict(name, read_all(fd, buf, sizeof(buf), 0) == 3 &&
			!memcmp(buf, "new", 3), "the reader sees '%s'", buf);
	if (fw >= 0)
		close(fw);
	close(fd);
}

/* rename over a file that is open: the old inode lives on, unlinked */
static void rename_over_open(const char *name)
{
	char buf[8] = "";
	struct stat st;
	int fd;

	if (put_file("a", "a", 1) < 0 || put_file("b", "b", 1) < 0 ||
	    (fd = open("b", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (rename("a", "b") < 0)
		fail(name, "rename: %s", ename(errno));
	else
		verdict(name, fstat(fd, &st) == 0 && st.st_nlink == 0 &&
			pread(fd, buf, 8, 0) == 1 && buf[0] == 'b',
			"old file: nlink %lu, content '%s'",
			(unsigned long)st.st_nlink, buf);
	close(fd);
}

/* RLIMIT_FSIZE: EFBIG past it, a short write across it (in this child) */
static void fsize_limit(const char *name)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	int fd = open("a", O_RDWR | O_CREAT, 0644), e, e2;
	ssize_t n;

	if (fd < 0)
		return fail(name, "setup: %s", ename(errno));
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return fail(name, "setrlimit: %s", ename(errno));
	e = err_of(pwrite(fd, "x", 1, 1 << 20) < 0 ? -1 : 0);
	n = pwrite(fd, "0123456789abcdefghij", 20, (1 << 20) - 10);
	e2 = err_of(ftruncate(fd, (1 << 20) + 1));
	verdict(name, e == EFBIG && n == 10 && e2 == EFBIG && fsize(fd) == 1 << 20,
		"write past: %s, across: %zd (want 10), ftruncate past: %s, "
		"size %d", ename(e), n, ename(e2), fsize(fd));
	close(fd);
}

static void stat_after_write(const char *name)
{
	unsigned char buf[12345];
	struct stat st;

	if (put_file("a", "x", 1) < 0 || stat("a", &st) < 0)
		return fail(name, "setup: %s", ename(errno));
	memset(buf, 'q', sizeof(buf));
	if (put_file("a", buf, sizeof(buf)) < 0 || stat("a", &st) < 0)
		return fail(name, "write/stat: %s", ename(errno));
	verdict(name, st.st_size == sizeof(buf), "size %lld, want %zu",
		(long long)st.st_size, sizeof(buf));
}

static void read_wronly(const char *name)
{
	char c;
	int fd, e;

	if (put_file("a", "x", 1) < 0 || (fd = open("a", O_WRONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	e = err_of(read(fd, &c, 1) < 0 ? -1 : 0);
	verdict(name, e == EBADF, "got %s, want EBADF", ename(e));
	close(fd);
}

static const struct fcase io_fcases[] = {
	{ "io-write-read", io_write_read },
	{ "io-overwrite-cached", io_overwrite },
	{ "io-read-eof", io_read_eof },
	{ "io-hardlink-shared", io_hardlink_shared },
	{ "io-unlinked-open", io_unlinked_open },
	{ "io-rename-open", io_rename_open },
	{ "io-mmap-write", io_mmap_write },
	{ "io-mmap-read", io_mmap_read },
	{ "io-sparse-read", io_sparse_read },
	{ "io-extend-gap", io_extend_gap },
	{ "io-partial-page-eof", io_partial_page },
	{ "io-otrunc-cached", io_otrunc_cached },
	{ "io-mmap-close-writeback", io_mmap_close },
	{ "mmap-private", mmap_private },
	{ "mmap-sigbus", mmap_sigbus },
	{ "rename-over-open", rename_over_open },
	{ "rlimit-fsize", fsize_limit },
	{ "io-read-wronly-ebadf", read_wronly },
	{ "stat-size-after-write", stat_after_write },
};

const struct topic topic_io = TOPIC_FCASES(io_fcases);
