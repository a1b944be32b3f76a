// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: READDIR and READDIRPLUS.
 *
 * Every entry the daemon sends is checked before it reaches the caller or
 * the dcache; READDIRPLUS entries count as lookups and are linked into the
 * dcache even when the caller's buffer is full, so the daemon's lookup
 * counts stay balanced. A directory bound with READDIR (inode
 * passthrough) is listed from its lower directory instead.
 */
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/slab.h>

#include "fusept_i.h"

/* A name from the daemon: not empty, not too long, no '/' or NUL in it */
bool fusept_name_ok(const char *name, size_t len)
{
	return len && len <= FUSEPT_NAME_MAX && !memchr(name, '/', len) &&
	       !memchr(name, 0, len);
}

/*
 * An entry of a READDIR reply with room bytes left, padding included.
 * namelen is bounded before FUSE_DIRENT_SIZE(), which adds it in 32 bits.
 */
int fusept_check_dirent(const struct fuse_dirent *d, size_t room)
{
	if (room < FUSE_NAME_OFFSET || d->namelen > FUSEPT_NAME_MAX ||
	    FUSE_DIRENT_SIZE(d) > room || !fusept_name_ok(d->name, d->namelen))
		return -EIO;
	return 0;
}

/* The same for READDIRPLUS, whose entries start with a fuse_entry_out */
int fusept_check_direntplus(const struct fuse_direntplus *dp, size_t room)
{
	if (room < FUSE_NAME_OFFSET_DIRENTPLUS)
		return -EIO;
	return fusept_check_dirent(&dp->dirent, room - sizeof(dp->entry_out));
}

static bool fusept_is_dot(const char *name, u32 len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

/* An existing dentry for the name: still the same node? */
static bool fusept_dplus_update(struct dentry *dentry,
				const struct fuse_entry_out *o,
				u64 attr_version)
{
	struct inode *inode = d_inode(dentry);
	struct fusept_inode *fi;

	if (!inode || fusept_nodeid(inode) != o->nodeid ||
	    ((inode->i_mode ^ o->attr.mode) & S_IFMT))
		return false;
	fi = fusept_i(inode);
	spin_lock(&fi->lock);
	fi->nlookup++;
	spin_unlock(&fi->lock);
	fusept_apply_attr(inode, &o->attr,
			  fusept_expire(o->attr_valid, o->attr_valid_nsec),
			  attr_version);
	fusept_set_entry_time(dentry, o);
	return true;
}

static int fusept_dplus_new(struct dentry *dentry,
			    const struct fuse_entry_out *o, u64 attr_version)
{
	struct inode *inode;
	struct dentry *alias;

	inode = fusept_iget(dentry->d_sb, o->nodeid, o->generation, &o->attr,
			    fusept_expire(o->attr_valid, o->attr_valid_nsec),
			    attr_version, NULL);
	if (!inode) {
		d_lookup_done(dentry);
		fusept_forget_one(fusept_sb_conn(dentry->d_sb), o->nodeid);
		return -ENOMEM;
	}
	alias = d_splice_alias(inode, dentry);
	d_lookup_done(dentry);
	if (IS_ERR(alias))
		return PTR_ERR(alias);
	fusept_set_entry_time(alias ? alias : dentry, o);
	dput(alias);
	return 0;
}

/* Put a READDIRPLUS entry into the dcache; a lookup was counted for it */
static int fusept_dplus_link(struct dentry *parent,
			     const struct fuse_direntplus *dp, u64 attr_version)
{
	const struct fuse_entry_out *o = &dp->entry_out;
	struct qstr name = QSTR_INIT(dp->dirent.name, dp->dirent.namelen);
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq);
	struct dentry *dentry;
	int err;

	/* d_alloc_parallel() below wants the hash this sets too */
	dentry = d_hash_and_lookup(parent, &name);
	if (IS_ERR(dentry))
		dentry = NULL;
	for (;;) {
		if (!dentry) {
			dentry = fusept_d_alloc_parallel(parent, &name, &wq);
			if (IS_ERR(dentry)) {
				fusept_forget_one(fusept_sb_conn(parent->d_sb),
						  o->nodeid);
				return PTR_ERR(dentry);
			}
		}
		if (d_in_lookup(dentry))
			break;
		if (fusept_dplus_update(dentry, o, attr_version)) {
			dput(dentry);
			return 0;
		}
		d_invalidate(dentry);
		dput(dentry);
		dentry = NULL;
	}
	err = fusept_dplus_new(dentry, o, attr_version);
	dput(dentry);
	return err;
}

static int fusept_parse_plus(struct file *file, struct dir_context *ctx,
			     void *buf, size_t len, u64 attr_version)
{
	struct fusept_conn *fc = fusept_i_conn(file_inode(file));
	bool full = false;
	int err = 0;

	while (len > 0) {
		struct fuse_direntplus *dp = buf;
		struct fuse_dirent *d = &dp->dirent;
		size_t reclen;

		if (fusept_check_direntplus(dp, len))
			return -EIO;
		reclen = FUSE_DIRENTPLUS_SIZE(dp);
		if (!full) {
			full = !dir_emit(ctx, d->name, d->namelen, d->ino,
					 d->type);
			if (!full)
				ctx->pos = d->off;
		}
		if (dp->entry_out.nodeid &&
		    !fusept_is_dot(d->name, d->namelen)) {
			int e = fusept_check_entry(&dp->entry_out);

			if (e)
				fusept_forget_one(fc, dp->entry_out.nodeid);
			else
				e = fusept_dplus_link(file->f_path.dentry, dp,
						      attr_version);
			if (!err)
				err = e;
		}
		buf += reclen;
		len -= reclen;
	}
	return err ? err : full;
}

static int fusept_parse_plain(struct dir_context *ctx, void *buf, size_t len)
{
	while (len > 0) {
		struct fuse_dirent *d = buf;
		size_t reclen;

		if (fusept_check_dirent(d, len))
			return -EIO;
		reclen = FUSE_DIRENT_SIZE(d);
		if (!dir_emit(ctx, d->name, d->namelen, d->ino, d->type))
			return 1;
		ctx->pos = d->off;
		buf += reclen;
		len -= reclen;
	}
	return 0;
}

/* One READDIR(PLUS): > 0 when the caller's buffer is full, 0 to go on */
static int fusept_readdir_once(struct file *file, struct dir_context *ctx,
			       bool *eof)
{
	struct inode *inode = file_inode(file);
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_file *ff = file->private_data;
	/* a hierarchical directory's files come from kernel lookups */
	bool plus = fusept_has(fc, FUSE_DO_READDIRPLUS) &&
		    !fusept_hier_dir(inode);
	struct fuse_read_in in = {
		.fh = ff->fh,
		.offset = ctx->pos,
		.size = PAGE_SIZE,
	};
	struct fusept_args args = {
		.opcode = plus ? FUSE_READDIRPLUS : FUSE_READDIR,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out_size = PAGE_SIZE,
		.out_var = true,
		.take_reply = true,
	};
	u64 attr_version = atomic64_read(&fc->attr_version);
	ssize_t len;
	int ret;

	len = fusept_send(fc, &args);
	if (len <= 0) {
		*eof = true;
		kvfree(args.reply);
		return len;
	}
	if (plus)
		ret = fusept_parse_plus(file, ctx, args.reply, len,
					attr_version);
	else
		ret = fusept_parse_plain(ctx, args.reply, len);
	kvfree(args.reply);
	return ret;
}

/*
 * Inode passthrough: a directory bound with READDIR lists its lower
 * directory. That is opened with the binding's credentials when the fusept
 * directory is (after OPENDIR, which the daemon still answers), if they
 * may read it, and kept until the release.
 */
int fusept_readdir_open(struct inode *inode, struct fusept_file *ff)
{
	struct fusept_backing *fb = fusept_pt_bound(inode, FUSE_READDIR);
	const struct cred *old;
	struct file *lower;
	int err;

	if (!fb)
		return 0;
	old = override_creds(fb->cred);
	err = fusept_path_permission(&fb->file->f_path, MAY_READ);
	revert_creds(old);
	lower = err ? ERR_PTR(err) :
		dentry_open(&fb->file->f_path, O_RDONLY | O_DIRECTORY,
			    fb->cred);
	fusept_pt_backing_put(fb);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	ff->lower_dir = lower;
	return 0;
}

/*
 * The lower directory's entries, with the caller's dir_context: names,
 * d_ino and d_type are the lower file system's, and the position is the
 * lower directory's, kept in the fusept file and sought by the lower file
 * system (fusept_dir_llseek), as overlayfs does for a directory that is
 * not merged. The lower file system's checks see the binding's
 * credentials.
 */
static int fusept_readdir_lower(struct file *lower, struct dir_context *ctx)
{
	const struct cred *old = override_creds(lower->f_cred);
	int err;

	lower->f_pos = ctx->pos;
	err = iterate_dir(lower, ctx);
	revert_creds(old);
	return err;
}

int fusept_readdir(struct file *file, struct dir_context *ctx)
{
	struct fusept_inode *fi = fusept_i(file_inode(file));
	struct fusept_file *ff = file->private_data;
	bool eof = false;
	int ret;

	if (fi->bad)
		return -EIO;
	if (ff->lower_dir)
		return fusept_readdir_lower(ff->lower_dir, ctx);
	/*
	 * One request that gave entries is enough for a call, as in mainline:
	 * going on would cost an empty request at the end of every listing.
	 */
	do {
		loff_t pos = ctx->pos;

		ret = fusept_readdir_once(file, ctx, &eof);
		if (!ret && ctx->pos != pos)
			break;
	} while (!ret && !eof);
	return ret < 0 ? ret : 0;
}
