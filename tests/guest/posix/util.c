// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: the result lines (PASS, FAIL, SKIP posix-NAME), errno names
 * and the helpers of the checks: whole reads and writes, file contents
 * compared through the mount and in the lower directory, patterns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

/* ------------------------------------------------------------ results */

static void oneline(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static void report(const char *what, const char *name, const char *fmt,
		   va_list ap)
{
	char detail[512];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	oneline(detail);
	printf("%s posix-%s: %s\n", what, name, detail);
	fflush(stdout);
}

void pass(const char *name)
{
	printf("PASS posix-%s\n", name);
	fflush(stdout);
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("FAIL", name, fmt, ap);
	va_end(ap);
}

void skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("SKIP", name, fmt, ap);
	va_end(ap);
}

/* snprintf that may truncate: details are cut, never overflow */
void sfmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, cap, f, ap);
	va_end(ap);
}

/* "ENOENT" for an errno value, "success" for 0 */
const char *ename(int e)
{
	static char buf[4][32];
	static int slot;
	const char *n;

	if (e == 0)
		return "success";
	n = strerrorname_np(e);
	if (n)
		return n;
	slot = (slot + 1) % 4;
	sfmt(buf[slot], sizeof(buf[slot]), "errno %d", e);
	return buf[slot];
}

/* pass or fail NAME on a condition, with a detail for the failure */
int verdict(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		pass(name);
		return 1;
	}
	va_start(ap, fmt);
	report("FAIL", name, fmt, ap);
	va_end(ap);
	return 0;
}

/* Daemons that lack an operation answer ENOSYS or EOPNOTSUPP. */
int unsupported(int e)
{
	return e == EOPNOTSUPP || e == ENOSYS || e == ENOTTY;
}

/* ------------------------------------------------------------ helpers */

/* -1 with errno set, or 0: the result as an errno value */
int err_of(int r)
{
	return r < 0 ? errno : 0;
}

int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

ssize_t read_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, off + got);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

int put_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int r, e;

	if (fd < 0)
		return -1;
	r = write_all(fd, buf, len, 0);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* read up to cap bytes of a file, -1 on error */
ssize_t get_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = read_all(fd, buf, cap, 0);
	e = errno;
	close(fd);
	errno = e;
	return n;
}

void fill_pattern(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;
	uint32_t x = seed * 2654435761u + 1;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = x >> 16;
	}
}

/* offset of the first difference, or -1 */
long first_diff(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/* offset of the first nonzero byte, or -1 */
long first_nonzero(const unsigned char *a, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i])
			return i;
	return -1;
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int fsize(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 ? -1 : (int)st.st_size;
}

void *xmalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		perror("posixtest: calloc");
		exit(2);
	}
	return p;
}

/* compare the whole content of path with want[0..len) */
static int same_one(const char *path, const unsigned char *want, size_t len,
		    char *err, size_t cap)
{
	unsigned char *got = xmalloc(len + 1);
	ssize_t n = get_file(path, got, len + 1);
	long d;
	int r = -1;

	if (n < 0)
		sfmt(err, cap, "read %s: %s", path, ename(errno));
	else if ((size_t)n != len)
		sfmt(err, cap, "%s has %zd bytes, want %zu", path, n, len);
	else if ((d = first_diff(got, want, len)) >= 0)
		sfmt(err, cap, "%s differs at byte %ld", path, d);
	else
		r = 0;
	free(got);
	return r;
}

/*
 * The file through the mount and, with -l, the lower file the daemon
 * wrote (so data that only reached the page cache is caught).
 */
int same_content(const char *path, const unsigned char *want, size_t len,
		 char *err, size_t cap)
{
	char low[PATH_MAX + 300];

	if (same_one(path, want, len, err, cap) < 0)
		return -1;
	if (!cfg.lower)
		return 0;
	sfmt(low, sizeof(low), "%s/%s", cfg.here_lower, path);
	return same_one(low, want, len, err, cap);
}

/* for SIGALRM, set without SA_RESTART: it only interrupts a wait */
void on_alarm(int sig)
{
	(void)sig;
}
