// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: passthrough. The daemon registers an open file on a lower
 * filesystem and gets an ID (mainline: BACKING_OPEN/CLOSE; Android:
 * PASSTHROUGH_OPEN, the ID used up by one open). An OPEN or CREATE reply
 * naming the ID gives the FUSE file a backing file of its own, opened with
 * the daemon's credentials of BACKING_OPEN time, and its data path stays in
 * the kernel from then on.
 *
 * The ID table is an IDR: writers take fc->lock, the reply path looks IDs
 * up under RCU and pins the backing object before the daemon's write(2)
 * returns, so the daemon may close the ID right after replying.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/falloc.h>
#include <linux/workqueue.h>

#include "fusept_i.h"

static bool fusept_pt_unprivileged;
module_param_named(passthrough_unprivileged, fusept_pt_unprivileged, bool,
		   0644);
MODULE_PARM_DESC(passthrough_unprivileged,
		 "Let daemons without CAP_SYS_ADMIN register backing files (Android)");

void fusept_pt_backing_put(struct fusept_backing *fb)
{
	if (IS_ERR_OR_NULL(fb) || !refcount_dec_and_test(&fb->count))
		return;
	fput(fb->file);
	put_cred(fb->cred);
	kfree_rcu(fb, rcu);
}

/* May the caller register, close or (un)bind lower files? */
static bool fusept_pt_capable(void)
{
	return fusept_pt_unprivileged || capable(CAP_SYS_ADMIN);
}

struct fusept_backing *fusept_pt_backing_get(struct fusept_backing *fb)
{
	refcount_inc(&fb->count);
	return fb;
}

/*
 * The operations a registration may name with inode passthrough: READ and
 * WRITE, implied as in mainline; GETATTR, which every inode operation needs
 * (STATX is the same); SETATTR, OPEN (regular files); READDIR and LOOKUP
 * for directories.
 */
#define FUSEPT_PT_OPS_RW	(FUSE_PASSTHROUGH_OP(FUSE_READ) | \
				 FUSE_PASSTHROUGH_OP(FUSE_WRITE))
#define FUSEPT_PT_OPS_DIR	(FUSE_PASSTHROUGH_OP(FUSE_READDIR) | \
				 FUSE_PASSTHROUGH_OP(FUSE_LOOKUP))
#define FUSEPT_PT_OPS_GETATTR	(FUSE_PASSTHROUGH_OP(FUSE_GETATTR) | \
				 FUSE_PASSTHROUGH_OP(FUSE_STATX))
#define FUSEPT_PT_OPS_INODE	(FUSEPT_PT_OPS_GETATTR | FUSEPT_PT_OPS_DIR | \
				 FUSE_PASSTHROUGH_OP(FUSE_SETATTR) | \
				 FUSE_PASSTHROUGH_OP(FUSE_OPEN))
#define FUSEPT_PT_OPS		(FUSEPT_PT_OPS_RW | FUSEPT_PT_OPS_INODE)

/*
 * May a lower file of this mode serve these operations? A registration
 * without inode operations serves opens of regular files only (EISDIR for
 * a directory, as mainline); one with them needs GETATTR, and READDIR and
 * LOOKUP only for a directory, which cannot serve READ and WRITE.
 */
int fusept_pt_ops_check(umode_t mode, u64 ops)
{
	bool dir = S_ISDIR(mode);

	if (!dir && !S_ISREG(mode))
		return -EINVAL;
	if ((ops & ~FUSEPT_PT_OPS) ||
	    ((ops & FUSEPT_PT_OPS_INODE) && !(ops & FUSEPT_PT_OPS_GETATTR)))
		return -EINVAL;
	if (dir && (!(ops & FUSEPT_PT_OPS_INODE) || (ops & FUSEPT_PT_OPS_RW)))
		return -EISDIR;
	if (!dir && (ops & FUSEPT_PT_OPS_DIR))
		return -EINVAL;
	/* a directory is opened with OPENDIR, which OPEN does not stand for */
	if (dir && (ops & FUSE_PASSTHROUGH_OP(FUSE_OPEN)))
		return -EINVAL;
	return 0;
}

/*
 * What a file the kernel found in a hierarchical directory serves (hier.c):
 * attributes, the kernel's own open, and the data path; setattr too if
 * the directory's registration serves it.
 */
#define FUSEPT_PT_OPS_CHILD	(FUSEPT_PT_OPS_RW | \
				 FUSE_PASSTHROUGH_OP(FUSE_GETATTR) | \
				 FUSE_PASSTHROUGH_OP(FUSE_OPEN))

/*
 * The registration the kernel makes for such a file: an O_PATH file on the
 * directory's lower mount, with the directory registration's credentials.
 * No ID names it; the inode's binding holds the only reference.
 */
struct fusept_backing *fusept_pt_backing_child(struct fusept_backing *dir,
					       struct dentry *lower)
{
	struct path path = { .mnt = dir->file->f_path.mnt, .dentry = lower };
	struct fusept_backing *fb;
	struct file *file;

	fb = kzalloc(sizeof(*fb), GFP_KERNEL);
	if (!fb)
		return ERR_PTR(-ENOMEM);
	file = dentry_open(&path, O_PATH, dir->cred);
	if (IS_ERR(file)) {
		kfree(fb);
		return ERR_CAST(file);
	}
	fb->file = file;
	fb->cred = get_cred(dir->cred);
	fb->ops = FUSEPT_PT_OPS_CHILD |
		  (dir->ops & FUSE_PASSTHROUGH_OP(FUSE_SETATTR));
	refcount_set(&fb->count, 1);
	return fb;
}

/* A lower file the daemon offers: checked as mainline checks it */
static struct fusept_backing *
fusept_pt_backing_new(struct fusept_conn *fc, int fd, u64 ops)
{
	struct fusept_backing *fb;
	struct file *file;
	int err;

	if (!fusept_pt_capable())
		return ERR_PTR(-EPERM);
	/*
	 * As mainline since 6.12, an O_PATH descriptor will do in mainline
	 * mode: every open gets a backing file of its own (fusept_pt_open)
	 * and the daemon need not open the lower file for real. Android's
	 * PASSTHROUGH_OPEN takes an opened file (fget), as Android's FUSE.
	 */
	if (fc->pt_mode == FUSEPT_PT_MAINLINE)
		file = fget_raw(fd);
	else
		file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	err = fusept_pt_ops_check(file_inode(file)->i_mode, ops);
	if (!err && file_inode(file)->i_sb->s_stack_depth >= fc->max_stack_depth)
		err = -ELOOP;
	if (err)
		goto out_fput;
	err = -ENOMEM;
	fb = kzalloc(sizeof(*fb), GFP_KERNEL);
	if (!fb)
		goto out_fput;
	fb->file = file;
	/* credentials are never changed once in use: a reference will do */
	fb->cred = get_current_cred();
	/* STATX stands for GETATTR: later checks look for GETATTR only */
	if (ops & FUSE_PASSTHROUGH_OP(FUSE_STATX))
		ops |= FUSE_PASSTHROUGH_OP(FUSE_GETATTR);
	fb->ops = ops;
	refcount_set(&fb->count, 1);
	return fb;

out_fput:
	fput(file);
	return ERR_PTR(err);
}

static int fusept_pt_backing_register(struct fusept_conn *fc, int fd, u64 ops)
{
	struct fusept_backing *fb = fusept_pt_backing_new(fc, fd, ops);
	int id;

	if (IS_ERR(fb))
		return PTR_ERR(fb);
	idr_preload(GFP_KERNEL);
	spin_lock(&fc->lock);
	id = fc->connected ? idr_alloc_cyclic(&fc->backing_idr, fb, 1, 0,
					      GFP_ATOMIC) : -ENOTCONN;
	spin_unlock(&fc->lock);
	idr_preload_end();
	if (id < 0)
		fusept_pt_backing_put(fb);
	return id;
}

/*
 * The mode INIT agreed; none before INIT's reply (EPERM then, as in
 * mainline). pt_mode and inode_pt do not change after it.
 */
static enum fusept_pt_mode fusept_pt_agreed(struct fusept_conn *fc)
{
	/* pairs with smp_store_release() in fusept_init_end() */
	return smp_load_acquire(&fc->initialized) ? fc->pt_mode :
						     FUSEPT_PT_NONE;
}

/* ops_mask only with inode passthrough; before it, mainline's padding */
static long fusept_pt_ioc_backing_open(struct fusept_conn *fc,
				       struct fuse_backing_map __user *argp)
{
	struct fuse_backing_map map;

	if (fusept_pt_agreed(fc) != FUSEPT_PT_MAINLINE)
		return -EPERM;
	if (copy_from_user(&map, argp, sizeof(map)))
		return -EFAULT;
	if (map.flags || (map.ops_mask && !fc->inode_pt))
		return -EINVAL;
	return fusept_pt_backing_register(fc, map.fd, map.ops_mask);
}

static struct fusept_backing *
fusept_pt_backing_remove(struct fusept_conn *fc, u32 id)
{
	struct fusept_backing *fb;

	spin_lock(&fc->lock);
	fb = idr_remove(&fc->backing_idr, id);
	spin_unlock(&fc->lock);
	return fb;
}

static long fusept_pt_ioc_backing_close(struct fusept_conn *fc, u32 __user *argp)
{
	struct fusept_backing *fb;
	u32 id;

	if (fusept_pt_agreed(fc) != FUSEPT_PT_MAINLINE)
		return -EPERM;
	if (!fusept_pt_capable())
		return -EPERM;
	if (get_user(id, argp))
		return -EFAULT;
	if ((int)id <= 0)
		return -EINVAL;
	fb = fusept_pt_backing_remove(fc, id);
	if (!fb)
		return -ENOENT;
	fusept_pt_backing_put(fb);
	return 0;
}

static long fusept_pt_ioc_android_open(struct fusept_conn *fc, u32 __user *argp)
{
	u32 fd;

	if (fusept_pt_agreed(fc) != FUSEPT_PT_ANDROID)
		return -EPERM;
	if (get_user(fd, argp))
		return -EFAULT;
	return fusept_pt_backing_register(fc, fd, 0);
}

/* Look an ID up and pin it; Android IDs are used up by the lookup */
static struct fusept_backing *
fusept_pt_backing_lookup(struct fusept_conn *fc, int id)
{
	struct fusept_backing *fb;

	if (id <= 0)
		return NULL;
	if (fc->pt_mode == FUSEPT_PT_ANDROID)
		return fusept_pt_backing_remove(fc, id);
	rcu_read_lock();
	fb = idr_find(&fc->backing_idr, id);
	if (fb && !refcount_inc_not_zero(&fb->count))
		fb = NULL;
	rcu_read_unlock();
	return fb;
}

/*
 * The same privilege as BACKING_OPEN. EBADF: the ID names nothing; EINVAL:
 * it cannot bind that inode; ENOENT: no such inode cached; EBUSY: bound
 * to another lower inode, or open without passthrough.
 */
static long fusept_pt_ioc_bind(struct fusept_conn *fc,
			       struct fusept_bind __user *argp)
{
	struct fusept_backing *fb;
	struct fusept_bind b;
	long err;

	if (fusept_pt_agreed(fc) != FUSEPT_PT_MAINLINE || !fc->inode_pt)
		return -EPERM;
	if (!fusept_pt_capable())
		return -EPERM;
	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (!b.nodeid || (b.flags & ~FUSEPT_BIND_FLAGS) || b.backing_id <= 0)
		return -EINVAL;
	fb = fusept_pt_backing_lookup(fc, b.backing_id);
	if (!fb)
		return -EBADF;
	err = fusept_pt_bind_node(fc, b.nodeid, b.generation, fb, b.flags);
	fusept_pt_backing_put(fb);
	return err;
}

/* The same privilege as BACKING_CLOSE: the daemon takes a binding back */
static long fusept_pt_ioc_unbind(struct fusept_conn *fc,
				 struct fusept_unbind __user *argp)
{
	struct fusept_unbind ub;

	if (fusept_pt_agreed(fc) != FUSEPT_PT_MAINLINE)
		return -EPERM;
	if (!fusept_pt_capable())
		return -EPERM;
	if (copy_from_user(&ub, argp, sizeof(ub)))
		return -EFAULT;
	if (!ub.nodeid)
		return -EINVAL;
	return fusept_pt_unbind(fc, ub.nodeid, ub.generation);
}

long fusept_pt_ioctl(struct fusept_conn *fc, unsigned int cmd,
		     unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case FUSE_DEV_IOC_BACKING_OPEN:
		return fusept_pt_ioc_backing_open(fc, argp);
	case FUSE_DEV_IOC_BACKING_CLOSE:
		return fusept_pt_ioc_backing_close(fc, argp);
	case FUSE_DEV_IOC_PASSTHROUGH_OPEN:
		return fusept_pt_ioc_android_open(fc, argp);
	case FUSEPT_DEV_IOC_BIND:
		return fusept_pt_ioc_bind(fc, argp);
	case FUSEPT_DEV_IOC_UNBIND:
		return fusept_pt_ioc_unbind(fc, argp);
	}
	return -ENOTTY;
}

/*
 * An entry reply that ends with a bind trailer (inode passthrough): pin the
 * registration it names. A trailer that names nothing or is malformed
 * makes the operation fail (ERR_PTR) once the reply has been taken.
 */
static void fusept_pt_reply_bind(struct fusept_req *req)
{
	const struct fusept_entry_bind *tb;

	if (!req->bind_ok || req->error ||
	    req->reply_len != req->out_max + sizeof(*tb))
		return;
	tb = req->reply + req->out_max;
	if ((tb->flags & ~FUSEPT_BIND_FLAGS) || tb->reserved)
		req->bind.fb = ERR_PTR(-EIO);
	else if (tb->backing_id)
		req->bind.fb = fusept_pt_backing_lookup(req->fc,
							tb->backing_id) ?:
			       ERR_PTR(-EIO);
	req->bind.flags = tb->flags;
}

/*
 * A CREATE reply that leaves the open to the kernel (inode passthrough):
 * FOPEN_PASSTHROUGH with backing ID 0 (never a registration) and fh 0.
 * The binding of the new inode, which must serve OPEN, names the lower
 * file to open; the daemon keeps no handle, so no FLUSH or RELEASE may
 * name one, not even for a reply that is refused or comes too late.
 */
bool fusept_pt_create_kopen(struct fusept_conn *fc,
			    const struct fuse_open_out *open)
{
	return fc->inode_pt && fc->pt_mode == FUSEPT_PT_MAINLINE &&
	       (open->open_flags & FOPEN_PASSTHROUGH) && !open->backing_id &&
	       !open->fh;
}

/*
 * An OPEN or CREATE reply just came in: if it asks for passthrough, pin
 * the backing object now, while the daemon's write(2) is still running.
 * An ID that names nothing makes the open fail (ERR_PTR), once the reply
 * has been taken: the daemon's handle and node are then given back.
 */
void fusept_pt_reply(struct fusept_req *req)
{
	struct fusept_conn *fc = req->fc;
	const struct fuse_open_out *out;
	size_t off = req->opcode == FUSE_CREATE ?
		sizeof(struct fuse_entry_out) : 0;
	bool want;

	fusept_pt_reply_bind(req);
	if ((req->opcode != FUSE_OPEN && req->opcode != FUSE_CREATE) ||
	    req->error || fc->pt_mode == FUSEPT_PT_NONE ||
	    req->reply_len < off + sizeof(*out))
		return;
	out = req->reply + off;
	if (fc->pt_mode == FUSEPT_PT_MAINLINE)
		want = out->open_flags & FOPEN_PASSTHROUGH;
	else
		want = out->backing_id != 0;
	if (!want ||
	    (req->opcode == FUSE_CREATE && fusept_pt_create_kopen(fc, out)))
		return;
	req->backing = fusept_pt_backing_lookup(fc, out->backing_id);
	if (!req->backing)
		req->backing = ERR_PTR(-EIO);
}

/* Drop every ID of a connection that ended */
void fusept_pt_conn_end(struct fusept_conn *fc)
{
	struct fusept_backing *fb;
	int id;

	spin_lock(&fc->lock);
	idr_for_each_entry(&fc->backing_idr, fb, id) {
		idr_remove(&fc->backing_idr, id);
		spin_unlock(&fc->lock);
		fusept_pt_backing_put(fb);
		spin_lock(&fc->lock);
	}
	spin_unlock(&fc->lock);
}

static const struct {
	u32 opcode;
	const char *name;
} fusept_pt_op_names[] = {
	{ FUSE_LOOKUP, "lookup" }, { FUSE_GETATTR, "getattr" },
	{ FUSE_SETATTR, "setattr" }, { FUSE_OPEN, "open" },
	{ FUSE_READ, "read" }, { FUSE_WRITE, "write" },
	{ FUSE_READDIR, "readdir" }, { FUSE_STATX, "statx" },
};

/* " ops=getattr,open" for an ops_mask, nothing for 0 */
static size_t fusept_pt_show_ops(u64 ops, char *buf, size_t size)
{
	const char *sep = " ops=";
	size_t len = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(fusept_pt_op_names); i++) {
		if (!(ops & FUSE_PASSTHROUGH_OP(fusept_pt_op_names[i].opcode)))
			continue;
		len += scnprintf(buf + len, size - len, "%s%s", sep,
				 fusept_pt_op_names[i].name);
		sep = ",";
	}
	return len;
}

/*
 * sysfs: the lower files behind the IDs, which lsof cannot show: "ID
 * PATH", or "ID ops=OP,OP PATH" for a registration with inode operations
 */
ssize_t fusept_pt_show(struct fusept_conn *fc, char *buf, size_t size)
{
	struct fusept_backing *fb;
	char *path, *tmp;
	size_t len = 0;
	int id;

	tmp = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	spin_lock(&fc->lock);
	idr_for_each_entry(&fc->backing_idr, fb, id) {
		path = d_path(&fb->file->f_path, tmp, PATH_MAX);
		if (IS_ERR(path))
			path = "?";
		len += scnprintf(buf + len, size - len, "%d", id);
		len += fusept_pt_show_ops(fb->ops, buf + len, size - len);
		len += scnprintf(buf + len, size - len, " %s\n", path);
	}
	spin_unlock(&fc->lock);
	kfree(tmp);
	return len;
}

/*
 * How the opens of an inode share it.
 *
 * Mainline mode: one backing file per inode. An inode open in cached mode
 * refuses a passthrough open and the other way round, and all passthrough
 * opens of an inode share one backing object. A mismatch is EIO, as in
 * mainline.
 *
 * Android mode: each open has a backing file of its own, and an inode may
 * be open with and without passthrough at once, as on the Android kernels
 * (a media daemon serves some apps redacted reads, others the file).
 *
 * The page cache is kept honest, not coherent (docs/passthrough.md); the
 * rules hold in both modes, only Android mode has both kinds open at once:
 *  - a passthrough write, splice or fallocate first writes back the
 *    cached pages of its range that a shared mapping dirtied, so that they
 *    cannot overwrite it later; once it is done, size and times are
 *    copied and the cached pages of the range dropped (unmapped too):
 *    cached reads and faults after it see the new data;
 *  - every open of an inode opened with passthrough once drops the page
 *    cache, FOPEN_KEEP_CACHE or not, and so do fsync and the release of a
 *    passthrough file: stores through a passthrough mapping, which fusept
 *    does not see, reach cached readers at those points;
 *  - cached writes reach the daemon before write(2) returns, stores
 *    through a cached shared mapping at msync, fsync, munmap and
 *    writeback, and at the next passthrough open or write of their range:
 *    passthrough readers see them once the daemon wrote the lower file.
 * A page read in or dirtied again while it is being dropped stays (an
 * access that raced with the change); the drops ignore -EBUSY for that.
 */
static int fusept_pt_inode_get(struct inode *inode, struct fusept_backing *fb)
{
	struct fusept_inode *fi = fusept_i(inode);
	bool mainline = fusept_i_conn(inode)->pt_mode == FUSEPT_PT_MAINLINE;
	int err = 0;

	spin_lock(&fi->lock);
	if (mainline && (fi->cached_opens ||
			 (fi->backing && file_inode(fi->backing->file) !=
					 file_inode(fb->file)))) {
		err = -EIO;
	} else {
		if (!fi->pt_opens++)
			fi->backing = fusept_pt_backing_get(fb);
		WRITE_ONCE(fi->pt_seen, true);
	}
	spin_unlock(&fi->lock);
	return err;
}

static void fusept_pt_inode_put(struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);
	struct fusept_backing *fb = NULL;

	spin_lock(&fi->lock);
	if (!--fi->pt_opens)
		swap(fb, fi->backing);
	spin_unlock(&fi->lock);
	fusept_pt_backing_put(fb);
}

/* A cached open; in mainline mode it fails while the inode has passthrough */
int fusept_pt_cached_open_get(struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);
	int err = 0;

	spin_lock(&fi->lock);
	if (fi->pt_opens &&
	    fusept_i_conn(inode)->pt_mode == FUSEPT_PT_MAINLINE)
		err = -EIO;
	else
		fi->cached_opens++;
	spin_unlock(&fi->lock);
	return err;
}

void fusept_pt_cached_open_put(struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);

	spin_lock(&fi->lock);
	fi->cached_opens--;
	spin_unlock(&fi->lock);
}

/* May an open keep the page cache (FOPEN_KEEP_CACHE)? */
bool fusept_pt_keep_cache(struct inode *inode)
{
	return !READ_ONCE(fusept_i(inode)->pt_seen);
}

/*
 * Before a passthrough change of [start, end]: the cached pages a shared
 * mapping dirtied there go to the daemon first. An error stays recorded
 * for the cached writer's fsync.
 */
static void fusept_pt_flush(struct inode *inode, loff_t start, loff_t end)
{
	if (end >= start && inode->i_mapping->nrpages)
		filemap_write_and_wait_range(inode->i_mapping, start, end);
}

/*
 * After one: the cached pages of [start, end] go. nrpages is read unlocked:
 * a page added after the lower file changed is read from the new data.
 */
static void fusept_pt_drop(struct inode *inode, loff_t start, loff_t end)
{
	if (end >= start && inode->i_mapping->nrpages)
		invalidate_inode_pages2_range(inode->i_mapping,
					      start >> PAGE_SHIFT,
					      end >> PAGE_SHIFT);
}

/*
 * May a registration serve an open with these flags? dentry_open() checks
 * nothing, so the access must be one the registered file was opened with,
 * or one the daemon's credentials would get from a real open of the lower
 * file (may_open()'s rules: permission, append-only, O_NOATIME).
 */
static int fusept_pt_may_open(struct fusept_backing *fb, int flags)
{
	const struct path *path = &fb->file->f_path;
	int acc = flags & O_ACCMODE, mask = 0, err = 0;
	fmode_t need = 0;
	const struct cred *old;

	if (acc != O_WRONLY) {
		mask |= MAY_READ;
		need |= FMODE_READ;
	}
	if (acc != O_RDONLY) {
		mask |= MAY_WRITE;
		need |= FMODE_WRITE;
		if (IS_APPEND(d_inode(path->dentry)) && !(flags & O_APPEND))
			return -EPERM;
	}
	old = override_creds(fb->cred);
	if ((fb->file->f_mode & need) != need)
		err = fusept_path_permission(path, mask);
	if (!err && (flags & O_NOATIME) && !(fb->file->f_flags & O_NOATIME) &&
	    !fusept_path_owner_or_capable(path))
		err = -EPERM;
	revert_creds(old);
	return err;
}

/*
 * The flags a lower file system reads from f_flags when the file is
 * opened or at each I/O; a shared backing file must have the open's.
 */
#define FUSEPT_PT_IO_FLAGS	(O_APPEND | O_DIRECT | O_SYNC | O_DSYNC | \
				 O_NOATIME)

/*
 * May an open use the registered file itself instead of a second
 * dentry_open() of it? Only a real open file (not O_PATH) with the access
 * the open needs and the same I/O flags, opened with the registration's
 * credentials, not hidden from fanotify, for an open that is not an exec.
 * What the daemon's descriptor and the opens then share, and why it does
 * not matter, is listed above fusept_pt_sync_kiocb() and in
 * docs/passthrough.md: not the position, not the I/O flags, not fsync's
 * error cursor.
 */
/*
 * Would a file opened with credentials a do I/O as one opened with b? The
 * same file system ids, groups, capabilities and user namespace. Pointers
 * alone would not do: fork() copies the credentials of the daemon that
 * opened the file before it registered it.
 */
static bool fusept_pt_same_cred(const struct cred *a, const struct cred *b)
{
	return a == b ||
	       (uid_eq(a->fsuid, b->fsuid) && gid_eq(a->fsgid, b->fsgid) &&
		a->group_info == b->group_info && a->user_ns == b->user_ns &&
		cap_issubset(a->cap_effective, b->cap_effective) &&
		cap_issubset(b->cap_effective, a->cap_effective));
}

static bool fusept_pt_can_share(struct fusept_backing *fb, int flags)
{
	struct file *bf = fb->file;
	int acc = flags & O_ACCMODE;
	fmode_t need = 0;

	if ((bf->f_mode & FMODE_PATH) || fusept_file_nonotify(bf) ||
	    !fusept_pt_same_cred(bf->f_cred, fb->cred) ||
	    (flags & __FMODE_EXEC))
		return false;
	if (acc != O_WRONLY)
		need |= FMODE_READ;
	if (acc != O_RDONLY)
		need |= FMODE_WRITE;
	return (bf->f_mode & need) == need &&
	       !((bf->f_flags ^ flags) & FUSEPT_PT_IO_FLAGS);
}

/* A file of its own on a registered lower file, as the daemon would open it */
static struct file *fusept_pt_open_path(const struct path *path, int flags,
					const struct cred *cred)
{
	const struct cred *old;
	struct file *bf;

	old = override_creds(cred);
	bf = dentry_open(path, flags, cred);
	revert_creds(old);
	return bf;
}

/* The backing file of an open: the registered one, or an open of its path */
static struct file *fusept_pt_backing_file(struct fusept_backing *fb,
					   int flags, struct fusept_file *ff)
{
	ff->backing_shared = fusept_pt_can_share(fb, flags);
	if (ff->backing_shared) {
		ff->backing_wb_err = filemap_sample_wb_err(fb->file->f_mapping);
		return get_file(fb->file);
	}
	return fusept_pt_open_path(&fb->file->f_path, flags, fb->cred);
}

/* Give an open FUSE file a backing file */
int fusept_pt_open(struct inode *inode, struct file *file,
		   struct fusept_file *ff, struct fusept_backing *fb)
{
	int flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
	struct file *bf;
	int err;

	/*
	 * Mainline refuses it; MediaProvider sets it beside passthrough_fh,
	 * and Android mode drops the cache at such an open all the same
	 */
	if ((ff->open_flags & FOPEN_KEEP_CACHE) &&
	    fusept_i_conn(inode)->pt_mode == FUSEPT_PT_MAINLINE)
		return -EIO;
	/* a directory registered for inode passthrough serves no open */
	if (!S_ISREG(file_inode(fb->file)->i_mode))
		return -EIO;
	err = fusept_pt_may_open(fb, flags);
	if (err)
		return err;
	err = fusept_pt_inode_get(inode, fb);
	if (err)
		return err;
	bf = fusept_pt_backing_file(fb, flags, ff);
	if (IS_ERR(bf)) {
		fusept_pt_inode_put(inode);
		return PTR_ERR(bf);
	}
	ff->backing_file = bf;
	ff->backing_cred = get_cred(fb->cred);
	return 0;
}

void fusept_pt_release(struct inode *inode, struct fusept_file *ff)
{
	fput(ff->backing_file);
	if (ff->aux_file)
		fput(ff->aux_file);
	put_cred(ff->backing_cred);
	ff->backing_file = NULL;
	ff->aux_file = NULL;
	fusept_pt_inode_put(inode);
	fusept_pt_drop(inode, 0, LLONG_MAX);
}

/* After the lower file changed: size and times as stat(2) should see them */
static void fusept_pt_copy_attr(struct inode *inode, struct file *bf)
{
	struct inode *lower = file_inode(bf);
	struct fusept_inode *fi = fusept_i(inode);

	spin_lock(&fi->lock);
	fi->attr_version = atomic64_inc_return(&fusept_i_conn(inode)->attr_version);
	i_size_write(inode, i_size_read(lower));
	inode_set_mtime_to_ts(inode, inode_get_mtime(lower));
	inode_set_ctime_to_ts(inode, inode_get_ctime(lower));
	spin_unlock(&fi->lock);
}

/* The last byte of len bytes at pos; pos -1 (appended): the whole file */
static loff_t fusept_pt_last(loff_t pos, size_t len)
{
	if (pos < 0 || len > LLONG_MAX - pos)
		return LLONG_MAX;
	return pos + len - 1;
}

/* After a passthrough write of res bytes at pos (-1: appended) */
static void fusept_pt_written(struct inode *inode, struct file *bf,
			      loff_t pos, ssize_t res)
{
	fusept_pt_copy_attr(inode, bf);
	if (res > 0)
		fusept_pt_drop(inode, max_t(loff_t, pos, 0),
			       fusept_pt_last(pos, res));
}

/*
 * A synchronous kiocb for the backing file, with the caller's position and
 * I/O flags (O_APPEND, O_DSYNC, ... of the fusept file), not the backing
 * file's: a shared backing file's f_flags are the daemon's to change with
 * F_SETFL. Only O_DIRECT is the backing file's: a lower file system that
 * cannot do direct I/O refuses it at open, not at each I/O.
 */
static void fusept_pt_sync_kiocb(struct kiocb *k, struct kiocb *iocb,
				 struct file *bf)
{
	kiocb_clone(k, iocb, bf);
	k->ki_flags &= ~IOCB_DIRECT;
	if (bf->f_flags & O_DIRECT)
		k->ki_flags |= IOCB_DIRECT;
}

/*
 * Asynchronous I/O (aio, io_uring): the request goes on to the backing
 * file with a kiocb of its own, and the caller's kiocb completes when that
 * one does. Two references: the submitter's, and the completion's, which
 * is dropped at once when the backing filesystem did not queue the I/O.
 * A write completes in fusept's workqueue, where the inode's size and
 * times are updated in process context.
 */
struct fusept_pt_aio {
	struct kiocb iocb;		/* on the backing file */
	struct kiocb *orig;		/* on the fusept file */
	loff_t pos;			/* of a write; -1: appended */
	refcount_t ref;
	long res;
	struct work_struct work;
};

static struct workqueue_struct *fusept_pt_aio_wq;

static void fusept_pt_aio_put(struct fusept_pt_aio *aio)
{
	if (!refcount_dec_and_test(&aio->ref))
		return;
	fput(aio->iocb.ki_filp);
	kfree(aio);
}

/* The backing I/O is over: what the caller's kiocb needs, then a put */
static void fusept_pt_aio_end(struct fusept_pt_aio *aio, bool queued, long res)
{
	struct file *bf = aio->iocb.ki_filp;

	aio->orig->ki_pos = aio->iocb.ki_pos;
	if (aio->iocb.ki_flags & IOCB_WRITE) {
		fusept_aio_end_write(bf, queued);
		fusept_pt_written(file_inode(aio->orig->ki_filp), bf,
				  aio->pos, res);
	}
	fusept_pt_aio_put(aio);
}

static void fusept_pt_aio_work(struct work_struct *work)
{
	struct fusept_pt_aio *aio = container_of(work, struct fusept_pt_aio, work);
	struct kiocb *orig = aio->orig;
	long res = aio->res;

	fusept_pt_aio_end(aio, true, res);
	fusept_ki_complete(orig, res);
}

static FUSEPT_DECLARE_KI_COMPLETE(fusept_aio_complete)
{
	struct fusept_pt_aio *aio = container_of(iocb, struct fusept_pt_aio, iocb);
	struct kiocb *orig = aio->orig;

	if (aio->iocb.ki_flags & IOCB_WRITE) {
		aio->res = res;
		INIT_WORK(&aio->work, fusept_pt_aio_work);
		queue_work(fusept_pt_aio_wq, &aio->work);
		return;
	}
	fusept_pt_aio_end(aio, true, res);
	fusept_ki_complete(orig, res);
}

static struct fusept_pt_aio *fusept_pt_aio_new(struct kiocb *iocb, struct file *bf)
{
	struct fusept_pt_aio *aio = kzalloc(sizeof(*aio), GFP_KERNEL);

	if (!aio)
		return NULL;
	aio->orig = iocb;
	kiocb_clone(&aio->iocb, iocb, get_file(bf));
	/* the backing filesystem must complete this kiocb by itself */
	aio->iocb.ki_flags &= ~(IOCB_DIO_CALLER_COMP | IOCB_AIO_RW);
	aio->iocb.ki_complete = fusept_aio_complete;
	refcount_set(&aio->ref, 2);
	return aio;
}

/* Submit; the caller's kiocb completes later if the I/O was queued */
static ssize_t fusept_pt_aio_submit(struct fusept_pt_aio *aio, struct iov_iter *iter)
{
	struct file *bf = aio->iocb.ki_filp;
	ssize_t ret;

	if (aio->iocb.ki_flags & IOCB_WRITE)
		ret = vfs_iocb_iter_write(bf, &aio->iocb, iter);
	else
		ret = vfs_iocb_iter_read(bf, &aio->iocb, iter);
	if (ret != -EIOCBQUEUED)
		fusept_pt_aio_end(aio, false, ret);
	fusept_pt_aio_put(aio);
	return ret;
}

ssize_t fusept_pt_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct fusept_file *ff = iocb->ki_filp->private_data;
	struct file *bf = ff->backing_file;
	const struct cred *old;
	struct fusept_pt_aio *aio;
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	old = override_creds(ff->backing_cred);
	if (is_sync_kiocb(iocb)) {
		struct kiocb k;

		fusept_pt_sync_kiocb(&k, iocb, bf);
		ret = vfs_iocb_iter_read(bf, &k, to);
		iocb->ki_pos = k.ki_pos;
	} else {
		aio = fusept_pt_aio_new(iocb, bf);
		ret = aio ? fusept_pt_aio_submit(aio, to) : -ENOMEM;
	}
	revert_creds(old);
	return ret;
}

/*
 * The caller's write clears setuid, setgid and file capabilities of the
 * lower file as a write of its own to that file would: the write itself
 * runs with the daemon's credentials, which usually may keep them. A lower
 * file with none of them is marked S_NOSEC by its filesystem and costs
 * nothing here.
 */
static int fusept_pt_remove_privs(struct inode *inode, struct file *bf)
{
	struct inode *lower = file_inode(bf);
	umode_t mode;
	int err;

	if (IS_NOSEC(lower))
		return 0;
	file_start_write(bf);
	inode_lock(lower);
	mode = lower->i_mode;
	err = file_remove_privs(bf);
	if (lower->i_mode != mode)
		fusept_invalidate_attr_mask(inode, STATX_MODE | STATX_CTIME);
	inode_unlock(lower);
	file_end_write(bf);
	return err;
}

/*
 * No fusept inode lock around the write: the lower file's own locks
 * serialise it, RWF_APPEND makes the lower file system find the end, and
 * the attributes are copied under fi->lock. Holding the fusept inode
 * would order it before the lower file system's freeze protection, while
 * a splice into a fusept file orders a pipe before the fusept inode and a
 * splice into a lower file the freeze protection before a pipe: a cycle
 * (mainline fs/fuse holds its inode here and has it).
 */
ssize_t fusept_pt_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct fusept_file *ff = file->private_data;
	struct file *bf = ff->backing_file;
	const struct cred *old;
	struct fusept_pt_aio *aio;
	ssize_t ret;
	loff_t pos;

	if (!iov_iter_count(from))
		return 0;
	ret = fusept_pt_remove_privs(inode, bf);
	if (ret)
		return ret;
	pos = iocb->ki_flags & IOCB_APPEND ? -1 : iocb->ki_pos;
	fusept_pt_flush(inode, max_t(loff_t, pos, 0),
			fusept_pt_last(pos, iov_iter_count(from)));
	old = override_creds(ff->backing_cred);
	if (is_sync_kiocb(iocb)) {
		struct kiocb k;

		fusept_pt_sync_kiocb(&k, iocb, bf);
		fusept_backing_start_write(bf);
		ret = vfs_iocb_iter_write(bf, &k, from);
		fusept_backing_end_write(bf);
		iocb->ki_pos = k.ki_pos;
		fusept_pt_written(inode, bf, pos, ret);
	} else {
		aio = fusept_pt_aio_new(iocb, bf);
		if (aio) {
			aio->pos = pos;
			aio->iocb.ki_flags |= IOCB_WRITE;
			fusept_aio_start_write(bf);
			ret = fusept_pt_aio_submit(aio, from);
		} else {
			ret = -ENOMEM;
		}
	}
	revert_creds(old);
	return ret;
}

int fusept_pt_init(void)
{
	/* unbound: 7.x wants WQ_UNBOUND or WQ_PERCPU said */
	fusept_pt_aio_wq = alloc_workqueue("fusept-aio",
					   WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return fusept_pt_aio_wq ? 0 : -ENOMEM;
}

/* After the last mount is gone: no completion can still be queued */
void fusept_pt_exit(void)
{
	destroy_workqueue(fusept_pt_aio_wq);
}

ssize_t fusept_pt_splice_read(struct file *in, loff_t *ppos,
			      struct pipe_inode_info *pipe, size_t len,
			      unsigned int flags)
{
	struct fusept_file *ff = in->private_data;
	const struct cred *old;
	ssize_t ret;

	old = override_creds(ff->backing_cred);
	ret = fusept_pt_splice(in, ff->backing_file, ppos, pipe, len, flags);
	revert_creds(old);
	return ret;
}

/*
 * Into the lower file's own splice_write, with that file system's freeze
 * protection taken first as a splice into the lower file would: through
 * write_iter it would come after the pipe, and a splice into the lower
 * file orders it before (mainline's passthrough splice does the same).
 */
ssize_t fusept_pt_splice_write(struct pipe_inode_info *pipe, struct file *out,
			       loff_t *ppos, size_t len, unsigned int flags)
{
	struct fusept_file *ff = out->private_data;
	struct file *bf = ff->backing_file;
	const struct cred *old;
	loff_t pos = *ppos;
	ssize_t ret;

	if (!bf->f_op->splice_write)
		return -EINVAL;
	ret = fusept_pt_remove_privs(file_inode(out), bf);
	if (ret)
		return ret;
	fusept_pt_flush(file_inode(out), pos, fusept_pt_last(pos, len));
	old = override_creds(ff->backing_cred);
	file_start_write(bf);
	ret = bf->f_op->splice_write(pipe, bf, ppos, len, flags);
	file_end_write(bf);
	revert_creds(old);
	fusept_pt_written(file_inode(out), bf, pos, ret);
	return ret;
}

int fusept_pt_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct fusept_file *ff = file->private_data;
	const struct cred *old;
	int ret;

	if (!can_mmap_file(ff->backing_file))
		return -ENODEV;
	old = override_creds(ff->backing_cred);
	vma_set_file(vma, ff->backing_file);
	ret = vfs_mmap(vma->vm_file, vma);
	revert_creds(old);
	return ret;
}

/*
 * A shared backing file is the daemon's too: SEEK_DATA and SEEK_HOLE would
 * move its position, fsync would consume its writeback error cursor. They
 * use a read-only file of the same lower file instead, opened once for
 * this fusept file (another fsync or seek may race to make it).
 */
static struct file *fusept_pt_aux_file(struct fusept_file *ff)
{
	struct file *bf = ff->backing_file, *aux;

	if (!ff->backing_shared)
		return bf;
	aux = READ_ONCE(ff->aux_file);
	if (aux)
		return aux;
	aux = fusept_pt_open_path(&bf->f_path, O_RDONLY | O_LARGEFILE,
				  ff->backing_cred);
	if (IS_ERR(aux))
		return aux;
	/* its fsync reports the writeback errors since the fusept open */
	aux->f_wb_err = ff->backing_wb_err;
	if (cmpxchg(&ff->aux_file, NULL, aux)) {
		fput(aux);
		aux = READ_ONCE(ff->aux_file);
	}
	return aux;
}

/*
 * fsync of a shared backing file goes through the auxiliary file, whose
 * writeback error cursor starts where this fusept file's open sampled it:
 * each open and the daemon see an error once, as with files of their own.
 */
int fusept_pt_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct fusept_file *ff = file->private_data;
	const struct cred *old;
	struct file *bf;
	int ret;

	bf = fusept_pt_aux_file(ff);
	if (IS_ERR(bf))
		return PTR_ERR(bf);
	old = override_creds(ff->backing_cred);
	ret = vfs_fsync_range(bf, start, end, datasync);
	revert_creds(old);
	/* what a passthrough mapping stored reaches cached readers */
	fusept_pt_drop(file_inode(file), start, end);
	return ret;
}

long fusept_pt_fallocate(struct file *file, int mode, loff_t offset,
			 loff_t len)
{
	struct inode *inode = file_inode(file);
	struct fusept_file *ff = file->private_data;
	const struct cred *old;
	long ret;

	/* as a write does, and without the fusept inode lock for the same reason */
	ret = fusept_pt_remove_privs(inode, ff->backing_file);
	if (ret)
		return ret;
	/* collapsing or inserting a range moves the data after it too */
	fusept_pt_flush(inode, offset, LLONG_MAX);
	old = override_creds(ff->backing_cred);
	ret = vfs_fallocate(ff->backing_file, mode, offset, len);
	revert_creds(old);
	fusept_pt_copy_attr(inode, ff->backing_file);
	if (!ret)
		fusept_pt_drop(inode, offset, LLONG_MAX);
	return ret;
}

loff_t fusept_pt_llseek(struct file *file, loff_t offset, int whence)
{
	struct fusept_file *ff = file->private_data;
	struct file *bf = fusept_pt_aux_file(ff);
	loff_t ret;

	if (IS_ERR(bf))
		return PTR_ERR(bf);
	ret = vfs_llseek(bf, offset, whence);
	if (ret >= 0)
		ret = vfs_setpos(file, ret, file_inode(file)->i_sb->s_maxbytes);
	return ret;
}
