/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusept: private definitions shared by the module's files.
 *
 * Locking. The module's own locks, what each protects, how they nest:
 *
 *   fc->killsb (rw_semaphore, struct fusept_conn): fc->sb. Taken for
 *	reading by notifications (they look up the superblock's inodes)
 *	and INIT's end (it sets the superblock's limits); for writing by
 *	kill_sb, which clears fc->sb. The
 *	outermost lock of the module: an inode's i_rwsem (the parent's,
 *	in NOTIFY_INVAL_ENTRY and NOTIFY_DELETE) is taken under it.
 *   i_rwsem (inode_lock) of a fusept inode: the VFS's; fusept takes it
 *	itself for every write that is not passthrough (page cache or
 *	FOPEN_DIRECT_IO), fallocate and copy_file_range (the
 *	destination); setattr runs under it. In passthrough, the backing
 *	inode's i_rwsem is taken only after the backing file's
 *	file_start_write(), never under a fusept lock, but by setattr
 *	passthrough (bind.c): the lower freeze protection and i_rwsem under
 *	the i_rwsem of a passthrough-only inode or a directory, whose lock
 *	classes no cached write takes (inode.c).
 *   fc->lock (spinlock, struct fusept_conn): the request lists
 *	(pending, processing, interrupts, forgets) and num_forgets, the
 *	requests' state bits, reqctr, connected, want_init and
 *	init_taken, and the writers of backing_idr (its readers use
 *	RCU). The rules of a
 *	request's life are at the top of req.c.
 *   fi->lock (spinlock, struct fusept_inode): nlookup, the attributes
 *	and attr_version, write_files, backing and the open counts
 *	(pt_opens, cached_opens), pt_seen, and every i_size_write(): its
 *	writers (attribute replies, passthrough writes, truncate, cached
 *	writes) do not all hold i_rwsem, and on 32-bit SMP two writers at
 *	once could break i_size's seqcount.
 *   fc->polled's xa_lock: the poll handles; the NOTIFY_POLL wake-up
 *	runs under it so the file cannot be freed meanwhile.
 *
 * fc->lock, fi->lock and xa_lock are leaves: no other lock is taken under
 * them (but the wait queue locks of wake_up(), and d_path()'s seqlocks
 * in fusept_pt_show(), the sysfs listing of backing files), they are
 * never held across an allocation that may sleep, a copy to or from user
 * memory or a request to the daemon, and they never nest in one another.
 */
#ifndef FUSEPT_I_H
#define FUSEPT_I_H

#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/fusept.h>

#include "compat.h"

/*
 * Every message says "fusept: ". Defined here, not on the compiler's
 * command line, so that builds which do not read module/Kbuild (Kleaf's
 * ddk_module) get it too; printk.h's default is replaced, which works
 * because pr_fmt is expanded where pr_*() is called.
 */
#undef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#define FUSEPT_SUPER_MAGIC	0x65735546	/* FUSE's, so tools know us */
#define FUSEPT_NAME_MAX		1024
#define FUSEPT_DEFAULT_MAX_PAGES 32
#define FUSEPT_MAX_MAX_PAGES	256
#define FUSEPT_MIN_MINOR	9	/* older daemons are refused at INIT */
#define FUSEPT_MINOR_MKNOD_UMASK 12	/* fuse_mknod_in has umask from 7.12 */
#define FUSEPT_MINOR_BATCH_FORGET 16	/* BATCH_FORGET from 7.16 */
#define FUSEPT_FORGETS_FIRST	64	/* more queued: they go before requests */
#define FUSEPT_INT_REQ_BIT	1ULL	/* unique of an INTERRUPT */
#define FUSEPT_REQ_ID_STEP	2ULL
#define FUSEPT_MAX_BATCH_FORGET	256
#define FUSEPT_MIN_MAX_WRITE	4096
#define FUSEPT_MAX_NOTIFY_REPLIES 16	/* RETRIEVE replies not yet read */

/* Bits of fusept_req.flags */
enum {
	FUSEPT_R_SENT,		/* read by the daemon */
	FUSEPT_R_FINISHED,	/* reply in, or failed */
	FUSEPT_R_INTERRUPTED,	/* INTERRUPT queued for it */
	FUSEPT_R_ABANDONED,	/* caller gone: drop the reply */
	FUSEPT_R_NOREPLY,	/* daemon does not answer (FORGET) */
	FUSEPT_R_QUEUED,	/* on fc->pending or fc->processing */
	FUSEPT_R_INTR_QUEUED,	/* its INTERRUPT went on fc->interrupts */
};

struct fusept_conn;
struct fusept_req;
/*
 * A lower file the daemon registered (passthrough.c), with the daemon's
 * credentials of that time and the operations it may serve. Referenced by
 * the ID table, by each inode open with passthrough (fi->backing), by each
 * bound inode (fi->bind) and by replies in flight; freed after an RCU
 * grace period, so that readers of fi->bind may try to take a reference.
 */
struct fusept_backing {
	struct file *file;
	const struct cred *cred;
	u64 ops;			/* ops_mask of BACKING_OPEN */
	refcount_t count;
	struct rcu_head rcu;
};

/*
 * What an entry reply's bind trailer names: the registration (pinned; NULL
 * for none, an error for a trailer that named nothing) and FUSEPT_BIND_*
 */
struct fusept_trailer {
	struct fusept_backing *fb;
	u32 flags;
};

/* Passthrough flavour of a connection, from INIT */
enum fusept_pt_mode {
	FUSEPT_PT_NONE,
	FUSEPT_PT_MAINLINE,	/* BACKING_OPEN/CLOSE, FOPEN_PASSTHROUGH */
	FUSEPT_PT_ANDROID,	/* PASSTHROUGH_OPEN, one ID per open */
};

/* One argument of a request: a kernel buffer */
struct fusept_arg {
	const void *value;
	u32 size;
};

/*
 * What a caller asks: up to three input arguments and one reply buffer.
 * A fixed-size reply must have exactly out_size bytes; with out_var it may
 * be shorter. With take_reply the reply buffer itself is handed back in
 * reply (kvfree it) instead of being copied into out.
 */
struct fusept_args {
	u64 nodeid;
	u32 opcode;
	u8 in_numargs;
	bool out_var;
	bool take_reply;
	bool force;		/* do not wait for INIT (INIT itself) */
	bool background;	/* do not wait; end() is called */
	struct fusept_arg in[3];
	void *out;
	u32 out_size;		/* expected or maximum size of the reply */
	u32 out_len;		/* size of the reply received */
	void *reply;		/* with take_reply */
	struct fusept_backing *backing;	/* OPEN/CREATE: passthrough, pinned */
	bool bind_ok;		/* an entry reply: may end with a bind trailer */
	struct fusept_trailer bind;	/* the trailer's binding, pinned */
	u64 unique;		/* NOTIFY_REPLY: the daemon's notify_unique */
	void (*end)(struct fusept_conn *fc, struct fusept_args *args,
		    int error);
};

struct fusept_req {
	struct list_head list;		/* pending or processing */
	struct list_head intr_entry;	/* fc->interrupts */
	refcount_t ref;
	unsigned long flags;
	u64 unique;
	struct fusept_conn *fc;
	wait_queue_head_t waitq;
	u32 opcode;
	u32 in_len;
	void *in;			/* the whole message */
	u32 out_max;
	bool out_var;
	u32 reply_len;
	void *reply;			/* kvmalloc'd reply payload */
	int error;
	struct fusept_backing *backing;	/* pinned by an OPEN/CREATE reply */
	bool bind_ok;			/* out_max + a bind trailer will do */
	struct fusept_trailer bind;	/* pinned by the trailer */
	struct fusept_args *bg_args;	/* background request's args */
};

/* A FORGET waiting to be sent, preallocated with its inode */
struct fusept_forget {
	struct list_head list;
	u64 nodeid;
	u64 nlookup;
};

/* The daemon's side of a connection: the open /dev/fusept file */
struct fusept_dev {
	struct fusept_conn *fc;
};

/* The mount options of a mount being made (super.c) */
struct fusept_mount_opts {
	unsigned int fd;
	umode_t rootmode;
	kuid_t user_id;
	kgid_t group_id;
	unsigned int max_read;
	unsigned int blksize;
	char *subtype;			/* /proc/mounts: fusept.SUBTYPE */
	bool fd_set, rootmode_set, user_id_set, group_id_set;
	bool default_permissions;
	bool allow_other;
};

struct fusept_conn {
	/*
	 * lock: the request lists (pending, processing, interrupts,
	 * forgets), the requests' state bits, reqctr, connected,
	 * want_init and init_taken, the backing ID table's writers. A leaf spinlock: see "Locking"
	 * at the top of this file and the rules at the top of req.c.
	 */
	spinlock_t lock;
	refcount_t count;
	wait_queue_head_t waitq;	/* daemon readers */
	wait_queue_head_t blocked_waitq; /* callers waiting for INIT */
	wait_queue_head_t live_waitq;	/* umount waiting for num_live 0 */
	struct list_head pending;
	struct list_head processing;
	struct list_head interrupts;
	struct list_head forgets;
	unsigned int num_forgets;
	u64 reqctr;
	atomic_t num_waiting;		/* callers waiting for a reply */
	atomic_t num_live;		/* requests not yet freed */
	atomic_t num_notify_replies;	/* RETRIEVE replies not yet ended */
	atomic64_t attr_version;
	u32 lock_key[4];		/* fusept_lock_owner()'s cipher key */

	/* state */
	bool connected;
	bool initialized;
	bool conn_error;
	bool init_taken;		/* INIT's reply is being applied */
	u64 want_init;			/* FUSEPT_DEV_IOC_WANT_INIT's flags */

	/* negotiated */
	u32 minor;
	u64 flags;			/* INIT flags both sides agreed on */
	u32 max_read;
	u32 max_write;
	u32 max_pages;
	u32 max_readahead;
	bool no_interrupt;
	bool no_access;
	bool no_open;
	bool no_opendir;
	bool no_flush;
	bool no_getxattr;
	bool no_listxattr;
	bool no_setxattr;
	bool no_removexattr;
	bool no_create;
	bool no_rename2;
	bool no_fsync;
	bool no_fsyncdir;
	bool no_fallocate;
	bool no_lseek;
	bool no_copy_file_range;
	bool no_poll;
	enum fusept_pt_mode pt_mode;
	bool inode_pt;			/* FUSEPT_INODE_PASSTHROUGH agreed */
	int max_stack_depth;
	atomic_t bound;			/* inodes bound (inode passthrough) */
	struct idr backing_idr;		/* writers: lock; readers: RCU */
	struct xarray polled;		/* kernel handle -> fusept_file */

	/* mount options */
	kuid_t user_id;
	kgid_t group_id;
	bool default_permissions;
	bool allow_other;
	u32 opt_max_read;		/* as given, for /proc/mounts */

	struct user_namespace *user_ns;
	struct pid_namespace *pid_ns;
	struct rw_semaphore killsb;	/* sb stays while notifications run */
	struct super_block *sb;
	u32 id;				/* connection number in sysfs */
	struct kobject *kobj;
};

struct fusept_inode {
	struct inode vfs;
	u64 nodeid;
	u64 nlookup;
	u64 attr_version;
	u64 attr_expire;		/* jiffies64; 0: not yet known */
	u32 inval_mask;			/* STATX_* known stale since then */
	/*
	 * lock: nlookup, attributes, write_files, backing, the open counts,
	 * pt_seen (set under it, read without: a flag that only goes on),
	 * the writers of bind (its readers use RCU: bind.c)
	 */
	spinlock_t lock;
	bool bad;
	struct fusept_forget *forget;
	struct list_head write_files;	/* mapped shared writable: writeback */
	struct fusept_backing *backing;	/* while pt_opens */
	unsigned int pt_opens;
	unsigned int cached_opens;
	bool pt_seen;			/* opened with passthrough once */
	bool kmade;			/* made by a kernel lookup (hier.c) */
	/*
	 * Born bound with SETATTR and OPEN (set while I_NEW, never cleared):
	 * setattr goes to the lower inode, every open must be passthrough
	 * (bind.c), and i_rwsem has a lockdep class of its own
	 */
	bool pt_only;
	bool pt_tell;			/* FUSEPT_BIND_TELL_SETATTR */
	struct fusept_backing __rcu *bind;	/* inode passthrough */
};

struct fusept_file {
	refcount_t count;		/* the file, writeback in progress */
	u64 fh;
	u32 open_flags;
	u32 flags;			/* open(2) flags */
	u64 nodeid;
	struct fusept_conn *fc;
	struct list_head write_entry;	/* fusept_inode.write_files */
	bool opened;			/* OPEN was sent (not no_open) */
	bool kopen;			/* opened by the kernel: no fh */
	bool dir;
	bool cached;			/* counted in cached_opens */
	struct inode *release_inode;	/* held until RELEASE is answered */
	struct file *backing_file;	/* passthrough */
	const struct cred *backing_cred;
	bool backing_shared;		/* backing_file is the registered one */
	errseq_t backing_wb_err;	/* shared: this file's fsync cursor */
	struct file *aux_file;		/* shared: for SEEK_DATA/HOLE, fsync */
	struct file *lower_dir;		/* a directory bound with READDIR */
	bool flock;			/* holds a daemon's flock lock */
	u64 flock_owner;
	u32 kh;				/* poll handle; 0: none yet */
	wait_queue_head_t poll_wait;
};

static inline struct fusept_inode *fusept_i(struct inode *inode)
{
	return container_of(inode, struct fusept_inode, vfs);
}

static inline struct fusept_conn *fusept_sb_conn(struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct fusept_conn *fusept_i_conn(struct inode *inode)
{
	return fusept_sb_conn(inode->i_sb);
}

static inline u64 fusept_nodeid(struct inode *inode)
{
	return fusept_i(inode)->nodeid;
}

static inline bool fusept_has(struct fusept_conn *fc, u64 flag)
{
	return fc->flags & flag;
}

/* main.c */
extern struct kmem_cache *fusept_inode_cachep;

/* dev.c */
extern const struct file_operations fusept_dev_fops;
int fusept_dev_register(void);
void fusept_dev_unregister(void);
int fusept_dev_attach(struct file *file, struct fusept_conn *fc);
bool fusept_reply_size_ok(size_t size, u32 max, bool var);
bool fusept_req_reply_size_ok(const struct fusept_req *req, size_t size);

/* req.c */
ssize_t fusept_send(struct fusept_conn *fc, struct fusept_args *args);
void fusept_req_put(struct fusept_req *req);
void fusept_req_end(struct fusept_req *req);
struct fusept_req *fusept_req_take_next(struct fusept_conn *fc, size_t room,
					size_t *need)
	__releases(fc->lock);
void fusept_req_read_done(struct fusept_req *req, bool ok);
struct fusept_req *fusept_req_take_answered(struct fusept_conn *fc,
					    u64 unique);
u64 fusept_req_take_interrupt(struct fusept_conn *fc);
int fusept_req_interrupt_reply(struct fusept_conn *fc, u64 unique,
			       int error);
void fusept_queue_forget(struct fusept_conn *fc, struct fusept_forget *f,
			 u64 nodeid, u64 nlookup);
void fusept_forget_one(struct fusept_conn *fc, u64 nodeid);
void fusept_conn_end(struct fusept_conn *fc);
void fusept_conn_wait_idle(struct fusept_conn *fc);

/* conn.c */
struct fusept_conn *fusept_conn_new(void);
void fusept_conn_get(struct fusept_conn *fc);
void fusept_conn_put(struct fusept_conn *fc);
int fusept_send_init(struct fusept_conn *fc);
long fusept_ioc_want_init(struct fusept_conn *fc, u64 __user *argp);
void fusept_init_limits(struct fusept_conn *fc, const struct fuse_init_out *out);

/* super.c */
void fusept_sb_apply_init(struct fusept_conn *fc, u32 time_gran);
bool fusept_rootmode_ok(u32 mode);
bool fusept_blksize_ok(u32 size);
bool fusept_subtype_ok(const char *subtype);
struct fs_context;
struct fs_parameter;
int fusept_parse_param(struct fs_context *fsc, struct fs_parameter *param);
int fusept_fs_register(void);
void fusept_fs_unregister(void);

/* inode.c */
struct inode *fusept_iget(struct super_block *sb, u64 nodeid, u64 gen,
			  const struct fuse_attr *attr, u64 expire,
			  u64 attr_version, const struct fusept_trailer *tb);
int fusept_check_attr(const struct fuse_attr *attr);
int fusept_check_entry(const struct fuse_entry_out *out);
void fusept_apply_attr(struct inode *inode, const struct fuse_attr *attr,
		       u64 expire, u64 attr_version);
u64 fusept_expire(u64 sec, u32 nsec);
int fusept_update_attr(struct inode *inode, struct file *file, bool force);
bool fusept_allow_current(struct fusept_conn *fc);
void fusept_init_inode(struct inode *inode, const struct fuse_attr *attr);
void fusept_init_pt_only(struct inode *inode);
struct inode *fusept_alloc_inode(struct super_block *sb);
void fusept_free_inode(struct inode *inode);
void fusept_evict_inode(struct inode *inode);
int fusept_drop_inode(struct inode *inode);
int fusept_getattr(FUSEPT_IDMAP_ARG const struct path *path, struct kstat *stat,
		   u32 mask, unsigned int flags);
int fusept_permission(FUSEPT_IDMAP_ARG struct inode *inode, int mask);
int fusept_setattr(FUSEPT_IDMAP_ARG struct dentry *entry, struct iattr *attr);
void fusept_invalidate_attr(struct inode *inode);
void fusept_invalidate_attr_mask(struct inode *inode, u32 mask);
void fusept_dir_changed(struct inode *dir);
void fusept_data_changed(struct inode *inode);
bool fusept_attr_stale(struct inode *inode, u32 mask);
struct inode *fusept_ilookup(struct fusept_conn *fc, u64 nodeid);
struct inode *fusept_iget_locked(struct super_block *sb, u64 nodeid);

/* dir.c */
extern const struct inode_operations fusept_dir_iops;
extern const struct inode_operations fusept_symlink_iops;
extern const struct inode_operations fusept_special_iops;
extern const struct dentry_operations fusept_dentry_ops;
void fusept_set_entry_time(struct dentry *entry, const struct fuse_entry_out *o);
struct inode *fusept_lookup_name(struct inode *dir, const struct qstr *name,
				 struct fuse_entry_out *out);
extern const struct file_operations fusept_dir_fops;

/* file.c */
extern const struct inode_operations fusept_file_iops;
extern const struct file_operations fusept_file_fops;
extern const struct address_space_operations fusept_aops;
int fusept_open_common(struct inode *inode, struct file *file, bool dir);
int fusept_file_mode(struct inode *inode, struct file *file,
		     struct fusept_file *ff, struct fusept_backing *fb);
void fusept_file_mode_end(struct inode *inode, struct fusept_file *ff);
struct fusept_file *fusept_file_new(struct inode *inode, struct file *file,
				    bool dir);
void fusept_file_attach(struct inode *inode, struct file *file,
			struct fusept_file *ff);
void fusept_file_put(struct fusept_file *ff);
void fusept_release_orphan(struct fusept_conn *fc, bool dir, u64 nodeid,
			   u64 fh, u32 flags);
void fusept_write_done(struct inode *inode, loff_t end);
int fusept_fsync_common(struct file *file, loff_t start, loff_t end,
			int datasync, bool dir);
int fusept_release_common(struct inode *inode, struct file *file, bool dir);

/* lock.c */
int fusept_lk_check(const struct fuse_file_lock *ffl);
int fusept_file_lock(struct file *file, int cmd, struct file_lock *fl);
int fusept_file_flock(struct file *file, int cmd, struct file_lock *fl);
u64 fusept_lock_owner(struct fusept_conn *fc, fl_owner_t id);

/* poll.c */
__poll_t fusept_file_poll(struct file *file, struct poll_table_struct *wait);
void fusept_poll_release(struct fusept_file *ff);
int fusept_poll_wakeup(struct fusept_conn *fc, u64 kh);
void fusept_poll_wake_all(struct fusept_conn *fc);

/* notify.c */
ssize_t fusept_notify(struct fusept_conn *fc, int code, struct iov_iter *from,
		      size_t size);

/* passthrough.c */
void fusept_pt_backing_put(struct fusept_backing *fb);
struct fusept_backing *fusept_pt_backing_child(struct fusept_backing *dir,
					       struct dentry *lower);
struct fusept_backing *fusept_pt_backing_get(struct fusept_backing *fb);
int fusept_pt_ops_check(umode_t mode, u64 ops);
long fusept_pt_ioctl(struct fusept_conn *fc, unsigned int cmd,
		     unsigned long arg);
void fusept_pt_reply(struct fusept_req *req);
bool fusept_pt_create_kopen(struct fusept_conn *fc,
			    const struct fuse_open_out *open);
void fusept_pt_conn_end(struct fusept_conn *fc);
ssize_t fusept_pt_show(struct fusept_conn *fc, char *buf, size_t size);
int fusept_pt_cached_open_get(struct inode *inode);
bool fusept_pt_keep_cache(struct inode *inode);
void fusept_pt_cached_open_put(struct inode *inode);
int fusept_pt_open(struct inode *inode, struct file *file,
		   struct fusept_file *ff, struct fusept_backing *fb);
void fusept_pt_release(struct inode *inode, struct fusept_file *ff);
ssize_t fusept_pt_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t fusept_pt_write_iter(struct kiocb *iocb, struct iov_iter *from);
ssize_t fusept_pt_splice_read(struct file *in, loff_t *ppos,
			      struct pipe_inode_info *pipe, size_t len,
			      unsigned int flags);
ssize_t fusept_pt_splice_write(struct pipe_inode_info *pipe, struct file *out,
			       loff_t *ppos, size_t len, unsigned int flags);
int fusept_pt_mmap(struct file *file, struct vm_area_struct *vma);
int fusept_pt_fsync(struct file *file, loff_t start, loff_t end, int datasync);
long fusept_pt_fallocate(struct file *file, int mode, loff_t offset,
			 loff_t len);
loff_t fusept_pt_llseek(struct file *file, loff_t offset, int whence);

/* bind.c */
int fusept_pt_bind_check(struct fusept_backing *fb, umode_t mode);
int fusept_pt_bind(struct inode *inode, struct fusept_backing *fb);
void fusept_pt_bind_new(struct inode *inode, const struct fusept_trailer *tb);
int fusept_pt_open_bind(struct inode *inode, struct fusept_backing *fb);
int fusept_pt_bind_node(struct fusept_conn *fc, u64 nodeid, u64 generation,
			struct fusept_backing *fb, u32 flags);
struct fusept_backing *fusept_pt_bound(struct inode *inode, u32 opcode);
u64 fusept_pt_bound_ops(struct inode *inode);
bool fusept_pt_unbind_inode(struct inode *inode);
int fusept_pt_unbind(struct fusept_conn *fc, u64 nodeid, u64 generation);
int fusept_pt_lower_attr(struct fusept_conn *fc, struct fusept_backing *fb,
			 struct fuse_attr *attr);
u64 fusept_pt_attr_expire(struct fusept_inode *fi);
int fusept_pt_getattr(struct inode *inode, struct fusept_backing *fb);
struct fusept_backing *fusept_pt_setattr_bound(struct inode *inode);
int fusept_pt_setattr(struct dentry *entry, struct iattr *attr,
		      struct fusept_backing *fb);
int fusept_pt_init(void);
void fusept_pt_exit(void);

/* hier.c */
/* d_fsdata of a name the kernel looked up in a hierarchical directory */
#define FUSEPT_D_KMADE		((void *)1UL)
struct dentry *fusept_hier_lookup(struct inode *dir, struct dentry *entry,
				  bool *daemon);
int fusept_hier_valid(struct inode *dir, const struct qstr *name,
		      struct inode *inode);
int fusept_hier_known(struct dentry *entry, struct inode *inode);
bool fusept_hier_dir(struct inode *dir);

/* readdir.c */
bool fusept_name_ok(const char *name, size_t len);
int fusept_check_dirent(const struct fuse_dirent *d, size_t room);
int fusept_check_direntplus(const struct fuse_direntplus *dp, size_t room);
int fusept_readdir_open(struct inode *inode, struct fusept_file *ff);
int fusept_readdir(struct file *file, struct dir_context *ctx);

/* xattr.c */
extern const struct xattr_handler *fusept_xattr_handlers[];
bool fusept_xattr_list_ok(const char *list, size_t size);
ssize_t fusept_listxattr(struct dentry *entry, char *list, size_t size);

/* sysfs.c */
int fusept_sysfs_init(void);
void fusept_sysfs_exit(void);
int fusept_sysfs_add_conn(struct fusept_conn *fc);
void fusept_sysfs_del_conn(struct fusept_conn *fc);

/*
 * selftest.c, in a build with FUSEPT_SELFTEST=1 only: the table-driven
 * tests of the checkers above, run by module init; an error stops the load
 */
#ifdef FUSEPT_SELFTEST
int fusept_selftest(void);
#else
static inline int fusept_selftest(void)
{
	return 0;
}
#endif

#endif /* FUSEPT_I_H */
