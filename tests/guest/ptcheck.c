// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-ptcheck - passthrough checks that need a program of their own.
 *
 *   fusept-ptcheck raw mainline|android|android-ext MOUNTPOINT LOWERDIR
 *	Mounts fusept (allow_other, no default_permissions) with a daemon
 *	written here against the wire protocol, serving LOWERDIR's files a, b
 *	and secret (made by the caller: secret root-owned, mode 0600), and
 *	checks: an ID closed right after the OPEN reply, a closed ID named
 *	again, the daemon's credentials (a user who may not open the lower
 *	file reads it through passthrough; what changes once the daemon drops
 *	its privileges), and the Android UAPI (INIT bit 31,
 *	FUSE_DEV_IOC_PASSTHROUGH_OPEN, passthrough_fh, the ID used up by the
 *	open; android-ext: the same with the flag as bit 31 of flags2, as
 *	Android kernels have it from protocol 7.36); one inode open with and
 *	without passthrough at once: refused with EIO in mainline mode, in
 *	Android mode what one kind writes (write, fallocate, mmap) is seen by
 *	the other, also while cached opens race with passthrough writes;
 *	an O_PATH descriptor registered: it serves in mainline mode, Android
 *	mode refuses it with EBADF; a directory registered for inode
 *	passthrough (agreed in mainline mode) and named in an OPEN reply: EIO;
 *	the registered file itself serving opens with its access and I/O
 *	flags (no second open of the lower file, its position untouched).
 *	One line per check: "PASS name" or "FAIL name: detail".
 *   fusept-ptcheck raw inode|inode-off MOUNTPOINT LOWERDIR
 *	Inode passthrough at the wire (iptcheck.c): entry replies binding
 *	inodes to registered lower files, FUSEPT_DEV_IOC_UNBIND.
 *   fusept-ptcheck hold FILE
 *	Opens FILE, maps it, then runs the commands read from stdin, one a
 *	line, printing one result line each: "map" (read every mapped byte:
 *	"map OK", "map SIGBUS" or "map DIFF"), "read" (pread the whole file:
 *	"read OK", "read DIFF" or "read ERRNO"), "unmap", "close", "quit".
 *   fusept-ptcheck loop FILE N [SECS]
 *	open, read one byte, close, N times or until SECS seconds passed;
 *	prints "n=CYCLES ms=M".
 *   fusept-ptcheck aio FILE PREFIX [direct]
 *	io_submit with 8 writes in flight, then 8 reads, on FILE (O_DIRECT
 *	with "direct"); prints PASS/FAIL lines named PREFIX-...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>

#include <linux/fusept.h>
#include "result.h"
#include "ptcheck.h"

const char *dev_path = "/dev/fusept";

const char *ename(int err)
{
	static char buf[32];

	switch (err) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EIO: return "EIO";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOTCONN: return "ENOTCONN";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case ENOSYS: return "ENOSYS";
	}
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* ------------------------------------------------------------ raw daemon */

enum {
	P_PT = 1,	/* answer OPEN with passthrough */
	P_CLOSE = 2,	/* BACKING_CLOSE the ID right after the reply */
	P_USE_ID = 4,	/* name ctl->use_id, register nothing */
	P_KEEP = 8,	/* reuse the node's kept ID, else register and keep */
	P_DROP = 16,	/* drop to uid/gid 65534 first (once) */
	P_FLAG7 = 32,	/* open_flags bit 7, backing_id 0 */
	P_KEEPC = 64,	/* FOPEN_KEEP_CACHE */
	P_PT_WR = 128,	/* passthrough for an open for writing only */
	P_OPATH = 256,	/* register an O_PATH descriptor of the lower file */
	P_DIR = 512,	/* register the lower directory (ops_mask GETATTR) */
};

#define NNODES 5
static const char *const node_names[NNODES] = {
	NULL, NULL, "a", "b", "secret"
};

struct ctl {
	uint32_t init_flags;	/* what the kernel's INIT offered */
	uint32_t init_flags2;
	int plan;
	int use_id;
	int last_id;
	int reg_err;
	int close_ret;
	int keep_id[NNODES];
	unsigned int reads, writes, opens;
	int dropped;
	int stop;	/* tells a test's child process to finish */
};

static struct ctl *ctl;
static int android;	/* 1: INIT flag bit 31, 2: flags2 bit 31 */

struct conn {
	int fd;
	int lower[NNODES];
	char buf[FUSE_MIN_READ_BUFFER + 131072];
};

static int send_reply(struct conn *c, uint64_t unique, int error,
		      const void *arg, size_t len)
{
	struct fuse_out_header h = {
		.len = sizeof(h) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	char out[sizeof(h) + 131072];

	if (error)
		len = 0;
	memcpy(out, &h, sizeof(h));
	if (len)
		memcpy(out + sizeof(h), arg, len);
	return write(c->fd, out, sizeof(h) + len) == (ssize_t)(sizeof(h) + len) ?
		0 : -errno;
}

static void fill_attr(struct conn *c, uint64_t nodeid, struct fuse_attr *a)
{
	struct stat st;

	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->nlink = 1;
	a->blksize = 4096;
	if (nodeid == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
		return;
	}
	fstat(c->lower[nodeid], &st);
	a->mode = S_IFREG | 0644;	/* the daemon grants access */
	a->size = st.st_size;
	a->blocks = st.st_blocks;
	a->mtime = st.st_mtim.tv_sec;
	a->ctime = st.st_ctim.tv_sec;
	a->atime = st.st_atim.tv_sec;
}

static char mnt[512], lower_dir[512];
static struct conn *rawc;	/* its lower fds are the parent's too */

static void path_of(char *buf, size_t size, const char *dir, const char *f)
{
	snprintf(buf, size, "%s/%s", dir, f);
}

/* with P_OPATH: an O_PATH descriptor of the node's lower file, or -1 */
static int opath_of(uint64_t node)
{
	char p[600];

	path_of(p, sizeof(p), lower_dir, node_names[node]);
	return open(p, O_PATH);
}

static int do_register(struct conn *c, uint64_t node)
{
	int opath = (ctl->plan & P_OPATH) ? opath_of(node) :
		    (ctl->plan & P_DIR) ? open(lower_dir, O_PATH | O_DIRECTORY) :
		    -1;
	uint32_t fd = opath >= 0 ? opath : c->lower[node];
	struct fuse_backing_map map = { .fd = fd };
	int id;

	if (ctl->plan & P_DIR)
		map.ops_mask = FUSE_PASSTHROUGH_OP(FUSE_GETATTR);

	if ((ctl->plan & (P_OPATH | P_DIR)) && opath < 0) {
		ctl->reg_err = errno;	/* no O_PATH descriptor to offer */
		return -ctl->reg_err;
	}
	if (android)
		id = ioctl(c->fd, FUSE_DEV_IOC_PASSTHROUGH_OPEN, &fd);
	else
		id = ioctl(c->fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	ctl->reg_err = id < 0 ? errno : 0;
	if (opath >= 0)
		close(opath);
	return id < 0 ? -ctl->reg_err : id;
}

static void do_open(struct conn *c, struct fuse_in_header *in)
{
	struct fuse_open_out o = { 0 };
	uint64_t node = in->nodeid;
	int plan = ctl->plan, id = 0;

	ctl->opens++;
	if ((plan & P_PT_WR) &&
	    (((struct fuse_open_in *)(in + 1))->flags & O_ACCMODE) != O_RDONLY)
		plan |= P_PT;
	if (node < 2 || node >= NNODES) {
		send_reply(c, in->unique, -ENOENT, NULL, 0);
		return;
	}
	if ((plan & P_DROP) && !ctl->dropped) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			perror("drop privileges");
		ctl->dropped = 1;
	}
	if (plan & P_USE_ID) {
		id = ctl->use_id;
	} else if ((plan & P_KEEP) && ctl->keep_id[node]) {
		id = ctl->keep_id[node];
	} else if (plan & P_PT) {
		id = do_register(c, node);
		if (id < 0) {
			send_reply(c, in->unique, id, NULL, 0);
			return;
		}
		if (plan & P_KEEP)
			ctl->keep_id[node] = id;
	}
	ctl->last_id = id;
	if (plan & P_FLAG7) {
		o.open_flags = 1 << 7;
	} else if (id) {
		o.backing_id = id;
		if (!android)
			o.open_flags = FOPEN_PASSTHROUGH;
	}
	if (plan & P_KEEPC)
		o.open_flags |= FOPEN_KEEP_CACHE;
	send_reply(c, in->unique, 0, &o, sizeof(o));
	if ((plan & P_CLOSE) && id > 0) {
		uint32_t u = id;

		ctl->close_ret = ioctl(c->fd, FUSE_DEV_IOC_BACKING_CLOSE, &u) ?
			-errno : 0;
	}
}

static void serve(struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf, sizeof(c->buf));
		struct fuse_in_header *in = (void *)c->buf;
		void *arg = in + 1;

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in))
			return;		/* ENODEV after umount */
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = FUSE_KERNEL_MINOR_VERSION,
				.max_write = 131072,
				.max_readahead = 131072,
			};

			struct fuse_init_in *ii = arg;

			ctl->init_flags = ii->flags;
			ctl->init_flags2 = ii->flags2;
			if (android == 2) {
				o.flags = FUSE_INIT_EXT;
				o.flags2 = FUSE_PASSTHROUGH_ANDROID_EXT >> 32;
			} else if (android) {
				o.flags = FUSE_PASSTHROUGH_ANDROID;
			} else {
				/* inode passthrough: directory IDs */
				o.flags = FUSE_INIT_EXT;
				o.flags2 = (FUSE_PASSTHROUGH |
					    FUSEPT_INODE_PASSTHROUGH) >> 32;
				o.max_stack_depth = 1;
			}
			send_reply(c, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = { 0 };
			uint64_t i;

			for (i = 2; i < NNODES; i++)
				if (!strcmp(arg, node_names[i]))
					break;
			if (in->nodeid != FUSE_ROOT_ID || i == NNODES) {
				send_reply(c, in->unique, -ENOENT, NULL, 0);
				break;
			}
			e.nodeid = i;
			e.entry_valid = 1;
			e.attr_valid = 1;
			fill_attr(c, i, &e.attr);
			send_reply(c, in->unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR:
		case FUSE_SETATTR: {
			struct fuse_attr_out a = { .attr_valid = 1 };

			if (in->nodeid >= NNODES) {
				send_reply(c, in->unique, -ENOENT, NULL, 0);
				break;
			}
			fill_attr(c, in->nodeid, &a.attr);
			send_reply(c, in->unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_OPEN:
			do_open(c, in);
			break;
		case FUSE_READ: {
			struct fuse_read_in *r = arg;
			static char data[131072];
			ssize_t got;

			ctl->reads++;
			got = pread(c->lower[in->nodeid], data,
				    r->size > sizeof(data) ? sizeof(data) :
				    r->size, r->offset);
			send_reply(c, in->unique, got < 0 ? -errno : 0, data,
				   got < 0 ? 0 : got);
			break;
		}
		case FUSE_WRITE: {
			struct fuse_write_in *w = arg;
			struct fuse_write_out o = { 0 };
			ssize_t got;

			ctl->writes++;
			got = pwrite(c->lower[in->nodeid], w + 1, w->size,
				     w->offset);
			o.size = got < 0 ? 0 : got;
			send_reply(c, in->unique, got < 0 ? -errno : 0, &o,
				   sizeof(o));
			break;
		}
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_FSYNC:
		case FUSE_OPENDIR:
		case FUSE_RELEASEDIR:
			send_reply(c, in->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		case FUSE_DESTROY:
			send_reply(c, in->unique, 0, NULL, 0);
			return;
		default:
			send_reply(c, in->unique, -ENOSYS, NULL, 0);
		}
	}
}

/* open a file of the mount (as uid when uid >= 0): fd or -errno */
static int open_as(const char *name, int flags, int uid)
{
	char p[600];
	int fds[2], fd, r;
	pid_t pid;

	path_of(p, sizeof(p), mnt, name);
	if (uid < 0) {
		fd = open(p, flags);
		return fd < 0 ? -errno : fd;
	}
	/* a child with the uid opens the file and passes it back */
	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(1);
		fd = open(p, flags);
		r = fd < 0 ? -errno : 0;
		if (!r) {
			char b[64];
			ssize_t n = read(fd, b, sizeof(b));

			r = n < 0 ? -errno : (int)n;
		}
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof(r)) != sizeof(r))
		r = -EPIPE;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return r;
}

/* the first n bytes of the lower file */
static int lower_bytes(const char *name, char *buf, size_t n)
{
	char p[600];
	int fd;
	ssize_t got;

	path_of(p, sizeof(p), lower_dir, name);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	got = pread(fd, buf, n, 0);
	close(fd);
	return got == (ssize_t)n ? 0 : -1;
}

/* fd's first 4096 bytes equal the lower file's */
static int same_as_lower(int fd, const char *name)
{
	char a[4096], b[4096];

	if (pread(fd, a, sizeof(a), 0) != sizeof(a))
		return 0;
	if (lower_bytes(name, b, sizeof(b)))
		return 0;
	return !memcmp(a, b, sizeof(a));
}

static char listing_path[256];

/* lines in the connection's backing_files listing */
static int listed_ids(void)
{
	char buf[4096];
	int fd = open(listing_path, O_RDONLY), n = 0;
	ssize_t got;

	if (fd < 0)
		return -1;
	got = read(fd, buf, sizeof(buf));
	close(fd);
	for (ssize_t i = 0; i < got; i++)
		n += buf[i] == '\n';
	return n;
}

static int set_unprivileged(int on)
{
	int fd = open("/sys/module/fusept/parameters/passthrough_unprivileged",
		      O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}


/* open a file of the mount with the daemon following plan: fd or -errno */
static int open_plan(const char *name, int flags, int plan)
{
	ctl->plan = plan;
	return open_as(name, flags, -1);
}

/* the n bytes at off read through fd are buf's */
static int reads_as(int fd, off_t off, const char *buf, size_t n)
{
	char got[256];

	return n <= sizeof(got) && pread(fd, got, n, off) == (ssize_t)n &&
	       !memcmp(got, buf, n);
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * One inode open with and without passthrough at once: mainline refuses
 * the second open, whichever comes first (EIO)
 */
static void checks_mainline_mixed(void)
{
	int fd[2];

	fd[0] = open_plan("b", O_RDONLY, P_PT | P_CLOSE);
	fd[1] = open_plan("b", O_RDONLY, 0);
	result(fd[0] >= 0 && fd[1] == -EIO, "ptraw-mixed-cached-eio",
	       "passthrough open %s, then cached open %s",
	       ename(fd[0] < 0 ? -fd[0] : 0), ename(fd[1] < 0 ? -fd[1] : 0));
	close_fds(fd, 2);
	fd[0] = open_plan("b", O_RDONLY, 0);
	fd[1] = open_plan("b", O_RDONLY, P_PT | P_CLOSE);
	result(fd[0] >= 0 && fd[1] == -EIO, "ptraw-mixed-pt-eio",
	       "cached open %s, then passthrough open %s",
	       ename(fd[0] < 0 ? -fd[0] : 0), ename(fd[1] < 0 ? -fd[1] : 0));
	close_fds(fd, 2);
	/* as mainline: FOPEN_KEEP_CACHE is not a passthrough open's flag */
	fd[0] = open_plan("b", O_RDONLY, P_PT | P_CLOSE | P_KEEPC);
	result(fd[0] == -EIO, "ptraw-keepcache-eio",
	       "FOPEN_PASSTHROUGH|FOPEN_KEEP_CACHE: %s",
	       ename(fd[0] < 0 ? -fd[0] : 0));
	close_fds(fd, 1);
}

/*
 * An O_PATH descriptor registered (mainline accepts one since 6.12): the
 * daemon need not open the lower file for real, and the ID serves reads
 * and writes all the same
 */
static void checks_opath(void)
{
	unsigned int r0 = ctl->reads, w0 = ctl->writes;
	char b[4096];
	int fd;

	ctl->plan = P_PT | P_OPATH;
	fd = open_as("a", O_RDWR, -1);
	result(fd >= 0 && ctl->reg_err == 0, "ptraw-opath-open",
	       "BACKING_OPEN %s, open %s", ename(ctl->reg_err),
	       ename(fd < 0 ? -fd : 0));
	if (fd < 0)
		return;
	result(same_as_lower(fd, "a"), "ptraw-opath-read",
	       "data differs from the lower file");
	result(pwrite(fd, "opath", 5, 200) == 5 && !lower_bytes("a", b, 205) &&
	       !memcmp(b + 200, "opath", 5), "ptraw-opath-write",
	       "the write did not reach the lower file");
	result(ctl->reads == r0 && ctl->writes == w0, "ptraw-opath-no-requests",
	       "READ %u WRITE %u reached the daemon", ctl->reads - r0,
	       ctl->writes - w0);
	close(fd);
}

/* An ID of a directory (inode passthrough) named in an OPEN reply: EIO */
static void checks_dir_id(void)
{
	int fd;

	ctl->plan = P_PT | P_DIR;
	fd = open_as("b", O_RDONLY, -1);
	result(fd == -EIO && ctl->reg_err == 0, "ptraw-dir-id-eio",
	       "BACKING_OPEN %s, open %s", ename(ctl->reg_err),
	       ename(fd < 0 ? -fd : 0));
	if (fd >= 0)
		close(fd);
}

/* struct files allocated in the system (file-nr: exact to 64 per CPU) */
static long nr_files(void)
{
	FILE *f = fopen("/proc/sys/fs/file-nr", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

#define NREUSE 512

/* NREUSE opens of b at once: how many struct files they added */
static long reuse_opens(int *fds, int flags, int *opened)
{
	long before = nr_files();
	int i;

	for (i = 0, *opened = 0; i < NREUSE; i++) {
		fds[i] = open_as("b", flags, -1);
		if (fds[i] < 0)
			break;
		(*opened)++;
	}
	return nr_files() - before;
}

/*
 * A read-write open sharing the registered file: the user's reads move
 * neither the daemon's position nor another open's; the daemon's F_SETFL
 * O_APPEND on its descriptor does not make the user's pwrite append; fsync
 * works (and uses a cursor of its own: not checkable without an I/O error).
 */
static void checks_reuse_rw(int lfd)
{
	int fd = open_as("b", O_RDWR, -1), fd2 = open_as("b", O_RDONLY, -1);
	off_t pos0 = lseek(lfd, 0, SEEK_CUR);
	struct stat st0, st;
	char b[2];
	int fl;

	result(fd >= 0 && fd2 >= 0 && read(fd, b, 2) == 2 &&
	       lseek(fd, 0, SEEK_CUR) == 2 && lseek(fd2, 0, SEEK_CUR) == 0 &&
	       lseek(lfd, 0, SEEK_CUR) == pos0, "ptraw-reuse-own-pos",
	       "positions: user %lld, other open %lld, daemon %lld (was %lld)",
	       (long long)lseek(fd, 0, SEEK_CUR),
	       (long long)lseek(fd2, 0, SEEK_CUR),
	       (long long)lseek(lfd, 0, SEEK_CUR), (long long)pos0);
	fl = fcntl(lfd, F_GETFL);
	fstat(lfd, &st0);
	fcntl(lfd, F_SETFL, fl | O_APPEND);
	result(fd >= 0 && pwrite(fd, "RW", 2, 0) == 2 && !fstat(lfd, &st) &&
	       st.st_size == st0.st_size && pread(lfd, b, 2, 0) == 2 &&
	       !memcmp(b, "RW", 2), "ptraw-reuse-setfl-not-shared",
	       "the daemon's O_APPEND changed the user's write (size %lld -> %lld)",
	       (long long)st0.st_size, (long long)st.st_size);
	fcntl(lfd, F_SETFL, fl);
	result(fd >= 0 && !fsync(fd) && !fdatasync(fd) && !fsync(fd2),
	       "ptraw-reuse-fsync", "%s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
}

/*
 * The daemon's registered file (its lower fd, opened O_RDWR) serves opens
 * whose access it has and whose I/O flags match, with no second open of
 * the lower file: NREUSE opens add about NREUSE files, not twice that.
 * SEEK_HOLE on such an open does not move the daemon's position; an
 * O_APPEND open gets a file of its own.
 */
static void checks_reuse(void)
{
	int fds[NREUSE], n, lfd = rawc->lower[3];
	off_t pos0 = lseek(lfd, 0, SEEK_CUR), hole;
	struct stat st;
	long grew;
	char b[4];

	ctl->plan = P_PT | P_KEEP;
	grew = reuse_opens(fds, O_RDONLY, &n);
	result(n == NREUSE && grew < NREUSE * 3 / 2, "ptraw-reuse-no-second-open",
	       "%d opens (%s), %ld files more", n,
	       ename(n < NREUSE && fds[n] < 0 ? -fds[n] : 0), grew);
	result(n && same_as_lower(fds[0], "b"), "ptraw-reuse-read",
	       "data differs from the lower file");
	hole = n ? lseek(fds[0], 0, SEEK_HOLE) : -1;
	result(!fstat(lfd, &st) && hole == st.st_size &&
	       lseek(lfd, 0, SEEK_CUR) == pos0, "ptraw-reuse-seek-own-pos",
	       "SEEK_HOLE %lld of %lld, the daemon's position %lld -> %lld",
	       (long long)hole, (long long)st.st_size, (long long)pos0,
	       (long long)lseek(lfd, 0, SEEK_CUR));
	close_fds(fds, n);
	checks_reuse_rw(lfd);
	grew = reuse_opens(fds, O_WRONLY | O_APPEND, &n);
	result(n == NREUSE && grew > NREUSE * 3 / 2, "ptraw-reuse-append-own-file",
	       "%d opens, %ld files more", n, grew);
	result(n && write(fds[0], "tail", 4) == 4 && !fstat(lfd, &st) &&
	       pread(lfd, b, 4, st.st_size - 4) == 4 && !memcmp(b, "tail", 4),
	       "ptraw-reuse-append-write", "the write was not appended");
	close_fds(fds, n);
}

static void checks_mainline(void)
{
	unsigned int r0, w0;
	int fd, fd2, id1, e;
	char b[4096];

	/* the ID closed right after the OPEN reply */
	r0 = ctl->reads;
	w0 = ctl->writes;
	ctl->plan = P_PT | P_CLOSE;
	ctl->close_ret = 1;
	fd = open_as("a", O_RDWR, -1);
	result(fd >= 0, "ptraw-early-close-open", "open: %s", ename(-fd));
	if (fd < 0)
		return;
	/* the daemon closes the ID after its reply: allow it up to 10 s */
	for (e = 0; ctl->close_ret == 1 && e < 1000; e++)
		usleep(10000);
	result(ctl->close_ret == 0, "ptraw-early-close-ioctl",
	       "BACKING_CLOSE after the reply: %s", ename(-ctl->close_ret));
	result(listed_ids() == 0, "ptraw-early-close-unlisted",
	       "%d IDs listed in %s", listed_ids(), listing_path);
	result(same_as_lower(fd, "a"), "ptraw-early-close-read",
	       "data differs from the lower file");
	result(pwrite(fd, "early", 5, 100) == 5 && !lower_bytes("a", b, 105) &&
	       !memcmp(b + 100, "early", 5), "ptraw-early-close-write",
	       "the write did not reach the lower file");
	result(ctl->reads == r0 && ctl->writes == w0,
	       "ptraw-early-close-no-requests", "READ %u WRITE %u reached the daemon",
	       ctl->reads - r0, ctl->writes - w0);
	close(fd);
	fd = open_as("a", O_RDONLY, -1);
	result(fd >= 0 && same_as_lower(fd, "a"), "ptraw-early-close-reopen",
	       "open again: %s", ename(fd < 0 ? -fd : 0));
	if (fd >= 0)
		close(fd);

	/* a closed ID named again */
	ctl->plan = P_PT | P_CLOSE;
	fd = open_as("a", O_RDONLY, -1);
	id1 = ctl->last_id;
	ctl->plan = P_PT;
	fd2 = open_as("b", O_RDONLY, -1);
	result(fd >= 0 && fd2 >= 0 && ctl->last_id != id1,
	       "ptraw-id-not-reused-at-once", "IDs %d then %d", id1,
	       ctl->last_id);
	result(fd2 >= 0 && same_as_lower(fd2, "b"), "ptraw-id-new-file",
	       "the new ID does not read b");
	result(fd >= 0 && same_as_lower(fd, "a"), "ptraw-id-closed-open-file",
	       "the file opened with the closed ID does not read a");
	ctl->plan = P_USE_ID;
	ctl->use_id = id1;
	e = open_as("b", O_RDONLY, -1);
	result(e == -EIO, "ptraw-id-closed-eio", "open naming a closed ID: %s",
	       e < 0 ? ename(-e) : "OK");
	if (e >= 0)
		close(e);
	ctl->use_id = 999999;
	e = open_as("secret", O_RDONLY, -1);
	result(e == -EIO, "ptraw-id-unknown-eio", "open naming an unknown ID: %s",
	       e < 0 ? ename(-e) : "OK");
	if (e >= 0)
		close(e);
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	checks_mainline_mixed();
	checks_opath();
	checks_dir_id();
	checks_reuse();

	/* credentials: uid 1000 may not open the lower file */
	path_of(b, sizeof(b), lower_dir, "secret");
	ctl->plan = P_PT | P_KEEP;
	e = open_as("secret", O_RDONLY, 1000);
	result(e > 0, "ptraw-creds-user-reads", "uid 1000 through passthrough: %s",
	       e < 0 ? ename(-e) : "no data");
	fd = fork();
	if (fd == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(2);
		_exit(open(b, O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
	}
	waitpid(fd, &e, 0);
	result(WIFEXITED(e) && WEXITSTATUS(e) == 0, "ptraw-creds-lower-eacces",
	       "uid 1000 could open the lower file directly");
	/* the daemon drops its privileges: a kept ID still works */
	ctl->plan = P_PT | P_KEEP | P_DROP;
	e = open_as("secret", O_RDONLY, 1000);
	result(e > 0 && ctl->dropped, "ptraw-creds-dropped-kept-id",
	       "kept ID after the daemon dropped privileges: %s",
	       e < 0 ? ename(-e) : "no data");
	/* ... but it may not register new files */
	ctl->plan = P_PT;
	e = open_as("secret", O_RDONLY, 1000);
	result(e == -EPERM && ctl->reg_err == EPERM, "ptraw-creds-dropped-eperm",
	       "BACKING_OPEN %s, open %s", ename(ctl->reg_err),
	       e < 0 ? ename(-e) : "OK");
	/* with passthrough_unprivileged=1 it may, with its own credentials */
	if (set_unprivileged(1)) {
		result(0, "ptraw-creds-unprivileged", "cannot set the parameter");
		return;
	}
	/* the fd it opened while privileged: no new permission check */
	e = open_as("secret", O_RDONLY, 1000);
	result(e > 0 && ctl->reg_err == 0, "ptraw-creds-unprivileged-registers",
	       "BACKING_OPEN %s, open %s", ename(ctl->reg_err),
	       e < 0 ? ename(-e) : "no data");
	/*
	 * an O_PATH descriptor proves no access: the unprivileged daemon
	 * registers one of the root-only file, the open is refused
	 */
	ctl->plan = P_PT | P_OPATH;
	e = open_as("secret", O_RDONLY, 1000);
	result(e == -EACCES && ctl->reg_err == 0, "ptraw-opath-unpriv-eacces",
	       "BACKING_OPEN %s, open %s", ename(ctl->reg_err),
	       e < 0 ? ename(-e) : "OK");
	set_unprivileged(0);
}

/*
 * A check's name in Android mode: ptraw-android-NAME, or with the flag
 * in flags2 (android-ext) ptraw-android-ext-NAME
 */
static const char *an(const char *name)
{
	static char names[4][64];
	static int next;
	char *n = names[next++ % 4];

	snprintf(n, sizeof(names[0]), "ptraw-android-%s%s",
		 android == 2 ? "ext-" : "", name);
	return n;
}


#define MIXED_SIZE 65536

/* fd = { passthrough O_RDWR, cached O_RDWR }: the page cache filled */
static int mixed_open(int *fd, int pt_first)
{
	static char all[MIXED_SIZE];

	if (pt_first) {
		fd[0] = open_plan("a", O_RDWR, P_PT);
		fd[1] = open_plan("a", O_RDWR, 0);
	} else {
		fd[1] = open_plan("a", O_RDWR, 0);
		fd[0] = open_plan("a", O_RDWR, P_PT);
	}
	return fd[0] >= 0 && fd[1] >= 0 &&
	       pread(fd[1], all, sizeof(all), 0) == sizeof(all) ? 0 : -1;
}

/* passthrough writes and fallocate, a cached reader that had the pages */
static void mixed_pt_writes(int pt, int c)
{
	static const char zero[4096];
	struct stat st;
	off_t end;
	int e;

	result(pwrite(pt, "pt-write-1", 10, 4096) == 10 &&
	       reads_as(c, 4096, "pt-write-1", 10),
	       an("mixed-pt-write-cached-read"), "stale cached read");
	end = fstat(c, &st) ? 0 : st.st_size;
	result(pwrite(pt, "tail", 4, end + 1000) == 4 && !fstat(c, &st) &&
	       st.st_size == end + 1004 && reads_as(c, end + 1000, "tail", 4),
	       an("mixed-pt-extend-cached-read"), "size %lld, expected %lld",
	       (long long)st.st_size, (long long)end + 1004);
	e = fallocate(pt, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 8192,
		      4096) ? errno : 0;
	if (e == EOPNOTSUPP)
		printf("SKIP %s: no hole punching in the lower file system\n",
		       an("mixed-pt-punch-cached-read"));
	else
		result(!e && reads_as(c, 8192, zero, 256),
		       an("mixed-pt-punch-cached-read"), "fallocate %s",
		       e ? ename(e) : "OK, stale cached read");
}

/* mappings of either kind beside the other kind's writes */
static void mixed_maps(int pt, int c)
{
	char *cm, *pm;
	int fd, ok;

	cm = mmap(NULL, MIXED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c, 0);
	pm = mmap(NULL, MIXED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, pt, 0);
	if (cm == MAP_FAILED || pm == MAP_FAILED) {
		result(0, an("mixed-mmap"), "mmap: %s", strerror(errno));
		goto out;
	}
	result(!memcmp(cm + 4096, "pt-write-1", 10) &&
	       pwrite(pt, "pt-write-2", 10, 20480) == 10 &&
	       !memcmp(cm + 20480, "pt-write-2", 10),
	       an("mixed-pt-write-cached-map"), "the cached mapping is stale");
	memcpy(cm + 24576, "map-store", 9);
	result(!msync(cm, MIXED_SIZE, MS_SYNC) &&
	       reads_as(pt, 24576, "map-store", 9) &&
	       !memcmp(pm + 24576, "map-store", 9),
	       an("mixed-cached-map-pt-read"),
	       "passthrough read or mapping misses a cached mapping's store");
	memcpy(pm + 28672, "pt-mapped", 9);
	fd = msync(pm, MIXED_SIZE, MS_SYNC) ? -errno :
	     open_plan("a", O_RDONLY, P_KEEPC);
	result(fd >= 0 && reads_as(fd, 28672, "pt-mapped", 9) &&
	       reads_as(c, 28672, "pt-mapped", 9) &&
	       !memcmp(cm + 28672, "pt-mapped", 9),
	       an("mixed-pt-map-cached-open"),
	       "a cached open after a passthrough mapping's store: %s",
	       fd < 0 ? ename(-fd) : "stale");
	if (fd >= 0)
		close(fd);
	/* the passthrough file's fsync: cached readers already open see it */
	ok = reads_as(c, 32768, cm + 32768, 16);	/* cached and mapped */
	memcpy(pm + 32768, "pt-fsynced", 10);
	result(ok && !fsync(pt) && reads_as(c, 32768, "pt-fsynced", 10) &&
	       !memcmp(cm + 32768, "pt-fsynced", 10),
	       an("mixed-pt-map-fsync-cached-read"),
	       "a cached reader after a passthrough mapping's store and fsync: stale");
out:
	if (cm != MAP_FAILED)
		munmap(cm, MIXED_SIZE);
	if (pm != MAP_FAILED)
		munmap(pm, MIXED_SIZE);
}

/* a child opening "a" cached and reading it until told to stop */
static pid_t mixed_reader(void)
{
	static char all[MIXED_SIZE];
	char p[600];
	pid_t pid;
	int fd, bad = 0;

	path_of(p, sizeof(p), mnt, "a");
	ctl->stop = 0;
	pid = fork();
	if (pid)
		return pid;
	while (!ctl->stop && bad < 10) {
		fd = open(p, O_RDONLY);
		if (fd < 0 || pread(fd, all, sizeof(all), 0) < 4096)
			bad++;
		if (fd >= 0)
			close(fd);
	}
	_exit(bad ? 1 : 0);
}

/*
 * Rounds of passthrough writes, each read back at once through a cached
 * descriptor, while a child opens the file cached and reads it again and
 * again (its opens invalidate the cache, its reads fill it)
 */
static void mixed_race(int c)
{
	char blk[4096], want[4096];
	int fd = -1, i, n, stale = 0, st = 0;
	struct timespec ts;
	time_t t0;
	pid_t pid;

	ctl->plan = P_PT_WR;
	pid = mixed_reader();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec;
	for (n = 0; n < 400 && !stale; n++) {
		fd = open_as("a", O_WRONLY, -1);
		if (fd < 0)
			break;
		memset(want, 'A' + n % 26, sizeof(want));
		snprintf(want, 32, "round %d", n);
		i = (n % 15) * 4096;
		if (pwrite(fd, want, sizeof(want), i) != sizeof(want) ||
		    pread(c, blk, sizeof(blk), i) != sizeof(blk) ||
		    memcmp(blk, want, sizeof(want)))
			stale = 1;
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec - t0 >= 4)
			break;
	}
	ctl->stop = 1;
	waitpid(pid, &st, 0);
	result(!stale && fd >= 0 && WIFEXITED(st) && !WEXITSTATUS(st),
	       an("mixed-race"), "round %d: %s, reader exit %#x", n,
	       fd < 0 ? ename(-fd) : stale ? "stale cached read" : "OK", st);
	ctl->plan = 0;
}

/* Android mode: one inode open with and without passthrough at once */
static void checks_android_mixed(void)
{
	int fd[2];

	if (mixed_open(fd, 1)) {
		result(0, an("mixed-open"), "passthrough open %s, cached open %s",
		       ename(fd[0] < 0 ? -fd[0] : 0),
		       ename(fd[1] < 0 ? -fd[1] : 0));
		close_fds(fd, 2);
		return;
	}
	result(1, an("mixed-open"), "-");
	mixed_pt_writes(fd[0], fd[1]);
	result(pwrite(fd[1], "cached-w", 8, 16384) == 8 &&
	       reads_as(fd[0], 16384, "cached-w", 8),
	       an("mixed-cached-write-pt-read"), "passthrough read is stale");
	mixed_maps(fd[0], fd[1]);
	mixed_race(fd[1]);
	close_fds(fd, 2);
	/* MediaProvider sets keep_cache beside passthrough_fh */
	fd[0] = open_plan("a", O_RDWR, P_PT | P_KEEPC);
	fd[1] = open_plan("a", O_RDONLY, P_KEEPC);
	result(fd[0] >= 0 && fd[1] >= 0 &&
	       pwrite(fd[0], "pt-keep-c", 9, 4096) == 9 &&
	       reads_as(fd[1], 4096, "pt-keep-c", 9), an("mixed-keepcache"),
	       "FOPEN_KEEP_CACHE beside passthrough_fh: %s, cached open %s",
	       ename(fd[0] < 0 ? -fd[0] : 0), ename(fd[1] < 0 ? -fd[1] : 0));
	close_fds(fd, 2);
	/* the other order: the cached open first */
	result(!mixed_open(fd, 0) && pwrite(fd[0], "pt-write-3", 10, 4096) == 10 &&
	       reads_as(fd[1], 4096, "pt-write-3", 10),
	       an("mixed-open-cached-first"), "passthrough open %s, cached %s",
	       ename(fd[0] < 0 ? -fd[0] : 0), ename(fd[1] < 0 ? -fd[1] : 0));
	close_fds(fd, 2);
}

static void checks_android(void)
{
	unsigned int r0 = ctl->reads, w0 = ctl->writes;
	int fd, e, id;
	char b[4096];

	result((ctl->init_flags & FUSE_PASSTHROUGH_ANDROID) &&
	       (ctl->init_flags2 & (FUSE_PASSTHROUGH_ANDROID_EXT >> 32)),
	       an("init-offers-both"), "INIT flags %#x flags2 %#x",
	       ctl->init_flags, ctl->init_flags2);
	ctl->plan = P_PT;
	fd = open_as("a", O_RDWR, -1);
	id = ctl->last_id;
	result(fd >= 0 && id > 0, an("open"),
	       "open with passthrough_fh %d: %s", id, ename(fd < 0 ? -fd : 0));
	if (fd < 0)
		return;
	result(same_as_lower(fd, "a"), an("read"),
	       "data differs from the lower file");
	result(pwrite(fd, "droid", 5, 200) == 5 && !lower_bytes("a", b, 205) &&
	       !memcmp(b + 200, "droid", 5), an("write"),
	       "the write did not reach the lower file");
	result(ctl->reads == r0 && ctl->writes == w0,
	       an("no-requests"), "READ %u WRITE %u reached the daemon",
	       ctl->reads - r0, ctl->writes - w0);
	result(listed_ids() == 0, an("id-consumed-unlisted"),
	       "%d IDs still listed", listed_ids());
	ctl->plan = P_USE_ID;
	ctl->use_id = id;
	e = open_as("b", O_RDONLY, -1);
	result(e == -EIO, an("id-consumed-eio"),
	       "second open naming a used ID: %s", e < 0 ? ename(-e) : "OK");
	if (e >= 0)
		close(e);
	close(fd);

	/* Android's PASSTHROUGH_OPEN takes no O_PATH descriptor (fget) */
	ctl->plan = P_PT | P_OPATH;
	e = open_as("a", O_RDONLY, -1);
	result(e == -EBADF && ctl->reg_err == EBADF, an("opath-ebadf"),
	       "PASSTHROUGH_OPEN of an O_PATH descriptor %s, open %s",
	       ename(ctl->reg_err), e < 0 ? ename(-e) : "OK");
	if (e >= 0)
		close(e);

	/* open-flag bit 7 is not passthrough in Android mode */
	r0 = ctl->reads;
	ctl->plan = P_FLAG7;
	fd = open_as("b", O_RDONLY, -1);
	result(fd >= 0 && same_as_lower(fd, "b") && ctl->reads > r0,
	       an("flag7-cached"), "open %s, %u READs",
	       ename(fd < 0 ? -fd : 0), ctl->reads - r0);
	if (fd >= 0)
		close(fd);
	checks_android_mixed();

	/* Android daemons lack CAP_SYS_ADMIN: the module parameter */
	ctl->plan = P_PT | P_DROP;
	e = open_as("a", O_RDONLY, -1);
	result(e == -EPERM, an("unprivileged-eperm"),
	       "without passthrough_unprivileged: %s", e < 0 ? ename(-e) : "OK");
	if (e >= 0)
		close(e);
	if (set_unprivileged(1) == 0) {
		fd = open_as("a", O_RDONLY, -1);
		result(fd >= 0 && same_as_lower(fd, "a"),
		       an("unprivileged"), "open: %s",
		       ename(fd < 0 ? -fd : 0));
		if (fd >= 0)
			close(fd);
		set_unprivileged(0);
	}
}

static int cmd_raw(const char *mode, const char *m, const char *l)
{
	struct conn *c = malloc(sizeof(*c));
	char opts[256], p[600];
	struct stat st;
	pid_t pid;
	int i, status;

	android = !strcmp(mode, "android") ? 1 :
		  !strcmp(mode, "android-ext") ? 2 : 0;
	snprintf(mnt, sizeof(mnt), "%s", m);
	snprintf(lower_dir, sizeof(lower_dir), "%s", l);
	rawc = c;
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!c || ctl == MAP_FAILED)
		return 2;
	for (i = 2; i < NNODES; i++) {
		path_of(p, sizeof(p), l, node_names[i]);
		c->lower[i] = open(p, O_RDWR);
		if (c->lower[i] < 0) {
			perror(p);
			return 2;
		}
	}
	c->fd = open(dev_path, O_RDWR);
	if (c->fd < 0) {
		perror(dev_path);
		return 2;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", c->fd);
	if (mount("ptraw", m, "fusept", 0, opts)) {
		perror("mount");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		serve(c);
		_exit(0);
	}
	if (stat(m, &st)) {
		perror("stat");
		umount2(m, MNT_DETACH);
		return 2;
	}
	snprintf(listing_path, sizeof(listing_path),
		 "/sys/fs/fusept/connections/%u/backing_files",
		 major(st.st_dev) << 20 | minor(st.st_dev));
	if (android)
		checks_android();
	else
		checks_mainline();
	result(umount(m) == 0, android ? an("umount") : "ptraw-umount",
	       "umount: %s", strerror(errno));
	waitpid(pid, &status, 0);
	return failures ? 1 : 0;
}

/* ----------------------------------------------------------- the holder */

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

static __attribute__((noinline)) uint64_t sum_of(const unsigned char *p,
						  size_t n)
{
	uint64_t s = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		s = (s ^ p[i]) * 1099511628211ULL;
	return s;
}

static int cmd_hold(const char *file)
{
	struct sigaction sa = { .sa_handler = on_bus };
	unsigned char *map = NULL, *buf;
	volatile uint64_t got;
	uint64_t want;
	struct stat st;
	char line[64];
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(file, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		printf("hold %s\n", ename(errno));
		return 1;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	buf = malloc(st.st_size);
	if (map == MAP_FAILED || !buf) {
		printf("hold mmap %s\n", ename(errno));
		return 1;
	}
	want = sum_of(map, st.st_size);
	sigaction(SIGBUS, &sa, NULL);
	printf("hold OK\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "map", 3)) {
			if (sigsetjmp(bus_jmp, 1)) {
				printf("map SIGBUS\n");
				continue;
			}
			got = sum_of(map, st.st_size);
			printf("map %s\n", got == want ? "OK" : "DIFF");
		} else if (!strncmp(line, "read", 4)) {
			ssize_t n = pread(fd, buf, st.st_size, 0);

			if (n < 0)
				printf("read %s\n", ename(errno));
			else
				printf("read %s\n", n == st.st_size &&
				       sum_of(buf, n) == want ? "OK" : "DIFF");
		} else if (!strncmp(line, "unmap", 5)) {
			printf("unmap %s\n", munmap(map, st.st_size) ?
			       ename(errno) : "OK");
		} else if (!strncmp(line, "close", 5)) {
			printf("close %s\n", close(fd) ? ename(errno) : "OK");
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- loop */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* stops after secs seconds if given: prints "n=DONE ms=M" */
static int cmd_loop(const char *file, long n, long secs)
{
	long t0 = now_ms(), i;
	char c;

	for (i = 0; i < n; i++) {
		int fd = open(file, O_RDONLY);

		if (fd < 0 || read(fd, &c, 1) < 0) {
			printf("loop failed at %ld: %s\n", i, ename(errno));
			return 1;
		}
		close(fd);
		if (secs && !(i & 255) && now_ms() - t0 > secs * 1000) {
			i++;
			break;
		}
	}
	printf("n=%ld ms=%ld\n", i, now_ms() - t0);
	return 0;
}

/* ----------------------------------------------------------------- aio */

#define NAIO 8
#define AIO_BS 65536

static int cmd_aio(const char *file, const char *prefix, int direct)
{
	struct iocb cbs[NAIO], *list[NAIO];
	struct io_event ev[NAIO];
	aio_context_t ctx = 0;
	unsigned char *wbuf, *rbuf;
	char name[128];
	int fd, i, n, bad;
	long r;

	fd = open(file, O_RDWR | O_CREAT | (direct ? O_DIRECT : 0), 0644);
	snprintf(name, sizeof(name), "%s-open", prefix);
	result(fd >= 0, name, "open: %s", strerror(errno));
	if (fd < 0)
		return 1;
	if (posix_memalign((void **)&wbuf, 4096, NAIO * AIO_BS) ||
	    posix_memalign((void **)&rbuf, 4096, NAIO * AIO_BS))
		return 2;
	for (i = 0; i < NAIO * AIO_BS; i++)
		wbuf[i] = (unsigned char)(i * 7 + i / 4096);
	if (syscall(SYS_io_setup, NAIO, &ctx)) {
		perror("io_setup");
		return 2;
	}
	for (int pass = 0; pass < 2; pass++) {
		memset(cbs, 0, sizeof(cbs));
		memset(rbuf, 0, NAIO * AIO_BS);
		for (i = 0; i < NAIO; i++) {
			/* out of order, so that the completions interleave */
			int k = (i * 3) % NAIO;

			cbs[i].aio_fildes = fd;
			cbs[i].aio_lio_opcode = pass ? IOCB_CMD_PREAD :
				IOCB_CMD_PWRITE;
			cbs[i].aio_buf = (uintptr_t)(pass ? rbuf : wbuf) +
				(uint64_t)k * AIO_BS;
			cbs[i].aio_nbytes = AIO_BS;
			cbs[i].aio_offset = (uint64_t)k * AIO_BS;
			cbs[i].aio_data = k;
			list[i] = &cbs[i];
		}
		r = syscall(SYS_io_submit, ctx, NAIO, list);
		snprintf(name, sizeof(name), "%s-%s-submit", prefix,
			 pass ? "read" : "write");
		result(r == NAIO, name, "io_submit: %ld (%s)", r,
		       r < 0 ? strerror(errno) : "short");
		if (r != NAIO)
			break;
		for (n = 0; n < NAIO;) {
			r = syscall(SYS_io_getevents, ctx, 1, NAIO - n, ev + n,
				    NULL);
			if (r <= 0)
				break;
			n += r;
		}
		bad = 0;
		for (i = 0; i < n; i++)
			bad += ev[i].res != AIO_BS;
		snprintf(name, sizeof(name), "%s-%s-complete", prefix,
			 pass ? "read" : "write");
		result(n == NAIO && !bad, name, "%d events, %d not %d bytes",
		       n, bad, AIO_BS);
	}
	snprintf(name, sizeof(name), "%s-data", prefix);
	result(!memcmp(wbuf, rbuf, NAIO * AIO_BS), name,
	       "read back differs from what was written");
	syscall(SYS_io_destroy, ctx);
	close(fd);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("FUSEPT_DEV"))
		dev_path = getenv("FUSEPT_DEV");
	if (argc == 5 && !strcmp(argv[1], "raw") &&
	    !strncmp(argv[2], "inode", 5))
		return cmd_raw_inode(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "raw"))
		return cmd_raw(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "loop"))
		return cmd_loop(argv[2], atol(argv[3]),
				argc == 5 ? atol(argv[4]) : 0);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "aio"))
		return cmd_aio(argv[2], argv[3], argc == 5);
	fprintf(stderr, "usage: fusept-ptcheck raw mainline|android|android-ext MNT LOWERDIR\n"
		"       fusept-ptcheck raw inode|inode-off MNT LOWERDIR\n"
		"       fusept-ptcheck hold FILE\n"
		"       fusept-ptcheck loop FILE N [SECS]\n"
		"       fusept-ptcheck aio FILE PREFIX [direct]\n");
	return 2;
}
