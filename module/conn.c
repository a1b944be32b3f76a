// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: connections, requests and their replies, INIT negotiation.
 *
 * A request carries its whole message in a buffer of its own and gets its
 * reply in another, both owned by the request, so a caller that gives up
 * (fatal signal, abort) never leaves the daemon writing into freed memory.
 */
#include <linux/backing-dev.h>
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
	INIT_LIST_HEAD(&fc->pending);
	INIT_LIST_HEAD(&fc->processing);
	INIT_LIST_HEAD(&fc->interrupts);
	INIT_LIST_HEAD(&fc->forgets);
	idr_init(&fc->backing_idr);
	xa_init_flags(&fc->polled, XA_FLAGS_ALLOC1);
	atomic_set(&fc->num_waiting, 0);
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

u64 fusept_lock_owner(struct fusept_conn *fc, fl_owner_t id)
{
	return siphash_1u64((unsigned long)id, &fc->lock_key);
}

void fusept_req_put(struct fusept_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	kvfree(req->in);
	kvfree(req->reply);
	fusept_backing_put(req->backing);
	fusept_conn_put(req->fc);
	kfree(req);
}

static u32 fusept_in_len(const struct fusept_args *args)
{
	u32 len = sizeof(struct fuse_in_header);
	unsigned int i;

	for (i = 0; i < args->in_numargs; i++)
		len += args->in[i].size;
	return len;
}

static void fusept_fill_header(struct fusept_conn *fc,
			       struct fuse_in_header *h,
			       const struct fusept_args *args, u32 len)
{
	h->len = len;
	h->opcode = args->opcode;
	h->nodeid = args->nodeid;
	h->uid = from_kuid_munged(fc->user_ns, current_fsuid());
	h->gid = from_kgid_munged(fc->user_ns, current_fsgid());
	h->pid = pid_nr_ns(task_pid(current), fc->pid_ns);
}

static struct fusept_req *fusept_req_new(struct fusept_conn *fc,
					 struct fusept_args *args)
{
	u32 len = fusept_in_len(args);
	struct fusept_req *req;
	unsigned int i;
	char *p;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return NULL;
	req->in = kvzalloc(len, GFP_KERNEL);
	if (!req->in) {
		kfree(req);
		return NULL;
	}
	INIT_LIST_HEAD(&req->list);
	INIT_LIST_HEAD(&req->intr_entry);
	refcount_set(&req->ref, 1);
	init_waitqueue_head(&req->waitq);
	fusept_conn_get(fc);
	req->fc = fc;
	req->opcode = args->opcode;
	req->in_len = len;
	req->out_max = args->out_size;
	req->out_var = args->out_var;
	fusept_fill_header(fc, req->in, args, len);
	p = (char *)req->in + sizeof(struct fuse_in_header);
	for (i = 0; i < args->in_numargs; i++) {
		memcpy(p, args->in[i].value, args->in[i].size);
		p += args->in[i].size;
	}
	/* FORGET and NOTIFY_REPLY are not answered */
	if (args->opcode == FUSE_FORGET || args->opcode == FUSE_NOTIFY_REPLY)
		__set_bit(FUSEPT_R_NOREPLY, &req->flags);
	req->unique = args->unique;
	return req;
}

/* Callers wait for INIT; afterwards a dead or refused connection fails */
static int fusept_wait_ready(struct fusept_conn *fc, bool force)
{
	if (!force && !READ_ONCE(fc->initialized)) {
		if (wait_event_killable(fc->blocked_waitq,
					READ_ONCE(fc->initialized) ||
					!READ_ONCE(fc->connected)))
			return -EINTR;
	}
	if (!READ_ONCE(fc->connected))
		return -ENOTCONN;
	if (READ_ONCE(fc->conn_error))
		return -ECONNREFUSED;
	return 0;
}

/* Remove a request nobody waits for any more; true if it was unsent */
static bool fusept_req_withdraw(struct fusept_req *req, bool abandon)
{
	struct fusept_conn *fc = req->fc;
	bool unsent = false;

	spin_lock(&fc->lock);
	if (test_bit(FUSEPT_R_FINISHED, &req->flags)) {
		spin_unlock(&fc->lock);
		return false;
	}
	if (!test_bit(FUSEPT_R_SENT, &req->flags)) {
		/* unless abort took it: then it finishes soon */
		unsent = test_and_clear_bit(FUSEPT_R_QUEUED, &req->flags);
		if (unsent)
			list_del_init(&req->list);
	} else if (abandon) {
		set_bit(FUSEPT_R_ABANDONED, &req->flags);
	}
	spin_unlock(&fc->lock);
	if (unsent)
		fusept_req_put(req);	/* the pending list's reference */
	return unsent;
}

/*
 * Wait for the reply. A signal sends INTERRUPT to the daemon (or takes back
 * a request it has not read yet); a fatal signal gives up on the request.
 */
static int fusept_wait_reply(struct fusept_req *req)
{
	if (!wait_event_interruptible(req->waitq,
				      test_bit(FUSEPT_R_FINISHED, &req->flags)))
		return 0;
	if (fusept_req_withdraw(req, false))
		return -EINTR;
	fusept_queue_interrupt(req);
	if (!wait_event_killable(req->waitq,
				 test_bit(FUSEPT_R_FINISHED, &req->flags)))
		return 0;
	fusept_req_withdraw(req, true);
	if (test_bit(FUSEPT_R_FINISHED, &req->flags))
		return 0;
	return -EINTR;
}

/* Check the reply's size and hand it to the caller */
static ssize_t fusept_take_reply(struct fusept_req *req,
				 struct fusept_args *args)
{
	if (req->error)
		return req->error;
	if (args->out_size && !args->out_var &&
	    req->reply_len != args->out_size)
		return -EIO;
	if (req->reply_len > args->out_size)
		return -EIO;
	args->out_len = req->reply_len;
	args->backing = req->backing;
	req->backing = NULL;
	if (args->take_reply) {
		args->reply = req->reply;
		req->reply = NULL;
	} else if (args->out && req->reply_len) {
		memcpy(args->out, req->reply, req->reply_len);
	}
	return args->out_var ? req->reply_len : 0;
}

/*
 * Send a request and wait for its reply: 0 (or the reply's length for a
 * variable-size reply) on success, else a negative errno.
 */
ssize_t fusept_send(struct fusept_conn *fc, struct fusept_args *args)
{
	struct fusept_req *req;
	ssize_t ret;

	ret = fusept_wait_ready(fc, args->force);
	if (ret)
		return ret;
	req = fusept_req_new(fc, args);
	if (!req)
		return -ENOMEM;
	if (args->background) {
		req->bg_args = args;
		fusept_queue_req(fc, req);
		fusept_req_put(req);
		return 0;
	}
	atomic_inc(&fc->num_waiting);
	fusept_queue_req(fc, req);
	ret = fusept_wait_reply(req);
	if (!ret)
		ret = fusept_take_reply(req, args);
	atomic_dec(&fc->num_waiting);
	fusept_req_put(req);
	return ret;
}

/* A reply (or failure) of a background request, from fusept_req_end() */
void fusept_req_end_background(struct fusept_req *req)
{
	struct fusept_args *args = req->bg_args;
	int err = req->error;

	if (!err)
		err = fusept_take_reply(req, args);
	args->end(req->fc, args, err < 0 ? err : 0);
}

/*
 * The reply of a request whose caller gave up: a node the daemon looked up
 * for it must be forgotten again, or the daemon's counts go wrong.
 */
void fusept_req_abandoned(struct fusept_req *req)
{
	const struct fuse_entry_out *out = req->reply;

	switch (req->opcode) {
	case FUSE_LOOKUP:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_LINK:
	case FUSE_CREATE:
		if (!req->error && out && req->reply_len >= sizeof(*out) &&
		    out->nodeid)
			fusept_forget_one(req->fc, out->nodeid);
		break;
	}
}

/* Tell the daemon to drop one lookup of a node the kernel did not keep */
void fusept_forget_one(struct fusept_conn *fc, u64 nodeid)
{
	struct fusept_forget *f = kzalloc(sizeof(*f), GFP_KERNEL | __GFP_NOFAIL);

	fusept_queue_forget(fc, f, nodeid, 1);
}

struct fusept_init_args {
	struct fusept_args args;
	struct fuse_init_in in;
	struct fuse_init_out out;
};

/*
 * Mainline passthrough needs a stack depth of 1 or 2 (this mount then
 * counts as that deep); the Android flag alone picks Android mode.
 */
static void fusept_init_passthrough(struct fusept_conn *fc,
				    const struct fuse_init_out *out, u64 flags)
{
	if ((flags & FUSE_PASSTHROUGH) && out->max_stack_depth > 0 &&
	    out->max_stack_depth <= FILESYSTEM_MAX_STACK_DEPTH) {
		fc->pt_mode = FUSEPT_PT_MAINLINE;
		fc->max_stack_depth = out->max_stack_depth;
	} else if (!(flags & FUSE_PASSTHROUGH) &&
		   (out->flags & FUSE_PASSTHROUGH_ANDROID)) {
		fc->pt_mode = FUSEPT_PT_ANDROID;
		fc->max_stack_depth = 1;
	}
	if (fc->pt_mode != FUSEPT_PT_NONE)
		fc->sb->s_stack_depth = fc->max_stack_depth;
}

static void fusept_apply_init(struct fusept_conn *fc,
			      const struct fuse_init_out *out)
{
	u64 flags = out->flags;

	if (flags & FUSE_INIT_EXT)
		flags |= (u64)out->flags2 << 32;
	fc->flags = flags & FUSEPT_INIT_FLAGS;
	fc->minor = out->minor;
	fc->max_write = max_t(u32, out->max_write, 4096);
	fc->max_readahead = min_t(u32, out->max_readahead,
				  FUSEPT_MAX_MAX_PAGES * PAGE_SIZE);
	if (fusept_has(fc, FUSE_MAX_PAGES))
		fc->max_pages = clamp_t(u32, out->max_pages, 1,
					FUSEPT_MAX_MAX_PAGES);
	fc->max_read = min_t(u32, fc->max_read, fc->max_pages * PAGE_SIZE);
	fc->max_read = max_t(u32, fc->max_read, PAGE_SIZE);
	if (out->time_gran && out->time_gran <= NSEC_PER_SEC)
		fc->sb->s_time_gran = out->time_gran;
	fc->sb->s_bdi->ra_pages = fc->max_readahead / PAGE_SIZE;
	fusept_init_passthrough(fc, out, flags);
}

static void fusept_init_end(struct fusept_conn *fc, struct fusept_args *args,
			    int error)
{
	struct fusept_init_args *ia =
		container_of(args, struct fusept_init_args, args);

	if (error || args->out_len < FUSE_COMPAT_INIT_OUT_SIZE ||
	    ia->out.major != FUSE_KERNEL_VERSION ||
	    ia->out.minor < FUSEPT_MIN_MINOR) {
		if (error != -ENOTCONN)
			pr_warn_ratelimited("fusept: INIT refused (error %d, version %u.%u)\n",
					    error, ia->out.major, ia->out.minor);
		WRITE_ONCE(fc->conn_error, true);
	} else {
		down_read(&fc->killsb);	/* the mount may be going away */
		if (fc->sb)
			fusept_apply_init(fc, &ia->out);
		up_read(&fc->killsb);
	}
	WRITE_ONCE(fc->initialized, true);
	wake_up_all(&fc->blocked_waitq);
	kfree(ia);
}

/* Queue INIT; the reply arrives once the daemon runs */
int fusept_send_init(struct fusept_conn *fc)
{
	struct fusept_init_args *ia = kzalloc(sizeof(*ia), GFP_KERNEL);
	u64 flags = FUSEPT_INIT_FLAGS | FUSE_PASSTHROUGH |
		    FUSE_PASSTHROUGH_ANDROID;
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
