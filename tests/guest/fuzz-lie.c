// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-fuzzd: malformed answers. fz_lie() turns the correct answer of
 * a request into a wrong one, either for its opcode (a reply about a node
 * that changed its type, a directory entry with a '/', an open with a
 * stale backing ID, ...) or in any reply's framing (too short, too long,
 * an error out of range, the wrong unique, twice, late, never).
 * fz_deliver() sends the result.
 *
 * Every lie has a name, "<opcode>-<what>" (lookup-nodeid0,
 * create-pt-keepcache, read-long, ...): the trace prints it, and an avoid
 * list (-a) of names, or of prefixes ending in '*', keeps it from being
 * sent.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define HDR	sizeof(struct fuse_out_header)

/* Values at and around the edges of 64 bits */
uint64_t wild64(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 4095, 4096, 4097, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 1ULL << 40, 0x7ffffffffffff000ULL,
		INT64_MAX - 1, INT64_MAX, 1ULL << 63, UINT64_MAX - 1,
		UINT64_MAX,
	};

	if (one_in(r, 4))
		return rnd(r);
	return PICK(r, v) + (one_in(r, 4) ? below(r, 3) - 1 : 0);
}

uint32_t wild32(struct rng *r)
{
	static const uint32_t v[] = {
		0, 1, 2, 255, 256, 1023, 1024, 1025, 4095, 4096, 4097,
		999999999, 1000000000, 0x7fffffff, 0x80000000, UINT32_MAX,
	};

	return one_in(r, 4) ? (uint32_t)rnd(r) : PICK(r, v);
}

/* Name the lie "<opcode>-<what>" */
static void name(struct fz_req *q, const char *what)
{
	snprintf(q->lie, sizeof(q->lie), "%s-%s", fz_opname(q->h->opcode),
		 what);
}

/* Bytes of garbage */
static void garbage(struct rng *r, unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = one_in(r, 4) ? 0 : (unsigned char)rnd(r);
}

/* A file type other than the one in mode */
static uint32_t other_type(struct rng *r, uint32_t mode)
{
	static const uint32_t types[] = {
		S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK,
		0170000, 0110000,
	};
	uint32_t t;

	do {
		t = PICK(r, types);
	} while (t == (mode & S_IFMT));
	return (mode & ~S_IFMT) | t;
}

/* --------------------------------------------------- attributes */

/*
 * Lie about the attributes of a node; returns the lie's name. The root
 * seldom changes its type: the kernel then marks it bad, and nothing of
 * the round can reach the daemon any more.
 */
static const char *lie_attr(struct rng *r, struct fuse_attr *a, uint64_t id)
{
	uint32_t c = below(r, 10);
	struct fz_node *n;

	if (id == FUSE_ROOT_ID && c < 3 && !one_in(r, 20))
		c = 3 + below(r, 7);
	switch (c) {
	case 0:
		a->mode = other_type(r, a->mode);
		n = fz_node_get(id);
		if (n && n->id != FUSE_ROOT_ID && one_in(r, 4)) {
			/* and it stays changed */
			n->mode = other_type(r, a->mode);
			a->mode = n->mode;
			return "type-change-kept";
		}
		return "type-change";
	case 1:
		a->mode &= ~S_IFMT;
		return "type0";
	case 2:
		a->mode = wild32(r);
		return "mode-garbage";
	case 3:
		a->size = PICK(r, ((const uint64_t[]){ INT64_MAX, UINT64_MAX,
			       1ULL << 63, 0x7ffffffffffff000ULL + 4096 }));
		return "size-huge";
	case 4:
		a->blksize = wild32(r);
		return "blksize";
	case 5:
		a->atime = wild64(r);
		a->mtime = wild64(r);
		a->ctime = wild64(r);
		a->atimensec = wild32(r);
		a->mtimensec = wild32(r);
		a->ctimensec = wild32(r);
		return "times";
	case 6:
		a->flags = wild32(r) | (one_in(r, 2) ? FUSE_ATTR_SUBMOUNT : 0);
		return "attr-flags";
	case 7:
		a->ino = wild64(r);
		a->nlink = wild32(r);
		return "ino-nlink";
	case 8:
		a->uid = wild32(r);
		a->gid = wild32(r);
		a->rdev = wild32(r);
		a->blocks = wild64(r);
		return "owner-rdev";
	}
	garbage(r, (unsigned char *)a, sizeof(*a));
	return "attr-garbage";
}

/* An entry for another node than the true one */
static const char *lie_nodeid(struct rng *r, struct fuse_entry_out *e)
{
	switch (below(r, 4)) {
	case 0:
		e->nodeid = 0;
		return "nodeid0";
	case 1:
		e->nodeid = FUSE_ROOT_ID;
		return "nodeid-root";
	case 2:
		e->nodeid = wild64(r) | 0x1000000000ULL;
		return "nodeid-unknown";
	}
	e->nodeid = fz_node_any(r)->id;
	return "nodeid-alias";
}

static void lie_entry(struct fz_req *q, struct fuse_entry_out *e)
{
	switch (below(&q->r, 4)) {
	case 0:
		return name(q, lie_nodeid(&q->r, e));
	case 1:
		e->entry_valid = wild64(&q->r);
		e->attr_valid = wild64(&q->r);
		e->entry_valid_nsec = wild32(&q->r);
		e->attr_valid_nsec = wild32(&q->r);
		e->generation = wild64(&q->r);
		return name(q, "timeouts");
	}
	name(q, lie_attr(&q->r, &e->attr, e->nodeid));
}

static void lie_attr_out(struct fz_req *q, struct fz_reply *o)
{
	struct fuse_attr_out *a = (void *)o->data;

	if (one_in(&q->r, 5)) {
		a->attr_valid = wild64(&q->r);
		a->attr_valid_nsec = wild32(&q->r);
		return name(q, "timeouts");
	}
	name(q, lie_attr(&q->r, &a->attr, q->h->nodeid));
}

/* -------------------------------------------------------- open */

/* A backing ID that is wrong in one way or another */
static int bad_id(struct fz_req *q, const char **what)
{
	switch (below(&q->r, 4)) {
	case 0:
		if (fzd.nstale) {
			*what = "staleid";
			return fzd.stale[below(&q->r, fzd.nstale < FZ_STALE ?
					       fzd.nstale : FZ_STALE)];
		}
		/* fall through */
	case 1:
		*what = "noid";
		return 0;
	case 2:
		*what = "negid";
		return -(int)below(&q->r, 3) - 1;
	}
	*what = "badid";
	return (int)(wild32(&q->r) | 0x10000);
}

/* Open flags at random, often with passthrough and a good or bad ID */
static void lie_open(struct fz_req *q, struct fuse_open_out *oo,
		     struct fz_node *n)
{
	const char *what = "flags";
	int id;

	oo->open_flags = below(&q->r, 256);
	if (one_in(&q->r, 8))
		oo->open_flags |= wild32(&q->r) & ~0xffu;
	if (one_in(&q->r, 2)) {
		oo->open_flags |= FOPEN_PASSTHROUGH;
		id = n && !one_in(&q->r, 3) ? fz_backing_id(n) : -1;
		if (id <= 0)
			id = bad_id(q, &what);
		oo->backing_id = id;
	}
	if (!(oo->open_flags & FOPEN_PASSTHROUGH))
		return name(q, what);
	if (oo->open_flags & FOPEN_KEEP_CACHE)
		what = "pt-keepcache";
	else if (!strcmp(what, "flags"))
		what = "pt-flags";
	else if (!strcmp(what, "staleid"))
		what = "pt-staleid";
	else if (!strcmp(what, "noid"))
		what = "pt-noid";
	else if (!strcmp(what, "negid"))
		what = "pt-negid";
	else
		what = "pt-badid";
	name(q, what);
}

/* ----------------------------------------------------- data replies */

/* How many bytes the request asked for (READ, READDIR, READLINK...) */
static size_t asked(struct fz_req *q)
{
	switch (q->h->opcode) {
	case FUSE_READ:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
		return ((const struct fuse_read_in *)q->arg)->size;
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR:
		return ((const struct fuse_getxattr_in *)q->arg)->size;
	}
	return 4095;
}

/* len bytes of payload, at most what the buffer holds */
static void set_len(struct fz_reply *o, size_t len)
{
	if (len > FZ_OUTMAX + FZ_SLACK)
		len = FZ_OUTMAX + FZ_SLACK;
	if (len > o->len)
		memset(o->data + o->len, 'z', len - o->len);
	o->len = len;
	o->error = 0;
}

static void lie_read(struct fz_req *q, struct fz_reply *o)
{
	size_t want = asked(q);

	switch (below(&q->r, 4)) {
	case 0:
		set_len(o, want + 1 + below(&q->r, 8192));
		return name(q, "long");
	case 1:
		set_len(o, FZ_OUTMAX + FZ_SLACK);
		return name(q, "huge");
	case 2:
		set_len(o, o->len ? below(&q->r, o->len) : 0);
		return name(q, "short");
	}
	set_len(o, 0);
	name(q, "zero");
}

static void lie_write_out(struct fz_req *q, struct fz_reply *o)
{
	const struct fuse_write_in *in = (const void *)q->arg;
	struct fuse_write_out *out = (void *)o->data;
	uint64_t len = q->h->opcode == FUSE_WRITE ? in->size :
		((const struct fuse_copy_file_range_in *)q->arg)->len;

	set_len(o, sizeof(*out));
	if (one_in(&q->r, 2)) {
		out->size = one_in(&q->r, 2) ? len + 1 : wild32(&q->r);
		if (out->size <= len)
			out->size = UINT32_MAX;
		return name(q, "more");
	}
	out->size = below(&q->r, len < UINT32_MAX ? (uint32_t)len : UINT32_MAX);
	name(q, "short");
}

static void lie_readlink(struct fz_req *q, struct fz_reply *o)
{
	static const size_t lens[] = { 4094, 4095, 4096, 4097, 8192, 65536 };

	switch (below(&q->r, 4)) {
	case 0:
		set_len(o, PICK(&q->r, lens));
		memset(o->data, one_in(&q->r, 2) ? '/' : 'q', o->len);
		return name(q, "long");
	case 1:
		set_len(o, 0);
		return name(q, "empty");
	case 2:
		set_len(o, 1 + below(&q->r, 64));
		garbage(&q->r, o->data, o->len);
		o->data[below(&q->r, o->len)] = 0;
		return name(q, "nul");
	}
	set_len(o, 1 + below(&q->r, 4000));
	memset(o->data, '/', o->len);
	name(q, "slashes");
}

static void lie_xattr(struct fz_req *q, struct fz_reply *o)
{
	struct fuse_getxattr_out *out = (void *)o->data;
	size_t want = asked(q);

	if (!want) {
		set_len(o, sizeof(*out));
		out->size = wild32(&q->r);
		return name(q, "size-wild");
	}
	if (one_in(&q->r, 2)) {
		set_len(o, want + 1 + below(&q->r, 64));
		return name(q, "long");
	}
	set_len(o, want < 64 ? want : 64);
	garbage(&q->r, o->data, o->len);
	if (o->len)
		o->data[o->len - 1] = 'x';
	name(q, "nonul");
}

static void lie_statfs(struct fz_req *q, struct fz_reply *o)
{
	struct fuse_statfs_out *s = (void *)o->data;

	s->st.blocks = wild64(&q->r);
	s->st.bfree = wild64(&q->r);
	s->st.bavail = wild64(&q->r);
	s->st.files = wild64(&q->r);
	s->st.ffree = wild64(&q->r);
	s->st.bsize = wild32(&q->r);
	s->st.namelen = wild32(&q->r);
	s->st.frsize = wild32(&q->r);
	name(q, "garbage");
}

static void lie_lk(struct fz_req *q, struct fz_reply *o)
{
	struct fuse_lk_out *out = (void *)o->data;

	if (q->h->opcode != FUSE_GETLK) {
		o->error = PICK(&q->r, ((const int32_t[]){ -EAGAIN, -EDEADLK,
				-ENOLCK, -EINTR, -EACCES }));
		o->len = 0;
		return name(q, "errno");
	}
	switch (below(&q->r, 3)) {
	case 0:
		out->lk.start = wild64(&q->r);
		out->lk.end = one_in(&q->r, 2) ? out->lk.start - 1 :
			      wild64(&q->r);
		out->lk.type = F_WRLCK;
		return name(q, "range");
	case 1:
		out->lk.type = wild32(&q->r);
		return name(q, "type");
	}
	out->lk.type = one_in(&q->r, 2) ? F_RDLCK : F_WRLCK;
	out->lk.pid = wild32(&q->r);
	name(q, "pid");
}

static void lie_poll(struct fz_req *q, struct fz_reply *o)
{
	((struct fuse_poll_out *)o->data)->revents = wild32(&q->r);
	set_len(o, sizeof(struct fuse_poll_out));
	name(q, "revents");
}

static void lie_lseek(struct fz_req *q, struct fz_reply *o)
{
	struct fuse_lseek_out *out = (void *)o->data;

	set_len(o, sizeof(*out));
	switch (below(&q->r, 3)) {
	case 0:
		out->offset = (1ULL << 63) | below(&q->r, 4096);
		return name(q, "negative");
	case 1:
		out->offset = ((const struct fuse_lseek_in *)q->arg)->offset +
			      (1ULL << 40) + below(&q->r, 4096);
		return name(q, "past-eof");
	}
	out->offset = wild64(&q->r);
	name(q, "wild");
}

/* ----------------------------------------------------- directories */

/* Append a record claiming namelen, carrying have bytes of name */
static void add_rec(struct fz_req *q, struct fz_reply *o, int plus,
		    const char *nm, size_t have, uint32_t namelen,
		    uint64_t off, uint32_t type)
{
	size_t head = plus ? sizeof(struct fuse_entry_out) : 0;
	size_t rec = FUSE_DIRENT_ALIGN(head + FUSE_NAME_OFFSET + have);
	unsigned char *p;
	struct fuse_dirent *d;
	struct fz_node *n = fz_node_any(&q->r);

	if (o->len + rec > FZ_OUTMAX)
		o->len = 0;
	p = o->data + o->len;
	memset(p, 0, rec);
	if (plus) {
		struct fuse_entry_out *e = (void *)p;

		e->nodeid = n->id;
		fz_fill_attr(n, &e->attr);
		e->attr.mode = (e->attr.mode & ~S_IFMT) | type << 12;
	}
	d = (void *)(p + head);
	d->ino = n->id;
	d->off = off;
	d->namelen = namelen;
	d->type = type;
	memcpy(d->name, nm, have);
	o->len += rec;
	o->error = 0;
}

/* The last offset in a listing (0 if empty) */
static uint64_t last_off(struct fz_reply *o, int plus)
{
	size_t head = plus ? sizeof(struct fuse_entry_out) : 0, pos = 0;
	uint64_t off = 0;

	while (pos + head + FUSE_NAME_OFFSET <= o->len) {
		const struct fuse_dirent *d = (void *)(o->data + pos + head);

		off = d->off;
		pos += FUSE_DIRENT_ALIGN(head + FUSE_NAME_OFFSET + d->namelen);
	}
	return off;
}

/* A directory entry that is wrong, added to the true listing */
static void lie_dirent(struct fz_req *q, struct fz_reply *o)
{
	int plus = q->h->opcode == FUSE_READDIRPLUS;
	uint64_t off = last_off(o, plus) + 1;
	char nm[64];

	snprintf(nm, sizeof(nm), "z%u", below(&q->r, 100));
	switch (below(&q->r, 10)) {
	case 0:
		add_rec(q, o, plus, "", 0, 0, off, DT_REG);
		return name(q, "namelen0");
	case 1:
		add_rec(q, o, plus, "abcdefgh", 8, PICK(&q->r,
			((const uint32_t[]){ 1025, 4095, 4096, 5000, 65536,
					     UINT32_MAX })), off, DT_REG);
		return name(q, "namelen-long");
	case 2:
		add_rec(q, o, plus, "a/b", 3, 3, off, DT_REG);
		return name(q, "name-slash");
	case 3:
		add_rec(q, o, plus, "a\0b", 3, 3, off, DT_REG);
		return name(q, "name-nul");
	case 4:
		add_rec(q, o, plus, nm, strlen(nm), strlen(nm) + 64, off,
			DT_REG);
		o->len -= 8;
		return name(q, "past-end");
	case 5:
		add_rec(q, o, plus, nm, strlen(nm), strlen(nm),
			one_in(&q->r, 2) ? 0 : off - 1, DT_REG);
		return name(q, "off-back");
	case 6:
		add_rec(q, o, plus, nm, strlen(nm), strlen(nm), wild64(&q->r),
			wild32(&q->r) & 0xff);
		return name(q, "off-type-wild");
	case 7:
		add_rec(q, o, plus, PICK(&q->r, ((const char *[]){ ".", "..",
			"d0", "f1" })), 1, 1, off, DT_DIR);
		return name(q, "dup-or-dot");
	case 8:
		o->len = below(&q->r, FUSE_NAME_OFFSET);
		garbage(&q->r, o->data, o->len);
		return name(q, "tiny");
	}
	set_len(o, asked(q) + 8 + below(&q->r, 4096));
	name(q, "too-long");
}

/* READDIRPLUS: an entry whose attributes are wrong */
static void lie_direntplus(struct fz_req *q, struct fz_reply *o)
{
	size_t rec, pos = 0, nrec = 0, pick;
	struct fuse_direntplus *dp;

	while (pos + sizeof(*dp) <= o->len) {
		dp = (void *)(o->data + pos);
		pos += FUSE_DIRENTPLUS_SIZE(dp);
		nrec++;
	}
	if (!nrec || one_in(&q->r, 3))
		return lie_dirent(q, o);
	pick = below(&q->r, nrec);
	for (pos = 0; pick--; pos += rec)
		rec = FUSE_DIRENTPLUS_SIZE((struct fuse_direntplus *)
					   (o->data + pos));
	dp = (void *)(o->data + pos);
	if (fz_honest_name(dp->dirent.name))
		return lie_dirent(q, o);	/* not about a checker's file */
	if (one_in(&q->r, 2))
		return name(q, lie_nodeid(&q->r, &dp->entry_out));
	name(q, lie_attr(&q->r, &dp->entry_out.attr, dp->entry_out.nodeid));
}

/* ------------------------------------------------ per opcode, any */

static void lie_entry_reply(struct fz_req *q, struct fz_reply *o)
{
	if (o->error || o->len < sizeof(struct fuse_entry_out))
		return;
	if (q->h->opcode == FUSE_CREATE && one_in(&q->r, 2)) {
		const struct fuse_entry_out *e = (const void *)o->data;

		return lie_open(q, (void *)(e + 1), fz_node_get(e->nodeid));
	}
	lie_entry(q, (void *)o->data);
}

static void lie_open_reply(struct fz_req *q, struct fz_reply *o)
{
	if (!o->error && o->len == sizeof(struct fuse_open_out))
		lie_open(q, (void *)o->data, fz_node_get(q->h->nodeid));
}

static void lie_attr_reply(struct fz_req *q, struct fz_reply *o)
{
	if (!o->error && o->len == sizeof(struct fuse_attr_out))
		lie_attr_out(q, o);
}

static void lie_fixed(struct fz_req *q, struct fz_reply *o,
		      void (*fn)(struct fz_req *q, struct fz_reply *o),
		      size_t len)
{
	if (!o->error && o->len == len)
		fn(q, o);
}

static void lie_op(struct fz_req *q, struct fz_reply *o)
{
	switch (q->h->opcode) {
	case FUSE_LOOKUP:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_LINK:
	case FUSE_CREATE:
		return lie_entry_reply(q, o);
	case FUSE_GETATTR:
	case FUSE_SETATTR:
		return lie_attr_reply(q, o);
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		return lie_open_reply(q, o);
	case FUSE_READ:
		return o->error ? (void)0 : lie_read(q, o);
	case FUSE_WRITE:
	case FUSE_COPY_FILE_RANGE:
		return lie_write_out(q, o);
	case FUSE_READLINK:
		return lie_readlink(q, o);
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR:
		return lie_xattr(q, o);
	case FUSE_STATFS:
		return lie_fixed(q, o, lie_statfs,
				 sizeof(struct fuse_statfs_out));
	case FUSE_GETLK:
	case FUSE_SETLK:
	case FUSE_SETLKW:
		return lie_lk(q, o);
	case FUSE_POLL:
		return lie_poll(q, o);
	case FUSE_LSEEK:
		return lie_lseek(q, o);
	case FUSE_READDIR:
		return o->error ? (void)0 : lie_dirent(q, o);
	case FUSE_READDIRPLUS:
		return o->error ? (void)0 : lie_direntplus(q, o);
	}
}

/* ------------------------------------------------- any reply's frame */

static int32_t err_out_of_range(struct rng *r)
{
	static const int32_t e[] = {
		1, 5, 1000, INT_MAX, -512, -513, -529, -4095, -4096, -100000,
		INT_MIN, INT_MIN + 1,
	};

	return PICK(r, e);
}

/* Valid errors a file system would rarely give for this */
static int32_t err_odd(struct rng *r)
{
	static const int32_t e[] = {
		-EPERM, -ENOENT, -EINTR, -EIO, -EBADF, -EAGAIN, -ENOMEM,
		-EACCES, -EEXIST, -ENOTDIR, -EISDIR, -EINVAL, -EFBIG, -ENOSPC,
		-ESPIPE, -ERANGE, -ENAMETOOLONG, -ENOSYS, -ENOTEMPTY, -ELOOP,
		-ENODATA, -EOVERFLOW, -EOPNOTSUPP, -ENOTCONN, -ESTALE,
		-ECONNABORTED, -EPROTO, -511, -1,
	};

	return PICK(r, e);
}

/* One of the last n (of the ring's size) values of a ring */
static uint64_t ring_pick(struct rng *r, const uint64_t *ring, size_t size,
			  unsigned int n)
{
	return ring[below(r, n < size ? n : size)];
}

/*
 * A unique that is not the request's: one answered already, another
 * request's that may still wait (never a checker's: its data must stay
 * true), the INTERRUPT of this one, or one never used
 */
static uint64_t other_unique(struct fz_req *q, const char **what)
{
	switch (below(&q->r, 4)) {
	case 0:
		if (fzd.nanswered) {
			*what = "unique-old";
			return ring_pick(&q->r, fzd.answered,
					 ARRAY_SIZE(fzd.answered),
					 fzd.nanswered);
		}
		/* fall through */
	case 1:
		*what = "unique-int";
		return q->h->unique | 1;
	case 2:
		*what = "unique-other";
		return ring_pick(&q->r, fzd.recent, ARRAY_SIZE(fzd.recent),
				 fzd.nrecent);
	}
	*what = "unique-random";
	return rnd(&q->r) | 2;
}

/* Keep the correct answer: the request may stay pending after a lie */
static void save_orig(struct fz_req *q, struct fz_reply *o)
{
	q->orig_error = o->error;
	q->orig_len = o->len;
	q->orig = malloc(o->len ? o->len : 1);
	if (q->orig)
		memcpy(q->orig, o->data, o->len);
}

static void lie_frame(struct fz_req *q, struct fz_reply *o)
{
	const char *what = "";
	size_t len = o->len;

	save_orig(q, o);
	switch (below(&q->r, 12)) {
	case 0:
		if (!len)
			break;
		set_len(o, one_in(&q->r, 2) ? len - 1 : below(&q->r, len));
		return name(q, o->len == len - 1 ? "short1" : "short");
	case 1:
		set_len(o, len + (one_in(&q->r, 2) ? 1 : 1 + below(&q->r, 8192)));
		return name(q, o->len == len + 1 ? "long1" : "long");
	case 2:
		o->error = err_out_of_range(&q->r);
		o->len = one_in(&q->r, 4) ? len : 0;
		return name(q, "err-range");
	case 3:
		set_len(o, len ? len : 8);
		o->error = err_odd(&q->r);
		return name(q, "err-payload");
	case 4:
		q->xport = X_HDRLEN;
		q->xarg = PICK(&q->r, ((const uint32_t[]){ HDR + len + 1,
				HDR + len - 1, 0, 8, HDR - 1, UINT32_MAX }));
		return name(q, "hdrlen");
	case 5:
		q->xport = X_UNIQUE;
		q->xarg = other_unique(q, &what);
		return name(q, what);
	case 6:
		q->xport = X_DUP;
		return name(q, "dup");
	case 7:
		q->xport = X_NOREPLY;
		return name(q, "noreply");
	case 8:
		q->xport = X_LATE;
		q->xarg = 10 + below(&q->r, 2000);
		return name(q, "late");
	case 9:
		q->xport = X_TINY;
		q->xarg = below(&q->r, HDR);
		return name(q, "tiny");
	}
	o->error = err_odd(&q->r);
	o->len = 0;
	name(q, "errno");
}

/* Undo a lie the avoid list forbids */
static void unlie(struct fz_req *q, struct fz_reply *o)
{
	if (q->orig) {
		o->error = q->orig_error;
		memcpy(o->data, q->orig, q->orig_len);
		o->len = q->orig_len;
		free(q->orig);
		q->orig = NULL;
	}
	q->xport = X_NORMAL;
	q->lie[0] = 0;
}

/*
 * Make the answer a lie: the opcode's own kinds half of the time, else
 * one of the frame's. Called with fzd.lock held.
 */
void fz_lie(struct fz_req *q, struct fz_reply *o)
{
	int try;

	for (try = 0; try < 4; try++) {
		if (o->noreply) {
			q->xport = X_FORGET;
			name(q, "reply");
		} else if (one_in(&q->r, 2)) {
			save_orig(q, o);
			lie_op(q, o);
		}
		if (!q->lie[0] && !o->noreply) {
			free(q->orig);
			q->orig = NULL;
			lie_frame(q, o);
		}
		if (q->lie[0] && !fz_avoided(q->lie))
			break;
		unlie(q, o);
	}
	if (!q->lie[0])
		return;
	fz_add(fz_sh->malformed, 1);
	fz_note_lie(q->lie);
}

/* ---------------------------------------------------------- delivery */

static void remember_unique(uint64_t unique)
{
	pthread_mutex_lock(&fzd.lock);
	fzd.answered[fzd.nanswered++ % ARRAY_SIZE(fzd.answered)] = unique;
	pthread_mutex_unlock(&fzd.lock);
}

/*
 * Hold a reply for a few seconds, now and then for good: a request left
 * pending for the rest of the round blocks every caller that wants the
 * same inode lock, so "never" must stay rare for the round to go on.
 */
static void hold(struct fz_req *q, const unsigned char *msg, size_t len)
{
	if (one_in(&q->r, 16))
		fz_hold(q->h->unique, q->h->opcode, NULL, 0, 0);
	else
		fz_hold(q->h->unique, q->h->opcode, msg, len,
			fz_now_ms() + 100 + below(&q->r, 3000));
}

/* After a lie the kernel refused, the request may still wait: answer it */
static void follow_up(struct fz_req *q, unsigned char *buf)
{
	size_t len;

	if (!q->orig)
		return;
	len = fz_msg(buf, q->h->unique, q->orig_error, q->orig, q->orig_len);
	if (one_in(&q->r, 4))
		hold(q, buf, len);
	else
		fz_dev_write(buf, len, &q->r);
}

static const char *errname(ssize_t ret)
{
	const char *n = ret < 0 ? strerrorname_np((int)-ret) : "ok";

	return n ? n : "E?";
}

void fz_deliver(struct fz_req *q, struct fz_reply *o)
{
	unsigned char *buf = o->data - HDR;
	struct fuse_out_header *oh = (void *)buf;
	uint64_t unique = q->h->unique;
	size_t len;
	ssize_t ret = 0;

	if (o->noreply && q->xport != X_FORGET)
		return;
	len = fz_msg(buf, unique, o->error, o->data, o->len);
	switch (q->xport) {
	case X_NORMAL:
	case X_FORGET:
		ret = fz_dev_write(buf, len, &q->r);
		break;
	case X_HDRLEN:
		oh->len = q->xarg;
		ret = fz_dev_write(buf, len, &q->r);
		break;
	case X_UNIQUE:
		oh->unique = q->xarg;
		ret = fz_dev_write(buf, len, &q->r);
		oh->unique = unique;
		fz_dev_write(buf, len, &q->r);
		break;
	case X_DUP:
		ret = fz_dev_write(buf, len, &q->r);
		ret = fz_dev_write(buf, len, &q->r);
		break;
	case X_NOREPLY:
		hold(q, buf, len);
		break;
	case X_LATE:
		fz_hold(unique, q->h->opcode, buf, len,
			fz_now_ms() + (long)q->xarg);
		break;
	case X_TINY:
		ret = fz_dev_write(buf, q->xarg, NULL);
		break;
	}
	if (ret == -EINVAL || q->xport == X_TINY)
		follow_up(q, buf);
	/* a held one is still waiting: not an "old" unique yet; a
	 * checker's may come again (NOTIFY_RESEND) and get a lie then */
	if (q->xport != X_LATE && q->xport != X_NOREPLY && !q->honest)
		remember_unique(unique);
	if (q->lie[0])
		fz_trace("u=%llu %s lie=%s -> %s", (unsigned long long)unique,
			 fz_opname(q->h->opcode), q->lie, errname(ret));
	else if (fz_opt.verbose > 1)
		fz_trace("-> u=%llu %s err=%d len=%zu: %s",
			 (unsigned long long)unique, fz_opname(q->h->opcode),
			 o->error, o->len, errname(ret));
	free(q->orig);
	q->orig = NULL;
}

/* ------------------------------------------------------- INTERRUPT */

/* A header-only message for unique, maybe with junk and a lying len */
static void send_hdr(uint64_t unique, int32_t error, size_t extra,
		     uint32_t hdrlen)
{
	unsigned char buf[HDR + 16];
	size_t len;

	memset(buf, 0, sizeof(buf));
	len = fz_msg(buf, unique, error, buf + HDR, extra);
	if (hdrlen)
		((struct fuse_out_header *)buf)->len = hdrlen;
	fz_dev_write(buf, len, NULL);
}

/* The malformed answers to an INTERRUPT, by the choice c (87..99) */
static void interrupt_lie(struct fz_req *q, uint64_t target, uint32_t c)
{
	if (c < 87)
		name(q, "payload");
	else if (c < 92)
		name(q, "answer-target");
	else if (c < 96)
		name(q, "err-range");
	else
		name(q, "hdrlen");
	if (fz_avoided(q->lie))
		return;
	fz_add(fz_sh->malformed, 1);
	fz_note_lie(q->lie);
	fz_trace("u=%llu INTERRUPT of %llu lie=%s",
		 (unsigned long long)q->h->unique, (unsigned long long)target,
		 q->lie);
	if (c < 87)
		send_hdr(q->h->unique, -EAGAIN, 8, 0);
	else if (c < 92)
		send_hdr(target, -EINTR, 0, 0);
	else if (c < 96)
		send_hdr(q->h->unique, err_out_of_range(&q->r), 0, 0);
	else
		send_hdr(q->h->unique, -EAGAIN, 0, HDR + 4);
}

/*
 * An INTERRUPT: ignored, answered in one of the ways the protocol has
 * (the request ends with EINTR, "try again", "not supported"), or in one
 * it has not.
 */
void fz_interrupt(struct fz_req *q)
{
	uint64_t target = q->arglen >= sizeof(struct fuse_interrupt_in) ?
		((const struct fuse_interrupt_in *)q->arg)->unique : 0;
	uint32_t c = below(&q->r, 100);

	/* a request held back is mostly given up, as a daemon would */
	if (c < 65 && (c >= 45 || one_in(&q->r, 2)) &&
	    fz_release_held(target, -EINTR)) {
		fz_trace("INTERRUPT u=%llu: held request answered EINTR",
			 (unsigned long long)target);
		return;
	}
	if (c < 65)
		return;
	if (c < 73)
		return send_hdr(q->h->unique, -EAGAIN, 0, 0);
	if (c < 78)
		return send_hdr(q->h->unique, -ENOSYS, 0, 0);
	if (c < 82)
		return send_hdr(q->h->unique, 0, 0, 0);
	interrupt_lie(q, target, c);
}
