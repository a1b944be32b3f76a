// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: a FUSE implementation of its own with passthrough.
 *
 * Module entry: the inode cache, the device, the filesystem type, sysfs.
 */
#include <linux/module.h>
#include <linux/slab.h>

#include "fusept_i.h"

struct kmem_cache *fusept_inode_cachep;

static void fusept_inode_init_once(void *p)
{
	struct fusept_inode *fi = p;

	inode_init_once(&fi->vfs);
}

static int __init fusept_init(void)
{
	int err;

	err = fusept_selftest();
	if (err)
		return err;
	fusept_inode_cachep = kmem_cache_create("fusept_inode",
						sizeof(struct fusept_inode), 0,
						SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT |
						SLAB_RECLAIM_ACCOUNT,
						fusept_inode_init_once);
	if (!fusept_inode_cachep)
		return -ENOMEM;
	err = fusept_pt_init();
	if (err)
		goto out_destroy_cache;
	err = fusept_sysfs_init();
	if (err)
		goto out_pt_exit;
	err = fusept_fs_register();
	if (err)
		goto out_sysfs_exit;
	err = fusept_dev_register();
	if (err)
		goto out_fs_unregister;
	pr_info("FUSE protocol %u.%u with passthrough\n",
		FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR_VERSION);
	return 0;

out_fs_unregister:
	fusept_fs_unregister();
out_sysfs_exit:
	fusept_sysfs_exit();
out_pt_exit:
	fusept_pt_exit();
out_destroy_cache:
	kmem_cache_destroy(fusept_inode_cachep);
	return err;
}

static void __exit fusept_exit(void)
{
	fusept_dev_unregister();
	fusept_fs_unregister();
	fusept_sysfs_exit();
	fusept_pt_exit();
	rcu_barrier();	/* inodes freed after an RCU grace period */
	kmem_cache_destroy(fusept_inode_cachep);
}

module_init(fusept_init);
module_exit(fusept_exit);

MODULE_DESCRIPTION("FUSE with passthrough, out of tree");
MODULE_AUTHOR("The fusept developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("devname:fusept");
FUSEPT_IMPORT_VFS_NS();
MODULE_VERSION(FUSEPT_VERSION);
