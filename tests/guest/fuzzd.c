// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-fuzzd - a hostile FUSE daemon and the processes that use it
 *
 * usage: fusept-fuzzd [-d DEV] [-t FSTYPE] [-D DIR] [-s SEED] [-r ROUNDS]
 *                     [-T SECS] [-w WORKERS] [-a AVOID] [-p FILE] [-n] [-v]
 *
 * Each round: a daemon process (fuzz-daemon.c) opens DEV (/dev/fusept),
 * mounts FSTYPE (fusept) on DIR/mR and answers every request, often with
 * a malformed reply, while WORKERS processes (fuzz-worker.c) run random
 * system calls on the mount for SECS seconds. The daemon is SIGKILLed in
 * some rounds, the mount unmounted busy, lazily or aborted in others. The
 * round then checks what a user would care about:
 *
 *   fuzz-R-procs   every worker and the daemon finished once the mount
 *                  was gone (a stuck one is reported with its kernel stack)
 *   fuzz-R-umount  the mount is gone
 *   fuzz-R-slab    no FSTYPE_inode object is left (if nothing else of
 *                  FSTYPE is mounted)
 *   fuzz-R-dmesg   the kernel log has no splat
 *   fuzz-R-data    what worker 0 read back of its own files (about which
 *                  the daemon never lies) matched its model of them
 *
 * one line each, "PASS name" or "FAIL name: reason". Round R uses the
 * seed SEED+R and prints it ("fuzz: round R seed S ..."): "-s S -r 1"
 * (with the same -T and -w) replays that round, as far as the daemon's
 * choices go. A closing "fuzz: summary ..." line counts rounds, system
 * calls, requests, malformed replies, notifications, ioctls and kills.
 *
 *   -D DIR     work directory (default /tmp/fusept-fuzz); a 64 MiB tmpfs
 *              is mounted on DIR/lower for the daemon's files
 *   -a AVOID   comma-separated names of malformations not to send (a name
 *              ending in '*' is a prefix); FUZZ_AVOID in the environment
 *              adds to it. Names: "<opcode>-<what>" as the trace prints
 *              them (create-pt-keepcache, read-long, ...), notify-<kind>,
 *              ioctl-*, unsolicited, worker-mmap-populate (the workers'
 *              MAP_POPULATE), check-copy (the checking worker's
 *              copy_file_range), create-atomic (CREATE answered ENOSYS),
 *              and for the plan of a round:
 *              init-refused, init-max-write-huge, pt-mainline,
 *              pt-android, end-clean, end-busy, end-lazy, end-abort,
 *              end-kill
 *   -p FILE    also write the "fuzz:" progress lines to FILE (e.g.
 *              /dev/console), as they happen
 *   -n         only print what each round's seed decides
 *   -v         trace the malformed replies, notifications and ioctls on
 *              stderr; -vv every request
 * Exit status: 0 if every check passed, 1 if one failed, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "result.h"

#define WATCHDOG_MS	30000
#define UMOUNT_MS	20000

struct fz_shared *fz_sh;
struct fz_opts fz_opt = {
	.dev = "/dev/fusept", .fstype = "fusept", .dir = "/tmp/fusept-fuzz",
	.seed = 1, .rounds = 10, .secs = 10, .workers = 4, .progress_fd = -1,
};

static int dry_run;
static int tscale = 1;		/* timeout_scale() */
static uint64_t kills;
static int kmsg_fd = -1;
static long round_t0;

/* --------------------------------------------------------- helpers */

long fz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The timeout scale (fusept.timeout_scale=N on the kernel command line,
 * exported by lib.sh), 1 if not set: waits for the kernel to get
 * somewhere are that many times as long */
static int timeout_scale(void)
{
	const char *s = getenv("FUSEPT_TIMEOUT_SCALE");

	return s && atoi(s) > 0 ? atoi(s) : 1;
}

/* One line on stderr (one write, so processes do not mix lines) */
void fz_trace(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!fz_opt.verbose)
		return;
	n = snprintf(line, sizeof(line), "fz: +%ld ", fz_now_ms() - round_t0);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

/* Remember a malformed reply for the report of a round that fails */
void fz_note_lie(const char *what)
{
	unsigned int i = fz_add(fz_sh->last_n, 1) % ARRAY_SIZE(fz_sh->last);

	snprintf(fz_sh->last[i], sizeof(fz_sh->last[i]), "+%ldms %s",
		 fz_now_ms() - round_t0, what);
}

/* name is on the avoid list (exactly, or by a prefix ending in '*') */
int fz_avoided(const char *name)
{
	const char *p = fz_opt.avoid;
	size_t len;

	while (p && *p) {
		len = strcspn(p, ",");
		if (len && p[len - 1] == '*' && !strncmp(p, name, len - 1))
			return 1;
		if (len == strlen(name) && !strncmp(p, name, len))
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

static const char *const opnames[] = {
	[FUSE_LOOKUP] = "lookup", [FUSE_FORGET] = "forget",
	[FUSE_GETATTR] = "getattr", [FUSE_SETATTR] = "setattr",
	[FUSE_READLINK] = "readlink", [FUSE_SYMLINK] = "symlink",
	[FUSE_MKNOD] = "mknod", [FUSE_MKDIR] = "mkdir",
	[FUSE_UNLINK] = "unlink", [FUSE_RMDIR] = "rmdir",
	[FUSE_RENAME] = "rename", [FUSE_LINK] = "link", [FUSE_OPEN] = "open",
	[FUSE_READ] = "read", [FUSE_WRITE] = "write", [FUSE_STATFS] = "statfs",
	[FUSE_RELEASE] = "release", [FUSE_FSYNC] = "fsync",
	[FUSE_SETXATTR] = "setxattr", [FUSE_GETXATTR] = "getxattr",
	[FUSE_LISTXATTR] = "listxattr", [FUSE_REMOVEXATTR] = "removexattr",
	[FUSE_FLUSH] = "flush", [FUSE_INIT] = "init",
	[FUSE_OPENDIR] = "opendir", [FUSE_READDIR] = "readdir",
	[FUSE_RELEASEDIR] = "releasedir", [FUSE_FSYNCDIR] = "fsyncdir",
	[FUSE_GETLK] = "getlk", [FUSE_SETLK] = "setlk",
	[FUSE_SETLKW] = "setlkw", [FUSE_ACCESS] = "access",
	[FUSE_CREATE] = "create", [FUSE_INTERRUPT] = "interrupt",
	[FUSE_BMAP] = "bmap", [FUSE_DESTROY] = "destroy",
	[FUSE_IOCTL] = "ioctl", [FUSE_POLL] = "poll",
	[FUSE_NOTIFY_REPLY] = "notify-reply",
	[FUSE_BATCH_FORGET] = "batch-forget",
	[FUSE_FALLOCATE] = "fallocate", [FUSE_READDIRPLUS] = "readdirplus",
	[FUSE_RENAME2] = "rename2", [FUSE_LSEEK] = "lseek",
	[FUSE_COPY_FILE_RANGE] = "copy-file-range",
	[FUSE_SETUPMAPPING] = "setupmapping",
	[FUSE_REMOVEMAPPING] = "removemapping", [FUSE_SYNCFS] = "syncfs",
	[FUSE_TMPFILE] = "tmpfile", [FUSE_STATX] = "statx",
};

const char *fz_opname(uint32_t opcode)
{
	if (opcode < ARRAY_SIZE(opnames) && opnames[opcode])
		return opnames[opcode];
	return "unknown";
}

/* A "fuzz:" line: stdout and the progress file */
static void progress(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void progress(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, n, stdout);
	fflush(stdout);
	if (fz_opt.progress_fd >= 0 &&
	    write(fz_opt.progress_fd, line, n) < 0)
		fz_opt.progress_fd = -1;
}

/* ------------------------------------------------------------ the plan */

/* value, unless the avoid list names what, then safe */
static uint32_t unless(const char *what, uint32_t value, uint32_t safe)
{
	return fz_avoided(what) ? safe : value;
}

static void plan_init(struct fz_plan *p, struct rng *r)
{
	static const uint32_t minors[] = { 40, 40, 40, 40, 39, 36, 31, 28,
					   23, 12 };
	static const uint32_t writes[] = { 4096, 4096, 4096, 65536, 131072,
					   1 << 20, 0, 1, 4095, 4097, 12345,
					   16 << 20 };
	/* read(2) takes at most 2 GiB - 4 KiB: beyond it a dead mount */
	static const uint32_t huge[] = { 1 << 30, 0x7fffe000, 0x7fffffff,
					 UINT32_MAX };
	static const uint32_t gran[] = { 0, 1, 1, 1, 3, 1000, 1000000000,
					 1000000001, UINT32_MAX };
	static const uint16_t pages[] = { 0, 1, 2, 16, 32, 32, 256, 257,
					  65535 };

	p->init_bad = one_in(r, 30) ? 1 + below(r, 6) : 0;
	p->init_bad = unless("init-refused", p->init_bad, 0);
	p->init_delay_ms = one_in(r, 6) ? below(r, 1500) : 0;
	p->minor = PICK(r, minors);
	p->flag_mask = one_in(r, 4) ? ~0ULL : rnd(r);
	p->flag_extra = one_in(r, 5) ? rnd(r) & rnd(r) : 0;
	p->max_write = PICK(r, writes);
	if (one_in(r, 16))
		p->max_write = unless("init-max-write-huge", PICK(r, huge),
				      p->max_write);
	p->max_readahead = PICK(r, ((const uint32_t[]){ 0, 4096, 131072,
				UINT32_MAX, 12345 }));
	p->ra_echo = one_in(r, 2);
	p->time_gran = PICK(r, gran);
	p->max_pages = PICK(r, pages);
	p->max_background = PICK(r, ((const uint16_t[]){ 0, 1, 12, 65535 }));
	p->congestion = PICK(r, ((const uint16_t[]){ 0, 1, 9, 65535 }));
	p->stack_depth = one_in(r, 6) ?
		PICK(r, ((const uint32_t[]){ 0, 2, 3, UINT32_MAX })) : 1;
}

static enum fz_pt plan_pt(struct rng *r)
{
	static const enum fz_pt pts[] = {
		PT_NONE, PT_NONE, PT_MAINLINE, PT_MAINLINE, PT_MAINLINE,
		PT_ANDROID, PT_ANDROID, PT_BOTH,
	};
	enum fz_pt pt = PICK(r, pts);

	if ((pt == PT_MAINLINE || pt == PT_BOTH) && fz_avoided("pt-mainline"))
		pt = PT_NONE;
	if ((pt == PT_ANDROID || pt == PT_BOTH) && fz_avoided("pt-android"))
		pt = PT_NONE;
	return pt;
}

static const char *const end_names[] = {
	[END_CLEAN] = "end-clean", [END_BUSY] = "end-busy",
	[END_LAZY] = "end-lazy", [END_ABORT] = "end-abort",
	[END_KILL] = "end-kill",
};

static const char *const after_names[] = {
	[AFTER_UMOUNT] = "umount", [AFTER_LAZY] = "umount-l",
	[AFTER_ABORT] = "abort",
};

static void plan_end(struct fz_plan *p, struct rng *r)
{
	int i;

	p->end = below(r, ARRAY_SIZE(end_names));
	for (i = 0; i < 5 && fz_avoided(end_names[p->end]); i++)
		p->end = (p->end + 1) % ARRAY_SIZE(end_names);
	p->after = below(r, ARRAY_SIZE(after_names));
	/* early, any time, or right before the unmount */
	switch (below(r, 5)) {
	case 0:
		p->kill_ms = below(r, 300);
		break;
	case 1:
	case 2:
		p->kill_ms = below(r, fz_opt.secs * 1000);
		break;
	default:
		p->kill_ms = fz_opt.secs * 1000;
	}
}

/* Everything the round's seed decides up front */
static void make_plan(struct fz_plan *p, uint64_t seed)
{
	struct rng r;

	memset(p, 0, sizeof(*p));
	p->seed = seed;
	rng_init(&r, seed, 0x504c414e);
	plan_init(p, &r);
	p->pt = plan_pt(&r);
	p->allow_other = one_in(&r, 2);
	p->default_permissions = one_in(&r, 2);
	p->rootmode = 040000 | (one_in(&r, 4) ? below(&r, 010000) : 0755);
	p->max_read = one_in(&r, 6) ? PICK(&r, ((const uint32_t[]){ 1, 4096,
				65536, 131072 })) : 0;
	p->threads = 1 + below(&r, 3);
	p->mal_pm = PICK(&r, ((const uint32_t[]){ 0, 20, 50, 100, 100, 200,
			      400 }));
	p->pt_pm = PICK(&r, ((const uint32_t[]){ 300, 700, 1000 }));
	p->chaos_ms = PICK(&r, ((const uint32_t[]){ 0, 5, 20, 20, 100 }));
	p->ttl = below(&r, 4);
	p->user_workers = p->allow_other ? (uint32_t)(rnd(&r) & rnd(&r)) : 0;
	plan_end(p, &r);
	/* (drawn last: the seeds of earlier versions keep their plans) */
	p->owner = one_in(&r, 4) ? 1000 : 0;
	if (p->owner && !p->allow_other)
		p->user_workers = ~0U;	/* only the owner gets in */
	p->stall_pm = PICK(&r, ((const uint32_t[]){ 0, 0, 0, 20, 100 }));
}

static void print_plan(int round, const struct fz_plan *p)
{
	static const char *const pts[] = { "none", "mainline", "android",
					   "both" };
	char end[64];

	if (p->end == END_KILL && p->kill_ms >= fz_opt.secs * 1000)
		snprintf(end, sizeof(end), "kill@end+%s", after_names[p->after]);
	else if (p->end == END_KILL)
		snprintf(end, sizeof(end), "kill@%dms+%s", p->kill_ms,
			 after_names[p->after]);
	else
		snprintf(end, sizeof(end), "%s", end_names[p->end] + 4);
	progress("fuzz: round %d seed %llu pt=%s init=minor:%u,mw:%u,mp:%u,"
		 "tg:%u,ra:%s,depth:%u,bad:%d,delay:%u mount=%s%s%o%s,uid:%u "
		 "daemon=thr:%d,mal:%u/1000,stall:%u/1000,chaos:%ums,ttl:%u "
		 "end=%s",
		 round, (unsigned long long)p->seed, pts[p->pt], p->minor,
		 p->max_write, p->max_pages, p->time_gran,
		 p->ra_echo ? "echo" : "set", p->stack_depth, p->init_bad,
		 p->init_delay_ms, p->allow_other ? "ao," : "",
		 p->default_permissions ? "dp," : "", p->rootmode,
		 p->max_read ? ",max_read" : "", p->owner, p->threads, p->mal_pm,
		 p->stall_pm, p->chaos_ms, p->ttl, end);
}

/* ------------------------------------------------ processes, mounts */

struct round {
	int num;
	char tag[32];
	char mnt[256];
	struct fz_plan plan;
	pid_t daemon;
	pid_t workers[64];
	long conn;
	int killed;
	int umount_hung;
	char stuck[1024];
};


static int is_mounted(const char *mnt)
{
	char line[1024], dev[256], dir[512];
	FILE *f = fopen("/proc/mounts", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%255s %511s", dev, dir) == 2 &&
			!strcmp(dir, mnt);
	fclose(f);
	return found;
}

/* Another mount of our file system type (slab check is then moot) */
static int fstype_mounted(void)
{
	char line[1024], dev[256], dir[512], type[64];
	FILE *f = fopen("/proc/mounts", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
			!strcmp(type, fz_opt.fstype);
	fclose(f);
	return found;
}

/* The connection's name in /sys/fs/FSTYPE/connections, -1 */
static long conn_id(const char *mnt)
{
	char line[1024], dir[512];
	unsigned int major, minor;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	long id = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %*u %u:%u %*s %511s", &major, &minor,
			   dir) == 3 && !strcmp(dir, mnt))
			id = ((long)major << 20) | minor;
	fclose(f);
	return id;
}

static void abort_conn(long id)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/fs/%s/connections/%ld/abort",
		 fz_opt.fstype, id);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0)
		fz_trace("abort %s: %s", path, strerror(errno));
	close(fd);
}

/* The first line of a /proc/PID file, "" if none */
static void proc_line(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	buf[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, size, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/*
 * What a stuck process is doing: name, state, system call and kernel
 * stack (none for a task on a CPU: then the kernel log gets a backtrace
 * of every CPU, sysrq l)
 */
static void describe(pid_t pid, char *buf, size_t size)
{
	char path[64], line[256], comm[32] = "?", state = '?', sc[64];
	size_t len;
	FILE *f;

	proc_line(pid, "stat", line, sizeof(line));
	if (sscanf(line, "%*d (%31[^)]) %c", comm, &state) != 2)
		state = '?';
	proc_line(pid, "syscall", sc, sizeof(sc));
	sc[strcspn(sc, " ")] = 0;
	len = snprintf(buf, size, "pid %d (%s) state %c syscall %s, stack:",
		       pid, comm, state, sc);
	if (state == 'R') {
		f = fopen("/proc/sysrq-trigger", "w");
		if (f) {
			fputs("l", f);
			fclose(f);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	f = fopen(path, "r");
	while (f && len < size - 1 && fgets(line, sizeof(line), f)) {
		char *fn = strchr(line, ']');

		fn = fn ? fn + 2 : line;
		fn[strcspn(fn, "+\n")] = 0;
		len += snprintf(buf + len, size - len, " %s", fn);
	}
	if (f)
		fclose(f);
}

/* Wait until none of pids[] runs (0 entries are done) or ms passed;
 * returns how many still run */
static int wait_pids(pid_t *pids, int n, long ms)
{
	long end = fz_now_ms() + ms;
	int i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (!pids[i])
				continue;
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
				pids[i] = 0;
			else
				left++;
		}
		if (!left || fz_now_ms() >= end)
			return left;
		usleep(20000);
	}
}

/* umount2() again and again while it says EBUSY, for ms at most */
static int umount_retry(const char *mnt, int flags, long ms)
{
	long end = fz_now_ms() + ms;

	while (umount2(mnt, flags) < 0) {
		if (errno != EBUSY || fz_now_ms() >= end)
			return errno;
		usleep(1000);
	}
	return 0;
}

/* umount2() in a child, so that a hanging one cannot stop us (retrying
 * on EBUSY for retry_ms); errno */
static int umount_timed(struct round *rd, int flags, long retry_ms)
{
	long end = fz_now_ms() + UMOUNT_MS;
	pid_t pid = fork();
	int st = 0;

	if (pid == 0)
		_exit(umount_retry(rd->mnt, flags, retry_ms));
	if (pid < 0)
		return errno;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (fz_now_ms() < end) {
			usleep(20000);
			continue;
		}
		describe(pid, rd->stuck, sizeof(rd->stuck));
		rd->umount_hung = 1;
		kill(pid, SIGKILL);
		wait_pids(&pid, 1, 5000);
		return ETIMEDOUT;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

/* ------------------------------------------------------------ checks */

static long slab_active(const char *name)
{
	char line[512], n[64];
	FILE *f = fopen("/proc/slabinfo", "r");
	long active = -1, a;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", n, &a) == 2 && !strcmp(n, name))
			active = a;
	fclose(f);
	return active;
}

/* No inode of our file system type is left (they go after an RCU grace
 * period; SLUB counts per-cpu objects as active until shrunk) */
static void check_slab(const char *tag)
{
	char name[64], path[128], test[64];
	long active = -1;
	int i, fd;

	snprintf(name, sizeof(name), "%s_inode", fz_opt.fstype);
	snprintf(test, sizeof(test), "%s-slab", tag);
	if (fstype_mounted() || slab_active(name) < 0) {
		printf("SKIP %s: %s\n", test, fstype_mounted() ?
		       "another mount of the type exists" :
		       "no such slab cache");
		return;
	}
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
	for (i = 0; i < 50 * tscale; i++) {
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				fz_trace("shrink: %s", strerror(errno));
			close(fd);
		}
		active = slab_active(name);
		if (!active)
			break;
		usleep(100000);
	}
	result(!active, test, "%ld active %s objects %d s after the umount",
	       active, name, 5 * tscale);
}

static const char *const splats[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "KASAN", "UBSAN",
	"lockdep", "possible recursive locking", "circular locking",
	"INFO: task", "blocked for more than", "hung_task", "list_del corr",
	"list_add corr", "Kernel panic", "kernel BUG", "refcount_t:",
	"use-after-free", "soft lockup", "hard LOCKUP", "rcu_sched self",
	"rcu: INFO", "Busy inodes", "Object already free",
	"Poison overwritten", "Redzone", "double free",
	/* a daemon made the kernel allocate more than it has */
	"page allocation failure", "vmalloc error", "invoked oom-killer",
};

/* The first kernel log line since the last call that looks like a
 * splat, into buf ("" if none) */
static void kmsg_scan(char *buf, size_t size)
{
	char rec[2048], *msg;
	ssize_t n;
	size_t i;

	buf[0] = 0;
	while (kmsg_fd >= 0) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten: go on with the next */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (fz_opt.verbose && strstr(msg, fz_opt.fstype))
			fz_trace("kernel: %s", msg);
		for (i = 0; i < ARRAY_SIZE(splats) && !buf[0]; i++)
			if (strstr(msg, splats[i]))
				snprintf(buf, size, "%.400s", msg);
	}
}

/* ------------------------------------------------------------- rounds */

static void wipe_lower(void)
{
	DIR *d = opendir(fz_opt.lower);
	struct dirent *e;
	int dfd;

	if (!d)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (unlinkat(dfd, e->d_name, 0) < 0)
			unlinkat(dfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* Fork the daemon; 0 once it mounted, else the reason in rd->stuck */
static int start_daemon(struct round *rd)
{
	long end = fz_now_ms() + 10000L * tscale;
	int st;

	fz_sh->mounted = fz_sh->init_done = fz_sh->stop = 0;
	rd->daemon = fork();
	if (rd->daemon < 0)
		return -1;
	if (rd->daemon == 0) {
		prctl(PR_SET_NAME, "fuzz-daemon");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fz_daemon_run(&rd->plan);
	}
	while (!__atomic_load_n(&fz_sh->mounted, __ATOMIC_ACQUIRE) &&
	       fz_now_ms() < end) {
		if (waitpid(rd->daemon, &st, WNOHANG) == rd->daemon) {
			rd->daemon = 0;
			break;
		}
		usleep(10000);
	}
	if (fz_sh->mounted == 1)
		return 0;
	snprintf(rd->stuck, sizeof(rd->stuck), "daemon did not mount: %s",
		 fz_sh->mounted < 0 ? strerror(-fz_sh->mounted) : "no answer");
	return -1;
}

static void start_workers(struct round *rd, long deadline)
{
	int i;

	for (i = 0; i < fz_opt.workers; i++) {
		rd->workers[i] = fork();
		if (rd->workers[i] == 0)
			fz_worker(i, rd->plan.seed, deadline,
				  (rd->plan.user_workers >> i) & 1);
		if (rd->workers[i] < 0)
			rd->workers[i] = 0;
	}
}

static void kill_daemon(struct round *rd)
{
	if (rd->killed || !rd->daemon)
		return;
	kill(rd->daemon, SIGKILL);
	rd->killed = 1;
	kills++;
	fz_trace("daemon killed");
}

/* The round runs; the daemon dies on time in END_KILL rounds */
static void run_time(struct round *rd, long t0, long deadline)
{
	while (fz_now_ms() < deadline) {
		if (rd->plan.end == END_KILL &&
		    fz_now_ms() >= t0 + rd->plan.kill_ms)
			kill_daemon(rd);
		if (rd->daemon && waitpid(rd->daemon, NULL, WNOHANG) ==
		    rd->daemon) {
			fz_trace("daemon exited by itself");
			rd->daemon = 0;
		}
		usleep(20000);
	}
}

/* Time is up: a worker in a wait that a signal ends (not one on the
 * daemon) exits in its handler */
static void signal_workers(struct round *rd)
{
	int i;

	for (i = 0; i < fz_opt.workers; i++)
		if (rd->workers[i])
			kill(rd->workers[i], SIGALRM);
}

/* The unmount the plan asks for, first thing at the end */
static void first_unmount(struct round *rd)
{
	const struct fz_plan *p = &rd->plan;
	int err = 0, how = p->end;

	if (how == END_KILL && p->after == AFTER_UMOUNT) {
		/* umount as soon as the workers let go, while the requests
		 * of the dead daemon are still being ended */
		err = umount_timed(rd, 0, 3000);
		fz_trace("first unmount: %s", err ? strerror(err) : "ok");
		return;
	}
	if (how == END_KILL)
		how = p->after == AFTER_LAZY ? END_LAZY : END_ABORT;
	switch (how) {
	case END_CLEAN:
		wait_pids(rd->workers, fz_opt.workers, 5000);
		/* fall through */
	case END_BUSY:
		err = umount_timed(rd, 0, 0);
		break;
	case END_LAZY:
		err = umount_timed(rd, MNT_DETACH, 0);
		break;
	case END_ABORT:
		abort_conn(rd->conn);
		err = umount_timed(rd, 0, 0);
		break;
	}
	fz_trace("first unmount: %s", err ? strerror(err) : "ok");
}

/*
 * Make sure the connection ends (a live daemon that holds requests keeps
 * busy workers waiting, and its own file on the mount, opened for an
 * ioctl, keeps a detached mount alive), then the mount goes. Returns the
 * number of workers that never finished.
 */
static int finish(struct round *rd)
{
	int left, i;

	left = wait_pids(rd->workers, fz_opt.workers, 3000);
	abort_conn(rd->conn);	/* nothing there once the mount went */
	if (is_mounted(rd->mnt) && umount_timed(rd, 0, 0) == EBUSY) {
		wait_pids(rd->workers, fz_opt.workers, WATCHDOG_MS);
		umount_timed(rd, 0, 0);
	}
	if (is_mounted(rd->mnt))
		umount_timed(rd, MNT_DETACH, 0);
	left = wait_pids(rd->workers, fz_opt.workers, WATCHDOG_MS);
	for (i = 0; left && i < fz_opt.workers; i++) {
		size_t len;

		if (!rd->workers[i])
			continue;
		if (!rd->stuck[0]) {
			len = snprintf(rd->stuck, sizeof(rd->stuck),
				       "worker %d in %s: ", i,
				       fz_worker_doing(i));
			describe(rd->workers[i], rd->stuck + len,
				 sizeof(rd->stuck) - len);
		}
		kill(rd->workers[i], SIGKILL);
	}
	wait_pids(rd->workers, fz_opt.workers, 5000);
	return left;
}

/* The daemon goes once the connection is gone (read gives ENODEV) */
static int finish_daemon(struct round *rd)
{
	if (!rd->daemon || !wait_pids(&rd->daemon, 1, 10000))
		return 0;
	if (!rd->stuck[0])
		describe(rd->daemon, rd->stuck, sizeof(rd->stuck));
	kill(rd->daemon, SIGKILL);
	wait_pids(&rd->daemon, 1, 5000);
	return 1;
}

static void last_lies(void)
{
	unsigned int i, n = fz_sh->last_n;

	for (i = n > 8 ? n - 8 : 0; i < n; i++)
		printf("    # recent lie: %s\n", fz_sh->last[i % 8]);
}

static void checks(struct round *rd, int stuck_workers, int stuck_daemon)
{
	char test[64], splat[512];

	snprintf(test, sizeof(test), "%s-procs", rd->tag);
	result(!stuck_workers && !stuck_daemon, test,
	       "%d worker(s)%s still running after the umount: %s",
	       stuck_workers, stuck_daemon ? " and the daemon" : "",
	       rd->stuck);
	snprintf(test, sizeof(test), "%s-umount", rd->tag);
	result(!is_mounted(rd->mnt) && !rd->umount_hung, test,
	       "%s %s: %s", rd->mnt, rd->umount_hung ?
	       "umount hung" : "still mounted", rd->stuck);
	if (!is_mounted(rd->mnt))
		rmdir(rd->mnt);
	check_slab(rd->tag);
	kmsg_scan(splat, sizeof(splat));
	snprintf(test, sizeof(test), "%s-dmesg", rd->tag);
	result(!splat[0], test, "%s", splat);
	snprintf(test, sizeof(test), "%s-data", rd->tag);
	result(!fz_sh->data_fail[0], test, "%s", fz_sh->data_fail);
}

static void run_round(int num, uint64_t seed)
{
	struct round rd = { .num = num };
	uint64_t before[4] = { fz_sh->syscalls, fz_sh->requests,
			       fz_sh->malformed, fz_sh->notifications };
	int fails = failures, stuck, dstuck;
	long t0, deadline;

	snprintf(rd.tag, sizeof(rd.tag), "fuzz-%d", num);
	snprintf(rd.mnt, sizeof(rd.mnt), "%s/m%d", fz_opt.dir, num);
	snprintf(fz_opt.mnt, sizeof(fz_opt.mnt), "%s", rd.mnt);
	make_plan(&rd.plan, seed);
	print_plan(num, &rd.plan);
	mkdir(rd.mnt, 0755);
	wipe_lower();
	fz_sh->last_n = 0;
	fz_sh->data_fail[0] = 0;
	round_t0 = fz_now_ms();
	if (start_daemon(&rd) < 0) {
		char test[64];

		snprintf(test, sizeof(test), "%s-mount", rd.tag);
		result(0, test, "%s", rd.stuck);
		if (rd.daemon)
			kill(rd.daemon, SIGKILL);
		umount2(rd.mnt, MNT_DETACH);
		return;
	}
	rd.conn = conn_id(rd.mnt);
	t0 = fz_now_ms();
	deadline = t0 + fz_opt.secs * 1000L;
	start_workers(&rd, deadline);
	run_time(&rd, t0, deadline);
	if (rd.plan.end == END_KILL)
		kill_daemon(&rd);	/* before the workers stop */
	fz_sh->stop = 1;
	signal_workers(&rd);
	first_unmount(&rd);
	stuck = finish(&rd);
	dstuck = finish_daemon(&rd);
	checks(&rd, stuck, dstuck);
	if (failures != fails)
		last_lies();
	progress("fuzz: round %d done in %ld s: %llu syscalls, %llu requests, "
		 "%llu malformed, %llu notifications%s", num,
		 (fz_now_ms() - round_t0) / 1000,
		 (unsigned long long)(fz_sh->syscalls - before[0]),
		 (unsigned long long)(fz_sh->requests - before[1]),
		 (unsigned long long)(fz_sh->malformed - before[2]),
		 (unsigned long long)(fz_sh->notifications - before[3]),
		 rd.killed ? ", daemon killed" : "");
}

/* -------------------------------------------------------------- setup */

/* The control file system that fills /sys/fs/FSTYPE/connections */
static void mount_ctl(void)
{
	char dir[128], type[64];
	DIR *d;
	int empty = 1;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/sys/fs/%s/connections", fz_opt.fstype);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			empty = 0;
	closedir(d);
	if (!empty)
		return;
	snprintf(type, sizeof(type), "%sctl", fz_opt.fstype);
	if (mount("none", dir, type, 0, NULL) < 0 &&
	    !strcmp(fz_opt.fstype, "fuse"))
		mount("none", dir, "fusectl", 0, NULL);
}

static void setup(void)
{
	fz_sh = mmap(NULL, sizeof(*fz_sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fz_sh == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	mkdir(fz_opt.dir, 0755);
	snprintf(fz_opt.lower, sizeof(fz_opt.lower), "%s/lower", fz_opt.dir);
	mkdir(fz_opt.lower, 0700);
	if (mount("fuzzlower", fz_opt.lower, "tmpfs", 0, "size=64m,mode=700")
	    < 0)
		fprintf(stderr, "fuzz: tmpfs on %s: %s (going on)\n",
			fz_opt.lower, strerror(errno));
	mount_ctl();
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	signal(SIGPIPE, SIG_IGN);
}

static char *avoid_list(const char *opt)
{
	const char *env = getenv("FUZZ_AVOID");
	size_t len;
	char *a;

	if (env && !*env)
		env = NULL;
	if (opt && !*opt)
		opt = NULL;
	len = (opt ? strlen(opt) : 0) + (env ? strlen(env) : 0) + 2;
	a = malloc(len);
	if (!a)
		exit(2);
	snprintf(a, len, "%s%s%s", opt ? opt : "", opt && env ? "," : "",
		 env ? env : "");
	return a;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fusept-fuzzd [-d DEV] [-t FSTYPE] [-D DIR] [-s SEED] "
		"[-r ROUNDS]\n"
		"                    [-T SECS] [-w WORKERS] [-a AVOID] "
		"[-p FILE] [-n] [-v]\n");
	exit(2);
}

static void options(int argc, char **argv)
{
	const char *avoid = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "d:t:D:s:r:T:w:a:p:nv")) != -1) {
		switch (opt) {
		case 'd': fz_opt.dev = optarg; break;
		case 't': fz_opt.fstype = optarg; break;
		case 'D': fz_opt.dir = optarg; break;
		case 's': fz_opt.seed = strtoull(optarg, NULL, 0); break;
		case 'r': fz_opt.rounds = atoi(optarg); break;
		case 'T': fz_opt.secs = atoi(optarg); break;
		case 'w': fz_opt.workers = atoi(optarg); break;
		case 'a': avoid = optarg; break;
		case 'p':
			fz_opt.progress_fd = open(optarg, O_WRONLY | O_APPEND |
						  O_CLOEXEC);
			break;
		case 'n': dry_run = 1; break;
		case 'v': fz_opt.verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || fz_opt.rounds < 1 || fz_opt.secs < 1 ||
	    fz_opt.workers < 0 || fz_opt.workers > 64)
		usage();
	fz_opt.avoid = avoid_list(avoid);
}

int main(int argc, char **argv)
{
	int r;

	options(argc, argv);
	tscale = timeout_scale();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (dry_run) {
		struct fz_plan p;

		for (r = 0; r < fz_opt.rounds; r++) {
			make_plan(&p, fz_opt.seed + r);
			print_plan(r, &p);
		}
		return 0;
	}
	setup();
	progress("fuzz: fs=%s dev=%s seed=%llu rounds=%d secs=%d workers=%d "
		 "avoid=%s", fz_opt.fstype, fz_opt.dev,
		 (unsigned long long)fz_opt.seed, fz_opt.rounds, fz_opt.secs,
		 fz_opt.workers, fz_opt.avoid[0] ? fz_opt.avoid : "-");
	for (r = 0; r < fz_opt.rounds; r++)
		run_round(r, fz_opt.seed + r);
	progress("fuzz: summary rounds=%d failed=%d syscalls=%llu "
		 "requests=%llu malformed=%llu notifications=%llu ioctls=%llu "
		 "unsolicited=%llu kills=%llu verified=%llu", fz_opt.rounds,
		 failures, (unsigned long long)fz_sh->syscalls,
		 (unsigned long long)fz_sh->requests,
		 (unsigned long long)fz_sh->malformed,
		 (unsigned long long)fz_sh->notifications,
		 (unsigned long long)fz_sh->ioctls,
		 (unsigned long long)fz_sh->unsolicited,
		 (unsigned long long)kills,
		 (unsigned long long)fz_sh->verified);
	umount2(fz_opt.lower, MNT_DETACH);
	return failures ? 1 : 0;
}
