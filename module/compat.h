/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusept: the one place where kernel API differences live.
 *
 * Every switch here comes from compat-gen.h, written at build time by
 * compiling the snippets in probes/ against the target kernel's headers,
 * so that kernels with backported APIs get what they really have.
 */
#ifndef FUSEPT_COMPAT_H
#define FUSEPT_COMPAT_H

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include "compat-gen.h"

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

#define FUSEPT_DECLARE_GETATTR(fn) \
	int fn(FUSEPT_IDMAP_ARG const struct path *path, struct kstat *stat, \
	       u32 mask, unsigned int flags)
#define FUSEPT_DECLARE_PERMISSION(fn) \
	int fn(FUSEPT_IDMAP_ARG struct inode *inode, int mask)

static inline int fusept_generic_permission(struct inode *inode, int mask)
{
	return generic_permission(FUSEPT_IDMAP_NOP inode, mask);
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

static inline bool fusept_inode_is_new(struct inode *inode)
{
#ifdef FUSEPT_HAVE_INODE_STATE_READ
	return inode_state_read_once(inode) & I_NEW;
#else
	return READ_ONCE(inode->i_state) & I_NEW;
#endif
}

/* ->d_revalidate: the wrapper calls fusept_revalidate() on every kernel */
int fusept_revalidate(struct dentry *entry, unsigned int flags);

#ifdef FUSEPT_HAVE_D_REVALIDATE_DIR
static inline int fusept_d_revalidate(struct inode *dir,
				      const struct qstr *name,
				      struct dentry *entry, unsigned int flags)
{
	return fusept_revalidate(entry, flags);
}
#else
static inline int fusept_d_revalidate(struct dentry *entry, unsigned int flags)
{
	return fusept_revalidate(entry, flags);
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

static inline void fusept_set_d_op(struct super_block *sb,
				   const struct dentry_operations *op)
{
#ifdef FUSEPT_HAVE_SET_DEFAULT_D_OP
	set_default_d_op(sb, op);
#else
	sb->s_d_op = op;
#endif
}

static inline void fusept_set_times(struct inode *inode,
				    struct timespec64 atime,
				    struct timespec64 mtime,
				    struct timespec64 ctime)
{
#ifdef FUSEPT_HAVE_INODE_SET_MTIME
	inode_set_atime_to_ts(inode, atime);
	inode_set_mtime_to_ts(inode, mtime);
#else
	inode->i_atime = atime;
	inode->i_mtime = mtime;
#endif
#ifdef FUSEPT_HAVE_INODE_SET_CTIME
	inode_set_ctime_to_ts(inode, ctime);
#else
	inode->i_ctime = ctime;
#endif
}

static inline struct timespec64 fusept_get_mtime(struct inode *inode)
{
#ifdef FUSEPT_HAVE_INODE_SET_MTIME
	return inode_get_mtime(inode);
#else
	return inode->i_mtime;
#endif
}

#ifdef FUSEPT_HAVE_FILEMAP_SPLICE_READ
#define fusept_splice_read	filemap_splice_read
#else
#define fusept_splice_read	generic_file_splice_read
#endif

/* splice from a file that has only ->read_iter (the device) */
#ifdef FUSEPT_HAVE_COPY_SPLICE_READ
#define fusept_copy_splice_read	copy_splice_read
#else
#define fusept_copy_splice_read	generic_file_splice_read
#endif

/*
 * Page cache units: a folio where ->read_folio exists (always one page
 * here: fusept does not enable large folios), a page before.
 */
#ifdef FUSEPT_HAVE_READ_FOLIO
#define fusept_pg folio
#define FUSEPT_AOPS_READ(fn)	.read_folio = (fn)

static inline pgoff_t fusept_pg_index(struct folio *pg)
{
	return pg->index;
}

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
#ifdef FUSEPT_HAVE_FOLIO_END_READ
	folio_end_read(pg, ok);
#else
	if (ok)
		folio_mark_uptodate(pg);
	folio_unlock(pg);
#endif
}

/* The next locked folio of a readahead batch; no reference held */
static inline struct folio *fusept_ra_next(struct readahead_control *rac)
{
	return readahead_folio(rac);
}
#else
#define fusept_pg page
#define FUSEPT_AOPS_READ(fn)	.readpage = (fn)

static inline pgoff_t fusept_pg_index(struct page *pg)
{
	return pg->index;
}

static inline void *fusept_pg_map(struct page *pg)
{
#ifdef FUSEPT_HAVE_KMAP_LOCAL_PAGE
	return kmap_local_page(pg);
#else
	return kmap(pg);
#endif
}

static inline void fusept_pg_unmap(struct page *pg, void *addr)
{
#ifdef FUSEPT_HAVE_KMAP_LOCAL_PAGE
	kunmap_local(addr);
#else
	kunmap(pg);
#endif
}

static inline void fusept_pg_end_read(struct page *pg, bool ok)
{
	if (ok)
		SetPageUptodate(pg);
	unlock_page(pg);
}

static inline struct page *fusept_ra_next(struct readahead_control *rac)
{
	struct page *pg = readahead_page(rac);

	/* the page stays locked in the page cache: drop the extra ref */
	if (pg)
		put_page(pg);
	return pg;
}
#endif

#endif /* FUSEPT_COMPAT_H */
