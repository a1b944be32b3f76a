// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-passthrough - a read-write mirror of a directory over FUSE, with
 * kernel passthrough of file I/O (the mainline FUSE passthrough UAPI, as
 * libfuse >= 3.17 exposes it).  The reference daemon for fusept; it runs
 * unchanged on the kernel's own FUSE (Linux >= 6.9) for comparison.
 *
 * usage: fusept-passthrough [--no-passthrough] [--inode-passthrough]
 *                           [--no-hier] [--stats FILE] [libfuse options]
 *                           SRCDIR MOUNTPOINT
 *
 * MOUNTPOINT may be /dev/fd/N (an fd of an already mounted session, as
 * fusept-mount passes it), so "fusept-mount MNT fusept-passthrough -f SRC"
 * works.  Options may come anywhere; the first non-option argument is
 * SRCDIR, the second MOUNTPOINT.
 *
 * Passthrough: at INIT the daemon asks for FUSE_CAP_PASSTHROUGH when the
 * kernel offers it (never together with the writeback cache).  Each OPEN
 * or CREATE of a regular file opens the lower file and registers it with
 * fuse_passthrough_open() (the FUSE_DEV_IOC_BACKING_OPEN ioctl); the ID
 * is shared by all opens of the inode and closed (FUSE_DEV_IOC_BACKING_CLOSE)
 * when the last of them is released.  When the registration fails, that
 * open uses ordinary FUSE READ/WRITE requests instead.
 *
 * Inode passthrough (--inode-passthrough, fusept only; docs/inode-
 * passthrough.md): the init callback also asks fusept for
 * FUSEPT_INODE_PASSTHROUGH (the FUSEPT_DEV_IOC_WANT_INIT ioctl).  Every
 * regular file handed to the kernel in an entry reply (LOOKUP, MKNOD, LINK,
 * CREATE) is then registered once, from its O_PATH fd, with an ops_mask of
 * GETATTR, SETATTR, OPEN, READ and WRITE, and the reply carries a struct
 * fusept_entry_bind naming that ID (sent with fuse_reply_buf()).  The
 * kernel then opens, reads, writes, stats, chmods, chowns, truncates and
 * touches the file without the daemon (judging the caller's rights itself
 * first, as with default_permissions).
 * The ID is kept until the kernel forgets the node.  A CREATE reply leaves
 * the open to the kernel too (FOPEN_PASSTHROUGH, backing ID 0, fh 0): the
 * daemon closes the file it created, and no FLUSH or RELEASE follows.
 * Directories of the source's file system are registered with GETATTR,
 * SETATTR, LOOKUP and READDIR (hierarchical directories, unless --no-hier):
 * fusept looks their regular files up by itself, so those files never cost a
 * LOOKUP, and lists the lower directory without READDIR requests; a
 * regular file's nodeid is then its st_ino (every other node's is its
 * address with bit 63 set), as the kernel requires.
 * These registrations are apart from the per-open ones above, which OPEN
 * still makes (an OPEN still comes for a file the kernel has not bound).  READDIRPLUS
 * lists regular files without attributes, so that the kernel looks them
 * up (and binds them) before using them.  On the kernel's FUSE (ENOTTY),
 * or when fusept refuses the registration (EINVAL: not agreed at INIT),
 * the daemon logs it once and stays with per-open passthrough.
 *
 * Lower file system access: every inode the kernel knows is held as an
 * O_PATH fd, keyed by (st_dev, st_ino), with the kernel's lookup count.
 * Errors are the lower system call's errno, unchanged.  When the daemon
 * runs as root, CREATE, MKNOD, MKDIR, SYMLINK and TMPFILE run with the
 * caller's fsuid/fsgid and supplementary groups, so new files belong to
 * the caller; other operations run as root and rely on the kernel's
 * permission checks (mount with default_permissions).
 *
 * Counters, with --stats FILE written to FILE on SIGUSR1 and at exit
 * (written to FILE.tmp, then renamed) as one line of "name=N" separated by
 * spaces, in this order: read, write (READ and WRITE requests), open
 * (OPEN+CREATE requests), passthrough_open (opens that got a passthrough
 * backing ID), getattr, lookup, release, forget (nodes named by FORGET and
 * BATCH_FORGET), setattr, access, create (CREATE+MKNOD), unlink, rename,
 * mkdir, rmdir, link, symlink, opendir, readdir (READDIR+READDIRPLUS),
 * flush (requests of that kind received), bound (inode passthrough
 * registrations made, in all).
 *
 * Daemon options (also as -o NAME):
 *   --no-passthrough, -o no_passthrough   plain FUSE I/O for every file
 *   --inode-passthrough, -o inode_passthrough
 *                                         inode passthrough (see above)
 *   --no-hier, -o no_hier                 no hierarchical directories
 *   --stats FILE, -o stats=FILE           counter file (see above)
 *   --threads, -o threads                 multi-threaded loop (default: one)
 *   -o timeout=SECS                       entry/attribute timeout (1.0)
 *   -o stack_depth=N                      conn->max_backing_stack_depth (1;
 *                                         libfuse sends N + 1)
 */
#define FUSE_USE_VERSION 317
#define _GNU_SOURCE
#include <fuse_lowlevel.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define PROG "fusept-passthrough"
#define MAX_GROUPS 256

/*
 * The few pieces of the FUSE wire protocol and of fusept's ioctls that an
 * entry reply with a binding needs (include/uapi/linux/fusept.h defines
 * them too).  libfuse installs no fuse_kernel.h, and the project's header
 * is not on the include path of a plain "make -C tools", so they are
 * defined here under names of their own; the sizes are the wire's.
 */
struct ptw_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;
	uint32_t flags;
};

struct ptw_entry_out {
	uint64_t nodeid;
	uint64_t generation;
	uint64_t entry_valid;		/* seconds */
	uint64_t attr_valid;
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct ptw_attr attr;
};

struct ptw_open_out {
	uint64_t fh;
	uint32_t open_flags;
	int32_t backing_id;
};

/* fusept's entry reply trailer (struct fusept_entry_bind) */
struct ptw_entry_bind {
	int32_t backing_id;		/* 0: no binding */
	uint32_t flags;
	uint64_t reserved;
};

/* FUSE_DEV_IOC_BACKING_OPEN's argument (struct fuse_backing_map) */
struct ptw_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t ops_mask;		/* mainline's padding */
};

/* An entry reply, and a CREATE reply, with the trailer */
struct ptw_entry_reply {
	struct ptw_entry_out entry;
	struct ptw_entry_bind bind;
};

struct ptw_create_reply {
	struct ptw_entry_out entry;
	struct ptw_open_out open;
	struct ptw_entry_bind bind;
};

static_assert(sizeof(struct ptw_attr) == 88, "fuse_attr");
static_assert(sizeof(struct ptw_entry_out) == 128, "fuse_entry_out");
static_assert(sizeof(struct ptw_open_out) == 16, "fuse_open_out");
static_assert(sizeof(struct ptw_entry_bind) == 16, "fusept_entry_bind");
static_assert(sizeof(struct ptw_backing_map) == 16, "fuse_backing_map");
static_assert(sizeof(struct ptw_entry_reply) == 144, "entry reply");
static_assert(sizeof(struct ptw_create_reply) == 160, "create reply");

#define PTW_IOC_MAGIC		229
#define PTW_IOC_BACKING_OPEN	_IOW(PTW_IOC_MAGIC, 1, struct ptw_backing_map)
#define PTW_IOC_BACKING_CLOSE	_IOW(PTW_IOC_MAGIC, 2, uint32_t)
#define PTW_IOC_WANT_INIT	_IOW(PTW_IOC_MAGIC, 240, uint64_t)
#define PTW_INODE_PASSTHROUGH	(1ULL << 62)	/* INIT flag, fusept's */

/* fuse_open_out.open_flags */
#define PTW_FOPEN_PASSTHROUGH		(1U << 7)

/* ops_mask bits: FUSE_PASSTHROUGH_OP(opcode) */
#define PTW_OP(opcode)		(1ULL << ((opcode) - 1))
#define PTW_OP_LOOKUP		PTW_OP(1)
#define PTW_OP_GETATTR		PTW_OP(3)
#define PTW_OP_SETATTR		PTW_OP(4)
#define PTW_OP_OPEN		PTW_OP(14)
#define PTW_OP_READDIR		PTW_OP(28)
#define PTW_OP_READ		PTW_OP(15)
#define PTW_OP_WRITE		PTW_OP(16)
#define PTW_BIND_OPS		(PTW_OP_GETATTR | PTW_OP_SETATTR | PTW_OP_OPEN | \
				 PTW_OP_READ | PTW_OP_WRITE)
/*
 * A hierarchical directory: the kernel looks its files up by itself and
 * lists the lower directory
 */
#define PTW_HIER_OPS		(PTW_OP_GETATTR | PTW_OP_SETATTR | PTW_OP_LOOKUP | \
				 PTW_OP_READDIR)

/* Hierarchical mode: nodeids that are no lower st_ino have this bit */
#define PT_NODE_PTR		(1ULL << 63)

/* One lower inode the kernel holds a reference to. */
struct pt_inode {
	struct pt_inode *hnext;		/* hash chain */
	int fd;				/* O_PATH fd of the lower inode */
	dev_t dev;
	ino_t ino;
	mode_t type;			/* S_IFMT bits */
	uint64_t nlookup;		/* kernel lookup count */
	int backing_id;			/* passthrough backing ID, 0 = none */
	unsigned int backing_refs;	/* open files using backing_id */
	int bind_id;			/* inode passthrough ID, 0 = none */
};

/* An open file: fi->fh */
struct pt_file {
	int fd;
	int uses_backing;		/* holds a reference on backing_id */
};

/* An open directory: fi->fh */
struct pt_dir {
	DIR *dp;
	off_t pos;			/* offset of the next entry */
	struct dirent *pending;		/* read but not yet sent */
};

struct pt_fs {
	/* options */
	char *source;
	char *stats;
	int no_passthrough;
	int inode_passthrough;		/* --inode-passthrough */
	int no_hier;			/* --no-hier */
	int threads;
	double timeout;
	unsigned int stack_depth;

	/* state */
	int passthrough;		/* negotiated at INIT */
	atomic_int inode_pt;		/* inode passthrough in use */
	int hier;			/* nodeid == st_ino: set at INIT, kept */
	struct fuse_session *se;
	int as_root;			/* switch fsuid/fsgid for creation */
	gid_t groups[MAX_GROUPS];	/* the daemon's own supplementary groups */
	int ngroups;
	char *stats_tmp;
	pthread_mutex_t lock;		/* table, nlookup, backing IDs */
	struct pt_inode root;
	struct pt_inode **table;
	size_t buckets;
	size_t count;
};

static struct pt_fs fs = {
	.timeout = 1.0,
	.stack_depth = 1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static atomic_ulong n_read, n_write, n_open, n_pt_open, n_getattr;
static atomic_ulong n_lookup, n_release, n_forget, n_setattr, n_access;
static atomic_ulong n_create, n_unlink, n_rename, n_mkdir, n_rmdir, n_link;
static atomic_ulong n_symlink, n_opendir, n_readdir, n_flush, n_bound;
static atomic_int pt_fail_logged, bind_fail_logged;

/* The counters of --stats, in the order they are written */
static const struct {
	const char *name;
	atomic_ulong *count;
} counters[] = {
	{ "read", &n_read },
	{ "write", &n_write },
	{ "open", &n_open },
	{ "passthrough_open", &n_pt_open },
	{ "getattr", &n_getattr },
	{ "lookup", &n_lookup },
	{ "release", &n_release },
	{ "forget", &n_forget },
	{ "setattr", &n_setattr },
	{ "access", &n_access },
	{ "create", &n_create },
	{ "unlink", &n_unlink },
	{ "rename", &n_rename },
	{ "mkdir", &n_mkdir },
	{ "rmdir", &n_rmdir },
	{ "link", &n_link },
	{ "symlink", &n_symlink },
	{ "opendir", &n_opendir },
	{ "readdir", &n_readdir },
	{ "flush", &n_flush },
	{ "bound", &n_bound },
};

#define COUNT(c) atomic_fetch_add(&(c), 1)

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- counters ---------------------------------------------------- */

/* Append the decimal form of v to p; async-signal-safe. */
static char *put_ulong(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* Write the counters to --stats FILE; async-signal-safe. */
static void stats_write(void)
{
	char buf[64 * sizeof(counters) / sizeof(counters[0])], *p = buf;
	int fd, saved = errno;
	size_t i;

	if (!fs.stats)
		return;
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (i)
			*p++ = ' ';
		p = put_str(p, counters[i].name);
		*p++ = '=';
		p = put_ulong(p, atomic_load(counters[i].count));
	}
	*p++ = '\n';
	fd = open(fs.stats_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, (size_t)(p - buf)) == p - buf && close(fd) == 0)
			rename(fs.stats_tmp, fs.stats);
		else
			close(fd);
	}
	errno = saved;
}

static void on_sigusr1(int sig)
{
	(void)sig;
	stats_write();
}

/* ---- inode table ------------------------------------------------- */

static size_t hash_key(dev_t dev, ino_t ino, size_t buckets)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;

	return (size_t)((h ^ (h >> 29)) % buckets);
}

static void table_grow(void)
{
	size_t nb = fs.buckets ? fs.buckets * 2 : 1024, i;
	struct pt_inode **nt = calloc(nb, sizeof(*nt)), *n, *next;

	if (!nt)
		return;	/* keep the old, longer chains */
	for (i = 0; i < fs.buckets; i++) {
		for (n = fs.table[i]; n; n = next) {
			size_t h = hash_key(n->dev, n->ino, nb);

			next = n->hnext;
			n->hnext = nt[h];
			nt[h] = n;
		}
	}
	free(fs.table);
	fs.table = nt;
	fs.buckets = nb;
}

/* Called with fs.lock held. */
static struct pt_inode *table_find(dev_t dev, ino_t ino)
{
	struct pt_inode *n;

	for (n = fs.table[hash_key(dev, ino, fs.buckets)]; n; n = n->hnext)
		if (n->dev == dev && n->ino == ino)
			return n;
	return NULL;
}

/* Called with fs.lock held. */
static void table_insert(struct pt_inode *n)
{
	size_t h;

	if (fs.count >= fs.buckets * 2)
		table_grow();
	h = hash_key(n->dev, n->ino, fs.buckets);
	n->hnext = fs.table[h];
	fs.table[h] = n;
	fs.count++;
}

/* Called with fs.lock held. */
static void table_remove(struct pt_inode *n)
{
	struct pt_inode **pp = &fs.table[hash_key(n->dev, n->ino, fs.buckets)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			fs.count--;
			return;
		}
	}
}

/* What a nodeid the daemon does not know names (a kernel bug): nothing */
static struct pt_inode stale_node = { .fd = -1, .type = S_IFREG };

/*
 * In hierarchical mode a regular file of the source's file system has its
 * st_ino as nodeid, as fusept's kernel lookups require (0 and 1 are not
 * nodeids); every other node its address with PT_NODE_PTR set.
 */
static int node_by_ino(const struct pt_inode *n)
{
	return S_ISREG(n->type) && n->dev == fs.root.dev &&
	       n->ino > FUSE_ROOT_ID && !((uint64_t)n->ino & PT_NODE_PTR);
}

static struct pt_inode *node_of(fuse_ino_t ino)
{
	struct pt_inode *n;

	if (ino == FUSE_ROOT_ID)
		return &fs.root;
	if (!fs.hier)
		return (struct pt_inode *)(uintptr_t)ino;
	if (ino & PT_NODE_PTR)
		return (struct pt_inode *)(uintptr_t)(ino & ~PT_NODE_PTR);
	pthread_mutex_lock(&fs.lock);
	n = table_find(fs.root.dev, (ino_t)ino);
	pthread_mutex_unlock(&fs.lock);
	if (!n) {
		logmsg("request for nodeid %" PRIu64 ", which is unknown",
		       (uint64_t)ino);
		return &stale_node;
	}
	return n;
}

static fuse_ino_t ino_of(struct pt_inode *n)
{
	if (n == &fs.root)
		return FUSE_ROOT_ID;
	if (!fs.hier)
		return (fuse_ino_t)(uintptr_t)n;
	if (node_by_ino(n))
		return (fuse_ino_t)n->ino;
	return (fuse_ino_t)(uintptr_t)n | PT_NODE_PTR;
}

static void proc_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/*
 * Account for one more kernel reference to the lower inode that the
 * O_PATH fd `fd' refers to (fd is consumed) and fill *e.
 * Returns 0 or an errno.
 */
static int enter_inode(int fd, struct fuse_entry_param *e)
{
	struct pt_inode *n;

	memset(e, 0, sizeof(*e));
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int err = errno;

		close(fd);
		return err;
	}
	pthread_mutex_lock(&fs.lock);
	n = table_find(e->attr.st_dev, e->attr.st_ino);
	if (n) {
		n->nlookup++;
		close(fd);
	} else {
		n = calloc(1, sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&fs.lock);
			close(fd);
			return ENOMEM;
		}
		n->fd = fd;
		n->dev = e->attr.st_dev;
		n->ino = e->attr.st_ino;
		n->type = e->attr.st_mode & S_IFMT;
		n->nlookup = 1;
		table_insert(n);
	}
	pthread_mutex_unlock(&fs.lock);
	e->ino = ino_of(n);
	e->attr_timeout = fs.timeout;
	e->entry_timeout = fs.timeout;
	return 0;
}

/* Look NAME up in PARENT; on success the kernel holds one more reference. */
static int do_lookup(struct pt_inode *parent, const char *name,
		     struct fuse_entry_param *e)
{
	int fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno;
	return enter_inode(fd, e);
}

static int dev_fd(void)
{
	return fuse_session_fd(fs.se);
}

static void backing_close(int id)
{
	uint32_t arg = (uint32_t)id;

	if (ioctl(dev_fd(), PTW_IOC_BACKING_CLOSE, &arg) < 0)
		logmsg("BACKING_CLOSE of inode passthrough ID %d: %s", id,
		       strerror(errno));
}

static void forget_one(fuse_req_t req, struct pt_inode *n, uint64_t count)
{
	if (n == &fs.root || n == &stale_node)
		return;
	pthread_mutex_lock(&fs.lock);
	n->nlookup = count >= n->nlookup ? 0 : n->nlookup - count;
	if (n->nlookup) {
		pthread_mutex_unlock(&fs.lock);
		return;
	}
	table_remove(n);
	if (n->backing_id) {
		/* cannot happen while files are open; be tidy anyway */
		if (req)
			fuse_passthrough_close(req, n->backing_id);
		n->backing_id = 0;
	}
	pthread_mutex_unlock(&fs.lock);
	/* the node is out of the table: nobody else can reach bind_id now */
	if (n->bind_id)
		backing_close(n->bind_id);
	close(n->fd);
	free(n);
}

/* ---- inode passthrough ------------------------------------------- */

/*
 * Ask fusept for inode passthrough from the init callback, before libfuse
 * writes the INIT reply.  Returns 0 or an errno (ENOTTY: not fusept).
 */
static int want_inode_passthrough(void)
{
	uint64_t flags = PTW_INODE_PASSTHROUGH;

	if (ioctl(dev_fd(), PTW_IOC_WANT_INIT, &flags) < 0)
		return errno;
	return 0;
}

/*
 * The inode passthrough registration of N, made on first use: its ID, or
 * 0 when N is no regular file, inode passthrough is off, or the
 * registration failed (N is then left to per-open passthrough).  The
 * caller holds a lookup reference on N.
 */
static int node_bind(struct pt_inode *n)
{
	uint64_t ops = PTW_BIND_OPS;
	int id;

	/* hierarchical: a directory of the source's file system */
	if (S_ISDIR(n->type) && fs.hier && n->dev == fs.root.dev)
		ops = PTW_HIER_OPS;
	else if (!S_ISREG(n->type))
		return 0;
	if (!atomic_load(&fs.inode_pt))
		return 0;
	pthread_mutex_lock(&fs.lock);
	if (!n->bind_id && atomic_load(&fs.inode_pt)) {
		struct ptw_backing_map map = {
			.fd = n->fd,
			.ops_mask = ops,
		};

		id = ioctl(dev_fd(), PTW_IOC_BACKING_OPEN, &map);
		if (id > 0) {
			n->bind_id = id;
			COUNT(n_bound);
		} else if (id == 0) {
			logmsg("BACKING_OPEN returned ID 0");
		} else if (errno == EINVAL) {
			/* not agreed at INIT (e.g. the stack depth) */
			atomic_store(&fs.inode_pt, 0);
			logmsg("inode passthrough refused by the kernel (%s):"
			       " per-open passthrough from now on",
			       strerror(EINVAL));
		} else if (!atomic_exchange(&bind_fail_logged, 1)) {
			logmsg("inode passthrough registration failed (%s): such"
			       " files use per-open passthrough (logged once)",
			       strerror(errno));
		}
	}
	id = n->bind_id;
	pthread_mutex_unlock(&fs.lock);
	return id;
}

/* libfuse's conversion of a timeout in seconds to seconds and nanoseconds */
static uint64_t timeout_sec(double t)
{
	if (t <= 0.0)
		return 0;
	if (t >= 18446744073709551615.0)
		return UINT64_MAX;
	return (uint64_t)t;
}

static uint32_t timeout_nsec(double t)
{
	double frac = t - (double)timeout_sec(t);

	if (frac <= 0.0)
		return 0;
	if (frac >= 0.999999999)
		return 999999999;
	return (uint32_t)(frac * 1e9);
}

/* struct fuse_entry_out from a fuse_entry_param, as fuse_reply_entry() */
static void fill_entry_out(struct ptw_entry_out *o,
			   const struct fuse_entry_param *e)
{
	const struct stat *st = &e->attr;

	o->nodeid = e->ino;
	o->generation = e->generation;
	o->entry_valid = timeout_sec(e->entry_timeout);
	o->entry_valid_nsec = timeout_nsec(e->entry_timeout);
	o->attr_valid = timeout_sec(e->attr_timeout);
	o->attr_valid_nsec = timeout_nsec(e->attr_timeout);
	o->attr.ino = st->st_ino;
	o->attr.size = (uint64_t)st->st_size;
	o->attr.blocks = (uint64_t)st->st_blocks;
	o->attr.atime = (uint64_t)st->st_atim.tv_sec;
	o->attr.mtime = (uint64_t)st->st_mtim.tv_sec;
	o->attr.ctime = (uint64_t)st->st_ctim.tv_sec;
	o->attr.atimensec = (uint32_t)st->st_atim.tv_nsec;
	o->attr.mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	o->attr.ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	o->attr.mode = st->st_mode;
	o->attr.nlink = (uint32_t)st->st_nlink;
	o->attr.uid = st->st_uid;
	o->attr.gid = st->st_gid;
	o->attr.rdev = (uint32_t)st->st_rdev;
	o->attr.blksize = (uint32_t)st->st_blksize;
}

/*
 * Answer an entry request with e: bound to the node's inode passthrough
 * registration when it has one (144 bytes), else as libfuse does.  On a
 * failure the caller drops the lookup reference.
 */
static int reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	struct ptw_entry_reply r;
	int id = node_bind(node_of(e->ino));

	if (!id)
		return fuse_reply_entry(req, e);
	memset(&r, 0, sizeof(r));
	fill_entry_out(&r.entry, e);
	r.bind.backing_id = id;
	return fuse_reply_buf(req, (const char *)&r, sizeof(r));
}

/*
 * The same for CREATE with inode passthrough (160 bytes with the trailer):
 * the new inode is bound to bind_id, and the open is left to the kernel
 * (FOPEN_PASSTHROUGH with backing ID 0 and fh 0), which opens the lower
 * file from that registration: no handle, no FLUSH and no RELEASE.
 */
static int reply_create_kopen(fuse_req_t req, const struct fuse_entry_param *e,
			      int bind_id)
{
	struct ptw_create_reply r;

	memset(&r, 0, sizeof(r));
	fill_entry_out(&r.entry, e);
	r.open.open_flags = PTW_FOPEN_PASSTHROUGH;
	r.bind.backing_id = bind_id;
	return fuse_reply_buf(req, (const char *)&r, sizeof(r));
}

/* ---- caller's credentials -------------------------------------------- */

/*
 * Run the next system calls with the caller's fsuid, fsgid and
 * supplementary groups (per thread: raw syscalls, not glibc's
 * process-wide setgroups).  No-op unless the daemon runs as root.
 */
static void cred_enter(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[MAX_GROUPS];
	int n;

	if (!fs.as_root)
		return;
	n = fuse_req_getgroups(req, MAX_GROUPS, groups);
	if (n < 0 || n > MAX_GROUPS)
		n = 0;
	syscall(SYS_setgroups, (size_t)n, groups);
	setfsgid(ctx->gid);
	setfsuid(ctx->uid);
}

static void cred_leave(void)
{
	if (!fs.as_root)
		return;
	setfsuid(0);
	setfsgid(0);
	syscall(SYS_setgroups, (size_t)fs.ngroups, fs.groups);
}

/* ---- open files ---------------------------------------------------- */

static struct pt_file *file_of(struct fuse_file_info *fi)
{
	return (struct pt_file *)(uintptr_t)fi->fh;
}

/*
 * Attach the lower fd to fi, with passthrough for regular files when the
 * kernel agreed to it.  Returns 0 or an errno (fd is then still open).
 */
static int file_attach(fuse_req_t req, struct pt_inode *n, int fd,
		       struct fuse_file_info *fi)
{
	struct pt_file *f = calloc(1, sizeof(*f));

	if (!f)
		return ENOMEM;
	f->fd = fd;
	fi->fh = (uintptr_t)f;
	fi->keep_cache = 0;
	fi->direct_io = 0;
	fi->backing_id = 0;
	if (!fs.passthrough || !S_ISREG(n->type))
		return 0;
	pthread_mutex_lock(&fs.lock);
	if (!n->backing_id) {
		int id = fuse_passthrough_open(req, fd);

		if (id > 0) {
			n->backing_id = id;
		} else if (!atomic_exchange(&pt_fail_logged, 1)) {
			logmsg("passthrough open failed, using FUSE I/O for such files"
			       " (logged once)");
		}
	}
	if (n->backing_id) {
		n->backing_refs++;
		f->uses_backing = 1;
		fi->backing_id = n->backing_id;
		atomic_fetch_add(&n_pt_open, 1);
	}
	pthread_mutex_unlock(&fs.lock);
	return 0;
}

static void file_detach(fuse_req_t req, struct pt_inode *n,
			struct fuse_file_info *fi)
{
	struct pt_file *f = file_of(fi);

	if (f->uses_backing) {
		pthread_mutex_lock(&fs.lock);
		if (n->backing_refs && --n->backing_refs == 0 && n->backing_id) {
			fuse_passthrough_close(req, n->backing_id);
			n->backing_id = 0;
		}
		pthread_mutex_unlock(&fs.lock);
	}
	close(f->fd);
	free(f);
	fi->fh = 0;
}

/* ---- operations ---------------------------------------------------- */

static void pt_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	fuse_unset_feature_flag(conn, FUSE_CAP_WRITEBACK_CACHE);
	fs.passthrough = 0;
	if (!fs.no_passthrough) {
		if (fuse_set_feature_flag(conn, FUSE_CAP_PASSTHROUGH)) {
			conn->max_backing_stack_depth = fs.stack_depth;
			fs.passthrough = 1;
		}
	} else {
		fuse_unset_feature_flag(conn, FUSE_CAP_PASSTHROUGH);
	}
	logmsg("protocol %u.%u, passthrough %s%s", conn->proto_major,
	       conn->proto_minor,
	       fs.passthrough ? "on" : "off",
	       fs.no_passthrough ? " (--no-passthrough)" :
	       fs.passthrough ? "" : " (not offered by the kernel)");
	atomic_store(&fs.inode_pt, 0);
	if (!fs.inode_passthrough)
		return;
	if (!fs.passthrough) {
		logmsg("inode passthrough off: passthrough is off");
	} else {
		int err = want_inode_passthrough();

		if (err) {
			logmsg("inode passthrough not available"
			       " (FUSEPT_DEV_IOC_WANT_INIT: %s): per-open"
			       " passthrough", strerror(err));
		} else {
			atomic_store(&fs.inode_pt, 1);
			fs.hier = !fs.no_hier;
			logmsg("inode passthrough asked for%s",
			       fs.hier ? ", hierarchical directories" : "");
		}
	}
}

static void pt_destroy(void *userdata)
{
	(void)userdata;
	stats_write();
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int err;

	COUNT(n_lookup);
	err = do_lookup(node_of(parent), name, &e);
	if (err)
		fuse_reply_err(req, err);
	else if (reply_entry(req, &e) != 0)
		forget_one(req, node_of(e.ino), 1);
}

static void pt_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	COUNT(n_forget);
	forget_one(req, node_of(ino), nlookup);
	fuse_reply_none(req);
}

static void pt_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *list)
{
	size_t i;

	atomic_fetch_add(&n_forget, count);
	for (i = 0; i < count; i++)
		forget_one(req, node_of(list[i].ino), list[i].nlookup);
	fuse_reply_none(req);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;
	int res;

	atomic_fetch_add(&n_getattr, 1);
	if (fi)
		res = fstat(file_of(fi)->fd, &st);
	else
		res = fstatat(node_of(ino)->fd, "", &st,
			      AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, fs.timeout);
}

static struct timespec set_time(int valid, int now_bit, int set_bit,
				const struct timespec *ts)
{
	struct timespec t = { .tv_sec = 0, .tv_nsec = UTIME_OMIT };

	if (valid & now_bit)
		t.tv_nsec = UTIME_NOW;
	else if (valid & set_bit)
		t = *ts;
	return t;
}

static void pt_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int valid, struct fuse_file_info *fi)
{
	struct pt_inode *n = node_of(ino);
	int fd = fi ? file_of(fi)->fd : -1;
	char path[64];
	int res = 0;

	COUNT(n_setattr);
	proc_path(path, sizeof(path), n->fd);
	if (valid & FUSE_SET_ATTR_MODE) {
		if (fd >= 0)
			res = fchmod(fd, attr->st_mode);
		else
			res = chmod(path, attr->st_mode);
		if (res < 0)
			goto err;
	}
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
		gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

		res = fchownat(n->fd, "", uid, gid,
			       AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
		if (res < 0)
			goto err;
	}
	if (valid & FUSE_SET_ATTR_SIZE) {
		if (fd >= 0)
			res = ftruncate(fd, attr->st_size);
		else
			res = truncate(path, attr->st_size);
		if (res < 0)
			goto err;
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		     FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) {
		struct timespec tv[2];

		tv[0] = set_time(valid, FUSE_SET_ATTR_ATIME_NOW,
				 FUSE_SET_ATTR_ATIME, &attr->st_atim);
		tv[1] = set_time(valid, FUSE_SET_ATTR_MTIME_NOW,
				 FUSE_SET_ATTR_MTIME, &attr->st_mtim);
		if (fd >= 0)
			res = futimens(fd, tv);
		else
			res = utimensat(n->fd, "", tv,
					AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
		if (res < 0 && fd < 0 && errno == EINVAL)
			res = utimensat(AT_FDCWD, path, tv, 0);
		if (res < 0)
			goto err;
	}
	pt_getattr(req, ino, fi);
	return;
err:
	fuse_reply_err(req, errno);
}

static void pt_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	ssize_t res = readlinkat(node_of(ino)->fd, "", buf, sizeof(buf));

	if (res < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if ((size_t)res == sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	buf[res] = '\0';
	fuse_reply_readlink(req, buf);
}

/* mknod/mkdir/symlink as the caller, then a lookup for the entry */
static void make_node(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, dev_t rdev, const char *link)
{
	struct pt_inode *p = node_of(parent);
	struct fuse_entry_param e;
	int res, err;

	cred_enter(req);
	if (link)
		res = symlinkat(link, p->fd, name);
	else if (S_ISDIR(mode))
		res = mkdirat(p->fd, name, mode);
	else
		res = mknodat(p->fd, name, mode, rdev);
	err = errno;
	cred_leave();
	if (res < 0) {
		fuse_reply_err(req, err);
		return;
	}
	err = do_lookup(p, name, &e);
	if (err)
		fuse_reply_err(req, err);
	else if (reply_entry(req, &e) != 0)
		forget_one(req, node_of(e.ino), 1);
}

static void pt_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	COUNT(n_create);
	make_node(req, parent, name, mode, rdev, NULL);
}

static void pt_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	COUNT(n_mkdir);
	make_node(req, parent, name, S_IFDIR | mode, 0, NULL);
}

static void pt_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	COUNT(n_symlink);
	make_node(req, parent, name, S_IFLNK, 0, link);
}

static void pt_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct pt_inode *n = node_of(ino), *np = node_of(newparent);
	struct fuse_entry_param e;
	char path[64];
	int err;

	COUNT(n_link);
	proc_path(path, sizeof(path), n->fd);
	if (linkat(AT_FDCWD, path, np->fd, newname, AT_SYMLINK_FOLLOW) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	err = do_lookup(np, newname, &e);
	if (err)
		fuse_reply_err(req, err);
	else if (reply_entry(req, &e) != 0)
		forget_one(req, node_of(e.ino), 1);
}

static void pt_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int res;

	COUNT(n_unlink);
	res = unlinkat(node_of(parent)->fd, name, 0);
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void pt_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int res;

	COUNT(n_rmdir);
	res = unlinkat(node_of(parent)->fd, name, AT_REMOVEDIR);
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void pt_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	int res;

	COUNT(n_rename);
	res = renameat2(node_of(parent)->fd, name, node_of(newparent)->fd,
			newname, flags);
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pt_inode *n = node_of(ino);
	char path[64];
	int fd, err;

	atomic_fetch_add(&n_open, 1);
	proc_path(path, sizeof(path), n->fd);
	/* O_NOFOLLOW would refuse the /proc magic link itself */
	fd = open(path, (fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW)) |
		  O_CLOEXEC);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	err = file_attach(req, n, fd, fi);
	if (err) {
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	if (fuse_reply_open(req, fi) != 0)
		file_detach(req, n, fi);
}

static void pt_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct pt_inode *p = node_of(parent), *n;
	struct fuse_entry_param e;
	int fd, err, bind_id;

	atomic_fetch_add(&n_open, 1);
	COUNT(n_create);
	cred_enter(req);
	fd = openat(p->fd, name, (fi->flags & ~O_NOCTTY) | O_CREAT | O_CLOEXEC,
		    mode);
	err = errno;
	cred_leave();
	if (fd < 0) {
		fuse_reply_err(req, err);
		return;
	}
	err = do_lookup(p, name, &e);
	if (err) {
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	n = node_of(e.ino);
	/* inode passthrough: bound, and the kernel opens it itself */
	bind_id = node_bind(n);
	if (bind_id) {
		close(fd);
		if (reply_create_kopen(req, &e, bind_id) != 0)
			forget_one(req, n, 1);
		return;
	}
	err = file_attach(req, n, fd, fi);
	if (err) {
		close(fd);
		forget_one(req, n, 1);
		fuse_reply_err(req, err);
		return;
	}
	if (fuse_reply_create(req, &e, fi) != 0) {
		file_detach(req, n, fi);
		forget_one(req, n, 1);
	}
}

static void pt_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode,
		       struct fuse_file_info *fi)
{
	struct pt_inode *p = node_of(parent), *n;
	struct fuse_entry_param e;
	int flags, fd, pfd, err;
	char path[64];

	atomic_fetch_add(&n_open, 1);
	flags = fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_TMPFILE);
	cred_enter(req);
	fd = openat(p->fd, ".", flags | O_TMPFILE | O_CLOEXEC, mode);
	err = errno;
	cred_leave();
	if (fd < 0) {
		fuse_reply_err(req, err);
		return;
	}
	proc_path(path, sizeof(path), fd);
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0) {
		err = errno;
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	err = enter_inode(pfd, &e);
	if (err) {
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	n = node_of(e.ino);
	err = file_attach(req, n, fd, fi);
	if (err) {
		close(fd);
		forget_one(req, n, 1);
		fuse_reply_err(req, err);
		return;
	}
	if (fuse_reply_create(req, &e, fi) != 0) {
		file_detach(req, n, fi);
		forget_one(req, n, 1);
	}
}

static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf;
	ssize_t res;

	(void)ino;
	atomic_fetch_add(&n_read, 1);
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	res = pread(file_of(fi)->fd, buf, size, off);
	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)res);
	free(buf);
}

static void pt_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t res;

	(void)ino;
	atomic_fetch_add(&n_write, 1);
	res = pwrite(file_of(fi)->fd, buf, size, off);
	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)res);
}

static void pt_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int fd;

	(void)ino;
	COUNT(n_flush);
	fd = dup(file_of(fi)->fd);
	/* close() of a duplicate: what a close(2) of the lower file would do */
	if (fd < 0 || close(fd) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, 0);
}

static void pt_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	COUNT(n_release);
	/* fh 0: a kernel-opened CREATE, no file here (an older fusept) */
	if (fi->fh)
		file_detach(req, node_of(ino), fi);
	fuse_reply_err(req, 0);
}

static void pt_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int fd = file_of(fi)->fd;
	int res = datasync ? fdatasync(fd) : fsync(fd);

	(void)ino;
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void pt_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			 off_t offset, off_t length, struct fuse_file_info *fi)
{
	int res = fallocate(file_of(fi)->fd, mode, offset, length);

	(void)ino;
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void pt_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t res = lseek(file_of(fi)->fd, off, whence);

	(void)ino;
	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

static void pt_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
			       off_t off_in, struct fuse_file_info *fi_in,
			       fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len,
			       int flags)
{
	ssize_t res;

	(void)ino_in;
	(void)ino_out;
	res = copy_file_range(file_of(fi_in)->fd, &off_in,
			      file_of(fi_out)->fd, &off_out, len,
			      (unsigned int)flags);
	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)res);
}

/* ---- directories --------------------------------------------------- */

static struct pt_dir *dir_of(struct fuse_file_info *fi)
{
	return (struct pt_dir *)(uintptr_t)fi->fh;
}

static void pt_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct pt_dir *d;
	int fd, err;

	COUNT(n_opendir);
	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = openat(node_of(ino)->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto err;
	d->dp = fdopendir(fd);
	if (!d->dp) {
		err = errno;
		close(fd);
		errno = err;
		goto err;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0) {
		closedir(d->dp);
		free(d);
	}
	return;
err:
	err = errno;
	free(d);
	fuse_reply_err(req, err);
}

static int is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' &&
	       (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/*
 * The attributes of a READDIRPLUS entry, with one more lookup counted for
 * the kernel: 1, or 0 when the entry is listed without them.  With inode
 * passthrough a regular file is listed without them, so that the kernel
 * looks it up and the LOOKUP reply binds it.
 */
static int plus_attr(fuse_req_t req, struct pt_inode *parent,
		     const struct dirent *de, struct fuse_entry_param *e)
{
	if (is_dot_or_dotdot(de->d_name))
		return 0;
	if (atomic_load(&fs.inode_pt) && de->d_type == DT_REG)
		return 0;
	if (do_lookup(parent, de->d_name, e) != 0)
		return 0;
	if (atomic_load(&fs.inode_pt) && S_ISREG(e->attr.st_mode)) {
		forget_one(req, node_of(e->ino), 1);
		return 0;
	}
	return 1;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi, int plus)
{
	struct pt_dir *d = dir_of(fi);
	struct pt_inode *parent = node_of(ino);
	char *buf = malloc(size ? size : 1), *p;
	size_t rem = size;
	int err = 0;

	COUNT(n_readdir);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p = buf;
	if (off != d->pos) {
		seekdir(d->dp, off);
		d->pending = NULL;
		d->pos = off;
	}
	for (;;) {
		struct dirent *de = d->pending;
		size_t len;

		if (!de) {
			errno = 0;
			de = readdir(d->dp);
			if (!de) {
				err = errno;
				break;
			}
			d->pending = de;
		}
		if (plus) {
			struct fuse_entry_param e;

			if (!plus_attr(req, parent, de, &e)) {
				/* no attributes: the kernel only lists it */
				memset(&e, 0, sizeof(e));
				e.attr.st_ino = de->d_ino;
				e.attr.st_mode = (mode_t)de->d_type << 12;
			}
			len = fuse_add_direntry_plus(req, p, rem, de->d_name,
						     &e, de->d_off);
			if (len > rem) {
				if (e.ino)
					forget_one(req, node_of(e.ino), 1);
				break;
			}
		} else {
			struct stat st = {
				.st_ino = de->d_ino,
				.st_mode = (mode_t)de->d_type << 12,
			};

			len = fuse_add_direntry(req, p, rem, de->d_name, &st,
						de->d_off);
			if (len > rem)
				break;
		}
		p += len;
		rem -= len;
		d->pending = NULL;
		d->pos = de->d_off;
	}
	if (err && p == buf)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, (size_t)(p - buf));
	free(buf);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 0);
}

static void pt_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 1);
}

static void pt_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct pt_dir *d = dir_of(fi);

	(void)ino;
	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void pt_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	int fd = dirfd(dir_of(fi)->dp);
	int res = datasync ? fdatasync(fd) : fsync(fd);

	(void)ino;
	fuse_reply_err(req, res < 0 ? errno : 0);
}

/* ---- the rest -------------------------------------------------------- */

static void pt_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(node_of(ino)->fd, &sv) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

static void pt_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	char path[64];
	int res, err;

	COUNT(n_access);
	proc_path(path, sizeof(path), node_of(ino)->fd);
	cred_enter(req);
	res = faccessat(AT_FDCWD, path, mask, AT_EACCESS);
	err = errno;
	cred_leave();
	fuse_reply_err(req, res < 0 ? err : 0);
}

/*
 * Extended attributes go through /proc/self/fd/N: the f*xattr calls refuse
 * O_PATH fds, and following the magic link of a symlink's O_PATH fd lands
 * on the symlink itself, not on its target.
 */
static void pt_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	char path[64], *buf = NULL;
	ssize_t res;

	proc_path(path, sizeof(path), node_of(ino)->fd);
	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	res = getxattr(path, name, buf, size);
	if (res < 0)
		fuse_reply_err(req, errno);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)res);
	else
		fuse_reply_xattr(req, (size_t)res);
	free(buf);
}

static void pt_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char path[64], *buf = NULL;
	ssize_t res;

	proc_path(path, sizeof(path), node_of(ino)->fd);
	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	res = listxattr(path, buf, size);
	if (res < 0)
		fuse_reply_err(req, errno);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)res);
	else
		fuse_reply_xattr(req, (size_t)res);
	free(buf);
}

static void pt_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	char path[64];
	int res;

	proc_path(path, sizeof(path), node_of(ino)->fd);
	res = setxattr(path, name, value, size, flags);
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void pt_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	char path[64];
	int res;

	proc_path(path, sizeof(path), node_of(ino)->fd);
	res = removexattr(path, name);
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static const struct fuse_lowlevel_ops pt_ops = {
	.init = pt_init,
	.destroy = pt_destroy,
	.lookup = pt_lookup,
	.forget = pt_forget,
	.forget_multi = pt_forget_multi,
	.getattr = pt_getattr,
	.setattr = pt_setattr,
	.readlink = pt_readlink,
	.mknod = pt_mknod,
	.mkdir = pt_mkdir,
	.symlink = pt_symlink,
	.link = pt_link,
	.unlink = pt_unlink,
	.rmdir = pt_rmdir,
	.rename = pt_rename,
	.open = pt_open,
	.create = pt_create,
	.tmpfile = pt_tmpfile,
	.read = pt_read,
	.write = pt_write,
	.flush = pt_flush,
	.release = pt_release,
	.fsync = pt_fsync,
	.fallocate = pt_fallocate,
	.lseek = pt_lseek,
	.copy_file_range = pt_copy_file_range,
	.opendir = pt_opendir,
	.readdir = pt_readdir,
	.readdirplus = pt_readdirplus,
	.releasedir = pt_releasedir,
	.fsyncdir = pt_fsyncdir,
	.statfs = pt_statfs,
	.access = pt_access,
	.getxattr = pt_getxattr,
	.listxattr = pt_listxattr,
	.setxattr = pt_setxattr,
	.removexattr = pt_removexattr,
};

/* ---- command line ---------------------------------------------------- */

#define PT_OPT(t, field, v) { t, offsetof(struct pt_fs, field), v }

static const struct fuse_opt pt_opts[] = {
	PT_OPT("--no-passthrough", no_passthrough, 1),
	PT_OPT("no_passthrough", no_passthrough, 1),
	PT_OPT("passthrough", no_passthrough, 0),
	PT_OPT("--inode-passthrough", inode_passthrough, 1),
	PT_OPT("inode_passthrough", inode_passthrough, 1),
	PT_OPT("--no-hier", no_hier, 1),
	PT_OPT("no_hier", no_hier, 1),
	PT_OPT("--stats=%s", stats, 0),
	PT_OPT("--stats %s", stats, 0),
	PT_OPT("stats=%s", stats, 0),
	PT_OPT("--threads", threads, 1),
	PT_OPT("threads", threads, 1),
	PT_OPT("timeout=%lf", timeout, 0),
	PT_OPT("stack_depth=%u", stack_depth, 0),
	FUSE_OPT_END
};

static int pt_opt_proc(void *data, const char *arg, int key,
		       struct fuse_args *outargs)
{
	(void)data;
	(void)outargs;
	if (key == FUSE_OPT_KEY_NONOPT && !fs.source) {
		fs.source = strdup(arg);
		return fs.source ? 0 : -1;
	}
	return 1;	/* the rest is libfuse's (the mountpoint, -f, -o ...) */
}

static void usage(const char *argv0)
{
	printf("usage: %s [options] SRCDIR MOUNTPOINT\n\n"
	       "Mirrors SRCDIR at MOUNTPOINT (or an fd given as /dev/fd/N).\n\n"
	       "    --no-passthrough, -o no_passthrough\n"
	       "                           no kernel passthrough: FUSE READ/WRITE\n"
	       "    --inode-passthrough, -o inode_passthrough\n"
	       "                           bind regular files to their lower\n"
	       "                           inode at lookup (fusept; else per-open\n"
	       "                           passthrough), and directories\n"
	       "                           as hierarchical ones\n"
	       "    --no-hier, -o no_hier  with --inode-passthrough: no\n"
	       "                           hierarchical directories\n"
	       "    --stats FILE, -o stats=FILE\n"
	       "                           write request counters to FILE on\n"
	       "                           SIGUSR1 and at exit\n"
	       "    --threads, -o threads  multi-threaded request loop\n"
	       "    -o timeout=SECS        entry and attribute timeout (1.0)\n"
	       "    -o stack_depth=N       max_backing_stack_depth (1)\n\n",
	       argv0);
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* An absolute path for a file that may not exist yet. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *r;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&r, "%s/%s", cwd, path) < 0)
		return NULL;
	return r;
}

static int setup_root(void)
{
	struct stat st;
	char *src = realpath(fs.source, NULL);
	int fd;

	if (!src) {
		logmsg("%s: %s", fs.source, strerror(errno));
		return -1;
	}
	free(fs.source);
	fs.source = src;
	fd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		logmsg("%s: %s", src, strerror(errno));
		return -1;
	}
	fs.root.fd = fd;
	fs.root.dev = st.st_dev;
	fs.root.ino = st.st_ino;
	fs.root.type = S_IFDIR;
	fs.root.nlookup = 2;
	table_grow();
	if (!fs.table)
		return -1;
	table_insert(&fs.root);
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_session *se = NULL;
	struct sigaction sa;
	struct rlimit rl;
	int ret = 1;

	if (fuse_opt_parse(&args, &fs, pt_opts, pt_opt_proc) != 0)
		return 1;
	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 1;
	if (opts.show_help) {
		usage(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (opts.show_version) {
		printf("%s, libfuse %s\n", PROG, fuse_pkgversion());
		fuse_lowlevel_version();
		ret = 0;
		goto out_args;
	}
	if (!fs.source || !opts.mountpoint) {
		fprintf(stderr, "usage: %s [options] SRCDIR MOUNTPOINT"
			" (--help for the options)\n", argv[0]);
		goto out_args;
	}
	if (fs.stats) {
		char *abs = absolute(fs.stats);

		if (!abs || asprintf(&fs.stats_tmp, "%s.tmp", abs) < 0) {
			logmsg("out of memory");
			goto out_args;
		}
		free(fs.stats);
		fs.stats = abs;
	}
	if (setup_root() != 0)
		goto out_args;

	fs.as_root = geteuid() == 0;
	fs.ngroups = getgroups(MAX_GROUPS, fs.groups);
	if (fs.ngroups < 0)
		fs.ngroups = 0;
	/* modes arrive with the caller's umask applied by the kernel */
	umask(0);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	se = fuse_session_new(&args, &pt_ops, sizeof(pt_ops), &fs);
	if (!se)
		goto out_args;
	fs.se = se;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (fuse_session_mount(se, opts.mountpoint) != 0)
		goto out_signals;
	if (fuse_daemonize(opts.foreground) != 0)
		goto out_unmount;

	if (fs.threads) {
		struct fuse_loop_config *cfg = fuse_loop_cfg_create();

		if (!cfg)
			goto out_unmount;
		fuse_loop_cfg_set_clone_fd(cfg, (unsigned int)opts.clone_fd);
		fuse_loop_cfg_set_idle_threads(cfg, opts.max_idle_threads);
		fuse_loop_cfg_set_max_threads(cfg, opts.max_threads);
		ret = fuse_session_loop_mt(se, cfg);
		fuse_loop_cfg_destroy(cfg);
	} else {
		ret = fuse_session_loop(se);
	}
	ret = ret ? 1 : 0;

out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
	stats_write();
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
