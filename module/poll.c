// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: poll.
 *
 * poll(2) asks the daemon with FUSE_POLL; a daemon that wants to wake a
 * poller later sends NOTIFY_POLL with the file's kernel handle.
 */
#include <linux/poll.h>

#include "fusept_i.h"

/* Give ff a kernel handle the daemon can name in NOTIFY_POLL */
static int fusept_poll_register(struct fusept_file *ff)
{
	u32 id;
	int err;

	if (READ_ONCE(ff->kh))
		return 0;
	err = xa_alloc(&ff->fc->polled, &id, ff, xa_limit_31b, GFP_KERNEL);
	if (err)
		return err;
	/* two pollers at once: the first handle wins */
	if (cmpxchg(&ff->kh, 0, id))
		xa_erase(&ff->fc->polled, id);
	return 0;
}

/* The file is released: NOTIFY_POLL must not find it any more */
void fusept_poll_release(struct fusept_file *ff)
{
	if (ff->kh)
		xa_erase(&ff->fc->polled, ff->kh);
}

__poll_t fusept_file_poll(struct file *file, poll_table *wait)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_conn *fc = ff->fc;
	struct fuse_poll_in in = { .fh = ff->fh };
	struct fuse_poll_out out;
	struct fusept_args args = {
		.opcode = FUSE_POLL,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in[0] = { &in, sizeof(in) },
		.out = &out,
		.out_size = sizeof(out),
	};
	int err;

	if (READ_ONCE(fc->no_poll) || ff->kopen)
		return DEFAULT_POLLMASK;
	poll_wait(file, &ff->poll_wait, wait);
	in.events = mangle_poll(poll_requested_events(wait));
	/* someone will sleep on this file: let the daemon wake them */
	if (waitqueue_active(&ff->poll_wait) && !fusept_poll_register(ff)) {
		in.flags |= FUSE_POLL_SCHEDULE_NOTIFY;
		in.kh = READ_ONCE(ff->kh);
	}
	err = fusept_send(fc, &args);
	if (!err)
		return demangle_poll(out.revents);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_poll, true);
		return DEFAULT_POLLMASK;
	}
	return EPOLLERR;
}

/* NOTIFY_POLL: the daemon says a polled file may be ready */
int fusept_poll_wakeup(struct fusept_conn *fc, u64 kh)
{
	struct fusept_file *ff;

	if (kh > U32_MAX)
		return -EINVAL;
	xa_lock(&fc->polled);
	ff = xa_load(&fc->polled, kh);
	if (ff)
		wake_up_interruptible_sync(&ff->poll_wait);
	xa_unlock(&fc->polled);
	return 0;
}

/* The connection ended: pollers call poll again and see the error */
void fusept_poll_wake_all(struct fusept_conn *fc)
{
	struct fusept_file *ff;
	unsigned long kh;

	xa_lock(&fc->polled);
	xa_for_each(&fc->polled, kh, ff)
		wake_up_interruptible_all(&ff->poll_wait);
	xa_unlock(&fc->polled);
}
