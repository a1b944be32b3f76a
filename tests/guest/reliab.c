// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-reliab - reliability checks, one case per defect an independent
 * review of fusept found: each case plays a daemon of its own (the wire
 * protocol by hand, in a child process) against a user of the mount and
 * checks what a user or the daemon would see.
 *
 * usage: fusept-reliab [-d DEV] [-t FSTYPE] [-n ROUNDS] CASE MNT LOWER
 *	  fusept-reliab -l		list the cases
 *
 * LOWER is a directory on tmpfs for the daemon's backing files (f0..f9,
 * 8 KiB each). One line per check, "PASS rel-NAME" or "FAIL rel-NAME:
 * detail"; exit status 0 when every check passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fusept.h>
#define RESULT_PREFIX "rel-"
#include "result.h"
#include "splicein.h"

#define NFILES		10		/* f0..f9: nodeids 2..11 */
#define FILE_SIZE	8192
#define NEW_NODE	20		/* the first node CREATE makes */
#define N_BASE		100		/* "nK": nodeid N_BASE + K */
#define MAXNODES	8192
#define LONG_NODE	50		/* the long names of reval-rename: 50, 51 */
#define MAXFH		4096
#define REQ_BUF		(FUSE_MIN_READ_BUFFER + (4 << 20))
#define HUGE_MAX_WRITE	(512 << 20)	/* a daemon's max_write, too big */

enum { PT_NONE, PT_MAINLINE, PT_ANDROID };

/* The plan of a case and what the daemon saw, shared with the daemon */
struct ctl {
	/* INIT */
	int pt;
	uint32_t max_write;
	uint16_t max_pages;
	/* replies */
	uint32_t open_flags;		/* OPEN */
	int open_pt;			/* OPEN names a backing file */
	uint32_t create_flags;		/* CREATE */
	int create_pt;
	uint64_t create_node;		/* CREATE answers with this node */
	uint64_t hold_node;		/* READ of it: answer after hold_ms */
	int hold_ms;
	int hold_write;			/* the next WRITE of it too, once;
					 * 2: the request after it is read
					 * meanwhile and served after it */
	int no_release;			/* never answer RELEASE */
	int stall;			/* read nothing after the next request */
	int entry_timeout;		/* entry_valid of LOOKUP replies */
	uid_t drop_uid;			/* after INIT, if set */
	pid_t kill_pid;			/* LOOKUP of nK: SIGKILL it too */
	unsigned int kill_round;
	int register_rdonly;		/* register a read-only fd */
	int cfr_zero;			/* COPY_FILE_RANGE copies nothing */
	int honour_append;		/* WRITE through an O_APPEND open appends */
	int retrieves;			/* LOOKUP "retrieve": STORE, then these */
	uid_t mount_uid;		/* mount for this user, no allow_other */
	int hold_setattr_ms;		/* SETATTR: answer after this long */
	int hold_rename_ms;		/* RENAME: answer after this long, */
	int rename_pause_ms;		/* then read nothing for this long */
	volatile int writer_stop;
	/* state */
	volatile int holding;		/* a held READ is being held */
	volatile int stop;		/* the daemon should exit */
	volatile int init_done;
	uint32_t flushes[NFILES + 2];
	uint32_t releases;
	uint32_t interrupts;
	uint32_t max_write_seen;
	uint32_t writes;
	uint64_t lookups[MAXNODES];
	uint64_t forgets[MAXNODES];
	uint32_t bad_names;
	char bad_name[128];
	int reg_errno;
	uint32_t append_writes;
	volatile int storm_done;
	int retrieve_ok, retrieve_err, retrieve_errno;
	long retrieve_drop_kb;
	uint32_t retrieve_max_len;
};

static struct ctl *ctl;
static const char *dev_path = "/dev/fusept";
static const char *fstype = "fusept";
static const char *mnt, *lower;
static unsigned int rounds = 20;
static long page_size;
static const char *case_name;
static int tscale = 1;		/* timeout_scale() */

static char long_a[41], long_b[51];

static const char *ename(int err)
{
	const char *n = err ? strerrorname_np(err) : "OK";

	return n ? n : "E?";
}

static void die(const char *what)
{
	fprintf(stderr, "fusept-reliab: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spin_us(unsigned int us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000 +
		 (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		fprintf(stderr, "fusept-reliab: %s: %s\n", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * The timeout scale, fusept.timeout_scale=N on the kernel command line
 * (tests/guest/lib.sh reads it and exports it as FUSEPT_TIMEOUT_SCALE), 1
 * if not there: the debug kernel is several times slower
 */
static int timeout_scale(void)
{
	const char *s = getenv("FUSEPT_TIMEOUT_SCALE");

	return s && atoi(s) > 0 ? atoi(s) : 1;
}

/* MemAvailable in KiB */
static long mem_available(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The byte the test data has at offset off of file f */
static unsigned char pattern(int f, off_t off)
{
	return (unsigned char)('A' + (f * 7 + off / 97) % 26);
}

/* ------------------------------------------------------------- daemon */

struct daemon {
	int fd;
	int lower[MAXNODES];		/* backing fds by nodeid, -1: none */
	uint32_t fh_flags[MAXFH];	/* open(2) flags by file handle */
	uint64_t next_fh;
	uint64_t next_node;
	unsigned char *buf;
	size_t bufsize;
	ssize_t len;
};

static struct fuse_in_header *hdr(struct daemon *d)
{
	return (struct fuse_in_header *)d->buf;
}

static void *arg(struct daemon *d)
{
	return d->buf + sizeof(struct fuse_in_header);
}

static int reply(struct daemon *d, int error, const void *p, size_t n)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + n,
		.error = error,
		.unique = hdr(d)->unique,
	};
	struct iovec iov[2] = {
		{ &oh, sizeof(oh) },
		{ (void *)p, n },
	};

	return writev(d->fd, iov, n ? 2 : 1) < 0 ? -errno : 0;
}

static void fill_attr(struct daemon *d, uint64_t node, struct fuse_attr *a)
{
	struct stat st;

	memset(a, 0, sizeof(*a));
	a->ino = node;
	a->nlink = 1;
	a->blksize = 4096;
	a->uid = 0;
	a->gid = 0;
	if (node == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
		return;
	}
	a->mode = S_IFREG | 0666;
	if (node < MAXNODES && d->lower[node] >= 0 &&
	    fstat(d->lower[node], &st) == 0) {
		a->size = st.st_size;
		a->blocks = st.st_blocks;
		a->mtime = st.st_mtim.tv_sec;
		a->mtimensec = st.st_mtim.tv_nsec;
		a->ctime = st.st_ctim.tv_sec;
		a->ctimensec = st.st_ctim.tv_nsec;
	}
}

/* The node a name stands for, 0 if none */
static uint64_t name_node(const char *name)
{
	unsigned int k;
	char c;

	if (name[0] == 'f' && name[1] >= '0' && name[1] <= '9' && !name[2])
		return 2 + name[1] - '0';
	if (sscanf(name, "n%u%c", &k, &c) == 1 && k < MAXNODES - N_BASE)
		return N_BASE + k;
	if (!strcmp(name, long_a))
		return LONG_NODE;
	if (!strcmp(name, long_b))
		return LONG_NODE + 1;
	return 0;
}

static void entry_of(struct daemon *d, uint64_t node, struct fuse_entry_out *e)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = node;
	e->entry_valid = ctl->entry_timeout;
	e->attr_valid = 3600;
	fill_attr(d, node, &e->attr);
}

static void retrieve_storm(struct daemon *d);

static void do_lookup(struct daemon *d)
{
	const char *name = arg(d);
	uint64_t node = name_node(name);
	struct fuse_entry_out e;
	pid_t victim;

	if (!strcmp(name, "retrieve")) {
		reply(d, -ENOENT, NULL, 0);
		retrieve_storm(d);
		return;
	}
	if (!node) {
		if (ctl->entry_timeout == 0 && !ctl->bad_names++)
			snprintf(ctl->bad_name, sizeof(ctl->bad_name), "%s",
				 name);
		reply(d, -ENOENT, NULL, 0);
		return;
	}
	entry_of(d, node, &e);
	victim = ctl->kill_pid;
	if (victim > 0 && node >= N_BASE) {
		/* the caller dies as its reply comes in, in either order */
		unsigned int r = ctl->kill_round++;

		if (r & 1)
			kill(victim, SIGKILL);
		spin_us(r % 7 * 15);
		if (!reply(d, 0, &e, sizeof(e)))
			ctl->lookups[node]++;
		if (!(r & 1))
			kill(victim, SIGKILL);
		return;
	}
	if (!reply(d, 0, &e, sizeof(e)))
		ctl->lookups[node]++;
}

static void do_forget(struct daemon *d)
{
	struct fuse_batch_forget_in *b = arg(d);
	struct fuse_forget_one *one = (void *)(b + 1);
	uint32_t i;

	if (hdr(d)->opcode == FUSE_FORGET) {
		if (hdr(d)->nodeid < MAXNODES)
			ctl->forgets[hdr(d)->nodeid] +=
				((struct fuse_forget_in *)arg(d))->nlookup;
		return;
	}
	for (i = 0; i < b->count; i++)
		if (one[i].nodeid < MAXNODES)
			ctl->forgets[one[i].nodeid] += one[i].nlookup;
}

static void do_getattr(struct daemon *d)
{
	struct fuse_attr_out a;

	memset(&a, 0, sizeof(a));
	a.attr_valid = 3600;
	fill_attr(d, hdr(d)->nodeid, &a.attr);
	reply(d, 0, &a, sizeof(a));
}

/* A backing ID for the node's lower file, 0 on failure */
static int backing_id(struct daemon *d, uint64_t node)
{
	struct fuse_backing_map map = { .fd = d->lower[node] };
	uint32_t fd = d->lower[node];
	char path[64];
	int id;

	if (ctl->register_rdonly) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", d->lower[node]);
		map.fd = fd = open(path, O_RDONLY);
	}
	if (ctl->pt == PT_ANDROID)
		id = ioctl(d->fd, FUSE_DEV_IOC_PASSTHROUGH_OPEN, &fd);
	else
		id = ioctl(d->fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	ctl->reg_errno = id < 0 ? errno : 0;
	if (ctl->register_rdonly)
		close(fd);
	return id < 0 ? 0 : id;
}

static void open_out(struct daemon *d, uint64_t node, uint32_t oflags,
		     uint32_t flags, int pt, struct fuse_open_out *o)
{
	memset(o, 0, sizeof(*o));
	o->fh = d->next_fh++ % MAXFH;
	d->fh_flags[o->fh] = oflags;
	o->open_flags = flags;
	if (pt && node < MAXNODES && d->lower[node] >= 0) {
		o->backing_id = backing_id(d, node);
		if (ctl->pt == PT_MAINLINE)
			o->open_flags |= FOPEN_PASSTHROUGH;
	}
}

static void do_open(struct daemon *d)
{
	struct fuse_open_out o;
	int id;

	open_out(d, hdr(d)->nodeid, ((struct fuse_open_in *)arg(d))->flags,
		 ctl->open_flags, ctl->open_pt, &o);
	id = o.backing_id;
	reply(d, 0, &o, sizeof(o));
	if (id && ctl->pt == PT_MAINLINE)
		ioctl(d->fd, FUSE_DEV_IOC_BACKING_CLOSE, &id);
}

static void do_create(struct daemon *d)
{
	struct fuse_create_in *in = arg(d);
	const char *name = (const char *)(in + 1);
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	uint64_t node = ctl->create_node;
	char path[4096];
	int id;

	if (!node) {
		node = d->next_node++;
		snprintf(path, sizeof(path), "%s/%s", lower, name);
		d->lower[node] = open(path, O_RDWR | O_CREAT, 0666);
	}
	entry_of(d, node, &out.e);
	open_out(d, node, in->flags, ctl->create_flags, ctl->create_pt,
		 &out.o);
	id = out.o.backing_id;
	if (!reply(d, 0, &out, sizeof(out)))
		ctl->lookups[node]++;
	if (id && ctl->pt == PT_MAINLINE)
		ioctl(d->fd, FUSE_DEV_IOC_BACKING_CLOSE, &id);
}

static void do_read(struct daemon *d)
{
	struct fuse_read_in *in = arg(d);
	uint64_t node = hdr(d)->nodeid;
	static char data[4 << 20];
	ssize_t n = 0;

	if (node == ctl->hold_node) {
		ctl->holding = 1;
		usleep(ctl->hold_ms * 1000);
		ctl->holding = 0;
	}
	if (in->size > sizeof(data))
		in->size = sizeof(data);
	if (node < MAXNODES && d->lower[node] >= 0)
		n = pread(d->lower[node], data, in->size, in->offset);
	reply(d, n < 0 ? -errno : 0, data, n < 0 ? 0 : n);
}

static void dispatch(struct daemon *d);
static void do_write(struct daemon *d);

/*
 * A held WRITE (hold_write 2), not applied yet while the daemon reads the
 * next request (for up to hold_ms): the held one is applied and answered
 * first, the next one after. So a request the kernel sent while the WRITE
 * was in flight carries the data it had then, and lands last.
 */
static void write_reordered(struct daemon *d)
{
	struct pollfd p = { .fd = d->fd, .events = POLLIN };
	unsigned char *cur = d->buf, *held;
	int more;

	held = malloc(d->len);
	if (!held)
		die("malloc");
	memcpy(held, d->buf, d->len);
	ctl->hold_write = 0;
	ctl->holding = 1;
	more = poll(&p, 1, ctl->hold_ms) == 1;
	if (more) {
		d->len = read(d->fd, d->buf, d->bufsize);
		more = d->len > 0;
	}
	d->buf = held;
	do_write(d);
	d->buf = cur;
	ctl->holding = 0;
	if (more)
		dispatch(d);
	free(held);
}

static void do_write(struct daemon *d)
{
	struct fuse_write_in *in = arg(d);
	struct fuse_write_out o = { .size = in->size };
	uint64_t node = hdr(d)->nodeid;
	ssize_t n = in->size;

	off_t off = in->offset;

	if (node == ctl->hold_node && ctl->hold_write == 2) {
		write_reordered(d);
		return;
	}
	if (node == ctl->hold_node && ctl->hold_write) {
		ctl->hold_write = 0;
		ctl->holding = 1;
		usleep(ctl->hold_ms * 1000);
		ctl->holding = 0;
	}
	ctl->writes++;
	if (in->size > ctl->max_write_seen)
		ctl->max_write_seen = in->size;
	/* as a daemon writing through a descriptor opened O_APPEND */
	if (ctl->honour_append &&
	    ((d->fh_flags[in->fh % MAXFH] | in->flags) & O_APPEND)) {
		ctl->append_writes++;
		off = lseek(d->lower[node], 0, SEEK_END);
	}
	if (node < MAXNODES && d->lower[node] >= 0)
		n = pwrite(d->lower[node], in + 1, in->size, off);
	o.size = n < 0 ? 0 : n;
	reply(d, n < 0 ? -errno : 0, &o, sizeof(o));
}

static void do_setattr(struct daemon *d)
{
	struct fuse_setattr_in *in = arg(d);
	uint64_t node = hdr(d)->nodeid;

	if (ctl->hold_setattr_ms)
		usleep(ctl->hold_setattr_ms * 1000);
	if ((in->valid & FATTR_SIZE) && node < MAXNODES && d->lower[node] >= 0)
		if (ftruncate(d->lower[node], in->size) < 0)
			perror("ftruncate");
	do_getattr(d);
}

static void do_flush_release(struct daemon *d)
{
	uint64_t node = hdr(d)->nodeid;

	if (hdr(d)->opcode == FUSE_FLUSH) {
		if (node < NFILES + 2)
			ctl->flushes[node]++;
	} else {
		ctl->releases++;
		if (ctl->no_release)
			return;
	}
	reply(d, 0, NULL, 0);
}

static void do_copy_file_range(struct daemon *d)
{
	struct fuse_copy_file_range_in *in = arg(d);
	struct fuse_write_out o = { 0 };
	uint64_t src = hdr(d)->nodeid, dst = in->nodeid_out;
	char buf[65536];
	ssize_t n = 0;

	if (!ctl->cfr_zero && src < MAXNODES && dst < MAXNODES &&
	    d->lower[src] >= 0 && d->lower[dst] >= 0 && in->len <= sizeof(buf)) {
		n = pread(d->lower[src], buf, in->len, in->off_in);
		if (n > 0)
			n = pwrite(d->lower[dst], buf, n, in->off_out);
	}
	o.size = n < 0 ? 0 : n;
	reply(d, n < 0 ? -errno : 0, &o, sizeof(o));
}

/* Write a notification; 0 or -errno */
static int notify(struct daemon *d, int code, const void *p, size_t n)
{
	struct fuse_out_header oh = { .len = sizeof(oh) + n, .error = code };
	struct iovec iov[2] = { { &oh, sizeof(oh) }, { (void *)p, n } };

	return writev(d->fd, iov, 2) < 0 ? -errno : 0;
}

/*
 * STORE 1 MiB into f4's page cache, then ask for it back ctl->retrieves
 * times without reading the device: the replies pile up in the kernel.
 */
static void retrieve_storm(struct daemon *d)
{
	static char buf[sizeof(struct fuse_notify_store_out) + (1 << 20)];
	struct fuse_notify_store_out *st = (void *)buf;
	struct fuse_notify_retrieve_out r = { .nodeid = 6, .size = 1 << 20 };
	long before = mem_available();
	int i, err;

	st->nodeid = 6;
	st->offset = 0;
	st->size = 1 << 20;
	memset(st + 1, 's', 1 << 20);
	if (notify(d, FUSE_NOTIFY_STORE, buf, sizeof(buf)))
		perror("NOTIFY_STORE");
	for (i = 0; i < ctl->retrieves; i++) {
		r.notify_unique = i + 1;
		err = notify(d, FUSE_NOTIFY_RETRIEVE, &r, sizeof(r));
		if (err) {
			ctl->retrieve_err++;
			ctl->retrieve_errno = -err;
		} else {
			ctl->retrieve_ok++;
		}
	}
	ctl->retrieve_drop_kb = before - mem_available();
	ctl->storm_done = 1;
}

static void do_notify_reply(struct daemon *d)
{
	struct fuse_notify_retrieve_in *in = arg(d);

	if (in->size > ctl->retrieve_max_len)
		ctl->retrieve_max_len = in->size;
}

static void do_statfs(struct daemon *d)
{
	struct fuse_statfs_out s;

	memset(&s, 0, sizeof(s));
	s.st.bsize = 4096;
	s.st.namelen = 255;
	reply(d, 0, &s, sizeof(s));
}

/*
 * RENAME succeeds; held, it is answered late and the daemon then reads
 * nothing for a while, so that what was queued meanwhile waits unread
 * after the kernel has moved the name.
 */
static void do_rename(struct daemon *d)
{
	int hold = ctl->hold_rename_ms;

	if (hold)
		usleep(hold * 1000);
	reply(d, 0, NULL, 0);
	if (hold) {
		ctl->hold_rename_ms = 0;
		usleep(ctl->rename_pause_ms * 1000);
	}
}

static void dispatch(struct daemon *d)
{
	switch (hdr(d)->opcode) {
	case FUSE_LOOKUP:	do_lookup(d); break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:	do_forget(d); break;
	case FUSE_GETATTR:	do_getattr(d); break;
	case FUSE_SETATTR:	do_setattr(d); break;
	case FUSE_OPEN:		do_open(d); break;
	case FUSE_CREATE:	do_create(d); break;
	case FUSE_READ:		do_read(d); break;
	case FUSE_WRITE:	do_write(d); break;
	case FUSE_FLUSH:
	case FUSE_RELEASE:	do_flush_release(d); break;
	case FUSE_STATFS:	do_statfs(d); break;
	case FUSE_COPY_FILE_RANGE: do_copy_file_range(d); break;
	case FUSE_NOTIFY_REPLY:	do_notify_reply(d); break;
	case FUSE_INTERRUPT:	ctl->interrupts++; break;
	case FUSE_RENAME:	do_rename(d); break;
	case FUSE_OPENDIR:
	case FUSE_RELEASEDIR:
	case FUSE_UNLINK:
	case FUSE_DESTROY:
	case FUSE_READDIR:	reply(d, 0, NULL, 0); break;
	default:		reply(d, -ENOSYS, NULL, 0); break;
	}
}

static void answer_init(struct daemon *d)
{
	struct fuse_init_in *in = arg(d);
	struct fuse_init_out o;

	memset(&o, 0, sizeof(o));
	o.major = FUSE_KERNEL_VERSION;
	o.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ?
		  in->minor : FUSE_KERNEL_MINOR_VERSION;
	o.max_readahead = in->max_readahead;
	o.max_write = ctl->max_write ? ctl->max_write : 131072;
	o.max_background = 16;
	o.congestion_threshold = 12;
	o.flags = FUSE_INIT_EXT | FUSE_BIG_WRITES;
	if (ctl->max_pages) {
		o.flags |= FUSE_MAX_PAGES;
		o.max_pages = ctl->max_pages;
	}
	if (ctl->pt == PT_MAINLINE) {
		o.flags2 = (uint32_t)(FUSE_PASSTHROUGH >> 32);
		o.max_stack_depth = 1;
	} else if (ctl->pt == PT_ANDROID) {
		o.flags |= FUSE_PASSTHROUGH_ANDROID;
	}
	if (reply(d, 0, &o, sizeof(o)))
		die("reply INIT");
}

static void daemon_files(struct daemon *d)
{
	char path[4096], data[FILE_SIZE];
	int f, i;

	for (i = 0; i < MAXNODES; i++)
		d->lower[i] = -1;
	for (f = 0; f < NFILES; f++) {
		for (i = 0; i < FILE_SIZE; i++)
			data[i] = pattern(f, i);
		snprintf(path, sizeof(path), "%s/f%d", lower, f);
		d->lower[2 + f] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (d->lower[2 + f] < 0 ||
		    pwrite(d->lower[2 + f], data, FILE_SIZE, 0) != FILE_SIZE)
			die(path);
	}
	d->next_node = NEW_NODE;
	d->next_fh = 1;
}

/* The daemon process: serve until the device says the mount is gone */
static void daemon_loop(struct daemon *d)
{
	for (;;) {
		d->len = read(d->fd, d->buf, d->bufsize);
		if (d->len < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (hdr(d)->opcode == FUSE_INIT) {
			answer_init(d);
			/* dumpable again: /proc/self/fd stays ours */
			if (ctl->drop_uid &&
			    (setresuid(ctl->drop_uid, ctl->drop_uid,
				       ctl->drop_uid) ||
			     prctl(PR_SET_DUMPABLE, 1)))
				die("setresuid");
			ctl->init_done = 1;
			continue;
		}
		dispatch(d);
		while (ctl->stall && !ctl->stop)
			usleep(10000);
		if (ctl->stop)
			break;
	}
	_exit(0);
}

static void stop_daemon(pid_t pid);

/*
 * Mount with a daemon in a child process. Returns the daemon's pid once
 * INIT has been answered; opts are extra mount options. Without an INIT
 * answered, the case fails (CASE-init) and the program exits.
 */
static pid_t start_daemon(const char *opts)
{
	static struct daemon d;
	char data[512];
	pid_t pid;
	int fd;

	fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(dev_path);
	snprintf(data, sizeof(data),
		 "fd=%d,rootmode=40000,user_id=%u,group_id=%u%s%s%s", fd,
		 ctl->mount_uid, ctl->mount_uid,
		 ctl->mount_uid ? "" : ",allow_other", opts ? "," : "",
		 opts ? opts : "");
	if (mount(fstype, mnt, fstype, 0, data) < 0)
		die("mount");
	ctl->init_done = 0;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		daemon_files(&d);
		d.fd = fd;
		/* room for a WRITE of max_write: the kernel wants that */
		d.bufsize = REQ_BUF;
		if (ctl->max_write > d.bufsize - FUSE_MIN_READ_BUFFER)
			d.bufsize = ctl->max_write + FUSE_MIN_READ_BUFFER;
		d.buf = malloc(d.bufsize);
		if (!d.buf)
			die("malloc");
		daemon_loop(&d);
	}
	close(fd);
	/* INIT was queued by the mount; 10 s for the daemon to answer it */
	for (int i = 0; i < 1000 * tscale && !ctl->init_done; i++)
		usleep(10000);
	if (!ctl->init_done) {
		/* every check after this would fail for another reason */
		snprintf(data, sizeof(data), "%s-init", case_name);
		result(0, data, "the daemon answered no INIT within %d s",
		       10 * tscale);
		stop_daemon(pid);
		exit(1);
	}
	return pid;
}

/* Unmount (lazily if busy), stop the daemon and reset the plan */
static void stop_daemon(pid_t pid)
{
	int i;

	if (umount2(mnt, 0) < 0)
		umount2(mnt, MNT_DETACH);
	for (i = 0; i < 200 && waitpid(pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 200) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	memset(ctl, 0, sizeof(*ctl));
	ctl->entry_timeout = 3600;
}

static char *path_of(const char *name)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", mnt, name);
	return p;
}

/* Errno of open(2) of a name below the mount, closing what it opened */
static int open_err(const char *name, int flags)
{
	int fd = open(path_of(name), flags, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* ------------------------------------------------ failed atomic create */

/* open(O_CREAT) must fail with want, the mount must go on working */
static void create_fails(const char *name, int flags, int want)
{
	char n[64];
	int err;

	snprintf(n, sizeof(n), "%s-open", name);
	err = open_err("newfile", O_CREAT | flags);
	result(err == want, n, "open(O_CREAT) gave %s, want %s", ename(err),
	       ename(want));
	snprintf(n, sizeof(n), "%s-mount-works", name);
	err = open_err("f1", O_RDONLY);
	result(err == 0, n, "open of another file afterwards: %s", ename(err));
}

/* A CREATE reply asking for passthrough and FOPEN_KEEP_CACHE at once */
static void create_keepcache(const char *name, int pt)
{
	pid_t pid;

	ctl->pt = pt;
	pid = start_daemon(NULL);
	ctl->create_pt = 1;
	ctl->create_flags = FOPEN_KEEP_CACHE;
	create_fails(name, O_WRONLY, EIO);
	stop_daemon(pid);
}

static void case_create_pt_keepcache(void)
{
	create_keepcache("create-pt-keepcache", PT_MAINLINE);
}

/*
 * Android mode accepts FOPEN_KEEP_CACHE beside a passthrough ID, as
 * MediaProvider sends it (docs/passthrough.md): the create opens, and the
 * mount goes on. (Its failure path is the one of the cases around it.)
 */
static void case_create_android_keepcache(void)
{
	pid_t pid;
	int err;

	ctl->pt = PT_ANDROID;
	pid = start_daemon(NULL);
	ctl->create_pt = 1;
	ctl->create_flags = FOPEN_KEEP_CACHE;
	err = open_err("newfile", O_CREAT | O_WRONLY);
	result(err == 0, "create-android-keepcache-open",
	       "open(O_CREAT) gave %s, want OK", ename(err));
	err = open_err("f1", O_RDONLY);
	result(err == 0, "create-android-keepcache-mount-works",
	       "open of another file afterwards: %s", ename(err));
	stop_daemon(pid);
}

/* CREATE names a node already open in passthrough, and opens it cached */
static void case_create_cached_on_pt(void)
{
	pid_t pid;
	int fd;

	ctl->pt = PT_MAINLINE;
	pid = start_daemon(NULL);
	ctl->open_pt = 1;
	fd = open(path_of("f0"), O_RDONLY);
	result(fd >= 0, "create-cached-on-pt-setup", "open f0: %s",
	       ename(errno));
	ctl->create_node = 2;
	create_fails("create-cached-on-pt", O_RDWR, EIO);
	if (fd >= 0)
		close(fd);
	stop_daemon(pid);
}

/*
 * A passthrough CREATE opened O_DIRECT: the backing open may refuse it
 * (tmpfs before 6.6); open(2) then fails cleanly.
 */
static void case_create_odirect(void)
{
	pid_t pid;
	int err;

	ctl->pt = PT_MAINLINE;
	pid = start_daemon(NULL);
	ctl->create_pt = 1;
	err = open_err("newdirect", O_CREAT | O_RDWR | O_DIRECT);
	result(err == 0 || err == EINVAL, "create-odirect-open",
	       "open(O_CREAT|O_DIRECT) gave %s, want OK or EINVAL", ename(err));
	err = open_err("f1", O_RDONLY);
	result(err == 0, "create-odirect-mount-works",
	       "open of another file afterwards: %s", ename(err));
	stop_daemon(pid);
}

/* ----------------------------------------------------------- signals */

static volatile unsigned long alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM with SA_RESTART every us microseconds (0: off) */
static void alarm_storm(unsigned int us)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval it = {
		.it_interval = { 0, us },
		.it_value = { 0, us },
	};

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * A process that keeps the single-threaded daemon busy with a held READ
 * of f9 once told to. It is forked before the test opens its own file, so
 * it holds no copy of that descriptor (whose close would FLUSH too).
 */
struct busy {
	pid_t pid;
	int go;
};

static void busy_start(struct busy *b)
{
	int ready[2], go[2];
	char c;
	int fd;

	if (pipe(ready) || pipe(go))
		die("pipe");
	b->pid = fork();
	if (b->pid < 0)
		die("fork");
	if (b->pid == 0) {
		close(ready[0]);
		close(go[1]);
		fd = open(path_of("f9"), O_RDONLY);
		if (fd < 0 || write(ready[1], "r", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(read(fd, &c, 1) != 1);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) != 1)
		die("busy process");
	close(ready[0]);
	b->go = go[1];
}

/* Start the held READ; true once the daemon holds it (within 5 s, times
 * the timeout scale) */
static int busy_go(struct busy *b)
{
	if (write(b->go, "g", 1) != 1)
		die("busy process");
	close(b->go);
	for (int i = 0; i < 500 * tscale && !ctl->holding; i++)
		usleep(10000);
	return ctl->holding;
}

static void busy_end(struct busy *b)
{
	waitpid(b->pid, NULL, 0);
}

/* Data of f<f> at offset off through the mount, compared */
static int check_data(const unsigned char *buf, ssize_t n, int f, off_t off)
{
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] != pattern(f, off + i))
			return 0;
	return 1;
}

/*
 * pread(2) of f0 with signals coming in (SA_RESTART): the data, not EIO
 * or EINTR. With busy, the daemon is busy with another request, so the
 * READ waits unread; else the daemon holds the READ itself.
 */
static void sig_read(const char *name, int busy)
{
	unsigned char buf[FILE_SIZE];
	struct busy b = { .pid = -1 };
	ssize_t n;
	pid_t pid;
	int fd, err;

	pid = start_daemon(NULL);
	ctl->hold_node = busy ? 2 + 9 : 2;
	ctl->hold_ms = busy ? 1500 : 800;
	if (busy)
		busy_start(&b);
	fd = open(path_of("f0"), O_RDONLY);
	if (busy)
		result(busy_go(&b), "sig-read-busy-setup",
		       "the daemon never got busy");
	alarm_storm(2000);
	n = pread(fd, buf, sizeof(buf), 0);
	err = errno;
	alarm_storm(0);
	result(n == FILE_SIZE && check_data(buf, n, 0, 0), name,
	       "pread gave %zd (%s) after %lu signals, want %d bytes of data",
	       n, n < 0 ? ename(err) : "short or wrong data", alarms,
	       FILE_SIZE);
	close(fd);
	if (busy)
		busy_end(&b);
	stop_daemon(pid);
}

static void case_sig_read_unsent(void)
{
	sig_read("sig-read-unsent", 1);
}

static void case_sig_read_sent(void)
{
	sig_read("sig-read-sent", 0);
}

/* A write(2) whose request waits unread: all of it written, no EINTR */
static void case_sig_write_unsent(void)
{
	unsigned char buf[FILE_SIZE], back[FILE_SIZE];
	struct busy b;
	ssize_t n;
	pid_t pid;
	int fd, err;

	pid = start_daemon(NULL);
	ctl->hold_node = 2 + 9;
	ctl->hold_ms = 1500;
	memset(buf, 'w', sizeof(buf));
	busy_start(&b);
	fd = open(path_of("f1"), O_WRONLY);
	busy_go(&b);
	alarm_storm(2000);
	n = pwrite(fd, buf, sizeof(buf), 0);
	err = errno;
	alarm_storm(0);
	result(n == FILE_SIZE, "sig-write-unsent",
	       "pwrite gave %zd (%s) after %lu signals, want %d", n,
	       n < 0 ? ename(err) : "short", alarms, FILE_SIZE);
	close(fd);
	busy_end(&b);
	snprintf((char *)back, sizeof(back), "%s/f1", lower);
	fd = open((char *)back, O_RDONLY);
	n = fd < 0 ? -1 : pread(fd, back, sizeof(back), 0);
	result(n == FILE_SIZE && !memcmp(back, buf, n), "sig-write-unsent-data",
	       "the lower file does not hold the data written");
	if (fd >= 0)
		close(fd);
	stop_daemon(pid);
}

/* close(2) with signals coming in: the daemon still gets its FLUSH */
static void case_sig_flush(void)
{
	struct busy b;
	pid_t pid;
	int fd, i;

	pid = start_daemon(NULL);
	ctl->hold_node = 2 + 9;
	ctl->hold_ms = 1500;
	busy_start(&b);
	fd = open(path_of("f1"), O_RDONLY);
	busy_go(&b);
	alarm_storm(2000);
	close(fd);
	alarm_storm(0);
	busy_end(&b);
	for (i = 0; i < 300 * tscale && !ctl->flushes[3]; i++)
		usleep(10000);
	result(ctl->flushes[3] == 1, "sig-flush",
	       "the daemon got %u FLUSH for the file closed, want 1",
	       ctl->flushes[3]);
	stop_daemon(pid);
}

/* --------------------------------------------------- umount vs. ending */

/*
 * RELEASEs the daemon never answers hold the last reference to their
 * inodes; the daemon's device is closed as umount runs. umount must wait
 * for those requests to end: no busy inodes, no use after free.
 */
static void case_umount_race(void)
{
	unsigned int r, i, bad = 0;
	pid_t pid;
	int fd, err;

	for (r = 0; r < rounds; r++) {
		pid = start_daemon(NULL);
		ctl->no_release = 1;
		for (i = 0; i < 64; i++) {
			char name[16];

			snprintf(name, sizeof(name), "n%u", i);
			fd = open(path_of(name), O_RDONLY);
			if (fd >= 0)
				close(fd);
		}
		/* drop the dentries: the RELEASEs hold the inodes alone */
		write_file("/proc/sys/vm/drop_caches", "2");
		ctl->stop = 1;
		kill(pid, SIGKILL);
		spin_us(r % 8 * 100);
		err = umount2(mnt, 0) < 0 ? errno : 0;
		if (err) {
			bad++;
			fprintf(stderr, "round %u: umount: %s\n", r,
				ename(err));
			umount2(mnt, MNT_DETACH);
		}
		waitpid(pid, NULL, 0);
		memset(ctl, 0, sizeof(*ctl));
		ctl->entry_timeout = 3600;
	}
	result(!bad, "umount-race", "%u of %u umounts failed", bad, rounds);
}

/* ---------------------------------------- lookup reply vs. fatal signal */

/*
 * The caller of a LOOKUP is SIGKILLed as its reply comes in: the reply
 * is either used (one lookup to forget later) or forgotten at once, never
 * both. The daemon counts lookups and forgets per node.
 */
static void case_lookup_kill(void)
{
	unsigned int r, n = rounds * 50, neg = 0, leak = 0, first = 0;
	struct stat st;
	pid_t pid, child;
	int i;

	int go[2];
	char c;

	if (n > MAXNODES - N_BASE) /* "nK" has a node of its own up to there */
		n = MAXNODES - N_BASE;
	pid = start_daemon(NULL);
	for (r = 0; r < n; r++) {
		if (pipe(go))
			die("pipe");
		child = fork();
		if (child == 0) {
			char name[16];

			snprintf(name, sizeof(name), "n%u", r);
			close(go[1]);
			if (read(go[0], &c, 1) == 1)
				lstat(path_of(name), &st);
			_exit(0);
		}
		ctl->kill_pid = child;
		close(go[0]);
		if (write(go[1], "g", 1) != 1)
			die("pipe");
		close(go[1]);
		waitpid(child, NULL, 0);
		ctl->kill_pid = 0;
	}
	write_file("/proc/sys/vm/drop_caches", "2");
	/* the FORGETs reach the daemon in the background */
	for (i = 0; i < 100 * tscale; i++) {
		usleep(50000);
		for (leak = 0, r = 0; r < n; r++)
			leak += ctl->lookups[N_BASE + r] >
				ctl->forgets[N_BASE + r];
		if (!leak)
			break;
	}
	for (r = 0; r < n; r++) {
		if (ctl->forgets[N_BASE + r] > ctl->lookups[N_BASE + r] &&
		    !neg++)
			first = r;
	}
	result(!neg, "lookup-kill-no-extra-forget",
	       "%u of %u nodes got more FORGETs than lookups (first: n%u, %lu > %lu)",
	       neg, n, first, (unsigned long)ctl->forgets[N_BASE + first],
	       (unsigned long)ctl->lookups[N_BASE + first]);
	result(!leak, "lookup-kill-all-forgotten",
	       "%u of %u nodes not forgotten after the dentry cache was dropped",
	       leak, n);
	stop_daemon(pid);
}

/* ------------------------------------------------------------ max_write */

/* A daemon's huge max_write: WRITE requests stay within max_pages */
static void case_maxwrite_cap(void)
{
	size_t len = 4 << 20, cap = 256 * page_size;
	char *buf = malloc(len);
	ssize_t n;
	pid_t pid;
	int fd;

	ctl->max_write = HUGE_MAX_WRITE;
	ctl->max_pages = 256;
	pid = start_daemon(NULL);
	memset(buf, 'm', len);
	fd = open(path_of("f2"), O_WRONLY);
	n = fd < 0 ? -1 : pwrite(fd, buf, len, 0);
	result(n == (ssize_t)len, "maxwrite-write", "pwrite gave %zd", n);
	result(ctl->max_write_seen && ctl->max_write_seen <= cap,
	       "maxwrite-capped",
	       "largest WRITE request was %u bytes, max_pages allows %zu",
	       ctl->max_write_seen, cap);
	if (fd >= 0)
		close(fd);
	free(buf);
	stop_daemon(pid);
}

/*
 * One 256 MiB write(2) to a daemon with a huge max_write that reads
 * nothing: the kernel must not allocate anything like the write's size.
 */
static void case_maxwrite_mem(void)
{
	size_t len = 256 << 20;
	long before, after, drop;
	int p[2], go[2], fd;
	struct stat st;
	pid_t pid, w;
	char *buf, c;

	ctl->max_write = HUGE_MAX_WRITE;
	ctl->max_pages = 256;
	pid = start_daemon(NULL);
	if (pipe(p) || pipe(go))
		die("pipe");
	w = fork();
	if (w == 0) {
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		fd = open(path_of("f3"), O_WRONLY);
		if (buf == MAP_FAILED || fd < 0)
			_exit(2);
		memset(buf, 'x', len);
		if (write(p[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(write(fd, buf, len) < 0 ? 0 : 1);
	}
	close(p[1]);
	close(go[0]);
	if (read(p[0], &c, 1) != 1)
		die("writer");
	/* the daemon answers this LOOKUP, then reads nothing more */
	ctl->stall = 1;
	lstat(path_of("n7"), &st);
	usleep(200000);
	before = mem_available();
	if (write(go[1], "g", 1) != 1)
		die("writer");
	usleep(2000000);
	after = mem_available();
	close(go[1]);
	close(p[0]);
	drop = before - after;
	result(drop < 64 * 1024, "maxwrite-memory",
	       "MemAvailable fell by %ld KiB while one write(2) of %zu MiB waited",
	       drop, len >> 20);
	ctl->stop = 1;
	kill(pid, SIGKILL);
	waitpid(w, NULL, 0);
	waitpid(pid, NULL, 0);
	umount2(mnt, MNT_DETACH);
	memset(ctl, 0, sizeof(*ctl));
	ctl->entry_timeout = 3600;
}

/* Bounded: replies to RETRIEVE the daemon does not read yet */
static void case_retrieve_bound(void)
{
	struct stat st;
	pid_t pid;
	int fd;

	ctl->max_write = 1 << 20;
	ctl->max_pages = 256;
	pid = start_daemon(NULL);
	fd = open(path_of("f4"), O_RDONLY);
	ctl->retrieves = 300;
	lstat(path_of("retrieve"), &st);
	for (int i = 0; i < 3000 * tscale && !ctl->storm_done; i++)
		usleep(10000);
	result(ctl->retrieve_ok > 0, "retrieve-bound-some",
	       "no RETRIEVE was taken (%s)", ename(ctl->retrieve_errno));
	/* unbounded, 300 replies would hold 300 MiB or more (1.2 GiB seen) */
	result(ctl->retrieve_drop_kb < 160 * 1024, "retrieve-bound-memory",
	       "MemAvailable fell by %ld KiB for %d RETRIEVEs of 1 MiB (%d taken, %d refused: %s)",
	       ctl->retrieve_drop_kb, ctl->retrieves, ctl->retrieve_ok,
	       ctl->retrieve_err, ename(ctl->retrieve_errno));
	for (int i = 0; i < 300 * tscale && !ctl->retrieve_max_len; i++)
		usleep(10000);
	result(ctl->retrieve_max_len == 1 << 20, "retrieve-bound-data",
	       "the largest NOTIFY_REPLY carried %u bytes, want 1 MiB",
	       ctl->retrieve_max_len);
	if (fd >= 0)
		close(fd);
	stop_daemon(pid);
}

/* ------------------------------------------------------ passthrough access */

#define UNPRIV_PARAM "/sys/module/fusept/parameters/passthrough_unprivileged"

/*
 * passthrough_unprivileged=1: a daemon running as uid 1000 registers a
 * read-only descriptor of a root-owned 0644 file; nobody may write the
 * file through it.
 */
static void case_pt_unpriv(void)
{
	char lp[4096], buf[16];
	unsigned char data[FILE_SIZE];
	pid_t pid;
	int fd, err;
	ssize_t n;

	if (access(UNPRIV_PARAM, W_OK)) {
		printf("SKIP rel-pt-unpriv: no %s\n", UNPRIV_PARAM);
		return;
	}
	write_file(UNPRIV_PARAM, "1");
	ctl->pt = PT_MAINLINE;
	ctl->drop_uid = 1000;
	pid = start_daemon(NULL);
	ctl->open_pt = 1;
	ctl->register_rdonly = 1;
	fd = open(path_of("f5"), O_RDWR);
	err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		if (pwrite(fd, "EVIL", 4, 0) < 0)
			perror("pwrite");
		close(fd);
	}
	result(err == EACCES, "pt-unpriv-write-refused",
	       "open(O_RDWR) through a read-only registration gave %s, want EACCES",
	       ename(err));
	fd = open(path_of("f5"), O_RDONLY);
	n = fd < 0 ? -1 : pread(fd, data, sizeof(data), 0);
	result(n == FILE_SIZE && check_data(data, n, 5, 0), "pt-unpriv-read",
	       "read through the registration: %zd (%s)", n, ename(errno));
	if (fd >= 0)
		close(fd);
	snprintf(lp, sizeof(lp), "%s/f5", lower);
	fd = open(lp, O_RDONLY);
	n = fd < 0 ? -1 : pread(fd, buf, 4, 0);
	result(n == 4 && memcmp(buf, "EVIL", 4), "pt-unpriv-lower-intact",
	       "the root-owned lower file was written");
	if (fd >= 0)
		close(fd);
	stop_daemon(pid);
	write_file(UNPRIV_PARAM, "0");
}

/* ------------------------------------------------ revalidate vs. rename */

/* A mount whose names expire at once; a and b: the two long names' paths */
static pid_t start_long_names(char a[4096], char b[4096])
{
	ctl->entry_timeout = 0;
	snprintf(a, 4096, "%s/%s", mnt, long_a);
	snprintf(b, 4096, "%s/%s", mnt, long_b);
	return start_daemon(NULL);
}

/*
 * Names expire at once, so every walk asks the daemon again, while
 * another process renames the two long names into each other: every
 * LOOKUP the daemon gets must carry one of the two names whole.
 */
static void case_reval_rename(void)
{
	long end;
	pid_t pid, ren;
	struct stat st;
	char a[4096], b[4096];

	pid = start_long_names(a, b);
	ren = fork();
	if (ren == 0) {
		end = now_ms() + 4000;
		while (now_ms() < end) {
			rename(a, b);
			rename(b, a);
		}
		_exit(0);
	}
	end = now_ms() + 4000;
	while (now_ms() < end) {
		lstat(a, &st);
		lstat(b, &st);
	}
	waitpid(ren, NULL, 0);
	result(!ctl->bad_names, "reval-rename-names",
	       "%u LOOKUPs carried a name that is neither (first: '%.60s')",
	       ctl->bad_names, ctl->bad_name);
	stop_daemon(pid);
}

/*
 * The same race made certain: a rename of a long name is in flight when
 * a walk revalidates that name, and the daemon reads the LOOKUP only
 * once the rename is done and the old name's memory has had time to be
 * freed (kfree_rcu waits up to 5 s). The LOOKUP must still carry the
 * name the walk asked for, whole.
 */
static void case_reval_rename_held(void)
{
	pid_t pid, ren;
	struct stat st;
	char a[4096], b[4096];

	pid = start_long_names(a, b);
	lstat(a, &st);
	lstat(b, &st);
	ctl->rename_pause_ms = 7000;
	ctl->hold_rename_ms = 600;
	ren = fork();
	if (ren == 0)
		_exit(rename(a, b) ? 1 : 0);
	usleep(200000);
	/* the name an instrumented build delays (see the note of issue 8) */
	prctl(PR_SET_NAME, "fusept-walker");
	lstat(a, &st);
	prctl(PR_SET_NAME, "fusept-reliab");
	waitpid(ren, NULL, 0);
	result(!ctl->bad_names, "reval-rename-held",
	       "the LOOKUP carried '%.60s', not '%s'", ctl->bad_name, long_a);
	stop_daemon(pid);
}

/* ------------------------------------------------------ copy_file_range */

static unsigned char *map_file(int fd)
{
	unsigned char *m = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

/* A file open read-write and mapped shared, and another file open */
struct mapped_pair {
	int fd, other;
	unsigned char *m;
};

static void pair_close(struct mapped_pair *p);

/* 0, or the errno of what failed (the pair is closed again then) */
static int pair_open(struct mapped_pair *p, const char *mapped,
		     const char *other, int flags)
{
	int err;

	p->m = NULL;
	p->other = -1;
	p->fd = open(path_of(mapped), O_RDWR);
	if (p->fd >= 0)
		p->m = map_file(p->fd);
	if (p->m)
		p->other = open(path_of(other), flags);
	if (p->other >= 0)
		return 0;
	err = errno;
	pair_close(p);
	return err;
}

static void pair_close(struct mapped_pair *p)
{
	if (p->m)
		munmap(p->m, FILE_SIZE);
	if (p->other >= 0)
		close(p->other);
	if (p->fd >= 0)
		close(p->fd);
	p->m = NULL;
	p->fd = p->other = -1;
}

/* The lower file's byte at off */
static int lower_byte(int f, off_t off)
{
	char p[4096];
	unsigned char c;
	int fd;

	snprintf(p, sizeof(p), "%s/f%d", lower, f);
	fd = open(p, O_RDONLY);
	if (fd < 0 || pread(fd, &c, 1, off) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return c;
}

/* Where buf (f6 after 50 bytes of f7 went to offset 100) is wrong, or -1 */
static long cfr_mismatch(const unsigned char *buf)
{
	for (long i = 0; i < FILE_SIZE; i++) {
		unsigned char want = i >= 100 && i < 150 ?
			pattern(7, i - 100) : pattern(6, i);

		if (buf[i] != want)
			return i;
	}
	return -1;
}

/*
 * 50 bytes copied into the middle of a cached page: the cache (read(2)
 * and an existing mapping) shows them, and keeps the bytes around them.
 */
static void case_cfr_partial(void)
{
	unsigned char buf[FILE_SIZE];
	loff_t in = 0, out = 100;
	struct mapped_pair p;
	ssize_t n;
	pid_t pid;
	long bad;
	int err;

	pid = start_daemon(NULL);
	ctl->open_flags = FOPEN_KEEP_CACHE;
	err = pair_open(&p, "f6", "f7", O_RDONLY);
	if (err || pread(p.fd, buf, FILE_SIZE, 0) != FILE_SIZE) {
		result(0, "cfr-partial-setup", "open/mmap/read: %s",
		       ename(err ? err : errno));
		goto out;
	}
	n = copy_file_range(p.other, &in, p.fd, &out, 50, 0);
	result(n == 50, "cfr-partial-copy", "copy_file_range gave %zd (%s)", n,
	       ename(errno));
	n = pread(p.fd, buf, FILE_SIZE, 0);
	bad = n == FILE_SIZE ? cfr_mismatch(buf) : 0;
	result(bad < 0, "cfr-partial-read",
	       "read(2) after the copy is wrong at byte %ld (0x%02x)", bad,
	       bad >= 0 ? buf[bad] : 0);
	bad = cfr_mismatch(p.m);
	result(bad < 0, "cfr-partial-mapping",
	       "the mapping after the copy is wrong at byte %ld (0x%02x)", bad,
	       bad >= 0 ? p.m[bad] : 0);
out:
	pair_close(&p);
	stop_daemon(pid);
}

/* A copy that copied nothing keeps the cache, dirty pages included */
static void case_cfr_zero(void)
{
	loff_t in = 0, out = 0;
	struct mapped_pair p;
	int err, got;
	ssize_t n;
	pid_t pid;

	pid = start_daemon(NULL);
	ctl->open_flags = FOPEN_KEEP_CACHE;
	ctl->cfr_zero = 1;
	err = pair_open(&p, "f8", "f7", O_RDONLY);
	if (err) {
		result(0, "cfr-zero-setup", "open/mmap: %s", ename(err));
		goto out;
	}
	p.m[5000] = 'M';
	n = copy_file_range(p.other, &in, p.fd, &out, 10, 0);
	result(n == 0, "cfr-zero-copy", "copy_file_range gave %zd (%s)", n,
	       ename(errno));
	msync(p.m, FILE_SIZE, MS_SYNC);
	got = lower_byte(8, 5000);
	result(got == 'M', "cfr-zero-keeps-dirty",
	       "a byte written through the mapping was lost (lower has 0x%02x)",
	       got);
out:
	pair_close(&p);
	stop_daemon(pid);
}

/* ------------------------------------------------ writeback and O_APPEND */

/*
 * A shared mapping of a file also open O_APPEND (the newer open): the
 * mapped page goes back to its place, not to the end of the file.
 */
static void case_append_writeback(void)
{
	struct mapped_pair p;
	struct stat st;
	char lp[4096];
	int err, got;
	pid_t pid;

	pid = start_daemon(NULL);
	ctl->honour_append = 1;
	err = pair_open(&p, "f5", "f5", O_WRONLY | O_APPEND);
	if (err) {
		result(0, "append-writeback-setup", "open/mmap: %s", ename(err));
		goto out;
	}
	p.m[0] = 'Z';
	msync(p.m, FILE_SIZE, MS_SYNC);
	got = lower_byte(5, 0);
	snprintf(lp, sizeof(lp), "%s/f5", lower);
	stat(lp, &st);
	result(got == 'Z' && st.st_size == FILE_SIZE, "append-writeback",
	       "lower file: byte 0 is 0x%02x, size %lld (want 'Z', %d); %u writes appended",
	       got, (long long)st.st_size, FILE_SIZE, ctl->append_writes);
out:
	pair_close(&p);
	stop_daemon(pid);
}

/* ------------------------------------------------ who may enter */

/* errno of lstat(path) as uid (0: as we are) */
static int stat_as(uid_t uid, const char *path)
{
	struct stat st;
	pid_t pid;
	int status;

	if (!uid)
		return lstat(path, &st) < 0 ? errno : 0;
	pid = fork();
	if (pid == 0) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(255);
		_exit(lstat(path, &st) < 0 ? errno : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

#define SYSADMIN_PARAM "/sys/module/fusept/parameters/allow_sys_admin_access"

/*
 * A mount of uid 1000 without allow_other: root stays out (mainline's
 * rule) unless allow_sys_admin_access is set; the owner gets in.
 */
static void case_sysadmin_access(void)
{
	char *p;
	pid_t pid;
	int err;

	if (strcmp(fstype, "fusept")) {
		printf("SKIP rel-sysadmin-access: fusept's module parameter\n");
		return;
	}
	ctl->mount_uid = 1000;
	pid = start_daemon(NULL);
	p = path_of("f0");
	err = stat_as(0, p);
	result(err == EACCES, "sysadmin-access-refused",
	       "root's stat of a uid 1000 mount without allow_other: %s, want EACCES",
	       ename(err));
	err = stat_as(1000, p);
	result(err == 0, "sysadmin-access-owner", "the owner's stat: %s",
	       ename(err));
	write_file(SYSADMIN_PARAM, "1");
	err = stat_as(0, p);
	result(err == 0, "sysadmin-access-param",
	       "root's stat with allow_sys_admin_access=1: %s", ename(err));
	write_file(SYSADMIN_PARAM, "0");
	stop_daemon(pid);
}

/* The lower paths behind the backing IDs: root may list them, others not */
static void case_backing_files_perm(void)
{
	char path[256];
	struct stat st;
	pid_t pid, c;
	int status, fd;

	if (strcmp(fstype, "fusept")) {
		printf("SKIP rel-backing-files-perm: fusept's sysfs file\n");
		return;
	}
	pid = start_daemon(NULL);
	stat(mnt, &st);
	snprintf(path, sizeof(path),
		 "/sys/fs/fusept/connections/%u/backing_files",
		 (unsigned int)((major(st.st_dev) << 20) | minor(st.st_dev)));
	fd = open(path, O_RDONLY);
	result(fd >= 0, "backing-files-root", "root's open of %s: %s", path,
	       ename(errno));
	if (fd >= 0)
		close(fd);
	c = fork();
	if (c == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(255);
		fd = open(path, O_RDONLY);
		_exit(fd < 0 ? errno : 0);
	}
	waitpid(c, &status, 0);
	result(WIFEXITED(status) && WEXITSTATUS(status) == EACCES,
	       "backing-files-user",
	       "uid 1000's open of backing_files: %s, want EACCES",
	       WIFEXITED(status) ? ename(WEXITSTATUS(status)) : "killed");
	stop_daemon(pid);
}

/* ------------------------------------------------ truncate vs. writeback */

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Write the second page of f2 through a mapping and msync, until told */
static void trunc_writer(int ready)
{
	unsigned char *m;
	int fd;

	signal(SIGBUS, on_bus);
	fd = open(path_of("f2"), O_RDWR);
	m = fd < 0 ? NULL : map_file(fd);
	if (!m || write(ready, "r", 1) != 1)
		_exit(1);
	if (sigsetjmp(bus_jmp, 1))
		_exit(0);	/* past the new end: that is right */
	while (!ctl->writer_stop) {
		m[5000]++;
		msync(m, FILE_SIZE, MS_SYNC);
	}
	_exit(0);
}

/*
 * A truncate to one page while another process writes the second page
 * through a shared mapping: once ftruncate(2) has returned, no write of
 * that page may extend the file again.
 */
static void case_trunc_writeback(void)
{
	struct stat st;
	char lp[4096], c;
	int p[2], fd, err;
	pid_t pid, w;

	pid = start_daemon(NULL);
	if (pipe(p))
		die("pipe");
	w = fork();
	if (w == 0) {
		close(p[0]);
		trunc_writer(p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("writer");
	close(p[0]);
	ctl->hold_setattr_ms = 800;
	fd = open(path_of("f2"), O_RDWR);
	err = fd < 0 || ftruncate(fd, 4096) ? errno : 0;
	ctl->hold_setattr_ms = 0;
	usleep(300000);
	ctl->writer_stop = 1;
	waitpid(w, NULL, 0);
	if (fd >= 0)
		close(fd);
	snprintf(lp, sizeof(lp), "%s/f2", lower);
	stat(lp, &st);
	result(!err && st.st_size == 4096, "trunc-writeback",
	       "ftruncate: %s; the lower file has %lld bytes, want 4096",
	       ename(err), (long long)st.st_size);
	stop_daemon(pid);
}

/* ------------------------------------------------ write vs. a mapping */

/*
 * Map f3 (page 0 read in, clean); once the daemon holds a WRITE, store a
 * byte into page 0 through the mapping (and with sync_now, msync at
 * once: writeback while the WRITE is in flight); msync when told to.
 */
static void mapped_storer(int ready, int finish, int sync_now)
{
	unsigned char *m;
	char c;
	int fd;

	fd = open(path_of("f3"), O_RDWR);
	m = fd < 0 ? NULL : map_file(fd);
	if (!m)
		_exit(1);
	c = m[0];
	if (write(ready, &c, 1) != 1)
		_exit(1);
	for (int i = 0; i < 500 * tscale && !ctl->holding; i++)
		usleep(10000);
	m[100] = 'Q';
	if (sync_now)
		msync(m, FILE_SIZE, MS_SYNC);
	if (read(finish, &c, 1) != 1)
		_exit(1);
	msync(m, FILE_SIZE, MS_SYNC);
	_exit(0);
}

/*
 * A write(2) into a cached page while another process changes another
 * byte of that page through a shared mapping: the file ends up with
 * both, the write's bytes not overwritten by the page's older ones.
 * sync_now: that process also writes the page back while the WRITE is
 * in flight (the daemon gets that writeback before it applies the
 * WRITE, and applies it after).
 */
static void write_mmap(const char *name, int sync_now)
{
	int ready[2], finish[2], fd, a, b, i;
	char buf[50], c;
	ssize_t n;
	pid_t pid, w;

	pid = start_daemon(NULL);
	ctl->open_flags = FOPEN_KEEP_CACHE;
	if (pipe(ready) || pipe(finish))
		die("pipe");
	w = fork();
	if (w == 0) {
		close(ready[0]);
		close(finish[1]);
		mapped_storer(ready[1], finish[0], sync_now);
	}
	close(ready[1]);
	close(finish[0]);
	if (read(ready[0], &c, 1) != 1)
		die("storer");
	ctl->hold_node = 5;
	ctl->hold_ms = 800;
	ctl->hold_write = sync_now ? 2 : 1;
	memset(buf, 'W', sizeof(buf));
	fd = open(path_of("f3"), O_WRONLY);
	n = fd < 0 ? -1 : pwrite(fd, buf, sizeof(buf), 200);
	ctl->hold_node = 0;
	if (write(finish[1], "f", 1) != 1)
		die("storer");
	waitpid(w, NULL, 0);
	if (fd >= 0)
		close(fd);
	for (a = 0, i = 200; i < 250; i++)
		a += lower_byte(3, i) == 'W';
	b = lower_byte(3, 100);
	result(n == sizeof(buf) && a == 50 && b == 'Q', name,
	       "pwrite gave %zd; the lower file has %d of the 50 bytes written and 0x%02x for the mapped store",
	       n, a, b);
	stop_daemon(pid);
}

static void case_write_mmap(void)
{
	write_mmap("write-mmap", 0);
}

static void case_write_mmap_sync(void)
{
	write_mmap("write-mmap-sync", 1);
}

/* ------------------------------------------------------------ main */

/* ------------------------------------------------ lock order */

/*
 * The orders three calls take their locks in: a splice into a lower file
 * (the lower file system's freeze protection, then the pipe), a splice
 * into a cached fusept file (the pipe, then the fusept inode), a
 * passthrough write and fallocate (were: the fusept inode, then the lower
 * file system's freeze protection) and a splice into a passthrough file
 * (would be, through write_iter: the pipe, then the freeze protection).
 * Each of the last two closes a cycle: with a freeze of the lower file
 * system waiting, the tasks wait on each other for good.
 * One task doing the three in a row is enough for lockdep (debug kernel)
 * to report it; here the data is checked as well.
 */
static void case_lock_order(void)
{
	char lp[4096], buf[8];
	loff_t off = 0, pt_off = 2;
	struct stat st;
	ssize_t a, b, c, d = -1;
	int fd, err;
	pid_t pid;

	ctl->pt = PT_MAINLINE;
	pid = start_daemon(NULL);
	snprintf(lp, sizeof(lp), "%s/lock-order", lower);
	fd = open(lp, O_RDWR | O_CREAT | O_TRUNC, 0644);
	a = fd < 0 ? -1 : splice_in(fd, NULL, "lower", 5);
	if (fd >= 0)
		close(fd);
	fd = open(path_of("f3"), O_WRONLY);
	b = fd < 0 ? -1 : splice_in(fd, &off, "CACHE", 5);
	if (fd >= 0)
		close(fd);
	ctl->open_pt = 1;
	fd = open(path_of("f4"), O_RDWR);
	c = fd < 0 ? -1 : pwrite(fd, "PT", 2, 0);
	if (fd >= 0)
		d = splice_in(fd, &pt_off, "SP", 2);
	err = fd < 0 || fallocate(fd, 0, 0, 2 * FILE_SIZE) ? errno : 0;
	if (fd >= 0)
		close(fd);
	result(a == 5 && b == 5 && c == 2 && d == 2 && !err, "lock-order-calls",
	       "splice into the lower file %zd, into f3 %zd, passthrough write %zd, splice %zd (want 5, 5, 2, 2), fallocate: %s",
	       a, b, c, d, ename(err));
	snprintf(lp, sizeof(lp), "%s/f4", lower);
	fd = open(lp, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	if (fd < 0 || pread(fd, buf, 4, 0) != 4 || fstat(fd, &st))
		st.st_size = -1;
	if (fd >= 0)
		close(fd);
	result(!memcmp(buf, "PTSP", 4) && st.st_size == 2 * FILE_SIZE,
	       "lock-order-data", "lower f4: \"%.4s\", %lld bytes (want \"PTSP\", %d)",
	       buf, (long long)st.st_size, 2 * FILE_SIZE);
	stop_daemon(pid);
}

static const struct rcase {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "create-pt-keepcache", case_create_pt_keepcache },
	{ "create-android-keepcache", case_create_android_keepcache },
	{ "create-cached-on-pt", case_create_cached_on_pt },
	{ "create-odirect", case_create_odirect },
	{ "sig-read-unsent", case_sig_read_unsent },
	{ "sig-read-sent", case_sig_read_sent },
	{ "sig-write-unsent", case_sig_write_unsent },
	{ "sig-flush", case_sig_flush },
	{ "umount-race", case_umount_race },
	{ "lookup-kill", case_lookup_kill },
	{ "maxwrite-cap", case_maxwrite_cap },
	{ "maxwrite-mem", case_maxwrite_mem },
	{ "retrieve-bound", case_retrieve_bound },
	{ "pt-unpriv", case_pt_unpriv },
	{ "reval-rename", case_reval_rename },
	{ "reval-rename-held", case_reval_rename_held },
	{ "cfr-partial", case_cfr_partial },
	{ "cfr-zero", case_cfr_zero },
	{ "append-writeback", case_append_writeback },
	{ "sysadmin-access", case_sysadmin_access },
	{ "backing-files-perm", case_backing_files_perm },
	{ "trunc-writeback", case_trunc_writeback },
	{ "write-mmap", case_write_mmap },
	{ "write-mmap-sync", case_write_mmap_sync },
	{ "lock-order", case_lock_order },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: fusept-reliab [-d DEV] [-t FSTYPE] [-n ROUNDS] CASE MNT LOWER\n"
		"       fusept-reliab -l\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "d:t:n:l")) != -1) {
		switch (opt) {
		case 'd': dev_path = optarg; break;
		case 't': fstype = optarg; break;
		case 'n': rounds = atoi(optarg); break;
		case 'l':
			for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
				puts(cases[i].name);
			return 0;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	mnt = argv[optind + 1];
	lower = argv[optind + 2];
	page_size = sysconf(_SC_PAGESIZE);
	memset(long_a, 'a', sizeof(long_a) - 1);
	memset(long_b, 'b', sizeof(long_b) - 1);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		die("mmap");
	ctl->entry_timeout = 3600;
	setvbuf(stdout, NULL, _IOLBF, 0);
	tscale = timeout_scale();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!strcmp(cases[i].name, argv[optind])) {
			case_name = cases[i].name;
			cases[i].fn();
			return failures ? 1 : 0;
		}
	}
	usage();
	return 2;
}
