// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-rawd - a FUSE daemon that speaks the wire protocol by hand
 *
 * usage: fusept-rawd [-d DEV] [-t FSTYPE] [-o OPTS] [-r READYFILE]
 *                    MODE MOUNTPOINT [CASE]
 *
 * It opens DEV (default /dev/fusept), mounts MOUNTPOINT itself and then
 * behaves according to MODE:
 *   hang     answer INIT, then read every request and never answer
 *   stall    answer INIT, then never read again (requests stay pending);
 *            exits once the connection is gone
 *   devtest  check the device's read/write/poll rules, print PASS/FAIL lines
 *   lie      for each case (or only CASE) mount, let a child do one
 *            syscall, give a malformed reply, check what the child and
 *            the write(2) saw; print PASS/FAIL lines
 * READYFILE is created once INIT has been answered.
 * Exit status: 0 when every check passed, 1 otherwise, 2 on setup errors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if __has_include(<linux/fusept.h>)
#include <linux/fusept.h>
#else
#include <linux/fuse.h>
#endif
#define RESULT_PREFIX "raw-"
#include "result.h"

#define BUFSZ		(1024 * 1024 + 65536)
#define HDR		sizeof(struct fuse_out_header)
#define CASE_TIMEOUT_MS	15000
#define CHILD_LISTED_WRONG	250	/* child exit: readdir listed garbage */

struct conn {
	int fd;
	const char *dev;
	const char *fstype;
	const char *opts;
	const char *mnt;
	const char *ready;
	unsigned char *buf;	/* last request read */
	ssize_t len;
	unsigned int destroys;	/* DESTROYs read */
};


static const char *ename(int err)
{
	const char *n = err ? strerrorname_np(err) : "OK";

	return n ? n : "E?";
}

static char watchdog_msg[256];
static size_t watchdog_len;

static void watchdog_fire(int sig)
{
	(void)sig;
	if (write(STDOUT_FILENO, watchdog_msg, watchdog_len) < 0)
		_exit(3);
	_exit(1);
}

/* A check that makes no progress in secs seconds is reported and ends us. */
static void arm(const char *name, unsigned int secs)
{
	int n = snprintf(watchdog_msg, sizeof(watchdog_msg),
			 "FAIL raw-%s: no progress for %us (rawd watchdog)\n",
			 name, secs);

	watchdog_len = n < 0 ? 0 : (size_t)n;
	signal(SIGALRM, watchdog_fire);
	alarm(secs);
}

static void die(const char *what)
{
	fprintf(stderr, "fusept-rawd: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---------------------------------------------------------------- I/O */

static struct fuse_in_header *req_hdr(struct conn *c)
{
	return (struct fuse_in_header *)c->buf;
}

static void *req_arg(struct conn *c)
{
	return c->buf + sizeof(struct fuse_in_header);
}

/* Read one request; returns 0 or -errno. */
static int read_req(struct conn *c)
{
	c->len = read(c->fd, c->buf, BUFSZ);
	if (c->len < 0)
		return -errno;
	if ((size_t)c->len < sizeof(struct fuse_in_header)) {
		fprintf(stderr, "fusept-rawd: short request (%zd bytes)\n",
			c->len);
		return -EPROTO;
	}
	c->destroys += req_hdr(c)->opcode == FUSE_DESTROY;
	return 0;
}

/* Write raw bytes to the device; returns bytes written or -errno. */
static ssize_t dev_write(struct conn *c, const void *p, size_t n)
{
	ssize_t r = write(c->fd, p, n);

	return r < 0 ? -errno : r;
}

/* Send a reply with header fields as given (len may lie). */
static ssize_t send_raw(struct conn *c, uint64_t unique, int32_t error,
			uint32_t hdr_len, const void *arg, size_t argsz)
{
	unsigned char *out = malloc(HDR + argsz);
	struct fuse_out_header oh = {
		.len = hdr_len, .error = error, .unique = unique,
	};
	ssize_t r;

	if (!out)
		die("malloc");
	memcpy(out, &oh, HDR);
	if (argsz)
		memcpy(out + HDR, arg, argsz);
	r = dev_write(c, out, HDR + argsz);
	free(out);
	return r;
}

static ssize_t reply(struct conn *c, int32_t error, const void *arg,
		     size_t argsz)
{
	return send_raw(c, req_hdr(c)->unique, error, HDR + argsz, arg,
			argsz);
}

/* ------------------------------------------------------- mount, INIT */

static void raw_mount(struct conn *c)
{
	char data[256];

	c->fd = open(c->dev, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		die(c->dev);
	snprintf(data, sizeof(data),
		 "fd=%d,rootmode=40000,user_id=%u,group_id=%u%s%s", c->fd,
		 (unsigned int)getuid(), (unsigned int)getgid(),
		 c->opts ? "," : "", c->opts ? c->opts : "");
	if (mount(c->fstype, c->mnt, c->fstype, 0, data) < 0)
		die("mount");
}

static int answer_init(struct conn *c)
{
	struct fuse_init_in *in = req_arg(c);
	struct fuse_init_out out;

	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ?
		    in->minor : FUSE_KERNEL_MINOR_VERSION;
	out.max_readahead = in->max_readahead;
	out.max_write = 4096;
	out.max_background = 16;
	out.congestion_threshold = 12;
	return reply(c, 0, &out, sizeof(out)) < 0 ? -1 : 0;
}

static void signal_ready(struct conn *c)
{
	int fd;

	if (!c->ready)
		return;
	fd = open(c->ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(c->ready);
	close(fd);
}

/* Read the INIT request and answer it. */
static void do_init(struct conn *c)
{
	if (read_req(c) < 0)
		die("read INIT");
	if (req_hdr(c)->opcode != FUSE_INIT) {
		fprintf(stderr, "fusept-rawd: first request is %u, not INIT\n",
			req_hdr(c)->opcode);
		exit(2);
	}
	if (answer_init(c) < 0)
		die("reply INIT");
	signal_ready(c);
}

/* ------------------------------------------------------- hang, stall */

static int run_hang(struct conn *c)
{
	int err;

	raw_mount(c);
	do_init(c);
	while ((err = read_req(c)) == 0 || err == -EINTR)
		;
	return err == -ENODEV || err == -ECONNABORTED ? 0 : 1;
}

static int run_stall(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = 0 };

	raw_mount(c);
	do_init(c);
	p.fd = c->fd;
	for (;;) {
		/* events = 0: only POLLERR (connection gone) wakes us */
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("poll");
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			return 0;
	}
}

/* --------------------------------------------------- default answers */

static void fill_attr(struct fuse_attr *a, uint64_t ino, uint32_t mode,
		      uint64_t size)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = mode;
	a->size = size;
	a->nlink = S_ISDIR(mode) ? 2 : 1;
	a->uid = getuid();
	a->gid = getgid();
	a->blksize = 4096;
	a->mtime = a->ctime = a->atime = 1700000000;
}

/* The file system the default answers describe. */
static const struct node {
	const char *name;
	uint64_t nodeid;
	uint32_t mode;
	uint64_t size;
} nodes[] = {
	{ "",		FUSE_ROOT_ID,	S_IFDIR | 0755, 0 },
	{ "file",	2,		S_IFREG | 0644, 100 },
	{ "lnk",	3,		S_IFLNK | 0777, 4 },
};

static const struct node *node_by_name(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		if (strcmp(nodes[i].name, name) == 0)
			return &nodes[i];
	return NULL;
}

static const struct node *node_by_id(uint64_t id)
{
	size_t i;

	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		if (nodes[i].nodeid == id)
			return &nodes[i];
	return &nodes[1];
}

static void fill_entry(struct fuse_entry_out *e, const struct node *n)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = n->nodeid;
	fill_attr(&e->attr, n->nodeid, n->mode, n->size);
}

static void def_lookup(struct conn *c)
{
	const struct node *n = node_by_name(req_arg(c));
	struct fuse_entry_out e;

	if (!n) {
		reply(c, -ENOENT, NULL, 0);
		return;
	}
	fill_entry(&e, n);
	reply(c, 0, &e, sizeof(e));
}

static void def_getattr(struct conn *c)
{
	const struct node *n = node_by_id(req_hdr(c)->nodeid);
	struct fuse_attr_out a;

	memset(&a, 0, sizeof(a));
	fill_attr(&a.attr, n->nodeid, n->mode, n->size);
	reply(c, 0, &a, sizeof(a));
}

static void def_open(struct conn *c)
{
	struct fuse_open_out o;

	memset(&o, 0, sizeof(o));
	o.fh = 1;
	reply(c, 0, &o, sizeof(o));
}

static void def_ok(struct conn *c)
{
	reply(c, 0, NULL, 0);
}

static void def_none(struct conn *c)
{
	(void)c;
}

static const struct {
	uint32_t opcode;
	void (*fn)(struct conn *c);
} defaults[] = {
	{ FUSE_LOOKUP,		def_lookup },
	{ FUSE_GETATTR,		def_getattr },
	{ FUSE_OPEN,		def_open },
	{ FUSE_OPENDIR,		def_open },
	{ FUSE_RELEASE,		def_ok },
	{ FUSE_RELEASEDIR,	def_ok },
	{ FUSE_FLUSH,		def_ok },
	{ FUSE_DESTROY,		def_ok },
	{ FUSE_READDIR,		def_ok },	/* empty: end of directory */
	{ FUSE_FORGET,		def_none },
	{ FUSE_BATCH_FORGET,	def_none },
	{ FUSE_INTERRUPT,	def_none },
};

static void answer_default(struct conn *c)
{
	size_t i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if (defaults[i].opcode == req_hdr(c)->opcode) {
			defaults[i].fn(c);
			return;
		}
	}
	reply(c, -ENOSYS, NULL, 0);
}

/*
 * Unmount from a child process while this one goes on answering, as an
 * implementation may send requests while unmounting (fusept sent a
 * DESTROY, which the check dev-no-destroy-at-umount now rules out).
 * Returns the errno of umount2(2), 0 on success.
 */
static int umount_serving(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	pid_t pid = fork();
	int st = 0;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (umount2(c->mnt, 0) == 0)
			_exit(0);
		st = errno;
		umount2(c->mnt, MNT_DETACH);
		_exit(st);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((p.revents & POLLIN) && read_req(c) == 0)
			answer_default(c);
		else if (p.revents & (POLLERR | POLLHUP))
			usleep(10000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

static void raw_umount(struct conn *c)
{
	int err = umount_serving(c);

	if (err)
		fprintf(stderr, "fusept-rawd: umount %s: %s\n", c->mnt,
			strerror(err));
	close(c->fd);
	c->fd = -1;
}

/* ------------------------------------------------- child operations */

static int child_stat(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 ? errno : 0;
}

static int child_readlink(const char *path)
{
	char buf[8192];

	return readlink(path, buf, sizeof(buf)) < 0 ? errno : 0;
}

static int child_read(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY), err = 0;

	if (fd < 0)
		return errno;
	if (read(fd, buf, sizeof(buf)) < 0)
		err = errno;
	close(fd);
	return err;
}

/* 0 if the directory lists exactly "ok1" (or nothing when allowed). */
static int child_readdir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0, bad = 0;

	if (!d)
		return errno;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (strcmp(de->d_name, "ok1") != 0)
			bad = 1;
	}
	if (errno)
		return errno;
	closedir(d);
	return bad || n > 1 ? CHILD_LISTED_WRONG : 0;
}

/* ---------------------------------------------------- lying replies */

enum lie_kind {
	LIE_ENTRY,	/* fuse_entry_out from nodeid, mode, size */
	LIE_ATTR,	/* fuse_attr_out of the root with mode */
	LIE_DIRENT,	/* a READDIR record claiming namelen for name */
	LIE_OVERSIZE,	/* 4096 bytes more than the request asked for */
	LIE_ERRPAYLOAD,	/* -ENOENT followed by 8 bytes */
};

struct lie {
	enum lie_kind kind;
	uint64_t nodeid;
	uint32_t mode;
	uint64_t size;
	size_t len;		/* ENTRY, ATTR: bytes sent, 0 for all */
	const char *name;	/* DIRENT: the name bytes carried */
	uint32_t namelen;	/* DIRENT: the length claimed */
	int good_first;		/* DIRENT: a valid "ok1" record first */
};

/* Append a dirent claiming namelen, carrying only strlen(name) bytes. */
static size_t put_dirent(unsigned char *p, uint64_t off, const char *name,
			 uint32_t namelen)
{
	struct fuse_dirent *d = (struct fuse_dirent *)p;
	size_t have = strlen(name);
	size_t rec = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + have);

	memset(p, 0, rec);
	d->ino = 100 + off;
	d->off = off;
	d->namelen = namelen;
	d->type = DT_REG;
	memcpy(d->name, name, have);
	return rec;
}

/* How many bytes the request in c->buf asked for. */
static size_t asked_size(struct conn *c)
{
	if (req_hdr(c)->opcode == FUSE_READLINK)
		return 4096;
	return ((struct fuse_read_in *)req_arg(c))->size;
}

static ssize_t send_lie(struct conn *c, const struct lie *l)
{
	static unsigned char b[BUFSZ];
	struct fuse_entry_out *e = (struct fuse_entry_out *)b;
	struct fuse_attr_out *a = (struct fuse_attr_out *)b;
	size_t n = 0;

	memset(b, 0, 8192);
	switch (l->kind) {
	case LIE_ENTRY:
		e->nodeid = l->nodeid;
		fill_attr(&e->attr, l->nodeid ? l->nodeid : 9, l->mode, l->size);
		n = l->len ? l->len : sizeof(*e);
		break;
	case LIE_ATTR:
		fill_attr(&a->attr, FUSE_ROOT_ID, l->mode, 0);
		n = l->len ? l->len : sizeof(*a);
		break;
	case LIE_DIRENT:
		if (l->good_first)
			n = put_dirent(b, 1, "ok1", 3);
		n += put_dirent(b + n, 2, l->name, l->namelen);
		break;
	case LIE_OVERSIZE:
		n = asked_size(c) + 4096;
		memset(b, 'x', n);
		break;
	case LIE_ERRPAYLOAD:
		return reply(c, -ENOENT, b, 8);
	}
	return reply(c, 0, b, n);
}

static const struct lie_case {
	const char *name;
	int (*child)(const char *path);
	const char *path;		/* below the mount point */
	uint32_t opcode;		/* request that gets the lie */
	struct lie lie;
	int write_err;			/* expected errno of write(2), 0 ok */
	int child_err;			/* expected errno of the syscall */
	int child_err_alt;		/* also accepted; -1: a clean listing */
} lie_cases[] = {
	{ "lookup-type0", child_stat, "x", FUSE_LOOKUP,
	  { .kind = LIE_ENTRY, .nodeid = 7, .mode = 0644 }, 0, EIO, 0 },
	/* nodeid 0 is a negative entry in the protocol */
	{ "lookup-nodeid0-negative", child_stat, "x", FUSE_LOOKUP,
	  { .kind = LIE_ENTRY, .nodeid = 0, .mode = S_IFREG | 0644 },
	  0, ENOENT, 0 },
	{ "lookup-root-nodeid", child_stat, "x", FUSE_LOOKUP,
	  { .kind = LIE_ENTRY, .nodeid = FUSE_ROOT_ID, .mode = S_IFDIR | 0755 },
	  0, EIO, 0 },
	{ "lookup-huge-size", child_stat, "x", FUSE_LOOKUP,
	  { .kind = LIE_ENTRY, .nodeid = 7, .mode = S_IFREG | 0644,
	    .size = 1ULL << 63 }, 0, EIO, 0 },
	{ "lookup-short-reply", child_stat, "x", FUSE_LOOKUP,
	  { .kind = LIE_ENTRY, .nodeid = 7, .mode = S_IFREG | 0644, .len = 40 },
	  EINVAL, EIO, 0 },
	{ "lookup-long-reply", child_stat, "x", FUSE_LOOKUP,
	  { .kind = LIE_ENTRY, .nodeid = 7, .mode = S_IFREG | 0644,
	    .len = sizeof(struct fuse_entry_out) + 64 }, EINVAL, EIO, 0 },
	{ "lookup-error-with-payload", child_stat, "x", FUSE_LOOKUP,
	  { .kind = LIE_ERRPAYLOAD }, EINVAL, EIO, 0 },
	{ "getattr-short-reply", child_stat, "", FUSE_GETATTR,
	  { .kind = LIE_ATTR, .mode = S_IFDIR | 0755, .len = 50 },
	  EINVAL, EIO, 0 },
	{ "getattr-type0", child_stat, "", FUSE_GETATTR,
	  { .kind = LIE_ATTR, .mode = 0755 }, 0, EIO, 0 },
	{ "getattr-type-changed", child_stat, "", FUSE_GETATTR,
	  { .kind = LIE_ATTR, .mode = S_IFREG | 0644 }, 0, EIO, 0 },
	{ "readdir-name-slash", child_readdir, "", FUSE_READDIR,
	  { .kind = LIE_DIRENT, .name = "a/b", .namelen = 3 }, 0, EIO, 0 },
	{ "readdir-namelen0", child_readdir, "", FUSE_READDIR,
	  { .kind = LIE_DIRENT, .name = "", .namelen = 0 }, 0, EIO, 0 },
	/* beyond any FUSE_NAME_MAX (1024, or PATH_MAX - 1 since 6.14) */
	{ "readdir-namelen-over-max", child_readdir, "", FUSE_READDIR,
	  { .kind = LIE_DIRENT, .name = "nnnnnnnn", .namelen = 5000 },
	  0, EIO, 0 },
	/* Linux FUSE drops a record running past the end; EIO is fine too */
	{ "readdir-namelen-past-end", child_readdir, "", FUSE_READDIR,
	  { .kind = LIE_DIRENT, .name = "trunc123", .namelen = 200,
	    .good_first = 1 }, 0, EIO, -1 },
	{ "readdir-reply-too-long", child_readdir, "", FUSE_READDIR,
	  { .kind = LIE_OVERSIZE }, EINVAL, EIO, 0 },
	{ "readlink-reply-too-long", child_readlink, "lnk", FUSE_READLINK,
	  { .kind = LIE_OVERSIZE }, EINVAL, EIO, 0 },
	{ "read-reply-too-long", child_read, "file", FUSE_READ,
	  { .kind = LIE_OVERSIZE }, EINVAL, EIO, 0 },
};

static pid_t spawn_child(struct conn *c, const struct lie_case *lc)
{
	char path[4096];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", c->mnt, lc->path);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(c->fd);
		_exit(lc->child(path));
	}
	return pid;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Serve requests until the child exits; the first request with the
 * case's opcode gets the lie. Returns the child's exit code, -1 if it
 * was killed by a signal, -2 if it was still blocked at the deadline.
 */
static int serve_case(struct conn *c, const struct lie_case *lc, pid_t pid,
		      ssize_t *wres)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	long deadline = now_ms() + CASE_TIMEOUT_MS;
	int lied = 0, st;

	while (now_ms() < deadline) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (poll(&p, 1, 100) <= 0 || !(p.revents & POLLIN))
			continue;
		if (read_req(c) < 0)
			continue;
		if (req_hdr(c)->opcode == lc->opcode && !lied) {
			*wres = send_lie(c, &lc->lie);
			lied = 1;
		} else if (req_hdr(c)->opcode == lc->opcode &&
			   lc->opcode == FUSE_READ) {
			send_lie(c, &lc->lie);	/* a failed read is retried */
		} else {
			answer_default(c);
		}
	}
	return -2;
}

static int child_ok(const struct lie_case *lc, int code)
{
	if (code == lc->child_err)
		return 1;
	if (lc->child_err_alt == -1)
		return code == 0;	/* "ok1" listed, garbage not listed */
	return lc->child_err_alt && code == lc->child_err_alt;
}

static const char *code_name(int code)
{
	if (code == -2)
		return "timeout (child still blocked)";
	if (code == -1)
		return "child killed";
	if (code == CHILD_LISTED_WRONG)
		return "bogus entry listed";
	return ename(code);
}

static void run_one_case(struct conn *c, const struct lie_case *lc)
{
	ssize_t wres = -ENODATA;	/* the lie was never sent */
	int werr, code;
	pid_t pid;

	arm(lc->name, CASE_TIMEOUT_MS / 1000 + 10);
	raw_mount(c);
	do_init(c);
	pid = spawn_child(c, lc);
	code = serve_case(c, lc, pid, &wres);
	if (code == -2) {
		close(c->fd);	/* aborts the connection, frees the child */
		c->fd = -1;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		umount2(c->mnt, MNT_DETACH);
	} else {
		raw_umount(c);
	}
	werr = wres < 0 ? (int)-wres : 0;
	if (werr == ENODATA)
		result(0, lc->name, "the expected request never came (%s)",
		       code_name(code));
	else if (werr != lc->write_err)
		result(0, lc->name, "write(2) of the reply gave %s, want %s",
		       ename(werr), ename(lc->write_err));
	else
		result(child_ok(lc, code), lc->name, "syscall gave %s, want %s",
		       code_name(code), ename(lc->child_err));
}

static int run_lie(struct conn *c, const char *only)
{
	size_t i;
	int ran = 0;

	for (i = 0; i < sizeof(lie_cases) / sizeof(lie_cases[0]); i++) {
		if (only && strcmp(only, lie_cases[i].name) != 0)
			continue;
		run_one_case(c, &lie_cases[i]);
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "fusept-rawd: no case named %s\n", only);
		return 2;
	}
	return failures ? 1 : 0;
}

/* ----------------------------------------------------------- devtest */

static void expect_errno(const char *name, ssize_t r, int want)
{
	int got = r < 0 ? (int)-r : 0;

	result(got == want, name, "got %s, want %s", ename(got), ename(want));
}

static int poll_in(struct conn *c, int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) < 0)
		return -errno;
	return p.revents;
}

static void devtest_before_init(struct conn *c)
{
	int rev = poll_in(c, 2000);
	ssize_t r;

	result(rev > 0 && (rev & POLLIN), "dev-poll-init-pending",
	       "poll revents 0x%x, want POLLIN", rev);
	r = read(c->fd, c->buf, 64);
	expect_errno("dev-read-small-buffer", r < 0 ? -errno : r, EINVAL);
	if (read_req(c) < 0)
		die("read INIT");
	result(req_hdr(c)->opcode == FUSE_INIT && req_hdr(c)->unique != 0 &&
	       req_hdr(c)->len == c->len &&
	       ((struct fuse_init_in *)req_arg(c))->major == 7,
	       "dev-init-request", "opcode %u unique %llu len %u/%zd",
	       req_hdr(c)->opcode, (unsigned long long)req_hdr(c)->unique,
	       req_hdr(c)->len, c->len);
	if (answer_init(c) < 0)
		die("reply INIT");
}

static void devtest_idle(struct conn *c)
{
	struct fuse_out_header oh = { .len = HDR, .unique = 0x7ffffff0 };
	int fl = fcntl(c->fd, F_GETFL);
	ssize_t r;

	fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
	r = read(c->fd, c->buf, BUFSZ);
	expect_errno("dev-read-nonblock-empty", r < 0 ? -errno : r, EAGAIN);
	fcntl(c->fd, F_SETFL, fl);
	r = poll_in(c, 0);
	result(r == 0, "dev-poll-idle", "poll revents 0x%zx, want 0", r);
	expect_errno("dev-write-short", dev_write(c, &oh, 8), EINVAL);
	expect_errno("dev-write-unknown-unique", dev_write(c, &oh, HDR),
		     ENOENT);
	oh.unique = 0;
	oh.error = 1000;
	expect_errno("dev-notify-unknown-code", dev_write(c, &oh, HDR),
		     EINVAL);
}

/* Garbage replies to a pending LOOKUP must not consume it. */
static void devtest_garbage(struct conn *c, uint64_t u)
{
	uint64_t pad[2] = { 0, 0 };

	expect_errno("dev-write-len-too-big",
		     send_raw(c, u, -ENOENT, HDR + 8, NULL, 0), EINVAL);
	expect_errno("dev-write-len-too-small",
		     send_raw(c, u, -ENOENT, HDR, pad, 8), EINVAL);
	expect_errno("dev-write-positive-error",
		     send_raw(c, u, 5, HDR, NULL, 0), EINVAL);
	expect_errno("dev-write-error-512",
		     send_raw(c, u, -512, HDR, NULL, 0), EINVAL);
	expect_errno("dev-write-error-huge",
		     send_raw(c, u, -100000, HDR, NULL, 0), EINVAL);
	expect_errno("dev-write-garbage-keeps-request",
		     send_raw(c, u, -ENOENT, HDR, NULL, 0), 0);
	expect_errno("dev-write-replied-twice",
		     send_raw(c, u, -ENOENT, HDR, NULL, 0), ENOENT);
}

/* Serve requests until a LOOKUP arrives; 0 or -1 on timeout. */
static int wait_lookup(struct conn *c)
{
	long deadline = now_ms() + CASE_TIMEOUT_MS;

	while (now_ms() < deadline) {
		if (poll_in(c, 100) <= 0)
			continue;
		if (read_req(c) < 0)
			return -1;
		if (req_hdr(c)->opcode == FUSE_LOOKUP)
			return 0;
		answer_default(c);
	}
	return -1;
}

static void devtest_pending(struct conn *c)
{
	static const struct lie_case stat_x = {
		.name = "stat", .child = child_stat, .path = "x",
	};
	pid_t pid = spawn_child(c, &stat_x);
	int rev = poll_in(c, CASE_TIMEOUT_MS), st = -1;

	result(rev > 0 && (rev & POLLIN), "dev-poll-request-pending",
	       "poll revents 0x%x, want POLLIN", rev);
	if (wait_lookup(c) < 0) {
		result(0, "dev-lookup-arrives", "no LOOKUP request");
		kill(pid, SIGKILL);
		return;
	}
	devtest_garbage(c, req_hdr(c)->unique);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (poll_in(c, 100) > 0 && read_req(c) == 0)
			answer_default(c);
	}
	result(WIFEXITED(st) && WEXITSTATUS(st) == ENOENT,
	       "dev-reply-reaches-caller", "stat gave %s, want ENOENT",
	       WIFEXITED(st) ? ename(WEXITSTATUS(st)) : "signal");
}

static void devtest_after_umount(struct conn *c)
{
	ssize_t r;
	int rev;

	rev = umount_serving(c);
	if (rev)
		result(0, "dev-umount", "umount: %s", strerror(rev));
	/* drain FORGETs queued before the unmount finished */
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	do {
		r = read_req(c);
	} while (!r);
	expect_errno("dev-read-after-umount", r, ENODEV);
	/* as the kernel's FUSE for /dev/fuse: libfuse calls destroy itself */
	result(!c->destroys, "dev-no-destroy-at-umount", "%u DESTROY read",
	       c->destroys);
	rev = poll_in(c, 0);
	result(rev > 0 && (rev & POLLERR), "dev-poll-after-umount",
	       "poll revents 0x%x, want POLLERR", rev);
	close(c->fd);
}

static int run_devtest(struct conn *c)
{
	arm("dev-mount-init", 20);
	raw_mount(c);
	devtest_before_init(c);
	signal_ready(c);
	arm("dev-idle", 20);
	devtest_idle(c);
	/* the request's poll, then wait_lookup(), each CASE_TIMEOUT_MS */
	arm("dev-pending", 2 * CASE_TIMEOUT_MS / 1000 + 10);
	devtest_pending(c);
	arm("dev-after-umount", 20);
	devtest_after_umount(c);
	alarm(0);
	return failures ? 1 : 0;
}

/* -------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: fusept-rawd [-d DEV] [-t FSTYPE] [-o OPTS] [-r READYFILE]\n"
		"                   hang|stall|devtest|lie MOUNTPOINT [CASE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct conn c = { .fd = -1, .dev = "/dev/fusept", .fstype = "fusept" };
	const char *mode;
	int opt;

	while ((opt = getopt(argc, argv, "d:t:o:r:")) != -1) {
		switch (opt) {
		case 'd': c.dev = optarg; break;
		case 't': c.fstype = optarg; break;
		case 'o': c.opts = optarg; break;
		case 'r': c.ready = optarg; break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	mode = argv[optind];
	c.mnt = argv[optind + 1];
	c.buf = malloc(BUFSZ);
	if (!c.buf)
		die("malloc");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "hang"))
		return run_hang(&c);
	if (!strcmp(mode, "stall"))
		return run_stall(&c);
	if (!strcmp(mode, "devtest"))
		return run_devtest(&c);
	if (!strcmp(mode, "lie"))
		return run_lie(&c, argc - optind > 2 ? argv[optind + 2] : NULL);
	usage();
	return 2;
}
