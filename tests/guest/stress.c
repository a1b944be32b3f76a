// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-stress - several processes doing mixed I/O in one directory tree
 *
 * usage: fusept-stress [-p procs] [-t secs] [-S seed] [-n name]
 *                      [-K pid | -L mountpoint] [-w secs] [-g secs] DIR
 *
 * Each worker process works in DIR (by relative paths, from DIR as its
 * working directory) for -t seconds:
 *   - its own files wN/f1..f3: pwrite, pread (checked against an
 *     in-memory model), truncate, fsync, renames that replace one of
 *     them with another;
 *   - wN/f0, a 64 KiB file kept mapped MAP_SHARED the whole run: writes
 *     through the mapping and through pwrite, reads both ways;
 *   - wN/log, kept open with O_APPEND: appends of random length, reads;
 *   - shared/append, kept open with O_APPEND by every worker: fixed-size
 *     records, which must all be there, whole, at the end;
 *   - shared/: files published by rename (complete when they appear),
 *     renamed, hard-linked, unlinked and read by every worker (each must
 *     be self-consistent), directories made, renamed and removed,
 *     readdir.  ENOENT, EEXIST and ENOTEMPTY from races between workers
 *     are expected there.
 * At the end every worker drops the caches and checks its files, then
 * the parent checks shared/.
 *
 * -K PID  at -w seconds (default: half of -t) after every worker has
 *         set up its files, SIGKILL PID (the daemon).
 *         From then on ENOTCONN, EIO and ECONNABORTED, and SIGBUS on the
 *         mapping, are accepted, and data is no longer checked; every
 *         worker must still finish.
 * -L MNT  at -w seconds, detach MNT (umount -l).  The workers go on
 *         through their working directory and open files; everything is
 *         checked as in a clean run.
 * -g      seconds a worker may go without progress (an operation done,
 *         a step of its final checks) past the end before it is reported
 *         as hung (default 30); its state, wchan and kernel stack are
 *         printed.  A worker that is slow but moving is waited for: on
 *         the debug kernel the final checks alone can take longer than
 *         -g.  The setup may take twice -g: a run whose workers have not
 *         all set up by then fails ("setup not finished").
 *
 * Output: "PASS stress-NAME: ..." or "FAIL stress-NAME: ..." (details
 * before it, indented).  Exit status 0, 1 on a failure, 2 usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXPROCS	16
#define NFILES		4		/* f0 (mapped) .. f3 */
#define FMAX		(128 * 1024)
#define F0SIZE		(64 * 1024)
#define OPMAX		(16 * 1024)
#define LOGMAX		(512 * 1024)
#define REC		64		/* record of a published file */
#define AREC		128		/* record of shared/append */
#define NSHARED		24		/* names s00.., h00.., d00.. */

struct wstat {
	volatile unsigned long progress;	/* bumped at every step */
	unsigned long ops, appends, renames, published, shared_reads;
	unsigned long accepted;		/* errors accepted after the kill */
	int done, failed, lost;
	char msg[300];
};

/*
 * The run starts when every worker has set up its files (ready ==
 * nprocs): the parent then sets end and go.  On a slow kernel the setup
 * can take longer than -w, and a kill in the middle of it would fail a
 * setup step that has no reason to expect a dead daemon.
 */
struct shm {
	volatile int stop, killed, ready, go;
	volatile double end;
	struct wstat w[MAXPROCS];
};

static struct shm *shm;
static int nprocs = 4, secs = 20, grace = 30, act_at = -1;
static unsigned long seed = 1;
static const char *name = "run", *dir;
static pid_t kill_pid;
static const char *lazy_mnt;

/* ------------------------------------------------------------ helpers */

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "unknown errno";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------------- worker */

static int me;			/* worker index */
static struct wstat *ws;
static uint64_t rng;
static unsigned long seq;	/* number of the current operation */

/* one more step done: the parent judges a hang by these */
static void tick(void)
{
	ws->progress++;
}

static uint64_t rnd(uint64_t n)
{
	rng += 0x9e3779b97f4a7c15ULL;
	return n ? mix(rng) % n : 0;
}

static uint8_t pattern(unsigned long n, int64_t pos)
{
	uint32_t x = (uint32_t)(n * 2654435761u) ^ (uint32_t)(me * 0x1000193);

	x += (uint32_t)pos + (uint32_t)(pos >> 8) * 7u + (uint32_t)(pos >> 16) * 13u;
	x ^= x >> 11;
	x *= 0x9e3779b1u;
	x ^= x >> 16;
	return (x & 0xff) ? (uint8_t)x : 0x5a;
}

static void wfail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void wfail(const char *fmt, ...)
{
	va_list ap;
	int k;

	k = snprintf(ws->msg, sizeof(ws->msg), "worker %d op %lu: ", me, seq);
	va_start(ap, fmt);
	vsnprintf(ws->msg + k, sizeof(ws->msg) - k, fmt, ap);
	va_end(ap);
	ws->failed = 1;
	shm->stop = 1;
	_exit(1);
}

static int lost_errno(int e)
{
	return e == ENOTCONN || e == EIO || e == ECONNABORTED;
}

/*
 * A call returned -1 with errno: accept it (return 1) if it is one of
 * RACE (a zero-terminated list), or a disconnection after the kill;
 * otherwise fail.
 */
static int accept_err(const char *what, const int *race)
{
	int e = errno, i;

	for (i = 0; race && race[i]; i++)
		if (e == race[i])
			return 1;
	if (shm->killed && (lost_errno(e) || (ws->lost && e == ENOENT))) {
		/* after a failed create, a file of ours may be missing */
		ws->lost = 1;
		ws->accepted++;
		return 1;
	}
	wfail("%s: %s", what, ename(e));
}

static const int race_shared[] = { ENOENT, EEXIST, ENOTEMPTY, 0 };

/*
 * A read or write moved fewer bytes than it should have: after the kill
 * that is the connection dying halfway (return 1), before it a failure.
 */
static int short_io(const char *what, ssize_t got, int64_t want)
{
	if (shm->killed) {
		ws->lost = 1;
		ws->accepted++;
		return 1;
	}
	wfail("%s: %zd bytes, expected %" PRId64, what, got, want);
}

struct wfile {
	char path[32];
	uint8_t *data;
	int64_t size;
};

static struct wfile wf[NFILES];
static uint8_t *map0;			/* f0 mapped, or NULL */
static int logfd = -1, appfd = -1;
static uint8_t *logdata;
static int64_t logsize;
static uint8_t *buf;

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	(void)sig;
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

static void compare(const uint8_t *got, const uint8_t *want, int64_t off,
		    int64_t len, const char *what)
{
	int64_t i;

	if (ws->lost)
		return;
	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			wfail("%s: mismatch at offset 0x%" PRIx64 ": 0x%02x,"
			      " expected 0x%02x (checked 0x%" PRIx64 "+0x%"
			      PRIx64 ")", what, off + i, got[i], want[i], off,
			      len);
}

/* open PATH, return fd or -1 if the error was accepted */
static int wopen(const char *path, int flags)
{
	int fd = open(path, flags, 0644);
	char what[80];

	if (fd < 0) {
		snprintf(what, sizeof(what), "open %s", path);
		accept_err(what, NULL);
	}
	return fd;
}

static void wclose(int fd, const char *path)
{
	char what[80];

	if (close(fd) < 0) {
		snprintf(what, sizeof(what), "close %s", path);
		accept_err(what, NULL);
	}
}

static void file_write(struct wfile *f)
{
	int64_t off = rnd(FMAX), len = rnd(OPMAX) + 1, i;
	ssize_t r;
	int fd;

	if (off + len > FMAX)
		len = FMAX - off;
	for (i = 0; i < len; i++)
		buf[i] = pattern(seq, off + i);
	fd = wopen(f->path, O_RDWR);
	if (fd < 0)
		return;
	r = pwrite(fd, buf, len, off);
	if (r < 0) {
		accept_err("pwrite", NULL);
	} else if (r != len) {
		short_io("pwrite", r, len);
	} else {
		memcpy(f->data + off, buf, len);
		if (off + len > f->size)
			f->size = off + len;
	}
	wclose(fd, f->path);
}

static void file_check(const struct wfile *f, int64_t off, int64_t len,
		       const char *what)
{
	int64_t want;
	ssize_t r;
	int fd;

	fd = wopen(f->path, O_RDONLY);
	if (fd < 0)
		return;
	want = off >= f->size ? 0 : (f->size - off < len ? f->size - off : len);
	r = pread(fd, buf, len, off);
	if (r < 0)
		accept_err("pread", NULL);
	else if (r != want && !ws->lost && !shm->killed)
		wfail("%s %s: pread 0x%" PRIx64 "+0x%" PRIx64 " returned %zd,"
		      " expected %" PRId64, what, f->path, off, len, r, want);
	else if (r != want)
		short_io("pread", r, want);
	else
		compare(buf, f->data + off, off, r, f->path);
	wclose(fd, f->path);
}

static void file_truncate(struct wfile *f)
{
	int64_t size = rnd(FMAX + 1);

	if (truncate(f->path, size) < 0) {
		accept_err("truncate", NULL);
		return;
	}
	if (size < f->size)
		memset(f->data + size, 0, f->size - size);
	f->size = size;
}

/* rename fa over fb, then make fa anew (empty) */
static void file_rename(struct wfile *a, struct wfile *b)
{
	int fd;

	if (rename(a->path, b->path) < 0) {
		accept_err("rename", NULL);
		return;
	}
	ws->renames++;
	memcpy(b->data, a->data, FMAX);
	b->size = a->size;
	memset(a->data, 0, FMAX);
	a->size = 0;
	fd = wopen(a->path, O_RDWR | O_CREAT | O_EXCL);
	if (fd >= 0)
		wclose(fd, a->path);
}

static void f0_write(void)
{
	int64_t off = rnd(F0SIZE), i;
	volatile int64_t len = rnd(OPMAX) + 1;
	struct wfile *f = &wf[0];
	int fd, via_map = map0 && rnd(2);
	ssize_t r;

	if (off + len > F0SIZE)
		len = F0SIZE - off;
	for (i = 0; i < len; i++)
		buf[i] = pattern(seq, off + i);
	if (via_map) {
		bus_armed = 1;
		if (sigsetjmp(bus_jmp, 1)) {
			bus_armed = 0;
			if (!shm->killed)
				wfail("SIGBUS writing the mapping of f0");
			ws->lost = 1;
			ws->accepted++;
			return;
		}
		memcpy(map0 + off, buf, len);
		bus_armed = 0;
		memcpy(f->data + off, buf, len);
		if (rnd(4) == 0 && msync(map0, F0SIZE, rnd(2) ? MS_SYNC : MS_ASYNC) < 0)
			accept_err("msync f0", NULL);
		return;
	}
	fd = wopen(f->path, O_RDWR);
	if (fd < 0)
		return;
	r = pwrite(fd, buf, len, off);
	if (r < 0)
		accept_err("pwrite f0", NULL);
	else if (r != len)
		short_io("pwrite f0", r, len);
	else
		memcpy(f->data + off, buf, len);
	wclose(fd, f->path);
}

static void f0_check(void)
{
	int64_t off = rnd(F0SIZE);
	volatile int64_t len = rnd(OPMAX) + 1;

	if (off + len > F0SIZE)
		len = F0SIZE - off;
	if (map0 && rnd(2)) {
		bus_armed = 1;
		if (sigsetjmp(bus_jmp, 1)) {
			bus_armed = 0;
			if (!shm->killed)
				wfail("SIGBUS reading the mapping of f0");
			ws->lost = 1;
			ws->accepted++;
			return;
		}
		memcpy(buf, map0 + off, len);
		bus_armed = 0;
		compare(buf, wf[0].data + off, off, len, "f0 (mapping)");
		return;
	}
	file_check(&wf[0], off, len, "f0");
}

static void log_append(void)
{
	int64_t len = rnd(4096) + 1, i;
	ssize_t r;

	if (logsize + len > LOGMAX) {
		if (ftruncate(logfd, 0) < 0) {
			accept_err("ftruncate log", NULL);
			return;
		}
		memset(logdata, 0, logsize);
		logsize = 0;
	}
	for (i = 0; i < len; i++)
		buf[i] = pattern(seq, logsize + i);
	r = write(logfd, buf, len);
	if (r < 0) {
		accept_err("append to log", NULL);
		return;
	}
	if (r != len && short_io("append to log", r, len))
		return;
	memcpy(logdata + logsize, buf, len);
	logsize += len;
}

static void log_check(int64_t off, int64_t len)
{
	int64_t want = off >= logsize ? 0 : (logsize - off < len ? logsize - off : len);
	ssize_t r = pread(logfd, buf, len, off);

	if (r < 0) {
		accept_err("pread log", NULL);
		return;
	}
	if (r != want && !ws->lost && !shm->killed)
		wfail("pread log 0x%" PRIx64 "+0x%" PRIx64 " returned %zd,"
		      " expected %" PRId64, off, len, r, want);
	if (r != want) {
		short_io("pread log", r, want);
		return;
	}
	compare(buf, logdata + off, off, r, "log");
}

/* one record of shared/append: who, which, then filler */
static void arec_fill(char *r, int w, unsigned long n)
{
	int k = snprintf(r, AREC, "A w=%02d n=%08lu ", w, n), i;

	for (i = k; i < AREC - 1; i++)
		r[i] = 'a' + (char)((w * 7 + n + i) % 26);
	r[AREC - 1] = '\n';
}

static void shared_append(void)
{
	char r[AREC];
	ssize_t n;

	arec_fill(r, me, ws->appends);
	n = write(appfd, r, AREC);
	if (n < 0) {
		accept_err("append to shared/append", NULL);
		return;
	}
	if (n != AREC && short_io("append to shared/append", n, AREC))
		return;
	ws->appends++;
}

/* a published file: COUNT records "P w=.. n=.. c=COUNT" + filler */
static int pub_fill(char *p, int w, unsigned long n, int count)
{
	int i, k, j;

	for (j = 0; j < count; j++) {
		char *r = p + j * REC;

		k = snprintf(r, REC, "P w=%02d n=%08lu c=%02d ", w, n, count);
		for (i = k; i < REC - 1; i++)
			r[i] = 'A' + (char)((w + n + i) % 26);
		r[REC - 1] = '\n';
	}
	return count * REC;
}

/* what a published file must look like; returns an error text or NULL */
static const char *pub_verify(const char *p, ssize_t len)
{
	char want[REC * NSHARED * 2];
	int w, c;
	unsigned long n;

	if (len <= 0 || len % REC)
		return "size not a positive multiple of the record size";
	if (sscanf(p, "P w=%d n=%lu c=%d ", &w, &n, &c) != 3)
		return "bad record header";
	if (c * REC != len || c > (int)(sizeof(want) / REC))
		return "size does not match the record count";
	pub_fill(want, w, n, c);
	if (memcmp(want, p, len))
		return "records differ from what their writer wrote";
	return NULL;
}

static void sname(char *s, size_t sz, char kind, unsigned i)
{
	snprintf(s, sz, "shared/%c%02u", kind, i);
}

static void shared_publish(void)
{
	char tmp[32], dst[32];
	int count = (int)rnd(NSHARED * 2) + 1, len, fd;
	ssize_t r;

	snprintf(tmp, sizeof(tmp), "w%d/pub", me);
	sname(dst, sizeof(dst), 's', (unsigned)rnd(NSHARED));
	len = pub_fill((char *)buf, me, seq, count);
	fd = wopen(tmp, O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0)
		return;
	r = write(fd, buf, len);
	if (r < 0)
		accept_err("write pub", NULL);
	else if (r != len)
		short_io("write pub", r, len);
	wclose(fd, tmp);
	if (r != len)
		return;
	if (rename(tmp, dst) < 0) {
		accept_err("rename pub into shared", NULL);
		return;
	}
	ws->published++;
}

static void shared_read(void)
{
	char p[32];
	const char *bad;
	ssize_t r;
	int fd;

	sname(p, sizeof(p), rnd(3) ? 's' : 'h', (unsigned)rnd(NSHARED));
	fd = open(p, O_RDONLY);
	if (fd < 0) {
		accept_err("open shared file", race_shared);
		return;
	}
	r = read(fd, buf, OPMAX);
	if (r < 0) {
		accept_err("read shared file", NULL);
	} else if (!ws->lost && (bad = pub_verify((char *)buf, r))) {
		wfail("%s (%zd bytes): %s", p, r, bad);
	}
	ws->shared_reads++;
	wclose(fd, p);
}

static void shared_namespace(void)
{
	char a[32], b[32];
	DIR *d;
	struct dirent *de;

	switch (rnd(7)) {
	case 0:
		sname(a, sizeof(a), 's', (unsigned)rnd(NSHARED));
		sname(b, sizeof(b), 's', (unsigned)rnd(NSHARED));
		if (rename(a, b) < 0)
			accept_err("rename in shared", race_shared);
		break;
	case 1:
		sname(a, sizeof(a), rnd(2) ? 's' : 'h', (unsigned)rnd(NSHARED));
		if (unlink(a) < 0)
			accept_err("unlink in shared", race_shared);
		break;
	case 2:
		sname(a, sizeof(a), 's', (unsigned)rnd(NSHARED));
		sname(b, sizeof(b), 'h', (unsigned)rnd(NSHARED));
		if (link(a, b) < 0)
			accept_err("link in shared", race_shared);
		break;
	case 3:
		sname(a, sizeof(a), 'd', (unsigned)rnd(NSHARED));
		if (mkdir(a, 0755) < 0)
			accept_err("mkdir in shared", race_shared);
		break;
	case 4:
		sname(a, sizeof(a), 'd', (unsigned)rnd(NSHARED));
		if (rmdir(a) < 0)
			accept_err("rmdir in shared", race_shared);
		break;
	case 5:
		sname(a, sizeof(a), 'd', (unsigned)rnd(NSHARED));
		sname(b, sizeof(b), 'd', (unsigned)rnd(NSHARED));
		if (rename(a, b) < 0)
			accept_err("rename dir in shared", race_shared);
		break;
	default:
		d = opendir("shared");
		if (!d) {
			accept_err("opendir shared", NULL);
			break;
		}
		errno = 0;
		while ((de = readdir(d))) {
			const char *n = de->d_name;

			if (!strcmp(n, ".") || !strcmp(n, "..") ||
			    !strcmp(n, "append"))
				continue;
			if (strlen(n) != 3 || !strchr("shd", n[0]) ||
			    n[1] < '0' || n[1] > '9' || n[2] < '0' || n[2] > '9')
				wfail("readdir shared: unexpected name '%s'", n);
		}
		if (errno)
			accept_err("readdir shared", NULL);
		closedir(d);
		break;
	}
}

static void own_fsync(void)
{
	struct wfile *f = &wf[1 + rnd(NFILES - 1)];
	int fd = wopen(f->path, O_RDWR);

	if (fd < 0)
		return;
	if ((rnd(2) ? fsync(fd) : fdatasync(fd)) < 0)
		accept_err("fsync", NULL);
	wclose(fd, f->path);
}

static void worker_setup(void)
{
	char d[16];
	int i, fd;

	snprintf(d, sizeof(d), "w%d", me);
	if (mkdir(d, 0755) < 0 && errno != EEXIST)
		wfail("mkdir %s: %s", d, ename(errno));
	/* big enough for a whole file of ours or the whole log */
	buf = malloc(LOGMAX + FMAX + 4096);
	logdata = calloc(1, LOGMAX);
	if (!buf || !logdata)
		wfail("out of memory");
	for (i = 0; i < NFILES; i++) {
		snprintf(wf[i].path, sizeof(wf[i].path), "w%d/f%d", me, i);
		wf[i].data = calloc(1, FMAX);
		if (!wf[i].data)
			wfail("out of memory");
		fd = open(wf[i].path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			wfail("create %s: %s", wf[i].path, ename(errno));
		if (i == 0) {
			if (ftruncate(fd, F0SIZE) < 0)
				wfail("ftruncate f0: %s", ename(errno));
			wf[0].size = F0SIZE;
			map0 = mmap(NULL, F0SIZE, PROT_READ | PROT_WRITE,
				    MAP_SHARED, fd, 0);
			if (map0 == MAP_FAILED) {
				if (errno != ENODEV)
					wfail("mmap f0: %s", ename(errno));
				map0 = NULL;	/* FUSE direct_io */
			}
		}
		if (close(fd) < 0)
			wfail("close %s: %s", wf[i].path, ename(errno));
		tick();
	}
	snprintf(d, sizeof(d), "w%d/log", me);
	logfd = open(d, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (logfd < 0)
		wfail("create %s: %s", d, ename(errno));
	appfd = open("shared/append", O_WRONLY | O_APPEND);
	if (appfd < 0)
		wfail("open shared/append: %s", ename(errno));
}

static void drop_caches(void)
{
	int d = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (d < 0)
		return;
	/* not root: the check reads through the cache */
	if (write(d, "3\n", 2) < 0)
		errno = 0;
	close(d);
}

static void worker_final(void)
{
	int i;

	if (map0 && msync(map0, F0SIZE, MS_SYNC) < 0)
		accept_err("final msync f0", NULL);
	tick();
	if (!ws->lost) {
		drop_caches();
		tick();
		if (map0) {
			bus_armed = 1;
			if (sigsetjmp(bus_jmp, 1)) {
				bus_armed = 0;
				if (!shm->killed)
					wfail("SIGBUS reading the mapping of f0");
				ws->lost = 1;
			} else {
				memcpy(buf, map0, F0SIZE);
				bus_armed = 0;
				compare(buf, wf[0].data, 0, F0SIZE,
					"final f0 (mapping)");
			}
			tick();
		}
		for (i = 0; i < NFILES; i++) {
			seq++;
			file_check(&wf[i], 0, FMAX + 1, "final check");
			tick();
		}
		log_check(0, logsize + 1);
		tick();
	}
	if (map0 && munmap(map0, F0SIZE) < 0)
		wfail("munmap f0: %s", ename(errno));
	tick();
	if (close(logfd) < 0)
		accept_err("close log", NULL);
	if (close(appfd) < 0)
		accept_err("close shared/append", NULL);
}

static void worker(int idx)
{
	struct sigaction sa;
	int x;
	struct wfile *a, *b;

	me = idx;
	ws = &shm->w[idx];
	rng = mix(seed * 1000003 + idx);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	worker_setup();
	__atomic_add_fetch(&shm->ready, 1, __ATOMIC_SEQ_CST);
	while (!shm->go && !shm->stop)
		usleep(1000);
	while (!shm->stop && now() < shm->end) {
		seq++;
		x = (int)rnd(100);
		a = &wf[1 + rnd(NFILES - 1)];
		if (x < 14) {
			file_write(a);
		} else if (x < 28) {
			int64_t off = rnd(FMAX), len = rnd(OPMAX) + 1;

			file_check(a, off, len, "read");
		} else if (x < 33) {
			file_truncate(a);
		} else if (x < 41) {
			log_append();
		} else if (x < 44) {
			log_check(rnd(logsize + 1), rnd(OPMAX) + 1);
		} else if (x < 49) {
			shared_append();
		} else if (x < 57) {
			f0_write();
		} else if (x < 65) {
			f0_check();
		} else if (x < 69) {
			b = &wf[1 + rnd(NFILES - 1)];
			if (a != b)
				file_rename(a, b);
		} else if (x < 75) {
			shared_publish();
		} else if (x < 83) {
			shared_read();
		} else if (x < 97) {
			shared_namespace();
		} else {
			own_fsync();
		}
		ws->ops++;
		tick();
	}
	worker_final();
	ws->done = 1;
	_exit(0);
}

/* ------------------------------------------------------------- parent */

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* print what a stuck process is doing */
static void show_stuck(pid_t pid)
{
	char p[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	if ((f = fopen(p, "r"))) {
		if (fgets(line, sizeof(line), f)) {
			char *s = strrchr(line, ')');

			say("pid %d state %c", pid, s && s[1] ? s[2] : '?');
		}
		fclose(f);
	}
	snprintf(p, sizeof(p), "/proc/%d/wchan", pid);
	if ((f = fopen(p, "r"))) {
		if (fgets(line, sizeof(line), f))
			say("pid %d wchan %s", pid, line);
		fclose(f);
	}
	snprintf(p, sizeof(p), "/proc/%d/stack", pid);
	if ((f = fopen(p, "r"))) {
		while (fgets(line, sizeof(line), f) && n++ < 12) {
			line[strcspn(line, "\n")] = 0;
			say("pid %d stack %s", pid, line);
		}
		fclose(f);
	}
}

static int parent_check_shared(unsigned long appends, char *why, size_t wsz)
{
	static char p[OPMAX];
	unsigned long count[MAXPROCS] = { 0 };
	char want[AREC], path[32];
	struct stat st;
	unsigned long n;
	int fd, w, i;
	ssize_t r;
	off_t off;
	const char *bad;

	fd = open("shared/append", O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, wsz, "shared/append: %s", ename(errno));
		return 1;
	}
	if ((unsigned long)st.st_size != appends * AREC) {
		snprintf(why, wsz, "shared/append has %lld bytes, %lu records of"
			 " %d appended", (long long)st.st_size, appends, AREC);
		close(fd);
		return 1;
	}
	for (off = 0; off < st.st_size; off += AREC) {
		char rec[AREC];

		r = pread(fd, rec, AREC, off);
		if (r != AREC || sscanf(rec, "A w=%d n=%lu ", &w, &n) != 2 ||
		    w < 0 || w >= nprocs) {
			snprintf(why, wsz, "shared/append: bad record at %lld",
				 (long long)off);
			close(fd);
			return 1;
		}
		arec_fill(want, w, n);
		if (memcmp(want, rec, AREC) || n != count[w]) {
			snprintf(why, wsz, "shared/append: record at %lld is"
				 " torn or out of order (w=%d n=%lu, expected"
				 " n=%lu)", (long long)off, w, n, count[w]);
			close(fd);
			return 1;
		}
		count[w]++;
	}
	close(fd);
	for (i = 0; i < NSHARED * 2; i++) {
		sname(path, sizeof(path), i < NSHARED ? 's' : 'h', i % NSHARED);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			snprintf(why, wsz, "%s: %s", path, ename(errno));
			return 1;
		}
		r = read(fd, p, sizeof(p));
		close(fd);
		if (r < 0 || (bad = pub_verify(p, r))) {
			snprintf(why, wsz, "%s: %s", path,
				 r < 0 ? ename(errno) : bad);
			return 1;
		}
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fusept-stress [-p procs] [-t secs] [-S seed] [-n name]\n"
		"                     [-K pid | -L mountpoint] [-w secs] [-g secs] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	pid_t pids[MAXPROCS];
	unsigned long seen[MAXPROCS];		/* progress last seen */
	double moved[MAXPROCS];			/* when it last changed */
	double killed_at[MAXPROCS];		/* SIGKILLed as hung then */
	double start, end, deadline, t;
	unsigned long ops = 0, appends = 0, renames = 0, pubs = 0, reads = 0;
	unsigned long accepted = 0;
	int c, i, alive, fails = 0, hung = 0, acted = 0, fd, st;
	char why[400] = "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "p:t:S:n:K:L:w:g:")) != -1) {
		switch (c) {
		case 'p': nprocs = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'S': seed = strtoul(optarg, NULL, 0); break;
		case 'n': name = optarg; break;
		case 'K': kill_pid = atoi(optarg); break;
		case 'L': lazy_mnt = optarg; break;
		case 'w': act_at = atoi(optarg); break;
		case 'g': grace = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || nprocs < 1 || nprocs > MAXPROCS || secs < 1 ||
	    (kill_pid && lazy_mnt))
		usage();
	dir = argv[optind];
	if (act_at < 0)
		act_at = secs / 2;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		printf("FAIL stress-%s: mmap: %s\n", name, ename(errno));
		return 1;
	}
	if (chdir(dir) < 0 || (mkdir("shared", 0755) < 0 && errno != EEXIST) ||
	    (fd = open("shared/append", O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    close(fd) < 0) {
		printf("FAIL stress-%s: setup in %s: %s\n", name, dir,
		       ename(errno));
		return 1;
	}

	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			printf("FAIL stress-%s: fork: %s\n", name, ename(errno));
			shm->stop = 1;
			nprocs = i;
			break;
		}
		if (pids[i] == 0)
			worker(i);
	}

	/* the setup may take 2 * grace; a worker that failed sets stop */
	deadline = now() + 2.0 * grace;
	while (shm->ready < nprocs && !shm->stop && now() < deadline)
		usleep(10000);
	if (shm->ready < nprocs && !shm->stop) {
		snprintf(why, sizeof(why), "setup not finished after %d s (%d"
			 " of %d workers ready)", 2 * grace, shm->ready, nprocs);
		say("%s", why);
		fails++;
		acted = 1;	/* no run: nothing to kill or detach in */
		shm->stop = 1;
	}
	start = now();
	end = shm->stop ? start : start + secs;
	shm->end = end;
	__atomic_store_n(&shm->go, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < nprocs; i++) {
		seen[i] = shm->w[i].progress;
		moved[i] = start;
		killed_at[i] = 0;
	}

	for (;;) {
		t = now();
		alive = 0;
		for (i = 0; i < nprocs; i++) {
			if (!pids[i])
				continue;
			if (waitpid(pids[i], &st, WNOHANG) == pids[i]) {
				if (!killed_at[i] &&
				    (!WIFEXITED(st) || WEXITSTATUS(st))) {
					if (!shm->w[i].failed)
						snprintf(shm->w[i].msg,
							 sizeof(shm->w[i].msg),
							 "worker %d died: status 0x%x",
							 i, st);
					shm->w[i].failed = 1;
				}
				pids[i] = 0;
				continue;
			}
			if (killed_at[i]) {
				/* reaped within 10 s of the SIGKILL, or given up */
				if (t > killed_at[i] + 10) {
					say("worker %d cannot be reaped after SIGKILL",
					    i);
					pids[i] = 0;
					continue;
				}
			} else if (shm->w[i].progress != seen[i]) {
				seen[i] = shm->w[i].progress;
				moved[i] = t;
			} else if (t - (moved[i] > end ? moved[i] : end) > grace) {
				/* still (not before the end) for grace seconds */
				say("worker %d made no progress for %d s, %.1f s"
				    " after the end", i, grace, t - end);
				show_stuck(pids[i]);
				kill(pids[i], SIGKILL);
				killed_at[i] = t;
				hung++;
			}
			alive++;
		}
		if (!alive)
			break;
		if (!acted && now() >= start + act_at) {
			acted = 1;
			if (kill_pid) {
				shm->killed = 1;
				if (kill(kill_pid, SIGKILL) < 0)
					say("kill %d: %s", kill_pid, ename(errno));
				else
					say("daemon %d killed at %.1f s", kill_pid,
					    now() - start);
			} else if (lazy_mnt) {
				if (umount2(lazy_mnt, MNT_DETACH) < 0) {
					snprintf(why, sizeof(why),
						 "umount -l %s: %s", lazy_mnt,
						 ename(errno));
					fails++;
				} else {
					say("%s detached at %.1f s", lazy_mnt,
					    now() - start);
				}
			}
		}
		usleep(50000);
	}

	for (i = 0; i < nprocs; i++) {
		struct wstat *w = &shm->w[i];

		ops += w->ops;
		appends += w->appends;
		renames += w->renames;
		pubs += w->published;
		reads += w->shared_reads;
		accepted += w->accepted;
		if (w->failed) {
			say("%s", w->msg);
			if (!fails++ && !why[0])
				snprintf(why, sizeof(why), "%s", w->msg);
		}
	}
	if (hung && !why[0])
		snprintf(why, sizeof(why), "%d worker(s) hung", hung);
	if (!fails && !hung && !shm->killed &&
	    parent_check_shared(appends, why, sizeof(why)))
		fails++;
	if (chdir("/") < 0)
		say("chdir /: %s", ename(errno));
	say("%d workers, %.1f s, %lu ops, %lu appends, %lu renames, %lu"
	    " published, %lu shared reads, %lu errors after the kill", nprocs,
	    now() - start, ops, appends, renames, pubs, reads, accepted);
	if (fails || hung) {
		printf("FAIL stress-%s: %s\n", name, why);
		return 1;
	}
	printf("PASS stress-%s: %d procs %d s, %lu ops seed %lu\n", name, nprocs,
	       secs, ops, seed);
	return 0;
}
