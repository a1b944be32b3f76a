// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: hierarchical directories (inode passthrough). A directory bound
 * to a registration whose ops_mask has LOOKUP is the daemon's promise that
 * its names are those of the lower directory and that the nodeid of each
 * regular file in it is the file's lower st_ino. The kernel then looks
 * names up in the lower directory by itself:
 *
 *  - a regular file becomes a *kernel-made* inode (fi->kmade), bound to a
 *    registration the kernel makes (fusept_pt_backing_child: an O_PATH file
 *    with the directory's credentials, serving GETATTR, OPEN, READ and
 *    WRITE, and SETATTR if the directory's registration does: then it is
 *    passthrough-only, and tells the daemon of its setattrs as the
 *    directory's binding asked). The daemon has not counted it: no FORGET
 *    is sent for it;
 *  - a name the lower directory lacks is a negative entry;
 *  - anything else (a directory, a symlink, a device, a mountpoint, an
 *    inode number that cannot be a nodeid, an inode the kernel has bound
 *    elsewhere) is looked up by the daemon, as in any directory.
 *
 * Before a request names a kernel-made inode the daemon has not counted
 * (SETATTR, LINK, the xattr operations, STATFS), fusept_hier_known() sends
 * the LOOKUP of its name, which must give the same nodeid; from then on it
 * is counted and forgotten like any other inode. CREATE, UNLINK, RENAME and
 * the other namespace operations name only the directory, which the daemon
 * always knows.
 *
 * A kernel-made name stays valid while its directory is hierarchical and
 * the lower dentry is hashed, under the same lower parent and name: what
 * changes on the lower file system directly is seen at the next walk.
 * Negative names are looked up again every time, in the lower directory.
 */
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/namei.h>

#include "fusept_i.h"

/* Is dir hierarchical (bound with LOOKUP)? Safe in RCU walk */
bool fusept_hier_dir(struct inode *dir)
{
	return fusept_pt_bound_ops(dir) & FUSE_PASSTHROUGH_OP(FUSE_LOOKUP);
}

/*
 * Look a name up in the lower directory, with the directory's credentials.
 * entry is in a lookup, so its name is stable; the lower lookup writes the
 * hash of its own copy.
 */
static struct dentry *fusept_hier_lower(struct fusept_backing *pb,
					struct dentry *entry)
{
	struct qstr name = QSTR_INIT(entry->d_name.name, entry->d_name.len);
	const struct cred *old;
	struct dentry *lower;

	old = override_creds(pb->cred);
	lower = fusept_lookup_lower(&pb->file->f_path, &name);
	revert_creds(old);
	return lower;
}

/* May the kernel make the fusept inode of this lower file by itself? */
static bool fusept_hier_usable(struct dentry *lower)
{
	return d_is_reg(lower) && !d_mountpoint(lower);
}

/* Is inode bound to the lower inode of fb? */
static bool fusept_hier_bound_to(struct inode *inode, struct fusept_backing *fb)
{
	struct fusept_backing *bound = fusept_pt_bound(inode, FUSE_GETATTR);
	bool same = bound && file_inode(bound->file) == file_inode(fb->file);

	fusept_pt_backing_put(bound);
	return same;
}

/*
 * The inode of nodeid attr->ino for the lower file fb names: a new,
 * kernel-made one, or the cached one if it is bound to the same lower
 * inode. NULL when the kernel has that nodeid unbound (the daemon decides
 * about inodes it knows) or bound elsewhere: the daemon must answer.
 */
static struct inode *fusept_hier_iget(struct inode *dir,
				      struct fusept_backing *fb,
				      const struct fuse_attr *attr)
{
	struct inode *inode = fusept_iget_locked(dir->i_sb, attr->ino);
	struct fusept_trailer tb = { .fb = fb };

	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (inode_state_read_once(inode) & I_NEW) {
		inode->i_generation = file_inode(fb->file)->i_generation;
		fusept_i(inode)->kmade = true;
		fusept_init_inode(inode, attr);
		fusept_apply_attr(inode, attr,
				  fusept_pt_attr_expire(fusept_i(inode)), 0);
		/* a new inode takes it, and tells as the directory does */
		if (READ_ONCE(fusept_i(dir)->pt_tell))
			tb.flags = FUSEPT_BIND_TELL_SETATTR;
		fusept_pt_bind_new(inode, &tb);
		unlock_new_inode(inode);
		return inode;
	}
	if (fusept_i(inode)->bad || !fusept_hier_bound_to(inode, fb)) {
		iput(inode);
		return NULL;
	}
	return inode;
}

/* Make a kernel-made inode for a lower regular file; NULL: ask the daemon */
static struct inode *fusept_hier_child(struct inode *dir,
				       struct fusept_backing *pb,
				       struct dentry *lower)
{
	struct fusept_backing *fb;
	struct fuse_attr attr;
	struct inode *inode;
	int err;

	fb = fusept_pt_backing_child(pb, lower);
	if (IS_ERR(fb))
		return ERR_CAST(fb);
	err = fusept_pt_lower_attr(fusept_i_conn(dir), fb, &attr);
	if (err) {
		inode = ERR_PTR(err);
		goto out_put;
	}
	/* 0 is no node, FUSE_ROOT_ID the root's */
	inode = NULL;
	if (attr.ino != 0 && attr.ino != FUSE_ROOT_ID && S_ISREG(attr.mode))
		inode = fusept_hier_iget(dir, fb, &attr);
out_put:
	fusept_pt_backing_put(fb);	/* the inode holds its own */
	return inode;
}

/*
 * ->lookup in a hierarchical directory. *daemon is set when the daemon
 * must answer instead (dir is not hierarchical, or the name is not a
 * regular file); otherwise entry has been made negative or tied to a
 * kernel-made inode, as d_splice_alias() returns, or an error.
 */
struct dentry *fusept_hier_lookup(struct inode *dir, struct dentry *entry,
				  bool *daemon)
{
	struct fusept_backing *pb = fusept_pt_bound(dir, FUSE_LOOKUP);
	struct dentry *lower, *res = NULL;
	struct inode *inode = NULL;

	*daemon = !pb;
	if (!pb)
		return NULL;
	lower = fusept_hier_lower(pb, entry);
	if (IS_ERR(lower)) {
		res = lower;
		goto out_put;
	}
	if (d_is_positive(lower)) {
		inode = fusept_hier_usable(lower) ?
			fusept_hier_child(dir, pb, lower) : NULL;
		*daemon = !inode;
	}
	dput(lower);
	if (IS_ERR(inode)) {
		res = ERR_CAST(inode);
	} else if (!*daemon) {
		entry->d_fsdata = FUSEPT_D_KMADE;
		res = d_splice_alias(inode, entry);
	}
out_put:
	fusept_pt_backing_put(pb);
	return res;
}

/* Is the lower dentry of fb still name in the lower directory of pb? */
static bool fusept_hier_same(struct fusept_backing *pb,
			     struct fusept_backing *fb,
			     const struct qstr *name)
{
	struct dentry *lower = fb->file->f_path.dentry;
	bool same;

	if (fb->file->f_path.mnt != pb->file->f_path.mnt)
		return false;
	spin_lock(&lower->d_lock);
	same = !d_unhashed(lower) &&
	       lower->d_parent == pb->file->f_path.dentry &&
	       lower->d_name.len == name->len &&
	       !memcmp(lower->d_name.name, name->name, name->len);
	spin_unlock(&lower->d_lock);
	return same;
}

/*
 * ->d_revalidate of a kernel-made name (dir and name stable, or in RCU
 * walk as the VFS passes them): valid while the lower dentry it came from
 * is still that name in the lower directory
 */
int fusept_hier_valid(struct inode *dir, const struct qstr *name,
		      struct inode *inode)
{
	struct fusept_backing *pb = fusept_pt_bound(dir, FUSE_LOOKUP);
	struct fusept_backing *fb = fusept_pt_bound(inode, FUSE_GETATTR);
	int ret = pb && fb && fusept_hier_same(pb, fb, name);

	fusept_pt_backing_put(fb);
	fusept_pt_backing_put(pb);
	return ret;
}

/*
 * Make a kernel-made inode known to the daemon before a request names it:
 * the LOOKUP of the name entry has (or of an alias, without one), which
 * must give the inode's own nodeid, counts it.
 */
int fusept_hier_known(struct dentry *entry, struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);
	struct fuse_entry_out out;
	struct name_snapshot name;
	struct dentry *parent;
	struct inode *found;
	int err = 0;

	if (!fi->kmade || READ_ONCE(fi->nlookup))
		return 0;
	entry = entry ? dget(entry) : d_find_alias(inode);
	if (!entry)
		return -ESTALE;
	parent = dget_parent(entry);
	take_dentry_name_snapshot(&name, entry);
	found = fusept_lookup_name(d_inode(parent), &name.name, &out);
	release_dentry_name_snapshot(&name);
	dput(parent);
	dput(entry);
	if (IS_ERR(found))
		return PTR_ERR(found);
	if (!found)		/* renamed or removed meanwhile */
		err = -ESTALE;
	else if (found != inode)	/* the daemon broke its promise */
		err = -EIO;
	iput(found);
	return err;
}
