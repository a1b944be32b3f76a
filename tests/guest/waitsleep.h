/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wait_sleeping() for the guest test programs that make one process wait
 * for another's lock: the holder lets go only once the waiter really waits.
 */
#ifndef FUSEPT_TESTS_WAITSLEEP_H
#define FUSEPT_TESTS_WAITSLEEP_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Poll /proc/PID/stat every 20 ms, for up to 10 s, until PID sleeps ('S':
 * in the lock wait or the FUSE request wait, both interruptible). Returns
 * the last state seen, '?' if PID is gone.
 */
static inline char wait_sleeping(pid_t pid)
{
	char path[64], buf[1024], *s, st = '?';
	ssize_t n;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 500; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return '?';
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n < 0 ? 0 : n] = 0;
		s = strrchr(buf, ')');
		if (!s || s[1] != ' ' || !s[2])
			return '?';
		st = s[2];
		if (st == 'S' || st == 'Z' || st == 'X')
			break;
		usleep(20000);
	}
	return st;
}

#endif
