// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: names: LOOKUP, dentry timeouts, symlinks, directory inodes.
 */
#include <linux/jiffies.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "fusept_i.h"

void fusept_set_entry_time(struct dentry *entry, const struct fuse_entry_out *o)
{
	u64 expire = fusept_expire(o->entry_valid, o->entry_valid_nsec);

	/* 0 means "ask again every time" */
	entry->d_time = expire ? (unsigned long)expire : 0;
}

static bool fusept_entry_expired(struct dentry *entry)
{
	unsigned long t = READ_ONCE(entry->d_time);

	return !t || time_after_eq(jiffies, t);
}

static int fusept_send_lookup(struct inode *dir, const struct qstr *name,
			      struct fuse_entry_out *out)
{
	struct fusept_args args = {
		.opcode = FUSE_LOOKUP,
		.nodeid = fusept_nodeid(dir),
		.in_numargs = 1,
		.in[0] = { name->name, name->len + 1 },
		.out = out,
		.out_size = sizeof(*out),
	};
	int err;

	if (name->len > FUSEPT_NAME_MAX)
		return -ENAMETOOLONG;
	memset(out, 0, sizeof(*out));
	err = fusept_send(fusept_i_conn(dir), &args);
	if (err)
		return err;
	err = fusept_check_entry(out);
	if (err && out->nodeid)
		fusept_forget_one(fusept_i_conn(dir), out->nodeid);
	return err;
}

/*
 * Look a name up: the inode (with a lookup counted), NULL for a negative
 * entry, or an error.
 */
static struct inode *fusept_lookup_name(struct inode *dir,
					const struct qstr *name,
					struct fuse_entry_out *out)
{
	struct fusept_conn *fc = fusept_i_conn(dir);
	u64 attr_version = atomic64_read(&fc->attr_version);
	struct inode *inode;
	int err;

	err = fusept_send_lookup(dir, name, out);
	if (err == -ENOENT) {
		memset(out, 0, sizeof(*out));
		return NULL;
	}
	if (err)
		return ERR_PTR(err);
	if (!out->nodeid)
		return NULL;
	inode = fusept_iget(dir->i_sb, out->nodeid, out->generation, &out->attr,
			    fusept_expire(out->attr_valid, out->attr_valid_nsec),
			    attr_version);
	if (!inode) {
		fusept_forget_one(fc, out->nodeid);
		return ERR_PTR(-ENOMEM);
	}
	return inode;
}

static struct dentry *fusept_lookup(struct inode *dir, struct dentry *entry,
				    unsigned int flags)
{
	struct fuse_entry_out out;
	struct dentry *alias;
	struct inode *inode;

	inode = fusept_lookup_name(dir, &entry->d_name, &out);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	alias = d_splice_alias(inode, entry);
	if (IS_ERR(alias))
		return alias;
	fusept_set_entry_time(alias ? alias : entry, &out);
	return alias;
}

static bool fusept_same_node(struct inode *inode,
			     const struct fuse_entry_out *out)
{
	return out->nodeid == fusept_nodeid(inode) &&
	       !((inode->i_mode ^ out->attr.mode) & S_IFMT);
}

/* Ask the daemon again whether a cached name still means the same node */
static int fusept_revalidate_slow(struct dentry *entry)
{
	struct inode *inode = d_inode(entry);
	struct fusept_conn *fc = fusept_i_conn(inode);
	u64 attr_version = atomic64_read(&fc->attr_version);
	struct fuse_entry_out out;
	struct dentry *parent;
	struct fusept_inode *fi;
	int err;

	parent = dget_parent(entry);
	err = fusept_send_lookup(d_inode(parent), &entry->d_name, &out);
	dput(parent);
	if (err == -ENOMEM || err == -EINTR)
		return err;
	if (err || !out.nodeid)
		return 0;
	if (!fusept_same_node(inode, &out)) {
		fusept_forget_one(fc, out.nodeid);
		return 0;
	}
	fi = fusept_i(inode);
	spin_lock(&fi->lock);
	fi->nlookup++;
	spin_unlock(&fi->lock);
	fusept_apply_attr(inode, &out.attr,
			  fusept_expire(out.attr_valid, out.attr_valid_nsec),
			  attr_version);
	fusept_set_entry_time(entry, &out);
	return 1;
}

int fusept_revalidate(struct dentry *entry, unsigned int flags)
{
	struct inode *inode = d_inode_rcu(entry);

	if (inode && fusept_i(inode)->bad)
		return 0;
	if (!fusept_entry_expired(entry) &&
	    !(flags & (LOOKUP_EXCL | LOOKUP_REVAL)))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;
	if (!inode)
		return 0;
	return fusept_revalidate_slow(entry);
}

const struct dentry_operations fusept_dentry_ops = {
	.d_revalidate	= fusept_d_revalidate,
};

static const char *fusept_get_link(struct dentry *entry, struct inode *inode,
				   struct delayed_call *done)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_args args = {
		.opcode = FUSE_READLINK,
		.nodeid = fusept_nodeid(inode),
		.out_var = true,
		.out_size = PAGE_SIZE - 1,
	};
	ssize_t len;
	char *link;

	if (!entry)
		return ERR_PTR(-ECHILD);
	link = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!link)
		return ERR_PTR(-ENOMEM);
	args.out = link;
	len = fusept_send(fc, &args);
	if (len < 0) {
		kfree(link);
		return ERR_PTR(len);
	}
	link[len] = '\0';
	set_delayed_call(done, kfree_link, link);
	return link;
}

static int fusept_dir_open(struct inode *inode, struct file *file)
{
	return fusept_open_common(inode, file, true);
}

static int fusept_dir_release(struct inode *inode, struct file *file)
{
	return fusept_release_common(inode, file, true);
}

const struct file_operations fusept_dir_fops = {
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= fusept_readdir,
	.open		= fusept_dir_open,
	.release	= fusept_dir_release,
};

const struct inode_operations fusept_dir_iops = {
	.lookup		= fusept_lookup,
	.getattr	= fusept_getattr,
	.permission	= fusept_permission,
	.listxattr	= fusept_listxattr,
};

const struct inode_operations fusept_symlink_iops = {
	.get_link	= fusept_get_link,
	.getattr	= fusept_getattr,
	.listxattr	= fusept_listxattr,
};

const struct inode_operations fusept_special_iops = {
	.getattr	= fusept_getattr,
	.permission	= fusept_permission,
	.listxattr	= fusept_listxattr,
};
