/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * fusept: the FUSE wire protocol and the /dev/fusept ioctls.
 *
 * The numbers and layouts below are the FUSE interface (protocol 7.x as
 * spoken by Linux and libfuse 3), so that unmodified FUSE daemons work over
 * /dev/fusept. The names follow the protocol's own names; a program includes
 * either this header or <linux/fuse.h>, not both.
 *
 * Usable from the kernel and from userspace.
 */
#ifndef _UAPI_LINUX_FUSEPT_H
#define _UAPI_LINUX_FUSEPT_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Protocol version spoken by fusept */
#define FUSE_KERNEL_VERSION		7
#define FUSE_KERNEL_MINOR_VERSION	40

/* Node ID of the root directory */
#define FUSE_ROOT_ID			1

struct fuse_attr {
	__u64	ino;
	__u64	size;
	__u64	blocks;
	__u64	atime;
	__u64	mtime;
	__u64	ctime;
	__u32	atimensec;
	__u32	mtimensec;
	__u32	ctimensec;
	__u32	mode;
	__u32	nlink;
	__u32	uid;
	__u32	gid;
	__u32	rdev;
	__u32	blksize;
	__u32	flags;
};

struct fuse_kstatfs {
	__u64	blocks;
	__u64	bfree;
	__u64	bavail;
	__u64	files;
	__u64	ffree;
	__u32	bsize;
	__u32	namelen;
	__u32	frsize;
	__u32	padding;
	__u32	spare[6];
};

struct fuse_file_lock {
	__u64	start;
	__u64	end;
	__u32	type;
	__u32	pid;
};

/* fuse_setattr_in.valid */
#define FATTR_MODE		(1 << 0)
#define FATTR_UID		(1 << 1)
#define FATTR_GID		(1 << 2)
#define FATTR_SIZE		(1 << 3)
#define FATTR_ATIME		(1 << 4)
#define FATTR_MTIME		(1 << 5)
#define FATTR_FH		(1 << 6)
#define FATTR_ATIME_NOW		(1 << 7)
#define FATTR_MTIME_NOW		(1 << 8)
#define FATTR_LOCKOWNER		(1 << 9)
#define FATTR_CTIME		(1 << 10)
#define FATTR_KILL_SUIDGID	(1 << 11)

/* fuse_open_out.open_flags */
#define FOPEN_DIRECT_IO			(1 << 0)
#define FOPEN_KEEP_CACHE		(1 << 1)
#define FOPEN_NONSEEKABLE		(1 << 2)
#define FOPEN_CACHE_DIR			(1 << 3)
#define FOPEN_STREAM			(1 << 4)
#define FOPEN_NOFLUSH			(1 << 5)
#define FOPEN_PARALLEL_DIRECT_WRITES	(1 << 6)
#define FOPEN_PASSTHROUGH		(1 << 7)

/* INIT flags (fuse_init_in.flags, and flags2 shifted by 32) */
#define FUSE_ASYNC_READ		(1 << 0)
#define FUSE_POSIX_LOCKS	(1 << 1)
#define FUSE_FILE_OPS		(1 << 2)
#define FUSE_ATOMIC_O_TRUNC	(1 << 3)
#define FUSE_EXPORT_SUPPORT	(1 << 4)
#define FUSE_BIG_WRITES		(1 << 5)
#define FUSE_DONT_MASK		(1 << 6)
#define FUSE_SPLICE_WRITE	(1 << 7)
#define FUSE_SPLICE_MOVE	(1 << 8)
#define FUSE_SPLICE_READ	(1 << 9)
#define FUSE_FLOCK_LOCKS	(1 << 10)
#define FUSE_HAS_IOCTL_DIR	(1 << 11)
#define FUSE_AUTO_INVAL_DATA	(1 << 12)
#define FUSE_DO_READDIRPLUS	(1 << 13)
#define FUSE_READDIRPLUS_AUTO	(1 << 14)
#define FUSE_ASYNC_DIO		(1 << 15)
#define FUSE_WRITEBACK_CACHE	(1 << 16)
#define FUSE_NO_OPEN_SUPPORT	(1 << 17)
#define FUSE_PARALLEL_DIROPS	(1 << 18)
#define FUSE_HANDLE_KILLPRIV	(1 << 19)
#define FUSE_POSIX_ACL		(1 << 20)
#define FUSE_ABORT_ERROR	(1 << 21)
#define FUSE_MAX_PAGES		(1 << 22)
#define FUSE_CACHE_SYMLINKS	(1 << 23)
#define FUSE_NO_OPENDIR_SUPPORT	(1 << 24)
#define FUSE_EXPLICIT_INVAL_DATA (1 << 25)
#define FUSE_MAP_ALIGNMENT	(1 << 26)
#define FUSE_SUBMOUNTS		(1 << 27)
#define FUSE_HANDLE_KILLPRIV_V2	(1 << 28)
#define FUSE_SETXATTR_EXT	(1 << 29)
#define FUSE_INIT_EXT		(1 << 30)
#define FUSE_INIT_RESERVED	(1 << 31)
#define FUSE_SECURITY_CTX	(1ULL << 32)
#define FUSE_HAS_INODE_DAX	(1ULL << 33)
#define FUSE_CREATE_SUPP_GROUP	(1ULL << 34)
#define FUSE_HAS_EXPIRE_ONLY	(1ULL << 35)
#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
#define FUSE_PASSTHROUGH	(1ULL << 37)
#define FUSE_NO_EXPORT_SUPPORT	(1ULL << 38)
#define FUSE_HAS_RESEND		(1ULL << 39)

/*
 * Android common kernels call bit 31 FUSE_PASSTHROUGH up to protocol
 * 7.35, and bit 63 (bit 31 of flags2, with FUSE_INIT_EXT) from 7.36
 */
#define FUSE_PASSTHROUGH_ANDROID	(1U << 31)
#define FUSE_PASSTHROUGH_ANDROID_EXT	(1ULL << 63)

/*
 * fusept's own INIT flag (bit 30 of flags2), offered in every INIT:
 * inode passthrough (docs/inode-passthrough.md). It counts only in a reply
 * that also agrees on FUSE_PASSTHROUGH. A libfuse daemon, which cannot
 * set flags libfuse does not know, asks for it with
 * FUSEPT_DEV_IOC_WANT_INIT before it answers INIT.
 */
#define FUSEPT_INODE_PASSTHROUGH	(1ULL << 62)

/* CUSE INIT flags */
#define CUSE_UNRESTRICTED_IOCTL	(1 << 0)

/* fuse_release_in.release_flags */
#define FUSE_RELEASE_FLUSH		(1 << 0)
#define FUSE_RELEASE_FLOCK_UNLOCK	(1 << 1)

/* fuse_getattr_in.getattr_flags */
#define FUSE_GETATTR_FH		(1 << 0)

/* fuse_lk_in.lk_flags */
#define FUSE_LK_FLOCK		(1 << 0)

/* fuse_write_in.write_flags */
#define FUSE_WRITE_CACHE	(1 << 0)
#define FUSE_WRITE_LOCKOWNER	(1 << 1)
#define FUSE_WRITE_KILL_SUIDGID	(1 << 2)

/* fuse_read_in.read_flags */
#define FUSE_READ_LOCKOWNER	(1 << 1)

/* fuse_ioctl_in.flags */
#define FUSE_IOCTL_COMPAT	(1 << 0)
#define FUSE_IOCTL_UNRESTRICTED	(1 << 1)
#define FUSE_IOCTL_RETRY	(1 << 2)
#define FUSE_IOCTL_32BIT	(1 << 3)
#define FUSE_IOCTL_DIR		(1 << 4)
#define FUSE_IOCTL_COMPAT_X32	(1 << 5)
#define FUSE_IOCTL_MAX_IOV	256

/* fuse_poll_in.flags */
#define FUSE_POLL_SCHEDULE_NOTIFY (1 << 0)

/* fuse_fsync_in.fsync_flags */
#define FUSE_FSYNC_FDATASYNC	(1 << 0)

/* fuse_attr.flags */
#define FUSE_ATTR_SUBMOUNT	(1 << 0)
#define FUSE_ATTR_DAX		(1 << 1)

/* fuse_open_in.open_flags and fuse_create_in.open_flags */
#define FUSE_OPEN_KILL_SUIDGID	(1 << 0)

/* fuse_setxattr_in.setxattr_flags */
#define FUSE_SETXATTR_ACL_KILL_SGID	(1 << 0)

/* fuse_notify_inval_entry_out.flags */
#define FUSE_EXPIRE_ONLY	(1 << 0)

enum fuse_opcode {
	FUSE_LOOKUP		= 1,
	FUSE_FORGET		= 2,	/* no reply */
	FUSE_GETATTR		= 3,
	FUSE_SETATTR		= 4,
	FUSE_READLINK		= 5,
	FUSE_SYMLINK		= 6,
	FUSE_MKNOD		= 8,
	FUSE_MKDIR		= 9,
	FUSE_UNLINK		= 10,
	FUSE_RMDIR		= 11,
	FUSE_RENAME		= 12,
	FUSE_LINK		= 13,
	FUSE_OPEN		= 14,
	FUSE_READ		= 15,
	FUSE_WRITE		= 16,
	FUSE_STATFS		= 17,
	FUSE_RELEASE		= 18,
	FUSE_FSYNC		= 20,
	FUSE_SETXATTR		= 21,
	FUSE_GETXATTR		= 22,
	FUSE_LISTXATTR		= 23,
	FUSE_REMOVEXATTR	= 24,
	FUSE_FLUSH		= 25,
	FUSE_INIT		= 26,
	FUSE_OPENDIR		= 27,
	FUSE_READDIR		= 28,
	FUSE_RELEASEDIR		= 29,
	FUSE_FSYNCDIR		= 30,
	FUSE_GETLK		= 31,
	FUSE_SETLK		= 32,
	FUSE_SETLKW		= 33,
	FUSE_ACCESS		= 34,
	FUSE_CREATE		= 35,
	FUSE_INTERRUPT		= 36,
	FUSE_BMAP		= 37,
	FUSE_DESTROY		= 38,
	FUSE_IOCTL		= 39,
	FUSE_POLL		= 40,
	FUSE_NOTIFY_REPLY	= 41,
	FUSE_BATCH_FORGET	= 42,
	FUSE_FALLOCATE		= 43,
	FUSE_READDIRPLUS	= 44,
	FUSE_RENAME2		= 45,
	FUSE_LSEEK		= 46,
	FUSE_COPY_FILE_RANGE	= 47,
	FUSE_SETUPMAPPING	= 48,
	FUSE_REMOVEMAPPING	= 49,
	FUSE_SYNCFS		= 50,
	FUSE_TMPFILE		= 51,
	FUSE_STATX		= 52,

	/* CUSE specific operations */
	CUSE_INIT		= 4096,
};

enum fuse_notify_code {
	FUSE_NOTIFY_POLL	= 1,
	FUSE_NOTIFY_INVAL_INODE	= 2,
	FUSE_NOTIFY_INVAL_ENTRY	= 3,
	FUSE_NOTIFY_STORE	= 4,
	FUSE_NOTIFY_RETRIEVE	= 5,
	FUSE_NOTIFY_DELETE	= 6,
	FUSE_NOTIFY_RESEND	= 7,
	FUSE_NOTIFY_CODE_MAX,
};

/* The read buffer must hold at least this much */
#define FUSE_MIN_READ_BUFFER	8192

#define FUSE_COMPAT_ENTRY_OUT_SIZE	120
#define FUSE_COMPAT_ATTR_OUT_SIZE	96
#define FUSE_COMPAT_MKNOD_IN_SIZE	8
#define FUSE_COMPAT_WRITE_IN_SIZE	24
#define FUSE_COMPAT_STATFS_SIZE		48
#define FUSE_COMPAT_SETXATTR_IN_SIZE	8
#define FUSE_COMPAT_INIT_OUT_SIZE	8
#define FUSE_COMPAT_22_INIT_OUT_SIZE	24

struct fuse_entry_out {
	__u64	nodeid;
	__u64	generation;
	__u64	entry_valid;	/* seconds */
	__u64	attr_valid;	/* seconds */
	__u32	entry_valid_nsec;
	__u32	attr_valid_nsec;
	struct fuse_attr attr;
};

struct fuse_forget_in {
	__u64	nlookup;
};

struct fuse_forget_one {
	__u64	nodeid;
	__u64	nlookup;
};

struct fuse_batch_forget_in {
	__u32	count;
	__u32	dummy;
};

struct fuse_getattr_in {
	__u32	getattr_flags;
	__u32	dummy;
	__u64	fh;
};

struct fuse_attr_out {
	__u64	attr_valid;	/* seconds */
	__u32	attr_valid_nsec;
	__u32	dummy;
	struct fuse_attr attr;
};

struct fuse_mknod_in {
	__u32	mode;
	__u32	rdev;
	__u32	umask;
	__u32	padding;
};

struct fuse_mkdir_in {
	__u32	mode;
	__u32	umask;
};

struct fuse_rename_in {
	__u64	newdir;
};

struct fuse_rename2_in {
	__u64	newdir;
	__u32	flags;
	__u32	padding;
};

struct fuse_link_in {
	__u64	oldnodeid;
};

struct fuse_setattr_in {
	__u32	valid;
	__u32	padding;
	__u64	fh;
	__u64	size;
	__u64	lock_owner;
	__u64	atime;
	__u64	mtime;
	__u64	ctime;
	__u32	atimensec;
	__u32	mtimensec;
	__u32	ctimensec;
	__u32	mode;
	__u32	unused4;
	__u32	uid;
	__u32	gid;
	__u32	unused5;
};

struct fuse_open_in {
	__u32	flags;
	__u32	open_flags;	/* FUSE_OPEN_... */
};

struct fuse_create_in {
	__u32	flags;
	__u32	mode;
	__u32	umask;
	__u32	open_flags;	/* FUSE_OPEN_... */
};

struct fuse_open_out {
	__u64	fh;
	__u32	open_flags;
	__s32	backing_id;	/* Android: passthrough_fh */
};

struct fuse_release_in {
	__u64	fh;
	__u32	flags;
	__u32	release_flags;
	__u64	lock_owner;
};

struct fuse_flush_in {
	__u64	fh;
	__u32	unused;
	__u32	padding;
	__u64	lock_owner;
};

struct fuse_read_in {
	__u64	fh;
	__u64	offset;
	__u32	size;
	__u32	read_flags;
	__u64	lock_owner;
	__u32	flags;
	__u32	padding;
};

struct fuse_write_in {
	__u64	fh;
	__u64	offset;
	__u32	size;
	__u32	write_flags;
	__u64	lock_owner;
	__u32	flags;
	__u32	padding;
};

struct fuse_write_out {
	__u32	size;
	__u32	padding;
};

struct fuse_statfs_out {
	struct fuse_kstatfs st;
};

struct fuse_fsync_in {
	__u64	fh;
	__u32	fsync_flags;
	__u32	padding;
};

struct fuse_setxattr_in {
	__u32	size;
	__u32	flags;
	__u32	setxattr_flags;
	__u32	padding;
};

struct fuse_getxattr_in {
	__u32	size;
	__u32	padding;
};

struct fuse_getxattr_out {
	__u32	size;
	__u32	padding;
};

struct fuse_lk_in {
	__u64	fh;
	__u64	owner;
	struct fuse_file_lock lk;
	__u32	lk_flags;
	__u32	padding;
};

struct fuse_lk_out {
	struct fuse_file_lock lk;
};

struct fuse_access_in {
	__u32	mask;
	__u32	padding;
};

struct fuse_init_in {
	__u32	major;
	__u32	minor;
	__u32	max_readahead;
	__u32	flags;
	__u32	flags2;
	__u32	unused[11];
};

struct fuse_init_out {
	__u32	major;
	__u32	minor;
	__u32	max_readahead;
	__u32	flags;
	__u16	max_background;
	__u16	congestion_threshold;
	__u32	max_write;
	__u32	time_gran;
	__u16	max_pages;
	__u16	map_alignment;
	__u32	flags2;
	__u32	max_stack_depth;
	__u32	unused[6];
};

struct fuse_interrupt_in {
	__u64	unique;
};

struct fuse_bmap_in {
	__u64	block;
	__u32	blocksize;
	__u32	padding;
};

struct fuse_bmap_out {
	__u64	block;
};

struct fuse_ioctl_in {
	__u64	fh;
	__u32	flags;
	__u32	cmd;
	__u64	arg;
	__u32	in_size;
	__u32	out_size;
};

struct fuse_ioctl_iovec {
	__u64	base;
	__u64	len;
};

struct fuse_ioctl_out {
	__s32	result;
	__u32	flags;
	__u32	in_iovs;
	__u32	out_iovs;
};

struct fuse_poll_in {
	__u64	fh;
	__u64	kh;
	__u32	flags;
	__u32	events;
};

struct fuse_poll_out {
	__u32	revents;
	__u32	padding;
};

struct fuse_notify_poll_wakeup_out {
	__u64	kh;
};

struct fuse_fallocate_in {
	__u64	fh;
	__u64	offset;
	__u64	length;
	__u32	mode;
	__u32	padding;
};

struct fuse_in_header {
	__u32	len;
	__u32	opcode;
	__u64	unique;
	__u64	nodeid;
	__u32	uid;
	__u32	gid;
	__u32	pid;
	__u16	total_extlen;	/* in units of 8 bytes */
	__u16	padding;
};

struct fuse_out_header {
	__u32	len;
	__s32	error;
	__u64	unique;
};

struct fuse_dirent {
	__u64	ino;
	__u64	off;
	__u32	namelen;
	__u32	type;
	char	name[];
};

#define FUSE_REC_ALIGN(x) \
	(((x) + sizeof(__u64) - 1) & ~(sizeof(__u64) - 1))
#define FUSE_NAME_OFFSET	24	/* offsetof(struct fuse_dirent, name) */
#define FUSE_DIRENT_ALIGN(x)	FUSE_REC_ALIGN(x)
#define FUSE_DIRENT_SIZE(d) \
	FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + (d)->namelen)

struct fuse_direntplus {
	struct fuse_entry_out entry_out;
	struct fuse_dirent dirent;
};

#define FUSE_NAME_OFFSET_DIRENTPLUS \
	(sizeof(struct fuse_entry_out) + FUSE_NAME_OFFSET)
#define FUSE_DIRENTPLUS_SIZE(d) \
	FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + (d)->dirent.namelen)

struct fuse_notify_inval_inode_out {
	__u64	ino;
	__s64	off;
	__s64	len;
};

struct fuse_notify_inval_entry_out {
	__u64	parent;
	__u32	namelen;
	__u32	flags;
};

struct fuse_notify_delete_out {
	__u64	parent;
	__u64	child;
	__u32	namelen;
	__u32	padding;
};

struct fuse_notify_store_out {
	__u64	nodeid;
	__u64	offset;
	__u32	size;
	__u32	padding;
};

struct fuse_notify_retrieve_out {
	__u64	notify_unique;
	__u64	nodeid;
	__u64	offset;
	__u32	size;
	__u32	padding;
};

/* Matches the size of fuse_write_in */
struct fuse_notify_retrieve_in {
	__u64	dummy1;
	__u64	offset;
	__u32	size;
	__u32	dummy2;
	__u64	dummy3;
	__u64	dummy4;
};

struct fuse_lseek_in {
	__u64	fh;
	__u64	offset;
	__u32	whence;
	__u32	padding;
};

struct fuse_lseek_out {
	__u64	offset;
};

struct fuse_copy_file_range_in {
	__u64	fh_in;
	__u64	off_in;
	__u64	nodeid_out;
	__u64	fh_out;
	__u64	off_out;
	__u64	len;
	__u64	flags;
};

/*
 * Mainline passthrough: FUSE_DEV_IOC_BACKING_OPEN argument. ops_mask (0,
 * mainline's padding, unless inode passthrough was agreed in INIT) names
 * the operations the lower file may serve for an inode bound to it, one
 * FUSE_PASSTHROUGH_OP() bit per opcode: GETATTR (needed by every other
 * inode operation), OPEN (regular files: opened by the kernel), SETATTR
 * (chmod, chown, truncate, utimes done on the lower inode), READ and
 * WRITE (implied), and for a directory READDIR and LOOKUP (hierarchical:
 * the kernel looks up regular files in the lower directory itself, their
 * nodeid being their lower st_ino).
 */
struct fuse_backing_map {
	__s32	fd;
	__u32	flags;
	union {
		__u64	padding;
		__u64	ops_mask;
	};
};

#define FUSE_PASSTHROUGH_OP(op)		(1ULL << ((op) - 1))

/* Device ioctls */
#define FUSE_DEV_IOC_MAGIC		229
#define FUSE_DEV_IOC_CLONE		_IOR(FUSE_DEV_IOC_MAGIC, 0, __u32)
#define FUSE_DEV_IOC_BACKING_OPEN	_IOW(FUSE_DEV_IOC_MAGIC, 1, \
					     struct fuse_backing_map)
#define FUSE_DEV_IOC_BACKING_CLOSE	_IOW(FUSE_DEV_IOC_MAGIC, 2, __u32)

/* Android common kernel passthrough (V2): argument is the fd, returns ID */
#define FUSE_DEV_IOC_PASSTHROUGH_OPEN	_IOW(FUSE_DEV_IOC_MAGIC, 126, __u32)

/*
 * fusept's own: INIT flags (fusept's own bits only) added to the daemon's
 * INIT reply; 0 asks nothing (a probe). EBUSY once the reply was written.
 */
#define FUSEPT_DEV_IOC_WANT_INIT	_IOW(FUSE_DEV_IOC_MAGIC, 240, __u64)

/*
 * Inode passthrough (FUSEPT_INODE_PASSTHROUGH agreed): an entry reply
 * (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK: after fuse_entry_out; CREATE:
 * after fuse_open_out) may end with this trailer. A backing_id other than
 * 0 binds the inode to that registration, whose ops_mask must hold
 * FUSE_PASSTHROUGH_OP(FUSE_GETATTR); flags are FUSEPT_BIND_* and reserved
 * must be 0.
 */
struct fusept_entry_bind {
	__s32	backing_id;
	__u32	flags;
	__u64	reserved;
};

/*
 * After a setattr the kernel did on the lower inode (SETATTR in ops_mask),
 * a SETATTR request in the background tells the daemon the values set
 */
#define FUSEPT_BIND_TELL_SETATTR	(1U << 1)
#define FUSEPT_BIND_FLAGS		FUSEPT_BIND_TELL_SETATTR

/* FUSEPT_DEV_IOC_BIND argument: an inode the kernel has cached */
struct fusept_bind {
	__u64	nodeid;
	__u64	generation;
	__s32	backing_id;
	__u32	flags;		/* FUSEPT_BIND_* */
};

/* FUSEPT_DEV_IOC_UNBIND argument: the inode the kernel has cached */
struct fusept_unbind {
	__u64	nodeid;
	__u64	generation;
};

#define FUSEPT_DEV_IOC_BIND		_IOW(FUSE_DEV_IOC_MAGIC, 241, \
					     struct fusept_bind)
#define FUSEPT_DEV_IOC_UNBIND		_IOW(FUSE_DEV_IOC_MAGIC, 242, \
					     struct fusept_unbind)

#endif /* _UAPI_LINUX_FUSEPT_H */
