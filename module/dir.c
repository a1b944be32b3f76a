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

/*
 * Check an entry reply and the binding its trailer names (*bind: pinned,
 * NULL or an error; dropped unless the reply is good and positive)
 */
static int fusept_entry_reply(const struct fuse_entry_out *out,
			      struct fusept_trailer *bind)
{
	int err = fusept_check_entry(out);

	if (!err && out->nodeid)
		err = fusept_pt_bind_check(bind->fb, out->attr.mode);
	if (err || !out->nodeid) {
		fusept_pt_backing_put(bind->fb);
		bind->fb = NULL;
	}
	return err;
}

/*
 * Give back what an entry reply the kernel does not use made: the file a
 * CREATE reply opened first (the daemon may drop the node at FORGET, and
 * RELEASE names it), then one lookup of the node.
 */
static void fusept_entry_giveback(struct fusept_conn *fc,
				  const struct fusept_args *args)
{
	const struct fuse_entry_out *out = args->out;
	const struct fuse_open_out *open = (const void *)(out + 1);
	const struct fuse_create_in *in = args->in[0].value;

	if (args->opcode == FUSE_CREATE && !fusept_pt_create_kopen(fc, open))
		fusept_release_orphan(fc, false, out->nodeid, open->fh,
				      in->flags);
	if (out->nodeid)
		fusept_forget_one(fc, out->nodeid);
}

/*
 * Bind the inode an entry reply just counted, as its trailer asked (the
 * reference on bind is used up). An inode that refuses the binding takes
 * that lookup back and is put: -EIO, and the caller gives the node back.
 */
static int fusept_entry_bind(struct inode *inode, struct fusept_backing *bind)
{
	struct fusept_inode *fi = fusept_i(inode);
	int err = fusept_pt_bind(inode, bind);

	fusept_pt_backing_put(bind);
	if (!err)
		return 0;
	spin_lock(&fi->lock);
	fi->nlookup--;
	spin_unlock(&fi->lock);
	iput(inode);
	return err;
}

static int fusept_send_lookup(struct inode *dir, const struct qstr *name,
			      struct fuse_entry_out *out,
			      struct fusept_trailer *bind)
{
	struct fusept_args args = {
		.opcode = FUSE_LOOKUP,
		.nodeid = fusept_nodeid(dir),
		.in_numargs = 1,
		.in[0] = { name->name, name->len + 1 },
		.out = out,
		.out_size = sizeof(*out),
		.bind_ok = true,
	};
	int err;

	bind->fb = NULL;
	if (name->len > FUSEPT_NAME_MAX)
		return -ENAMETOOLONG;
	memset(out, 0, sizeof(*out));
	err = fusept_send(fusept_i_conn(dir), &args);
	if (err)
		return err;
	*bind = args.bind;
	err = fusept_entry_reply(out, bind);
	if (err && out->nodeid)
		fusept_forget_one(fusept_i_conn(dir), out->nodeid);
	return err;
}

/*
 * Look a name up: the inode (with a lookup counted), NULL for a negative
 * entry, or an error.
 */
struct inode *fusept_lookup_name(struct inode *dir, const struct qstr *name,
				 struct fuse_entry_out *out)
{
	struct fusept_conn *fc = fusept_i_conn(dir);
	u64 attr_version = atomic64_read(&fc->attr_version);
	struct fusept_trailer bind;
	struct inode *inode;
	int err;

	err = fusept_send_lookup(dir, name, out, &bind);
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
			    attr_version, &bind);
	if (!inode) {
		fusept_pt_backing_put(bind.fb);
		fusept_forget_one(fc, out->nodeid);
		return ERR_PTR(-ENOMEM);
	}
	err = fusept_entry_bind(inode, bind.fb);
	if (err) {
		fusept_forget_one(fc, out->nodeid);
		return ERR_PTR(err);
	}
	return inode;
}

static struct dentry *fusept_lookup(struct inode *dir, struct dentry *entry,
				    unsigned int flags)
{
	struct fuse_entry_out out;
	struct dentry *alias;
	struct inode *inode;
	bool daemon = true;

	if (fusept_i_conn(dir)->inode_pt) {
		alias = fusept_hier_lookup(dir, entry, &daemon);
		if (!daemon)
			return alias;
	}
	entry->d_fsdata = NULL;
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

/*
 * Ask the daemon again whether a cached name still means the same node;
 * dir and name are stable (a rename may move entry meanwhile).
 */
static int fusept_revalidate_slow(struct inode *dir, const struct qstr *name,
				  struct dentry *entry)
{
	struct inode *inode = d_inode(entry);
	struct fusept_conn *fc = fusept_i_conn(inode);
	u64 attr_version = atomic64_read(&fc->attr_version);
	struct fusept_trailer bind;
	struct fuse_entry_out out;
	struct fusept_inode *fi;
	int err;

	err = fusept_send_lookup(dir, name, &out, &bind);
	if (err == -ENOMEM || err == -EINTR)
		return err;
	if (err || !out.nodeid)
		return 0;
	/* a binding the inode refuses fails the lookup that follows */
	if (!fusept_same_node(inode, &out) || fusept_pt_bind(inode, bind.fb)) {
		fusept_pt_backing_put(bind.fb);
		fusept_forget_one(fc, out.nodeid);
		return 0;
	}
	fusept_pt_backing_put(bind.fb);
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

/* The same, where the VFS does not pass a stable parent and name */
static int fusept_revalidate_snapshot(struct dentry *entry, unsigned int flags)
{
	struct name_snapshot name;
	struct dentry *parent;
	int ret;

	parent = dget_parent(entry);
	take_dentry_name_snapshot(&name, entry);
	ret = fusept_revalidate(d_inode(parent), &name.name, entry, flags);
	release_dentry_name_snapshot(&name);
	dput(parent);
	return ret;
}

/*
 * A name the daemon gave is valid until its entry timeout, then asked
 * for again; one the kernel looked up in a hierarchical directory while
 * the lower name it came from is still there (a negative one never).
 */
int fusept_revalidate(struct inode *dir, const struct qstr *name,
		      struct dentry *entry, unsigned int flags)
{
	struct inode *inode = d_inode_rcu(entry);
	bool kmade = READ_ONCE(entry->d_fsdata) == FUSEPT_D_KMADE;

	if (inode && fusept_i(inode)->bad)
		return 0;
	if (!kmade && !fusept_entry_expired(entry) &&
	    !(flags & (LOOKUP_EXCL | LOOKUP_REVAL)))
		return 1;
	if (!kmade && (flags & LOOKUP_RCU))
		return -ECHILD;
	if (!inode)
		return 0;
	if (!dir && (flags & LOOKUP_RCU))
		return -ECHILD;
	if (!dir)
		return fusept_revalidate_snapshot(entry, flags);
	if (kmade)
		return fusept_hier_valid(dir, name, inode);
	return fusept_revalidate_slow(dir, name, entry);
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

/*
 * A node the daemon just created for a name: check it, get its inode and
 * tie the dentry to it. Returns the dentry used (an alias for a directory
 * that was already known) with a reference, NULL for entry itself.
 */
static struct dentry *fusept_new_entry(struct inode *dir, struct dentry *entry,
				       struct fusept_args *args, umode_t type)
{
	struct fusept_conn *fc = fusept_i_conn(dir);
	u64 attr_version = atomic64_read(&fc->attr_version);
	struct fuse_entry_out *out = args->out;
	struct fusept_trailer bind;
	struct dentry *alias;
	struct inode *inode;
	int err;

	args->bind_ok = true;
	err = fusept_send(fc, args);
	if (err)
		return ERR_PTR(err);
	bind = args->bind;
	err = fusept_entry_reply(out, &bind);
	if (!err && (!out->nodeid || (out->attr.mode & S_IFMT) != type))
		err = -EIO;
	if (err)
		goto out_giveback;
	inode = fusept_iget(dir->i_sb, out->nodeid, out->generation, &out->attr,
			    fusept_expire(out->attr_valid, out->attr_valid_nsec),
			    attr_version, &bind);
	err = -ENOMEM;
	if (!inode)
		goto out_giveback;
	err = fusept_entry_bind(inode, bind.fb);
	bind.fb = NULL;	/* used up */
	if (err)
		goto out_giveback;
	fusept_dir_changed(dir);
	d_drop(entry);
	entry->d_fsdata = NULL;		/* the daemon's name now */
	alias = d_splice_alias(inode, entry);
	if (IS_ERR(alias))
		return alias;
	fusept_set_entry_time(alias ? alias : entry, out);
	return alias;

out_giveback:
	fusept_pt_backing_put(bind.fb);
	fusept_entry_giveback(fc, args);
	return ERR_PTR(err);
}

/* The same, for operations that give the VFS an int */
static int fusept_new_entry_int(struct inode *dir, struct dentry *entry,
				struct fusept_args *args, umode_t type)
{
	struct dentry *alias = fusept_new_entry(dir, entry, args, type);

	if (IS_ERR(alias))
		return PTR_ERR(alias);
	dput(alias);
	return 0;
}

static void fusept_entry_args(struct fusept_args *args, struct inode *dir,
			      u32 opcode, struct fuse_entry_out *out)
{
	memset(out, 0, sizeof(*out));
	args->opcode = opcode;
	args->nodeid = fusept_nodeid(dir);
	args->out = out;
	args->out_size = sizeof(*out);
}

static int fusept_mknod(FUSEPT_IDMAP_ARG struct inode *dir,
			struct dentry *entry, umode_t mode, dev_t rdev)
{
	struct fuse_mknod_in in = {
		.mode = mode,
		.rdev = new_encode_dev(rdev),
		.umask = current_umask(),
	};
	struct fuse_entry_out out;
	struct fusept_args args = {
		.in_numargs = 2,
		.in[0] = { &in, sizeof(in) },
		.in[1] = { entry->d_name.name, entry->d_name.len + 1 },
	};

	fusept_entry_args(&args, dir, FUSE_MKNOD, &out);
	if (fusept_i_conn(dir)->minor < FUSEPT_MINOR_MKNOD_UMASK)
		args.in[0].size = FUSE_COMPAT_MKNOD_IN_SIZE;
	return fusept_new_entry_int(dir, entry, &args, mode & S_IFMT);
}

static int fusept_create(FUSEPT_IDMAP_ARG struct inode *dir,
			 struct dentry *entry, umode_t mode, bool excl)
{
	return fusept_mknod(FUSEPT_IDMAP_NOP dir, entry, mode | S_IFREG, 0);
}

static FUSEPT_DECLARE_MKDIR(fusept_mkdir)
{
	struct fuse_mkdir_in in = {
		.mode = mode,
		.umask = current_umask(),
	};
	struct fuse_entry_out out;
	struct fusept_args args = {
		.in_numargs = 2,
		.in[0] = { &in, sizeof(in) },
		.in[1] = { entry->d_name.name, entry->d_name.len + 1 },
	};
	struct dentry *alias;

	fusept_entry_args(&args, dir, FUSE_MKDIR, &out);
	alias = fusept_new_entry(dir, entry, &args, S_IFDIR);
	if (IS_ERR(alias))
		return fusept_mkdir_ret(NULL, PTR_ERR(alias));
	return fusept_mkdir_ret(alias, 0);
}

static int fusept_symlink(FUSEPT_IDMAP_ARG struct inode *dir,
			  struct dentry *entry, const char *target)
{
	struct fuse_entry_out out;
	struct fusept_args args = {
		.in_numargs = 2,
		.in[0] = { entry->d_name.name, entry->d_name.len + 1 },
		.in[1] = { target, strlen(target) + 1 },
	};

	fusept_entry_args(&args, dir, FUSE_SYMLINK, &out);
	return fusept_new_entry_int(dir, entry, &args, S_IFLNK);
}

static int fusept_link(struct dentry *old, struct inode *dir,
		       struct dentry *entry)
{
	struct inode *inode = d_inode(old);
	struct fuse_link_in in = {};
	struct fuse_entry_out out;
	struct fusept_args args = {
		.in_numargs = 2,
		.in[0] = { &in, sizeof(in) },
		.in[1] = { entry->d_name.name, entry->d_name.len + 1 },
	};
	int err;

	err = fusept_hier_known(old, inode);
	if (err)
		return err;
	in.oldnodeid = fusept_nodeid(inode);
	fusept_entry_args(&args, dir, FUSE_LINK, &out);
	err = fusept_new_entry_int(dir, entry, &args, inode->i_mode & S_IFMT);
	fusept_invalidate_attr(inode);
	return err;
}

/* A name is gone: its inode lost a link */
static void fusept_entry_unlinked(struct inode *dir, struct dentry *entry,
				  bool isdir)
{
	struct inode *inode = d_inode(entry);
	struct fusept_inode *fi = fusept_i(inode);

	spin_lock(&fi->lock);
	if (isdir)
		clear_nlink(inode);
	else if (inode->i_nlink > 0)
		drop_nlink(inode);
	spin_unlock(&fi->lock);
	fusept_invalidate_attr(inode);
	fusept_dir_changed(dir);
}

static int fusept_remove(struct inode *dir, struct dentry *entry, u32 opcode)
{
	struct fusept_args args = {
		.opcode = opcode,
		.nodeid = fusept_nodeid(dir),
		.in_numargs = 1,
		.in[0] = { entry->d_name.name, entry->d_name.len + 1 },
	};
	int err;

	err = fusept_send(fusept_i_conn(dir), &args);
	if (!err)
		fusept_entry_unlinked(dir, entry, opcode == FUSE_RMDIR);
	else if (err == -EINTR)
		fusept_dir_changed(dir);
	return err;
}

static int fusept_unlink(struct inode *dir, struct dentry *entry)
{
	return fusept_remove(dir, entry, FUSE_UNLINK);
}

static int fusept_rmdir(struct inode *dir, struct dentry *entry)
{
	return fusept_remove(dir, entry, FUSE_RMDIR);
}

static int fusept_send_rename(struct inode *olddir, struct dentry *oldent,
			      struct inode *newdir, struct dentry *newent,
			      unsigned int flags)
{
	struct fusept_conn *fc = fusept_i_conn(olddir);
	struct fuse_rename2_in in = {
		.newdir = fusept_nodeid(newdir),
		.flags = flags,
	};
	struct fusept_args args = {
		.opcode = flags ? FUSE_RENAME2 : FUSE_RENAME,
		.nodeid = fusept_nodeid(olddir),
		.in_numargs = 3,
		.in[0] = { &in, flags ? sizeof(in) : sizeof(struct fuse_rename_in) },
		.in[1] = { oldent->d_name.name, oldent->d_name.len + 1 },
		.in[2] = { newent->d_name.name, newent->d_name.len + 1 },
	};
	int err;

	if (flags && READ_ONCE(fc->no_rename2))
		return -EINVAL;
	err = fusept_send(fc, &args);
	if (err == -ENOSYS && flags) {
		WRITE_ONCE(fc->no_rename2, true);
		err = -EINVAL;
	}
	return err;
}

static int fusept_rename(FUSEPT_IDMAP_ARG struct inode *olddir,
			 struct dentry *oldent, struct inode *newdir,
			 struct dentry *newent, unsigned int flags)
{
	struct inode *target = d_inode(newent);
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	err = fusept_send_rename(olddir, oldent, newdir, newent, flags);
	if (err)
		return err;
	fusept_invalidate_attr(d_inode(oldent));
	fusept_dir_changed(olddir);
	if (newdir != olddir)
		fusept_dir_changed(newdir);
	if (target && (flags & RENAME_EXCHANGE))
		fusept_invalidate_attr(target);
	else if (target)
		fusept_entry_unlinked(newdir, newent, S_ISDIR(target->i_mode));
	return 0;
}

/* CREATE: make and open a regular file in one request */
static int fusept_create_open(struct inode *dir, struct dentry *entry,
			      struct file *file, unsigned int flags,
			      umode_t mode)
{
	struct fuse_create_in in = {
		.flags = flags & ~O_NOCTTY,
		.mode = mode,
		.umask = current_umask(),
	};
	struct {
		struct fuse_entry_out entry;
		struct fuse_open_out open;
	} out = {};
	struct fusept_args args = {
		.opcode = FUSE_CREATE,
		.nodeid = fusept_nodeid(dir),
		.in_numargs = 2,
		.in[0] = { &in, sizeof(in) },
		.in[1] = { entry->d_name.name, entry->d_name.len + 1 },
		.out = &out,
		.out_size = sizeof(out),
	};
	struct fusept_backing *fb;
	struct fusept_file *ff;
	struct dentry *alias;
	struct inode *inode;
	int err;

	ff = fusept_file_new(dir, file, false);
	if (!ff)
		return -ENOMEM;
	alias = fusept_new_entry(dir, entry, &args, S_IFREG);
	if (IS_ERR(alias)) {
		fusept_pt_backing_put(args.backing);
		fusept_file_put(ff);
		return PTR_ERR(alias);
	}
	dput(alias);
	inode = d_inode(entry);
	ff->nodeid = out.entry.nodeid;
	file->f_mode |= FMODE_CREATED;
	if (fusept_pt_create_kopen(fusept_i_conn(dir), &out.open)) {
		/* no other FOPEN_* flag: the kernel's open has none */
		ff->kopen = true;
		fusept_pt_backing_put(args.backing);
		fb = out.open.open_flags != FOPEN_PASSTHROUGH ? NULL :
		     fusept_pt_bound(inode, FUSE_OPEN);
		if (!fb)
			fb = ERR_PTR(-EIO);
	} else {
		ff->opened = true;
		ff->fh = out.open.fh;
		ff->open_flags = out.open.open_flags;
		fb = args.backing;
	}
	/*
	 * The data path is set up before finish_open(): once the file is
	 * open the VFS calls ->release, which expects it set up, on any
	 * error. A failure here leaves the file created, not open, and the
	 * daemon's handle released.
	 */
	err = fusept_file_mode(inode, file, ff, fb);
	fusept_pt_backing_put(fb);
	if (!err) {
		err = finish_open(file, entry, generic_file_open);
		if (err)
			fusept_file_mode_end(inode, ff);
	}
	if (err) {
		fusept_file_put(ff);
		return err;
	}
	fusept_file_attach(inode, file, ff);
	return 0;
}

static int fusept_atomic_open(struct inode *dir, struct dentry *entry,
			      struct file *file, unsigned int flags,
			      umode_t mode)
{
	struct fusept_conn *fc = fusept_i_conn(dir);
	struct dentry *res = NULL;
	int err;

	if (d_in_lookup(entry)) {
		res = fusept_lookup(dir, entry, 0);
		if (IS_ERR(res))
			return PTR_ERR(res);
		if (res)
			entry = res;
	}
	if (!(flags & O_CREAT) || d_really_is_positive(entry))
		return finish_no_open(file, res);

	err = -ENOSYS;
	if (!READ_ONCE(fc->no_create))
		err = fusept_create_open(dir, entry, file, flags, mode);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_create, true);
		err = fusept_mknod(FUSEPT_IDMAP_NOP dir, entry,
				   (mode & ~S_IFMT) | S_IFREG, 0);
		if (!err) {
			dput(res);
			return finish_no_open(file, NULL);
		}
	}
	dput(res);
	return err;
}

static int fusept_dir_fsync(struct file *file, loff_t start, loff_t end,
			    int datasync)
{
	return fusept_fsync_common(file, start, end, datasync, true);
}

/*
 * A directory listed from its lower directory (READDIR passthrough) has
 * the lower directory's positions: the lower file system seeks.
 */
static loff_t fusept_dir_llseek(struct file *file, loff_t offset, int whence)
{
	struct fusept_file *ff = file->private_data;
	loff_t pos;

	if (!ff->lower_dir)
		return generic_file_llseek(file, offset, whence);
	pos = vfs_llseek(ff->lower_dir, offset, whence);
	if (pos >= 0)
		file->f_pos = pos;
	return pos;
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
	.llseek		= fusept_dir_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= fusept_readdir,
	.open		= fusept_dir_open,
	.release	= fusept_dir_release,
	.fsync		= fusept_dir_fsync,
};

const struct inode_operations fusept_dir_iops = {
	.lookup		= fusept_lookup,
	.atomic_open	= fusept_atomic_open,
	.create		= fusept_create,
	.mknod		= fusept_mknod,
	.mkdir		= fusept_mkdir,
	.symlink	= fusept_symlink,
	.link		= fusept_link,
	.unlink		= fusept_unlink,
	.rmdir		= fusept_rmdir,
	.rename		= fusept_rename,
	.getattr	= fusept_getattr,
	.setattr	= fusept_setattr,
	.permission	= fusept_permission,
	.listxattr	= fusept_listxattr,
};

const struct inode_operations fusept_symlink_iops = {
	.get_link	= fusept_get_link,
	.getattr	= fusept_getattr,
	.setattr	= fusept_setattr,
	.listxattr	= fusept_listxattr,
};

const struct inode_operations fusept_special_iops = {
	.getattr	= fusept_getattr,
	.setattr	= fusept_setattr,
	.permission	= fusept_permission,
	.listxattr	= fusept_listxattr,
};
