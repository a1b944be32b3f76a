// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-ptcheck raw inode|inode-off MOUNTPOINT LOWERDIR: inode passthrough
 * (docs/inode-passthrough.md sections 2-4) seen from a daemon written here
 * against the wire protocol.
 *
 * "inode": the daemon agrees on FUSE_PASSTHROUGH (max_stack_depth 1) and
 * FUSEPT_INODE_PASSTHROUGH in INIT and serves a flat directory of files
 * of LOWERDIR (made here). This process registers lower files with
 * FUSE_DEV_IOC_BACKING_OPEN on the daemon's device (an inherited
 * descriptor) and tells the daemon, through shared memory, how to answer
 * each name: the LOOKUP reply's length, its fusept_entry_bind trailer, an
 * ID to BACKING_CLOSE right after the reply, the OPEN reply. The daemon
 * counts the requests it gets per node and opcode, and the lookups each
 * FORGET gives back. Checks: bound inodes answer stat and open without
 * GETATTR, OPEN, READ, FLUSH or RELEASE; SETATTR still reaches the daemon;
 * a binding is ignored while the inode has a cached open; bad bindings
 * fail with EIO and the node is forgotten; reply lengths;
 * FUSEPT_DEV_IOC_UNBIND; permission checked in the kernel; a binding
 * CREATE; the daemon killed with a bound file open and mapped. The mount
 * has allow_other and no default_permissions.
 * "inode-off": the same daemon agreeing on mainline passthrough only: an
 * entry reply with a trailer is too long.
 * One line per check: "PASS iptraw-NAME" or "FAIL iptraw-NAME: detail".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fusept.h>
#include "result.h"
#include "splicein.h"
#include "ptcheck.h"

#define NNODES 64		/* node IDs 2..NNODES-1 name the files */
#define GEN 7			/* every node's generation */
#define USER 1000		/* the unprivileged caller */
#define LSIZE 65536		/* the lower files' size */
#define LMAX (4 * LSIZE)

#define OP(op) FUSE_PASSTHROUGH_OP(FUSE_##op)
/* a registration for a bound inode that opens in the kernel */
#define OPS_FULL (OP(GETATTR) | OP(OPEN) | OP(READ) | OP(WRITE))
/* and one whose setattr the kernel does on the lower inode */
#define OPS_SETATTR (OPS_FULL | OP(SETATTR))

/* one name in the mount's root: how the daemon answers, what it saw */
struct node {
	char name[24];		/* "" : a free slot */
	char lower[24];		/* LOWERDIR/lower gives its attributes, data */
	uint32_t type;		/* S_IFMT of the entry reply, 0: the lower's */
	uint32_t exists;	/* 0: LOOKUP says ENOENT (until a CREATE) */
	uint64_t ino;		/* attr.ino of the replies */
	uint32_t entry_valid;	/* seconds; attr_valid is always 0 */
	int32_t trailer;	/* bytes after fuse_entry_out (fuse_open_out) */
	int32_t bind_id;	/* the trailer's fields */
	uint32_t bind_flags;
	uint64_t bind_reserved;
	uint32_t close_after;	/* BACKING_CLOSE bind_id after the reply */
	int32_t open_id;	/* OPEN reply: FOPEN_PASSTHROUGH, this ID */
	uint64_t create_ops;	/* CREATE: register the new file so, bind */
	uint32_t create_kopen;	/* CREATE: backing ID 0 (kernel-opened) */
	uint64_t create_fh;	/* CREATE: fuse_open_out.fh */
	uint32_t create_delay;	/* CREATE: ms before the reply */
	/* what the daemon saw */
	int32_t reply_err;	/* errno of the last entry reply's write(2) */
	int32_t close_ret;	/* BACKING_CLOSE after the reply: 0, -errno */
	uint32_t replied;	/* entry replies done (reply_err, close_ret) */
	uint32_t forgets;	/* lookups given back by FORGET, BATCH_FORGET */
	uint32_t setattr_valid;	/* the last SETATTR's valid */
	uint32_t setattr_mode;	/* and its mode */
	uint32_t setattrs;	/* SETATTRs handled (after the two above) */
	uint32_t ops[64];	/* requests for this node by opcode */
};

struct ctl {
	int inode_pt;		/* the INIT reply agrees on inode passthrough */
	uint32_t lookups;	/* LOOKUPs of any name */
	struct node node[NNODES];
};

static struct ctl *ctl;
static int devfd = -1;		/* the connection's /dev/fusept descriptor */
static pid_t daemon_pid;
static int ldir = -1;		/* LOWERDIR, O_PATH */
static char mnt[512];
static unsigned int conn_id;

#define peek(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define bump(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_SEQ_CST)

/*
 * The timeout scale, fusept.timeout_scale=N on the kernel command line
 * (tests/guest/lib.sh exports it as FUSEPT_TIMEOUT_SCALE), 1 if not there
 */
static int timeout_scale(void)
{
	const char *s = getenv("FUSEPT_TIMEOUT_SCALE");

	return s && atoi(s) > 0 ? atoi(s) : 1;
}

/* wait up to 10 s (times the scale) for *p to reach want: 1 if it did */
static int wait_ge(uint32_t *p, uint32_t want)
{
	long n = 1000L * timeout_scale();

	while (peek(*p) < want) {
		if (n-- <= 0)
			return 0;
		usleep(10000);
	}
	return 1;
}

/* ------------------------------------------------------------ the daemon */

/* write one reply: 0 or the errno of write(2) */
static int reply(uint64_t unique, int error, const void *arg, size_t len)
{
	struct fuse_out_header h = {
		.len = sizeof(h) + len,
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ &h, sizeof(h) }, { (void *)arg, len },
	};

	return writev(devfd, iov, len ? 2 : 1) == (ssize_t)h.len ? 0 : errno;
}

static struct node *node_named(const char *name)
{
	for (int i = 2; i < NNODES; i++)
		if (ctl->node[i].name[0] && !strcmp(ctl->node[i].name, name))
			return &ctl->node[i];
	return NULL;
}

static uint64_t nodeid_of(const struct node *n)
{
	return n - ctl->node;
}

static void fill_attr(uint64_t nodeid, struct fuse_attr *a)
{
	struct node *n = &ctl->node[nodeid];
	struct stat st;

	memset(a, 0, sizeof(*a));
	a->nlink = 1;
	a->blksize = 4096;
	if (nodeid == FUSE_ROOT_ID) {
		a->ino = FUSE_ROOT_ID;
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
		return;
	}
	a->ino = n->ino;
	if (fstatat(ldir, n->lower, &st, 0))
		memset(&st, 0, sizeof(st));
	a->mode = st.st_mode;
	if (n->type && n->type != (st.st_mode & S_IFMT))
		a->mode = n->type | 0755;
	a->size = S_ISREG(a->mode) ? st.st_size : 0;
	a->blocks = st.st_blocks;
	a->uid = st.st_uid;
	a->gid = st.st_gid;
	a->atime = st.st_atim.tv_sec;
	a->mtime = st.st_mtim.tv_sec;
	a->ctime = st.st_ctim.tv_sec;
	a->mtimensec = st.st_mtim.tv_nsec;
}

static void fill_entry(struct node *n, struct fuse_entry_out *e)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = nodeid_of(n);
	e->generation = GEN;
	e->entry_valid = n->entry_valid;
	fill_attr(e->nodeid, &e->attr);
}

/* the daemon's descriptor of a node's lower file, opened when first needed */
static int lower_fd(uint64_t nodeid)
{
	static int fds[NNODES];

	if (nodeid < 2 || nodeid >= NNODES)
		return -1;
	if (!fds[nodeid])
		fds[nodeid] = openat(ldir, ctl->node[nodeid].lower, O_RDWR) + 1;
	return fds[nodeid] - 1;
}

/* the trailer's fields as the node says, after the reply's first len bytes */
static size_t put_trailer(struct node *n, char *p, size_t len)
{
	struct fusept_entry_bind b = {
		.backing_id = n->bind_id,
		.flags = n->bind_flags,
		.reserved = n->bind_reserved,
	};

	memset(p + len, 0, 32);
	memcpy(p + len, &b, sizeof(b));
	return len + n->trailer;
}

/*
 * An entry reply was written (err: its errno): BACKING_CLOSE at once if
 * asked to, then tell the test (which may be running already)
 */
static void after_entry_reply(struct node *n, int err)
{
	uint32_t id = n->bind_id;

	n->reply_err = err;
	if (n->close_after && n->bind_id > 0)
		n->close_ret = ioctl(devfd, FUSE_DEV_IOC_BACKING_CLOSE, &id) ?
			-errno : 0;
	bump(n->replied, 1);
}

static void do_lookup(struct fuse_in_header *in, const char *name)
{
	struct node *n = node_named(name);
	char p[sizeof(struct fuse_entry_out) + 32] __attribute__((aligned(8)));

	if (in->nodeid != FUSE_ROOT_ID || !n || !n->exists) {
		reply(in->unique, -ENOENT, NULL, 0);
		return;
	}
	bump(n->ops[FUSE_LOOKUP], 1);
	fill_entry(n, (struct fuse_entry_out *)p);
	after_entry_reply(n, reply(in->unique, 0, p,
				   put_trailer(n, p, sizeof(struct fuse_entry_out))));
}

/* CREATE: make the lower file, register it, reply binding the new inode */
static void do_create(struct fuse_in_header *in, struct fuse_create_in *ci)
{
	struct node *n = node_named((char *)(ci + 1));
	char p[sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out) +
	       32] __attribute__((aligned(8)));
	struct fuse_open_out o = { .open_flags = FOPEN_PASSTHROUGH };
	struct fuse_backing_map map = { 0 };
	int fd, id;

	if (in->nodeid != FUSE_ROOT_ID || !n) {
		reply(in->unique, -EPERM, NULL, 0);
		return;
	}
	bump(n->ops[FUSE_CREATE], 1);
	if (n->create_delay)
		usleep(n->create_delay * 1000);
	fd = openat(ldir, n->lower, O_CREAT | O_RDWR, ci->mode & 07777 & ~ci->umask);
	map.fd = fd;
	map.ops_mask = n->create_ops;
	id = fd < 0 ? -1 : ioctl(devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (id < 0) {
		/* the errno of open or BACKING_OPEN, as if a write had it */
		id = errno;
		reply(in->unique, -EIO, NULL, 0);
		after_entry_reply(n, id);
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	n->exists = 1;
	n->bind_id = id;
	o.backing_id = n->create_kopen ? 0 : id;
	o.fh = n->create_fh;
	fill_entry(n, (struct fuse_entry_out *)p);
	memcpy(p + sizeof(struct fuse_entry_out), &o, sizeof(o));
	after_entry_reply(n, reply(in->unique, 0, p,
				   put_trailer(n, p, sizeof(struct fuse_entry_out) +
					       sizeof(o))));
}

static void do_init(struct fuse_in_header *in)
{
	struct fuse_init_out o = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
		.max_write = 131072,
		.max_readahead = 131072,
		.flags = FUSE_INIT_EXT,
		.flags2 = FUSE_PASSTHROUGH >> 32,
		.max_stack_depth = 1,
	};

	if (ctl->inode_pt)
		o.flags2 |= FUSEPT_INODE_PASSTHROUGH >> 32;
	reply(in->unique, 0, &o, sizeof(o));
}

static void do_forget(struct fuse_in_header *in, void *arg)
{
	struct fuse_batch_forget_in *b = arg;
	struct fuse_forget_one *one = (void *)(b + 1);

	if (in->opcode == FUSE_FORGET) {
		if (in->nodeid < NNODES)
			bump(ctl->node[in->nodeid].forgets,
			     ((struct fuse_forget_in *)arg)->nlookup);
		return;
	}
	for (uint32_t i = 0; i < b->count; i++)
		if (one[i].nodeid < NNODES)
			bump(ctl->node[one[i].nodeid].forgets, one[i].nlookup);
}

static void do_setattr(struct fuse_in_header *in, struct fuse_setattr_in *s)
{
	struct fuse_attr_out a = { 0 };
	int fd = lower_fd(in->nodeid);

	if (in->nodeid < NNODES) {
		ctl->node[in->nodeid].setattr_mode = s->mode;
		ctl->node[in->nodeid].setattr_valid = s->valid;
		bump(ctl->node[in->nodeid].setattrs, 1);
	}
	if (fd >= 0 && (s->valid & FATTR_SIZE) && ftruncate(fd, s->size)) {
		reply(in->unique, -errno, NULL, 0);
		return;
	}
	if (fd >= 0 && (s->valid & FATTR_MODE) && fchmod(fd, s->mode & 07777)) {
		reply(in->unique, -errno, NULL, 0);
		return;
	}
	fill_attr(in->nodeid, &a.attr);
	reply(in->unique, 0, &a, sizeof(a));
}

static void serve(void)
{
	static char buf[FUSE_MIN_READ_BUFFER + 131072];

	for (;;) {
		ssize_t len = read(devfd, buf, sizeof(buf));
		struct fuse_in_header *in = (void *)buf;
		void *arg = in + 1;
		int fd;

		if (len < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (len < (ssize_t)sizeof(*in))
			return;		/* ENODEV after umount */
		if (in->nodeid < NNODES && in->opcode < 64 &&
		    in->opcode != FUSE_LOOKUP && in->opcode != FUSE_CREATE)
			bump(ctl->node[in->nodeid].ops[in->opcode], 1);
		fd = lower_fd(in->nodeid);
		switch (in->opcode) {
		case FUSE_INIT:
			do_init(in);
			break;
		case FUSE_LOOKUP:
			bump(ctl->lookups, 1);
			do_lookup(in, arg);
			break;
		case FUSE_CREATE:
			do_create(in, arg);
			break;
		case FUSE_GETATTR: {
			struct fuse_attr_out a = { 0 };

			fill_attr(in->nodeid < NNODES ? in->nodeid : 0, &a.attr);
			reply(in->unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_SETATTR:
			do_setattr(in, arg);
			break;
		case FUSE_OPEN: {
			struct fuse_open_out o = { .fh = in->nodeid };
			int32_t id = in->nodeid < NNODES ?
				ctl->node[in->nodeid].open_id : 0;

			if (id) {
				o.open_flags = FOPEN_PASSTHROUGH;
				o.backing_id = id;
			}
			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			struct fuse_read_in *r = arg;
			static char data[131072];
			ssize_t got = pread(fd, data, r->size > sizeof(data) ?
					    sizeof(data) : r->size, r->offset);

			reply(in->unique, got < 0 ? -errno : 0, data,
			      got < 0 ? 0 : got);
			break;
		}
		case FUSE_WRITE: {
			struct fuse_write_in *w = arg;
			struct fuse_write_out o = { 0 };
			ssize_t got = pwrite(fd, w + 1, w->size, w->offset);

			o.size = got < 0 ? 0 : got;
			reply(in->unique, got < 0 ? -errno : 0, &o, sizeof(o));
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			do_forget(in, arg);
			break;
		case FUSE_INTERRUPT:
			break;
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { 0 };

			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_ACCESS:	/* the daemon grants everything */
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_FSYNC:
		case FUSE_RELEASEDIR:
			reply(in->unique, 0, NULL, 0);
			break;
		case FUSE_DESTROY:
			reply(in->unique, 0, NULL, 0);
			return;
		default:
			reply(in->unique, -ENOSYS, NULL, 0);
		}
	}
}

/* ------------------------------------------------------------- helpers */

/* LOWERDIR/name: LSIZE bytes of its own pattern, the mode given */
static int make_lower(const char *name, mode_t mode)
{
	static char data[LSIZE];
	uint32_t x = 2166136261u;
	int fd, ok;

	for (const char *s = name; *s; s++)
		x = (x ^ (unsigned char)*s) * 16777619u;
	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = x;
	}
	fd = openat(ldir, name, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, data, sizeof(data)) == sizeof(data) &&
	     !fchown(fd, 0, 0) && !fchmod(fd, mode);
	close(fd);
	return ok ? 0 : -1;
}

/* the lower file's bytes from off: how many, or -1 */
static ssize_t lower_pread(const char *name, char *buf, size_t n, off_t off)
{
	int fd = openat(ldir, name, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -1;
	got = pread(fd, buf, n, off);
	close(fd);
	return got;
}

/* fd reads what the lower file holds, up to its end */
static int same_as_lower(int fd, const char *name)
{
	static char a[LMAX + 1], b[LMAX + 1];
	ssize_t n = lower_pread(name, b, sizeof(b), 0);

	return n >= 0 && pread(fd, a, sizeof(a), 0) == n && !memcmp(a, b, n);
}

/* LOWERDIR/name holds exactly these len bytes */
static int lower_is(const char *name, const void *data, size_t len)
{
	static char b[LMAX + 1];

	return lower_pread(name, b, sizeof(b), 0) == (ssize_t)len &&
	       !memcmp(b, data, len);
}

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* the first len bytes of a mapping are the lower file's (no SIGBUS) */
static int map_same(const char *map, size_t len, const char *name)
{
	static char b[LMAX];
	struct sigaction sa = { .sa_handler = on_bus }, old;
	volatile int same = 0;

	if (len > sizeof(b) || lower_pread(name, b, len, 0) != (ssize_t)len)
		return 0;
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(bus_jmp, 1))
		same = !memcmp(map, b, len);
	sigaction(SIGBUS, &old, NULL);
	return same;
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", mnt, name);
}

/* stat of a name of the mount: 0 or the errno */
static int stat_of(const char *name, struct stat *st)
{
	struct stat dummy;
	char p[600];

	path_of(p, sizeof(p), name);
	return stat(p, st ? st : &dummy) ? errno : 0;
}

/* open a name of the mount: fd or -errno */
static int open_of(const char *name, int flags)
{
	char p[600];
	int fd;

	path_of(p, sizeof(p), name);
	fd = open(p, flags, 0644);
	return fd < 0 ? -errno : fd;
}

static const char *oname(int fd)
{
	return fd < 0 ? ename(-fd) : "OK";
}

/* a free node for a name of the mount, served from LOWERDIR/lower */
static struct node *node_new(const char *name, const char *lower)
{
	struct stat st;

	for (int i = 2; i < NNODES; i++) {
		struct node *n = &ctl->node[i];

		if (n->name[0])
			continue;
		memset(n, 0, sizeof(*n));
		snprintf(n->lower, sizeof(n->lower), "%s", lower);
		n->exists = 1;
		n->entry_valid = 3600;
		/* never the lower inode's number: st_ino must be this one */
		n->ino = fstatat(ldir, lower, &st, 0) ? 2000003ULL + i :
			 st.st_ino + 1000003;
		snprintf(n->name, sizeof(n->name), "%s", name);
		return n;
	}
	fprintf(stderr, "iptcheck: more than %d nodes\n", NNODES - 2);
	exit(2);
}

/* register LOWERDIR/lower opened with flags: the ID or -errno */
static int reg(const char *lower, int flags, uint64_t ops)
{
	struct fuse_backing_map map = { .ops_mask = ops };
	int fd = openat(ldir, lower, flags), id;

	if (fd < 0)
		return -errno;
	map.fd = fd;
	id = ioctl(devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	id = id < 0 ? -errno : id;
	close(fd);
	return id;
}

/* the next LOOKUP of n names registration id in a 144-byte reply */
static int bind_next(struct node *n, int id)
{
	n->trailer = sizeof(struct fusept_entry_bind);
	n->bind_id = id;
	return id;
}

/*
 * A new lower file and a node bound to it at its first lookup (done
 * here) by an O_PATH registration with ops, the trailer's flags given;
 * *err: 0 or what failed
 */
static struct node *bound_node(const char *name, uint64_t ops, uint32_t flags,
			       int *err)
{
	int made = make_lower(name, 0644);
	struct node *n = node_new(name, name);
	int id = made ? -EIO : reg(name, O_PATH, ops);

	bind_next(n, id);
	n->bind_flags = flags;
	*err = id < 0 ? -id : stat_of(name, NULL);
	return n;
}

/*
 * A node for a name that does not exist yet: its CREATE makes the lower
 * file, registers it with ops and binds the new inode (a 160-byte reply);
 * kopen: the reply leaves the open to the kernel (backing ID 0, fh 0)
 */
static struct node *create_node(const char *name, uint64_t ops, int kopen)
{
	struct node *n = node_new(name, name);

	unlinkat(ldir, name, 0);
	n->exists = 0;
	n->create_ops = ops;
	n->create_kopen = kopen;
	n->trailer = sizeof(struct fusept_entry_bind);
	return n;
}

static uint32_t attr_reqs(struct node *n)
{
	return peek(n->ops[FUSE_GETATTR]) + peek(n->ops[FUSE_STATX]);
}

static uint32_t opc(struct node *n, int op)
{
	return peek(n->ops[op]);
}

/* the errno of the daemon's last entry reply for n, once it is known */
static int reply_err(struct node *n)
{
	if (!wait_ge(&n->replied, opc(n, FUSE_LOOKUP) + opc(n, FUSE_CREATE)))
		return ETIMEDOUT;
	return peek(n->reply_err);
}

/*
 * Every RELEASE queued so far has reached the daemon: a cached file is
 * opened and closed, and its RELEASE, queued after them, waited for
 */
static int drain(void)
{
	static struct node *s;
	uint32_t r0;
	int fd;

	if (!s) {
		s = node_new("sync", "sync");
		if (make_lower("sync", 0644))
			return 0;
	}
	r0 = opc(s, FUSE_RELEASE);
	fd = open_of("sync", O_RDONLY);
	if (fd < 0)
		return 0;
	close(fd);
	return wait_ge(&s->ops[FUSE_RELEASE], r0 + 1);
}

/* NOTIFY_INVAL_ENTRY for a name of the root: 0 or the errno */
static int inval_entry(const char *name)
{
	struct {
		struct fuse_out_header h;
		struct fuse_notify_inval_entry_out o;
		char name[32];
	} m = { 0 };
	size_t len = sizeof(m.h) + sizeof(m.o) + strlen(name) + 1;

	m.h.len = len;
	m.h.error = FUSE_NOTIFY_INVAL_ENTRY;
	m.o.parent = FUSE_ROOT_ID;
	m.o.namelen = strlen(name);
	snprintf(m.name, sizeof(m.name), "%s", name);
	return write(devfd, &m, len) == (ssize_t)len ? 0 : errno;
}

static int unbind(uint64_t nodeid, uint64_t generation)
{
	struct fusept_unbind u = { .nodeid = nodeid, .generation = generation };

	return ioctl(devfd, FUSEPT_DEV_IOC_UNBIND, &u) ? errno : 0;
}

/* a file of the connection's sysfs directory, one line without its \n */
static int sysfs_read(const char *file, char *buf, size_t size)
{
	char p[128];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/sys/fs/fusept/connections/%u/%s", conn_id, file);
	fd = open(p, O_RDONLY);
	buf[0] = 0;
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return n < 0 ? -1 : 0;
}

static long bound_count(void)
{
	char b[32];

	return sysfs_read("bound", b, sizeof(b)) || !b[0] ? -1 : atol(b);
}

/* run fn(arg) in a child as uid and gid USER: what it returned */
static int as_user(int (*fn)(const void *), const void *arg)
{
	int fds[2], r = -EPIPE;
	pid_t pid;

	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (setgroups(0, NULL) || setresgid(USER, USER, USER) ||
		    setresuid(USER, USER, USER))
			_exit(1);
		r = fn(arg);
		_exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &r, sizeof(r)) != sizeof(r))
		r = -EPIPE;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
}

/* as_user's: open the name for reading (0 or -errno) */
static int user_open(const void *name)
{
	int fd = open_of(name, O_RDONLY);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* as_user's: access(2) R_OK of the name (0 or -errno) */
static int user_access(const void *name)
{
	char p[600];

	path_of(p, sizeof(p), name);
	return access(p, R_OK) ? -errno : 0;
}

static int bind_ioc(uint64_t nodeid, uint64_t generation, int id,
		    uint32_t flags)
{
	struct fusept_bind b = {
		.nodeid = nodeid,
		.generation = generation,
		.backing_id = id,
		.flags = flags,
	};

	return ioctl(devfd, FUSEPT_DEV_IOC_BIND, &b) ? errno : 0;
}

/* BACKING_OPEN of a descriptor with ops: the ID or -errno */
static int reg_fd(int fd, uint64_t ops)
{
	struct fuse_backing_map map = { .fd = fd, .ops_mask = ops };
	int id = ioctl(devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);

	return id < 0 ? -errno : id;
}

struct user_bind {
	uint64_t nodeid;
	int id;
};

/* as_user's: BIND (0 or -errno) */
static int user_bind(const void *arg)
{
	const struct user_bind *u = arg;

	return -bind_ioc(u->nodeid, GEN, u->id, 0);
}

/* as_user's: UNBIND (0 or -errno) */
static int user_unbind(const void *node)
{
	return -unbind(nodeid_of(node), GEN);
}

/* -------------------------------------------------------------- checks */

static void check_agreed(const char *want, const char *name)
{
	char b[64];

	sysfs_read("passthrough", b, sizeof(b));
	result(!strcmp(b, want), name, "passthrough says \"%s\", want \"%s\"",
	       b, want);
}

/* stat of a bound inode reads the lower inode; st_ino is the reply's */
static void check_bind_stat(struct node *a, int err)
{
	struct stat st, mst, l;
	struct timespec t[2] = { { 1000000007, 0 }, { 1000000007, 0 } };
	int e, fd;

	e = err ? err : stat_of("a", &st);
	fstatat(ldir, "a", &l, 0);
	result(!e && attr_reqs(a) == 0 && opc(a, FUSE_LOOKUP) == 1 &&
	       st.st_size == l.st_size && st.st_mode == l.st_mode &&
	       st.st_mtime == l.st_mtime, "iptraw-bind-stat",
	       "stat twice %s, %u GETATTR, %u LOOKUP, size %lld mode %o (lower %lld %o)",
	       ename(e), attr_reqs(a), opc(a, FUSE_LOOKUP),
	       (long long)(e ? 0 : st.st_size), e ? 0 : st.st_mode,
	       (long long)l.st_size, l.st_mode);
	if (e)
		return;
	stat(mnt, &mst);
	result(st.st_ino == a->ino && st.st_dev == mst.st_dev,
	       "iptraw-bind-stat-ino",
	       "st_ino %llu (reply %llu, lower %llu), st_dev %#llx (mount %#llx)",
	       (unsigned long long)st.st_ino, (unsigned long long)a->ino,
	       (unsigned long long)l.st_ino, (unsigned long long)st.st_dev,
	       (unsigned long long)mst.st_dev);
	/* changed on the lower file system directly */
	fd = openat(ldir, "a", O_RDWR);
	e = fd < 0 || ftruncate(fd, LSIZE - 4096 + 123) || fchmod(fd, 0640) ||
	    futimens(fd, t) ? errno : 0;
	if (fd >= 0)
		close(fd);
	e = e ? e : stat_of("a", &st);
	fstatat(ldir, "a", &l, 0);
	result(!e && attr_reqs(a) == 0 && st.st_size == LSIZE - 4096 + 123 &&
	       st.st_mode == (S_IFREG | 0640) && st.st_mtime == 1000000007 &&
	       st.st_ino == a->ino, "iptraw-bind-stat-follows",
	       "%s, %u GETATTR, size %lld mode %o mtime %lld ino %llu",
	       ename(e), attr_reqs(a), (long long)(e ? 0 : st.st_size),
	       e ? 0 : st.st_mode, (long long)(e ? 0 : st.st_mtime),
	       (unsigned long long)(e ? 0 : st.st_ino));
}

/* open, read, write and mmap of an inode bound with OPEN: no request */
static void check_bind_open(struct node *a)
{
	uint32_t o0 = opc(a, FUSE_OPEN), r0 = opc(a, FUSE_READ),
		 w0 = opc(a, FUSE_WRITE), f0 = opc(a, FUSE_FLUSH),
		 c0 = opc(a, FUSE_RELEASE);
	int fd, ok, drained;
	struct stat st;
	char b[16];
	void *map;

	fd = open_of("a", O_RDONLY);
	ok = fd >= 0 && same_as_lower(fd, "a");
	if (fd >= 0)
		close(fd);
	drained = drain();
	result(ok && drained && opc(a, FUSE_OPEN) == o0 &&
	       opc(a, FUSE_READ) == r0 && opc(a, FUSE_FLUSH) == f0 &&
	       opc(a, FUSE_RELEASE) == c0, "iptraw-bind-open",
	       "open %s, data %s, %u OPEN %u READ %u FLUSH %u RELEASE%s",
	       oname(fd), ok ? "right" : "wrong", opc(a, FUSE_OPEN) - o0,
	       opc(a, FUSE_READ) - r0, opc(a, FUSE_FLUSH) - f0,
	       opc(a, FUSE_RELEASE) - c0, drained ? "" : " (RELEASEs not drained)");

	fd = open_of("a", O_RDWR);
	ok = fd >= 0 && pwrite(fd, "through", 7, 100) == 7 &&
	     lower_pread("a", b, 7, 100) == 7 && !memcmp(b, "through", 7);
	if (fd >= 0)
		close(fd);
	result(ok && opc(a, FUSE_WRITE) == w0 && opc(a, FUSE_OPEN) == o0,
	       "iptraw-bind-open-write",
	       "open %s, lower file %s, %u WRITE %u OPEN", oname(fd),
	       ok ? "written" : "unchanged", opc(a, FUSE_WRITE) - w0,
	       opc(a, FUSE_OPEN) - o0);

	fd = open_of("a", O_RDONLY);
	map = MAP_FAILED;
	if (fd >= 0 && !fstat(fd, &st))
		map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	ok = map != MAP_FAILED && map_same(map, st.st_size, "a");
	result(ok && opc(a, FUSE_READ) == r0, "iptraw-bind-open-mmap",
	       "open %s, mmap %s, %u READ", oname(fd),
	       map == MAP_FAILED ? ename(errno) : ok ? "right" : "wrong data",
	       opc(a, FUSE_READ) - r0);
	if (map != MAP_FAILED)
		munmap(map, st.st_size);
	if (fd >= 0)
		close(fd);
}

/* the ID closed by the daemon right after the LOOKUP reply */
static struct node *check_closed_id(void)
{
	struct node *c = node_new("c", "c");
	uint32_t id;
	int e, fd, ok, closed, closed_ret;

	c->close_after = 1;
	e = make_lower("c", 0644) ? EIO : 0;
	bind_next(c, e ? 0 : reg("c", O_PATH, OPS_FULL));
	e = e ? e : c->bind_id < 0 ? -c->bind_id : stat_of("c", NULL);
	closed = !e && wait_ge(&c->replied, 1);
	closed_ret = peek(c->close_ret);
	id = c->bind_id;
	/* gone from the table: closing it again finds nothing */
	ok = closed && closed_ret == 0 &&
	     ioctl(devfd, FUSE_DEV_IOC_BACKING_CLOSE, &id) && errno == ENOENT;
	e = e ? e : stat_of("c", NULL);
	fd = e ? -e : open_of("c", O_RDONLY);
	result(!e && ok && fd >= 0 && same_as_lower(fd, "c") &&
	       attr_reqs(c) == 0 && opc(c, FUSE_OPEN) == 0 &&
	       opc(c, FUSE_READ) == 0, "iptraw-bind-closed-id",
	       "ID %d, stat %s, BACKING_CLOSE after the reply %s, open %s, %u GETATTR %u OPEN %u READ",
	       c->bind_id, ename(e), !closed ? "not done" :
	       ename(-closed_ret), oname(fd), attr_reqs(c),
	       opc(c, FUSE_OPEN), opc(c, FUSE_READ));
	if (fd >= 0)
		close(fd);
	return c;
}

/*
 * ftruncate, O_TRUNC and chmod of an inode bound with OPEN still go to
 * the daemon, as SETATTR without a file handle; stat then reads the
 * lower inode the daemon changed
 */
static void check_bind_setattr(struct node *c)
{
	uint32_t s0 = opc(c, FUSE_SETATTR), v1, v2, v3;
	struct stat st1, st2, st3;
	char p[600];
	int fd, e1, e2, e3;

	fd = open_of("c", O_RDWR);
	e1 = fd < 0 ? -fd : ftruncate(fd, 5000) ? errno : 0;
	v1 = c->setattr_valid;
	if (fd >= 0)
		close(fd);
	e1 = e1 ? e1 : stat_of("c", &st1);
	result(!e1 && opc(c, FUSE_SETATTR) == s0 + 1 && (v1 & FATTR_SIZE) &&
	       !(v1 & FATTR_FH) && st1.st_size == 5000 && attr_reqs(c) == 0,
	       "iptraw-bind-setattr-ftruncate",
	       "ftruncate %s, %u SETATTR (valid %#x), size %lld, %u GETATTR",
	       ename(e1), opc(c, FUSE_SETATTR) - s0, v1,
	       (long long)(e1 ? 0 : st1.st_size), attr_reqs(c));
	fd = open_of("c", O_WRONLY | O_TRUNC);
	e2 = fd < 0 ? -fd : 0;
	v2 = c->setattr_valid;
	if (fd >= 0)
		close(fd);
	e2 = e2 ? e2 : stat_of("c", &st2);
	result(!e2 && opc(c, FUSE_SETATTR) == s0 + 2 && (v2 & FATTR_SIZE) &&
	       !(v2 & FATTR_FH) && st2.st_size == 0 && opc(c, FUSE_OPEN) == 0,
	       "iptraw-bind-setattr-otrunc",
	       "open(O_TRUNC) %s, %u SETATTR (valid %#x), size %lld, %u OPEN",
	       ename(e2), opc(c, FUSE_SETATTR) - s0 - 1, v2,
	       (long long)(e2 ? 0 : st2.st_size), opc(c, FUSE_OPEN));
	path_of(p, sizeof(p), "c");
	e3 = chmod(p, 0604) ? errno : 0;
	v3 = c->setattr_valid;
	e3 = e3 ? e3 : stat_of("c", &st3);
	result(!e3 && opc(c, FUSE_SETATTR) == s0 + 3 && (v3 & FATTR_MODE) &&
	       st3.st_mode == (S_IFREG | 0604) && attr_reqs(c) == 0,
	       "iptraw-bind-setattr-chmod",
	       "chmod %s, %u SETATTR (valid %#x), mode %o, %u GETATTR",
	       ename(e3), opc(c, FUSE_SETATTR) - s0 - 2, v3,
	       e3 ? 0 : st3.st_mode, attr_reqs(c));
}

/* copy_file_range between bound files: EOPNOTSUPP, or a right copy; no request */
static void check_copy_range(struct node *a, struct node *c)
{
	static char want[4096], got[4096];
	int fa = open_of("a", O_RDONLY), fc = open_of("c", O_RDWR);
	loff_t in = 0, out = 0;
	ssize_t n = fa < 0 || fc < 0 ? -1 :
		copy_file_range(fa, &in, fc, &out, sizeof(want), 0);
	int e = n < 0 ? errno : 0;

	/*
	 * A kernel-opened file has no fh to name in COPY_FILE_RANGE: the
	 * kernel copies by splice, through the lower files, as the kernel's
	 * FUSE does when the daemon cannot copy
	 */
	result(n == sizeof(want) &&
	       lower_pread("a", want, sizeof(want), 0) == sizeof(want) &&
	       lower_pread("c", got, sizeof(got), 0) == sizeof(got) &&
	       !memcmp(want, got, sizeof(want)) &&
	       opc(a, FUSE_COPY_FILE_RANGE) == 0 && opc(a, FUSE_READ) == 0 &&
	       opc(c, FUSE_WRITE) == 0, "iptraw-bind-copy-range",
	       "open %s and %s, copy_file_range %zd (%s), %u COPY_FILE_RANGE %u READ %u WRITE",
	       oname(fa), oname(fc), n, ename(e),
	       opc(a, FUSE_COPY_FILE_RANGE), opc(a, FUSE_READ),
	       opc(c, FUSE_WRITE));
	if (fa >= 0)
		close(fa);
	if (fc >= 0)
		close(fc);
}

/* bound without the OPEN op: OPEN is sent, its reply names an ID */
static void check_noopen(void)
{
	struct node *d = node_new("d", "d");
	int e, fd, ok;

	e = make_lower("d", 0644) ? EIO : 0;
	bind_next(d, e ? 0 : reg("d", O_PATH,
				 OP(GETATTR) | OP(READ) | OP(WRITE)));
	d->open_id = e ? 0 : reg("d", O_RDWR, 0);
	e = e ? e : d->bind_id < 0 ? -d->bind_id :
	    d->open_id < 0 ? -d->open_id : stat_of("d", NULL);
	fd = e ? -e : open_of("d", O_RDONLY);
	ok = fd >= 0 && same_as_lower(fd, "d");
	if (fd >= 0)
		close(fd);
	e = e ? e : stat_of("d", NULL);
	result(!e && ok && opc(d, FUSE_OPEN) == 1 && opc(d, FUSE_READ) == 0 &&
	       attr_reqs(d) == 0, "iptraw-bind-noopen",
	       "IDs %d (bound), %d (OPEN reply), open %s, data %s, %u OPEN %u READ %u GETATTR",
	       d->bind_id, d->open_id, oname(fd), ok ? "right" : "wrong",
	       opc(d, FUSE_OPEN), opc(d, FUSE_READ), attr_reqs(d));
}

/*
 * A binding named for an inode with a cached open (the daemon's OPEN
 * reply without passthrough) is ignored: the lookup works, the daemon
 * keeps answering GETATTR
 */
static void check_bind_ignored(void)
{
	int e = make_lower("cached", 0644) ? EIO : 0, iv = 0, fd, id;
	struct node *n = node_new("cached", "cached");
	static char b[4096];
	uint32_t g0;
	long b0;

	e = e ? e : stat_of("cached", NULL);
	fd = e ? -e : open_of("cached", O_RDONLY);
	e = fd < 0 ? -fd : pread(fd, b, sizeof(b), 0) == sizeof(b) ? 0 : EIO;
	id = reg("cached", O_PATH, OPS_FULL);
	b0 = bound_count();
	if (!e) {
		iv = inval_entry("cached");
		bind_next(n, id);
		e = iv ? iv : id < 0 ? -id : stat_of("cached", NULL);
	}
	g0 = attr_reqs(n);
	e = e ? e : stat_of("cached", NULL);
	result(!e && opc(n, FUSE_LOOKUP) == 2 && attr_reqs(n) > g0 &&
	       bound_count() == b0, "iptraw-bind-ignored-cached",
	       "open %s, NOTIFY_INVAL_ENTRY %s, lookup naming ID %d %s, %u LOOKUP, %u GETATTR, bound %ld -> %ld",
	       oname(fd), ename(iv), id, ename(e), opc(n, FUSE_LOOKUP),
	       attr_reqs(n) - g0, b0, bound_count());
	if (fd >= 0)
		close(fd);
}

/*
 * A LOOKUP reply whose trailer names id (registered as what says) with
 * these flags and reserved, for an entry of type type: EIO, the node
 * forgotten
 */
static void eio_case(const char *check, const char *name, const char *lower,
		     uint32_t type, int id, uint32_t flags, uint64_t reserved,
		     const char *what)
{
	struct node *n = node_new(name, lower);
	int e, forgot;

	n->type = type;
	bind_next(n, id);
	n->bind_flags = flags;
	n->bind_reserved = reserved;
	e = id < 0 ? -id : stat_of(name, NULL);
	forgot = id > 0 && wait_ge(&n->forgets, 1);
	result(id > 0 && e == EIO && forgot, check,
	       "%s: ID %d, lookup %s, %u LOOKUP, %u forgotten", what, id,
	       ename(e), opc(n, FUSE_LOOKUP), peek(n->forgets));
}

static void checks_eio(void)
{
	const uint64_t ga = OP(GETATTR);

	if (make_lower("e", 0644) ||
	    (mkdirat(ldir, "dir", 0755) && errno != EEXIST)) {
		result(0, "iptraw-eio-setup", "lower files: %s", strerror(errno));
		return;
	}
	eio_case("iptraw-eio-noid", "noid", "e", 0, 999999, 0, 0,
		 "an ID never registered");
	eio_case("iptraw-eio-flags", "flags", "e", 0, reg("e", O_PATH, ga),
		 1u << 31, 0, "flags bit 31");
	eio_case("iptraw-eio-reserved", "reserved", "e", 0,
		 reg("e", O_PATH, ga), 0, 1, "reserved 1");
	eio_case("iptraw-eio-type-dir-id", "dirid", "dir", S_IFREG,
		 reg("dir", O_PATH | O_DIRECTORY, ga), 0, 0,
		 "a directory's registration for a regular file");
	eio_case("iptraw-eio-type-file-id", "fileid", "e", S_IFDIR,
		 reg("e", O_PATH, ga), 0, 0,
		 "a regular file's registration for a directory");
	eio_case("iptraw-eio-plain", "plain", "e", 0, reg("e", O_RDWR, 0), 0, 0,
		 "a registration with ops_mask 0");
}

/*
 * The inode bound (and kept: an O_PATH descriptor holds it), then looked
 * up again naming the same lower file under a new ID (fine), then another
 * lower file (EIO, forgotten, the binding stays). The dentry is dropped by
 * NOTIFY_INVAL_ENTRY, or (reval) has entry timeout 0 and is revalidated.
 */
static void check_rebind(int reval)
{
	const char *name = reval ? "v" : "r", *l1 = reval ? "v1" : "r1",
		   *l2 = reval ? "v2" : "r2";
	char check[64], same[80];
	struct node *n = node_new(name, l1);
	struct stat st;
	int e, iv, fd, pin, id2, id3, forgot, held;
	uint32_t g0, l0;

	snprintf(check, sizeof(check), "iptraw-eio-rebind%s",
		 reval ? "-reval" : "");
	if (reval)
		n->entry_valid = 0;
	e = make_lower(l1, 0644) || make_lower(l2, 0644) ? EIO : 0;
	bind_next(n, e ? 0 : reg(l1, O_PATH, OPS_FULL));
	e = e ? e : n->bind_id < 0 ? -n->bind_id : stat_of(name, NULL);
	pin = e ? -e : open_of(name, O_PATH);
	if (pin < 0) {
		result(0, check, "first lookup %s, O_PATH open %s", ename(e),
		       oname(pin));
		return;
	}
	/* l1 gets a size of its own: stat tells which file is bound */
	fd = openat(ldir, l1, O_WRONLY);
	e = fd < 0 || ftruncate(fd, 12345) ? errno : 0;
	if (fd >= 0)
		close(fd);
	g0 = attr_reqs(n);
	/* while the dentry is there (dropped by NOTIFY_INVAL_ENTRY) */
	id3 = reg(l1, O_PATH, OPS_FULL);
	iv = reval ? 0 : inval_entry(name);
	bind_next(n, id3);
	l0 = opc(n, FUSE_LOOKUP);
	e = e ? e : iv ? iv : id3 < 0 ? -id3 : stat_of(name, &st);
	snprintf(same, sizeof(same), "%s-same", check);
	result(!e && st.st_size == 12345 && attr_reqs(n) == g0 &&
	       opc(n, FUSE_LOOKUP) > l0, same,
	       "the same lower file's ID %d: NOTIFY_INVAL_ENTRY %s, stat %s, size %lld, %u LOOKUP %u GETATTR",
	       id3, ename(iv), ename(e), (long long)(e ? 0 : st.st_size),
	       opc(n, FUSE_LOOKUP) - l0, attr_reqs(n) - g0);
	id2 = reg(l2, O_PATH, OP(GETATTR));
	iv = reval ? 0 : inval_entry(name);
	bind_next(n, id2);
	e = iv ? iv : id2 < 0 ? -id2 : stat_of(name, NULL);
	forgot = wait_ge(&n->forgets, 1);
	held = !fstat(pin, &st) && st.st_size == 12345 && attr_reqs(n) == g0;
	result(e == EIO && forgot && held, check,
	       "another lower file's ID %d: NOTIFY_INVAL_ENTRY %s, stat %s, %u forgotten, the binding %s",
	       id2, ename(iv), ename(e), peek(n->forgets),
	       held ? "kept" : "lost or changed");
	close(pin);
}

/* entry reply lengths: 130 bytes is too long (inode passthrough agreed) */
static void check_len(void)
{
	struct node *n = node_new("len130", "e"), *z = node_new("zeroid", "e");
	int e, w;

	n->trailer = 2;
	e = stat_of("len130", NULL);
	w = reply_err(n);
	result(e == EIO && w == EINVAL, "iptraw-len",
	       "a 130-byte LOOKUP reply: lookup %s, the daemon's write %s",
	       ename(e), ename(w));
	/* 144 bytes naming ID 0: no binding, GETATTR as for any inode */
	bind_next(z, 0);
	e = stat_of("zeroid", NULL);
	e = e ? e : stat_of("zeroid", NULL);
	w = reply_err(z);
	result(!e && w == 0 && attr_reqs(z) > 0, "iptraw-len-zero-id",
	       "a 144-byte reply naming ID 0: lookup %s, write %s, %u GETATTR",
	       ename(e), ename(w), attr_reqs(z));
}

/*
 * A root-only lower file bound with OPEN, on a mount without
 * default_permissions where the daemon would grant anything: the kernel
 * checks, and the daemon hears nothing
 */
static void check_perm(void)
{
	struct node *s;
	int e, u, a, fd;

	s = bound_node("secret", OPS_FULL, 0, &e);
	if (!e && fchmodat(ldir, "secret", 0600, 0))
		e = errno;
	u = e ? -e : as_user(user_open, "secret");
	result(!e && u == -EACCES && opc(s, FUSE_OPEN) == 0 &&
	       opc(s, FUSE_ACCESS) == 0, "iptraw-perm",
	       "bind %s, uid %d's open of a root 0600 file %s, %u OPEN %u ACCESS",
	       ename(e), USER, oname(u), opc(s, FUSE_OPEN),
	       opc(s, FUSE_ACCESS));
	a = e ? -e : as_user(user_access, "secret");
	result(!e && a == -EACCES && opc(s, FUSE_ACCESS) == 0,
	       "iptraw-perm-access", "uid %d's access(R_OK) %s, %u ACCESS",
	       USER, oname(a), opc(s, FUSE_ACCESS));
	fd = e ? -e : open_of("secret", O_RDONLY);
	result(fd >= 0 && same_as_lower(fd, "secret") && opc(s, FUSE_OPEN) == 0,
	       "iptraw-perm-root", "root's open %s, %u OPEN", oname(fd),
	       opc(s, FUSE_OPEN));
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------- setattr passthrough */

/* as_user's: chmod 0666 of the name (0 or -errno) */
static int user_chmod(const void *name)
{
	char p[600];

	path_of(p, sizeof(p), name);
	return chmod(p, 0666) ? -errno : 0;
}

/* as_user's: truncate(2) of the name to 1 byte (0 or -errno) */
static int user_truncate(const void *name)
{
	char p[600];

	path_of(p, sizeof(p), name);
	return truncate(p, 1) ? -errno : 0;
}

/* as_user's: utimes(2) of the name to now (0 or -errno) */
static int user_touch(const void *name)
{
	char p[600];

	path_of(p, sizeof(p), name);
	return utimensat(AT_FDCWD, p, NULL, 0) ? -errno : 0;
}

/* stat of the lower file and of the mount's name: 0 or the errno */
static int stat_both(const char *name, struct stat *l, struct stat *m)
{
	return fstatat(ldir, name, l, 0) ? errno : stat_of(name, m);
}

/*
 * chmod, truncate, utimes and chown of an inode born bound with SETATTR
 * and OPEN: done on the lower inode, no SETATTR reaches the daemon, stat
 * shows the result; O_TRUNC too
 */
static void check_setattr_pt_calls(struct node *n, int e)
{
	struct timespec t[2] = { { 1000000, 5 }, { 2000000, 7 } };
	struct stat l = { 0 }, m = { 0 };
	char p[600];
	int fd;

	path_of(p, sizeof(p), n->name);
	e = e ? e : chmod(p, 0640) ? errno : 0;
	e = e ? e : truncate(p, 1234) ? errno : 0;
	e = e ? e : utimensat(AT_FDCWD, p, t, 0) ? errno : 0;
	e = e ? e : chown(p, USER, USER) ? errno : 0;
	e = e ? e : stat_both(n->name, &l, &m);
	result(!e && l.st_mode == (S_IFREG | 0640) && l.st_size == 1234 &&
	       l.st_atim.tv_sec == 1000000 && l.st_mtim.tv_sec == 2000000 &&
	       l.st_mtim.tv_nsec == 7 && l.st_uid == USER &&
	       l.st_gid == USER && m.st_mode == l.st_mode &&
	       m.st_size == 1234 && m.st_uid == USER &&
	       m.st_mtim.tv_sec == 2000000 && opc(n, FUSE_SETATTR) == 0 &&
	       attr_reqs(n) == 0, "iptraw-setattr-pt",
	       "chmod, truncate, utimes, chown: %s; lower mode %o size %lld uid %u mtime %lld.%ld, fusept mode %o size %lld uid %u; %u SETATTR %u GETATTR",
	       ename(e), l.st_mode, (long long)l.st_size, l.st_uid,
	       (long long)l.st_mtim.tv_sec, l.st_mtim.tv_nsec, m.st_mode,
	       (long long)m.st_size, m.st_uid, opc(n, FUSE_SETATTR),
	       attr_reqs(n));
	fd = open_of(n->name, O_WRONLY | O_TRUNC);
	e = fd < 0 ? -fd : stat_both(n->name, &l, &m);
	if (fd >= 0)
		close(fd);
	result(!e && l.st_size == 0 && m.st_size == 0 &&
	       opc(n, FUSE_SETATTR) == 0 && opc(n, FUSE_OPEN) == 0,
	       "iptraw-setattr-pt-otrunc",
	       "open(O_TRUNC) %s, lower size %lld, %u SETATTR %u OPEN",
	       ename(e), (long long)l.st_size, opc(n, FUSE_SETATTR),
	       opc(n, FUSE_OPEN));
}

/*
 * chown clears setuid on the lower inode as on any file system; then the
 * user who owns nothing may not chmod, truncate or touch it
 */
static void check_setattr_pt_perm(struct node *n)
{
	struct stat l = { 0 }, m = { 0 };
	int e, uc, ut, uu;
	char p[600];

	path_of(p, sizeof(p), n->name);
	e = chmod(p, 04755) ? errno : 0;
	e = e ? e : chown(p, 0, 0) ? errno : 0;
	e = e ? e : stat_both(n->name, &l, &m);
	result(!e && l.st_mode == (S_IFREG | 0755) && l.st_uid == 0 &&
	       m.st_mode == l.st_mode && opc(n, FUSE_SETATTR) == 0,
	       "iptraw-setattr-pt-killsuid",
	       "chmod 4755 then chown root: %s, lower mode %o uid %u, fusept mode %o, %u SETATTR",
	       ename(e), l.st_mode, l.st_uid, m.st_mode,
	       opc(n, FUSE_SETATTR));
	uc = as_user(user_chmod, n->name);
	ut = as_user(user_truncate, n->name);
	uu = as_user(user_touch, n->name);
	e = e ? e : stat_both(n->name, &l, &m);
	result(!e && uc == -EPERM && ut == -EACCES && uu == -EACCES &&
	       l.st_mode == (S_IFREG | 0755) && l.st_size == 0 &&
	       opc(n, FUSE_SETATTR) == 0, "iptraw-setattr-pt-perm",
	       "uid %d's chmod %s, truncate %s, touch %s; lower mode %o size %lld, %u SETATTR",
	       USER, oname(uc), oname(ut), oname(uu), l.st_mode,
	       (long long)l.st_size, opc(n, FUSE_SETATTR));
}

/* FUSEPT_BIND_TELL_SETATTR: the daemon hears what was set, times explicit */
static void check_setattr_tell(void)
{
	struct timespec t[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	uint32_t v1, m1, v2, nows = FATTR_ATIME_NOW | FATTR_MTIME_NOW;
	struct node *n;
	char p[600];
	int e, got1, got2;

	n = bound_node("tell", OPS_SETATTR, FUSEPT_BIND_TELL_SETATTR, &e);
	path_of(p, sizeof(p), "tell");
	e = e ? e : chmod(p, 0600) ? errno : 0;
	got1 = !e && wait_ge(&n->setattrs, 1);
	v1 = n->setattr_valid;
	m1 = n->setattr_mode;
	e = e ? e : utimensat(AT_FDCWD, p, t, 0) ? errno : 0;
	got2 = !e && wait_ge(&n->setattrs, 2);
	v2 = n->setattr_valid;
	result(got1 && got2 && v1 == FATTR_MODE && m1 == (S_IFREG | 0600) &&
	       (v2 & (FATTR_ATIME | FATTR_MTIME)) ==
	       (FATTR_ATIME | FATTR_MTIME) && !(v2 & nows),
	       "iptraw-setattr-tell",
	       "chmod, utimes(now): %s; %u SETATTR, valid %#x mode %o, then valid %#x",
	       ename(e), opc(n, FUSE_SETATTR), v1, m1, v2);
}

/*
 * An inode born bound with SETATTR and OPEN stays passthrough-only after
 * UNBIND: an OPEN reply without passthrough fails with EIO, one with it
 * works
 */
static void check_setattr_ptonly(void)
{
	struct node *n;
	int e, fd1, fd2;

	n = bound_node("ptonly", OPS_SETATTR, 0, &e);
	e = e ? e : unbind(nodeid_of(n), GEN);
	fd1 = e ? -e : open_of("ptonly", O_RDONLY);
	n->open_id = e ? 0 : reg("ptonly", O_RDWR, 0);
	fd2 = e ? -e : open_of("ptonly", O_RDONLY);
	result(!e && fd1 == -EIO && n->open_id > 0 && fd2 >= 0 &&
	       same_as_lower(fd2, "ptonly") && opc(n, FUSE_OPEN) == 2,
	       "iptraw-setattr-ptonly",
	       "unbind %s; open answered without passthrough %s, with it %s; %u OPEN",
	       ename(e), oname(fd1), oname(fd2), opc(n, FUSE_OPEN));
	if (fd2 >= 0)
		close(fd2);
	n->open_id = 0;
}

/*
 * The lock orders of a splice into a lower file (its freeze protection,
 * then a pipe), a splice into a cached fusept file (a pipe, then the
 * fusept inode) and a passthrough setattr (the fusept inode, then the
 * lower freeze protection): no cycle for lockdep (the debug kernel), as
 * a passthrough-only inode has its own lock class
 */
static void check_setattr_lock_order(struct node *n)
{
	struct node *c = node_new("lcache", "lcache");
	loff_t off = 0;
	ssize_t a = -1, b = -1;
	char got[5] = "";
	int fd, e;

	fd = openat(ldir, "lsplice", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		a = splice_in(fd, NULL, "lower", 5);
		close(fd);
	}
	fd = make_lower("lcache", 0644) ? -EIO : open_of("lcache", O_WRONLY);
	if (fd >= 0) {
		b = splice_in(fd, &off, "CACHE", 5);
		close(fd);
	}
	fd = open_of(n->name, O_RDWR);
	e = fd < 0 ? -fd : ftruncate(fd, 77) ? errno : 0;
	if (fd >= 0)
		close(fd);
	lower_pread("lcache", got, sizeof(got), 0);
	result(a == 5 && b == 5 && !e && !memcmp(got, "CACHE", 5) &&
	       opc(c, FUSE_WRITE) >= 1 && opc(n, FUSE_SETATTR) == 0,
	       "iptraw-setattr-lock-order",
	       "splice into a lower file %zd, into a cached file %zd (%u WRITE), ftruncate of a bound one %s (%u SETATTR)",
	       a, b, opc(c, FUSE_WRITE), ename(e), opc(n, FUSE_SETATTR));
}

/*
 * A directory bound with SETATTR: chmod and utimes done on the lower
 * directory, no SETATTR; the user may not touch root's directory
 */
static void check_setattr_dir(void)
{
	struct timespec t[2] = { { 3000000, 0 }, { 3000000, 0 } };
	struct node *n = node_new("sdir", "sdir");
	struct stat l = { 0 }, m = { 0 };
	int e, id, uu = 0;
	char p[600];

	e = mkdirat(ldir, "sdir", 0755) && errno != EEXIST ? errno : 0;
	id = e ? -e : reg("sdir", O_PATH | O_DIRECTORY,
			  OP(GETATTR) | OP(SETATTR));
	bind_next(n, id);
	e = id < 0 ? -id : stat_of("sdir", NULL);
	path_of(p, sizeof(p), "sdir");
	e = e ? e : chmod(p, 0751) ? errno : 0;
	e = e ? e : utimensat(AT_FDCWD, p, t, 0) ? errno : 0;
	if (!e)
		uu = as_user(user_touch, "sdir");
	e = e ? e : stat_both("sdir", &l, &m);
	result(!e && l.st_mode == (S_IFDIR | 0751) &&
	       l.st_mtim.tv_sec == 3000000 && m.st_mode == l.st_mode &&
	       m.st_mtim.tv_sec == 3000000 && uu == -EACCES &&
	       opc(n, FUSE_SETATTR) == 0, "iptraw-setattr-dir",
	       "chmod, utimes: %s; lower mode %o mtime %lld, fusept mode %o; uid %d's touch %s; %u SETATTR",
	       ename(e), l.st_mode, (long long)l.st_mtim.tv_sec, m.st_mode,
	       USER, oname(uu), opc(n, FUSE_SETATTR));
}

static void check_setattr_pt(void)
{
	struct node *n;
	int e;

	n = bound_node("sa", OPS_SETATTR, 0, &e);
	check_setattr_pt_calls(n, e);
	check_setattr_pt_perm(n);
	check_setattr_tell();
	check_setattr_ptonly();
	check_setattr_lock_order(n);
	check_setattr_dir();
}

/* a CREATE reply of 160 bytes: opened in passthrough and bound */
static void check_create(void)
{
	struct node *n = create_node("new", OPS_FULL, 0);
	static char data[8192];
	struct stat st;
	int fd, e, ok, w;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = i * 7 + i / 251;
	fd = open_of("new", O_CREAT | O_EXCL | O_RDWR);
	w = reply_err(n);
	result(fd >= 0 && opc(n, FUSE_CREATE) == 1 && w == 0 &&
	       n->bind_id > 0 && !faccessat(ldir, "new", F_OK, 0),
	       "iptraw-create",
	       "open(O_CREAT) %s, %u CREATE, ID %d, the daemon's write %s",
	       oname(fd), opc(n, FUSE_CREATE), n->bind_id, ename(w));
	if (fd < 0)
		return;
	ok = pwrite(fd, data, sizeof(data), 0) == sizeof(data) &&
	     same_as_lower(fd, "new");
	close(fd);
	fd = open_of("new", O_RDONLY);
	ok = ok && fd >= 0 && same_as_lower(fd, "new");
	if (fd >= 0)
		close(fd);
	result(ok && opc(n, FUSE_WRITE) == 0 && opc(n, FUSE_READ) == 0 &&
	       opc(n, FUSE_OPEN) == 0, "iptraw-create-data",
	       "write and read back %s, %u WRITE %u READ, reopen %s, %u OPEN",
	       ok ? "right" : "wrong", opc(n, FUSE_WRITE), opc(n, FUSE_READ),
	       oname(fd), opc(n, FUSE_OPEN));
	e = stat_of("new", &st);
	e = e ? e : stat_of("new", &st);
	result(!e && attr_reqs(n) == 0 && st.st_size == sizeof(data),
	       "iptraw-create-stat", "stat %s, size %lld, %u GETATTR",
	       ename(e), (long long)(e ? 0 : st.st_size), attr_reqs(n));
}

/*
 * A CREATE reply the kernel refuses (here a trailer with a flag set) gives
 * back what it made: the node with FORGET, and the daemon's open file with
 * RELEASE, as the kernel's FUSE does when it cannot use a CREATE reply.
 */
static void check_create_giveback(void)
{
	struct node *n = create_node("cbad", OPS_FULL, 0);
	int fd, released, forgot;

	n->bind_flags = 1u << 31;
	fd = open_of("cbad", O_CREAT | O_EXCL | O_RDWR);
	released = wait_ge(&n->ops[FUSE_RELEASE], 1);
	forgot = wait_ge(&n->forgets, 1);
	result(fd == -EIO && opc(n, FUSE_CREATE) == 1 && released && forgot,
	       "iptraw-create-eio-giveback",
	       "open(O_CREAT) %s, %u CREATE, %u RELEASE, %u forgotten",
	       oname(fd), opc(n, FUSE_CREATE), opc(n, FUSE_RELEASE),
	       peek(n->forgets));
	if (fd >= 0)
		close(fd);
}

/*
 * The requests of a node, with every request sent before now answered: a
 * GETATTR of the root goes after whatever was queued (RELEASE, FORGET)
 */
static uint32_t opc_settled(struct node *n, int op)
{
	stat(mnt, &(struct stat){ 0 });
	return opc(n, op);
}

/*
 * A CREATE reply with FOPEN_PASSTHROUGH, backing ID 0 and fh 0 leaves the
 * open to the kernel: it opens the lower file of the binding, and no
 * FLUSH or RELEASE follows. Without OPEN in the binding's ops that open
 * fails with EIO, the file made; a handle other than 0 with ID 0 is the
 * bad ID it was before, and the handle is released.
 */
static void check_create_kopen(void)
{
	struct node *n = create_node("ck", OPS_FULL, 1), *m, *h;
	static const char data[] = "kernel-opened create";
	int fd, ok;
	pid_t pid;

	fd = open_of("ck", O_CREAT | O_EXCL | O_WRONLY);
	ok = fd >= 0 && write(fd, data, sizeof(data)) == sizeof(data) &&
	     !close(fd);
	result(ok && lower_is("ck", data, sizeof(data)) &&
	       opc(n, FUSE_CREATE) == 1 && opc(n, FUSE_WRITE) == 0 &&
	       opc_settled(n, FUSE_RELEASE) == 0 && opc(n, FUSE_FLUSH) == 0,
	       "iptraw-create-kopen",
	       "open(O_CREAT) %s, write and close %s, %u CREATE %u WRITE %u FLUSH %u RELEASE",
	       oname(fd), ok ? "OK" : "failed", opc(n, FUSE_CREATE),
	       opc(n, FUSE_WRITE), opc(n, FUSE_FLUSH), opc(n, FUSE_RELEASE));

	m = create_node("ck2", OPS_FULL & ~OP(OPEN), 1);
	fd = open_of("ck2", O_CREAT | O_EXCL | O_RDWR);
	result(fd == -EIO && !faccessat(ldir, "ck2", F_OK, 0) &&
	       opc_settled(m, FUSE_RELEASE) == 0, "iptraw-create-kopen-noopen",
	       "open(O_CREAT) %s, want EIO; lower file %s, %u RELEASE",
	       oname(fd), faccessat(ldir, "ck2", F_OK, 0) ? "missing" : "made",
	       opc(m, FUSE_RELEASE));
	if (fd >= 0)
		close(fd);

	/*
	 * the caller killed while the daemon holds the CREATE: its late
	 * reply is given back with FORGET only, no RELEASE of fh 0
	 */
	m = create_node("ck4", OPS_FULL, 1);
	m->create_delay = 300;
	pid = fork();
	if (pid == 0)
		_exit(open_of("ck4", O_CREAT | O_EXCL | O_RDWR) < 0);
	ok = pid > 0 && wait_ge(&m->ops[FUSE_CREATE], 1);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ok = ok && wait_ge(&m->forgets, 1);
	result(ok && opc_settled(m, FUSE_RELEASE) == 0,
	       "iptraw-create-kopen-killed",
	       "caller killed during CREATE: %u forgotten, %u RELEASE",
	       peek(m->forgets), opc(m, FUSE_RELEASE));

	h = create_node("ck3", OPS_FULL, 1);
	h->create_fh = 7;
	fd = open_of("ck3", O_CREAT | O_EXCL | O_RDWR);
	result(fd == -EIO && wait_ge(&h->ops[FUSE_RELEASE], 1),
	       "iptraw-create-kopen-fh", "fh 7 with ID 0: open(O_CREAT) %s, want EIO; %u RELEASE",
	       oname(fd), opc(h, FUSE_RELEASE));
	if (fd >= 0)
		close(fd);
}

/* FUSEPT_DEV_IOC_UNBIND, and the bound count in sysfs */
static void check_unbind(struct node *a)
{
	struct node *h;
	long b0, b1;
	uint32_t g0;
	int e, u, fd, keep, ok;

	h = bound_node("h", OPS_FULL, 0, &e);
	keep = e ? -e : open_of("h", O_RDONLY);
	b0 = bound_count();
	u = e ? e : unbind(nodeid_of(h), GEN);
	b1 = bound_count();
	result(b0 > 0 && !u && b1 == b0 - 1, "iptraw-sysfs-bound",
	       "bound %ld, UNBIND %s, then bound %ld", b0, ename(u), b1);
	g0 = attr_reqs(h);
	e = u ? u : stat_of("h", NULL);
	result(!u && !e && attr_reqs(h) > g0, "iptraw-unbind",
	       "UNBIND %s, stat %s, %u GETATTR", ename(u), ename(e),
	       attr_reqs(h) - g0);
	ok = keep >= 0 && same_as_lower(keep, "h");
	result(ok && opc(h, FUSE_READ) == 0, "iptraw-unbind-open-file",
	       "a file open across the UNBIND: open %s, data %s, %u READ",
	       oname(keep), ok ? "right" : "wrong", opc(h, FUSE_READ));
	if (keep >= 0)
		close(keep);
	drain();
	fd = open_of("h", O_RDONLY);
	ok = fd >= 0 && same_as_lower(fd, "h");
	if (fd >= 0)
		close(fd);
	result(!u && ok && opc(h, FUSE_OPEN) == 1 && opc(h, FUSE_READ) > 0,
	       "iptraw-unbind-open", "open %s, data %s, %u OPEN %u READ",
	       oname(fd), ok ? "right" : "wrong", opc(h, FUSE_OPEN),
	       opc(h, FUSE_READ));
	e = unbind(nodeid_of(h), GEN);
	result(e == ENOENT, "iptraw-unbind-again", "UNBIND again: %s", ename(e));
	e = unbind(0, GEN);
	result(e == EINVAL, "iptraw-unbind-nodeid0", "UNBIND of node 0: %s",
	       ename(e));
	g0 = attr_reqs(a);
	e = unbind(nodeid_of(a), GEN + 1);
	u = stat_of("a", NULL);
	result(e == ENOENT && !u && attr_reqs(a) == g0,
	       "iptraw-unbind-wrong-gen",
	       "UNBIND of a bound node with another generation: %s, then stat %s, %u GETATTR",
	       ename(e), ename(u), attr_reqs(a) - g0);
	e = as_user(user_unbind, a);
	u = stat_of("a", NULL);
	result(e == -EPERM && !u && attr_reqs(a) == g0, "iptraw-unbind-eperm",
	       "UNBIND by uid %d: %s, then %u GETATTR", USER, oname(e),
	       attr_reqs(a) - g0);
}

/*
 * FUSEPT_DEV_IOC_BIND of inodes the kernel has but no entry reply bound:
 * what each bad argument gets (EINVAL, EBADF, ENOENT, EPERM, EBUSY), then
 * a bind that takes (no GETATTR, no OPEN after it); and ELOOP for a
 * registration of a file on the mount itself (max_stack_depth 1)
 */
static void check_bind_ioctl(void)
{
	struct node *k = node_new("k", "k"), *m = node_new("m", "m");
	struct node *never = node_new("never", "never");
	struct user_bind ub;
	int e, id, plain, other, r[8], fd, mfd, loop;
	uint32_t g0, o0;

	e = make_lower("k", 0644) || make_lower("k2", 0644) ||
	    make_lower("m", 0644) ? EIO : 0;
	e = e ? e : stat_of("k", NULL);		/* looked up, not bound */
	id = e ? -EIO : reg("k", O_PATH, OPS_FULL);
	plain = e ? -EIO : reg("k", O_RDONLY, 0);
	other = e ? -EIO : reg("k2", O_PATH, OPS_FULL);
	r[0] = bind_ioc(0, GEN, id, 0);
	r[1] = bind_ioc(nodeid_of(k), GEN, id, 1);
	r[2] = bind_ioc(nodeid_of(k), GEN, 0, 0);
	r[3] = bind_ioc(nodeid_of(k), GEN, plain, 0);
	result(!e && id > 0 && plain > 0 && r[0] == EINVAL && r[1] == EINVAL &&
	       r[2] == EINVAL && r[3] == EINVAL, "iptraw-bindioc-einval",
	       "setup %s; node 0: %s, flags 1: %s, ID 0: %s, a registration without GETATTR: %s",
	       ename(e), ename(r[0]), ename(r[1]), ename(r[2]), ename(r[3]));
	r[4] = bind_ioc(nodeid_of(k), GEN, 99999, 0);
	r[5] = bind_ioc(nodeid_of(k), GEN + 1, id, 0);
	r[6] = bind_ioc(nodeid_of(never), GEN, id, 0);
	result(r[4] == EBADF && r[5] == ENOENT && r[6] == ENOENT,
	       "iptraw-bindioc-ebadf-enoent",
	       "an ID of nothing: %s, another generation: %s, a node never looked up: %s",
	       ename(r[4]), ename(r[5]), ename(r[6]));
	ub.nodeid = nodeid_of(k);
	ub.id = id;
	r[7] = as_user(user_bind, &ub);
	result(r[7] == -EPERM, "iptraw-bindioc-eperm", "BIND by uid %d: %s",
	       USER, oname(r[7]));

	g0 = attr_reqs(k);
	o0 = opc(k, FUSE_OPEN);
	e = bind_ioc(nodeid_of(k), GEN, id, 0);
	fd = e ? -e : open_of("k", O_RDONLY);
	result(!e && fd >= 0 && same_as_lower(fd, "k") && !stat_of("k", NULL) &&
	       attr_reqs(k) == g0 && opc(k, FUSE_OPEN) == o0, "iptraw-bindioc",
	       "BIND %s, open %s, then %u GETATTR %u OPEN", ename(e), oname(fd),
	       attr_reqs(k) - g0, opc(k, FUSE_OPEN) - o0);
	e = bind_ioc(nodeid_of(k), GEN, other, 0);
	result(e == EBUSY, "iptraw-bindioc-ebusy-other",
	       "BIND of a bound inode to another lower inode: %s", ename(e));

	/* m opened with a cached open (its OPEN reply names no ID) */
	mfd = stat_of("m", NULL) ? -EIO : open_of("m", O_RDONLY);
	e = mfd < 0 ? EIO : bind_ioc(nodeid_of(m), GEN, reg("m", O_PATH, OPS_FULL), 0);
	result(e == EBUSY, "iptraw-bindioc-ebusy-cached",
	       "BIND of an inode open cached: %s", ename(e));
	if (mfd >= 0)
		close(mfd);

	/* a file of this mount is one level deep: too deep for depth 1 */
	loop = fd < 0 ? -EIO : reg_fd(fd, OPS_FULL);
	result(loop == -ELOOP, "iptraw-bindioc-eloop",
	       "a registration of a file on the mount, with GETATTR: %s",
	       oname(loop));
	if (fd >= 0)
		close(fd);
}

/*
 * A lower file "hfN" whose inode number is no node index of this daemon
 * (a kernel-made inode must not meet one of them): its name, or ""
 */
static const char *hier_file(struct stat *lst)
{
	static char name[8];

	/* a young file system hands out small numbers: make enough files */
	for (int i = 0; i < 2 * NNODES; i++) {
		snprintf(name, sizeof(name), "hf%d", i);
		if (make_lower(name, 0644) || fstatat(ldir, name, lst, 0))
			break;
		if (lst->st_ino >= NNODES)
			return name;
	}
	return "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names a directory lists, sorted, each ended by '/': 0 or the errno */
static int dir_names(const char *path, char *buf, size_t size)
{
	static char *names[256];
	size_t n = 0, len = 0;
	struct dirent *de;
	DIR *d = opendir(path);

	buf[0] = 0;
	if (!d)
		return errno;
	while ((de = readdir(d)) && n < 256)
		names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		len += snprintf(buf + len, len < size ? size - len : 0, "%s/",
				names[i]);
		free(names[i]);
	}
	return len < size ? 0 : ENAMETOOLONG;
}

/* READDIR bound too: the root lists LOWERDIR's names, no READDIR(PLUS) */
static void check_hier_readdir(void)
{
	static char a[16384], b[16384];
	uint32_t r0 = opc(&ctl->node[FUSE_ROOT_ID], FUSE_READDIR) +
		      opc(&ctl->node[FUSE_ROOT_ID], FUSE_READDIRPLUS);
	char lp[64];
	int e;

	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", ldir);
	e = dir_names(mnt, a, sizeof(a)) ?: dir_names(lp, b, sizeof(b));
	result(!e && !strcmp(a, b) &&
	       opc(&ctl->node[FUSE_ROOT_ID], FUSE_READDIR) +
	       opc(&ctl->node[FUSE_ROOT_ID], FUSE_READDIRPLUS) == r0,
	       "iptraw-hier-readdir",
	       "%s; the mount lists %.60s, the lower directory %.60s; %u READDIR",
	       ename(e), a, b, opc(&ctl->node[FUSE_ROOT_ID], FUSE_READDIR) +
	       opc(&ctl->node[FUSE_ROOT_ID], FUSE_READDIRPLUS) - r0);
}

/*
 * In a hierarchical root: a second lower name of the file (a hard link
 * made on the lower file system) is the same inode, with no LOOKUP; a
 * lower file mounted over (a mountpoint is never crossed) goes to the
 * daemon, which does not know it
 */
static void check_hier_link_mount(const char *hf, const struct stat *lst)
{
	struct stat a = { 0 }, b = { 0 };
	char src[64], dst[64];
	uint32_t l0 = peek(ctl->lookups);
	int e, m;

	unlinkat(ldir, "hlink", 0);
	e = linkat(ldir, hf, ldir, "hlink", 0) ? errno : 0;
	e = e ? e : stat_of(hf, &a) ?: stat_of("hlink", &b);
	result(!e && a.st_ino == lst->st_ino && b.st_ino == lst->st_ino &&
	       a.st_nlink == 2 && b.st_nlink == 2 &&
	       peek(ctl->lookups) == l0, "iptraw-hier-hardlink",
	       "%s, st_ino %llu/%llu (lower %llu), nlink %u/%u, %u LOOKUP",
	       ename(e), (unsigned long long)a.st_ino,
	       (unsigned long long)b.st_ino, (unsigned long long)lst->st_ino,
	       (unsigned int)a.st_nlink, (unsigned int)b.st_nlink,
	       peek(ctl->lookups) - l0);

	/* /proc/self/fd/N names the lower files for mount(2) */
	e = make_lower("hmp", 0644) || make_lower("hsrc", 0644) ? EIO : 0;
	snprintf(src, sizeof(src), "/proc/self/fd/%d/hsrc", ldir);
	snprintf(dst, sizeof(dst), "/proc/self/fd/%d/hmp", ldir);
	m = e ? e : mount(src, dst, NULL, MS_BIND, NULL) ? errno : 0;
	l0 = peek(ctl->lookups);
	e = m ? m : stat_of("hmp", NULL);
	result(!m && e == ENOENT && peek(ctl->lookups) == l0 + 1,
	       "iptraw-hier-mountpoint",
	       "bind mount %s; stat of a lower mountpoint: %s, %u LOOKUP",
	       ename(m), ename(e), peek(ctl->lookups) - l0);
	if (!m)
		umount2(dst, MNT_DETACH);
}

/*
 * Hierarchical mode: the root bound (BIND) to a registration of LOWERDIR
 * with LOOKUP. A lower file is then looked up in the kernel (its st_ino is
 * the lower one, no LOOKUP), so is a missing name; a directory still goes
 * to the daemon. chmod of the kernel-made file first asks the daemon to
 * LOOKUP its name: this daemon answers with a nodeid of its own, which
 * breaks the promise: EIO, and no SETATTR. After UNBIND of the root the
 * daemon answers lookups again.
 */
static void check_hier(void)
{
	struct stat st = { 0 }, lst = { 0 };
	const char *hf = hier_file(&lst);
	char p[600];
	uint32_t l0;
	int id, e, fd, r[3];
	struct node *h;

	mkdirat(ldir, "hdir", 0755);
	id = reg(".", O_PATH | O_DIRECTORY,
		 OP(GETATTR) | OP(LOOKUP) | OP(READDIR));
	e = !hf[0] ? EIO : id < 0 ? -id : bind_ioc(FUSE_ROOT_ID, 0, id, 0);
	result(!e, "iptraw-hier-bind-root", "BIND of the root with LOOKUP: %s",
	       ename(e));
	l0 = peek(ctl->lookups);
	e = e ? e : stat_of(hf, &st);
	fd = e ? -e : open_of(hf, O_RDONLY);
	result(fd >= 0 && st.st_ino == lst.st_ino && same_as_lower(fd, hf) &&
	       peek(ctl->lookups) == l0, "iptraw-hier-lookup",
	       "open %s, st_ino %llu (lower %llu), %u LOOKUP", oname(fd),
	       (unsigned long long)st.st_ino, (unsigned long long)lst.st_ino,
	       peek(ctl->lookups) - l0);
	if (fd >= 0)
		close(fd);
	r[0] = stat_of("hnone", NULL);
	result(r[0] == ENOENT && peek(ctl->lookups) == l0, "iptraw-hier-negative",
	       "stat of a name the lower directory lacks: %s, %u LOOKUP",
	       ename(r[0]), peek(ctl->lookups) - l0);
	r[1] = stat_of("hdir", NULL);
	result(r[1] == ENOENT && peek(ctl->lookups) == l0 + 1,
	       "iptraw-hier-dir-daemon",
	       "a lower directory the daemon does not know: %s, %u LOOKUP",
	       ename(r[1]), peek(ctl->lookups) - l0);
	check_hier_link_mount(hf, &lst);
	check_hier_readdir();

	h = node_new(hf, hf);
	path_of(p, sizeof(p), hf);
	r[2] = chmod(p, 0600) ? errno : 0;
	result(r[2] == EIO && opc(h, FUSE_LOOKUP) == 1 &&
	       opc(h, FUSE_SETATTR) == 0, "iptraw-hier-known-eio",
	       "chmod, the LOOKUP's nodeid another: %s, %u LOOKUP %u SETATTR",
	       ename(r[2]), opc(h, FUSE_LOOKUP), opc(h, FUSE_SETATTR));

	e = unbind(FUSE_ROOT_ID, 0);
	l0 = peek(ctl->lookups);
	r[0] = stat_of(hf, &st);
	r[1] = stat_of("hnone", NULL);
	result(!e && !r[0] && st.st_ino == h->ino && r[1] == ENOENT &&
	       peek(ctl->lookups) == l0 + 2, "iptraw-hier-unbind",
	       "UNBIND %s, stat %s (st_ino %s), of a missing name %s, %u LOOKUP",
	       ename(e), ename(r[0]), st.st_ino == h->ino ? "the daemon's" :
	       "not the daemon's", ename(r[1]), peek(ctl->lookups) - l0);
}

/*
 * The daemon killed and its device closed while a bound file is open and
 * mapped: both read the lower file, stat says ENOTCONN
 */
static void check_kill(void)
{
	struct node *k;
	char *map = MAP_FAILED;
	int e, fd, lfd, ok, status, dc;

	k = bound_node("k", OPS_FULL, 0, &e);
	fd = e ? -e : open_of("k", O_RDONLY);
	if (fd >= 0)
		map = mmap(NULL, LSIZE, PROT_READ, MAP_SHARED, fd, 0);
	ok = map != MAP_FAILED && map_same(map, LSIZE, "k");
	result(ok && opc(k, FUSE_OPEN) == 0, "iptraw-kill-before",
	       "open %s, mmap %s, %u OPEN", oname(fd),
	       map == MAP_FAILED ? "failed" : ok ? "right" : "wrong data",
	       opc(k, FUSE_OPEN));
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, &status, 0);
	daemon_pid = 0;
	close(devfd);
	devfd = -1;
	e = stat_of("k", NULL);
	result(e == ENOTCONN, "iptraw-kill-stat-enotconn", "stat: %s", ename(e));
	if (fd < 0)
		return;
	/* the lower file changed after the kill: both see it */
	lfd = openat(ldir, "k", O_WRONLY);
	ok = lfd >= 0 && pwrite(lfd, "after the kill", 14, 4096) == 14;
	if (lfd >= 0)
		close(lfd);
	dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dc < 0 || write(dc, "3", 1) != 1)
		perror("drop_caches");
	if (dc >= 0)
		close(dc);
	result(ok && same_as_lower(fd, "k"), "iptraw-kill-read",
	       "pread after the kill differs from the lower file");
	result(map != MAP_FAILED && map_same(map, LSIZE, "k"), "iptraw-kill-map",
	       "the mapping after the kill differs from the lower file");
	if (map != MAP_FAILED)
		munmap(map, LSIZE);
	close(fd);
}

/* mount with the daemon in a child: 0, or 2 (nothing to test) */
static int start(const char *m, const char *lower, int inode)
{
	char opts[256];
	struct stat st;

	snprintf(mnt, sizeof(mnt), "%s", m);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ldir = open(lower, O_PATH | O_DIRECTORY);
	devfd = open(dev_path, O_RDWR);
	if (ctl == MAP_FAILED || ldir < 0 || devfd < 0) {
		perror(ldir < 0 ? lower : dev_path);
		return 2;
	}
	ctl->inode_pt = inode;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", devfd);
	if (mount("iptraw", m, "fusept", 0, opts)) {
		perror("mount");
		return 2;
	}
	daemon_pid = fork();
	if (daemon_pid == 0) {
		serve();
		_exit(0);
	}
	/* the first request waits for the INIT reply */
	if (daemon_pid < 0 || stat(m, &st)) {
		perror("stat");
		umount2(m, MNT_DETACH);
		return 2;
	}
	conn_id = major(st.st_dev) << 20 | minor(st.st_dev);
	return 0;
}

static void stop(const char *check)
{
	int status;

	result(umount(mnt) == 0, check, "umount: %s", strerror(errno));
	if (daemon_pid > 0)
		waitpid(daemon_pid, &status, 0);
}

/* without inode passthrough agreed the trailer makes a reply too long */
static int raw_inode_off(const char *m, const char *lower)
{
	struct node *n;
	int e, e2, w;

	if (start(m, lower, 0))
		return 2;
	check_agreed("mainline", "iptraw-off-agreed");
	e = make_lower("e", 0644) ? errno : 0;
	n = node_new("a", "e");
	node_new("b", "e");
	bind_next(n, 0);
	e = e ? e : stat_of("a", NULL);
	w = reply_err(n);
	e2 = stat_of("b", NULL);
	result(e == EIO && w == EINVAL && !e2, "iptraw-off-len",
	       "a 144-byte LOOKUP reply: lookup %s, the daemon's write %s (a 128-byte one: %s)",
	       ename(e), ename(w), ename(e2));
	stop("iptraw-off-umount");
	return failures ? 1 : 0;
}

int cmd_raw_inode(const char *mode, const char *m, const char *lower)
{
	struct node *a, *c;
	int e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "inode-off"))
		return raw_inode_off(m, lower);
	if (strcmp(mode, "inode")) {
		fprintf(stderr, "fusept-ptcheck raw: no mode %s\n", mode);
		return 2;
	}
	if (start(m, lower, 1))
		return 2;
	check_agreed("mainline inode", "iptraw-agreed");
	a = bound_node("a", OPS_FULL, 0, &e);
	check_bind_stat(a, e);
	check_bind_open(a);
	c = check_closed_id();
	check_bind_setattr(c);
	check_copy_range(a, c);
	check_noopen();
	check_bind_ignored();
	checks_eio();
	check_rebind(0);
	check_rebind(1);
	check_len();
	check_perm();
	check_setattr_pt();
	check_create();
	check_create_giveback();
	check_create_kopen();
	check_unbind(a);
	check_bind_ioctl();
	check_hier();
	check_kill();
	stop("iptraw-umount");
	return failures ? 1 : 0;
}
