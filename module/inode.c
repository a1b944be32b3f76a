// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: inodes, their attributes and who may touch them.
 */
#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/fdtable.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "fusept_i.h"

struct inode *fusept_alloc_inode(struct super_block *sb)
{
	struct fusept_inode *fi;

	fi = kmem_cache_alloc(fusept_inode_cachep, GFP_KERNEL);
	if (!fi)
		return NULL;
	fi->forget = kzalloc(sizeof(*fi->forget), GFP_KERNEL);
	if (!fi->forget) {
		kmem_cache_free(fusept_inode_cachep, fi);
		return NULL;
	}
	fi->nodeid = 0;
	fi->nlookup = 0;
	fi->attr_version = 0;
	fi->attr_expire = 0;
	fi->inval_mask = 0;
	fi->bad = false;
	fi->backing = NULL;
	fi->pt_opens = 0;
	fi->cached_opens = 0;
	fi->pt_seen = false;
	fi->kmade = false;
	fi->pt_only = false;
	fi->pt_tell = false;
	RCU_INIT_POINTER(fi->bind, NULL);
	spin_lock_init(&fi->lock);
	INIT_LIST_HEAD(&fi->write_files);
	return &fi->vfs;
}

void fusept_free_inode(struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);

	kfree(fi->forget);
	kmem_cache_free(fusept_inode_cachep, fi);
}

/* No inode outlives its last reference: the daemon holds the data */
int fusept_drop_inode(struct inode *inode)
{
	return 1;
}

/* The kernel drops the inode: give the daemon its lookups back */
void fusept_evict_inode(struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	fusept_pt_unbind_inode(inode);
	if (fi->nlookup) {
		fusept_queue_forget(fusept_i_conn(inode), fi->forget,
				    fi->nodeid, fi->nlookup);
		fi->forget = NULL;
		fi->nlookup = 0;
	}
}

/* A timeout from the daemon as an absolute jiffies64 time */
u64 fusept_expire(u64 sec, u32 nsec)
{
	struct timespec64 ts;

	if (!sec && !nsec)
		return 0;
	ts.tv_sec = min_t(u64, sec, (u64)(MAX_JIFFY_OFFSET / HZ) / 2);
	ts.tv_nsec = min_t(u32, nsec, NSEC_PER_SEC - 1);
	return get_jiffies_64() + timespec64_to_jiffies(&ts);
}

static bool fusept_valid_type(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return true;
	}
	return false;
}

/* Attributes from the daemon must make sense before they touch an inode */
int fusept_check_attr(const struct fuse_attr *attr)
{
	if (!fusept_valid_type(attr->mode))
		return -EIO;
	if (attr->size > MAX_LFS_FILESIZE)
		return -EIO;
	return 0;
}

int fusept_check_entry(const struct fuse_entry_out *out)
{
	if (!out->nodeid)
		return 0;
	if (out->nodeid == FUSE_ROOT_ID)	/* no name leads back to the root */
		return -EIO;
	return fusept_check_attr(&out->attr);
}

static struct timespec64 fusept_ts(u64 sec, u32 nsec)
{
	struct timespec64 ts = {
		.tv_sec = (time64_t)sec,
		.tv_nsec = min_t(u32, nsec, NSEC_PER_SEC - 1),
	};

	return ts;
}

static bool fusept_attr_to_inode(struct inode *inode,
				 const struct fuse_attr *attr)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct timespec64 old_mtime = inode_get_mtime(inode);
	struct timespec64 mtime = fusept_ts(attr->mtime, attr->mtimensec);

	inode->i_ino = attr->ino;
	inode->i_mode = (inode->i_mode & S_IFMT) | (attr->mode & 07777);
	set_nlink(inode, attr->nlink);
	inode->i_uid = make_kuid(fc->user_ns, attr->uid);
	inode->i_gid = make_kgid(fc->user_ns, attr->gid);
	inode->i_blocks = attr->blocks;
	if (attr->blksize && is_power_of_2(attr->blksize))
		inode->i_blkbits = ilog2(attr->blksize);
	else
		inode->i_blkbits = inode->i_sb->s_blocksize_bits;
	inode_set_atime_to_ts(inode, fusept_ts(attr->atime, attr->atimensec));
	inode_set_mtime_to_ts(inode, mtime);
	inode_set_ctime_to_ts(inode, fusept_ts(attr->ctime, attr->ctimensec));
	return !timespec64_equal(&old_mtime, &mtime);
}

/*
 * Take attributes from a reply, unless a newer change of the inode has
 * already been seen (attr_version). The page cache follows the size, and
 * with auto_inval_data the mtime.
 */
void fusept_apply_attr(struct inode *inode, const struct fuse_attr *attr,
		       u64 expire, u64 attr_version)
{
	struct fusept_inode *fi = fusept_i(inode);
	struct fusept_conn *fc = fusept_i_conn(inode);
	bool mtime_changed;
	loff_t oldsize;

	spin_lock(&fi->lock);
	if (attr_version && fi->attr_version > attr_version) {
		spin_unlock(&fi->lock);
		return;
	}
	fi->attr_version = atomic64_inc_return(&fc->attr_version);
	fi->attr_expire = expire;
	fi->inval_mask = 0;
	mtime_changed = fusept_attr_to_inode(inode, attr);
	oldsize = i_size_read(inode);
	i_size_write(inode, attr->size);
	spin_unlock(&fi->lock);

	if (!S_ISREG(inode->i_mode))
		return;
	if (attr->size < oldsize)
		truncate_pagecache(inode, attr->size);
	/*
	 * A size the kernel did not make means the data changed elsewhere,
	 * even when the mtime did not (two writes within a clock tick).
	 */
	if (attr->size != oldsize ||
	    (mtime_changed && fusept_has(fc, FUSE_AUTO_INVAL_DATA)))
		invalidate_inode_pages2(inode->i_mapping);
}

/* Only the attributes in mask changed: the others stay cached */
void fusept_invalidate_attr_mask(struct inode *inode, u32 mask)
{
	struct fusept_inode *fi = fusept_i(inode);

	spin_lock(&fi->lock);
	fi->attr_version = atomic64_inc_return(&fusept_i_conn(inode)->attr_version);
	fi->inval_mask |= mask;
	spin_unlock(&fi->lock);
}

/* The kernel changed the node: ask the daemon next time, drop older replies */
void fusept_invalidate_attr(struct inode *inode)
{
	fusept_invalidate_attr_mask(inode, STATX_BASIC_STATS);
}

/*
 * An entry was added to or removed from dir: its size, times and link count
 * changed, its mode and owner did not, so permission checks need no GETATTR.
 */
void fusept_dir_changed(struct inode *dir)
{
	fusept_invalidate_attr_mask(dir, STATX_SIZE | STATX_BLOCKS |
				    STATX_MTIME | STATX_CTIME | STATX_NLINK);
}

/*
 * The data of a file changed: its size and times did; its mode too when
 * the daemon may have cleared setuid or setgid.
 */
void fusept_data_changed(struct inode *inode)
{
	u32 mask = STATX_SIZE | STATX_BLOCKS | STATX_MTIME | STATX_CTIME;

	if (inode->i_mode & (S_ISUID | S_ISGID))
		mask |= STATX_MODE;
	fusept_invalidate_attr_mask(inode, mask);
}

/* Must the attributes in mask be asked for again? */
bool fusept_attr_stale(struct inode *inode, u32 mask)
{
	struct fusept_inode *fi = fusept_i(inode);
	u64 expire = READ_ONCE(fi->attr_expire);

	return !expire || time_after_eq64(get_jiffies_64(), expire) ||
	       (READ_ONCE(fi->inval_mask) & mask);
}

/*
 * A passthrough file whose backing file is on another fusept mount holds
 * its inode lock while the lower one takes its own: one lock class per
 * stack depth (a mount with passthrough sits above one without), so that
 * lockdep sees two classes nesting, not one class taken twice.
 */
static struct lock_class_key fusept_i_rwsem_key[FILESYSTEM_MAX_STACK_DEPTH + 1];
/*
 * The same for directories: a lookup in a hierarchical directory (hier.c)
 * takes the lower directory's i_rwsem under the fusept directory's.
 */
static struct lock_class_key fusept_dir_rwsem_key[FILESYSTEM_MAX_STACK_DEPTH + 1];
/*
 * And for inodes born bound with SETATTR and OPEN (fusept_pt_setattr()
 * takes the lower file system's freeze protection under it), which are
 * never opened but with passthrough: no cached write, which a splice
 * makes under a pipe, takes this class, and a splice into a lower file
 * takes its freeze protection before a pipe.
 */
static struct lock_class_key fusept_pt_rwsem_key[FILESYSTEM_MAX_STACK_DEPTH + 1];

void fusept_init_inode(struct inode *inode, const struct fuse_attr *attr)
{
	int depth = min(inode->i_sb->s_stack_depth, FILESYSTEM_MAX_STACK_DEPTH);

	inode->i_mode = attr->mode & S_IFMT;
	inode->i_flags |= S_NOATIME | S_NOCMTIME;
	switch (inode->i_mode) {
	case S_IFREG:
		lockdep_set_class(&inode->i_rwsem, &fusept_i_rwsem_key[depth]);
		inode->i_op = &fusept_file_iops;
		inode->i_fop = &fusept_file_fops;
		inode->i_mapping->a_ops = &fusept_aops;
		break;
	case S_IFDIR:
		lockdep_set_class(&inode->i_rwsem, &fusept_dir_rwsem_key[depth]);
		inode->i_op = &fusept_dir_iops;
		inode->i_fop = &fusept_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &fusept_symlink_iops;
		inode_nohighmem(inode);
		break;
	default:
		inode->i_op = &fusept_special_iops;
		init_special_inode(inode, inode->i_mode,
				   new_decode_dev(attr->rdev));
		break;
	}
}

/* A new (I_NEW) regular file becomes passthrough-only: see fi->pt_only */
void fusept_init_pt_only(struct inode *inode)
{
	int depth = min(inode->i_sb->s_stack_depth, FILESYSTEM_MAX_STACK_DEPTH);

	lockdep_set_class(&inode->i_rwsem, &fusept_pt_rwsem_key[depth]);
	fusept_i(inode)->pt_only = true;
}

static int fusept_inode_eq(struct inode *inode, void *data)
{
	return fusept_nodeid(inode) == *(u64 *)data;
}

static int fusept_inode_set(struct inode *inode, void *data)
{
	fusept_i(inode)->nodeid = *(u64 *)data;
	return 0;
}

/* The inode of a node, if the kernel has it; call with killsb held */
struct inode *fusept_ilookup(struct fusept_conn *fc, u64 nodeid)
{
	if (!fc->sb)
		return NULL;
	return ilookup5(fc->sb, nodeid, fusept_inode_eq, &nodeid);
}

/* The inode of nodeid, new (I_NEW, locked) or cached */
struct inode *fusept_iget_locked(struct super_block *sb, u64 nodeid)
{
	return iget5_locked(sb, nodeid, fusept_inode_eq, fusept_inode_set,
			    &nodeid);
}

/* One more lookup of an inode; the first of one the kernel made takes gen */
static void fusept_count_lookup(struct inode *inode, u64 gen)
{
	struct fusept_inode *fi = fusept_i(inode);

	spin_lock(&fi->lock);
	if (fi->kmade && !fi->nlookup)
		inode->i_generation = gen;
	fi->nlookup++;
	spin_unlock(&fi->lock);
}

/*
 * The inode of a node the daemon just looked up: one more lookup to give
 * back with FORGET. A node whose type changed gets a new inode; the old
 * one is marked bad. A new inode is bound as the entry reply's trailer tb
 * (checked, or NULL) asks before anyone else can see it.
 */
struct inode *fusept_iget(struct super_block *sb, u64 nodeid, u64 gen,
			  const struct fuse_attr *attr, u64 expire,
			  u64 attr_version, const struct fusept_trailer *tb)
{
	struct inode *inode;

retry:
	inode = fusept_iget_locked(sb, nodeid);
	if (!inode)
		return NULL;
	if (inode_state_read_once(inode) & I_NEW) {
		inode->i_generation = gen;
		fusept_init_inode(inode, attr);
		fusept_apply_attr(inode, attr, expire, 0);
		if (tb)
			fusept_pt_bind_new(inode, tb);
		unlock_new_inode(inode);
	} else if ((inode->i_mode ^ attr->mode) & S_IFMT) {
		fusept_i(inode)->bad = true;
		if (inode != d_inode(sb->s_root)) {
			remove_inode_hash(inode);
			iput(inode);
			goto retry;
		}
	} else {
		fusept_apply_attr(inode, attr, expire, attr_version);
	}
	fusept_count_lookup(inode, gen);
	return inode;
}

static bool fusept_allow_sys_admin_access;
module_param_named(allow_sys_admin_access, fusept_allow_sys_admin_access,
		   bool, 0644);
MODULE_PARM_DESC(allow_sys_admin_access,
		 "Let CAP_SYS_ADMIN enter mounts of other users that lack allow_other");

/*
 * Without allow_other only the mounting user gets in; CAP_SYS_ADMIN too
 * if allow_sys_admin_access is set (off by default, as in mainline).
 */
bool fusept_allow_current(struct fusept_conn *fc)
{
	const struct cred *cred = current_cred();

	if (fc->allow_other)
		return true;
	if (uid_eq(cred->euid, fc->user_id) && uid_eq(cred->suid, fc->user_id) &&
	    uid_eq(cred->uid, fc->user_id) && gid_eq(cred->egid, fc->group_id) &&
	    gid_eq(cred->sgid, fc->group_id) && gid_eq(cred->gid, fc->group_id))
		return true;
	return READ_ONCE(fusept_allow_sys_admin_access) &&
	       capable(CAP_SYS_ADMIN);
}

/* GETATTR and SETATTR replies: a node that changed type is bad */
static int fusept_attr_reply(struct inode *inode,
			     const struct fuse_attr_out *out, u64 attr_version)
{
	if (fusept_check_attr(&out->attr) ||
	    ((inode->i_mode ^ out->attr.mode) & S_IFMT)) {
		fusept_i(inode)->bad = true;
		return -EIO;
	}
	fusept_apply_attr(inode, &out->attr,
			  fusept_expire(out->attr_valid, out->attr_valid_nsec),
			  attr_version);
	return 0;
}

static int fusept_do_getattr(struct inode *inode, struct file *file)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_file *ff = file ? file->private_data : NULL;
	struct fuse_getattr_in in = {};
	struct fuse_attr_out out;
	struct fusept_args args = {
		.opcode = FUSE_GETATTR,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out = &out,
		.out_size = sizeof(out),
	};
	u64 attr_version = atomic64_read(&fc->attr_version);
	int err;

	if (ff && S_ISREG(inode->i_mode)) {
		in.getattr_flags = FUSE_GETATTR_FH;
		in.fh = ff->fh;
	}
	err = fusept_send(fc, &args);
	if (err)
		return err;
	return fusept_attr_reply(inode, &out, attr_version);
}

/*
 * Refresh the attributes if they timed out (or always, with force); those
 * of a bound inode come from the lower inode, every time
 */
int fusept_update_attr(struct inode *inode, struct file *file, bool force)
{
	struct fusept_backing *fb;
	int err;

	if (fusept_i(inode)->bad)
		return -EIO;
	fb = fusept_pt_bound(inode, FUSE_GETATTR);
	if (fb) {
		err = fusept_pt_getattr(inode, fb);
		fusept_pt_backing_put(fb);
		return err;
	}
	if (!force && !fusept_attr_stale(inode, STATX_BASIC_STATS))
		return 0;
	return fusept_do_getattr(inode, file);
}

int fusept_getattr(FUSEPT_IDMAP_ARG const struct path *path, struct kstat *stat,
		   u32 mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct fusept_conn *fc = fusept_i_conn(inode);
	int err = 0;

	if (!READ_ONCE(fc->connected))
		return -ENOTCONN;
	if (!fusept_allow_current(fc))
		return -EACCES;
	if (!(flags & AT_STATX_DONT_SYNC))
		err = fusept_update_attr(inode, NULL,
					 flags & AT_STATX_FORCE_SYNC);
	if (err)
		return err;
	fusept_fillattr(inode, mask, stat);
	return 0;
}

static int fusept_access(struct inode *inode, int mask)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fuse_access_in in = {
		.mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC),
	};
	struct fusept_args args = {
		.opcode = FUSE_ACCESS,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
	};
	int err;

	if (READ_ONCE(fc->no_access))
		return 0;
	err = fusept_send(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_access, true);
		err = 0;
	}
	return err;
}

/*
 * Mode, owner and group for a permission check, as the last reply gave
 * them until they time out; then from the daemon, or for a bound inode
 * from the lower inode
 */
static int fusept_perm_attr(struct inode *inode, bool rcu)
{
	if (!fusept_attr_stale(inode, STATX_MODE | STATX_UID | STATX_GID))
		return 0;
	if (rcu)
		return -ECHILD;
	return fusept_update_attr(inode, NULL, false);
}

/*
 * The kernel judges with default_permissions, and for an inode bound with
 * OPEN, whose opens the daemon never sees, a directory bound with SETATTR
 * (the write right of utimes(NULL)), or LOOKUP, whose names the kernel
 * looks up: the lower file system is then used with the daemon's
 * credentials, which may do more than the caller.
 */
int fusept_permission(FUSEPT_IDMAP_ARG struct inode *inode, int mask)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	bool rcu = mask & MAY_NOT_BLOCK;
	u64 ops = fc->inode_pt ? fusept_pt_bound_ops(inode) : 0;
	bool judge;
	int err;

	/* a file's setattr passes through only with OPEN (bind.c) */
	if (!S_ISDIR(inode->i_mode))
		ops &= ~FUSE_PASSTHROUGH_OP(FUSE_SETATTR);
	judge = fc->default_permissions ||
		(ops & (FUSE_PASSTHROUGH_OP(FUSE_OPEN) |
			FUSE_PASSTHROUGH_OP(FUSE_SETATTR) |
			FUSE_PASSTHROUGH_OP(FUSE_LOOKUP)));

	if (!READ_ONCE(fc->connected))
		return -ENOTCONN;
	if (!fusept_allow_current(fc))
		return -EACCES;
	if (fusept_i(inode)->bad)
		return -EIO;

	if (judge || ((mask & MAY_EXEC) && S_ISREG(inode->i_mode))) {
		err = fusept_perm_attr(inode, rcu);
		if (err)
			return err;
	}
	if (judge)
		return fusept_generic_permission(inode, mask);
	if (mask & (MAY_ACCESS | MAY_CHDIR)) {
		if (rcu)
			return -ECHILD;
		return fusept_access(inode, mask);
	}
	if ((mask & MAY_EXEC) && S_ISREG(inode->i_mode) &&
	    !(inode->i_mode & 0111))
		return -EACCES;
	return 0;
}

static int fusept_iattr_ids(struct fusept_conn *fc, const struct iattr *attr,
			    struct fuse_setattr_in *in)
{
	if (attr->ia_valid & ATTR_UID) {
		in->valid |= FATTR_UID;
		in->uid = from_kuid(fc->user_ns, attr->ia_uid);
		if (in->uid == (u32)-1)
			return -EOVERFLOW;
	}
	if (attr->ia_valid & ATTR_GID) {
		in->valid |= FATTR_GID;
		in->gid = from_kgid(fc->user_ns, attr->ia_gid);
		if (in->gid == (u32)-1)
			return -EOVERFLOW;
	}
	return 0;
}

/* Translate what the VFS asks for into a SETATTR request */
static int fusept_iattr_to_in(struct fusept_conn *fc, const struct iattr *attr,
			      struct fuse_setattr_in *in)
{
	unsigned int ivalid = attr->ia_valid;
	struct fusept_file *ff;

	if (ivalid & ATTR_MODE) {
		in->valid |= FATTR_MODE;
		in->mode = attr->ia_mode;
	}
	if (ivalid & ATTR_SIZE) {
		in->valid |= FATTR_SIZE;
		in->size = attr->ia_size;
	}
	if (ivalid & ATTR_ATIME) {
		in->valid |= FATTR_ATIME;
		in->atime = attr->ia_atime.tv_sec;
		in->atimensec = attr->ia_atime.tv_nsec;
		if (!(ivalid & ATTR_ATIME_SET))
			in->valid |= FATTR_ATIME_NOW;
	}
	if (ivalid & ATTR_MTIME) {
		in->valid |= FATTR_MTIME;
		in->mtime = attr->ia_mtime.tv_sec;
		in->mtimensec = attr->ia_mtime.tv_nsec;
		if (!(ivalid & ATTR_MTIME_SET))
			in->valid |= FATTR_MTIME_NOW;
	}
	ff = (ivalid & ATTR_FILE) ? attr->ia_file->private_data : NULL;
	if (ff && !ff->kopen) {		/* a kernel-opened file has no fh */
		in->valid |= FATTR_FH;
		in->fh = ff->fh;
	}
	if (ivalid & ATTR_SIZE) {
		in->valid |= FATTR_LOCKOWNER;
		in->lock_owner = fusept_lock_owner(fc, current->files);
	}
	return fusept_iattr_ids(fc, attr, in);
}

static int fusept_send_setattr(struct inode *inode, struct iattr *attr)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fuse_setattr_in in = {};
	struct fuse_attr_out out;
	struct fusept_args args = {
		.opcode = FUSE_SETATTR,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out = &out,
		.out_size = sizeof(out),
	};
	int err;

	err = fusept_iattr_to_in(fc, attr, &in);
	if (!err)
		err = fusept_send(fc, &args);
	if (err)
		return err;
	fusept_invalidate_attr(inode);
	return fusept_attr_reply(inode, &out, 0);
}

/*
 * Before a truncate reaches the daemon the page cache is written back,
 * and a shrinking one drops the pages past the new end first: their
 * writeback is over then, and later writeback stops at the new size, so
 * a page written through a mapping meanwhile cannot extend the file
 * again behind the truncate (mainline holds writeback off instead).
 */
static int fusept_truncate_prepare(struct inode *inode, loff_t size,
				   bool *shrunk)
{
	struct fusept_inode *fi = fusept_i(inode);
	int err;

	inode_dio_wait(inode);
	err = filemap_write_and_wait(inode->i_mapping);
	if (err || size >= i_size_read(inode))
		return err;
	spin_lock(&fi->lock);
	i_size_write(inode, size);
	spin_unlock(&fi->lock);
	truncate_pagecache(inode, size);
	*shrunk = true;
	return 0;
}

int fusept_setattr(FUSEPT_IDMAP_ARG struct dentry *entry, struct iattr *attr)
{
	struct inode *inode = d_inode(entry);
	struct fusept_conn *fc = fusept_i_conn(inode);
	bool trunc = (attr->ia_valid & ATTR_SIZE) && S_ISREG(inode->i_mode);
	struct fusept_backing *fb;
	bool shrunk = false;
	int err;

	if (!READ_ONCE(fc->connected))
		return -ENOTCONN;
	if (!fusept_allow_current(fc))
		return -EACCES;
	fb = fusept_pt_setattr_bound(inode);
	if (fb) {
		err = fusept_pt_setattr(entry, attr, fb);
		fusept_pt_backing_put(fb);
		return err;
	}
	err = fusept_hier_known(entry, inode);
	if (err)
		return err;
	/* without default_permissions the daemon judges */
	if (!fc->default_permissions)
		attr->ia_valid |= ATTR_FORCE;
	err = fusept_setattr_prepare(entry, attr);
	if (err)
		return err;
	attr->ia_valid &= ~(ATTR_FORCE | ATTR_KILL_SUID | ATTR_KILL_SGID);
	if (trunc) {
		err = fusept_truncate_prepare(inode, attr->ia_size, &shrunk);
		if (err)
			return err;
	}
	err = fusept_send_setattr(inode, attr);
	if (!err && trunc) {
		spin_lock(&fusept_i(inode)->lock);
		i_size_write(inode, attr->ia_size);
		spin_unlock(&fusept_i(inode)->lock);
		truncate_pagecache(inode, attr->ia_size);
	} else if (err && shrunk) {
		fusept_invalidate_attr(inode);	/* the size is the daemon's */
	}
	return err;
}
