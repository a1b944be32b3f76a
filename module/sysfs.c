// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: /sys/fs/fusept/connections/N, one directory per mount, like
 * fusectl: "abort" ends a connection whose daemon hangs, "waiting" counts
 * the callers waiting for the daemon. "state" is what mount.fusept waits
 * on and watches: init (INIT not answered yet), live, error (INIT was
 * refused) or ended (aborted, or the daemon closed its device).
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "fusept_i.h"

static struct kobject *fusept_kobj;
static struct kobject *fusept_conns_kobj;

struct fusept_conn_kobj {
	struct kobject kobj;
	struct fusept_conn *fc;		/* valid until removed */
};

static struct fusept_conn *fusept_kobj_conn(struct kobject *kobj)
{
	return container_of(kobj, struct fusept_conn_kobj, kobj)->fc;
}

static ssize_t abort_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	fusept_conn_end(fusept_kobj_conn(kobj));
	return count;
}

static ssize_t waiting_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct fusept_conn *fc = fusept_kobj_conn(kobj);

	return sysfs_emit(buf, "%d\n", atomic_read(&fc->num_waiting));
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct fusept_conn *fc = fusept_kobj_conn(kobj);

	if (!READ_ONCE(fc->connected))
		return sysfs_emit(buf, "ended\n");
	/* pairs with smp_store_release() in fusept_init_end(): conn_error */
	if (!smp_load_acquire(&fc->initialized))
		return sysfs_emit(buf, "init\n");
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(fc->conn_error) ? "error" : "live");
}

/* What INIT agreed on: none, mainline, "mainline inode" or android */
static ssize_t passthrough_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct fusept_conn *fc = fusept_kobj_conn(kobj);

	/* pairs with smp_store_release() in fusept_init_end() */
	if (!smp_load_acquire(&fc->initialized))
		return sysfs_emit(buf, "none\n");
	switch (fc->pt_mode) {
	case FUSEPT_PT_MAINLINE:
		return sysfs_emit(buf, fc->inode_pt ? "mainline inode\n" :
				  "mainline\n");
	case FUSEPT_PT_ANDROID:
		return sysfs_emit(buf, "android\n");
	default:
		return sysfs_emit(buf, "none\n");
	}
}

/* Inodes bound to a lower file now (inode passthrough) */
static ssize_t bound_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&fusept_kobj_conn(kobj)->bound));
}

static ssize_t backing_files_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return fusept_pt_show(fusept_kobj_conn(kobj), buf, PAGE_SIZE);
}

static struct kobj_attribute fusept_abort_attr = __ATTR_WO(abort);
/* the lower paths of every daemon's files: for root only */
static struct kobj_attribute fusept_backing_attr =
	__ATTR(backing_files, 0400, backing_files_show, NULL);
static struct kobj_attribute fusept_waiting_attr = __ATTR_RO(waiting);
static struct kobj_attribute fusept_state_attr = __ATTR_RO(state);
static struct kobj_attribute fusept_passthrough_attr = __ATTR_RO(passthrough);
static struct kobj_attribute fusept_bound_attr = __ATTR_RO(bound);

static struct attribute *fusept_conn_attrs[] = {
	&fusept_abort_attr.attr,
	&fusept_waiting_attr.attr,
	&fusept_state_attr.attr,
	&fusept_passthrough_attr.attr,
	&fusept_bound_attr.attr,
	&fusept_backing_attr.attr,
	NULL
};

static const struct attribute_group fusept_conn_group = {
	.attrs = fusept_conn_attrs,
};

static void fusept_conn_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct fusept_conn_kobj, kobj));
}

static struct kobj_type fusept_conn_ktype = {
	.release	= fusept_conn_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
};

int fusept_sysfs_add_conn(struct fusept_conn *fc)
{
	struct fusept_conn_kobj *ck = kzalloc(sizeof(*ck), GFP_KERNEL);
	int err;

	if (!ck)
		return -ENOMEM;
	ck->fc = fc;
	err = kobject_init_and_add(&ck->kobj, &fusept_conn_ktype,
				   fusept_conns_kobj, "%u", fc->id);
	if (err)
		goto out_put;
	err = sysfs_create_group(&ck->kobj, &fusept_conn_group);
	if (err)
		goto out_put;
	fc->kobj = &ck->kobj;
	return 0;

out_put:
	kobject_put(&ck->kobj);
	return err;
}

/* After this returns no sysfs handler runs on fc any more */
void fusept_sysfs_del_conn(struct fusept_conn *fc)
{
	if (!fc->kobj)
		return;
	sysfs_remove_group(fc->kobj, &fusept_conn_group);
	kobject_del(fc->kobj);
	kobject_put(fc->kobj);
	fc->kobj = NULL;
}

int fusept_sysfs_init(void)
{
	fusept_kobj = kobject_create_and_add("fusept", fs_kobj);
	if (!fusept_kobj)
		return -ENOMEM;
	fusept_conns_kobj = kobject_create_and_add("connections", fusept_kobj);
	if (!fusept_conns_kobj) {
		kobject_put(fusept_kobj);
		return -ENOMEM;
	}
	return 0;
}

void fusept_sysfs_exit(void)
{
	kobject_put(fusept_conns_kobj);
	kobject_put(fusept_kobj);
}
