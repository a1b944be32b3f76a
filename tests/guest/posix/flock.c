// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: flock(2): exclusive and shared locks between two open files,
 * unlock, release on close, a blocking LOCK_EX that waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../waitsleep.h"
#include "posix.h"

struct fstep {
	const char *name;
	int which;		/* 0: fa, 1: fb, 2: close fb */
	int op;
	int want;
};

static const struct fstep fsteps[] = {
	{ "flock-ex", 0, LOCK_EX | LOCK_NB, 0 },
	{ "flock-ex-conflict", 1, LOCK_EX | LOCK_NB, EWOULDBLOCK },
	{ "flock-sh-vs-ex", 1, LOCK_SH | LOCK_NB, EWOULDBLOCK },
	{ "flock-unlock", 0, LOCK_UN, 0 },
	{ "flock-sh-after-unlock", 1, LOCK_SH | LOCK_NB, 0 },
	{ "flock-sh-shared", 0, LOCK_SH | LOCK_NB, 0 },
	{ "flock-ex-vs-sh", 0, LOCK_EX | LOCK_NB, EWOULDBLOCK },
	{ "flock-close-releases", 2, LOCK_EX | LOCK_NB, 0 },
};

static void flock_steps(const char *name)
{
	size_t i;
	int fd[2], e, t;

	(void)name;
	if (put_file("a", "flock", 5) < 0 || (fd[0] = open("a", O_RDWR)) < 0 ||
	    (fd[1] = open("a", O_RDWR)) < 0)
		return fail("flock-ex", "setup: %s", ename(errno));
	for (i = 0; i < ARRAY_SIZE(fsteps); i++) {
		int w = fsteps[i].which;

		if (w == 2) {
			close(fd[1]);
			w = 0;
		}
		e = err_of(flock(fd[w], fsteps[i].op));
		/*
		 * A daemon that implements flock sees the unlock only with
		 * the RELEASE of the closed file, which FUSE sends
		 * asynchronously: allow it a moment.
		 */
		for (t = 0; fsteps[i].which == 2 && e == EWOULDBLOCK && t < 200;
		     t++) {
			msleep(10);
			e = err_of(flock(fd[w], fsteps[i].op));
		}
		verdict(fsteps[i].name, e == fsteps[i].want, "got %s, want %s",
			ename(e), ename(fsteps[i].want));
	}
	close(fd[0]);
}

/* a blocking LOCK_EX in a child waits for the holder */
static void flock_wait(const char *name)
{
	int fd, p[2], q[2];
	long long ms = -1;
	char st = '?';
	pid_t pid, waiter;

	if (put_file("a", "flock", 5) < 0 || (fd = open("a", O_RDWR)) < 0 ||
	    flock(fd, LOCK_EX) < 0 || pipe(p) < 0 || pipe(q) < 0)
		return fail(name, "setup: %s", ename(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		int f = open("a", O_RDWR);
		pid_t me = getpid();
		long long t0;

		sigaction(SIGALRM, &sa, NULL);
		alarm(10);
		if (write(p[1], &me, sizeof(me)) != sizeof(me))
			_exit(1);
		t0 = now_ms();
		ms = f >= 0 && flock(f, LOCK_EX) == 0 ? now_ms() - t0 : -1;
		_exit(write(q[1], &ms, sizeof(ms)) == sizeof(ms) ? 0 : 1);
	}
	close(p[1]);
	close(q[1]);
	if (read(p[0], &waiter, sizeof(waiter)) == sizeof(waiter)) {
		st = wait_sleeping(waiter);
		msleep(300);
		flock(fd, LOCK_UN);
	}
	if (read(q[0], &ms, sizeof(ms)) != sizeof(ms))
		ms = -1;
	waitpid(pid, NULL, 0);
	verdict(name, ms >= 200,
		"LOCK_EX returned after %lld ms, waiter state %c (want ~300)",
		ms, st);
	close(fd);
	close(p[0]);
	close(q[0]);
}

static const struct fcase flock_fcases[] = {
	{ "flock", flock_steps },
	{ "flock-wait", flock_wait },
};

const struct topic topic_flock = TOPIC_FCASES(flock_fcases);
