// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: open files and reading them, through the page cache with
 * readahead, or straight from the daemon with FOPEN_DIRECT_IO.
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/falloc.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/writeback.h>

#include "fusept_i.h"

static int fusept_send_open(struct inode *inode, struct file *file, bool dir,
			    struct fuse_open_out *out,
			    struct fusept_backing **fb)
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
	*fb = args.backing;
	if (err == -ENOSYS && fusept_has(fc, flag)) {
		WRITE_ONCE(*no_open, true);
		return 1;
	}
	return err;
}

struct fusept_release_args {
	struct fusept_args args;
	struct fuse_release_in in;
	struct inode *inode;
};

static void fusept_release_end(struct fusept_conn *fc,
			       struct fusept_args *args, int error)
{
	struct fusept_release_args *ra =
		container_of(args, struct fusept_release_args, args);

	iput(ra->inode);
	kfree(ra);
}

/* Queue RELEASE (RELEASEDIR) of a daemon's file handle in the background */
static void fusept_send_release(struct fusept_conn *fc,
				struct fusept_release_args *ra, bool dir,
				u64 nodeid)
{
	ra->args.opcode = dir ? FUSE_RELEASEDIR : FUSE_RELEASE;
	ra->args.nodeid = nodeid;
	ra->args.in_numargs = 1;
	ra->args.in[0].value = &ra->in;
	ra->args.in[0].size = sizeof(ra->in);
	ra->args.force = true;
	ra->args.background = true;
	ra->args.end = fusept_release_end;
	if (fusept_send(fc, &ra->args)) {
		iput(ra->inode);
		kfree(ra);
	}
}

/*
 * RELEASE goes out in the background: close(2) does not wait for it.  The
 * inode stays referenced until the reply, so that its FORGET cannot reach
 * the daemon before the RELEASE (a multi-threaded daemon could handle the
 * two at once and drop the node the RELEASE names).
 */
static void fusept_release_file(struct fusept_file *ff)
{
	struct fusept_release_args *ra;

	ra = kzalloc(sizeof(*ra), GFP_KERNEL | __GFP_NOFAIL);
	ra->inode = ff->release_inode;
	ff->release_inode = NULL;
	ra->in.fh = ff->fh;
	ra->in.flags = ff->flags;
	if (ff->flock) {
		ra->in.release_flags |= FUSE_RELEASE_FLOCK_UNLOCK;
		ra->in.lock_owner = ff->flock_owner;
	}
	fusept_send_release(ff->fc, ra, ff->dir, ff->nodeid);
}

/* A file the daemon opened for a caller that gave up: release it */
void fusept_release_orphan(struct fusept_conn *fc, bool dir, u64 nodeid,
			   u64 fh, u32 flags)
{
	struct fusept_release_args *ra;

	ra = kzalloc(sizeof(*ra), GFP_KERNEL | __GFP_NOFAIL);
	ra->in.fh = fh;
	ra->in.flags = flags;
	fusept_send_release(fc, ra, dir, nodeid);
}

/* The last user of an open file is gone: tell the daemon */
void fusept_file_put(struct fusept_file *ff)
{
	if (!refcount_dec_and_test(&ff->count))
		return;
	if (ff->opened)
		fusept_release_file(ff);
	iput(ff->release_inode);
	fusept_conn_put(ff->fc);
	kfree(ff);
}

/* A daemon's open file: fill in fh and open_flags from its reply */
struct fusept_file *fusept_file_new(struct inode *inode, struct file *file,
				    bool dir)
{
	struct fusept_file *ff = kzalloc(sizeof(*ff), GFP_KERNEL);

	if (!ff)
		return NULL;
	refcount_set(&ff->count, 1);
	ff->flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
	ff->nodeid = fusept_nodeid(inode);
	ff->fc = fusept_i_conn(inode);
	ff->dir = dir;
	INIT_LIST_HEAD(&ff->write_entry);
	init_waitqueue_head(&ff->poll_wait);
	fusept_conn_get(ff->fc);
	return ff;
}

/*
 * How an open regular file's data moves, the one place that decides it:
 *  - FUSEPT_IO_PT: to and from its backing file (passthrough);
 *  - FUSEPT_IO_DIRECT: to and from the daemon (FOPEN_DIRECT_IO);
 *  - FUSEPT_IO_CACHE: through the page cache.
 * The rule: FOPEN_DIRECT_IO overrides passthrough for read, write and
 * splice (rw: true), not for mmap, nor fsync, fallocate and lseek, which
 * go to the backing file of a file that has one.
 */
enum fusept_io {
	FUSEPT_IO_CACHE,
	FUSEPT_IO_DIRECT,
	FUSEPT_IO_PT,
};

static enum fusept_io fusept_io_mode(const struct fusept_file *ff, bool rw)
{
	bool direct = ff->open_flags & FOPEN_DIRECT_IO;

	if (ff->backing_file && !(rw && direct))
		return FUSEPT_IO_PT;
	return direct ? FUSEPT_IO_DIRECT : FUSEPT_IO_CACHE;
}

/* Make ff the file's own */
void fusept_file_attach(struct inode *inode, struct file *file,
			struct fusept_file *ff)
{
	file->private_data = ff;
	if (ff->open_flags & FOPEN_STREAM)
		stream_open(inode, file);
	else if (ff->open_flags & FOPEN_NONSEEKABLE)
		nonseekable_open(inode, file);
	if (ff->dir)
		return;
	/* O_DIRECT is served by ->read_iter and ->write_iter themselves */
	file->f_mode |= FMODE_CAN_ODIRECT;
	if (fusept_io_mode(ff, true) == FUSEPT_IO_DIRECT)
		return;
	/* passthrough.c: a passthrough mapping may have changed the data */
	if (!(ff->open_flags & FOPEN_KEEP_CACHE) || !fusept_pt_keep_cache(inode))
		invalidate_inode_pages2(inode->i_mapping);
}

/*
 * How a regular file's data flows: through a backing file (passthrough),
 * or through the page cache; an inode in both modes at once only in
 * Android mode (passthrough.c). A passthrough-only inode (fi->pt_only)
 * takes passthrough opens only, also once unbound: its i_rwsem's lock
 * class must never be taken by a cached or direct write.
 */
int fusept_file_mode(struct inode *inode, struct file *file,
		     struct fusept_file *ff, struct fusept_backing *fb)
{
	int err;

	if (IS_ERR(fb))		/* the reply named a backing ID it had not */
		return PTR_ERR(fb);
	if (ff->dir || !S_ISREG(inode->i_mode))
		return 0;
	if (fusept_i(inode)->pt_only &&
	    (!fb || fusept_io_mode(ff, true) == FUSEPT_IO_DIRECT))
		return -EIO;
	if (fb)
		return fusept_pt_open(inode, file, ff, fb);
	if (fusept_io_mode(ff, true) == FUSEPT_IO_DIRECT)
		return 0;
	err = fusept_pt_cached_open_get(inode);
	ff->cached = !err;
	return err;
}

/* Undo fusept_file_mode() */
void fusept_file_mode_end(struct inode *inode, struct fusept_file *ff)
{
	if (ff->backing_file)
		fusept_pt_release(inode, ff);
	if (ff->cached) {
		fusept_pt_cached_open_put(inode);
		ff->cached = false;
	}
}

int fusept_open_common(struct inode *inode, struct file *file, bool dir)
{
	struct fusept_backing *fb = NULL;
	struct fuse_open_out out;
	struct fusept_file *ff;
	int err;

	err = generic_file_open(inode, file);
	if (err)
		return err;
	ff = fusept_file_new(inode, file, dir);
	if (!ff)
		return -ENOMEM;
	/* inode passthrough: the kernel opens the lower file, no OPEN */
	fb = dir ? NULL : fusept_pt_bound(inode, FUSE_OPEN);
	if (fb) {
		memset(&out, 0, sizeof(out));
		ff->kopen = true;
		err = 1;
	} else {
		err = fusept_send_open(inode, file, dir, &out, &fb);
	}
	if (err < 0) {
		fusept_file_put(ff);
		return err;
	}
	ff->opened = !err;
	ff->fh = out.fh;
	ff->open_flags = out.open_flags;
	err = 0;
	if (!dir && !ff->kopen && !IS_ERR_OR_NULL(fb))
		err = fusept_pt_open_bind(inode, fb);
	if (!err)
		err = fusept_file_mode(inode, file, ff, fb);
	fusept_pt_backing_put(fb);
	if (!err && dir)
		err = fusept_readdir_open(inode, ff);
	if (err) {
		fusept_file_put(ff);
		return err;
	}
	fusept_file_attach(inode, file, ff);
	return 0;
}

int fusept_release_common(struct inode *inode, struct file *file, bool dir)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_inode *fi = fusept_i(inode);

	if (!list_empty(&ff->write_entry)) {
		filemap_write_and_wait(inode->i_mapping);
		spin_lock(&fi->lock);
		list_del_init(&ff->write_entry);
		spin_unlock(&fi->lock);
	}
	fusept_file_mode_end(inode, ff);
	fusept_poll_release(ff);
	if (ff->lower_dir)
		fput(ff->lower_dir);
	if (ff->opened)
		ff->release_inode = igrab(inode);
	fusept_file_put(ff);
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
	loff_t pos = (loff_t)pgs[0]->index << PAGE_SHIFT;
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
		if (n && pg->index != pgs[n - 1]->index + 1) {
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
	enum fusept_io mode = fusept_io_mode(ff, true);
	int err;

	if (mode == FUSEPT_IO_PT)
		return fusept_pt_read_iter(iocb, to);
	if (iocb->ki_flags & IOCB_DIRECT) {
		err = filemap_write_and_wait_range(file->f_mapping, iocb->ki_pos,
						   iocb->ki_pos +
						   iov_iter_count(to) - 1);
		if (err)
			return err;
	}
	if (mode == FUSEPT_IO_DIRECT || (iocb->ki_flags & IOCB_DIRECT))
		return fusept_direct_read(iocb, to);
	if (fusept_has(fc, FUSE_AUTO_INVAL_DATA) ||
	    iocb->ki_pos + iov_iter_count(to) > i_size_read(inode)) {
		err = fusept_update_attr(inode, file, false);
		if (err)
			return err;
	}
	return generic_file_read_iter(iocb, to);
}

/*
 * One WRITE request from a kernel buffer: bytes written or an error.
 * Writeback writes a page back to its place: never as an append, and
 * never given up half way (forced).
 */
static ssize_t fusept_send_write(struct fusept_file *ff, loff_t pos,
				 const void *data, size_t size, bool writeback)
{
	struct fuse_write_in in = {
		.fh = ff->fh,
		.offset = pos,
		.size = size,
		.flags = writeback ? ff->flags & ~O_APPEND : ff->flags,
	};
	struct fuse_write_out out;
	struct fusept_args args = {
		.opcode = FUSE_WRITE,
		.nodeid = ff->nodeid,
		.in_numargs = 2,
		.in[0] = { &in, sizeof(in) },
		.in[1] = { data, size },
		.out = &out,
		.out_size = sizeof(out),
		.force = writeback,
	};
	ssize_t err;

	err = fusept_send(ff->fc, &args);
	if (err)
		return err;
	if (out.size > size)
		return -EIO;
	return out.size;
}

/* Unlock and release the first n units of a locked range */
static void fusept_put_range(struct fusept_pg **pgs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fusept_pg_unlock(pgs[i]);
		fusept_pg_put(pgs[i]);
	}
}

/*
 * Lock the cached units of [pos, pos + len) into pgs, making those not
 * cached (not uptodate: who waits for them reads them from the daemon
 * after). Held while the WRITE of the range is in flight, as mainline
 * holds the pages it writes through: writeback, a store through a
 * mapping and a read of the range wait until both the daemon and the
 * cache have the new bytes. Returns how many were locked.
 */
static int fusept_lock_range(struct address_space *mapping, loff_t pos,
			     size_t len, struct fusept_pg **pgs)
{
	pgoff_t index = pos >> PAGE_SHIFT;
	pgoff_t last = (pos + len - 1) >> PAGE_SHIFT;
	int n;

	for (n = 0; index + n <= last; n++) {
		pgs[n] = fusept_pg_grab(mapping, index + n);
		if (!pgs[n]) {
			fusept_put_range(pgs, n);
			return -ENOMEM;
		}
		fusept_pg_wait_writeback(pgs[n]);
	}
	return n;
}

/*
 * The daemon took done bytes of buf at pos: the uptodate units of the
 * locked range get them (a unit dirtied through a mapping keeps its own
 * change beside them), then the range is unlocked.
 */
static void fusept_unlock_range(struct fusept_pg **pgs, int n, loff_t pos,
				const char *buf, size_t done)
{
	size_t off = offset_in_page(pos), k;
	char *addr;
	int i;

	for (i = 0; i < n && done; i++, off = 0) {
		k = min_t(size_t, PAGE_SIZE - off, done);
		if (fusept_pg_uptodate(pgs[i])) {
			addr = fusept_pg_map(pgs[i]);
			memcpy(addr + off, buf, k);
			fusept_pg_unmap(pgs[i], addr);
			fusept_pg_flush_dcache(pgs[i]);
		}
		buf += k;
		done -= k;
	}
	fusept_put_range(pgs, n);
}

/*
 * One WRITE of a kernel buffer with its range locked in the cache; the
 * range is dropped from the cache after (a unit dirtied meanwhile is
 * written back with both changes first).
 */
static ssize_t fusept_write_chunk(struct fusept_file *ff,
				  struct address_space *mapping, loff_t pos,
				  const char *buf, size_t size,
				  struct fusept_pg **pgs)
{
	ssize_t n;
	int npg;

	npg = fusept_lock_range(mapping, pos, size, pgs);
	if (npg < 0)
		return npg;
	n = fusept_send_write(ff, pos, buf, size, false);
	fusept_unlock_range(pgs, npg, pos, buf, n > 0 ? n : 0);
	invalidate_inode_pages2_range(mapping, pos >> PAGE_SHIFT,
				      (pos + size - 1) >> PAGE_SHIFT);
	return n;
}

/* Send the iterator's data in WRITE requests of at most max_write */
static ssize_t fusept_perform_write(struct fusept_file *ff,
				    struct address_space *mapping, loff_t pos,
				    struct iov_iter *from)
{
	size_t chunk = min_t(size_t, iov_iter_count(from), ff->fc->max_write);
	struct fusept_pg **pgs;
	ssize_t total = 0;
	void *buf;

	chunk = max_t(size_t, chunk, 1);
	buf = kvmalloc(chunk, GFP_KERNEL_ACCOUNT);
	pgs = kvmalloc_array(DIV_ROUND_UP(chunk, PAGE_SIZE) + 1, sizeof(*pgs),
			     GFP_KERNEL_ACCOUNT);
	if (!buf || !pgs) {
		total = -ENOMEM;
		goto out_free;
	}
	while (iov_iter_count(from)) {
		size_t size = min_t(size_t, iov_iter_count(from), chunk);
		ssize_t n;

		if (!copy_from_iter_full(buf, size, from)) {
			n = -EFAULT;
		} else {
			n = fusept_write_chunk(ff, mapping, pos, buf, size, pgs);
			if (n >= 0 && n < size)
				iov_iter_revert(from, size - n);
		}
		if (n <= 0) {
			if (!total)
				total = n;
			break;
		}
		pos += n;
		total += n;
		if (n < size)
			break;
	}
out_free:
	kvfree(pgs);
	kvfree(buf);
	return total;
}

/* After a write the kernel's idea of size and times is stale */
void fusept_write_done(struct inode *inode, loff_t end)
{
	struct fusept_inode *fi = fusept_i(inode);

	spin_lock(&fi->lock);
	if (end > i_size_read(inode))
		i_size_write(inode, end);
	spin_unlock(&fi->lock);
	fusept_data_changed(inode);
}

/*
 * Writes go through to the daemon at once (no writeback cache); the page
 * cache of the range is written back before, locked while the daemon
 * takes the bytes, updated with them and dropped after, so that mmap and
 * read(2) see the new data and a page written through a mapping
 * meanwhile keeps both.
 */
static ssize_t fusept_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct fusept_file *ff = file->private_data;
	struct address_space *mapping = inode->i_mapping;
	loff_t pos, end;
	ssize_t ret;

	if (fusept_io_mode(ff, true) == FUSEPT_IO_PT)
		return fusept_pt_write_iter(iocb, from);
	inode_lock(inode);
	if (iocb->ki_flags & IOCB_APPEND) {
		ret = fusept_update_attr(inode, file, false);
		if (ret)
			goto out_unlock;
	}
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out_unlock;
	ret = file_remove_privs(file);
	if (ret)
		goto out_unlock;
	pos = iocb->ki_pos;
	end = pos + iov_iter_count(from) - 1;
	ret = filemap_write_and_wait_range(mapping, pos, end);
	if (ret)
		goto out_unlock;
	ret = fusept_perform_write(ff, mapping, pos, from);
	if (ret > 0) {
		iocb->ki_pos += ret;
		fusept_write_done(inode, iocb->ki_pos);
	}
out_unlock:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

/*
 * The open file writeback uses: one with a shared writable mapping, one
 * not opened O_APPEND if there is (a daemon writing through an O_APPEND
 * descriptor would put the page at the end of the file).
 */
static struct fusept_file *fusept_write_file(struct inode *inode)
{
	struct fusept_inode *fi = fusept_i(inode);
	struct fusept_file *ff, *pick = NULL;

	spin_lock(&fi->lock);
	list_for_each_entry(ff, &fi->write_files, write_entry) {
		if (!pick || (pick->flags & O_APPEND))
			pick = ff;
	}
	if (pick)
		refcount_inc(&pick->count);
	spin_unlock(&fi->lock);
	return pick;
}

/* A shared writable mapping: its file may write dirty pages back */
static void fusept_link_write_file(struct file *file)
{
	struct fusept_inode *fi = fusept_i(file_inode(file));
	struct fusept_file *ff = file->private_data;

	spin_lock(&fi->lock);
	if (list_empty(&ff->write_entry))
		list_add(&ff->write_entry, &fi->write_files);
	spin_unlock(&fi->lock);
}

/* Send a page cache unit under writeback, up to the end of the file */
static int fusept_write_pg(struct fusept_pg *pg, struct fusept_file *ff,
			   size_t len)
{
	loff_t pos = (loff_t)pg->index << PAGE_SHIFT;
	ssize_t n;
	void *addr;

	addr = fusept_pg_map(pg);
	n = fusept_send_write(ff, pos, addr, len, true);
	fusept_pg_unmap(pg, addr);
	if (n >= 0 && n != len)
		n = -EIO;
	if (n < 0)
		mapping_set_error(pg->mapping, n);
	fusept_pg_end_writeback(pg);
	return n < 0 ? n : 0;
}

/* Bytes of a unit that lie inside the file, 0 past the end */
static size_t fusept_pg_len(struct fusept_pg *pg)
{
	loff_t pos = (loff_t)pg->index << PAGE_SHIFT;
	loff_t size = i_size_read(pg->mapping->host);

	return pos >= size ? 0 : min_t(loff_t, size - pos, PAGE_SIZE);
}

static int fusept_writepage(struct fusept_pg *pg, struct writeback_control *wbc,
			    void *data)
{
	size_t len = fusept_pg_len(pg);

	if (!len) {
		fusept_pg_unlock(pg);
		return 0;
	}
	fusept_pg_start_writeback(pg);
	fusept_pg_unlock(pg);
	return fusept_write_pg(pg, data, len);
}

static int fusept_writepages(struct address_space *mapping,
			     struct writeback_control *wbc)
{
	struct fusept_file *ff;
	int err;

	/* reclaim must not wait for the daemon */
	if (current->flags & PF_MEMALLOC)
		return 0;
	ff = fusept_write_file(mapping->host);
	if (!ff)
		return -EIO;
	err = fusept_write_cache(mapping, wbc, fusept_writepage, ff);
	fusept_file_put(ff);
	fusept_data_changed(mapping->host);
	return err;
}

/* A dirty unit about to be dropped from the cache: write it now, locked */
static int fusept_launder(struct fusept_pg *pg)
{
	struct fusept_file *ff;
	size_t len;
	int err;

	if (!fusept_pg_clear_dirty_for_io(pg))
		return 0;
	len = fusept_pg_len(pg);
	if (!len)
		return 0;
	ff = fusept_write_file(pg->mapping->host);
	if (!ff)
		return -EIO;
	fusept_pg_start_writeback(pg);
	err = fusept_write_pg(pg, ff, len);
	fusept_file_put(ff);
	return err;
}

static void fusept_vma_close(struct vm_area_struct *vma)
{
	/* munmap of a shared mapping: its writes reach the daemon now */
	filemap_write_and_wait(vma->vm_file->f_mapping);
}

/*
 * A shared mapping's page is about to be written: make it dirty while it
 * is locked and still the file's (a truncate may have taken it), inside
 * the superblock's page-fault freeze protection. filemap_page_mkwrite()
 * does the same and waits for stable writes, which fusept never asks
 * for; it is not among the symbols GKI kernels export.
 */
static vm_fault_t fusept_page_mkwrite(struct vm_fault *vmf)
{
	struct file *file = vmf->vma->vm_file;
	struct inode *inode = file_inode(file);
	struct fusept_pg *pg = fusept_pg_of_page(vmf->page);
	vm_fault_t ret = VM_FAULT_LOCKED;

	sb_start_pagefault(inode->i_sb);
	file_update_time(file);
	fusept_pg_lock(pg);
	if (pg->mapping != inode->i_mapping) {
		fusept_pg_unlock(pg);
		ret = VM_FAULT_NOPAGE;
	} else {
		fusept_pg_mark_dirty(pg);
	}
	sb_end_pagefault(inode->i_sb);
	return ret;
}

static const struct vm_operations_struct fusept_vm_ops = {
	.close		= fusept_vma_close,
	.fault		= filemap_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= fusept_page_mkwrite,
};

static int fusept_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	enum fusept_io mode = fusept_io_mode(file->private_data, false);

	if (mode == FUSEPT_IO_PT)
		return fusept_pt_mmap(file, vma);
	/* no coherent shared mapping of a file the daemon serves uncached */
	if (mode == FUSEPT_IO_DIRECT && (vma->vm_flags & VM_MAYSHARE))
		return -ENODEV;
	if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE))
		fusept_link_write_file(file);
	file_accessed(file);
	vma->vm_ops = &fusept_vm_ops;
	return 0;
}

int fusept_fsync_common(struct file *file, loff_t start, loff_t end,
			int datasync, bool dir)
{
	struct inode *inode = file_inode(file);
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_file *ff = file->private_data;
	struct fuse_fsync_in in = {
		.fh = ff->fh,
		.fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0,
	};
	struct fusept_args args = {
		.opcode = dir ? FUSE_FSYNCDIR : FUSE_FSYNC,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
	};
	bool *no = dir ? &fc->no_fsyncdir : &fc->no_fsync;
	int err;

	err = file_write_and_wait_range(file, start, end);
	if (err)
		return err;
	if (READ_ONCE(*no))
		return 0;
	err = fusept_send(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(*no, true);
		err = 0;
	}
	return err;
}

static int fusept_file_fsync(struct file *file, loff_t start, loff_t end,
			     int datasync)
{
	if (fusept_io_mode(file->private_data, false) == FUSEPT_IO_PT)
		return fusept_pt_fsync(file, start, end, datasync);
	return fusept_fsync_common(file, start, end, datasync, false);
}

#define FUSEPT_FALLOC_MODES (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

static long fusept_fallocate(struct file *file, int mode, loff_t offset,
			     loff_t length)
{
	struct inode *inode = file_inode(file);
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_file *ff = file->private_data;
	struct fuse_fallocate_in in = {
		.fh = ff->fh,
		.offset = offset,
		.length = length,
		.mode = mode,
	};
	struct fusept_args args = {
		.opcode = FUSE_FALLOCATE,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
	};
	loff_t end = offset + length - 1;
	long err;

	if (fusept_io_mode(ff, false) == FUSEPT_IO_PT)
		return fusept_pt_fallocate(file, mode, offset, length);
	if (mode & ~FUSEPT_FALLOC_MODES)
		return -EOPNOTSUPP;
	if (READ_ONCE(fc->no_fallocate))
		return -EOPNOTSUPP;
	inode_lock(inode);
	err = filemap_write_and_wait_range(inode->i_mapping, offset, end);
	if (!err && !(mode & FALLOC_FL_KEEP_SIZE))
		err = inode_newsize_ok(inode, offset + length);
	if (!err)
		err = file_remove_privs(file);
	if (!err)
		err = fusept_send(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_fallocate, true);
		err = -EOPNOTSUPP;
	}
	if (!err) {
		if (!(mode & FALLOC_FL_KEEP_SIZE))
			fusept_write_done(inode, offset + length);
		else
			fusept_invalidate_attr(inode);
		if (mode & FALLOC_FL_PUNCH_HOLE)
			truncate_pagecache_range(inode, offset, end);
	}
	inode_unlock(inode);
	return err;
}

/* SEEK_DATA and SEEK_HOLE: the daemon knows where the holes are */
static loff_t fusept_lseek_data(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct fusept_conn *fc = fusept_i_conn(inode);
	struct fusept_file *ff = file->private_data;
	struct fuse_lseek_in in = {
		.fh = ff->fh,
		.offset = offset,
		.whence = whence,
	};
	struct fuse_lseek_out out;
	struct fusept_args args = {
		.opcode = FUSE_LSEEK,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out = &out,
		.out_size = sizeof(out),
	};
	int err;

	if (READ_ONCE(fc->no_lseek))
		return generic_file_llseek(file, offset, whence);
	err = filemap_write_and_wait(inode->i_mapping);
	if (!err)
		err = fusept_send(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_lseek, true);
		return generic_file_llseek(file, offset, whence);
	}
	if (err)
		return err;
	return vfs_setpos(file, out.offset, inode->i_sb->s_maxbytes);
}

static loff_t fusept_file_llseek(struct file *file, loff_t offset, int whence)
{
	int err;

	if ((whence == SEEK_DATA || whence == SEEK_HOLE) &&
	    fusept_io_mode(file->private_data, false) == FUSEPT_IO_PT)
		return fusept_pt_llseek(file, offset, whence);
	if (whence == SEEK_SET || whence == SEEK_CUR)
		return generic_file_llseek(file, offset, whence);
	err = fusept_update_attr(file_inode(file), file, false);
	if (err)
		return err;
	if (whence == SEEK_DATA || whence == SEEK_HOLE)
		return fusept_lseek_data(file, offset, whence);
	return generic_file_llseek(file, offset, whence);
}

/* COPY_FILE_RANGE to the daemon; EOPNOTSUPP when it cannot be asked */
static ssize_t fusept_copy_range_send(struct file *in_file, loff_t pos_in,
				      struct file *out_file, loff_t pos_out,
				      size_t len, unsigned int flags)
{
	struct inode *inode_out = file_inode(out_file);
	struct fusept_conn *fc = fusept_i_conn(inode_out);
	struct fusept_file *ffi = in_file->private_data;
	struct fusept_file *ffo = out_file->private_data;
	struct fuse_copy_file_range_in in = {
		.fh_in = ffi->fh,
		.off_in = pos_in,
		.nodeid_out = ffo->nodeid,
		.fh_out = ffo->fh,
		.off_out = pos_out,
		/* the reply's size is 32 bits: ask no more (mainline's clamp) */
		.len = min_t(size_t, len, UINT_MAX & PAGE_MASK),
		.flags = flags,
	};
	struct fuse_write_out out;
	struct fusept_args args = {
		.opcode = FUSE_COPY_FILE_RANGE,
		.nodeid = ffi->nodeid,
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out = &out,
		.out_size = sizeof(out),
	};
	ssize_t err;

	/* a kernel-opened file has no fh to name */
	if (flags || READ_ONCE(fc->no_copy_file_range) ||
	    in_file->f_op != out_file->f_op || ffi->kopen || ffo->kopen ||
	    file_inode(in_file)->i_sb != inode_out->i_sb)
		return -EOPNOTSUPP;
	err = filemap_write_and_wait_range(file_inode(in_file)->i_mapping,
					   pos_in, pos_in + len - 1);
	if (err)
		return err;
	inode_lock(inode_out);
	err = file_remove_privs(out_file);
	if (!err)
		err = filemap_write_and_wait_range(inode_out->i_mapping,
						   pos_out, pos_out + len - 1);
	if (!err)
		err = fusept_send(fc, &args);
	if (!err && out.size > in.len)
		err = -EIO;
	if (!err && out.size) {
		/* whole pages: a partial one would be zeroed, and stay valid */
		truncate_inode_pages_range(inode_out->i_mapping,
					   round_down(pos_out, PAGE_SIZE),
					   round_up(pos_out + out.size,
						    PAGE_SIZE) - 1);
		fusept_write_done(inode_out, pos_out + out.size);
	}
	if (!err)
		err = out.size;
	inode_unlock(inode_out);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_copy_file_range, true);
		err = -EOPNOTSUPP;
	}
	return err;
}

/*
 * What the daemon cannot copy (no COPY_FILE_RANGE, a kernel-opened file,
 * another mount) the kernel copies by splice, as mainline does: read and
 * write of the two files, passthrough or cached.
 */
static ssize_t fusept_copy_file_range(struct file *in_file, loff_t pos_in,
				      struct file *out_file, loff_t pos_out,
				      size_t len, unsigned int flags)
{
	ssize_t ret = fusept_copy_range_send(in_file, pos_in, out_file,
					     pos_out, len, flags);

	if (ret == -EOPNOTSUPP || ret == -EXDEV)
		ret = splice_copy_file_range(in_file, pos_in, out_file,
					     pos_out, len);
	return ret;
}

static ssize_t fusept_file_splice_read(struct file *in, loff_t *ppos,
				       struct pipe_inode_info *pipe,
				       size_t len, unsigned int flags)
{
	switch (fusept_io_mode(in->private_data, true)) {
	case FUSEPT_IO_PT:
		return fusept_pt_splice_read(in, ppos, pipe, len, flags);
	case FUSEPT_IO_DIRECT:
		/* through read_iter: the page cache is not used, nor i_size */
		return copy_splice_read(in, ppos, pipe, len, flags);
	case FUSEPT_IO_CACHE:
		break;
	}
	return filemap_splice_read(in, ppos, pipe, len, flags);
}

static ssize_t fusept_file_splice_write(struct pipe_inode_info *pipe,
					struct file *out, loff_t *ppos,
					size_t len, unsigned int flags)
{
	if (fusept_io_mode(out->private_data, true) == FUSEPT_IO_PT)
		return fusept_pt_splice_write(pipe, out, ppos, len, flags);
	return iter_file_splice_write(pipe, out, ppos, len, flags);
}

const struct address_space_operations fusept_aops = {
	FUSEPT_AOPS_READ(fusept_read_folio),
	.readahead	= fusept_readahead,
	.writepages	= fusept_writepages,
	FUSEPT_AOPS_DIRTY,
	FUSEPT_AOPS_LAUNDER(fusept_launder),
	.direct_IO	= noop_direct_IO,
};

const struct file_operations fusept_file_fops = {
	.llseek		= fusept_file_llseek,
	.read_iter	= fusept_file_read_iter,
	.write_iter	= fusept_file_write_iter,
	.mmap		= fusept_file_mmap,
	.open		= fusept_file_open,
	.flush		= fusept_flush,
	.release	= fusept_file_release,
	.fsync		= fusept_file_fsync,
	.lock		= fusept_file_lock,
	.flock		= fusept_file_flock,
	.poll		= fusept_file_poll,
	.fallocate	= fusept_fallocate,
	.copy_file_range = fusept_copy_file_range,
	.splice_read	= fusept_file_splice_read,
	.splice_write	= fusept_file_splice_write,
};

const struct inode_operations fusept_file_iops = {
	.getattr	= fusept_getattr,
	.setattr	= fusept_setattr,
	.permission	= fusept_permission,
	.listxattr	= fusept_listxattr,
};
