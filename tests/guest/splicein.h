/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splice_in(): the lock-order checks' way into a file through a pipe (a
 * splice takes the pipe, then what the file's write path takes). Include
 * after <fcntl.h> and <unistd.h> with _GNU_SOURCE defined.
 */
#ifndef FUSEPT_TEST_SPLICEIN_H
#define FUSEPT_TEST_SPLICEIN_H

/* splice n bytes of s into fd at *off (NULL: its position) through a pipe */
static inline ssize_t splice_in(int fd, loff_t *off, const char *s, size_t n)
{
	ssize_t r = -1;
	int p[2];

	if (pipe(p))
		return -1;
	if (write(p[1], s, n) == (ssize_t)n)
		r = splice(p[0], NULL, fd, off, n, 0);
	close(p[0]);
	close(p[1]);
	return r;
}

#endif
