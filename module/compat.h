/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusept: the one place where kernel API differences live.
 *
 * Every switch here comes from compat-gen.h, which Kbuild writes at build
 * time by compiling the snippets in probes/ against the target kernel's
 * headers, so that kernels with backported APIs get what they really have.
 */
#ifndef FUSEPT_COMPAT_H
#define FUSEPT_COMPAT_H

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/splice.h>
#include <linux/writeback.h>
#include "compat-gen.h"

/*
 * Inode and xattr operations take the mount's idmapping first (a user
 * namespace 5.12 to 6.2, a mnt_idmap from 6.3): FUSEPT_IDMAP_ARG stands
 * for it in a definition's parameters, FUSEPT_IDMAP_NOP for the identity
 * in a call. Where more than that differs, FUSEPT_DECLARE_* below.
 */
#if defined(FUSEPT_HAVE_MNT_IDMAP)
#include <linux/mnt_idmapping.h>
#define FUSEPT_IDMAP_ARG	struct mnt_idmap *idmap,
#define FUSEPT_IDMAP_NOP	(&nop_mnt_idmap),
#elif defined(FUSEPT_HAVE_USERNS_IOPS)
#define FUSEPT_IDMAP_ARG	struct user_namespace *idmap,
#define FUSEPT_IDMAP_NOP	(&init_user_ns),
#else
#define FUSEPT_IDMAP_ARG
#define FUSEPT_IDMAP_NOP
#endif

/* ->mkdir returns the dentry it used (6.15+) or an error code */
#ifdef FUSEPT_HAVE_MKDIR_DENTRY
#define FUSEPT_DECLARE_MKDIR(fn) \
	struct dentry *fn(FUSEPT_IDMAP_ARG struct inode *dir, \
			  struct dentry *entry, umode_t mode)
static inline struct dentry *fusept_mkdir_ret(struct dentry *alias, int err)
{
	return err ? ERR_PTR(err) : alias;
}
#else
#define FUSEPT_DECLARE_MKDIR(fn) \
	int fn(FUSEPT_IDMAP_ARG struct inode *dir, struct dentry *entry, \
	       umode_t mode)
static inline int fusept_mkdir_ret(struct dentry *alias, int err)
{
	dput(alias);
	return err;
}
#endif

static inline int fusept_setattr_prepare(struct dentry *entry,
					 struct iattr *attr)
{
	return setattr_prepare(FUSEPT_IDMAP_NOP entry, attr);
}

static inline int fusept_generic_permission(struct inode *inode, int mask)
{
	return generic_permission(FUSEPT_IDMAP_NOP inode, mask);
}

/* inode_permission() of the inode at path, through its mount */
static inline int fusept_path_permission(const struct path *path, int mask)
{
	struct inode *inode = d_inode(path->dentry);

#if defined(FUSEPT_HAVE_MNT_IDMAP)
	return inode_permission(mnt_idmap(path->mnt), inode, mask);
#elif defined(FUSEPT_HAVE_USERNS_IOPS)
	return inode_permission(mnt_user_ns(path->mnt), inode, mask);
#else
	return inode_permission(inode, mask);
#endif
}

/*
 * Look a name up in a lower directory whose lock is not held, through the
 * lower mount's idmapping where the kernel has one: lookup_one_unlocked()
 * takes a qstr (6.16+) or a string (5.18+); lookup_one_len_unlocked()
 * before it. name's hash is written.
 */
static inline struct dentry *fusept_lookup_lower(const struct path *dir,
						 struct qstr *name)
{
#if defined(FUSEPT_HAVE_LOOKUP_ONE_QSTR)
	return lookup_one_unlocked(mnt_idmap(dir->mnt), name, dir->dentry);
#elif defined(FUSEPT_HAVE_LOOKUP_ONE_UNLOCKED) && defined(FUSEPT_HAVE_MNT_IDMAP)
	return lookup_one_unlocked(mnt_idmap(dir->mnt), name->name,
				   dir->dentry, name->len);
#elif defined(FUSEPT_HAVE_LOOKUP_ONE_UNLOCKED)
	return lookup_one_unlocked(mnt_user_ns(dir->mnt), name->name,
				   dir->dentry, name->len);
#else
	return lookup_one_len_unlocked(name->name, dir->dentry, name->len);
#endif
}

/* Does the mount of path map ids (an idmapped mount)? */
static inline bool fusept_path_idmapped(const struct path *path)
{
#if defined(FUSEPT_HAVE_MNT_IDMAP)
	return mnt_idmap(path->mnt) != &nop_mnt_idmap;
#elif defined(FUSEPT_HAVE_USERNS_IOPS)
	return mnt_user_ns(path->mnt) != &init_user_ns;
#else
	return false;
#endif
}

/* notify_change() of the dentry at path, through its mount; no delegation */
static inline int fusept_notify_change(const struct path *path,
				       struct iattr *attr)
{
#if defined(FUSEPT_HAVE_MNT_IDMAP)
	return notify_change(mnt_idmap(path->mnt), path->dentry, attr, NULL);
#elif defined(FUSEPT_HAVE_USERNS_IOPS)
	return notify_change(mnt_user_ns(path->mnt), path->dentry, attr, NULL);
#else
	return notify_change(path->dentry, attr, NULL);
#endif
}

static inline bool fusept_path_owner_or_capable(const struct path *path)
{
	struct inode *inode = d_inode(path->dentry);

#if defined(FUSEPT_HAVE_MNT_IDMAP)
	return inode_owner_or_capable(mnt_idmap(path->mnt), inode);
#elif defined(FUSEPT_HAVE_USERNS_IOPS)
	return inode_owner_or_capable(mnt_user_ns(path->mnt), inode);
#else
	return inode_owner_or_capable(inode);
#endif
}

static inline void fusept_fillattr(struct inode *inode, u32 mask,
				   struct kstat *stat)
{
#ifdef FUSEPT_HAVE_FILLATTR_REQMASK
	generic_fillattr(FUSEPT_IDMAP_NOP mask, inode, stat);
#else
	generic_fillattr(FUSEPT_IDMAP_NOP inode, stat);
#endif
}

/* i_state behind accessors (6.19+) */
#ifndef FUSEPT_HAVE_INODE_STATE_READ
static inline unsigned long inode_state_read_once(struct inode *inode)
{
	return READ_ONCE(inode->i_state);
}
#endif

/*
 * ->d_revalidate: the wrapper calls fusept_revalidate() on every kernel,
 * with the stable parent and name the VFS passes (6.14+), or NULL for
 * both: fusept_revalidate() then takes a snapshot of its own.
 */
int fusept_revalidate(struct inode *dir, const struct qstr *name,
		      struct dentry *entry, unsigned int flags);

#ifdef FUSEPT_HAVE_D_REVALIDATE_DIR
static inline int fusept_d_revalidate(struct inode *dir,
				      const struct qstr *name,
				      struct dentry *entry, unsigned int flags)
{
	return fusept_revalidate(dir, name, entry, flags);
}
#else
static inline int fusept_d_revalidate(struct dentry *entry, unsigned int flags)
{
	return fusept_revalidate(NULL, NULL, entry, flags);
}
#endif

static inline struct dentry *
fusept_d_alloc_parallel(struct dentry *parent, const struct qstr *name,
			wait_queue_head_t *wq)
{
#ifdef FUSEPT_HAVE_D_ALLOC_PARALLEL_NOWQ
	return d_alloc_parallel(parent, name);
#else
	return d_alloc_parallel(parent, name, wq);
#endif
}

#ifndef FUSEPT_HAVE_SET_DEFAULT_D_OP
static inline void set_default_d_op(struct super_block *s,
				    const struct dentry_operations *ops)
{
	s->s_d_op = ops;
}
#endif

/* Inode times behind accessors: atime and mtime 6.7+, ctime 6.6+ */
#ifndef FUSEPT_HAVE_INODE_SET_MTIME
static inline struct timespec64 inode_get_mtime(const struct inode *inode)
{
	return inode->i_mtime;
}

static inline struct timespec64 inode_set_mtime_to_ts(struct inode *inode,
						      struct timespec64 ts)
{
	inode->i_mtime = ts;
	return ts;
}

static inline struct timespec64 inode_set_atime_to_ts(struct inode *inode,
						      struct timespec64 ts)
{
	inode->i_atime = ts;
	return ts;
}
#endif

#ifndef FUSEPT_HAVE_INODE_SET_CTIME
static inline struct timespec64 inode_set_ctime_to_ts(struct inode *inode,
						      struct timespec64 ts)
{
	inode->i_ctime = ts;
	return ts;
}

static inline struct timespec64 inode_get_ctime(const struct inode *inode)
{
	return inode->i_ctime;
}
#endif

/*
 * 6.5 split generic_file_splice_read() in two: filemap_splice_read() for
 * a cached file (it reads the page cache directly) and copy_splice_read()
 * through ->read_iter, without the page cache (a FOPEN_DIRECT_IO file).
 * Before 6.5 both are generic_file_splice_read(), which goes through
 * ->read_iter (fusept_file_read_iter(), attributes refreshed as for
 * read(2)).
 */
#ifndef FUSEPT_HAVE_FILEMAP_SPLICE_READ
static inline ssize_t filemap_splice_read(struct file *in, loff_t *ppos,
					  struct pipe_inode_info *pipe,
					  size_t len, unsigned int flags)
{
	return generic_file_splice_read(in, ppos, pipe, len, flags);
}
#endif

#ifndef FUSEPT_HAVE_COPY_SPLICE_READ
static inline ssize_t copy_splice_read(struct file *in, loff_t *ppos,
				       struct pipe_inode_info *pipe,
				       size_t len, unsigned int flags)
{
	return generic_file_splice_read(in, ppos, pipe, len, flags);
}
#endif

/*
 * copy_file_range's copy by splice, for a daemon that cannot copy: 6.8
 * named it splice_copy_file_range(); before, generic_copy_file_range()
 * (flags 0). Both expect the caller to hold the destination's freeze
 * protection, as vfs_copy_file_range() does around ->copy_file_range.
 */
#ifndef FUSEPT_HAVE_SPLICE_COPY_FILE_RANGE
static inline long splice_copy_file_range(struct file *in, loff_t pos_in,
					  struct file *out, loff_t pos_out,
					  size_t len)
{
	return generic_copy_file_range(in, pos_in, out, pos_out, len, 0);
}
#endif

/*
 * splice from a passthrough file: vfs_splice_read() of the backing file
 * (its checks: rw_verify_area, LSM), or, where that is not exported,
 * through the file's own ->read_iter, whose vfs_iter_read() of the
 * backing file checks the same.
 */
static inline ssize_t fusept_pt_splice(struct file *file, struct file *bf,
				       loff_t *ppos,
				       struct pipe_inode_info *pipe,
				       size_t len, unsigned int flags)
{
#ifdef FUSEPT_HAVE_VFS_SPLICE_READ
	return vfs_splice_read(bf, ppos, pipe, len, flags);
#else
	return generic_file_splice_read(file, ppos, pipe, len, flags);
#endif
}

/*
 * GKI kernels (CONFIG_GKI_HACKS_TO_FIX) export some VFS symbols fusept
 * uses (d_drop, dentry_open, ...) only to modules that import this
 * namespace; 6.13 made the macro's argument a string.
 */
#define FUSEPT_VFS_NS VFS_internal_I_am_really_a_filesystem_and_am_NOT_a_driver
#if !defined(CONFIG_GKI_HACKS_TO_FIX)
#define FUSEPT_IMPORT_VFS_NS()
#elif defined(FUSEPT_HAVE_IMPORT_NS_IDENT)
#define FUSEPT_IMPORT_VFS_NS()	MODULE_IMPORT_NS(FUSEPT_VFS_NS)
#else
#define FUSEPT_IMPORT_VFS_NS()	MODULE_IMPORT_NS(__stringify(FUSEPT_VFS_NS))
#endif

/*
 * d_hash_and_lookup() is what GKI kernels export for a dcache lookup
 * (not d_lookup()); newer kernels dropped it for try_lookup_noperm(),
 * which also revalidates: that would ask the daemon from inside its own
 * notification. There, the same from d_lookup().
 */
#ifndef FUSEPT_HAVE_D_HASH_AND_LOOKUP
static inline struct dentry *d_hash_and_lookup(struct dentry *dir,
					       struct qstr *name)
{
	name->hash = full_name_hash(dir, name->name, name->len);
	return d_lookup(dir, name);
}
#endif

/*
 * Page cache units: a folio where ->read_folio exists (always one page
 * here: fusept does not enable large folios), a page before. The
 * fusept_pg_* helpers stay fusept's own: 5.10 has no folios at all, and
 * backfilling the folio calls there would mean emulating struct folio.
 * What is the same for both (->index, ->mapping) is read from the unit.
 */
#ifdef FUSEPT_HAVE_READ_FOLIO
#define fusept_pg folio
#define FUSEPT_AOPS_READ(fn)	.read_folio = (fn)

/* 6.10+ */
#ifndef FUSEPT_HAVE_FOLIO_END_READ
static inline void folio_end_read(struct folio *folio, bool success)
{
	if (success)
		folio_mark_uptodate(folio);
	folio_unlock(folio);
}
#endif

static inline void *fusept_pg_map(struct folio *pg)
{
	return kmap_local_folio(pg, 0);
}

static inline void fusept_pg_unmap(struct folio *pg, void *addr)
{
	kunmap_local(addr);
}

static inline void fusept_pg_end_read(struct folio *pg, bool ok)
{
	folio_end_read(pg, ok);
}

static inline struct folio *fusept_pg_of_page(struct page *page)
{
	return page_folio(page);
}

static inline void fusept_pg_lock(struct folio *pg)
{
	folio_lock(pg);
}

static inline void fusept_pg_unlock(struct folio *pg)
{
	folio_unlock(pg);
}

static inline void fusept_pg_mark_dirty(struct folio *pg)
{
	folio_mark_dirty(pg);
}

/* After the kernel wrote into a unit a mapping may show */
static inline void fusept_pg_flush_dcache(struct folio *pg)
{
	flush_dcache_folio(pg);
}

static inline bool fusept_pg_clear_dirty_for_io(struct folio *pg)
{
	return folio_clear_dirty_for_io(pg);
}

static inline void fusept_pg_start_writeback(struct folio *pg)
{
	folio_start_writeback(pg);
}

static inline void fusept_pg_end_writeback(struct folio *pg)
{
	folio_end_writeback(pg);
}

static inline void fusept_pg_wait_writeback(struct folio *pg)
{
	folio_wait_writeback(pg);
}

/* The next locked folio of a readahead batch; no reference held */
static inline struct folio *fusept_ra_next(struct readahead_control *rac)
{
	return readahead_folio(rac);
}

/* The locked folio at index, created if missing; NULL on failure */
static inline struct folio *fusept_pg_grab(struct address_space *m,
					   pgoff_t index)
{
	struct folio *pg = __filemap_get_folio(m, index, FGP_LOCK |
					       FGP_ACCESSED | FGP_CREAT,
					       mapping_gfp_mask(m));

	return IS_ERR_OR_NULL(pg) ? NULL : pg;
}

/* The cached folio at index with a reference, or NULL */
static inline struct folio *fusept_pg_find(struct address_space *m,
					   pgoff_t index)
{
	struct folio *pg = filemap_get_folio(m, index);

	return IS_ERR_OR_NULL(pg) ? NULL : pg;
}

static inline bool fusept_pg_uptodate(struct folio *pg)
{
	return folio_test_uptodate(pg);
}

static inline void fusept_pg_mark_uptodate(struct folio *pg)
{
	folio_mark_uptodate(pg);
}

static inline void fusept_pg_put(struct folio *pg)
{
	folio_put(pg);
}
#else
#define fusept_pg page
#define FUSEPT_AOPS_READ(fn)	.readpage = (fn)

/* 5.11+ */
#ifndef FUSEPT_HAVE_KMAP_LOCAL_PAGE
static inline void *kmap_local_page(struct page *page)
{
	return kmap(page);
}

static inline void kunmap_local(void *addr)
{
	kunmap(kmap_to_page(addr));
}
#endif

static inline void *fusept_pg_map(struct page *pg)
{
	return kmap_local_page(pg);
}

static inline void fusept_pg_unmap(struct page *pg, void *addr)
{
	kunmap_local(addr);
}

static inline void fusept_pg_end_read(struct page *pg, bool ok)
{
	if (ok)
		SetPageUptodate(pg);
	unlock_page(pg);
}

static inline struct page *fusept_pg_of_page(struct page *page)
{
	return page;
}

static inline void fusept_pg_lock(struct page *pg)
{
	lock_page(pg);
}

static inline void fusept_pg_unlock(struct page *pg)
{
	unlock_page(pg);
}

static inline void fusept_pg_mark_dirty(struct page *pg)
{
	set_page_dirty(pg);
}

static inline void fusept_pg_flush_dcache(struct page *pg)
{
	flush_dcache_page(pg);
}

static inline bool fusept_pg_clear_dirty_for_io(struct page *pg)
{
	return clear_page_dirty_for_io(pg);
}

static inline void fusept_pg_start_writeback(struct page *pg)
{
	set_page_writeback(pg);
}

static inline void fusept_pg_end_writeback(struct page *pg)
{
	end_page_writeback(pg);
}

static inline void fusept_pg_wait_writeback(struct page *pg)
{
	wait_on_page_writeback(pg);
}

static inline struct page *fusept_ra_next(struct readahead_control *rac)
{
	struct page *pg = readahead_page(rac);

	/* the page stays locked in the page cache: drop the extra ref */
	if (pg)
		put_page(pg);
	return pg;
}

static inline struct page *fusept_pg_grab(struct address_space *m,
					  pgoff_t index)
{
	return find_or_create_page(m, index, mapping_gfp_mask(m));
}

static inline struct page *fusept_pg_find(struct address_space *m,
					  pgoff_t index)
{
	return find_get_page(m, index);
}

static inline bool fusept_pg_uptodate(struct page *pg)
{
	return PageUptodate(pg);
}

static inline void fusept_pg_mark_uptodate(struct page *pg)
{
	SetPageUptodate(pg);
}

static inline void fusept_pg_put(struct page *pg)
{
	put_page(pg);
}
#endif

/* Can the file be mapped? ->mmap_prepare (6.16+) counts too from 6.17 */
#ifndef FUSEPT_HAVE_CAN_MMAP_FILE
static inline bool can_mmap_file(struct file *file)
{
	return file->f_op->mmap;
}
#endif

/* Hand a mapping over to another file (passthrough mmap): 5.11+ */
#ifndef FUSEPT_HAVE_VMA_SET_FILE
static inline void vma_set_file(struct vm_area_struct *vma, struct file *file)
{
	get_file(file);
	swap(vma->vm_file, file);
	fput(file);
}
#endif

/* call_mmap() became vfs_mmap() in 6.17 */
#ifndef FUSEPT_HAVE_VFS_MMAP
static inline int vfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	return call_mmap(file, vma);
}
#endif

/*
 * File and kiocb flags of newer kernels: where a flag does not exist, no
 * file or kiocb carries it, and setting or clearing it is nothing to do
 */
#ifndef FMODE_CAN_ODIRECT
#define FMODE_CAN_ODIRECT	0	/* 5.19+; before, ->direct_IO said it */
#endif
#ifndef IOCB_DIO_CALLER_COMP
#define IOCB_DIO_CALLER_COMP	0	/* 6.6 to 6.x: gone by 7.2 */
#endif
#ifndef IOCB_AIO_RW
#define IOCB_AIO_RW		0	/* 6.9+ and stable backports */
#endif

/* Dirtying and laundering page cache units */
#ifdef FUSEPT_HAVE_DIRTY_FOLIO
#define FUSEPT_AOPS_DIRTY	.dirty_folio = filemap_dirty_folio
#define FUSEPT_AOPS_LAUNDER(fn)	.launder_folio = (fn)
#else
#define FUSEPT_AOPS_DIRTY	.set_page_dirty = __set_page_dirty_nobuffers
#define FUSEPT_AOPS_LAUNDER(fn)	.launder_page = (fn)
#endif

/*
 * Walk the dirty page cache units of a mapping for ->writepages and hand
 * each one, locked, to fn.
 */
#if defined(FUSEPT_HAVE_WRITEBACK_ITER)
static inline int
fusept_write_cache(struct address_space *m, struct writeback_control *wbc,
		   int (*fn)(struct fusept_pg *, struct writeback_control *,
			     void *), void *data)
{
	struct folio *folio = NULL;
	int err = 0;

	while ((folio = writeback_iter(m, wbc, folio, &err)))
		err = fn(folio, wbc, data);
	return err;
}
#elif defined(FUSEPT_HAVE_WCP_FOLIO) || !defined(FUSEPT_HAVE_READ_FOLIO)
static inline int
fusept_write_cache(struct address_space *m, struct writeback_control *wbc,
		   int (*fn)(struct fusept_pg *, struct writeback_control *,
			     void *), void *data)
{
	return write_cache_pages(m, wbc, fn, data);
}
#else
struct fusept_wcp_adapter {
	int (*fn)(struct folio *folio, struct writeback_control *wbc,
		  void *data);
	void *data;
};

static inline int fusept_wcp_page(struct page *page,
				  struct writeback_control *wbc, void *data)
{
	struct fusept_wcp_adapter *a = data;

	return a->fn(page_folio(page), wbc, a->data);
}

static inline int
fusept_write_cache(struct address_space *m, struct writeback_control *wbc,
		   int (*fn)(struct folio *, struct writeback_control *,
			     void *), void *data)
{
	struct fusept_wcp_adapter a = { .fn = fn, .data = data };

	return write_cache_pages(m, wbc, fusept_wcp_page, &a);
}
#endif

/*
 * A file hidden from fsnotify altogether (fanotify's own descriptors).
 * Kernels with FMODE_NONOTIFY_PERM (6.14, and Debian's 6.12) encode it as
 * FMODE_NONOTIFY alone, and set FMODE_NONOTIFY_PERM on ordinary files
 * when no permission watch exists.
 */
#ifdef FMODE_NONOTIFY_PERM
#define fusept_file_nonotify(f)	\
	(((f)->f_mode & (FMODE_NONOTIFY | FMODE_NONOTIFY_PERM)) == \
	 FMODE_NONOTIFY)
#else
#define fusept_file_nonotify(f)	(!!((f)->f_mode & FMODE_NONOTIFY))
#endif

/* struct file_lock: the fields locks share moved into ->c in 6.9 */
#ifdef FUSEPT_HAVE_FILE_LOCK_CORE
#include <linux/filelock.h>
#define fusept_fl_owner(fl)	((fl)->c.flc_owner)
#define fusept_fl_flags(fl)	((fl)->c.flc_flags)
#define fusept_fl_type(fl)	((fl)->c.flc_type)
#define fusept_fl_pid(fl)	((fl)->c.flc_pid)
#else
#define fusept_fl_owner(fl)	((fl)->fl_owner)
#define fusept_fl_flags(fl)	((fl)->fl_flags)
#define fusept_fl_type(fl)	((fl)->fl_type)
#define fusept_fl_pid(fl)	((fl)->fl_pid)
#endif

/*
 * Write access to a backing file's superblock: vfs_iter_write() and
 * vfs_iocb_iter_write() take it themselves from 6.8 on. For an async
 * write that the backing filesystem queued, it is held until the write
 * completes (lockdep is told it left this task, as aio does).
 */
static inline void fusept_backing_start_write(struct file *file)
{
#ifndef FUSEPT_HAVE_FILE_WRITE_STARTED
	file_start_write(file);
#endif
}

static inline void fusept_backing_end_write(struct file *file)
{
#ifndef FUSEPT_HAVE_FILE_WRITE_STARTED
	file_end_write(file);
#endif
}

static inline void fusept_aio_start_write(struct file *file)
{
#ifndef FUSEPT_HAVE_FILE_WRITE_STARTED
	file_start_write(file);
	__sb_writers_release(file_inode(file)->i_sb, SB_FREEZE_WRITE);
#endif
}

/* queued: the write completed through ->ki_complete() */
static inline void fusept_aio_end_write(struct file *file, bool queued)
{
#ifdef FUSEPT_HAVE_FILE_WRITE_STARTED
	if (!queued)
		return;
#endif
	__sb_writers_acquired(file_inode(file)->i_sb, SB_FREEZE_WRITE);
	file_end_write(file);
}

/* ->ki_complete() lost its second result in 5.16 */
#ifdef FUSEPT_HAVE_KI_COMPLETE_RES2
#define FUSEPT_DECLARE_KI_COMPLETE(fn) \
	void fn(struct kiocb *iocb, long res, long res2)
static inline void fusept_ki_complete(struct kiocb *iocb, long res)
{
	iocb->ki_complete(iocb, res, 0);
}
#else
#define FUSEPT_DECLARE_KI_COMPLETE(fn) void fn(struct kiocb *iocb, long res)
static inline void fusept_ki_complete(struct kiocb *iocb, long res)
{
	iocb->ki_complete(iocb, res);
}
#endif

#endif /* FUSEPT_COMPAT_H */
