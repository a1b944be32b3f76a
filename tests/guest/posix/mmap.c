// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: shared and private mappings: mmap writes reach the file
 * (with msync and by close alone), mapped reads, MAP_PRIVATE stays
 * private, SIGBUS past EOF. topic_io (io.c) runs them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "posix.h"

/*
 * "a" made len bytes long and mapped shared, want stored through the
 * mapping: the mapping (*fd its descriptor), or NULL after a FAIL line
 */
static unsigned char *map_stored(const char *name, const unsigned char *want,
				 size_t len, int *fd)
{
	unsigned char *m;

	*fd = open("a", O_RDWR | O_CREAT, 0644);
	if (*fd < 0 || ftruncate(*fd, len) < 0) {
		fail(name, "setup: %s", ename(errno));
		return NULL;
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (m == MAP_FAILED) {
		fail(name, "mmap: %s", ename(errno));
		return NULL;
	}
	memcpy(m, want, len);
	return m;
}

void io_mmap_write(const char *name)
{
	size_t len = 3 * 4096 + 100;
	unsigned char *want = xmalloc(len), *m;
	char err[300];
	int fd;

	fill_pattern(want, len, 7);
	m = map_stored(name, want, len, &fd);
	if (!m)
		goto out;
	if (msync(m, len, MS_SYNC) < 0)
		fail(name, "msync: %s", ename(errno));
	else if (munmap(m, len) < 0 || close(fd) < 0)
		fail(name, "munmap/close: %s", ename(errno));
	else
		verdict(name, same_content("a", want, len, err, sizeof(err)) == 0,
			"%s", err);
out:
	free(want);
}

void io_mmap_read(const char *name)
{
	size_t len = 2 * 4096 + 7;
	unsigned char *want = xmalloc(len), *m;
	long d;
	int fd;

	fill_pattern(want, len, 9);
	if (put_file("a", want, len) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fail(name, "mmap: %s", ename(errno));
	} else {
		d = first_diff(m, want, len);
		verdict(name, d < 0, "mapping differs at byte %ld", d);
		munmap(m, len);
	}
	close(fd);
	free(want);
}

/* dirty shared mapping, no msync: close must get the data written */
void io_mmap_close(const char *name)
{
	size_t len = 2 * 4096;
	unsigned char *want = xmalloc(len), *m;
	char err[300];
	int fd;

	fill_pattern(want, len, 31);
	m = map_stored(name, want, len, &fd);
	if (!m)
		goto out;
	munmap(m, len);
	close(fd);
	verdict(name, same_content("a", want, len, err, sizeof(err)) == 0, "%s",
		err);
out:
	free(want);
}

void mmap_private(const char *name)
{
	char *m, err[300];
	int fd;

	if (put_file("a", "private!", 8) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	m = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		return fail(name, "mmap: %s", ename(errno));
	}
	memcpy(m, "CHANGED!", 8);
	munmap(m, 8);
	close(fd);
	verdict(name, same_content("a", (const unsigned char *)"private!", 8,
				   err, sizeof(err)) == 0, "%s", err);
}

/* touching a mapped page wholly past EOF raises SIGBUS */
void mmap_sigbus(const char *name)
{
	long pg = sysconf(_SC_PAGESIZE);
	volatile char *m;
	int fd, st;
	pid_t pid;

	if (put_file("a", "short", 5) < 0 || (fd = open("a", O_RDONLY)) < 0)
		return fail(name, "setup: %s", ename(errno));
	/* the page after the one holding EOF: past it (4 or 16 KiB pages) */
	m = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail(name, "mmap: %s", ename(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(m[200] == 0 && m[pg + 10] == 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	verdict(name, WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
		"child %s %d (want SIGBUS)", WIFSIGNALED(st) ? "got signal" :
		"exited with", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	close(fd);
}
