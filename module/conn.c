// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: connections and the INIT negotiation. The life of a request is
 * in req.c.
 */
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "fusept_i.h"

/* What fusept offers in INIT; a flag counts only if both sides set it */
#define FUSEPT_INIT_FLAGS (FUSE_ASYNC_READ | FUSE_BIG_WRITES | \
			   FUSE_DO_READDIRPLUS | FUSE_AUTO_INVAL_DATA | \
			   FUSE_MAX_PAGES | FUSE_NO_OPEN_SUPPORT | \
			   FUSE_NO_OPENDIR_SUPPORT | FUSE_PARALLEL_DIROPS | \
			   FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS | \
			   FUSE_INIT_EXT)

/* The passthrough flags offered; fusept_init_passthrough() settles them */
#define FUSEPT_INIT_PT_FLAGS (FUSE_PASSTHROUGH | FUSE_PASSTHROUGH_ANDROID | \
			      FUSE_PASSTHROUGH_ANDROID_EXT | \
			      FUSEPT_INODE_PASSTHROUGH)

/* The flags of fusept's own, which FUSEPT_DEV_IOC_WANT_INIT may ask for */
#define FUSEPT_INIT_OWN_FLAGS FUSEPT_INODE_PASSTHROUGH

struct fusept_conn *fusept_conn_new(void)
{
	struct fusept_conn *fc = kzalloc(sizeof(*fc), GFP_KERNEL);

	if (!fc)
		return NULL;
	spin_lock_init(&fc->lock);
	init_rwsem(&fc->killsb);
	refcount_set(&fc->count, 1);
	init_waitqueue_head(&fc->waitq);
	init_waitqueue_head(&fc->blocked_waitq);
	init_waitqueue_head(&fc->live_waitq);
	INIT_LIST_HEAD(&fc->pending);
	INIT_LIST_HEAD(&fc->processing);
	INIT_LIST_HEAD(&fc->interrupts);
	INIT_LIST_HEAD(&fc->forgets);
	idr_init(&fc->backing_idr);
	xa_init_flags(&fc->polled, XA_FLAGS_ALLOC1);
	atomic_set(&fc->num_waiting, 0);
	atomic_set(&fc->num_live, 0);
	atomic_set(&fc->num_notify_replies, 0);
	atomic_set(&fc->bound, 0);
	atomic64_set(&fc->attr_version, 1);
	get_random_bytes(&fc->lock_key, sizeof(fc->lock_key));
	fc->connected = true;
	fc->max_pages = FUSEPT_DEFAULT_MAX_PAGES;
	fc->max_read = UINT_MAX;
	fc->max_write = PAGE_SIZE;
	fc->user_ns = get_user_ns(current_user_ns());
	fc->pid_ns = get_pid_ns(task_active_pid_ns(current));
	return fc;
}

void fusept_conn_get(struct fusept_conn *fc)
{
	refcount_inc(&fc->count);
}

void fusept_conn_put(struct fusept_conn *fc)
{
	if (!refcount_dec_and_test(&fc->count))
		return;
	WARN_ON(!list_empty(&fc->pending) || !list_empty(&fc->processing));
	idr_destroy(&fc->backing_idr);
	WARN_ON(!xa_empty(&fc->polled));
	xa_destroy(&fc->polled);
	put_pid_ns(fc->pid_ns);
	put_user_ns(fc->user_ns);
	kfree(fc);
}

struct fusept_init_args {
	struct fusept_args args;
	struct fuse_init_in in;
	struct fuse_init_out out;
};

/*
 * Mainline passthrough needs a stack depth of 1 or 2 (this mount then
 * counts as that deep); an Android flag alone (either encoding: bit 31,
 * or bit 63 with FUSE_INIT_EXT, as Android's libfuse answers with the
 * one it saw) picks Android mode. Inode passthrough comes only with
 * mainline's.
 */
static void fusept_init_passthrough(struct fusept_conn *fc,
				    const struct fuse_init_out *out, u64 flags)
{
	bool android = flags & (FUSE_PASSTHROUGH_ANDROID |
				FUSE_PASSTHROUGH_ANDROID_EXT);

	if ((flags & FUSE_PASSTHROUGH) && out->max_stack_depth > 0 &&
	    out->max_stack_depth <= FILESYSTEM_MAX_STACK_DEPTH) {
		fc->pt_mode = FUSEPT_PT_MAINLINE;
		fc->max_stack_depth = out->max_stack_depth;
		fc->inode_pt = flags & FUSEPT_INODE_PASSTHROUGH;
	} else if (!(flags & FUSE_PASSTHROUGH) && android) {
		fc->pt_mode = FUSEPT_PT_ANDROID;
		fc->max_stack_depth = 1;
	}
}

/* No FUSEPT_DEV_IOC_WANT_INIT from now on: what it asked for */
static u64 fusept_init_take_want(struct fusept_conn *fc)
{
	u64 want;

	spin_lock(&fc->lock);
	fc->init_taken = true;
	want = fc->want_init;
	spin_unlock(&fc->lock);
	return want;
}

/*
 * The sizes of an INIT reply, clamped; fc->flags is the agreed flags and
 * fc->max_read the max_read mount option (UINT_MAX when not given). Pure:
 * the selftest calls it with a connection of its own.
 */
void fusept_init_limits(struct fusept_conn *fc, const struct fuse_init_out *out)
{
	fc->max_readahead = min_t(u32, out->max_readahead,
				  FUSEPT_MAX_MAX_PAGES * PAGE_SIZE);
	if (fusept_has(fc, FUSE_MAX_PAGES))
		fc->max_pages = clamp_t(u32, out->max_pages, 1,
					FUSEPT_MAX_MAX_PAGES);
	/* a WRITE carries at most max_pages pages, as in mainline */
	fc->max_write = clamp_t(u32, out->max_write, FUSEPT_MIN_MAX_WRITE,
				fc->max_pages << PAGE_SHIFT);
	fc->max_read = min_t(u32, fc->max_read, fc->max_pages * PAGE_SIZE);
	fc->max_read = max_t(u32, fc->max_read, PAGE_SIZE);
}

/* want: FUSEPT_DEV_IOC_WANT_INIT's flags, added to the reply's */
static void fusept_apply_init(struct fusept_conn *fc,
			      const struct fuse_init_out *out, u64 want)
{
	u64 flags = out->flags | want;

	if (flags & FUSE_INIT_EXT)
		flags |= (u64)out->flags2 << 32;
	fc->flags = flags & FUSEPT_INIT_FLAGS;
	fc->minor = out->minor;
	fusept_init_limits(fc, out);
	fusept_init_passthrough(fc, out, flags);
	fusept_sb_apply_init(fc, out->time_gran);
}

static void fusept_init_end(struct fusept_conn *fc, struct fusept_args *args,
			    int error)
{
	struct fusept_init_args *ia =
		container_of(args, struct fusept_init_args, args);
	u64 want = fusept_init_take_want(fc);

	if (error || args->out_len < FUSE_COMPAT_INIT_OUT_SIZE ||
	    ia->out.major != FUSE_KERNEL_VERSION ||
	    ia->out.minor < FUSEPT_MIN_MINOR) {
		if (error != -ENOTCONN)
			pr_warn_ratelimited("INIT refused (error %d, version %u.%u)\n",
					    error, ia->out.major, ia->out.minor);
		WRITE_ONCE(fc->conn_error, true);
	} else {
		down_read(&fc->killsb);	/* the mount may be going away */
		if (fc->sb)
			fusept_apply_init(fc, &ia->out, want);
		up_read(&fc->killsb);
	}
	/* pairs with smp_load_acquire() in fusept_initialized() */
	smp_store_release(&fc->initialized, true);
	wake_up_all(&fc->blocked_waitq);
	kfree(ia);
}

/* Queue INIT; the reply arrives once the daemon runs */
int fusept_send_init(struct fusept_conn *fc)
{
	struct fusept_init_args *ia = kzalloc(sizeof(*ia), GFP_KERNEL);
	u64 flags = FUSEPT_INIT_FLAGS | FUSEPT_INIT_PT_FLAGS;
	int err;

	if (!ia)
		return -ENOMEM;
	ia->in.major = FUSE_KERNEL_VERSION;
	ia->in.minor = FUSE_KERNEL_MINOR_VERSION;
	ia->in.max_readahead = FUSEPT_MAX_MAX_PAGES * PAGE_SIZE;
	ia->in.flags = lower_32_bits(flags);
	ia->in.flags2 = upper_32_bits(flags);
	ia->args.opcode = FUSE_INIT;
	ia->args.in_numargs = 1;
	ia->args.in[0].value = &ia->in;
	ia->args.in[0].size = sizeof(ia->in);
	ia->args.out = &ia->out;
	ia->args.out_size = sizeof(ia->out);
	ia->args.out_var = true;
	ia->args.force = true;
	ia->args.background = true;
	ia->args.end = fusept_init_end;
	err = fusept_send(fc, &ia->args);
	if (err)
		kfree(ia);
	return err;
}

/*
 * FUSEPT_DEV_IOC_WANT_INIT: flags of fusept's own added to the daemon's
 * INIT reply, for a daemon whose library copies into the reply only the
 * flags it knows (libfuse 3.17, 3.18). Asked before the reply is written,
 * e.g. from libfuse's init callback; 0 asks nothing.
 */
long fusept_ioc_want_init(struct fusept_conn *fc, u64 __user *argp)
{
	long err = 0;
	u64 want;

	if (get_user(want, argp))
		return -EFAULT;
	if (want & ~FUSEPT_INIT_OWN_FLAGS)
		return -EINVAL;
	spin_lock(&fc->lock);
	if (fc->init_taken)
		err = -EBUSY;
	else
		fc->want_init |= want;
	spin_unlock(&fc->lock);
	return err;
}
