// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: fcntl(2) record locks between processes (conflicts, F_GETLK,
 * shared read locks, F_SETLKW waiting, release on close of any
 * descriptor) and OFD locks between descriptors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../waitsleep.h"
#include "posix.h"

struct lockres {
	int err;
	struct flock fl;
	long long ms;		/* how long the call took */
};

/* In a child process: fcntl(cmd) on a fresh descriptor of path. */
static struct lockres child_lock(const char *path, int cmd, short type,
				 off_t start, off_t len, int readyfd)
{
	struct lockres r = { .err = EINTR };
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return r;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		int fd = open(path, O_RDWR);
		long long t0;

		sigaction(SIGALRM, &sa, NULL);
		alarm(10);
		r.fl = (struct flock){ .l_type = type, .l_whence = SEEK_SET,
				       .l_start = start, .l_len = len };
		if (readyfd >= 0) {
			pid_t me = getpid();

			if (write(readyfd, &me, sizeof(me)) != sizeof(me))
				_exit(1);
		}
		t0 = now_ms();
		r.err = fd < 0 ? errno : err_of(fcntl(fd, cmd, &r.fl));
		r.ms = now_ms() - t0;
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &r, sizeof(r)) != sizeof(r))
		r.err = EINTR;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
}

static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

static int is_eagain(int e)
{
	return e == EAGAIN || e == EACCES;
}

static void lock_conflicts(int fd)
{
	struct lockres r;

	r = child_lock("a", F_SETLK, F_WRLCK, 50, 10, -1);
	verdict("lock-conflict-eagain", is_eagain(r.err), "got %s, want EAGAIN",
		ename(r.err));
	r = child_lock("a", F_GETLK, F_WRLCK, 0, 1, -1);
	verdict("lock-getlk", r.err == 0 && r.fl.l_type == F_WRLCK &&
		r.fl.l_pid == getpid() && r.fl.l_start == 0 && r.fl.l_len == 100,
		"%s type %d pid %d (want %d) start %lld len %lld", ename(r.err),
		r.fl.l_type, (int)r.fl.l_pid, (int)getpid(),
		(long long)r.fl.l_start, (long long)r.fl.l_len);
	r = child_lock("a", F_SETLK, F_WRLCK, 100, 100, -1);
	verdict("lock-nonoverlap", r.err == 0, "got %s", ename(r.err));
	r = child_lock("a", F_GETLK, F_WRLCK, 500, 10, -1);
	verdict("lock-getlk-unlocked", r.err == 0 && r.fl.l_type == F_UNLCK,
		"%s type %d", ename(r.err), r.fl.l_type);
	if (set_lock(fd, F_SETLK, F_RDLCK, 200, 10) < 0)
		return fail("lock-read-shared", "F_RDLCK: %s", ename(errno));
	r = child_lock("a", F_SETLK, F_RDLCK, 200, 10, -1);
	verdict("lock-read-shared", r.err == 0, "got %s", ename(r.err));
	r = child_lock("a", F_SETLK, F_WRLCK, 200, 10, -1);
	verdict("lock-read-vs-write", is_eagain(r.err), "got %s, want EAGAIN",
		ename(r.err));
}

/* F_SETLKW in a child blocks until the parent unlocks */
static void lock_wait(int fd)
{
	struct lockres r = { .err = EINTR };
	int p[2], q[2];
	char st = '?';
	pid_t pid, waiter;

	if (pipe(p) < 0 || pipe(q) < 0)
		return fail("lock-setlkw-waits", "pipe: %s", ename(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		r = child_lock("a", F_SETLKW, F_WRLCK, 0, 1, p[1]);
		_exit(write(q[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	close(q[1]);
	if (read(p[0], &waiter, sizeof(waiter)) == sizeof(waiter)) {
		st = wait_sleeping(waiter);
		msleep(300);
		set_lock(fd, F_SETLK, F_UNLCK, 0, 100);
	}
	if (read(q[0], &r, sizeof(r)) != sizeof(r))
		r.err = EINTR;
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(q[0]);
	verdict("lock-setlkw-waits", r.err == 0 && r.ms >= 200,
		"got %s after %lld ms, waiter state %c (want success after "
		"~300 ms)", ename(r.err), r.ms, st);
}

static void lock_checks(const char *name)
{
	struct lockres r;
	int fd, fd2;

	(void)name;
	if (put_file("a", "lockfile", 8) < 0 || (fd = open("a", O_RDWR)) < 0)
		return fail("lock-setlk", "setup: %s", ename(errno));
	if (!verdict("lock-setlk", set_lock(fd, F_SETLK, F_WRLCK, 0, 100) == 0,
		     "%s", ename(errno)))
		return;
	lock_conflicts(fd);
	lock_wait(fd);
	set_lock(fd, F_SETLK, F_WRLCK, 0, 100);
	fd2 = open("a", O_RDONLY);
	close(fd2);
	r = child_lock("a", F_SETLK, F_WRLCK, 0, 1, -1);
	verdict("lock-close-releases", r.err == 0,
		"closing another descriptor kept the lock: %s", ename(r.err));
	close(fd);
}

static void lock_ofd(const char *name)
{
	int fa, fb, e;

	if (put_file("a", "ofd", 3) < 0 || (fa = open("a", O_RDWR)) < 0 ||
	    (fb = open("a", O_RDWR)) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (set_lock(fa, F_OFD_SETLK, F_WRLCK, 0, 10) < 0) {
		fail(name, "first F_OFD_SETLK: %s", ename(errno));
	} else {
		e = err_of(set_lock(fb, F_OFD_SETLK, F_WRLCK, 5, 10));
		verdict(name, is_eagain(e), "got %s, want EAGAIN", ename(e));
	}
	close(fa);
	close(fb);
}

static const struct fcase lock_fcases[] = {
	{ "lock", lock_checks },
	{ "lock-ofd", lock_ofd },
};

const struct topic topic_lock = TOPIC_FCASES(lock_fcases);
