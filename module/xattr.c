// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: extended attributes, asked of the daemon.
 */
#include <linux/xattr.h>

#include "fusept_i.h"

/*
 * GETXATTR and LISTXATTR share a shape: with size 0 the daemon says how
 * big the value is, otherwise it sends the value.
 */
static ssize_t fusept_xattr_query(struct inode *inode, u32 opcode,
				  const char *name, void *value, size_t size)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fuse_getxattr_in in = { .size = size };
	struct fuse_getxattr_out out = {};
	struct fusept_args args = {
		.opcode = opcode,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
	};
	ssize_t ret;

	if (name) {
		args.in_numargs = 2;
		args.in[1].value = name;
		args.in[1].size = strlen(name) + 1;
	}
	if (size) {
		args.out = value;
		args.out_size = min_t(size_t, size, XATTR_SIZE_MAX);
		args.out_var = true;
	} else {
		args.out = &out;
		args.out_size = sizeof(out);
	}
	ret = fusept_send(fc, &args);
	if (!size && !ret)
		ret = min_t(size_t, out.size, XATTR_SIZE_MAX);
	return ret;
}

static int fusept_xattr_get(const struct xattr_handler *handler,
			    struct dentry *dentry, struct inode *inode,
			    const char *name, void *value, size_t size)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	ssize_t ret;

	if (READ_ONCE(fc->no_getxattr))
		return -EOPNOTSUPP;
	ret = fusept_hier_known(dentry, inode);
	if (!ret)
		ret = fusept_xattr_query(inode, FUSE_GETXATTR, name, value,
					 size);
	if (ret == -ENOSYS) {
		WRITE_ONCE(fc->no_getxattr, true);
		ret = -EOPNOTSUPP;
	}
	return ret;
}

/* A list is NUL-terminated names, none of them empty */
bool fusept_xattr_list_ok(const char *list, size_t size)
{
	size_t i = 0;

	while (i < size) {
		size_t len = strnlen(list + i, size - i);

		if (!len || i + len == size)
			return false;
		i += len + 1;
	}
	return true;
}

ssize_t fusept_listxattr(struct dentry *entry, char *list, size_t size)
{
	struct inode *inode = d_inode(entry);
	struct fusept_conn *fc = fusept_i_conn(inode);
	ssize_t ret;

	if (!fusept_allow_current(fc))
		return -EACCES;
	if (READ_ONCE(fc->no_listxattr))
		return -EOPNOTSUPP;
	ret = fusept_hier_known(entry, inode);
	if (!ret)
		ret = fusept_xattr_query(inode, FUSE_LISTXATTR, NULL, list,
					 size);
	if (ret == -ENOSYS) {
		WRITE_ONCE(fc->no_listxattr, true);
		return -EOPNOTSUPP;
	}
	if (ret > 0 && size && !fusept_xattr_list_ok(list, ret))
		return -EIO;
	return ret;
}

static int fusept_removexattr(struct inode *inode, const char *name)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_args args = {
		.opcode = FUSE_REMOVEXATTR,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 1,
		.in[0] = { name, strlen(name) + 1 },
	};
	int err;

	if (READ_ONCE(fc->no_removexattr))
		return -EOPNOTSUPP;
	err = fusept_send(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_removexattr, true);
		err = -EOPNOTSUPP;
	}
	return err;
}

static int fusept_setxattr(struct inode *inode, const char *name,
			   const void *value, size_t size, int flags)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fuse_setxattr_in in = {
		.size = size,
		.flags = flags,
	};
	struct fusept_args args = {
		.opcode = FUSE_SETXATTR,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 3,
		.in[0] = { &in, FUSE_COMPAT_SETXATTR_IN_SIZE },
		.in[1] = { name, strlen(name) + 1 },
		.in[2] = { value, size },
	};
	int err;

	if (READ_ONCE(fc->no_setxattr))
		return -EOPNOTSUPP;
	err = fusept_send(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_setxattr, true);
		err = -EOPNOTSUPP;
	}
	return err;
}

/* A NULL value removes the attribute */
static int fusept_xattr_set(const struct xattr_handler *handler,
			    FUSEPT_IDMAP_ARG struct dentry *entry,
			    struct inode *inode, const char *name,
			    const void *value, size_t size, int flags)
{
	int err;

	err = fusept_hier_known(entry, inode);
	if (err)
		return err;
	if (value)
		err = fusept_setxattr(inode, name, value, size, flags);
	else
		err = fusept_removexattr(inode, name);
	if (!err)
		fusept_invalidate_attr(inode);	/* ctime changed */
	return err;
}

static const struct xattr_handler fusept_xattr_handler = {
	.prefix	= "",
	.get	= fusept_xattr_get,
	.set	= fusept_xattr_set,
};

const struct xattr_handler *fusept_xattr_handlers[] = {
	&fusept_xattr_handler,
	NULL
};
