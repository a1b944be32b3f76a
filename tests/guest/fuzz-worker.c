// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-fuzzd: a worker, one of the processes that run random system
 * calls on the mount until the round ends: opens with random flags,
 * reads and writes of every kind, mmap and page touching, truncate,
 * fallocate, lseek, the namespace calls, getdents, stat, attributes,
 * xattrs, record and flock locks, splice, copy_file_range, sendfile,
 * poll, sync. Any result is fine (the daemon lies); what matters is that
 * every call comes back and the kernel stays sound.
 *
 * A timer interrupts the worker every few milliseconds (SIGALRM, with or
 * without SA_RESTART), so that requests get INTERRUPTs; SIGBUS and
 * SIGSEGV while touching a mapping are caught.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fuzz.h"

#define NFDS		16
#define NMAPS		8
#define BUFSZ		(1 << 20)

struct wmap {
	char *p;
	size_t len;
};

struct checker;

struct wk {
	struct rng r;
	struct checker *ck;		/* worker 0: the checking worker */
	int fds[NFDS];
	struct wmap maps[NMAPS];
	int pipe[2];
	unsigned char *buf;
	char path[2][PATH_MAX];
	uint64_t calls;
};

/* Count one system call */
#define SC(w, call)	((w)->calls++, (call))

static sigjmp_buf touch_env;
static volatile sig_atomic_t touching;

static void on_fault(int sig)
{
	if (touching)
		siglongjmp(touch_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A signal interrupts what the worker does; once the round is over and
 * the worker is in a wait that signals end (a fifo's open, say), it ends */
static void on_signal(int sig)
{
	(void)sig;
	if (__atomic_load_n(&fz_sh->stop, __ATOMIC_RELAXED))
		_exit(0);
}

/* --------------------------------------------------- names, fds, sizes */

static const char *const names[] = {
	"f0", "f1", "f2", "f3", "f4", "d0", "d1", "d2", "l0", "l1", "l2",
	"p0", "n0", "n1", "n2", "n3", "x",
};

static const char *const dirs[] = {
	"", "", "", "", "d0/", "d1/", "d0/d2/", "l1/", "f1/", "n0/", "d1/n1/",
};

/* A path on the mount: mostly names the daemon knows, now and then one
 * that is too long */
static char *path(struct wk *w, int i)
{
	char *p = w->path[i];
	size_t len;

	len = snprintf(p, PATH_MAX, "%s/%s", fz_opt.mnt, PICK(&w->r, dirs));
	if (one_in(&w->r, 40)) {
		size_t n = one_in(&w->r, 2) ? 255 : 256;

		memset(p + len, 'L', n);
		p[len + n] = 0;
		return p;
	}
	snprintf(p + len, PATH_MAX - len, "%s", PICK(&w->r, names));
	return p;
}

/* An open descriptor (maybe -1, maybe a closed number: EBADF is fine) */
static int fd_any(struct wk *w)
{
	int i, start = below(&w->r, NFDS);

	for (i = 0; i < NFDS; i++)
		if (w->fds[(start + i) % NFDS] >= 0)
			return w->fds[(start + i) % NFDS];
	return one_in(&w->r, 2) ? -1 : 1000;
}

/* Keep fd in a slot (closing what was there); each fd in one slot only,
 * so that no slot keeps a number closed already */
static void fd_keep(struct wk *w, int fd)
{
	int slot = below(&w->r, NFDS), i;

	if (fd < 0)
		return;
	for (i = 0; i < NFDS; i++)
		if (w->fds[i] == fd)
			return;
	if (w->fds[slot] >= 0)
		SC(w, close(w->fds[slot]));
	w->fds[slot] = fd;
}

/*
 * A size for I/O: mostly within the buffer, now and then one far beyond
 * it (the kernel may size an allocation by it before it finds the user
 * memory missing)
 */
static size_t io_size(struct wk *w)
{
	static const size_t s[] = {
		0, 1, 100, 511, 512, 4096, 4097, 8192, 65536, 131072 + 5,
		BUFSZ,
	};
	static const size_t huge[] = { 1 << 30, 0x7ffff000, SIZE_MAX };

	if (one_in(&w->r, 64))
		return PICK(&w->r, huge);
	return one_in(&w->r, 3) ? below(&w->r, 16384) : PICK(&w->r, s);
}

static off_t io_off(struct wk *w)
{
	static const off_t o[] = {
		0, 0, 1, 4095, 4096, 65536, 1 << 20, 1LL << 32, 1LL << 40,
		INT64_MAX - 4096, -1,
	};

	if (one_in(&w->r, 2))
		return below(&w->r, 1 << 21);
	return PICK(&w->r, o);
}

/* ------------------------------------------------------------- files */

static void w_open(struct wk *w)
{
	static const int access[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR };
	static const int extra[] = {
		O_CREAT, O_TRUNC, O_APPEND, O_DIRECT, O_EXCL, O_NONBLOCK,
		O_SYNC, O_DSYNC, O_NOFOLLOW, O_NOATIME,
	};
	int flags = PICK(&w->r, access);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(extra); i++)
		if (one_in(&w->r, 5))
			flags |= extra[i];
	if (one_in(&w->r, 10))
		flags |= O_DIRECTORY;
	if (one_in(&w->r, 30))
		flags = O_PATH | (flags & O_NOFOLLOW);
	if (one_in(&w->r, 40))
		flags = O_TMPFILE | O_RDWR;
	fd_keep(w, SC(w, open(path(w, 0), flags, below(&w->r, 01000))));
}

/* openat() relative to a directory we have open, or by a bad dirfd */
static void w_openat(struct wk *w)
{
	int dfd = one_in(&w->r, 3) ? fd_any(w) :
		  SC(w, open(fz_opt.mnt, O_RDONLY | O_DIRECTORY));
	int fd = SC(w, openat(dfd, PICK(&w->r, names),
			      one_in(&w->r, 2) ? O_RDWR | O_CREAT : O_RDONLY,
			      0644));

	fd_keep(w, fd);
	if (dfd >= 0 && dfd != fd && !one_in(&w->r, 3)) {
		int i;

		for (i = 0; i < NFDS; i++)
			if (w->fds[i] == dfd)
				return;
		SC(w, close(dfd));
	}
}

static void w_close(struct wk *w)
{
	int slot = below(&w->r, NFDS);

	if (w->fds[slot] < 0)
		return;
	SC(w, close(w->fds[slot]));
	w->fds[slot] = -1;
}

static void w_dup(struct wk *w)
{
	fd_keep(w, SC(w, dup(fd_any(w))));
}

static const int rwf_read[] = { 0, RWF_NOWAIT, RWF_HIPRI };
static const int rwf_write[] = {
	0, RWF_APPEND, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT,
};

/* read(2) or write(2) in one of their forms */
static void io(struct wk *w, int wr)
{
	int fd = fd_any(w);
	size_t len = io_size(w);
	off_t off = one_in(&w->r, 2) ? -1 : io_off(w);
	struct iovec iov[3] = {
		{ w->buf, len / 3 }, { w->buf + 4096, len / 3 },
		{ w->buf + 8192, len / 3 },
	};

	switch (below(&w->r, 4)) {
	case 0:
		SC(w, wr ? write(fd, w->buf, len) : read(fd, w->buf, len));
		break;
	case 1:
		off = io_off(w);
		SC(w, wr ? pwrite(fd, w->buf, len, off) :
		       pread(fd, w->buf, len, off));
		break;
	case 2:
		SC(w, wr ? writev(fd, iov, 3) : readv(fd, iov, 3));
		break;
	default:
		SC(w, wr ? pwritev2(fd, iov, 3, off, PICK(&w->r, rwf_write)) :
		       preadv2(fd, iov, 3, off, PICK(&w->r, rwf_read)));
	}
}

static void w_read(struct wk *w)
{
	io(w, 0);
}

static void w_write(struct wk *w)
{
	io(w, 1);
}

/* ---------------------------------------------------------- mappings */

/* Touch some pages of a mapping; SIGBUS/SIGSEGV end the touching */
static void touch(struct wk *w, struct wmap *m)
{
	volatile char *p = m->p;
	int i, n = 1 + below(&w->r, 8);

	if (sigsetjmp(touch_env, 1)) {
		touching = 0;
		return;
	}
	touching = 1;
	for (i = 0; i < n; i++) {
		size_t off = below(&w->r, m->len);

		if (one_in(&w->r, 2))
			p[off] = (char)i;
		else
			(void)p[off];
	}
	touching = 0;
}

static void w_mmap(struct wk *w)
{
	static const size_t lens[] = { 4096, 8192, 65536, 262144, BUFSZ };
	static const off_t offs[] = { 0, 0, 4096, 1 << 20, 1LL << 40 };
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
	};
	struct wmap *m = &w->maps[below(&w->r, NMAPS)];
	size_t len = PICK(&w->r, lens);
	int flags = one_in(&w->r, 3) ? MAP_PRIVATE : MAP_SHARED;
	void *p;

	if (one_in(&w->r, 8) && !fz_avoided("worker-mmap-populate"))
		flags |= MAP_POPULATE;
	p = SC(w, mmap(NULL, len, PICK(&w->r, prots), flags, fd_any(w),
		       PICK(&w->r, offs)));
	if (p == MAP_FAILED)
		return;
	if (m->p)
		SC(w, munmap(m->p, m->len));
	m->p = p;
	m->len = len;
	touch(w, m);
}

static void w_touch(struct wk *w)
{
	static const int ms[] = {
		MS_SYNC, MS_ASYNC, MS_INVALIDATE, MS_SYNC | MS_INVALIDATE,
	};
	struct wmap *m = &w->maps[below(&w->r, NMAPS)];

	if (!m->p)
		return;
	touch(w, m);
	if (one_in(&w->r, 2))
		SC(w, msync(m->p, m->len, PICK(&w->r, ms)));
	if (one_in(&w->r, 6))
		SC(w, madvise(m->p, m->len, one_in(&w->r, 2) ?
			      MADV_DONTNEED : MADV_WILLNEED));
}

static void w_munmap(struct wk *w)
{
	struct wmap *m = &w->maps[below(&w->r, NMAPS)];

	if (!m->p)
		return;
	SC(w, munmap(m->p, m->len));
	m->p = NULL;
}

/* --------------------------------------------------- sizes and seeks */

static off_t length(struct wk *w)
{
	static const off_t l[] = {
		0, 1, 4095, 4096, 65537, 1 << 20, 1LL << 32, 1LL << 40,
		INT64_MAX, -1,
	};

	return one_in(&w->r, 2) ? below(&w->r, 1 << 21) : PICK(&w->r, l);
}

static void w_truncate(struct wk *w)
{
	if (one_in(&w->r, 2))
		SC(w, truncate(path(w, 0), length(w)));
	else
		SC(w, ftruncate(fd_any(w), length(w)));
}

static void w_fallocate(struct wk *w)
{
	static const int modes[] = {
		0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE |
		FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE,
		FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, 0x7f,
	};

	SC(w, fallocate(fd_any(w), PICK(&w->r, modes), io_off(w),
			one_in(&w->r, 4) ? length(w) :
			below(&w->r, 1 << 20)));
}

static void w_lseek(struct wk *w)
{
	static const int wh[] = {
		SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, SEEK_DATA,
		SEEK_HOLE, 7,
	};

	SC(w, lseek(fd_any(w), io_off(w), PICK(&w->r, wh)));
}

static void w_fadvise(struct wk *w)
{
	int fd = fd_any(w);

	if (one_in(&w->r, 2))
		SC(w, readahead(fd, io_off(w), io_size(w)));
	else
		SC(w, posix_fadvise(fd, io_off(w), io_size(w),
				    one_in(&w->r, 2) ? POSIX_FADV_DONTNEED :
				    POSIX_FADV_WILLNEED));
}

/* --------------------------------------------------------- namespace */

static void w_rename(struct wk *w)
{
	static const unsigned int flags[] = {
		0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT,
		RENAME_NOREPLACE | RENAME_EXCHANGE,
	};

	SC(w, syscall(SYS_renameat2, AT_FDCWD, path(w, 0), AT_FDCWD,
		      path(w, 1), PICK(&w->r, flags)));
}

static void w_link(struct wk *w)
{
	SC(w, link(path(w, 0), path(w, 1)));
}

static void w_symlink(struct wk *w)
{
	static const char *const targets[] = {
		"f0", "d0", "../d1", "/etc/hostname", "nowhere", "l0", "",
	};
	char longt[4100];

	if (one_in(&w->r, 8)) {
		memset(longt, 't', sizeof(longt) - 1);
		longt[below(&w->r, sizeof(longt) - 1) + 1] = 0;
		SC(w, symlink(longt, path(w, 0)));
		return;
	}
	SC(w, symlink(PICK(&w->r, targets), path(w, 0)));
}

static void w_unlink(struct wk *w)
{
	SC(w, unlink(path(w, 0)));
}

static void w_mkdir(struct wk *w)
{
	SC(w, mkdir(path(w, 0), below(&w->r, 01000)));
}

static void w_rmdir(struct wk *w)
{
	SC(w, rmdir(path(w, 0)));
}

static void w_mknod(struct wk *w)
{
	static const mode_t types[] = { S_IFIFO, S_IFREG, S_IFCHR, S_IFSOCK };

	SC(w, mknod(path(w, 0), PICK(&w->r, types) | 0644,
		    one_in(&w->r, 2) ? 0 : makedev(1, 3)));
}

static void w_getdents(struct wk *w)
{
	static const size_t sizes[] = { 32, 64, 280, 1024, 32768 };
	int fd = SC(w, open(one_in(&w->r, 3) ? fz_opt.mnt : path(w, 0),
			    O_RDONLY | O_DIRECTORY));
	int i, n = 1 + below(&w->r, 8), own = fd >= 0;

	if (!own)
		fd = fd_any(w);		/* a file, maybe: ENOTDIR */
	for (i = 0; i < n; i++) {
		if (SC(w, syscall(SYS_getdents64, fd, w->buf,
				  PICK(&w->r, sizes))) <= 0)
			break;
		if (one_in(&w->r, 6))
			SC(w, lseek(fd, one_in(&w->r, 2) ? 0 : io_off(w),
				    SEEK_SET));
	}
	if (own && !one_in(&w->r, 4))
		SC(w, close(fd));
	else if (own)
		fd_keep(w, fd);
}

/* --------------------------------------------------------- metadata */

static void w_stat(struct wk *w)
{
	static const int at[] = {
		0, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC, AT_SYMLINK_NOFOLLOW,
	};
	struct statx stx;
	struct stat st;

	switch (below(&w->r, 4)) {
	case 0:
		SC(w, stat(path(w, 0), &st));
		break;
	case 1:
		SC(w, lstat(path(w, 0), &st));
		break;
	case 2:
		SC(w, fstat(fd_any(w), &st));
		break;
	default:
		SC(w, statx(AT_FDCWD, path(w, 0), PICK(&w->r, at),
			    (unsigned int)rnd(&w->r), &stx));
	}
}

static void w_setattr(struct wk *w)
{
	struct timespec ts[2] = {
		{ .tv_sec = (time_t)wild64(&w->r), .tv_nsec = UTIME_NOW },
		{ .tv_sec = 1700000000, .tv_nsec = UTIME_OMIT },
	};

	if (one_in(&w->r, 2))
		ts[0].tv_nsec = below(&w->r, 1000000000);
	switch (below(&w->r, 5)) {
	case 0:
		SC(w, chmod(path(w, 0), below(&w->r, 010000)));
		break;
	case 1:
		SC(w, fchmod(fd_any(w), below(&w->r, 010000)));
		break;
	case 2:
		SC(w, lchown(path(w, 0), one_in(&w->r, 2) ? 1000 : 0,
			     one_in(&w->r, 2) ? (gid_t)-1 : 1000));
		break;
	case 3:
		SC(w, fchown(fd_any(w), 0, 0));
		break;
	default:
		SC(w, utimensat(AT_FDCWD, path(w, 0), ts,
				one_in(&w->r, 2) ? AT_SYMLINK_NOFOLLOW : 0));
	}
}

static void w_xattr(struct wk *w)
{
	static const char *const xn[] = {
		"user.a", "user.b", "user.longer.name.for.fuzz", "trusted.t",
		"security.s", "system.posix_acl_access", "os2.x",
	};
	static const size_t sizes[] = { 0, 1, 16, 255, 256, 4096, 65536 };
	static const int flags[] = { 0, XATTR_CREATE, XATTR_REPLACE };
	const char *n = PICK(&w->r, xn);
	size_t size = PICK(&w->r, sizes);

	switch (below(&w->r, 4)) {
	case 0:
		SC(w, lgetxattr(path(w, 0), n, w->buf, size));
		break;
	case 1:
		SC(w, lsetxattr(path(w, 0), n, w->buf, size,
				PICK(&w->r, flags)));
		break;
	case 2:
		SC(w, flistxattr(fd_any(w), (char *)w->buf, size));
		break;
	default:
		SC(w, lremovexattr(path(w, 0), n));
	}
}

static void w_readlink(struct wk *w)
{
	static const size_t sizes[] = { 1, 64, 4095, 4096, 8192 };

	SC(w, readlink(path(w, 0), (char *)w->buf, PICK(&w->r, sizes)));
}

static void w_access(struct wk *w)
{
	SC(w, faccessat(AT_FDCWD, path(w, 0), below(&w->r, 8),
			one_in(&w->r, 2) ? AT_EACCESS : 0));
}

static void w_statfs(struct wk *w)
{
	struct statfs sf;

	if (one_in(&w->r, 2))
		SC(w, statfs(path(w, 0), &sf));
	else
		SC(w, fstatfs(fd_any(w), &sf));
}

/* ------------------------------------------------------------ locks */

static void w_lock(struct wk *w)
{
	static const int cmds[] = {
		F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK,
		F_OFD_SETLKW,
	};
	static const short types[] = { F_RDLCK, F_WRLCK, F_UNLCK };
	struct flock fl = {
		.l_type = PICK(&w->r, types),
		.l_whence = PICK(&w->r, ((const short[]){ SEEK_SET, SEEK_CUR,
				 SEEK_END })),
		.l_start = one_in(&w->r, 4) ? io_off(w) : below(&w->r, 100),
		.l_len = one_in(&w->r, 4) ? (off_t)wild64(&w->r) :
			 below(&w->r, 100),
	};

	SC(w, fcntl(fd_any(w), PICK(&w->r, cmds), &fl));
}

static void w_flock(struct wk *w)
{
	static const int ops[] = { LOCK_SH, LOCK_EX, LOCK_UN };

	SC(w, flock(fd_any(w), PICK(&w->r, ops) |
		    (one_in(&w->r, 2) ? LOCK_NB : 0)));
}

/* ----------------------------------------------- copies between fds */

static void w_splice(struct wk *w)
{
	loff_t off_in = io_off(w), off_out = io_off(w);
	size_t len = io_size(w);
	ssize_t n;

	n = SC(w, splice(fd_any(w), one_in(&w->r, 2) ? &off_in : NULL,
			 w->pipe[1], NULL, len, SPLICE_F_NONBLOCK));
	if (n > 0)
		SC(w, splice(w->pipe[0], NULL, fd_any(w),
			     one_in(&w->r, 2) ? &off_out : NULL, n,
			     SPLICE_F_NONBLOCK));
	while (SC(w, read(w->pipe[0], w->buf, BUFSZ)) > 0)
		;
}

static void w_copy(struct wk *w)
{
	loff_t off_in = io_off(w), off_out = io_off(w);

	SC(w, copy_file_range(fd_any(w), one_in(&w->r, 3) ? NULL : &off_in,
			      fd_any(w), one_in(&w->r, 3) ? NULL : &off_out,
			      one_in(&w->r, 4) ? (size_t)wild64(&w->r) :
			      io_size(w), 0));
}

static void w_sendfile(struct wk *w)
{
	off_t off = io_off(w);

	SC(w, sendfile(fd_any(w), fd_any(w), one_in(&w->r, 2) ? &off : NULL,
		       io_size(w)));
}

/* ------------------------------------------------------------ others */

static void w_poll(struct wk *w)
{
	struct pollfd p[4];
	int i;

	for (i = 0; i < 4; i++) {
		p[i].fd = fd_any(w);
		p[i].events = (short)rnd(&w->r);
	}
	SC(w, poll(p, 1 + below(&w->r, 4), below(&w->r, 10)));
}

static void w_sync(struct wk *w)
{
	int fd = fd_any(w);

	switch (below(&w->r, 4)) {
	case 0:
		SC(w, fsync(fd));
		break;
	case 1:
		SC(w, fdatasync(fd));
		break;
	case 2:
		SC(w, syncfs(fd));
		break;
	default:
		SC(w, sync_file_range(fd, io_off(w), io_size(w),
				      SYNC_FILE_RANGE_WRITE |
				      (one_in(&w->r, 2) ?
				       SYNC_FILE_RANGE_WAIT_AFTER : 0)));
	}
}

static void w_ioctl(struct wk *w)
{
	static const unsigned long cmds[] = {
		FIONREAD, FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FIGETBSZ, FIBMAP,
		FS_IOC_GETVERSION, FIONBIO,
	};
	int arg = (int)below(&w->r, 4);

	SC(w, ioctl(fd_any(w), PICK(&w->r, cmds), &arg));
}

/* A child that does a few things with the inherited descriptors (a
 * close from another process flushes with another lock owner) */
static void w_fork(struct wk *w)
{
	static void (*const child_ops[])(struct wk *w) = {
		w_close, w_lock, w_flock, w_read, w_write, w_touch,
	};
	pid_t pid = SC(w, fork());
	int i, n;

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rng_init(&w->r, rnd(&w->r), getpid());
		n = 1 + below(&w->r, 3);
		for (i = 0; i < n; i++)
			PICK(&w->r, child_ops)(w);
		_exit(0);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Change how the worker is interrupted */
static void arm_timer(struct wk *w)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itimerval it;

	sa.sa_flags = one_in(&w->r, 2) ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	it.it_interval.tv_usec = one_in(&w->r, 5) ?
		(100 + below(&w->r, 400)) * 1000 :
		(2 + below(&w->r, 48)) * 1000;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void w_signal(struct wk *w)
{
	if (one_in(&w->r, 2))
		arm_timer(w);
	else
		SC(w, raise(one_in(&w->r, 2) ? SIGUSR1 : SIGALRM));
}

/* ------------------------------------------------------------ checker */

/*
 * The checking worker keeps a model of its own file c<id> (and of c<id>b,
 * the source of its copies): writes, truncates, punched holes, stores
 * through a shared mapping and copy_file_range change both, reads and
 * fstat are compared with it. The daemon never lies about these files;
 * any error (the daemon killed, a stalled request) only stops the checks
 * until the files are made anew.
 */
#define CMAX		(256 * 1024)	/* the checked file stays below */
#define GSIZE		(64 * 1024)	/* the source of copies */

struct checker {
	int on;
	int fd, gfd;
	int direct;
	size_t size;
	unsigned char model[CMAX + 65536];
	unsigned char gmodel[GSIZE];
	char f[PATH_MAX], g[PATH_MAX];
	char log[12][64];
	unsigned int nlog;
};

static void ck_log(struct checker *ck, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Remember an operation for the report of a mismatch */
static void ck_log(struct checker *ck, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ck->log[ck->nlog++ % ARRAY_SIZE(ck->log)],
		  sizeof(ck->log[0]), fmt, ap);
	va_end(ap);
}

/* A mismatch: the first of the round goes to the controller */
static void ck_fail(struct checker *ck, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ck_fail(struct checker *ck, const char *fmt, ...)
{
	char *msg = fz_sh->data_fail;
	size_t len, size = sizeof(fz_sh->data_fail);
	unsigned int i, n, first;
	va_list ap;

	ck->on = 0;
	if (msg[0])
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	n = ARRAY_SIZE(ck->log);
	first = ck->nlog > n ? ck->nlog - n : 0;
	for (i = first; i < ck->nlog && len < size; i++)
		len += snprintf(msg + len, size - len, "%s %s",
				i == first ? "; after" : ",", ck->log[i % n]);
}

/* An error: the file's state is unknown, checks stop until a restart */
static void ck_off(struct checker *ck)
{
	ck->on = 0;
}

static void fill(struct wk *w, unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)rnd(&w->r);
}

/*
 * A checker's descriptor moved to 500 and up: the worker's own operations
 * pick descriptors from their slots (or the bad number 1000) and must
 * never reach these
 */
static int ck_fd(struct wk *w, int fd)
{
	int high;

	if (fd < 0)
		return fd;
	high = SC(w, fcntl(fd, F_DUPFD, 500));
	SC(w, close(fd));
	return high;
}

/* Both files made anew, the source filled */
static void ck_start(struct wk *w, struct checker *ck)
{
	if (ck->fd >= 0)
		close(ck->fd);
	if (ck->gfd >= 0)
		close(ck->gfd);
	ck->direct = 0;
	ck->size = 0;
	ck->nlog = 0;
	ck->gfd = ck_fd(w, SC(w, open(ck->g, O_RDWR | O_CREAT | O_TRUNC,
				      0644)));
	ck->fd = ck_fd(w, SC(w, open(ck->f, O_RDWR | O_CREAT | O_TRUNC,
				     0644)));
	if (ck->fd < 0 || ck->gfd < 0)
		return;
	fill(w, ck->gmodel, GSIZE);
	if (SC(w, pwrite(ck->gfd, ck->gmodel, GSIZE, 0)) != GSIZE ||
	    SC(w, fsync(ck->gfd)) < 0)
		return;
	ck->on = 1;
}

/* After a change: to the daemon, for the direct opens that follow */
static void ck_sync(struct wk *w, struct checker *ck)
{
	if (SC(w, fsync(ck->fd)) < 0)
		ck_off(ck);
}

/* Where (below limit) and how much (at most 32 KiB), aligned for an
 * O_DIRECT descriptor */
static void ck_range(struct wk *w, struct checker *ck, size_t limit,
		     size_t *off, size_t *len)
{
	*len = 1 + below(&w->r, 32768);
	*off = below(&w->r, limit);
	if (ck->direct) {
		*len = (*len + 4095) & ~4095UL;
		*off &= ~4095UL;
	}
}

/* The model after bytes at off..off+len (zeros in a gap before them) */
static void ck_grow(struct checker *ck, size_t off, size_t len)
{
	if (off > ck->size)
		memset(ck->model + ck->size, 0, off - ck->size);
	if (off + len > ck->size)
		ck->size = off + len;
}

static void ck_write(struct wk *w, struct checker *ck)
{
	size_t off, len;

	ck_range(w, ck, CMAX - 32768, &off, &len);
	fill(w, w->buf, len);
	ck_log(ck, "pwrite %zu+%zu", off, len);
	if (SC(w, pwrite(ck->fd, w->buf, len, off)) != (ssize_t)len)
		return ck_off(ck);
	ck_grow(ck, off, len);
	memcpy(ck->model + off, w->buf, len);
	ck_sync(w, ck);
}

/* The bytes at off compared with the model */
static void ck_compare(struct checker *ck, const unsigned char *p,
		       size_t off, size_t n, const char *how)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ck->model[off + i])
			return ck_fail(ck, "%s: byte %zu of %s is %#x, want %#x "
				       "(size %zu)", how, off + i, ck->f, p[i],
				       ck->model[off + i], ck->size);
	fz_add(fz_sh->verified, 1);
}

static void ck_read(struct wk *w, struct checker *ck)
{
	size_t off, len, want;
	ssize_t n;

	ck_range(w, ck, ck->size + 8192, &off, &len);
	want = off >= ck->size ? 0 : ck->size - off < len ? ck->size - off :
	       len;
	n = SC(w, pread(ck->fd, w->buf, len, off));
	if (n < 0)
		return ck_off(ck);
	if ((size_t)n != want)
		return ck_fail(ck, "pread %zu+%zu of %s gave %zd bytes, want "
			       "%zu", off, len, ck->f, n, want);
	ck_compare(ck, w->buf, off, n, "pread");
}

static void ck_truncate(struct wk *w, struct checker *ck)
{
	size_t size = below(&w->r, CMAX);

	ck_log(ck, "ftruncate %zu", size);
	if (SC(w, ftruncate(ck->fd, size)) < 0)
		return ck_off(ck);
	if (size > ck->size)
		memset(ck->model + ck->size, 0, size - ck->size);
	ck->size = size;
	ck_sync(w, ck);
}

static void ck_punch(struct wk *w, struct checker *ck)
{
	size_t off, len, end;

	ck_range(w, ck, CMAX - 32768, &off, &len);
	ck_log(ck, "punch %zu+%zu", off, len);
	if (SC(w, fallocate(ck->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			    off, len)) < 0) {
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			ck_off(ck);
		return;
	}
	end = off + len < ck->size ? off + len : ck->size;
	if (off < end)
		memset(ck->model + off, 0, end - off);
	ck_sync(w, ck);
}

/* fallocate mode 0: the size may grow, new bytes are zeros */
static void ck_alloc(struct wk *w, struct checker *ck)
{
	size_t off, len;

	ck_range(w, ck, CMAX - 32768, &off, &len);
	ck_log(ck, "fallocate %zu+%zu", off, len);
	if (SC(w, fallocate(ck->fd, 0, off, len)) < 0) {
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			ck_off(ck);
		return;
	}
	if (off + len > ck->size) {
		memset(ck->model + ck->size, 0, off + len - ck->size);
		ck->size = off + len;
	}
	ck_sync(w, ck);
}

/* Bytes through a pipe into the file (splice), or from the source file
 * (sendfile) at the file position */
static void ck_splice(struct wk *w, struct checker *ck)
{
	size_t off, len = 1 + below(&w->r, 16384);
	off_t in = below(&w->r, GSIZE - len);
	const unsigned char *src = ck->gmodel + in;
	loff_t pos;
	ssize_t n;

	if (ck->direct)
		return;
	off = below(&w->r, CMAX - 32768);
	pos = off;
	if (one_in(&w->r, 2)) {
		ck_log(ck, "sendfile %lld->%zu+%zu", (long long)in, off, len);
		if (SC(w, lseek(ck->fd, off, SEEK_SET)) < 0)
			return ck_off(ck);
		n = SC(w, sendfile(ck->fd, ck->gfd, &in, len));
	} else {
		fill(w, w->buf, len);
		src = w->buf;
		ck_log(ck, "splice %zu+%zu", off, len);
		while (SC(w, read(w->pipe[0], w->buf + len, 4096)) > 0)
			;
		if (SC(w, write(w->pipe[1], w->buf, len)) != (ssize_t)len)
			return;
		n = SC(w, splice(w->pipe[0], NULL, ck->fd, &pos, len, 0));
	}
	if (n != (ssize_t)len)
		return ck_off(ck);
	ck_grow(ck, off, len);
	memcpy(ck->model + off, src, len);
	ck_sync(w, ck);
}

/* Compare through a shared mapping, change a few bytes, msync */
static void ck_mmap(struct wk *w, struct checker *ck)
{
	size_t len = ck->size, i, off;
	unsigned char *p;

	if (!len)
		return;
	p = SC(w, mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ck->fd,
		       0));
	if (p == MAP_FAILED)
		return;		/* FOPEN_DIRECT_IO: no mmap, fine */
	ck_log(ck, "mmap %zu", len);
	if (sigsetjmp(touch_env, 1)) {
		touching = 0;
		ck_off(ck);
		SC(w, munmap(p, len));
		return;
	}
	touching = 1;
	ck_compare(ck, p, 0, len, "mmap read");
	for (i = 0; ck->on && i < 4; i++) {
		off = below(&w->r, len);
		p[off] = ck->model[off] = (unsigned char)rnd(&w->r);
	}
	touching = 0;
	if (SC(w, msync(p, len, MS_SYNC)) < 0)
		ck_off(ck);
	SC(w, munmap(p, len));
}

static void ck_copy(struct wk *w, struct checker *ck)
{
	loff_t in = below(&w->r, GSIZE), out;
	size_t len = below(&w->r, 32768), o;
	ssize_t n;

	if (fz_avoided("check-copy"))
		return;
	out = below(&w->r, CMAX - len);
	o = out;
	ck_log(ck, "copy %lld->%zu+%zu", (long long)in, o, len);
	n = SC(w, copy_file_range(ck->gfd, &in, ck->fd, &out, len, 0));
	if (n < 0) {
		if (errno != EXDEV && errno != EOPNOTSUPP && errno != ENOSYS &&
		    errno != EINVAL)
			ck_off(ck);
		return;
	}
	in -= n;
	if ((size_t)n > len || (size_t)in + n > GSIZE)
		return ck_fail(ck, "copy_file_range %lld->%zu+%zu copied %zd",
			       (long long)in, o, len, n);
	if (n)
		ck_grow(ck, o, n);
	memcpy(ck->model + o, ck->gmodel + in, n);
	ck_sync(w, ck);
}

static void ck_stat(struct wk *w, struct checker *ck)
{
	struct stat st;

	if (SC(w, fstat(ck->fd, &st)) < 0)
		return ck_off(ck);
	if ((size_t)st.st_size != ck->size)
		ck_fail(ck, "fstat of %s: size %lld, want %zu", ck->f,
			(long long)st.st_size, ck->size);
}

static void ck_reopen(struct wk *w, struct checker *ck)
{
	ck->direct = one_in(&w->r, 3);
	ck_log(ck, "reopen%s", ck->direct ? " O_DIRECT" : "");
	SC(w, close(ck->fd));
	ck->fd = SC(w, open(ck->f, O_RDWR | (ck->direct ? O_DIRECT : 0)));
	if (ck->fd < 0 && ck->direct) {
		ck->direct = 0;		/* the kernel's FUSE before 6.6, say */
		ck->fd = SC(w, open(ck->f, O_RDWR));
	}
	ck->fd = ck_fd(w, ck->fd);
	if (ck->fd < 0)
		ck_off(ck);
}

/* One checked operation, with the timer's signal held back: an
 * INTERRUPT could make a done write look failed */
static void ck_op(struct wk *w)
{
	static void (*const ops[])(struct wk *w, struct checker *ck) = {
		ck_write, ck_write, ck_read, ck_read, ck_read, ck_truncate,
		ck_punch, ck_alloc, ck_mmap, ck_copy, ck_splice, ck_stat,
		ck_reopen,
	};
	struct checker *ck = w->ck;
	sigset_t alrm, old;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, &old);
	fz_sh->doing[0] = "check";
	if (!ck->on)
		ck_start(w, ck);
	else
		PICK(&w->r, ops)(w, ck);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static struct checker *ck_new(int id)
{
	struct checker *ck = calloc(1, sizeof(*ck));

	if (!ck)
		return NULL;
	ck->fd = ck->gfd = -1;
	snprintf(ck->f, sizeof(ck->f), "%s/c%d", fz_opt.mnt, id);
	snprintf(ck->g, sizeof(ck->g), "%s/c%db", fz_opt.mnt, id);
	return ck;
}

#define WOP(name, weight)	{ w_##name, #name, weight }

static const struct {
	void (*fn)(struct wk *w);
	const char *name;
	unsigned int weight;
} wops[] = {
	WOP(open, 14), WOP(openat, 3), WOP(close, 6), WOP(dup, 1),
	WOP(read, 10), WOP(write, 10), WOP(mmap, 4), WOP(touch, 5),
	WOP(munmap, 2), WOP(truncate, 3), WOP(fallocate, 2), WOP(lseek, 3),
	WOP(fadvise, 1), WOP(rename, 3), WOP(link, 2), WOP(symlink, 2),
	WOP(unlink, 3), WOP(mkdir, 2), WOP(rmdir, 2), WOP(mknod, 1),
	WOP(getdents, 4), WOP(stat, 8), WOP(setattr, 3), WOP(xattr, 4),
	WOP(readlink, 2), WOP(access, 2), WOP(statfs, 1), WOP(lock, 3),
	WOP(flock, 2), WOP(splice, 2), WOP(copy, 2), WOP(sendfile, 1),
	WOP(poll, 2), WOP(sync, 2), WOP(ioctl, 1), WOP(signal, 1),
	WOP(fork, 1),
};

/* One operation, chosen by weight; the shared page says which */
static void one_op(struct wk *w, int id)
{
	static unsigned int total;
	unsigned int i, pick;

	if (!total)
		for (i = 0; i < ARRAY_SIZE(wops); i++)
			total += wops[i].weight;
	pick = below(&w->r, total);
	for (i = 0; pick >= wops[i].weight; i++)
		pick -= wops[i].weight;
	fz_sh->doing[id] = wops[i].name;
	wops[i].fn(w);
}

/* What worker id did last (the name is in the binary, the same in all
 * processes) */
const char *fz_worker_doing(int id)
{
	const char *d = id >= 0 && id < 64 ? fz_sh->doing[id] : NULL;

	return d ? d : "?";
}

static void signals(struct wk *w)
{
	struct sigaction sa = { .sa_handler = on_fault };

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	arm_timer(w);
}

/* The I/O buffer, followed by a GiB that is not accessible: a read far
 * beyond the buffer ends with EFAULT there, it writes over nothing */
static unsigned char *io_buffer(void)
{
	size_t len = BUFSZ + 16384;
	unsigned char *p = mmap(NULL, len + (1UL << 30), PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);

	if (p == MAP_FAILED || mprotect(p, len, PROT_READ | PROT_WRITE) < 0)
		return NULL;
	memset(p, 'w', len);
	return p;
}

static void drop_to_user(void)
{
	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) ||
	    setresuid(1000, 1000, 1000))
		_exit(4);
}

void fz_worker(int id, uint64_t seed, long deadline_ms, int as_user)
{
	struct wk w;
	char comm[16];
	int i;

	memset(&w, 0, sizeof(w));
	rng_init(&w.r, seed, 0x574f524b00ULL + id);
	for (i = 0; i < NFDS; i++)
		w.fds[i] = -1;
	snprintf(comm, sizeof(comm), "fuzz-w%d", id);
	prctl(PR_SET_NAME, comm);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	w.buf = io_buffer();
	if (!w.buf || pipe2(w.pipe, O_NONBLOCK) < 0)
		_exit(4);
	signals(&w);
	if (as_user)
		drop_to_user();
	/* a working directory on the mount keeps it busy */
	if (one_in(&w.r, 4) && chdir(fz_opt.mnt) == 0)
		w.calls++;
	if (id == 0)
		w.ck = ck_new(id);
	while (!__atomic_load_n(&fz_sh->stop, __ATOMIC_RELAXED) &&
	       fz_now_ms() < deadline_ms) {
		if (w.ck && one_in(&w.r, 2))
			ck_op(&w);
		else
			one_op(&w, id);
		fz_add(fz_sh->syscalls, w.calls);
		w.calls = 0;
	}
	_exit(0);
}
