// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-fuzzd: the daemon. It opens the device, mounts, answers INIT as
 * the round's plan says and then every request: first the correct answer
 * from a small model of a namespace (directories, files whose data lives
 * in files on a tmpfs, symbolic links, a fifo), then, as often as the plan
 * says, a malformed one instead (fuzz-lie.c).
 *
 * Each request's choices come from a stream of its own, seeded with the
 * round's seed, the opcode and how many requests of that opcode came
 * before: a replay with the same seed answers the Nth LOOKUP the same way
 * whatever the other requests were.
 *
 * The model and the list of held replies are under fzd.lock; the device
 * is written with the lock dropped, since a write may wait for a page the
 * kernel holds locked until some other request is answered.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct fz_daemon fzd;

/* Buffers of one serving thread */
struct fz_thr {
	unsigned char *buf;
	unsigned char *out;
};

/* ------------------------------------------------------------ model */

struct fz_node *fz_node_get(uint64_t id)
{
	int i;

	for (i = 0; i < FZ_NODES; i++)
		if (fzd.node[i].used && fzd.node[i].id == id)
			return &fzd.node[i];
	return NULL;
}

static int node_pickable(int i)
{
	return fzd.node[i].used && !fzd.node[i].honest;
}

static int dent_pickable(int i)
{
	return fzd.dent[i].used;
}

/* Index of a slot chosen evenly among those ok() takes, -1 if none */
static int any_slot(struct rng *r, int (*ok)(int i), int n)
{
	int i, count = 0, pick;

	for (i = 0; i < n; i++)
		count += ok(i);
	if (!count)
		return -1;
	pick = below(r, count);
	for (i = 0; i < n; i++)
		if (ok(i) && !pick--)
			return i;
	return -1;
}

/* Any node in use but a checker's (the root is one): lies use them */
struct fz_node *fz_node_any(struct rng *r)
{
	int i = any_slot(r, node_pickable, FZ_NODES);

	return &fzd.node[i < 0 ? 0 : i];
}

/* Any name in use, or NULL */
struct fz_dent *fz_dent_any(struct rng *r)
{
	int i = any_slot(r, dent_pickable, FZ_DENTS);

	return i < 0 ? NULL : &fzd.dent[i];
}

static struct fz_dent *dent_find(uint64_t parent, const char *name)
{
	int i;

	for (i = 0; i < FZ_DENTS; i++) {
		struct fz_dent *d = &fzd.dent[i];

		if (d->used && d->parent == parent && !strcmp(d->name, name))
			return d;
	}
	return NULL;
}

/* The name of a directory node (directories have one), or NULL */
static struct fz_dent *dent_of(const struct fz_node *n)
{
	int i;

	for (i = 0; i < FZ_DENTS; i++)
		if (fzd.dent[i].used && fzd.dent[i].node == n)
			return &fzd.dent[i];
	return NULL;
}

static int64_t now_s(void)
{
	return time(NULL);
}

/* A new node of type and mode; NULL when the table is full */
static struct fz_node *node_new(uint32_t mode, struct rng *r)
{
	struct fz_node *n = NULL;
	char name[32];
	int i;

	for (i = 1; i < FZ_NODES && !n; i++)
		if (!fzd.node[i].used)
			n = &fzd.node[i];
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->id = fzd.next_id++;
	n->gen = one_in(r, 8) ? rnd(r) & 0xffff : 0;
	n->mode = mode;
	n->atime = n->mtime = n->ctime = now_s();
	n->lower = -1;
	n->pt = permille(r, fzd.plan->pt_pm);
	if (S_ISREG(mode)) {
		snprintf(name, sizeof(name), "n%llu", (unsigned long long)n->id);
		n->lower = openat(fzd.lowerdir, name,
				  O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (n->lower < 0)
			return NULL;
	}
	n->used = 1;
	return n;
}

/* Free a node no name and no lookup refers to any more */
static void node_put(struct fz_node *n)
{
	char name[32];
	int id;

	if (!n->used || n->nlink || n->nlookup || n->id == FUSE_ROOT_ID)
		return;
	if (n->lower >= 0) {
		close(n->lower);
		snprintf(name, sizeof(name), "n%llu", (unsigned long long)n->id);
		unlinkat(fzd.lowerdir, name, 0);
	}
	id = n->backing_id;
	if (id > 0 && ioctl(fzd.fd, FUSE_DEV_IOC_BACKING_CLOSE, &id) == 0)
		fz_stale_push(id);
	free(n->target);
	memset(n, 0, sizeof(*n));
}

static int dent_add(uint64_t parent, const char *name, struct fz_node *n)
{
	int i;

	if (strlen(name) >= FZ_NAME)
		return -ENAMETOOLONG;
	for (i = 0; i < FZ_DENTS; i++) {
		struct fz_dent *d = &fzd.dent[i];

		if (d->used)
			continue;
		d->parent = parent;
		d->node = n;
		strcpy(d->name, name);
		d->used = 1;
		n->nlink++;
		return 0;
	}
	return -ENOSPC;
}

static void dent_del(struct fz_dent *d)
{
	struct fz_node *n = d->node;

	d->used = 0;
	n->nlink--;
	n->ctime = now_s();
	node_put(n);
}

static int dir_empty(const struct fz_node *dir)
{
	int i;

	for (i = 0; i < FZ_DENTS; i++)
		if (fzd.dent[i].used && fzd.dent[i].parent == dir->id)
			return 0;
	return 1;
}

/* anc is dir or one of its ancestors */
static int is_ancestor(uint64_t anc, const struct fz_node *dir)
{
	int depth;

	for (depth = 0; dir && depth < 64; depth++) {
		struct fz_dent *d;

		if (dir->id == anc)
			return 1;
		d = dent_of(dir);
		dir = d ? fz_node_get(d->parent) : NULL;
	}
	return 0;
}

void fz_stale_push(int id)
{
	fzd.stale[fzd.nstale++ % FZ_STALE] = id;
}

static uint64_t lower_size(const struct fz_node *n)
{
	struct stat st;

	if (n->lower < 0 || fstat(n->lower, &st) < 0)
		return 0;
	return st.st_size;
}

void fz_fill_attr(const struct fz_node *n, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = n->id;
	a->mode = n->mode;
	a->nlink = S_ISDIR(n->mode) ? 2 : n->nlink;
	a->uid = n->uid;
	a->gid = n->gid;
	a->rdev = n->rdev;
	a->blksize = 4096;
	if (S_ISREG(n->mode))
		a->size = lower_size(n);
	else if (S_ISDIR(n->mode))
		a->size = 4096;
	else if (S_ISLNK(n->mode) && n->target)
		a->size = strlen(n->target);
	a->blocks = (a->size + 511) / 512;
	a->atime = n->atime;
	a->mtime = n->mtime;
	a->ctime = n->ctime;
}

/* The mainline backing ID of a node's data file, registered on demand */
int fz_backing_id(struct fz_node *n)
{
	struct fuse_backing_map map = { .fd = n->lower };
	int id;

	if (n->backing_id > 0)
		return n->backing_id;
	if (n->lower < 0)
		return -EINVAL;
	fz_add(fz_sh->ioctls, 1);
	id = ioctl(fzd.fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (id < 0)
		return -errno;
	n->backing_id = id;
	return id;
}

/* An Android passthrough ID for one open of the node */
static int android_id(struct fz_node *n)
{
	uint32_t fd = n->lower;
	int id;

	fz_add(fz_sh->ioctls, 1);
	id = ioctl(fzd.fd, FUSE_DEV_IOC_PASSTHROUGH_OPEN, &fd);
	return id < 0 ? -errno : id;
}

/* A file with len bytes of a pattern (the initial namespace) */
static struct fz_node *seed_file(uint64_t parent, const char *name,
				 size_t len, struct rng *r)
{
	struct fz_node *n = node_new(S_IFREG | 0644, r);
	char buf[4096];
	size_t off;

	if (!n)
		return NULL;
	memset(buf, 'a' + (int)(n->id % 26), sizeof(buf));
	for (off = 0; off < len; off += sizeof(buf))
		if (pwrite(n->lower, buf, len - off < sizeof(buf) ?
			   len - off : sizeof(buf), off) < 0)
			break;
	dent_add(parent, name, n);
	return n;
}

static struct fz_node *seed_node(uint64_t parent, const char *name,
				 uint32_t mode, const char *target,
				 struct rng *r)
{
	struct fz_node *n = node_new(mode, r);

	if (!n)
		return NULL;
	if (target)
		n->target = strdup(target);
	dent_add(parent, name, n);
	return n;
}

/* The namespace every round starts with; names match the workers' */
static void model_init(struct rng *r)
{
	struct fz_node *root = &fzd.node[0], *d0;
	char longt[1001];

	memset(root, 0, sizeof(*root));
	root->id = FUSE_ROOT_ID;
	root->mode = S_IFDIR | (fzd.plan->rootmode & 07777);
	root->lower = -1;
	root->used = 1;
	root->atime = root->mtime = root->ctime = now_s();
	fzd.next_id = one_in(r, 4) ? (rnd(r) >> 8) | 2 : 2;
	d0 = seed_node(FUSE_ROOT_ID, "d0", S_IFDIR | 0755, NULL, r);
	seed_node(FUSE_ROOT_ID, "d1", S_IFDIR | 0777, NULL, r);
	if (d0) {
		seed_node(d0->id, "d2", S_IFDIR | 0755, NULL, r);
		seed_file(d0->id, "f4", 5000, r);
	}
	seed_file(FUSE_ROOT_ID, "f0", 0, r);
	seed_file(FUSE_ROOT_ID, "f1", 100, r);
	seed_file(FUSE_ROOT_ID, "f2", 65536 + 123, r);
	seed_file(FUSE_ROOT_ID, "f3", 1 << 20, r);
	seed_node(FUSE_ROOT_ID, "l0", S_IFLNK | 0777, "f1", r);
	seed_node(FUSE_ROOT_ID, "l1", S_IFLNK | 0777, "d0/d2", r);
	memset(longt, 'x', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = 0;
	seed_node(FUSE_ROOT_ID, "l2", S_IFLNK | 0777, longt, r);
	seed_node(FUSE_ROOT_ID, "p0", S_IFIFO | 0644, NULL, r);
}

/* -------------------------------------------------- device and replies */

/* Header and payload into buf; returns the message's length */
size_t fz_msg(unsigned char *buf, uint64_t unique, int32_t error,
	      const void *payload, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len, .error = error, .unique = unique,
	};

	memcpy(buf, &oh, sizeof(oh));
	if (len && payload != buf + sizeof(oh))
		memmove(buf + sizeof(oh), payload, len);
	return sizeof(oh) + len;
}

/* Cut len bytes at buf into 2..8 pieces (some empty); returns how many */
static int cut_iov(struct iovec *iov, void *buf, size_t len, struct rng *r)
{
	size_t i, k = 2 + below(r, 7), prev = 0, c;

	for (i = 0; i < k; i++) {
		c = i == k - 1 ? len : below(r, len + 1);
		if (c < prev)
			c = prev;
		iov[i].iov_base = (char *)buf + prev;
		iov[i].iov_len = c - prev;
		prev = c;
	}
	return k;
}

/* A pipe of this thread's own for splice to and from the device */
static __thread int tpipe[2] = { -1, -1 };
static __thread size_t tpipe_size;

static int thread_pipe(void)
{
	long size;

	if (tpipe[0] >= 0)
		return 0;
	if (pipe2(tpipe, O_CLOEXEC) < 0)
		return -1;
	fcntl(tpipe[0], F_SETFL, O_NONBLOCK);
	size = fcntl(tpipe[1], F_SETPIPE_SZ, 1 << 20);
	tpipe_size = size > 0 ? size : 65536;
	return 0;
}

/* Empty the thread's pipe (after a splice that failed) */
static void drain_pipe(void)
{
	char junk[4096];

	while (read(tpipe[0], junk, sizeof(junk)) > 0)
		;
}

/* A message through the thread's pipe into the device, as libfuse's
 * splice writes do */
static ssize_t splice_write(const void *buf, size_t len)
{
	ssize_t ret;

	if (write(tpipe[1], buf, len) != (ssize_t)len) {
		drain_pipe();
		return -EAGAIN;
	}
	ret = splice(tpipe[0], NULL, fzd.fd, NULL, len, 0);
	if (ret != (ssize_t)len)
		drain_pipe();
	return ret < 0 ? -errno : ret;
}

/*
 * Write one message; with r, sometimes as a writev of several pieces
 * (some empty) or spliced from a pipe, which is still one message.
 * Returns bytes or -errno.
 */
ssize_t fz_dev_write(const void *buf, size_t len, struct rng *r)
{
	struct iovec iov[8];
	ssize_t ret;
	int k;

	if (r && len > 1 && one_in(r, 8)) {
		k = cut_iov(iov, (void *)buf, len, r);
		ret = writev(fzd.fd, iov, k);
	} else if (r && one_in(r, 8) && thread_pipe() == 0 &&
		   len <= tpipe_size) {
		return splice_write(buf, len);
	} else {
		ret = write(fzd.fd, buf, len);
	}
	return ret < 0 ? -errno : ret;
}

/* A request out of the device, as libfuse's splice reads do */
static ssize_t splice_read(unsigned char *buf)
{
	ssize_t n, got = 0, m;

	n = splice(fzd.fd, NULL, tpipe[1], NULL, fzd.bufsz, 0);
	if (n <= 0)
		return n < 0 ? -errno : n;
	while (got < n) {
		m = read(tpipe[0], buf + got, n - got);
		if (m <= 0)
			break;
		got += m;
	}
	if (got != n) {
		fprintf(stderr, "fuzz: spliced %zd bytes, read %zd\n", n, got);
		drain_pipe();
		return -EIO;
	}
	return n;
}

/* Read one request: read(2), a readv(2) of pieces, or splice */
static ssize_t dev_read(unsigned char *buf, struct rng *r)
{
	struct iovec iov[8];
	ssize_t n;
	int k;

	if (one_in(r, 8)) {
		k = cut_iov(iov, buf, fzd.bufsz, r);
		n = readv(fzd.fd, iov, k);
	} else if (one_in(r, 8) && thread_pipe() == 0 &&
		   (size_t)fzd.plan->max_write + 8192 <= tpipe_size) {
		return splice_read(buf);
	} else {
		n = read(fzd.fd, buf, fzd.bufsz);
	}
	return n < 0 ? -errno : n;
}

/* Put a reply off until due_ms (msg NULL: never answer it) */
void fz_hold(uint64_t unique, uint32_t opcode, const unsigned char *msg,
	     size_t len, long due_ms)
{
	struct fz_held *h = NULL, *oldest = &fzd.held[0];
	unsigned char *copy = NULL;
	int i;

	if (msg) {
		copy = malloc(len);
		if (!copy)
			return;
		memcpy(copy, msg, len);
	}
	pthread_mutex_lock(&fzd.lock);
	for (i = 0; i < FZ_HELD && !h; i++) {
		if (!fzd.held[i].used)
			h = &fzd.held[i];
		else if (fzd.held[i].due_ms < oldest->due_ms)
			oldest = &fzd.held[i];
	}
	if (!h) {
		/* full: the oldest is dropped, its caller waits for the end */
		h = oldest;
		free(h->msg);
	}
	h->unique = unique;
	h->opcode = opcode;
	h->msg = copy;
	h->len = len;
	h->due_ms = msg ? due_ms : fz_now_ms() + 3600 * 1000L;
	h->used = 1;
	pthread_mutex_unlock(&fzd.lock);
}

/* Answer a held request now with error; 1 if it was held */
int fz_release_held(uint64_t unique, int32_t error)
{
	unsigned char msg[sizeof(struct fuse_out_header)];
	int i, found = 0;

	pthread_mutex_lock(&fzd.lock);
	for (i = 0; i < FZ_HELD; i++) {
		struct fz_held *h = &fzd.held[i];

		if (!h->used || h->unique != unique)
			continue;
		free(h->msg);
		memset(h, 0, sizeof(*h));
		found = 1;
		break;
	}
	pthread_mutex_unlock(&fzd.lock);
	if (found)
		fz_dev_write(msg, fz_msg(msg, unique, error, NULL, 0), NULL);
	return found;
}

/* Send the held replies that are due */
static void flush_held(void)
{
	struct fz_held due[8];
	long now = fz_now_ms();
	int i, n = 0;

	pthread_mutex_lock(&fzd.lock);
	for (i = 0; i < FZ_HELD && n < 8; i++) {
		struct fz_held *h = &fzd.held[i];

		if (!h->used || !h->msg || h->due_ms > now)
			continue;
		due[n++] = *h;
		memset(h, 0, sizeof(*h));
	}
	pthread_mutex_unlock(&fzd.lock);
	for (i = 0; i < n; i++) {
		ssize_t r = fz_dev_write(due[i].msg, due[i].len, NULL);

		fz_trace("late reply u=%llu %s: %s",
			 (unsigned long long)due[i].unique,
			 fz_opname(due[i].opcode),
			 r < 0 ? strerrorname_np((int)-r) : "ok");
		free(due[i].msg);
	}
}

/* ------------------------------------------------ request arguments */

/* The NUL-terminated string at off, or NULL; *next: the byte after it */
static const char *q_str(const struct fz_req *q, size_t off, size_t *next)
{
	const char *s = (const char *)q->arg + off;
	size_t n;

	if (off >= q->arglen)
		return NULL;
	n = strnlen(s, q->arglen - off);
	if (n == q->arglen - off)
		return NULL;
	if (next)
		*next = off + n + 1;
	return s;
}

/* len zeroed bytes of payload */
static void *pay(struct fz_reply *o, size_t len)
{
	memset(o->data, 0, len);
	o->len = len;
	o->error = 0;
	return o->data;
}

static void fail(struct fz_reply *o, int err)
{
	o->error = err;
	o->len = 0;
}

/* Entry and attribute timeouts, as the plan says */
static uint64_t ttl(struct fz_req *q)
{
	static const uint64_t t[] = { 0, 1, 3600 };

	return fzd.plan->ttl < 3 ? t[fzd.plan->ttl] : PICK(&q->r, t);
}

static void fill_entry(struct fz_req *q, struct fz_node *n,
		       struct fuse_entry_out *e)
{
	e->nodeid = n->id;
	e->generation = n->gen;
	e->entry_valid = ttl(q);
	e->attr_valid = ttl(q);
	e->entry_valid_nsec = below(&q->r, 1000000000);
	e->attr_valid_nsec = below(&q->r, 1000000000);
	fz_fill_attr(n, &e->attr);
	n->nlookup++;
}

static void reply_entry(struct fz_req *q, struct fz_reply *o,
			struct fz_node *n)
{
	fill_entry(q, n, pay(o, sizeof(struct fuse_entry_out)));
}

static void reply_attr(struct fz_req *q, struct fz_reply *o,
		       struct fz_node *n)
{
	struct fuse_attr_out *a = pay(o, sizeof(*a));

	a->attr_valid = ttl(q);
	a->attr_valid_nsec = below(&q->r, 1000000000);
	fz_fill_attr(n, &a->attr);
}

/* The node of the request, or an error in o */
static struct fz_node *q_node(struct fz_req *q, struct fz_reply *o)
{
	struct fz_node *n = fz_node_get(q->h->nodeid);

	if (!n)
		fail(o, -ENOENT);
	return n;
}

/* The directory of the request, or an error in o */
static struct fz_node *q_dir(struct fz_req *q, struct fz_reply *o)
{
	struct fz_node *n = q_node(q, o);

	if (n && !S_ISDIR(n->mode)) {
		fail(o, -ENOTDIR);
		return NULL;
	}
	return n;
}

/* ----------------------------------------------------- namespace ops */

static const uint32_t appear_modes[] = {
	S_IFREG | 0644, S_IFDIR | 0755, S_IFIFO | 0600,
};

static void h_lookup(struct fz_req *q, struct fz_reply *o)
{
	const char *name = q_str(q, 0, NULL);
	struct fz_node *dir = q_dir(q, o), *n;
	struct fz_dent *d;

	if (!dir)
		return;
	if (!name)
		return fail(o, -EIO);
	d = dent_find(dir->id, name);
	if (!d && strlen(name) < 16 && !fz_honest_name(name) &&
	    one_in(&q->r, 20)) {
		/* someone else made it behind the kernel's back */
		n = node_new(PICK(&q->r, appear_modes), &q->r);
		if (n && dent_add(dir->id, name, n) == 0)
			d = dent_find(dir->id, name);
	}
	if (d)
		return reply_entry(q, o, d->node);
	if (one_in(&q->r, 3)) {
		/* a negative entry the kernel may cache */
		struct fuse_entry_out *e = pay(o, sizeof(*e));

		e->entry_valid = ttl(q);
		return;
	}
	fail(o, -ENOENT);
}

static void forget(uint64_t id, uint64_t count)
{
	struct fz_node *n = fz_node_get(id);

	if (!n)
		return;
	n->nlookup = n->nlookup > count ? n->nlookup - count : 0;
	node_put(n);
}

static void h_forget(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_forget_in *in = (const void *)q->arg;

	forget(q->h->nodeid, in->nlookup);
	o->noreply = 1;
}

static void h_batch_forget(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_batch_forget_in *in = (const void *)q->arg;
	const struct fuse_forget_one *one = (const void *)(in + 1);
	size_t i, max = (q->arglen - sizeof(*in)) / sizeof(*one);

	for (i = 0; i < in->count && i < max; i++)
		forget(one[i].nodeid, one[i].nlookup);
	o->noreply = 1;
}

static void h_getattr(struct fz_req *q, struct fz_reply *o)
{
	struct fz_node *n = q_node(q, o);

	if (n)
		reply_attr(q, o, n);
}

/* SETATTR: the new size first, it can fail */
static int setattr_size(struct fz_node *n, uint64_t size)
{
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (n->lower < 0)
		return -EINVAL;
	if (ftruncate(n->lower, (off_t)size) < 0)
		return -errno;
	n->mtime = n->ctime = now_s();
	return 0;
}

static void h_setattr(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_setattr_in *in = (const void *)q->arg;
	struct fz_node *n = q_node(q, o);
	int err;

	if (!n)
		return;
	if (in->valid & FATTR_SIZE) {
		err = setattr_size(n, in->size);
		if (err)
			return fail(o, err);
	}
	if (in->valid & FATTR_MODE)
		n->mode = (n->mode & S_IFMT) | (in->mode & 07777);
	if (in->valid & FATTR_UID)
		n->uid = in->uid;
	if (in->valid & FATTR_GID)
		n->gid = in->gid;
	if (in->valid & FATTR_ATIME)
		n->atime = in->valid & FATTR_ATIME_NOW ? now_s() :
			   (int64_t)in->atime;
	if (in->valid & FATTR_MTIME)
		n->mtime = in->valid & FATTR_MTIME_NOW ? now_s() :
			   (int64_t)in->mtime;
	n->ctime = now_s();
	reply_attr(q, o, n);
}

static void h_readlink(struct fz_req *q, struct fz_reply *o)
{
	struct fz_node *n = q_node(q, o);
	size_t len;

	if (!n)
		return;
	if (!S_ISLNK(n->mode) || !n->target)
		return fail(o, -EINVAL);
	len = strlen(n->target);
	memcpy(pay(o, len), n->target, len);
}

/* A new node named name in the request's directory, answered with it */
static void make_node(struct fz_req *q, struct fz_reply *o, const char *name,
		      uint32_t mode, const char *target)
{
	struct fz_node *dir = q_dir(q, o), *n;
	int err;

	if (!dir)
		return;
	if (!name)
		return fail(o, -EIO);
	if (dent_find(dir->id, name))
		return fail(o, -EEXIST);
	n = node_new(mode, &q->r);
	if (!n)
		return fail(o, -ENOSPC);
	n->honest = fz_honest_name(name);
	n->uid = q->h->uid;
	n->gid = q->h->gid;
	if (target)
		n->target = strdup(target);
	err = dent_add(dir->id, name, n);
	if (err) {
		node_put(n);
		return fail(o, err);
	}
	dir->mtime = dir->ctime = now_s();
	reply_entry(q, o, n);
}

static void h_symlink(struct fz_req *q, struct fz_reply *o)
{
	size_t next = 0;
	const char *name = q_str(q, 0, &next);
	const char *target = name ? q_str(q, next, NULL) : NULL;

	if (!target)
		return fail(o, -EIO);
	make_node(q, o, name, S_IFLNK | 0777, target);
}

static void h_mknod(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_mknod_in *in = (const void *)q->arg;
	size_t off = fzd.minor < 12 ? FUSE_COMPAT_MKNOD_IN_SIZE : sizeof(*in);
	uint32_t mode = in->mode;
	struct fz_node *n;

	if (!(mode & S_IFMT))
		mode |= S_IFREG;
	make_node(q, o, q_str(q, off, NULL), mode, NULL);
	n = o->error ? NULL :
	    fz_node_get(((struct fuse_entry_out *)o->data)->nodeid);
	if (n)
		n->rdev = in->rdev;
}

static void h_mkdir(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_mkdir_in *in = (const void *)q->arg;

	make_node(q, o, q_str(q, sizeof(*in), NULL),
		  S_IFDIR | (in->mode & 07777 & ~in->umask), NULL);
}

static void remove_name(struct fz_req *q, struct fz_reply *o, int dir)
{
	const char *name = q_str(q, 0, NULL);
	struct fz_node *parent = q_dir(q, o), *n;
	struct fz_dent *d;

	if (!parent)
		return;
	d = name ? dent_find(parent->id, name) : NULL;
	if (!d)
		return fail(o, -ENOENT);
	n = d->node;
	if (dir && !S_ISDIR(n->mode))
		return fail(o, -ENOTDIR);
	if (!dir && S_ISDIR(n->mode))
		return fail(o, -EISDIR);
	if (dir && !dir_empty(n))
		return fail(o, -ENOTEMPTY);
	dent_del(d);
	parent->mtime = parent->ctime = now_s();
	pay(o, 0);
}

static void h_unlink(struct fz_req *q, struct fz_reply *o)
{
	remove_name(q, o, 0);
}

static void h_rmdir(struct fz_req *q, struct fz_reply *o)
{
	remove_name(q, o, 1);
}

/* rename(2)'s rules for replacing the target */
static int rename_check(struct fz_dent *src, struct fz_dent *dst,
			struct fz_node *newdir, uint32_t flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && dst)
		return -EEXIST;
	if ((flags & RENAME_EXCHANGE) && !dst)
		return -ENOENT;
	if (S_ISDIR(src->node->mode) && is_ancestor(src->node->id, newdir))
		return -EINVAL;
	if (dst && (flags & RENAME_EXCHANGE) && S_ISDIR(dst->node->mode) &&
	    is_ancestor(dst->node->id, fz_node_get(src->parent)))
		return -EINVAL;
	if (!dst || (flags & RENAME_EXCHANGE) || dst->node == src->node)
		return 0;
	if (S_ISDIR(src->node->mode) && !S_ISDIR(dst->node->mode))
		return -ENOTDIR;
	if (!S_ISDIR(src->node->mode) && S_ISDIR(dst->node->mode))
		return -EISDIR;
	if (S_ISDIR(dst->node->mode) && !dir_empty(dst->node))
		return -ENOTEMPTY;
	return 0;
}

static void do_rename(struct fz_req *q, struct fz_reply *o, uint64_t newdir_id,
		      uint32_t flags, size_t off)
{
	size_t next = 0;
	const char *oldname = q_str(q, off, &next);
	const char *newname = oldname ? q_str(q, next, NULL) : NULL;
	struct fz_node *olddir = q_dir(q, o), *newdir;
	struct fz_dent *src, *dst;
	int err;

	if (!olddir)
		return;
	newdir = fz_node_get(newdir_id);
	if (!newname || !newdir || !S_ISDIR(newdir->mode))
		return fail(o, newname ? -ENOENT : -EIO);
	if (strlen(newname) >= FZ_NAME)
		return fail(o, -ENAMETOOLONG);
	src = dent_find(olddir->id, oldname);
	if (!src)
		return fail(o, -ENOENT);
	dst = dent_find(newdir->id, newname);
	err = rename_check(src, dst, newdir, flags);
	if (err)
		return fail(o, err);
	if (dst == src || (dst && dst->node == src->node && !flags))
		return (void)pay(o, 0);
	if (flags & RENAME_EXCHANGE) {
		struct fz_node *t = src->node;

		src->node = dst->node;
		dst->node = t;
	} else {
		if (dst)
			dent_del(dst);
		src->parent = newdir->id;
		strcpy(src->name, newname);
	}
	olddir->mtime = newdir->mtime = now_s();
	pay(o, 0);
}

static void h_rename(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_rename_in *in = (const void *)q->arg;

	do_rename(q, o, in->newdir, 0, sizeof(*in));
}

static void h_rename2(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_rename2_in *in = (const void *)q->arg;

	do_rename(q, o, in->newdir, in->flags, sizeof(*in));
}

static void h_link(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_link_in *in = (const void *)q->arg;
	const char *name = q_str(q, sizeof(*in), NULL);
	struct fz_node *dir = q_dir(q, o), *n;
	int err;

	if (!dir)
		return;
	n = fz_node_get(in->oldnodeid);
	if (!name || !n)
		return fail(o, name ? -ENOENT : -EIO);
	if (S_ISDIR(n->mode))
		return fail(o, -EPERM);
	if (dent_find(dir->id, name))
		return fail(o, -EEXIST);
	err = dent_add(dir->id, name, n);
	if (err)
		return fail(o, err);
	n->ctime = now_s();
	reply_entry(q, o, n);
}

/* ------------------------------------------------------- open, data */

/* Passthrough opens are traced: they are where the data path changes */
static void pt_trace(struct fz_req *q, int id)
{
	const struct fuse_open_in *in = (const void *)q->arg;

	fz_trace("u=%llu %s node=%llu flags=%#o passthrough id %d",
		 (unsigned long long)q->h->unique, fz_opname(q->h->opcode),
		 (unsigned long long)q->h->nodeid, in->flags, id);
}

/* Open flags a well-behaved daemon might give a file or a directory */
static void open_out(struct fz_req *q, struct fz_node *n,
		     struct fuse_open_out *oo, int dir)
{
	static const uint32_t file_flags[] = {
		0, 0, 0, FOPEN_KEEP_CACHE, FOPEN_DIRECT_IO, FOPEN_NOFLUSH,
		FOPEN_KEEP_CACHE | FOPEN_NOFLUSH,
		FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES,
	};
	static const uint32_t dir_flags[] = {
		0, 0, FOPEN_CACHE_DIR, FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE,
	};
	static const uint32_t honest_flags[] = { 0, 0, FOPEN_DIRECT_IO };
	enum fz_pt pt = fzd.plan->pt;
	int id = 0;

	oo->fh = rnd(&q->r);
	if (dir) {
		oo->open_flags = PICK(&q->r, dir_flags);
		return;
	}
	if (q->h->opcode == FUSE_CREATE && fz_avoided("create-pt"))
		pt = PT_NONE;
	if (n->pt && S_ISREG(n->mode) && pt != PT_NONE) {
		if (pt != PT_ANDROID)
			id = fz_backing_id(n);
		if (id > 0) {
			oo->open_flags = FOPEN_PASSTHROUGH;
			oo->backing_id = id;
			return pt_trace(q, id);
		}
		if (pt != PT_MAINLINE)
			id = android_id(n);
		if (id > 0) {
			oo->backing_id = id;
			return pt_trace(q, id);
		}
	}
	/* KEEP_CACHE would be a lie about data changed by a direct open */
	oo->open_flags = n->honest ? PICK(&q->r, honest_flags) :
			 PICK(&q->r, file_flags);
}

static void h_open(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_open_in *in = (const void *)q->arg;
	struct fz_node *n = q_node(q, o);

	if (!n)
		return;
	if (S_ISDIR(n->mode))
		return fail(o, -EISDIR);
	if ((in->flags & O_TRUNC) && (fzd.flags & FUSE_ATOMIC_O_TRUNC) &&
	    n->lower >= 0 && ftruncate(n->lower, 0) < 0)
		return fail(o, -errno);
	open_out(q, n, pay(o, sizeof(struct fuse_open_out)), 0);
}

static void h_opendir(struct fz_req *q, struct fz_reply *o)
{
	struct fz_node *n = q_dir(q, o);

	if (n)
		open_out(q, n, pay(o, sizeof(struct fuse_open_out)), 1);
}

static void h_create(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_create_in *in = (const void *)q->arg;
	const char *name = q_str(q, sizeof(*in), NULL);
	struct fz_node *dir = q_dir(q, o), *n;
	struct fz_dent *d;

	if (!dir)
		return;
	if (!name)
		return fail(o, -EIO);
	/* no atomic create at all: the kernel falls back to MKNOD + OPEN */
	if (fz_avoided("create-atomic"))
		return fail(o, -ENOSYS);
	d = dent_find(dir->id, name);
	if (d && (in->flags & O_EXCL))
		return fail(o, -EEXIST);
	/* a cached open of a node open in passthrough mode fails */
	if (d && d->node->pt && fz_avoided("create-pt"))
		return fail(o, -EEXIST);
	if (d && S_ISDIR(d->node->mode))
		return fail(o, -EISDIR);
	if (!d) {
		make_node(q, o, name, S_IFREG | (in->mode & 07777 & ~in->umask),
			  NULL);
		if (o->error)
			return;
		n = fz_node_get(((struct fuse_entry_out *)o->data)->nodeid);
	} else {
		n = d->node;
		reply_entry(q, o, n);
	}
	o->len = sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out);
	memset(o->data + sizeof(struct fuse_entry_out), 0,
	       sizeof(struct fuse_open_out));
	open_out(q, n, (void *)(o->data + sizeof(struct fuse_entry_out)), 0);
}

/* The regular file the request is about, or an error in o */
static struct fz_node *q_file(struct fz_req *q, struct fz_reply *o)
{
	struct fz_node *n = q_node(q, o);

	if (n && n->lower < 0) {
		fail(o, S_ISDIR(n->mode) ? -EISDIR : -EINVAL);
		return NULL;
	}
	return n;
}

static void h_read(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_read_in *in = (const void *)q->arg;
	struct fz_node *n = q_file(q, o);
	size_t size = in->size;
	ssize_t got;

	if (!n)
		return;
	if (size > FZ_OUTMAX - 65536)
		size = FZ_OUTMAX - 65536;
	got = pread(n->lower, o->data, size, (off_t)in->offset);
	if (got < 0)
		return fail(o, -errno);
	o->error = 0;
	o->len = got;
}

static void h_write(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_write_in *in = (const void *)q->arg;
	size_t off = fzd.minor < 9 ? FUSE_COMPAT_WRITE_IN_SIZE : sizeof(*in);
	struct fz_node *n = q_file(q, o);
	struct fuse_write_out *out;
	ssize_t done;

	if (!n)
		return;
	if (q->arglen < off || q->arglen - off < in->size)
		return fail(o, -EIO);
	done = pwrite(n->lower, q->arg + off, in->size, (off_t)in->offset);
	if (done < 0)
		return fail(o, -errno);
	n->mtime = n->ctime = now_s();
	out = pay(o, sizeof(*out));
	out->size = done;
}

static void h_statfs(struct fz_req *q, struct fz_reply *o)
{
	struct fuse_statfs_out *s = pay(o, sizeof(*s));

	(void)q;
	s->st.blocks = 16384;
	s->st.bfree = 8000;
	s->st.bavail = 7000;
	s->st.files = FZ_NODES;
	s->st.ffree = FZ_NODES / 2;
	s->st.bsize = 4096;
	s->st.namelen = FZ_NAME - 1;
	s->st.frsize = 4096;
}

static void h_ok(struct fz_req *q, struct fz_reply *o)
{
	(void)q;
	pay(o, 0);
}

static void h_enosys(struct fz_req *q, struct fz_reply *o)
{
	(void)q;
	fail(o, -ENOSYS);
}

static void h_noreply(struct fz_req *q, struct fz_reply *o)
{
	(void)q;
	o->noreply = 1;
}

static void h_fallocate(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_fallocate_in *in = (const void *)q->arg;
	struct fz_node *n = q_file(q, o);

	if (!n)
		return;
	if (fallocate(n->lower, (int)in->mode, (off_t)in->offset,
		      (off_t)in->length) < 0)
		return fail(o, -errno);
	pay(o, 0);
}

static void h_lseek(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_lseek_in *in = (const void *)q->arg;
	struct fz_node *n = q_file(q, o);
	struct fuse_lseek_out *out;
	off_t pos;

	if (!n)
		return;
	pos = lseek(n->lower, (off_t)in->offset, (int)in->whence);
	if (pos < 0)
		return fail(o, -errno);
	out = pay(o, sizeof(*out));
	out->offset = pos;
}

static void h_copy_file_range(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_copy_file_range_in *in = (const void *)q->arg;
	struct fz_node *src = q_file(q, o), *dst;
	loff_t off_in = in->off_in, off_out = in->off_out;
	size_t len = in->len > (1 << 20) ? (1 << 20) : in->len;
	struct fuse_write_out *out;
	ssize_t done;

	if (!src)
		return;
	dst = fz_node_get(in->nodeid_out);
	if (!dst || dst->lower < 0)
		return fail(o, -EBADF);
	done = copy_file_range(src->lower, &off_in, dst->lower, &off_out, len,
			       0);
	if (done < 0)
		return fail(o, -errno);
	out = pay(o, sizeof(*out));
	out->size = done;
}

static void h_poll(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_poll_in *in = (const void *)q->arg;
	struct fuse_poll_out *out;

	if (in->flags & FUSE_POLL_SCHEDULE_NOTIFY)
		fzd.kh[fzd.nkh++ % ARRAY_SIZE(fzd.kh)] = in->kh;
	out = pay(o, sizeof(*out));
	out->revents = in->events & (POLLIN | POLLOUT | POLLRDNORM |
				     POLLWRNORM);
}

static void h_getlk(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_lk_in *in = (const void *)q->arg;
	struct fuse_lk_out *out = pay(o, sizeof(*out));

	out->lk.start = in->lk.start;
	out->lk.end = in->lk.end;
	out->lk.type = F_UNLCK;
}

static void h_setlk(struct fz_req *q, struct fz_reply *o)
{
	/* SETLKW: sometimes the lock is held elsewhere, the caller waits */
	if (q->h->opcode == FUSE_SETLKW && one_in(&q->r, 10)) {
		q->xport = X_LATE;
		q->xarg = 200 + below(&q->r, 3000);
	}
	pay(o, 0);
}

static void h_destroy(struct fz_req *q, struct fz_reply *o)
{
	if (one_in(&q->r, 4))
		o->noreply = 1;
	else
		pay(o, 0);
}

/* ---------------------------------------------------------- xattrs */

static struct fz_xattr *xa_find(struct fz_node *n, const char *name)
{
	int i;

	for (i = 0; i < FZ_XATTRS; i++)
		if (n->xa[i].used && !strcmp(n->xa[i].name, name))
			return &n->xa[i];
	return NULL;
}

static size_t setxattr_in_size(void)
{
	return (fzd.flags & FUSE_SETXATTR_EXT) ?
		sizeof(struct fuse_setxattr_in) : FUSE_COMPAT_SETXATTR_IN_SIZE;
}

static int xa_set(struct fz_node *n, const char *name, const void *val,
		  size_t len, uint32_t flags)
{
	struct fz_xattr *x = xa_find(n, name);
	int i;

	if (x && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!x && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (len > FZ_XVAL || strlen(name) >= sizeof(x->name))
		return -E2BIG;
	for (i = 0; i < FZ_XATTRS && !x; i++)
		if (!n->xa[i].used)
			x = &n->xa[i];
	if (!x)
		return -ENOSPC;
	strcpy(x->name, name);
	memcpy(x->val, val, len);
	x->len = len;
	x->used = 1;
	return 0;
}

static void h_setxattr(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_setxattr_in *in = (const void *)q->arg;
	size_t next = 0;
	const char *name = q_str(q, setxattr_in_size(), &next);
	struct fz_node *n = q_node(q, o);
	int err;

	if (!n)
		return;
	if (!name || q->arglen - next < in->size)
		return fail(o, -EIO);
	err = xa_set(n, name, q->arg + next, in->size, in->flags);
	if (err)
		return fail(o, err);
	pay(o, 0);
}

/* Answer a size query or the bytes, as GETXATTR and LISTXATTR want */
static void xa_answer(struct fz_reply *o, uint32_t size, const void *val,
		      size_t len)
{
	struct fuse_getxattr_out *out;

	if (!size) {
		out = pay(o, sizeof(*out));
		out->size = len;
	} else if (len > size) {
		fail(o, -ERANGE);
	} else {
		memcpy(pay(o, len), val, len);
	}
}

static void h_getxattr(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_getxattr_in *in = (const void *)q->arg;
	const char *name = q_str(q, sizeof(*in), NULL);
	struct fz_node *n = q_node(q, o);
	struct fz_xattr *x;

	if (!n)
		return;
	x = name ? xa_find(n, name) : NULL;
	if (!x)
		return fail(o, name ? -ENODATA : -EIO);
	xa_answer(o, in->size, x->val, x->len);
}

static void h_listxattr(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_getxattr_in *in = (const void *)q->arg;
	struct fz_node *n = q_node(q, o);
	char list[FZ_XATTRS * 64];
	size_t len = 0;
	int i;

	if (!n)
		return;
	for (i = 0; i < FZ_XATTRS; i++) {
		if (!n->xa[i].used)
			continue;
		strcpy(list + len, n->xa[i].name);
		len += strlen(n->xa[i].name) + 1;
	}
	xa_answer(o, in->size, list, len);
}

static void h_removexattr(struct fz_req *q, struct fz_reply *o)
{
	const char *name = q_str(q, 0, NULL);
	struct fz_node *n = q_node(q, o);
	struct fz_xattr *x;

	if (!n)
		return;
	x = name ? xa_find(n, name) : NULL;
	if (!x)
		return fail(o, -ENODATA);
	x->used = 0;
	pay(o, 0);
}

/* --------------------------------------------------------- readdir */

/* Append one record (with an entry for READDIRPLUS); 0 if it fit */
static int put_dirent(struct fz_req *q, struct fz_reply *o, size_t room,
		      int plus, uint64_t off, const char *name,
		      struct fz_node *n)
{
	size_t namelen = strlen(name);
	size_t head = plus ? sizeof(struct fuse_entry_out) : 0;
	size_t rec = FUSE_DIRENT_ALIGN(head + FUSE_NAME_OFFSET + namelen);
	unsigned char *p = o->data + o->len;
	struct fuse_dirent *d = (void *)(p + head);

	if (o->len + rec > room)
		return -1;
	memset(p, 0, rec);
	if (plus && n && strcmp(name, ".") && strcmp(name, ".."))
		fill_entry(q, n, (void *)p);
	d->ino = n ? n->id : FUSE_ROOT_ID;
	d->off = off;
	d->namelen = namelen;
	d->type = n ? (n->mode & S_IFMT) >> 12 : DT_DIR;
	memcpy(d->name, name, namelen);
	o->len += rec;
	return 0;
}

static void readdir_any(struct fz_req *q, struct fz_reply *o, int plus)
{
	const struct fuse_read_in *in = (const void *)q->arg;
	struct fz_node *dir = q_dir(q, o);
	struct fz_dent *list[FZ_DENTS];
	size_t n = 0, room = in->size, i;

	if (!dir)
		return;
	if (room > FZ_OUTMAX - 65536)
		room = FZ_OUTMAX - 65536;
	for (i = 0; i < FZ_DENTS; i++)
		if (fzd.dent[i].used && fzd.dent[i].parent == dir->id)
			list[n++] = &fzd.dent[i];
	pay(o, 0);
	for (i = in->offset; i < n + 2; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." :
				   list[i - 2]->name;
		struct fz_node *node = i < 2 ? dir : list[i - 2]->node;

		if (put_dirent(q, o, room, plus, i + 1, name, node))
			break;
	}
}

static void h_readdir(struct fz_req *q, struct fz_reply *o)
{
	readdir_any(q, o, 0);
}

static void h_readdirplus(struct fz_req *q, struct fz_reply *o)
{
	readdir_any(q, o, 1);
}

/* -------------------------------------------------------- dispatch */

static const struct {
	uint32_t opcode;
	void (*fn)(struct fz_req *q, struct fz_reply *o);
	size_t argmin;
} handlers[] = {
	{ FUSE_LOOKUP,		h_lookup,	1 },
	{ FUSE_FORGET,		h_forget,	sizeof(struct fuse_forget_in) },
	{ FUSE_GETATTR,		h_getattr,	0 },
	{ FUSE_SETATTR,		h_setattr,	sizeof(struct fuse_setattr_in) },
	{ FUSE_READLINK,	h_readlink,	0 },
	{ FUSE_SYMLINK,		h_symlink,	2 },
	{ FUSE_MKNOD,		h_mknod,	FUSE_COMPAT_MKNOD_IN_SIZE },
	{ FUSE_MKDIR,		h_mkdir,	sizeof(struct fuse_mkdir_in) },
	{ FUSE_UNLINK,		h_unlink,	1 },
	{ FUSE_RMDIR,		h_rmdir,	1 },
	{ FUSE_RENAME,		h_rename,	sizeof(struct fuse_rename_in) },
	{ FUSE_LINK,		h_link,		sizeof(struct fuse_link_in) },
	{ FUSE_OPEN,		h_open,		sizeof(struct fuse_open_in) },
	{ FUSE_READ,		h_read,		sizeof(struct fuse_read_in) },
	{ FUSE_WRITE,		h_write,	FUSE_COMPAT_WRITE_IN_SIZE },
	{ FUSE_STATFS,		h_statfs,	0 },
	{ FUSE_RELEASE,		h_ok,		0 },
	{ FUSE_FSYNC,		h_ok,		0 },
	{ FUSE_SETXATTR,	h_setxattr,	FUSE_COMPAT_SETXATTR_IN_SIZE },
	{ FUSE_GETXATTR,	h_getxattr,	sizeof(struct fuse_getxattr_in) },
	{ FUSE_LISTXATTR,	h_listxattr,	sizeof(struct fuse_getxattr_in) },
	{ FUSE_REMOVEXATTR,	h_removexattr,	1 },
	{ FUSE_FLUSH,		h_ok,		0 },
	{ FUSE_OPENDIR,		h_opendir,	0 },
	{ FUSE_READDIR,		h_readdir,	sizeof(struct fuse_read_in) },
	{ FUSE_RELEASEDIR,	h_ok,		0 },
	{ FUSE_FSYNCDIR,	h_ok,		0 },
	{ FUSE_GETLK,		h_getlk,	sizeof(struct fuse_lk_in) },
	{ FUSE_SETLK,		h_setlk,	sizeof(struct fuse_lk_in) },
	{ FUSE_SETLKW,		h_setlk,	sizeof(struct fuse_lk_in) },
	{ FUSE_ACCESS,		h_ok,		0 },
	{ FUSE_CREATE,		h_create,	sizeof(struct fuse_create_in) },
	{ FUSE_DESTROY,		h_destroy,	0 },
	{ FUSE_POLL,		h_poll,		sizeof(struct fuse_poll_in) },
	{ FUSE_NOTIFY_REPLY,	h_noreply,	0 },
	{ FUSE_BATCH_FORGET,	h_batch_forget,	sizeof(struct fuse_batch_forget_in) },
	{ FUSE_FALLOCATE,	h_fallocate,	sizeof(struct fuse_fallocate_in) },
	{ FUSE_READDIRPLUS,	h_readdirplus,	sizeof(struct fuse_read_in) },
	{ FUSE_RENAME2,		h_rename2,	sizeof(struct fuse_rename2_in) },
	{ FUSE_LSEEK,		h_lseek,	sizeof(struct fuse_lseek_in) },
	{ FUSE_COPY_FILE_RANGE,	h_copy_file_range, sizeof(struct fuse_copy_file_range_in) },
	{ FUSE_SYNCFS,		h_ok,		0 },
};

/* The correct answer to a request, into o */
static void answer(struct fz_req *q, struct fz_reply *o)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(handlers); i++) {
		if (handlers[i].opcode != q->h->opcode)
			continue;
		if (q->arglen < handlers[i].argmin) {
			fprintf(stderr, "fuzz: %s request with %zu bytes\n",
				fz_opname(q->h->opcode), q->arglen);
			return fail(o, -EIO);
		}
		return handlers[i].fn(q, o);
	}
	h_enosys(q, o);
}

/* The request is about a checker's file: it gets the truth */
static int honest_req(const struct fz_req *q)
{
	const struct fz_node *n = fz_node_get(q->h->nodeid);
	size_t off = 0;
	const char *name;

	if (n && n->honest)
		return 1;
	switch (q->h->opcode) {
	case FUSE_COPY_FILE_RANGE:
		n = fz_node_get(((const struct fuse_copy_file_range_in *)
				 q->arg)->nodeid_out);
		return n && n->honest;
	case FUSE_CREATE:
		off = sizeof(struct fuse_create_in);
		break;
	case FUSE_MKNOD:
		off = fzd.minor < 12 ? FUSE_COMPAT_MKNOD_IN_SIZE :
		      sizeof(struct fuse_mknod_in);
		break;
	case FUSE_LOOKUP:
		break;
	default:
		return 0;
	}
	name = q_str(q, off, NULL);
	return name && fz_honest_name(name);
}

/* One request read from the device */
static void handle(struct fz_thr *t, size_t n)
{
	const struct fuse_in_header *h = (const void *)t->buf;
	struct fz_reply o = { .data = t->out + sizeof(struct fuse_out_header) };
	struct fz_req q = { .h = h };
	size_t ext;

	if (n < sizeof(*h) || h->len != n) {
		fprintf(stderr, "fuzz: request of %zu bytes, header says %u\n",
			n, n >= sizeof(*h) ? h->len : 0);
		return;
	}
	fz_add(fz_sh->requests, 1);
	ext = (size_t)h->total_extlen * 8;
	q.arg = t->buf + sizeof(*h);
	q.arglen = n - sizeof(*h) > ext ? n - sizeof(*h) - ext : 0;
	pthread_mutex_lock(&fzd.lock);
	rng_init(&q.r, fzd.plan->seed ^ ((uint64_t)h->opcode << 40),
		 fzd.opcount[h->opcode % ARRAY_SIZE(fzd.opcount)]++);
	if (fz_opt.verbose > 1)
		fz_trace("<- u=%llu %s node=%llu len=%u",
			 (unsigned long long)h->unique, fz_opname(h->opcode),
			 (unsigned long long)h->nodeid, h->len);
	if (h->opcode == FUSE_INTERRUPT) {
		pthread_mutex_unlock(&fzd.lock);
		return fz_interrupt(&q);
	}
	answer(&q, &o);
	if (!o.noreply && o.len <= 65536 &&
	    permille(&q.r, fzd.plan->stall_pm)) {
		/* a slow daemon: the kernel may end the request first */
		q.xport = X_LATE;
		q.xarg = 2000 + below(&q.r, 18000);
	}
	q.honest = honest_req(&q);
	if (!q.honest) {
		fzd.recent[fzd.nrecent++ % ARRAY_SIZE(fzd.recent)] = h->unique;
		if (permille(&q.r, fzd.plan->mal_pm))
			fz_lie(&q, &o);
	}
	pthread_mutex_unlock(&fzd.lock);
	fz_deliver(&q, &o);
}

/* ------------------------------------------------------------ INIT */

/* The flags and limits the plan gives INIT's reply */
static void init_out(const struct fuse_init_in *in, struct fuse_init_out *out)
{
	const struct fz_plan *p = fzd.plan;
	uint64_t flags;

	fzd.offered = in->flags;
	if (in->flags & FUSE_INIT_EXT)
		fzd.offered |= (uint64_t)in->flags2 << 32;
	flags = (fzd.offered & p->flag_mask) | p->flag_extra;
	if (p->pt == PT_MAINLINE || p->pt == PT_BOTH)
		flags |= FUSE_PASSTHROUGH;
	if (p->pt == PT_ANDROID || p->pt == PT_BOTH)
		flags |= FUSE_PASSTHROUGH_ANDROID;
	if (flags >> 32)
		flags |= FUSE_INIT_EXT;
	out->major = FUSE_KERNEL_VERSION;
	out->minor = p->minor < in->minor ? p->minor : in->minor;
	out->flags = (uint32_t)flags;
	out->flags2 = (uint32_t)(flags >> 32);
	out->max_readahead = p->ra_echo ? in->max_readahead : p->max_readahead;
	out->max_background = p->max_background;
	out->congestion_threshold = p->congestion;
	out->max_write = p->max_write;
	out->time_gran = p->time_gran;
	out->max_pages = p->max_pages;
	out->max_stack_depth = p->stack_depth;
	fzd.flags = flags & fzd.offered;
	fzd.minor = out->minor;
}

/* Ways of refusing INIT (plan->init_bad) */
static size_t init_refuse(struct fuse_init_out *out, int32_t *error)
{
	switch (fzd.plan->init_bad) {
	case 1:
		*error = -EPROTO;
		return 0;
	case 2:
		out->major = 6;
		break;
	case 3:
		out->minor = 8;
		fzd.minor = 8;
		break;
	case 4:
		return FUSE_COMPAT_22_INIT_OUT_SIZE;
	case 5:
		return 4;
	}
	return sizeof(*out);
}

static void do_init(struct fz_thr *t, size_t n)
{
	const struct fuse_in_header *h = (const void *)t->buf;
	struct fuse_init_out out;
	int32_t error = 0;
	size_t len = sizeof(out), mlen;
	ssize_t ret;

	if (n < sizeof(*h) + 16 || h->opcode != FUSE_INIT) {
		fprintf(stderr, "fuzz: first request is not INIT\n");
		_exit(2);
	}
	memset(&out, 0, sizeof(out));
	init_out((const void *)(h + 1), &out);
	if (fzd.plan->init_bad == 6) {
		fz_trace("INIT never answered");
		return;
	}
	if (fzd.plan->init_bad)
		len = init_refuse(&out, &error);
	if (fzd.plan->init_delay_ms)
		usleep(fzd.plan->init_delay_ms * 1000);
	mlen = fz_msg(t->out, h->unique, error, &out, error ? 0 : len);
	ret = fz_dev_write(t->out, mlen, NULL);
	fz_trace("INIT flags=%#llx minor=%u max_write=%u max_pages=%u: %s",
		 (unsigned long long)fzd.flags, out.minor, out.max_write,
		 out.max_pages, ret < 0 ? strerrorname_np((int)-ret) : "ok");
}

/* ------------------------------------------------------------ serve */

/* Read and answer until the connection is gone */
static void *serve(void *arg)
{
	struct fz_thr *t = arg;
	struct pollfd p = { .fd = fzd.fd, .events = POLLIN };
	struct rng r;
	ssize_t n;

	rng_init(&r, fzd.plan->seed, (uint64_t)(uintptr_t)t);
	for (;;) {
		flush_held();
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			_exit(3);
		n = dev_read(t->buf, &r);
		if (n > 0) {
			handle(t, n);
			continue;
		}
		/* gone; a read(2) too small for max_write says EINVAL even
		 * then, only poll tells */
		if (n == -ENODEV || (p.revents & POLLERR)) {
			fzd.gone = 1;
			_exit(0);
		}
		if (n == -EINVAL)
			usleep(200 * 1000);
	}
	return NULL;
}

static struct fz_thr *thr_new(void)
{
	struct fz_thr *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->buf = mmap(NULL, fzd.bufsz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	t->out = malloc(sizeof(struct fuse_out_header) + FZ_OUTMAX + FZ_SLACK);
	if (t->buf == MAP_FAILED || !t->out)
		return NULL;
	return t;
}

/* Room for the largest request max_write allows */
static size_t read_size(uint32_t max_write)
{
	size_t need = (size_t)max_write + 4096 + sizeof(struct fuse_in_header) +
		      sizeof(struct fuse_write_in);

	return need < FZ_OUTMAX ? FZ_OUTMAX : need;
}

static void mount_it(void)
{
	const struct fz_plan *p = fzd.plan;
	char data[256];

	fzd.fd = open(fz_opt.dev, O_RDWR | O_CLOEXEC);
	if (fzd.fd < 0) {
		fz_sh->mounted = -errno;
		_exit(2);
	}
	snprintf(data, sizeof(data),
		 "fd=%d,rootmode=%o,user_id=%u,group_id=%u%s%s", fzd.fd,
		 p->rootmode, p->owner, p->owner,
		 p->allow_other ? ",allow_other" : "",
		 p->default_permissions ? ",default_permissions" : "");
	if (p->max_read)
		snprintf(data + strlen(data), sizeof(data) - strlen(data),
			 ",max_read=%u", p->max_read);
	if (mount(fz_opt.fstype, fz_opt.mnt, fz_opt.fstype,
		  MS_NOSUID | MS_NODEV, data) < 0) {
		fz_sh->mounted = -errno;
		_exit(2);
	}
	fz_sh->mounted = 1;
}

void fz_daemon_run(const struct fz_plan *p)
{
	struct fz_thr *t;
	struct rng r;
	pthread_t tid;
	ssize_t n;
	int i;

	fzd.plan = p;
	pthread_mutex_init(&fzd.lock, NULL);
	rng_init(&r, p->seed, 0x4d4f44454c);
	fzd.lowerdir = open(fz_opt.lower, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fzd.lowerdir < 0)
		_exit(2);
	mkdirat(fzd.lowerdir, "dir", 0755);
	fzd.bufsz = read_size(p->max_write);
	model_init(&r);
	mount_it();
	t = thr_new();
	if (!t)
		_exit(2);
	do {
		n = read(fzd.fd, t->buf, fzd.bufsz);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		_exit(errno == ENODEV ? 0 : 2);
	do_init(t, n);
	fz_sh->init_done = 1;
	fcntl(fzd.fd, F_SETFL, fcntl(fzd.fd, F_GETFL) | O_NONBLOCK);
	if (p->chaos_ms)
		pthread_create(&tid, NULL, fz_chaos, NULL);
	for (i = 1; i < p->threads; i++) {
		struct fz_thr *more = thr_new();

		if (more)
			pthread_create(&tid, NULL, serve, more);
	}
	serve(t);
	_exit(0);
}
