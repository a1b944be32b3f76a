// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-locktest - file locks through a fusept-lockfs mount
 *
 * usage: fusept-locktest DIR PREFIX
 *        fusept-locktest -l FILE PREFIX
 *
 * DIR is a fusept-lockfs mount: DIR/f is the file locked, DIR/locks the
 * daemon's lock table.  With -l, FILE is on a mount whose daemon keeps no
 * locks: the kernel must then keep them itself.  Each check prints "PASS PREFIX-NAME" or
 * "FAIL PREFIX-NAME: why": the locks must behave as POSIX says and must be
 * held by the daemon, not only by the kernel.  Exit status 1 if any failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "waitsleep.h"

static const char *dir, *prefix, *local;
static int failures;
static int tscale = 1;		/* timeout_scale() */

static void verdict(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void verdict(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s-%s\n", prefix, name);
		return;
	}
	failures++;
	printf("FAIL %s-%s: ", prefix, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int open_f(void)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/f", dir);
	fd = local ? open(local, O_RDONLY) : open(path, O_RDWR);
	if (fd < 0) {
		printf("FAIL %s-open: %s: %m\n", prefix, path);
		exit(1);
	}
	return fd;
}

/* The daemon's lock table */
static const char *table(void)
{
	static char buf[16384];
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/locks", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return "(cannot open locks)";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

static int table_has(const char *line)
{
	return strstr(table(), line) != NULL;
}

static int count(const char *what)
{
	const char *p = table();
	int n = 0;

	while ((p = strstr(p, what))) {
		n++;
		p++;
	}
	return n;
}

static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {
		.l_type = type, .l_whence = SEEK_SET,
		.l_start = start, .l_len = len,
	};

	return fcntl(fd, cmd, &fl) ? errno : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* The timeout scale (fusept.timeout_scale=N on the kernel command line,
 * exported by lib.sh), 1 if not set */
static int timeout_scale(void)
{
	const char *s = getenv("FUSEPT_TIMEOUT_SCALE");

	return s && atoi(s) > 0 ? atoi(s) : 1;
}

/* wait_sleeping() for up to 10 s times the timeout scale */
static char wait_asleep(pid_t pid)
{
	char st = '?';
	int i;

	for (i = 0; i < tscale; i++) {
		st = wait_sleeping(pid);
		if (st != 'R' && st != 'D')
			break;
	}
	return st;
}

/*
 * Fork a child that opens the file, catches SIGALRM without SA_RESTART,
 * says so through a pipe and runs fn(fd), a call that blocks; its exit
 * status is what fn returns (an errno). Returns the child's pid once it
 * sleeps in the call, with its state in *state ('S' then).
 */
static pid_t start_blocked(int (*fn)(int), char *state)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid) {
		struct sigaction sa = { .sa_handler = on_alarm };
		int fd = open_f();

		close(ready[0]);
		sigaction(SIGALRM, &sa, NULL);
		if (write(ready[1], "", 1) != 1)
			_exit(252);
		close(ready[1]);
		_exit(fn(fd));
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) < 0)
		perror("read");
	close(ready[0]);
	*state = wait_asleep(pid);
	return pid;
}

/* The child's exit status, 255 if it did not exit */
static int child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 255;
	return WEXITSTATUS(st);
}

/*
 * fn in a child, interrupted by a signal once it sleeps in it: the
 * child's exit status. A child that does not sleep there is killed
 * (255), as the signal could come before the call, which would then
 * block for good.
 */
static int interrupted(int (*fn)(int), char *state)
{
	pid_t pid = start_blocked(fn, state);

	kill(pid, *state == 'S' ? SIGALRM : SIGKILL);
	return child_status(pid);
}

/* Run fn in a child; its exit status is the errno it saw (or 255) */
static int in_child(int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 255;
	return WEXITSTATUS(st);
}

static int child_setlk(void *arg)
{
	int fd = open_f();

	(void)arg;
	return lk(fd, F_SETLK, F_WRLCK, 5, 10);
}

static int child_getlk(void *arg)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 100 };
	pid_t parent = *(pid_t *)arg;
	int fd = open_f();

	if (fcntl(fd, F_GETLK, &fl))
		return errno;
	if (fl.l_type != F_WRLCK || fl.l_start != 0 || fl.l_len != 10 ||
	    fl.l_pid != parent)
		return 254;
	return 0;
}

static int child_shared(void *arg)
{
	int fd = open_f();

	(void)arg;
	return lk(fd, F_SETLK, F_RDLCK, 150, 10);
}

/* SETLKW (start_blocked): wait for the parent's unlock, report how long
 * it took */
static int child_wait(int fd)
{
	long long t0 = now_ms();
	int err = lk(fd, F_SETLKW, F_WRLCK, 0, 10);

	if (err)
		return err;
	return now_ms() - t0 >= 200 ? 0 : 253;
}

/* SETLKW (interrupted): EINTR, and no lock left */
static int child_setlkw(int fd)
{
	return lk(fd, F_SETLKW, F_WRLCK, 0, 10);
}

static void posix_checks(void)
{
	pid_t me = getpid();
	char line[128];
	int fd = open_f(), err;
	pid_t pid;
	int st;
	char c;

	err = lk(fd, F_SETLK, F_WRLCK, 0, 10);
	snprintf(line, sizeof(line), "W 0 9 %d\n", (int)me);
	verdict(!err && table_has(line), "posix-setlk",
		"err %s, daemon has: %s", strerrorname_np(err) ?: "0", table());
	err = in_child(child_setlk, NULL);
	verdict(err == EAGAIN, "posix-conflict", "child got %d", err);
	err = in_child(child_getlk, &me);
	verdict(!err, "posix-getlk", "child got %d (254: wrong lock)", err);
	err = lk(fd, F_SETLK, F_RDLCK, 100, 100);
	verdict(!err && !in_child(child_shared, NULL), "posix-shared",
		"err %d", err);
	err = lk(fd, F_SETLK, F_UNLCK, 3, 3);
	verdict(!err && strstr(table(), " W 0 2 ") && strstr(table(), " W 6 9 "),
		"posix-split", "daemon has: %s", table());
	lk(fd, F_SETLK, F_WRLCK, 0, 10);

	/* Unlock only once the child is asleep in its SETLKW, then some */
	pid = start_blocked(child_wait, &c);
	usleep(300000);
	lk(fd, F_SETLK, F_UNLCK, 0, 10);
	st = child_status(pid);
	verdict(!st, "posix-setlkw-waits",
		"child status %d, state %c before unlock", st, c);

	/* The signal once the child is asleep in its SETLKW */
	lk(fd, F_SETLK, F_WRLCK, 0, 10);
	err = interrupted(child_setlkw, &c);
	snprintf(line, sizeof(line), "W 0 9 %d\n", (int)me);
	verdict(err == EINTR && table_has(line) && count(" W 0 9 ") == 1,
		"posix-setlkw-eintr",
		"child got %d (state %c before the signal), daemon has: %s",
		err, c, table());

	/* OFD locks: each open file is its own owner */
	close(fd);
	verdict(!strstr(table(), "posix "), "posix-close-releases",
		"daemon still has: %s", table());
	fd = open_f();
	err = lk(fd, F_OFD_SETLK, F_WRLCK, 0, 10);
	{
		int fd2 = open_f();
		int err2 = lk(fd2, F_OFD_SETLK, F_WRLCK, 0, 10);

		verdict(!err && err2 == EAGAIN, "posix-ofd",
			"first %d, second %d", err, err2);
		close(fd2);
	}
	close(fd);
}

/* flock(LOCK_EX) (interrupted): EINTR */
static int child_flock(int fd)
{
	return flock(fd, LOCK_EX) ? errno : 0;
}

/* flock(fd, op | LOCK_NB), retried for up to 10 s (times the timeout
 * scale) while it would block */
static int flock_soon(int fd, int op)
{
	int i;

	for (i = 0; i < 500 * tscale; i++) {
		if (!flock(fd, op | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			return errno;
		usleep(20000);
	}
	return EWOULDBLOCK;
}

static void flock_checks(void)
{
	int fd1 = open_f(), fd2 = open_f(), err;
	char c;

	err = flock(fd1, LOCK_EX) ? errno : 0;
	verdict(!err && table_has("flock ") && strstr(table(), " W\n"),
		"flock-ex", "err %d, daemon has: %s", err, table());
	err = flock(fd2, LOCK_EX | LOCK_NB) ? errno : 0;
	verdict(err == EWOULDBLOCK, "flock-conflict", "got %d", err);
	err = interrupted(child_flock, &c);
	verdict(err == EINTR, "flock-eintr",
		"got %d (state %c before the signal)", err, c);
	close(fd1);
	/* RELEASE goes out in the background (as in mainline FUSE): the
	 * daemon drops the lock soon after close(2) returns, not before */
	err = flock_soon(fd2, LOCK_SH);
	verdict(!err && strstr(table(), " R\n") && !strstr(table(), " W\n"),
		"flock-close-releases", "err %d, daemon has: %s", err,
		table());
	flock(fd2, LOCK_UN);
	verdict(!strstr(table(), "flock "), "flock-unlock",
		"daemon has: %s", table());
	close(fd2);
}

static int child_local_lk(void *arg)
{
	(void)arg;
	return lk(open_f(), F_SETLK, F_RDLCK, 0, 10);
}

/* Locks the kernel keeps itself (read-only file: read locks only) */
static void local_checks(void)
{
	int fd1 = open_f(), fd2 = open_f(), err;

	err = flock(fd1, LOCK_EX) ? errno : 0;
	verdict(!err && flock(fd2, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK,
		"flock", "first %d, second %d", err, errno);
	close(fd1);
	err = flock(fd2, LOCK_EX | LOCK_NB) ? errno : 0;
	verdict(!err, "flock-close-releases", "got %d", err);
	close(fd2);
	fd1 = open_f();
	err = lk(fd1, F_OFD_SETLK, F_RDLCK, 0, 10);
	verdict(!err && in_child(child_local_lk, NULL) == 0, "fcntl-shared",
		"got %d", err);
	{
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_len = 100 };

		fd2 = open_f();
		err = fcntl(fd2, F_OFD_GETLK, &fl) ? errno : 0;
		verdict(!err && fl.l_type == F_RDLCK && fl.l_len == 10,
			"fcntl-getlk", "err %d type %d len %lld", err,
			fl.l_type, (long long)fl.l_len);
		close(fd2);
	}
	close(fd1);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "-l")) {
		local = argv[2];
		prefix = argv[3];
	} else if (argc == 3) {
		dir = argv[1];
		prefix = argv[2];
	} else {
		fprintf(stderr, "usage: %s [-l FILE] DIR PREFIX\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	tscale = timeout_scale();
	if (local) {
		local_checks();
		return failures ? 1 : 0;
	}
	posix_checks();
	flock_checks();
	return failures ? 1 : 0;
}
