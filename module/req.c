// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: the life of a request, from its caller to the daemon and back.
 *
 * A request carries its whole message in a buffer of its own and gets its
 * reply in another, both owned by the request, so a caller that gives up
 * never leaves the daemon writing into freed memory.
 *
 * States; every change happens under fc->lock:
 *   pending	on fc->pending (QUEUED): the daemon has not read it
 *   sent	read by the daemon (SENT); on fc->processing (QUEUED) until
 *		its reply comes
 *   finished	FINISHED: the reply is in, or the request failed
 *
 * Who ends a request: whoever takes it off its list under fc->lock
 * (clearing QUEUED) ends it, once, with fusept_req_end(): the daemon's
 * reply, the reader that cannot deliver it, the end of the connection.
 * A request nobody answers (FORGET, NOTIFY_REPLY) ends once it is read.
 * A caller that withdraws an unread request frees it without ending it.
 *
 * Signals, for a caller waiting for its reply (mainline's rules but one):
 *  - Any signal marks the request INTERRUPTED. A request the daemon has
 *    read gets one FUSE_INTERRUPT; an unread one gets it as soon as it is
 *    read. The caller goes on waiting, killably, for the reply (which may
 *    be -EINTR): a signal alone never loses a request.
 *  - A fatal signal withdraws a request the daemon has not read: the
 *    caller gets -EINTR and the daemon never sees it. A request the daemon
 *    has read is abandoned: the caller gets -EINTR at once and the reply,
 *    when it comes, is dropped; what it did for the caller is undone (a
 *    node a LOOKUP-like reply counted is forgotten, a file an OPEN or
 *    CREATE reply opened is released). Whether a reply is used or dropped
 *    is decided once, under fc->lock. Mainline waits uninterruptibly for
 *    a request the daemon has read instead; fusept lets the task die.
 *  - Forced requests (args->force: FLUSH, writeback and launder WRITEs,
 *    INIT) are neither interrupted nor given up: their caller waits until
 *    they are answered or the connection ends (abort ends a daemon that
 *    hangs). Background requests (RELEASE, INIT, NOTIFY_REPLY) have no
 *    caller waiting; their end callback runs when they end.
 *
 * Abort and umount: fusept_conn_end() fails every queued request with
 * ENOTCONN. umount then waits until every request of the connection is
 * freed (fc->num_live), so no end callback (RELEASE drops an inode) runs
 * after the superblock is gone. Nothing here ever waits for the daemon.
 *
 * Locking: fc->lock (a spinlock) covers the request lists, the state bits,
 * fc->reqctr and fc->connected. It is never held while copying to or from
 * user memory, allocating with GFP_KERNEL or running an end callback; no
 * other lock is taken under it but the wait queue locks of wake_up().
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "fusept_i.h"

/* The last reference: free the request; umount may be waiting for that */
void fusept_req_put(struct fusept_req *req)
{
	struct fusept_conn *fc = req->fc;

	if (!refcount_dec_and_test(&req->ref))
		return;
	kvfree(req->in);
	kvfree(req->reply);
	fusept_pt_backing_put(req->backing);
	fusept_pt_backing_put(req->bind.fb);
	kfree(req);
	if (atomic_dec_and_test(&fc->num_live))
		wake_up_all(&fc->live_waitq);
	fusept_conn_put(fc);
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

/* A request with its message, charged to the caller's memory cgroup */
static struct fusept_req *fusept_req_new(struct fusept_conn *fc,
					 struct fusept_args *args)
{
	u32 len = fusept_in_len(args);
	struct fusept_req *req;
	unsigned int i;
	char *p;

	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req)
		return NULL;
	req->in = kvzalloc(len, GFP_KERNEL_ACCOUNT);
	if (!req->in) {
		kfree(req);
		return NULL;
	}
	INIT_LIST_HEAD(&req->list);
	INIT_LIST_HEAD(&req->intr_entry);
	refcount_set(&req->ref, 1);
	init_waitqueue_head(&req->waitq);
	fusept_conn_get(fc);
	atomic_inc(&fc->num_live);
	req->fc = fc;
	req->opcode = args->opcode;
	req->in_len = len;
	req->out_max = args->out_size;
	req->out_var = args->out_var;
	req->bind_ok = args->bind_ok && READ_ONCE(fc->inode_pt);
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

/* Has the request ended? Its reply and error are readable once it has */
static bool fusept_req_finished(struct fusept_req *req)
{
	if (!test_bit(FUSEPT_R_FINISHED, &req->flags))
		return false;
	/* pairs with smp_mb__before_atomic() in fusept_req_end() */
	smp_rmb();
	return true;
}

/* Called with fc->lock held: queue one INTERRUPT for req, if it may */
static bool fusept_req_queue_interrupt(struct fusept_conn *fc,
				       struct fusept_req *req)
{
	if (!fc->connected || fc->no_interrupt ||
	    test_bit(FUSEPT_R_FINISHED, &req->flags) ||
	    test_and_set_bit(FUSEPT_R_INTR_QUEUED, &req->flags))
		return false;
	list_add_tail(&req->intr_entry, &fc->interrupts);
	return true;
}

/* A signal came: the daemon hears of it once it has read the request */
static void fusept_req_interrupt(struct fusept_req *req)
{
	struct fusept_conn *fc = req->fc;
	bool queued = false;

	spin_lock(&fc->lock);
	set_bit(FUSEPT_R_INTERRUPTED, &req->flags);
	if (test_bit(FUSEPT_R_SENT, &req->flags))
		queued = fusept_req_queue_interrupt(fc, req);
	spin_unlock(&fc->lock);
	if (queued)
		wake_up(&fc->waitq);
}

/* Undo for the daemon what a reply nobody takes did for the caller */
static void fusept_req_abandoned(struct fusept_req *req)
{
	const struct fuse_in_header *ih = req->in;
	const void *in = ih + 1;
	const struct fuse_entry_out *entry = req->reply;
	const struct fuse_open_out *open = req->reply;
	u32 flags;

	if (req->error || !req->reply)
		return;
	switch (req->opcode) {
	case FUSE_CREATE:
		if (req->reply_len < sizeof(*entry) + sizeof(*open))
			return;
		open = req->reply + sizeof(*entry);
		flags = ((const struct fuse_create_in *)in)->flags;
		if (!fusept_pt_create_kopen(req->fc, open))
			fusept_release_orphan(req->fc, false, entry->nodeid,
					      open->fh, flags);
		fallthrough;
	case FUSE_LOOKUP:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_LINK:
		if (req->reply_len >= sizeof(*entry) && entry->nodeid)
			fusept_forget_one(req->fc, entry->nodeid);
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		if (req->reply_len < sizeof(*open))
			return;
		flags = ((const struct fuse_open_in *)in)->flags;
		fusept_release_orphan(req->fc, req->opcode == FUSE_OPENDIR,
				      ih->nodeid, open->fh, flags);
		break;
	}
}

/* Check the reply's size and hand it to the caller */
static ssize_t fusept_take_reply(struct fusept_req *req,
				 struct fusept_args *args)
{
	if (req->error)
		return req->error;
	if (!fusept_req_reply_size_ok(req, req->reply_len))
		return -EIO;
	/* a bind trailer is not the caller's: it is in args->bind */
	args->out_len = min(req->reply_len, req->out_max);
	args->backing = req->backing;
	req->backing = NULL;
	args->bind = req->bind;
	req->bind.fb = NULL;
	if (args->take_reply) {
		args->reply = req->reply;
		req->reply = NULL;
	} else if (args->out && args->out_len) {
		memcpy(args->out, req->reply, args->out_len);
	}
	return args->out_var ? args->out_len : 0;
}

/* A reply (or failure) of a background request */
static void fusept_req_end_background(struct fusept_req *req)
{
	struct fusept_args *args = req->bg_args;
	int err = req->error;

	if (!err)
		err = fusept_take_reply(req, args);
	args->end(req->fc, args, err < 0 ? err : 0);
}

/*
 * Finish a request taken off every list (see "Who ends a request"): the
 * waiting caller wakes, a background request's callback runs, or an
 * abandoned reply is undone. Drops the reference of the list.
 */
void fusept_req_end(struct fusept_req *req)
{
	struct fusept_conn *fc = req->fc;
	bool abandoned;

	spin_lock(&fc->lock);
	list_del_init(&req->intr_entry);
	/* pairs with smp_rmb() in fusept_req_finished(): reply, then bit */
	smp_mb__before_atomic();
	set_bit(FUSEPT_R_FINISHED, &req->flags);
	abandoned = test_bit(FUSEPT_R_ABANDONED, &req->flags);
	spin_unlock(&fc->lock);

	if (abandoned)
		fusept_req_abandoned(req);
	else if (req->bg_args)
		fusept_req_end_background(req);
	else
		wake_up(&req->waitq);
	fusept_req_put(req);
}

/* Queue a request for the daemon; the queue gets a reference of its own */
static void fusept_req_queue(struct fusept_conn *fc, struct fusept_req *req)
{
	refcount_inc(&req->ref);
	spin_lock(&fc->lock);
	if (!fc->connected) {
		spin_unlock(&fc->lock);
		req->error = -ENOTCONN;
		fusept_req_end(req);
		return;
	}
	if (!req->unique) {
		fc->reqctr += FUSEPT_REQ_ID_STEP;
		req->unique = fc->reqctr;
	}
	((struct fuse_in_header *)req->in)->unique = req->unique;
	set_bit(FUSEPT_R_QUEUED, &req->flags);
	list_add_tail(&req->list, &fc->pending);
	spin_unlock(&fc->lock);
	wake_up(&fc->waitq);
}

/*
 * A fatal signal: withdraw a request the daemon has not read, abandon one
 * it has. Returns false if the reply won the race and is to be used.
 */
static bool fusept_req_give_up(struct fusept_req *req)
{
	struct fusept_conn *fc = req->fc;
	bool withdrawn = false, finished;

	spin_lock(&fc->lock);
	finished = test_bit(FUSEPT_R_FINISHED, &req->flags);
	if (finished) {
		/* nothing to do: the caller takes the reply */
	} else if (!test_bit(FUSEPT_R_SENT, &req->flags) &&
		   test_and_clear_bit(FUSEPT_R_QUEUED, &req->flags)) {
		list_del_init(&req->list);
		withdrawn = true;
	} else {
		/* read, or being failed by the connection's end */
		set_bit(FUSEPT_R_ABANDONED, &req->flags);
	}
	spin_unlock(&fc->lock);
	if (withdrawn)
		fusept_req_put(req);	/* the queue's reference */
	return !finished;
}

/* Wait for the reply under the rules of the comment at the top */
static int fusept_req_wait(struct fusept_req *req, bool force)
{
	if (force) {
		wait_event(req->waitq, fusept_req_finished(req));
		return 0;
	}
	if (!READ_ONCE(req->fc->no_interrupt)) {
		if (!wait_event_interruptible(req->waitq,
					      fusept_req_finished(req)))
			return 0;
		fusept_req_interrupt(req);
	}
	if (!wait_event_killable(req->waitq, fusept_req_finished(req)))
		return 0;
	return fusept_req_give_up(req) ? -EINTR : 0;
}

/* INIT's reply applied? What it set is visible once this says so */
static bool fusept_initialized(struct fusept_conn *fc)
{
	/* pairs with smp_store_release() in fusept_init_end() */
	return smp_load_acquire(&fc->initialized);
}

/* Callers wait for INIT; afterwards a dead or refused connection fails */
static int fusept_wait_ready(struct fusept_conn *fc, bool force)
{
	if (!force && !fusept_initialized(fc)) {
		if (wait_event_killable(fc->blocked_waitq,
					fusept_initialized(fc) ||
					!READ_ONCE(fc->connected)))
			return -EINTR;
	}
	if (!READ_ONCE(fc->connected))
		return -ENOTCONN;
	if (READ_ONCE(fc->conn_error))
		return -ECONNREFUSED;
	return 0;
}

/*
 * Send a request and wait for its reply: 0 (or the reply's length for a
 * variable-size reply) on success, else a negative errno. A background
 * request returns at once; args->end() gets its result.
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
		fusept_req_queue(fc, req);
		fusept_req_put(req);
		return 0;
	}
	atomic_inc(&fc->num_waiting);
	fusept_req_queue(fc, req);
	ret = fusept_req_wait(req, args->force);
	if (!ret)
		ret = fusept_take_reply(req, args);
	atomic_dec(&fc->num_waiting);
	fusept_req_put(req);
	return ret;
}

/* ------------------------------------------------ the daemon's side */

/*
 * Called with fc->lock held; drops it. The first pending request, moved
 * to fc->processing as sent (an unanswered one to no list), with a
 * reference for the reader: NULL if it was too big for room (it failed),
 * ERR_PTR(-ENOSPC) with *need set if need is given (it stays queued).
 */
struct fusept_req *fusept_req_take_next(struct fusept_conn *fc, size_t room,
					size_t *need)
	__releases(fc->lock)
{
	struct fusept_req *req = list_first_entry(&fc->pending,
						  struct fusept_req, list);

	if (need && req->in_len > room) {
		/* before the unlock: another reader may take it and end it */
		*need = req->in_len;
		spin_unlock(&fc->lock);
		return ERR_PTR(-ENOSPC);
	}
	list_del_init(&req->list);
	clear_bit(FUSEPT_R_QUEUED, &req->flags);
	if (req->in_len > room) {
		spin_unlock(&fc->lock);
		req->error = req->opcode == FUSE_SETXATTR ? -E2BIG : -EIO;
		fusept_req_end(req);
		return NULL;
	}
	set_bit(FUSEPT_R_SENT, &req->flags);
	refcount_inc(&req->ref);
	if (!test_bit(FUSEPT_R_NOREPLY, &req->flags)) {
		set_bit(FUSEPT_R_QUEUED, &req->flags);
		list_add_tail(&req->list, &fc->processing);
	}
	spin_unlock(&fc->lock);
	return req;
}

/*
 * The reader copied the request out (or failed to: ok false, the request
 * fails with EIO). A request with no reply ends now; one interrupted
 * while it was pending gets its INTERRUPT now. Drops the reader's ref.
 */
void fusept_req_read_done(struct fusept_req *req, bool ok)
{
	struct fusept_conn *fc = req->fc;
	bool noreply = test_bit(FUSEPT_R_NOREPLY, &req->flags);
	bool mine = noreply, queued = false;

	spin_lock(&fc->lock);
	if (!ok && !noreply) {
		mine = test_and_clear_bit(FUSEPT_R_QUEUED, &req->flags);
		if (mine)
			list_del_init(&req->list);
	} else if (test_bit(FUSEPT_R_INTERRUPTED, &req->flags)) {
		queued = fusept_req_queue_interrupt(fc, req);
	}
	spin_unlock(&fc->lock);
	if (queued)
		wake_up(&fc->waitq);
	if (mine) {
		if (!ok)
			req->error = -EIO;
		fusept_req_end(req);
	}
	fusept_req_put(req);
}

/* Called with fc->lock held: the request the daemon answers, if sent */
static struct fusept_req *fusept_req_find(struct fusept_conn *fc, u64 unique)
{
	struct fusept_req *req;

	list_for_each_entry(req, &fc->processing, list) {
		if (req->unique == unique)
			return req;
	}
	return NULL;
}

/* The request a reply names, taken off fc->processing: the caller ends it */
struct fusept_req *fusept_req_take_answered(struct fusept_conn *fc,
					    u64 unique)
{
	struct fusept_req *req;

	spin_lock(&fc->lock);
	req = fc->connected ? fusept_req_find(fc, unique) : NULL;
	if (req) {
		clear_bit(FUSEPT_R_QUEUED, &req->flags);
		list_del_init(&req->list);
	}
	spin_unlock(&fc->lock);
	return req;
}

/*
 * Called with fc->lock held: the next INTERRUPT to read, off its list.
 * Returns the unique of the request it interrupts.
 */
u64 fusept_req_take_interrupt(struct fusept_conn *fc)
{
	struct fusept_req *req = list_first_entry(&fc->interrupts,
						  struct fusept_req,
						  intr_entry);

	list_del_init(&req->intr_entry);
	return req->unique;
}

/*
 * The daemon's answer to an INTERRUPT: ENOSYS, it never handles them;
 * EAGAIN, send it again later (only for a request really interrupted).
 */
int fusept_req_interrupt_reply(struct fusept_conn *fc, u64 unique, int error)
{
	struct fusept_req *req;
	bool requeue = false;

	spin_lock(&fc->lock);
	req = fusept_req_find(fc, unique);
	if (req && error == -ENOSYS) {
		fc->no_interrupt = true;
	} else if (req && error == -EAGAIN &&
		   test_bit(FUSEPT_R_INTERRUPTED, &req->flags) &&
		   list_empty(&req->intr_entry)) {
		list_add_tail(&req->intr_entry, &fc->interrupts);
		requeue = true;
	}
	spin_unlock(&fc->lock);
	if (requeue)
		wake_up(&fc->waitq);
	return req ? 0 : -ENOENT;
}

/* ------------------------------------------------------- forgets */

void fusept_queue_forget(struct fusept_conn *fc, struct fusept_forget *f,
			 u64 nodeid, u64 nlookup)
{
	f->nodeid = nodeid;
	f->nlookup = nlookup;
	spin_lock(&fc->lock);
	if (fc->connected) {
		list_add_tail(&f->list, &fc->forgets);
		fc->num_forgets++;
		f = NULL;
	}
	spin_unlock(&fc->lock);
	kfree(f);
	if (!f)
		wake_up(&fc->waitq);
}

/* Tell the daemon to drop one lookup of a node the kernel did not keep */
void fusept_forget_one(struct fusept_conn *fc, u64 nodeid)
{
	struct fusept_forget *f = kzalloc(sizeof(*f), GFP_KERNEL | __GFP_NOFAIL);

	fusept_queue_forget(fc, f, nodeid, 1);
}

/* ------------------------------------------------ abort and umount */

/*
 * End the connection: every request fails with ENOTCONN and the daemon's
 * reads get ENODEV. No DESTROY is sent, as the kernel's FUSE sends none
 * to a /dev/fuse daemon: FORGETs carry no reply, so the kernel cannot
 * know that the daemon is done with them, and a multithreaded libfuse
 * daemon (passthrough_ll) frees its inodes on DESTROY while another
 * thread still drops lookups. libfuse calls the destroy handler itself
 * once its loop has ended on ENODEV.
 */
void fusept_conn_end(struct fusept_conn *fc)
{
	struct fusept_forget *f, *fnext;
	struct fusept_req *req, *next;
	LIST_HEAD(reqs);
	LIST_HEAD(forgets);

	spin_lock(&fc->lock);
	if (!fc->connected) {
		spin_unlock(&fc->lock);
		return;
	}
	WRITE_ONCE(fc->connected, false);
	list_splice_init(&fc->pending, &reqs);
	list_splice_init(&fc->processing, &reqs);
	/* from here on these requests are ours alone */
	list_for_each_entry(req, &reqs, list)
		clear_bit(FUSEPT_R_QUEUED, &req->flags);
	list_for_each_entry_safe(req, next, &fc->interrupts, intr_entry)
		list_del_init(&req->intr_entry);
	list_splice_init(&fc->forgets, &forgets);
	fc->num_forgets = 0;
	spin_unlock(&fc->lock);

	list_for_each_entry_safe(req, next, &reqs, list) {
		list_del_init(&req->list);
		req->error = -ENOTCONN;
		fusept_req_end(req);
	}
	list_for_each_entry_safe(f, fnext, &forgets, list)
		kfree(f);
	fusept_pt_conn_end(fc);
	fusept_poll_wake_all(fc);
	wake_up_all(&fc->waitq);
	wake_up_all(&fc->blocked_waitq);
}

/*
 * After fusept_conn_end(): wait until every request of the connection is
 * gone. Another task (the daemon closing its device, an abort) may still
 * be ending the ones it took, and a background request's end callback
 * drops an inode: umount must not tear the superblock down before.
 */
void fusept_conn_wait_idle(struct fusept_conn *fc)
{
	wait_event(fc->live_waitq, !atomic_read(&fc->num_live));
}
