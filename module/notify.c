// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: notifications the daemon sends unasked (unique 0): drop cached
 * data, attributes or names that changed behind the kernel's back, push
 * data into the page cache or ask what it holds, wake pollers.
 */
#include <linux/dcache.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "fusept_i.h"

static int fusept_notify_inval_inode(struct fusept_conn *fc, const void *buf,
				     size_t size)
{
	const struct fuse_notify_inval_inode_out *out = buf;
	struct inode *inode;
	pgoff_t first, last;

	if (size != sizeof(*out))
		return -EINVAL;
	inode = fusept_ilookup(fc, out->ino);
	if (!inode)
		return -ENOENT;
	fusept_invalidate_attr(inode);
	if (out->off >= 0 && S_ISREG(inode->i_mode)) {
		first = out->off >> PAGE_SHIFT;
		last = out->len > 0 ?
			(out->off + out->len - 1) >> PAGE_SHIFT : (pgoff_t)-1;
		invalidate_inode_pages2_range(inode->i_mapping, first, last);
	}
	iput(inode);
	return 0;
}

/* The name's dentry under the parent node, with a reference, or NULL */
static struct dentry *fusept_notify_dentry(struct inode *parent,
					   const char *name, u32 len)
{
	struct qstr q = QSTR_INIT(name, len);
	struct dentry *dir, *entry;

	dir = d_find_alias(parent);
	if (!dir)
		return NULL;
	entry = d_hash_and_lookup(dir, &q);
	dput(dir);
	return IS_ERR(entry) ? NULL : entry;
}

/*
 * INVAL_ENTRY forgets a name (or just lets it expire); DELETE also says the
 * node it named is gone.
 */
static int fusept_inval_entry(struct fusept_conn *fc, u64 parent_id,
			      u64 child_id, const char *name, u32 len,
			      bool expire_only)
{
	struct inode *parent = fusept_ilookup(fc, parent_id);
	struct dentry *entry;
	int err = -ENOENT;

	if (!parent)
		return -ENOENT;
	inode_lock_nested(parent, I_MUTEX_PARENT);
	fusept_invalidate_attr(parent);
	entry = fusept_notify_dentry(parent, name, len);
	if (!entry)
		goto out_unlock;
	entry->d_time = 0;
	err = 0;
	if (child_id) {
		struct inode *inode = d_inode(entry);

		if (!inode || fusept_nodeid(inode) != child_id) {
			err = -ENOENT;
		} else {
			fusept_invalidate_attr(inode);
			d_invalidate(entry);
		}
	} else if (!expire_only) {
		d_invalidate(entry);
	}
	dput(entry);
out_unlock:
	inode_unlock(parent);
	iput(parent);
	return err;
}

static int fusept_notify_entry(struct fusept_conn *fc, int code,
			       const void *buf, size_t size)
{
	size_t head = code == FUSE_NOTIFY_DELETE ?
		sizeof(struct fuse_notify_delete_out) :
		sizeof(struct fuse_notify_inval_entry_out);
	u64 parent, child = 0;
	bool expire_only = false;
	const char *name;
	u32 len;

	if (size < head)
		return -EINVAL;
	if (code == FUSE_NOTIFY_DELETE) {
		const struct fuse_notify_delete_out *out = buf;

		parent = out->parent;
		child = out->child;
		len = out->namelen;
	} else {
		const struct fuse_notify_inval_entry_out *out = buf;

		parent = out->parent;
		len = out->namelen;
		expire_only = out->flags & FUSE_EXPIRE_ONLY;
	}
	name = (const char *)buf + head;
	if (size != head + len + 1 || name[len] || !fusept_name_ok(name, len))
		return -EINVAL;
	return fusept_inval_entry(fc, parent, child, name, len, expire_only);
}

/* Copy len bytes of the daemon's data into the page cache at pos */
static int fusept_store_page(struct inode *inode, loff_t pos, size_t len,
			     loff_t end, struct iov_iter *from)
{
	size_t off = offset_in_page(pos);
	struct fusept_pg *pg;
	char *addr;
	int err = 0;

	pg = fusept_pg_grab(inode->i_mapping, pos >> PAGE_SHIFT);
	if (!pg)
		return -ENOMEM;
	addr = fusept_pg_map(pg);
	if (copy_from_iter(addr + off, len, from) != len)
		err = -EFAULT;
	/* a page wholly known (or known up to the end of file) is valid */
	if (!err && !fusept_pg_uptodate(pg) && !off &&
	    (len == PAGE_SIZE || pos + len == end)) {
		memset(addr + len, 0, PAGE_SIZE - len);
		fusept_pg_mark_uptodate(pg);
	}
	fusept_pg_unmap(pg, addr);
	fusept_pg_unlock(pg);
	fusept_pg_put(pg);
	return err;
}

/* STORE: the daemon pushes file data into the kernel's page cache */
static int fusept_notify_store(struct fusept_conn *fc, struct iov_iter *from,
			       size_t size)
{
	struct fuse_notify_store_out out;
	struct inode *inode;
	loff_t pos, end;
	size_t len;
	int err = 0;

	if (size < sizeof(out))
		return -EINVAL;
	if (!copy_from_iter_full(&out, sizeof(out), from))
		return -EFAULT;
	if (out.size != size - sizeof(out) || out.offset > MAX_LFS_FILESIZE ||
	    out.size > MAX_LFS_FILESIZE - out.offset)
		return -EINVAL;
	inode = fusept_ilookup(fc, out.nodeid);
	if (!inode)
		return -ENOENT;
	if (!S_ISREG(inode->i_mode)) {
		err = -EINVAL;
		goto out_iput;
	}
	pos = out.offset;
	end = pos + out.size;
	if (end > i_size_read(inode))
		fusept_write_done(inode, end);
	for (; pos < end && !err; pos += len) {
		len = min_t(loff_t, PAGE_SIZE - offset_in_page(pos), end - pos);
		err = fusept_store_page(inode, pos, len, i_size_read(inode),
					from);
	}
out_iput:
	iput(inode);
	return err;
}

struct fusept_retrieve {
	struct fusept_args args;
	struct fuse_notify_retrieve_in in;
	char data[];
};

static void fusept_retrieve_end(struct fusept_conn *fc,
				struct fusept_args *args, int error)
{
	atomic_dec(&fc->num_notify_replies);
	kvfree(container_of(args, struct fusept_retrieve, args));
}

/*
 * The cached, valid pages from pos on, up to len bytes: copied into buf,
 * or (buf NULL) only counted.
 */
static size_t fusept_retrieve_copy(struct inode *inode, loff_t pos,
				   size_t len, char *buf)
{
	size_t done = 0, n, off;
	struct fusept_pg *pg;
	char *addr;

	while (done < len) {
		off = offset_in_page(pos + done);
		n = min_t(size_t, PAGE_SIZE - off, len - done);
		pg = fusept_pg_find(inode->i_mapping, (pos + done) >> PAGE_SHIFT);
		if (!pg)
			break;
		if (!fusept_pg_uptodate(pg)) {
			fusept_pg_put(pg);
			break;
		}
		if (buf) {
			addr = fusept_pg_map(pg);
			memcpy(buf + done, addr + off, n);
			fusept_pg_unmap(pg, addr);
		}
		fusept_pg_put(pg);
		done += n;
	}
	return done;
}

/* Bytes a RETRIEVE of out can return: cached, in the file, max_write */
static size_t fusept_retrieve_len(struct fusept_conn *fc, struct inode *inode,
				  const struct fuse_notify_retrieve_out *out)
{
	loff_t isize = i_size_read(inode);
	size_t len;

	if (!S_ISREG(inode->i_mode) || out->offset >= isize)
		return 0;
	len = min_t(u64, min_t(u32, out->size, fc->max_write),
		    isize - out->offset);
	return fusept_retrieve_copy(inode, out->offset, len, NULL);
}

/*
 * RETRIEVE: the daemon asks for what the page cache holds of a range; it
 * gets a NOTIFY_REPLY message carrying its notify_unique and the data.
 * Replies it has not read yet are bounded (EAGAIN beyond): a daemon that
 * asks without reading cannot make the kernel hold more and more memory.
 * (Mainline has no such bound.)
 */
static int fusept_notify_retrieve(struct fusept_conn *fc, const void *buf,
				  size_t size)
{
	const struct fuse_notify_retrieve_out *out = buf;
	struct fusept_retrieve *r;
	struct inode *inode;
	size_t len;
	int err;

	if (size != sizeof(*out))
		return -EINVAL;
	inode = fusept_ilookup(fc, out->nodeid);
	if (!inode)
		return -ENOENT;
	err = -EAGAIN;
	if (atomic_inc_return(&fc->num_notify_replies) >
	    FUSEPT_MAX_NOTIFY_REPLIES)
		goto out_dec;
	len = fusept_retrieve_len(fc, inode, out);
	err = -ENOMEM;
	r = kvzalloc(struct_size(r, data, len), GFP_KERNEL_ACCOUNT);
	if (!r)
		goto out_dec;
	len = fusept_retrieve_copy(inode, out->offset, len, r->data);
	iput(inode);
	r->in.offset = out->offset;
	r->in.size = len;
	r->args.opcode = FUSE_NOTIFY_REPLY;
	r->args.nodeid = out->nodeid;
	r->args.unique = out->notify_unique;
	r->args.in_numargs = 2;
	r->args.in[0].value = &r->in;
	r->args.in[0].size = sizeof(r->in);
	r->args.in[1].value = r->data;
	r->args.in[1].size = len;
	r->args.force = true;
	r->args.background = true;
	r->args.end = fusept_retrieve_end;
	err = fusept_send(fc, &r->args);
	if (err) {
		atomic_dec(&fc->num_notify_replies);
		kvfree(r);
	}
	return err;

out_dec:
	atomic_dec(&fc->num_notify_replies);
	iput(inode);
	return err;
}

static int fusept_notify_poll(struct fusept_conn *fc, const void *buf,
			      size_t size)
{
	const struct fuse_notify_poll_wakeup_out *out = buf;

	if (size != sizeof(*out))
		return -EINVAL;
	return fusept_poll_wakeup(fc, out->kh);
}

/* The small notifications: read whole, then acted on; others are EINVAL */
static int fusept_notify_small(struct fusept_conn *fc, int code,
			       const void *buf, size_t size)
{
	switch (code) {
	case FUSE_NOTIFY_POLL:
		return fusept_notify_poll(fc, buf, size);
	case FUSE_NOTIFY_INVAL_INODE:
		return fusept_notify_inval_inode(fc, buf, size);
	case FUSE_NOTIFY_RETRIEVE:
		return fusept_notify_retrieve(fc, buf, size);
	case FUSE_NOTIFY_INVAL_ENTRY:
	case FUSE_NOTIFY_DELETE:
		return fusept_notify_entry(fc, code, buf, size);
	}
	return -EINVAL;
}

/* A notification: code is the out header's error field, payload follows */
ssize_t fusept_notify(struct fusept_conn *fc, int code, struct iov_iter *from,
		      size_t size)
{
	void *buf;
	int err;

	if (code == FUSE_NOTIFY_STORE) {
		down_read(&fc->killsb);
		err = fusept_notify_store(fc, from, size);
		up_read(&fc->killsb);
		return err;
	}
	if (size > sizeof(struct fuse_notify_delete_out) + FUSEPT_NAME_MAX + 1)
		return -EINVAL;
	buf = kmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (!copy_from_iter_full(buf, size, from)) {
		kfree(buf);
		return -EFAULT;
	}
	down_read(&fc->killsb);
	err = fusept_notify_small(fc, code, buf, size);
	up_read(&fc->killsb);
	kfree(buf);
	return err;
}
