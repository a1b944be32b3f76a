// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: inode passthrough. A daemon that agreed FUSEPT_INODE_PASSTHROUGH
 * in INIT may end an entry reply with a trailer naming a registration
 * (BACKING_OPEN with an ops_mask): the inode is then bound to that lower
 * file. A bound inode takes its attributes from the lower inode (GETATTR,
 * which every binding has), and with OPEN in the mask the kernel opens the
 * lower file itself: no OPEN, FLUSH or RELEASE, and the kernel judges
 * permission from the lower attributes before it opens anything with the
 * daemon's credentials. Namespace operations always reach the daemon.
 *
 * Lifetime: fi->bind holds one reference on the registration. It is set
 * once (a second binding must name the same lower inode), cleared by
 * FUSEPT_DEV_IOC_UNBIND and at evict. Writers hold fi->lock; readers use
 * RCU and take a reference with refcount_inc_not_zero() when they sleep:
 * the registration is freed after a grace period (fusept_pt_backing_put).
 * Files already open keep their own lower file after an unbind.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "fusept_i.h"

#define FUSEPT_OP_GETATTR	FUSE_PASSTHROUGH_OP(FUSE_GETATTR)

/*
 * May a trailer's registration bind an inode of this type? It needs the
 * GETATTR op and the type of the entry. fb may be NULL (no trailer, or ID
 * 0) or an error (a trailer that named nothing).
 */
int fusept_pt_bind_check(struct fusept_backing *fb, umode_t mode)
{
	if (IS_ERR_OR_NULL(fb))
		return PTR_ERR_OR_ZERO(fb);
	if (!(fb->ops & FUSEPT_OP_GETATTR))
		return -EIO;
	if ((file_inode(fb->file)->i_mode ^ mode) & S_IFMT)
		return -EIO;
	return 0;
}

/*
 * Bind inode to fb (checked with fusept_pt_bind_check). A second binding
 * of the same lower inode changes nothing, one of another is the daemon's
 * bug: -EIO. An inode with cached opens or pages stays unbound (-EBUSY):
 * its page cache and the lower file would both claim to be the data.
 */
static int fusept_pt_bind_inode(struct inode *inode, struct fusept_backing *fb)
{
	struct fusept_inode *fi = fusept_i(inode);
	struct inode *lower;
	struct fusept_backing *old;
	int err = 0;

	if (!fb)
		return 0;
	lower = file_inode(fb->file);
	spin_lock(&fi->lock);
	old = rcu_dereference_protected(fi->bind, lockdep_is_held(&fi->lock));
	if (old) {
		if (file_inode(old->file) != lower)
			err = -EIO;
	} else if (fi->backing && file_inode(fi->backing->file) != lower) {
		err = -EIO;
	} else if (fi->cached_opens || inode->i_mapping->nrpages) {
		err = -EBUSY;
	} else {
		rcu_assign_pointer(fi->bind, fusept_pt_backing_get(fb));
		atomic_inc(&fusept_i_conn(inode)->bound);
	}
	spin_unlock(&fi->lock);
	return err;
}

/* The same for a reply, which binds what it can: -EIO or 0 */
int fusept_pt_bind(struct inode *inode, struct fusept_backing *fb)
{
	int err = fusept_pt_bind_inode(inode, fb);

	return err == -EBUSY ? 0 : err;
}

/*
 * A new inode (I_NEW), which nobody else can see yet, takes the binding of
 * the reply that made it: a regular file bound with SETATTR and OPEN is
 * passthrough-only from then on (fi->pt_only)
 */
void fusept_pt_bind_new(struct inode *inode, const struct fusept_trailer *tb)
{
	const u64 want = FUSE_PASSTHROUGH_OP(FUSE_SETATTR) |
			 FUSE_PASSTHROUGH_OP(FUSE_OPEN);

	if (!tb->fb || fusept_pt_bind_inode(inode, tb->fb))
		return;
	fusept_i(inode)->pt_tell = tb->flags & FUSEPT_BIND_TELL_SETATTR;
	if (S_ISREG(inode->i_mode) && (tb->fb->ops & want) == want)
		fusept_init_pt_only(inode);
}

/*
 * An OPEN reply named fb for passthrough: a registration with GETATTR
 * binds the inode if it is unbound (inodes that READDIRPLUS made had no
 * entry reply to bind them); a bound inode takes only its own lower file.
 */
int fusept_pt_open_bind(struct inode *inode, struct fusept_backing *fb)
{
	struct fusept_backing *bound;
	int err = 0;

	if (fb->ops & FUSEPT_OP_GETATTR)
		return fusept_pt_bind_check(fb, inode->i_mode) ?:
		       fusept_pt_bind(inode, fb);
	bound = fusept_pt_bound(inode, FUSE_GETATTR);
	if (bound && file_inode(bound->file) != file_inode(fb->file))
		err = -EIO;
	fusept_pt_backing_put(bound);
	return err;
}

/*
 * May the daemon name this inode? Only one it has counted: an inode the
 * kernel made in a hierarchical directory is unknown to it until a LOOKUP.
 */
static bool fusept_pt_node_known(struct inode *inode, u64 generation)
{
	return inode && inode->i_generation == generation &&
	       (!fusept_i(inode)->kmade || READ_ONCE(fusept_i(inode)->nlookup));
}

/*
 * FUSEPT_DEV_IOC_BIND: bind an inode the kernel has cached (the root, one
 * looked up before). Unlike a reply, the ioctl can say what went wrong.
 */
int fusept_pt_bind_node(struct fusept_conn *fc, u64 nodeid, u64 generation,
			struct fusept_backing *fb, u32 flags)
{
	struct inode *inode;
	int err = -ENOENT;

	down_read(&fc->killsb);
	inode = fusept_ilookup(fc, nodeid);
	if (fusept_pt_node_known(inode, generation)) {
		err = fusept_pt_bind_check(fb, inode->i_mode) ? -EINVAL :
		      fusept_pt_bind_inode(inode, fb);
		if (err == -EIO)	/* bound to another lower inode */
			err = -EBUSY;
		if (!err)
			WRITE_ONCE(fusept_i(inode)->pt_tell,
				   flags & FUSEPT_BIND_TELL_SETATTR);
	}
	iput(inode);
	up_read(&fc->killsb);
	return err;
}

/* The binding, referenced, if it serves opcode; else NULL */
struct fusept_backing *fusept_pt_bound(struct inode *inode, u32 opcode)
{
	struct fusept_backing *fb;

	rcu_read_lock();
	fb = rcu_dereference(fusept_i(inode)->bind);
	if (fb && (!(fb->ops & FUSE_PASSTHROUGH_OP(opcode)) ||
		   !refcount_inc_not_zero(&fb->count)))
		fb = NULL;
	rcu_read_unlock();
	return fb;
}

/* The operations of the binding, 0 when unbound; safe in RCU walk */
u64 fusept_pt_bound_ops(struct inode *inode)
{
	struct fusept_backing *fb;
	u64 ops = 0;

	rcu_read_lock();
	fb = rcu_dereference(fusept_i(inode)->bind);
	if (fb)
		ops = fb->ops;
	rcu_read_unlock();
	return ops;
}

/* Drop the binding, if any: the daemon answers for the inode again */
bool fusept_pt_unbind_inode(struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);
	struct fusept_backing *fb;

	spin_lock(&fi->lock);
	fb = rcu_dereference_protected(fi->bind, lockdep_is_held(&fi->lock));
	RCU_INIT_POINTER(fi->bind, NULL);
	spin_unlock(&fi->lock);
	if (!fb)
		return false;
	atomic_dec(&fusept_i_conn(inode)->bound);
	fusept_invalidate_attr(inode);
	fusept_pt_backing_put(fb);
	return true;
}

/* FUSEPT_DEV_IOC_UNBIND: only an inode the kernel has, of that generation */
int fusept_pt_unbind(struct fusept_conn *fc, u64 nodeid, u64 generation)
{
	struct inode *inode;
	int err = -ENOENT;

	down_read(&fc->killsb);
	inode = fusept_ilookup(fc, nodeid);
	if (fusept_pt_node_known(inode, generation) &&
	    fusept_pt_unbind_inode(inode))
		err = 0;
	iput(inode);
	up_read(&fc->killsb);
	return err;
}

static void fusept_kstat_to_attr(struct fusept_conn *fc,
				 const struct kstat *st, struct fuse_attr *attr)
{
	attr->size = st->size;
	attr->blocks = st->blocks;
	attr->atime = st->atime.tv_sec;
	attr->atimensec = st->atime.tv_nsec;
	attr->mtime = st->mtime.tv_sec;
	attr->mtimensec = st->mtime.tv_nsec;
	attr->ctime = st->ctime.tv_sec;
	attr->ctimensec = st->ctime.tv_nsec;
	attr->mode = st->mode;
	attr->nlink = st->nlink;
	attr->uid = from_kuid_munged(fc->user_ns, st->uid);
	attr->gid = from_kgid_munged(fc->user_ns, st->gid);
	attr->rdev = new_encode_dev(st->rdev);
	attr->blksize = st->blksize;
}

/* The lower file's attributes, its st_ino too, read with fb's credentials */
int fusept_pt_lower_attr(struct fusept_conn *fc, struct fusept_backing *fb,
			 struct fuse_attr *attr)
{
	const struct cred *old;
	struct kstat st;
	int err;

	old = override_creds(fb->cred);
	err = vfs_getattr(&fb->file->f_path, &st, STATX_BASIC_STATS,
			  AT_STATX_SYNC_AS_STAT);
	revert_creds(old);
	if (err)
		return err;
	fusept_kstat_to_attr(fc, &st, attr);
	attr->ino = st.ino;
	return 0;
}

/*
 * An inode the kernel made (hier.c) has no entry reply's timeout: its
 * attributes serve permission checks for a second after each refresh.
 */
u64 fusept_pt_attr_expire(struct fusept_inode *fi)
{
	if (fi->kmade)
		return get_jiffies_64() + HZ;
	return READ_ONCE(fi->attr_expire);
}

/*
 * A bound inode's attributes: the lower inode's, read with the daemon's
 * credentials, but st_ino, which stays the one of the entry reply (a mount
 * may bind files of several lower file systems). stat(2) reads them every
 * time; permission checks take them as the entry reply gave them until its
 * attribute timeout, which a refresh does not extend, or for a kernel-made
 * inode for a second after each refresh.
 */
static int fusept_pt_refresh(struct inode *inode, struct fusept_backing *fb,
			     struct fuse_attr *attr)
{
	struct fusept_inode *fi = fusept_i(inode);
	int err;

	err = fusept_pt_lower_attr(fusept_i_conn(inode), fb, attr);
	if (err)
		return err;
	attr->ino = inode->i_ino;
	if ((attr->mode ^ inode->i_mode) & S_IFMT)
		return -EIO;
	fusept_apply_attr(inode, attr, fusept_pt_attr_expire(fi), 0);
	return 0;
}

int fusept_pt_getattr(struct inode *inode, struct fusept_backing *fb)
{
	struct fuse_attr attr;

	return fusept_pt_refresh(inode, fb, &attr);
}

/*
 * The binding setattr goes to, referenced, or NULL: the daemon's. A
 * passthrough-only file or a directory bound with SETATTR, on a lower
 * mount without an idmapping (ATTR_UID and ATTR_GID are fusept's ids).
 */
struct fusept_backing *fusept_pt_setattr_bound(struct inode *inode)
{
	struct fusept_backing *fb;

	if (!fusept_i(inode)->pt_only && !S_ISDIR(inode->i_mode))
		return NULL;
	fb = fusept_pt_bound(inode, FUSE_SETATTR);
	if (fb && fusept_path_idmapped(&fb->file->f_path)) {
		fusept_pt_backing_put(fb);
		fb = NULL;
	}
	return fb;
}

struct fusept_tell_args {
	struct fusept_args args;
	struct fuse_setattr_in in;
	struct fuse_attr_out out;
	struct inode *inode;
};

static void fusept_pt_tell_end(struct fusept_conn *fc,
			       struct fusept_args *args, int error)
{
	struct fusept_tell_args *ta =
		container_of(args, struct fusept_tell_args, args);

	iput(ta->inode);
	kfree(ta);
}

/*
 * FUSEPT_BIND_TELL_SETATTR: tell the daemon what was set, with the values
 * the lower inode has now (times explicit, never FATTR_*_NOW), in the
 * background; its reply is not used. The inode stays referenced until
 * then, so that its FORGET cannot overtake the SETATTR.
 */
static void fusept_pt_tell_setattr(struct inode *inode, unsigned int ivalid,
				   const struct fuse_attr *attr)
{
	struct fusept_tell_args *ta;

	ta = kzalloc(sizeof(*ta), GFP_KERNEL | __GFP_NOFAIL);
	if (ivalid & (ATTR_MODE | ATTR_KILL_SUID | ATTR_KILL_SGID))
		ta->in.valid |= FATTR_MODE;
	if (ivalid & ATTR_UID)
		ta->in.valid |= FATTR_UID;
	if (ivalid & ATTR_GID)
		ta->in.valid |= FATTR_GID;
	if (ivalid & ATTR_SIZE)
		ta->in.valid |= FATTR_SIZE;
	if (ivalid & ATTR_ATIME)
		ta->in.valid |= FATTR_ATIME;
	if (ivalid & ATTR_MTIME)
		ta->in.valid |= FATTR_MTIME;
	ta->in.mode = attr->mode;
	ta->in.uid = attr->uid;
	ta->in.gid = attr->gid;
	ta->in.size = attr->size;
	ta->in.atime = attr->atime;
	ta->in.atimensec = attr->atimensec;
	ta->in.mtime = attr->mtime;
	ta->in.mtimensec = attr->mtimensec;
	ta->inode = igrab(inode);
	ta->args.opcode = FUSE_SETATTR;
	ta->args.nodeid = fusept_nodeid(inode);
	ta->args.in_numargs = 1;
	ta->args.in[0].value = &ta->in;
	ta->args.in[0].size = sizeof(ta->in);
	ta->args.out = &ta->out;
	ta->args.out_size = sizeof(ta->out);
	ta->args.background = true;
	ta->args.end = fusept_pt_tell_end;
	if (fusept_send(fusept_i_conn(inode), &ta->args))
		fusept_pt_tell_end(NULL, &ta->args, 0);
}

/* Do attr on the lower inode, as the lower file system's own setattr */
static int fusept_pt_lower_setattr(struct fusept_backing *fb,
				   const struct iattr *attr)
{
	const struct path *path = &fb->file->f_path;
	struct inode *lower = d_inode(path->dentry);
	struct iattr la = *attr;
	const struct cred *old;
	int err;

	/* no fusept file below; the lower file system drops the privileges */
	la.ia_valid &= ~(ATTR_FILE | ATTR_FORCE);
	if (la.ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID)) {
		la.ia_valid &= ~ATTR_MODE;
		la.ia_valid |= ATTR_KILL_PRIV;
	}
	err = mnt_want_write_file(fb->file);
	if (err)
		return err;
	old = override_creds(fb->cred);
	inode_lock(lower);
	err = fusept_notify_change(path, &la);
	inode_unlock(lower);
	revert_creds(old);
	mnt_drop_write_file(fb->file);
	return err;
}

/*
 * setattr of an inode bound with SETATTR (fusept_pt_setattr_bound): the
 * caller's rights are judged on the lower attributes, as with
 * default_permissions, then the change is made on the lower inode with the
 * daemon's credentials (which judge again), and the attributes are copied
 * back. The VFS holds the fusept inode's i_rwsem: the lower file system's
 * freeze protection and i_rwsem are taken under it, which the lock class
 * of a passthrough-only inode allows (inode.c).
 */
int fusept_pt_setattr(struct dentry *entry, struct iattr *attr,
		      struct fusept_backing *fb)
{
	struct inode *inode = d_inode(entry);
	bool tell = READ_ONCE(fusept_i(inode)->pt_tell);
	struct fuse_attr fa;
	int err;

	err = fusept_pt_getattr(inode, fb);
	if (!err && tell)	/* the daemon must know the node it is told of */
		err = fusept_hier_known(entry, inode);
	if (!err)
		err = fusept_setattr_prepare(entry, attr);
	if (!err)
		err = fusept_pt_lower_setattr(fb, attr);
	if (err)
		return err;
	if (fusept_pt_refresh(inode, fb, &fa))
		fusept_invalidate_attr(inode);
	else if (tell)
		fusept_pt_tell_setattr(inode, attr->ia_valid, &fa);
	return 0;
}
