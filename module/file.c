// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: open files and reading them, through the page cache with
 * readahead, or straight from the daemon with FOPEN_DIRECT_IO.
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "fusept_i.h"

static int fusept_send_open(struct inode *inode, struct file *file, bool dir,
			    struct fuse_open_out *out)
{
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fuse_open_in in = {
		.flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY),
	};
	struct fusept_args args = {
		.opcode = dir ? FUSE_OPENDIR : FUSE_OPEN,
		.nodeid = fusept_nodeid(inode),
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out = out,
		.out_size = sizeof(*out),
	};
	bool *no_open = dir ? &fc->no_opendir : &fc->no_open;
	u64 flag = dir ? FUSE_NO_OPENDIR_SUPPORT : FUSE_NO_OPEN_SUPPORT;
	int err;

	memset(out, 0, sizeof(*out));
	if (READ_ONCE(*no_open))
		return 1;
	if (!fusept_has(fc, FUSE_ATOMIC_O_TRUNC))
		in.flags &= ~O_TRUNC;
	err = fusept_send(fc, &args);
	if (err == -ENOSYS && fusept_has(fc, flag)) {
		WRITE_ONCE(*no_open, true);
		return 1;
	}
	return err;
}

int fusept_open_common(struct inode *inode, struct file *file, bool dir)
{
	struct fuse_open_out out;
	struct fusept_file *ff;
	int err;

	err = generic_file_open(inode, file);
	if (err)
		return err;
	ff = kzalloc(sizeof(*ff), GFP_KERNEL);
	if (!ff)
		return -ENOMEM;
	err = fusept_send_open(inode, file, dir, &out);
	if (err < 0) {
		kfree(ff);
		return err;
	}
	ff->opened = !err;
	ff->fh = out.fh;
	ff->open_flags = out.open_flags;
	ff->nodeid = fusept_nodeid(inode);
	ff->dir = dir;
	file->private_data = ff;

	if (ff->open_flags & FOPEN_STREAM)
		stream_open(inode, file);
	else if (ff->open_flags & FOPEN_NONSEEKABLE)
		nonseekable_open(inode, file);
	if (!dir && !(ff->open_flags & (FOPEN_KEEP_CACHE | FOPEN_DIRECT_IO)))
		invalidate_inode_pages2(inode->i_mapping);
	return 0;
}

struct fusept_release_args {
	struct fusept_args args;
	struct fuse_release_in in;
};

static void fusept_release_end(struct fusept_conn *fc,
			       struct fusept_args *args, int error)
{
	kfree(container_of(args, struct fusept_release_args, args));
}

/* RELEASE goes out in the background: close(2) does not wait for it */
int fusept_release_common(struct inode *inode, struct file *file, bool dir)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_release_args *ra;

	if (!ff->opened)
		goto out_free_ff;
	ra = kzalloc(sizeof(*ra), GFP_KERNEL | __GFP_NOFAIL);
	ra->in.fh = ff->fh;
	ra->in.flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
	ra->args.opcode = dir ? FUSE_RELEASEDIR : FUSE_RELEASE;
	ra->args.nodeid = ff->nodeid;
	ra->args.in_numargs = 1;
	ra->args.in[0].value = &ra->in;
	ra->args.in[0].size = sizeof(ra->in);
	ra->args.force = true;
	ra->args.background = true;
	ra->args.end = fusept_release_end;
	if (fusept_send(fusept_i_conn(inode), &ra->args))
		kfree(ra);
out_free_ff:
	kfree(ff);
	return 0;
}

static int fusept_file_open(struct inode *inode, struct file *file)
{
	return fusept_open_common(inode, file, false);
}

static int fusept_file_release(struct inode *inode, struct file *file)
{
	return fusept_release_common(inode, file, false);
}

static int fusept_flush(struct file *file, fl_owner_t id)
{
	struct inode *inode = file_inode(file);
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_file *ff = file->private_data;
	struct fuse_flush_in in = {
		.fh = ff->fh,
		.lock_owner = fusept_lock_owner(fc, id),
	};
	struct fusept_args args = {
		.opcode = FUSE_FLUSH,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.force = true,
	};
	int err;

	if (!ff->opened || READ_ONCE(fc->no_flush) ||
	    (ff->open_flags & FOPEN_NOFLUSH))
		return 0;
	err = fusept_send(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_flush, true);
		err = 0;
	}
	return err == -ENOTCONN ? 0 : err;
}

/*
 * One READ request: the reply buffer (kvfree it) and its length, which may
 * be short at end of file.
 */
static ssize_t fusept_send_read(struct file *file, loff_t pos, size_t size,
				void **data)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_conn *fc = fusept_i_conn(file_inode(file));
	struct fuse_read_in in = {
		.fh = ff->fh,
		.offset = pos,
		.size = size,
		.flags = file->f_flags,
	};
	struct fusept_args args = {
		.opcode = FUSE_READ,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out_size = size,
		.out_var = true,
		.take_reply = true,
	};
	ssize_t ret;

	ret = fusept_send(fc, &args);
	*data = args.reply;
	return ret;
}

/* Fill locked page cache pages with one READ; they end up unlocked */
static void fusept_read_pages(struct file *file, struct fusept_pg **pgs,
			      unsigned int n)
{
	loff_t pos = (loff_t)fusept_pg_index(pgs[0]) << PAGE_SHIFT;
	void *data = NULL;
	unsigned int i;
	ssize_t len;

	len = fusept_send_read(file, pos, n * PAGE_SIZE, &data);
	for (i = 0; i < n; i++) {
		size_t off = i * PAGE_SIZE;
		size_t part = 0;
		char *addr;

		if (len >= 0) {
			if (len > off)
				part = min_t(size_t, len - off, PAGE_SIZE);
			addr = fusept_pg_map(pgs[i]);
			memcpy(addr, data + off, part);
			memset(addr + part, 0, PAGE_SIZE - part);
			fusept_pg_unmap(pgs[i], addr);
		}
		fusept_pg_end_read(pgs[i], len >= 0);
	}
	kvfree(data);
}

static int fusept_read_folio(struct file *file, struct fusept_pg *pg)
{
	if (!file) {
		fusept_pg_end_read(pg, false);
		return -EIO;
	}
	fusept_read_pages(file, &pg, 1);
	return 0;
}

static void fusept_readahead(struct readahead_control *rac)
{
	struct fusept_conn *fc = fusept_i_conn(rac->mapping->host);
	unsigned int max = max_t(unsigned int, fc->max_read >> PAGE_SHIFT, 1);
	struct fusept_pg **pgs;
	struct fusept_pg *pg;
	unsigned int n = 0;

	if (!rac->file)
		return;
	pgs = kmalloc_array(max, sizeof(*pgs), GFP_KERNEL);
	if (!pgs)
		return;
	while ((pg = fusept_ra_next(rac))) {
		if (n && fusept_pg_index(pg) != fusept_pg_index(pgs[n - 1]) + 1) {
			fusept_read_pages(rac->file, pgs, n);
			n = 0;
		}
		pgs[n++] = pg;
		if (n == max) {
			fusept_read_pages(rac->file, pgs, n);
			n = 0;
		}
	}
	if (n)
		fusept_read_pages(rac->file, pgs, n);
	kfree(pgs);
}

/* FOPEN_DIRECT_IO: every read goes to the daemon */
static ssize_t fusept_direct_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct fusept_conn *fc = fusept_i_conn(file_inode(iocb->ki_filp));
	ssize_t total = 0;

	while (iov_iter_count(to)) {
		size_t size = min_t(size_t, iov_iter_count(to), fc->max_read);
		void *data = NULL;
		ssize_t len;

		len = fusept_send_read(iocb->ki_filp, iocb->ki_pos, size, &data);
		if (len > 0 && copy_to_iter(data, len, to) != len)
			len = -EFAULT;
		kvfree(data);
		if (len <= 0) {
			if (!total)
				total = len;
			break;
		}
		iocb->ki_pos += len;
		total += len;
		if (len < size)
			break;
	}
	return total;
}

static ssize_t fusept_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct fusept_file *ff = file->private_data;
	struct fusept_conn *fc = fusept_i_conn(inode);
	int err;

	if (ff->open_flags & FOPEN_DIRECT_IO)
		return fusept_direct_read(iocb, to);
	if (fusept_has(fc, FUSE_AUTO_INVAL_DATA) ||
	    iocb->ki_pos + iov_iter_count(to) > i_size_read(inode)) {
		err = fusept_update_attr(inode, file, false);
		if (err)
			return err;
	}
	return generic_file_read_iter(iocb, to);
}

static loff_t fusept_file_llseek(struct file *file, loff_t offset, int whence)
{
	int err;

	if (whence != SEEK_SET && whence != SEEK_CUR) {
		err = fusept_update_attr(file_inode(file), file, false);
		if (err)
			return err;
	}
	return generic_file_llseek(file, offset, whence);
}

const struct address_space_operations fusept_aops = {
	FUSEPT_AOPS_READ(fusept_read_folio),
	.readahead	= fusept_readahead,
};

const struct file_operations fusept_file_fops = {
	.llseek		= fusept_file_llseek,
	.read_iter	= fusept_file_read_iter,
	.mmap		= generic_file_readonly_mmap,
	.open		= fusept_file_open,
	.flush		= fusept_flush,
	.release	= fusept_file_release,
	.splice_read	= fusept_splice_read,
};

const struct inode_operations fusept_file_iops = {
	.getattr	= fusept_getattr,
	.permission	= fusept_permission,
	.listxattr	= fusept_listxattr,
};
