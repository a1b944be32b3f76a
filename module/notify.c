// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: notifications the daemon sends unasked (unique 0): drop cached
 * data, attributes or names that changed behind the kernel's back.
 */
#include <linux/dcache.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "fusept_i.h"

static int fusept_inode_eq(struct inode *inode, void *data)
{
	return fusept_nodeid(inode) == *(u64 *)data;
}

/* The inode of a node, if the kernel has it; call with killsb held */
static struct inode *fusept_ilookup(struct fusept_conn *fc, u64 nodeid)
{
	if (!fc->sb)
		return NULL;
	return ilookup5(fc->sb, nodeid, fusept_inode_eq, &nodeid);
}

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
	q.hash = full_name_hash(dir, q.name, q.len);
	entry = d_lookup(dir, &q);
	dput(dir);
	return entry;
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
	if (!len || len > FUSEPT_NAME_MAX || size != head + len + 1 ||
	    name[len] || memchr(name, '/', len) || memchr(name, 0, len))
		return -EINVAL;
	return fusept_inval_entry(fc, parent, child, name, len, expire_only);
}

/* A notification: code is the out header's error field, payload follows */
ssize_t fusept_notify(struct fusept_conn *fc, int code, struct iov_iter *from,
		      size_t size)
{
	void *buf;
	int err;

	if (code != FUSE_NOTIFY_INVAL_INODE && code != FUSE_NOTIFY_INVAL_ENTRY &&
	    code != FUSE_NOTIFY_DELETE)
		return -EINVAL;
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
	if (code == FUSE_NOTIFY_INVAL_INODE)
		err = fusept_notify_inval_inode(fc, buf, size);
	else
		err = fusept_notify_entry(fc, code, buf, size);
	up_read(&fc->killsb);
	kfree(buf);
	return err;
}
