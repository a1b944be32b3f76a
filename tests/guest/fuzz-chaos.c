// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-fuzzd: what the daemon does unasked, from a thread of its own at
 * random moments: notifications (INVAL_INODE, INVAL_ENTRY, DELETE, STORE,
 * RETRIEVE, POLL, RESEND and unknown codes) with fields right and wrong,
 * the passthrough ioctls with good, odd and stale descriptors and IDs,
 * and replies to requests that were never sent.
 *
 * Notification kinds are named like lies ("notify-store-wild", ...) and
 * the avoid list applies to them too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define HDR		sizeof(struct fuse_out_header)
#define STORE_MAX	(256 * 1024)

/* ------------------------------------------------------ notifications */

/* A nodeid the kernel may or may not know */
static uint64_t some_nodeid(struct rng *r)
{
	switch (below(r, 8)) {
	case 0:
		return FUSE_ROOT_ID;
	case 1:
		return 0;
	case 2:
		return wild64(r);
	}
	return fz_node_any(r)->id;
}

/* A name: a real one of dir (if any), or a bad one; *bad set if bad */
static size_t some_name(struct rng *r, char *buf, uint64_t *parent, int *bad)
{
	struct fz_dent *d = fz_dent_any(r);
	size_t len;

	if (d && !one_in(r, 3)) {
		*parent = d->parent;
		strcpy(buf, d->name);
		return strlen(buf);
	}
	switch (below(r, 5)) {
	case 0:
		strcpy(buf, "a/b");
		break;
	case 1:
		len = 1025 + below(r, 200);
		memset(buf, 'n', len);
		buf[len] = 0;
		break;
	case 2:
		strcpy(buf, ".");
		break;
	default:
		snprintf(buf, 32, "q%u", below(r, 50));
		return strlen(buf);
	}
	*bad = 1;
	return strlen(buf);
}

static size_t n_inval_inode(struct rng *r, unsigned char *p, int *bad)
{
	struct fuse_notify_inval_inode_out *o = (void *)p;

	o->ino = some_nodeid(r);
	o->off = one_in(r, 2) ? 0 : one_in(r, 2) ? -1 : (int64_t)wild64(r);
	o->len = one_in(r, 2) ? 0 : (int64_t)wild64(r);
	*bad = o->off < -1 || o->len < 0 || o->off > (1LL << 40);
	return sizeof(*o);
}

/* INVAL_ENTRY or DELETE: a fixed part, the name and its NUL */
static size_t n_entry(struct rng *r, unsigned char *p, int code, int *bad)
{
	size_t head = code == FUSE_NOTIFY_DELETE ?
		sizeof(struct fuse_notify_delete_out) :
		sizeof(struct fuse_notify_inval_entry_out);
	char *nm = (char *)p + head;
	uint64_t parent = some_nodeid(r);
	uint32_t namelen;
	size_t len = some_name(r, nm, &parent, bad);
	struct fz_dent *d;

	namelen = len;
	if (one_in(r, 6)) {
		namelen = PICK(r, ((const uint32_t[]){ 0, len + 1, len - 1,
				   UINT32_MAX, 1024, 1025 }));
		*bad = 1;
	}
	if (code == FUSE_NOTIFY_DELETE) {
		struct fuse_notify_delete_out *o = (void *)p;

		d = fz_dent_any(r);
		o->parent = parent;
		o->child = d && one_in(r, 2) ? d->node->id : some_nodeid(r);
		o->namelen = namelen;
	} else {
		struct fuse_notify_inval_entry_out *o = (void *)p;

		o->parent = parent;
		o->namelen = namelen;
		o->flags = one_in(r, 3) ? FUSE_EXPIRE_ONLY :
			   one_in(r, 5) ? wild32(r) : 0;
	}
	if (one_in(r, 8)) {
		nm[len] = 'X';		/* no terminating NUL */
		*bad = 1;
	}
	return head + len + 1;
}

static size_t n_store(struct rng *r, unsigned char *p, int *bad)
{
	static const uint32_t sizes[] = { 0, 1, 100, 4096, 65543, STORE_MAX };
	struct fuse_notify_store_out *o = (void *)p;
	struct fz_node *n = fz_node_any(r);
	uint32_t size = PICK(r, sizes);

	o->nodeid = one_in(r, 4) ? some_nodeid(r) : n->id;
	o->offset = below(r, 4 << 20);
	if (one_in(r, 3)) {
		o->offset = wild64(r);
		*bad = 2;
	}
	o->size = size;
	if (one_in(r, 8)) {
		o->size = wild32(r);
		*bad = 1;
	}
	memset(o + 1, 's', size);
	return sizeof(*o) + size;
}

static size_t n_retrieve(struct rng *r, unsigned char *p, int *bad)
{
	struct fuse_notify_retrieve_out *o = (void *)p;

	o->notify_unique = one_in(r, 4) ? wild64(r) : rnd(r) >> 1;
	o->nodeid = one_in(r, 4) ? some_nodeid(r) : fz_node_any(r)->id;
	o->offset = one_in(r, 3) ? wild64(r) : below(r, 1 << 20);
	o->size = one_in(r, 3) ? wild32(r) : below(r, 1 << 18);
	*bad = o->offset > (1ULL << 40) || o->size > (1U << 24);
	return sizeof(*o);
}

static size_t n_poll(struct rng *r, unsigned char *p, int *bad)
{
	struct fuse_notify_poll_wakeup_out *o = (void *)p;

	if (fzd.nkh && !one_in(r, 4)) {
		o->kh = fzd.kh[below(r, fzd.nkh < ARRAY_SIZE(fzd.kh) ?
				       fzd.nkh : ARRAY_SIZE(fzd.kh))];
	} else {
		o->kh = wild64(r);
		*bad = 1;
	}
	return sizeof(*o);
}

static const char *const notify_names[] = {
	[FUSE_NOTIFY_POLL] = "poll",
	[FUSE_NOTIFY_INVAL_INODE] = "inval-inode",
	[FUSE_NOTIFY_INVAL_ENTRY] = "inval-entry",
	[FUSE_NOTIFY_STORE] = "store",
	[FUSE_NOTIFY_RETRIEVE] = "retrieve",
	[FUSE_NOTIFY_DELETE] = "delete",
	[FUSE_NOTIFY_RESEND] = "resend",
};

/* Build a notification into p (the payload); returns its length */
static size_t build_notify(struct rng *r, unsigned char *p, int32_t *code,
			   int *bad)
{
	static const int32_t unknown[] = { 8, 9, 100, -1, INT_MIN, INT_MAX };

	*code = 1 + below(r, FUSE_NOTIFY_RESEND + 1);
	memset(p, 0, 2048);
	switch (*code) {
	case FUSE_NOTIFY_POLL:
		return n_poll(r, p, bad);
	case FUSE_NOTIFY_INVAL_INODE:
		return n_inval_inode(r, p, bad);
	case FUSE_NOTIFY_INVAL_ENTRY:
	case FUSE_NOTIFY_DELETE:
		return n_entry(r, p, *code, bad);
	case FUSE_NOTIFY_STORE:
		return n_store(r, p, bad);
	case FUSE_NOTIFY_RETRIEVE:
		return n_retrieve(r, p, bad);
	case FUSE_NOTIFY_RESEND:
		return 0;
	}
	*code = PICK(r, unknown);
	*bad = 1;
	return below(r, 64);
}

static void notify_name(char *buf, size_t size, int32_t code, int bad)
{
	const char *n = code > 0 && code < (int32_t)ARRAY_SIZE(notify_names) ?
			notify_names[code] : NULL;

	if (!n)
		snprintf(buf, size, "notify-unknown");
	else
		snprintf(buf, size, "notify-%s%s", n,
			 bad == 2 ? "-wild" : bad ? "-bad" : "");
}

static void notify(struct rng *r, unsigned char *buf)
{
	struct fuse_out_header *oh = (void *)buf;
	char what[48];
	int32_t code;
	int bad = 0;
	size_t len;
	ssize_t ret;

	pthread_mutex_lock(&fzd.lock);
	len = build_notify(r, buf + HDR, &code, &bad);
	pthread_mutex_unlock(&fzd.lock);
	notify_name(what, sizeof(what), code, bad);
	if (fz_avoided(what))
		return;
	len = fz_msg(buf, 0, code, buf + HDR, len);
	if (one_in(r, 20)) {
		oh->len = PICK(r, ((const uint32_t[]){ len - 1, len + 1, 0,
				   HDR, UINT32_MAX }));
		strcat(what, "-hdrlen");
	}
	ret = fz_dev_write(buf, len, r);
	fz_add(fz_sh->notifications, 1);
	fz_trace("%s -> %s", what,
		 ret < 0 ? strerrorname_np((int)-ret) : "ok");
}

/* ------------------------------------------------------------ ioctls */

/* A descriptor of some kind for BACKING_OPEN / PASSTHROUGH_OPEN; *own:
 * it is ours to close (not so a number that is closed or invalid) */
static int odd_fd(struct rng *r, const char **what, int *own)
{
	char path[300];
	int fd, p[2];

	*own = 1;
	switch (below(r, 12)) {
	case 0:
		*what = "dir";
		return openat(fzd.lowerdir, "dir", O_RDONLY | O_DIRECTORY);
	case 1:
		*what = "pipe";
		if (pipe(p) < 0)
			return -1;
		close(p[1]);
		return p[0];
	case 2:
		*what = "socket";
		return socket(AF_UNIX, SOCK_STREAM, 0);
	case 3:
		*what = "devnull";
		return open("/dev/null", O_RDWR);
	case 4:
		*what = "device";
		return dup(fzd.fd);
	case 5:
		*what = "new-device";
		return open(fz_opt.dev, O_RDWR);
	case 6:
		*what = "opath";
		return openat(fzd.lowerdir, "dir", O_PATH);
	case 7:
		*what = "memfd";
		fd = memfd_create("fuzz", 0);
		if (fd >= 0 && ftruncate(fd, 65536) < 0)
			*what = "memfd-empty";
		return fd;
	case 8:
		*what = "mount-file";
		snprintf(path, sizeof(path), "%s/%s", fz_opt.mnt,
			 one_in(r, 2) ? "f1" : "d0");
		return open(path, O_RDONLY | O_NONBLOCK);
	case 9:
		*what = "wronly";
		pthread_mutex_lock(&fzd.lock);
		fd = fz_node_any(r)->lower;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		fd = fd < 0 ? -1 : open(path, O_WRONLY);
		pthread_mutex_unlock(&fzd.lock);
		return fd;
	case 10:
		*what = "closed";
		*own = 0;
		fd = open("/dev/null", O_RDONLY);
		close(fd);
		return fd;
	}
	*what = "bad-number";
	*own = 0;
	return one_in(r, 2) ? -1 : INT_MAX;
}

/* BACKING_OPEN of a node's data file: a good ID, kept for opens */
static void ioc_open_good(struct rng *r)
{
	struct fz_node *n;
	int id;

	pthread_mutex_lock(&fzd.lock);
	n = fz_node_any(r);
	if (n->lower >= 0 && n->backing_id <= 0) {
		id = fz_backing_id(n);
		fz_trace("BACKING_OPEN node %llu -> %d",
			 (unsigned long long)n->id, id);
	}
	pthread_mutex_unlock(&fzd.lock);
}

/* BACKING_OPEN or PASSTHROUGH_OPEN of an odd descriptor */
static void ioc_open_odd(struct rng *r, int android)
{
	struct fuse_backing_map map = { 0 };
	const char *what = "";
	uint32_t fd32;
	int own, fd = odd_fd(r, &what, &own), id;

	map.fd = fd;
	if (one_in(r, 8)) {
		map.flags = wild32(r);
		map.padding = wild64(r);
	}
	fd32 = fd;
	fz_add(fz_sh->ioctls, 1);
	id = android ? ioctl(fzd.fd, FUSE_DEV_IOC_PASSTHROUGH_OPEN, &fd32) :
		ioctl(fzd.fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	fz_trace("%s %s fd %d -> %d %s", android ? "PASSTHROUGH_OPEN" :
		 "BACKING_OPEN", what, fd, id, id < 0 ? strerrorname_np(errno) :
		 "");
	if (own && fd >= 0)
		close(fd);
	if (id > 0) {
		pthread_mutex_lock(&fzd.lock);
		fz_stale_push(id);	/* not closed yet: reused "stale" */
		pthread_mutex_unlock(&fzd.lock);
	}
}

/* BACKING_CLOSE of an ID in use, a stale one, or nonsense */
static void ioc_close(struct rng *r)
{
	struct fz_node *n;
	int id, ret;

	pthread_mutex_lock(&fzd.lock);
	n = fz_node_any(r);
	if (n->backing_id > 0 && one_in(r, 2)) {
		id = n->backing_id;
		n->backing_id = 0;
	} else if (fzd.nstale && one_in(r, 2)) {
		id = fzd.stale[below(r, fzd.nstale < FZ_STALE ?
				      fzd.nstale : FZ_STALE)];
	} else {
		id = one_in(r, 2) ? (int)wild32(r) : (int)below(r, 4) - 1;
	}
	fz_add(fz_sh->ioctls, 1);
	ret = ioctl(fzd.fd, FUSE_DEV_IOC_BACKING_CLOSE, &id);
	if (ret == 0)
		fz_stale_push(id);
	pthread_mutex_unlock(&fzd.lock);
	fz_trace("BACKING_CLOSE %d -> %s", id,
		 ret < 0 ? strerrorname_np(errno) : "ok");
}

/* Other ioctls on the device */
static void ioc_other(struct rng *r)
{
	uint32_t arg = one_in(r, 2) ? (uint32_t)fzd.fd : wild32(r);
	unsigned long cmd = PICK(r, ((const unsigned long[]){
		FUSE_DEV_IOC_CLONE, FUSE_DEV_IOC_BACKING_OPEN,
		FUSE_DEV_IOC_BACKING_CLOSE, FUSE_DEV_IOC_PASSTHROUGH_OPEN,
		_IO(FUSE_DEV_IOC_MAGIC, 3), _IOR(FUSE_DEV_IOC_MAGIC, 127,
		uint32_t), 0x5401 }));
	void *argp = one_in(r, 3) ? NULL : &arg;
	int ret;

	/* with NULL: EFAULT wanted, never a crash */
	fz_add(fz_sh->ioctls, 1);
	ret = ioctl(fzd.fd, cmd, argp);
	fz_trace("ioctl %#lx %s -> %s", cmd, argp ? "" : "NULL",
		 ret < 0 ? strerrorname_np(errno) : "ok");
}

static void ioctls(struct rng *r)
{
	if (fz_avoided("ioctl-*"))
		return;
	switch (below(r, 6)) {
	case 0:
		return ioc_open_good(r);
	case 1:
		return ioc_open_odd(r, 0);
	case 2:
		return ioc_open_odd(r, 1);
	case 3:
	case 4:
		return ioc_close(r);
	}
	ioc_other(r);
}

/* ----------------------------------------------- replies unasked for */

static void unsolicited(struct rng *r, unsigned char *buf)
{
	uint64_t unique = rnd(r) | 2;
	size_t len = below(r, 4) ? 0 : below(r, 200);
	int32_t error = one_in(r, 2) ? 0 : -(int32_t)below(r, 600);
	ssize_t ret;

	if (fz_avoided("unsolicited"))
		return;
	pthread_mutex_lock(&fzd.lock);
	if (fzd.nanswered && one_in(r, 2))
		unique = fzd.answered[below(r, fzd.nanswered <
				ARRAY_SIZE(fzd.answered) ? fzd.nanswered :
				ARRAY_SIZE(fzd.answered))];
	else if (fzd.nrecent && one_in(r, 2))
		unique = fzd.recent[below(r, fzd.nrecent <
				ARRAY_SIZE(fzd.recent) ? fzd.nrecent :
				ARRAY_SIZE(fzd.recent))];
	pthread_mutex_unlock(&fzd.lock);
	memset(buf + HDR, 'u', len);
	len = fz_msg(buf, unique, error, buf + HDR, len);
	ret = fz_dev_write(buf, len, r);
	fz_add(fz_sh->unsolicited, 1);
	fz_trace("unsolicited reply u=%llu error %d -> %s",
		 (unsigned long long)unique, error,
		 ret < 0 ? strerrorname_np((int)-ret) : "ok");
}

/* The thread: something unasked every chaos_ms on average */
void *fz_chaos(void *arg)
{
	unsigned int gap = fzd.plan->chaos_ms;
	unsigned char *buf = malloc(HDR + STORE_MAX + 4096);
	struct rng r;
	uint32_t c;

	(void)arg;
	if (!buf)
		return NULL;
	rng_init(&r, fzd.plan->seed, 0x4348414f53);
	while (!fzd.gone) {
		usleep((1 + below(&r, 2 * gap)) * 1000);
		c = below(&r, 100);
		if (c < 60)
			notify(&r, buf);
		else if (c < 90)
			ioctls(&r);
		else
			unsolicited(&r, buf);
	}
	return NULL;
}
