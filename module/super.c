// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: the filesystem type, mount options and the superblock.
 */
#include <linux/backing-dev.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>

#include "fusept_i.h"

enum {
	OPT_FD, OPT_ROOTMODE, OPT_USER_ID, OPT_GROUP_ID,
	OPT_DEFAULT_PERMISSIONS, OPT_ALLOW_OTHER, OPT_MAX_READ, OPT_BLKSIZE,
	OPT_SUBTYPE,
};

static const struct fs_parameter_spec fusept_param_specs[] = {
	fsparam_u32("fd", OPT_FD),
	fsparam_u32oct("rootmode", OPT_ROOTMODE),
	fsparam_u32("user_id", OPT_USER_ID),
	fsparam_u32("group_id", OPT_GROUP_ID),
	fsparam_flag("default_permissions", OPT_DEFAULT_PERMISSIONS),
	fsparam_flag("allow_other", OPT_ALLOW_OTHER),
	fsparam_u32("max_read", OPT_MAX_READ),
	fsparam_u32("blksize", OPT_BLKSIZE),
	fsparam_string("subtype", OPT_SUBTYPE),
	{}
};

static int fusept_parse_ids(struct fs_context *fsc, struct fusept_mount_opts *o,
			    int opt, u32 val)
{
	if (opt == OPT_USER_ID) {
		o->user_id = make_kuid(fsc->user_ns, val);
		if (!uid_valid(o->user_id))
			return invalfc(fsc, "Invalid user_id");
		o->user_id_set = true;
	} else {
		o->group_id = make_kgid(fsc->user_ns, val);
		if (!gid_valid(o->group_id))
			return invalfc(fsc, "Invalid group_id");
		o->group_id_set = true;
	}
	return 0;
}

/* rootmode=: a directory's mode, file type bits and permissions only */
bool fusept_rootmode_ok(u32 mode)
{
	return S_ISDIR(mode) && !(mode & ~(S_IFMT | 07777));
}

/* blksize=: a power of two from 512 to the page size */
bool fusept_blksize_ok(u32 size)
{
	return size >= 512 && size <= PAGE_SIZE && is_power_of_2(size);
}

/* subtype=: a word /proc/mounts can show without escaping */
bool fusept_subtype_ok(const char *subtype)
{
	return subtype[0] && !strpbrk(subtype, "/ \t\n\\");
}

/* The daemon's name, as mount.fusept gives it: "fusept.NAME" in mounts */
static int fusept_parse_subtype(struct fs_context *fsc,
				struct fusept_mount_opts *o,
				struct fs_parameter *param)
{
	if (o->subtype)
		return invalfc(fsc, "Multiple subtypes specified");
	if (!fusept_subtype_ok(param->string))
		return invalfc(fsc, "Invalid subtype");
	o->subtype = param->string;
	param->string = NULL;
	return 0;
}

int fusept_parse_param(struct fs_context *fsc, struct fs_parameter *param)
{
	struct fusept_mount_opts *o = fsc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fsc, fusept_param_specs, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case OPT_FD:
		o->fd = result.uint_32;
		o->fd_set = true;
		break;
	case OPT_ROOTMODE:
		if (!fusept_rootmode_ok(result.uint_32))
			return invalfc(fsc, "Invalid rootmode: must be a directory mode");
		o->rootmode = result.uint_32;
		o->rootmode_set = true;
		break;
	case OPT_USER_ID:
	case OPT_GROUP_ID:
		return fusept_parse_ids(fsc, o, opt, result.uint_32);
	case OPT_DEFAULT_PERMISSIONS:
		o->default_permissions = true;
		break;
	case OPT_ALLOW_OTHER:
		o->allow_other = true;
		break;
	case OPT_MAX_READ:
		if (!result.uint_32)
			return invalfc(fsc, "Invalid max_read: must be positive");
		o->max_read = result.uint_32;
		break;
	case OPT_BLKSIZE:
		if (!fusept_blksize_ok(result.uint_32))
			return invalfc(fsc, "Invalid blksize: power of two, 512..PAGE_SIZE");
		o->blksize = result.uint_32;
		break;
	case OPT_SUBTYPE:
		return fusept_parse_subtype(fsc, o, param);
	}
	return 0;
}

static int fusept_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct inode *inode = d_inode(dentry);
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fuse_statfs_out out = {};
	struct fusept_args args = {
		.opcode = FUSE_STATFS,
		.nodeid = fusept_nodeid(inode),
		.out = &out,
		.out_size = sizeof(out),
	};
	int err;

	buf->f_type = FUSEPT_SUPER_MAGIC;
	if (!fusept_allow_current(fc))
		return 0;
	err = fusept_hier_known(dentry, inode);
	if (!err)
		err = fusept_send(fc, &args);
	if (err)
		return err;
	buf->f_blocks = out.st.blocks;
	buf->f_bfree = out.st.bfree;
	buf->f_bavail = out.st.bavail;
	buf->f_files = out.st.files;
	buf->f_ffree = out.st.ffree;
	buf->f_bsize = out.st.bsize;
	buf->f_namelen = out.st.namelen;
	buf->f_frsize = out.st.frsize;
	return 0;
}

static int fusept_show_options(struct seq_file *m, struct dentry *root)
{
	struct fusept_conn *fc = fusept_sb_conn(root->d_sb);

	seq_printf(m, ",user_id=%u", from_kuid_munged(fc->user_ns, fc->user_id));
	seq_printf(m, ",group_id=%u", from_kgid_munged(fc->user_ns, fc->group_id));
	if (fc->default_permissions)
		seq_puts(m, ",default_permissions");
	if (fc->allow_other)
		seq_puts(m, ",allow_other");
	if (fc->opt_max_read)
		seq_printf(m, ",max_read=%u", fc->opt_max_read);
	if (root->d_sb->s_blocksize != PAGE_SIZE)
		seq_printf(m, ",blksize=%lu", root->d_sb->s_blocksize);
	return 0;
}

static void fusept_umount_begin(struct super_block *sb)
{
	/* umount -f: stop waiting for the daemon */
	fusept_conn_end(fusept_sb_conn(sb));
}

static const struct super_operations fusept_super_ops = {
	.alloc_inode	= fusept_alloc_inode,
	.free_inode	= fusept_free_inode,
	.evict_inode	= fusept_evict_inode,
	.drop_inode	= fusept_drop_inode,
	.statfs		= fusept_statfs,
	.show_options	= fusept_show_options,
	.umount_begin	= fusept_umount_begin,
};

static struct inode *fusept_root_inode(struct super_block *sb, umode_t mode)
{
	struct fusept_conn *fc = fusept_sb_conn(sb);
	struct fuse_attr attr = {
		.mode = mode,
		.ino = FUSE_ROOT_ID,
		.nlink = 1,
		.uid = from_kuid_munged(fc->user_ns, fc->user_id),
		.gid = from_kgid_munged(fc->user_ns, fc->group_id),
	};
	struct inode *root;

	root = fusept_iget(sb, FUSE_ROOT_ID, 0, &attr, 0, 0, NULL);
	if (root)
		fusept_i(root)->nlookup = 0;	/* the root is never forgotten */
	return root;
}

static void fusept_apply_opts(struct fusept_conn *fc,
			      const struct fusept_mount_opts *o)
{
	fc->user_id = o->user_id;
	fc->group_id = o->group_id;
	fc->default_permissions = o->default_permissions;
	fc->allow_other = o->allow_other;
	if (o->max_read) {
		fc->max_read = max_t(unsigned int, o->max_read, PAGE_SIZE);
		fc->opt_max_read = o->max_read;
	}
}

static void fusept_init_sb(struct super_block *sb,
			   const struct fusept_mount_opts *o)
{
	sb->s_magic = FUSEPT_SUPER_MAGIC;
	sb->s_op = &fusept_super_ops;
	sb->s_xattr = fusept_xattr_handlers;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;
	sb->s_blocksize = o->blksize ? o->blksize : PAGE_SIZE;
	sb->s_blocksize_bits = ilog2(sb->s_blocksize);
	sb->s_iflags |= SB_I_IMA_UNVERIFIABLE_SIGNATURE;
	set_default_d_op(sb, &fusept_dentry_ops);
}

/*
 * A mount with passthrough counts as s_stack_depth deep, and its backing
 * files may be on a shallower fusept mount: a write then holds the upper
 * superblock's freeze protection (sb_writers) while the lower one's is
 * taken. One lock class per depth, as for i_rwsem (inode.c), so lockdep
 * sees two classes nesting, not one taken twice. Set when INIT is
 * answered; a write that took sb_writers before that drops it as lockdep
 * matches it, by address.
 */
static struct lock_class_key
	fusept_sb_writers_key[FILESYSTEM_MAX_STACK_DEPTH + 1][SB_FREEZE_LEVELS];

static void fusept_set_stack_depth(struct super_block *sb, int depth)
{
	int i;

	sb->s_stack_depth = depth;
	for (i = 0; i < SB_FREEZE_LEVELS; i++)
		lockdep_set_class(&sb->s_writers.rw_sem[i],
				  &fusept_sb_writers_key[depth][i]);
}

/*
 * What the INIT reply sets in the superblock, once fc has the negotiated
 * values: the time granularity, the readahead window and, with
 * passthrough, the stack depth the mount counts as. fc->killsb is held
 * for reading and fc->sb is set.
 */
void fusept_sb_apply_init(struct fusept_conn *fc, u32 time_gran)
{
	struct super_block *sb = fc->sb;

	if (time_gran && time_gran <= NSEC_PER_SEC)
		sb->s_time_gran = time_gran;
	sb->s_bdi->ra_pages = fc->max_readahead / PAGE_SIZE;
	if (fc->pt_mode != FUSEPT_PT_NONE)
		fusept_set_stack_depth(sb, fc->max_stack_depth);
}

static int fusept_attach_fd(struct fusept_conn *fc, unsigned int fd)
{
	struct file *file = fget(fd);
	int err;

	if (!file)
		return -EBADF;
	err = fusept_dev_attach(file, fc);
	fput(file);
	return err;
}

static int fusept_fill_super(struct super_block *sb, struct fs_context *fsc)
{
	struct fusept_mount_opts *o = fsc->fs_private;
	struct fusept_conn *fc;
	struct inode *root;
	int err;

	fc = fusept_conn_new();
	if (!fc)
		return -ENOMEM;
	fc->sb = sb;
	sb->s_fs_info = fc;
	fusept_apply_opts(fc, o);
	fusept_init_sb(sb, o);
	/* the superblock frees it */
	sb->s_subtype = o->subtype;
	o->subtype = NULL;
	err = super_setup_bdi(sb);
	if (err)
		return err;

	err = fusept_attach_fd(fc, o->fd);
	if (err)
		return invalfc(fsc, "fd=%u is not a fresh /dev/fusept file", o->fd);

	root = fusept_root_inode(sb, o->rootmode);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;

	fc->id = new_encode_dev(sb->s_dev);
	err = fusept_sysfs_add_conn(fc);
	if (err)
		return err;
	return fusept_send_init(fc);
}

static int fusept_get_tree(struct fs_context *fsc)
{
	struct fusept_mount_opts *o = fsc->fs_private;

	if (!o->fd_set)
		return invalfc(fsc, "Missing fd=");
	if (!o->rootmode_set)
		return invalfc(fsc, "Missing rootmode=");
	if (!o->user_id_set)
		return invalfc(fsc, "Missing user_id=");
	if (!o->group_id_set)
		return invalfc(fsc, "Missing group_id=");
	return get_tree_nodev(fsc, fusept_fill_super);
}

static void fusept_free_fsc(struct fs_context *fsc)
{
	struct fusept_mount_opts *o = fsc->fs_private;

	if (o)
		kfree(o->subtype);
	kfree(o);
}

static const struct fs_context_operations fusept_context_ops = {
	.free		= fusept_free_fsc,
	.parse_param	= fusept_parse_param,
	.get_tree	= fusept_get_tree,
};

static int fusept_init_fs_context(struct fs_context *fsc)
{
	struct fusept_mount_opts *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return -ENOMEM;
	fsc->fs_private = o;
	fsc->ops = &fusept_context_ops;
	return 0;
}

/*
 * Unmount ends the connection first, as umount must not wait for the
 * daemon; the daemon's reads get ENODEV. FORGETs of the inodes evicted
 * below are not sent: the daemon's end releases everything. The
 * requests another task may still be ending (the daemon closing its
 * device at the same time) are waited for: their end may drop an inode.
 */
static void fusept_kill_sb(struct super_block *sb)
{
	struct fusept_conn *fc = fusept_sb_conn(sb);

	if (fc) {
		fusept_conn_end(fc);
		fusept_conn_wait_idle(fc);
		down_write(&fc->killsb);
		fc->sb = NULL;
		up_write(&fc->killsb);
		/* while s_dev, the directory's name, is still ours */
		fusept_sysfs_del_conn(fc);
	}
	kill_anon_super(sb);
	if (fc)
		fusept_conn_put(fc);
}

static struct file_system_type fusept_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "fusept",
	.init_fs_context	= fusept_init_fs_context,
	.parameters		= fusept_param_specs,
	.kill_sb		= fusept_kill_sb,
};
MODULE_ALIAS_FS("fusept");

int fusept_fs_register(void)
{
	return register_filesystem(&fusept_fs_type);
}

void fusept_fs_unregister(void)
{
	unregister_filesystem(&fusept_fs_type);
}
