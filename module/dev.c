// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: /dev/fusept, the daemon's end of the connection.
 *
 * read(2) hands out INTERRUPTs first, then FORGETs (batched), then
 * requests in order; write(2) takes replies matched by their unique ID.
 * Nothing here ever waits on the daemon with a lock held.
 */
#include <linux/bvec.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pipe_fs_i.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>

#include "fusept_i.h"

static struct fusept_conn *fusept_dev_conn(struct file *file)
{
	struct fusept_dev *fud = file->private_data;

	/* pairs with cmpxchg_release() in fusept_dev_attach() */
	return smp_load_acquire(&fud->fc);
}

/* Bind a freshly opened device file to the connection being mounted */
int fusept_dev_attach(struct file *file, struct fusept_conn *fc)
{
	struct fusept_dev *fud = file->private_data;

	if (file->f_op != &fusept_dev_fops)
		return -EINVAL;
	fusept_conn_get(fc);
	if (cmpxchg_release(&fud->fc, NULL, fc)) {
		fusept_conn_put(fc);
		return -EINVAL;
	}
	return 0;
}

static bool fusept_dev_has_work(struct fusept_conn *fc)
{
	return !list_empty(&fc->pending) || !list_empty(&fc->interrupts) ||
	       !list_empty(&fc->forgets);
}

static size_t fusept_dev_min_read(struct fusept_conn *fc)
{
	return max_t(size_t, FUSE_MIN_READ_BUFFER,
		     sizeof(struct fuse_in_header) +
		     sizeof(struct fuse_write_in) + fc->max_write);
}

/* Called with fc->lock held; drops it */
static ssize_t fusept_read_interrupt(struct fusept_conn *fc,
				     struct iov_iter *to)
	__releases(fc->lock)
{
	struct {
		struct fuse_in_header h;
		struct fuse_interrupt_in arg;
	} msg = {};
	u64 unique = fusept_req_take_interrupt(fc);

	spin_unlock(&fc->lock);
	msg.h.len = sizeof(msg);
	msg.h.opcode = FUSE_INTERRUPT;
	msg.h.unique = unique | FUSEPT_INT_REQ_BIT;
	msg.arg.unique = unique;
	if (copy_to_iter(&msg, sizeof(msg), to) != sizeof(msg))
		return -EFAULT;
	return sizeof(msg);
}

/* Build a FORGET or BATCH_FORGET message from dequeued forgets */
static void *fusept_forget_msg(struct fusept_conn *fc, struct list_head *list,
			       unsigned int count, size_t *len)
{
	struct fuse_in_header *h;
	struct fusept_forget *f;
	bool batch = fc->minor >= FUSEPT_MINOR_BATCH_FORGET;
	void *msg, *p;

	*len = sizeof(*h) + (batch ?
		sizeof(struct fuse_batch_forget_in) +
		count * sizeof(struct fuse_forget_one) :
		sizeof(struct fuse_forget_in));
	msg = kzalloc(*len, GFP_KERNEL | __GFP_NOFAIL);
	h = msg;
	h->len = *len;
	h->opcode = batch ? FUSE_BATCH_FORGET : FUSE_FORGET;
	p = h + 1;
	if (batch) {
		((struct fuse_batch_forget_in *)p)->count = count;
		p += sizeof(struct fuse_batch_forget_in);
	}
	list_for_each_entry(f, list, list) {
		if (!batch) {
			h->nodeid = f->nodeid;
			((struct fuse_forget_in *)p)->nlookup = f->nlookup;
			break;
		}
		((struct fuse_forget_one *)p)->nodeid = f->nodeid;
		((struct fuse_forget_one *)p)->nlookup = f->nlookup;
		p += sizeof(struct fuse_forget_one);
	}
	return msg;
}

/* Called with fc->lock held; drops it */
static ssize_t fusept_read_forgets(struct fusept_conn *fc, struct iov_iter *to)
	__releases(fc->lock)
{
	size_t room = iov_iter_count(to) - sizeof(struct fuse_in_header) -
		      sizeof(struct fuse_batch_forget_in);
	unsigned int max = min_t(size_t, FUSEPT_MAX_BATCH_FORGET,
				 room / sizeof(struct fuse_forget_one));
	struct fusept_forget *f, *next;
	unsigned int count = 0;
	LIST_HEAD(list);
	ssize_t ret;
	size_t len;
	void *msg;
	u64 unique;

	if (fc->minor < FUSEPT_MINOR_BATCH_FORGET)
		max = 1;
	list_for_each_entry_safe(f, next, &fc->forgets, list) {
		if (count == max)
			break;
		list_move_tail(&f->list, &list);
		count++;
	}
	fc->num_forgets -= count;
	fc->reqctr += FUSEPT_REQ_ID_STEP;
	unique = fc->reqctr;
	spin_unlock(&fc->lock);

	/* a sleeping allocation: not under fc->lock (reclaim may evict one
	 * of our inodes, whose FORGET takes fc->lock)
	 */
	msg = fusept_forget_msg(fc, &list, count, &len);
	((struct fuse_in_header *)msg)->unique = unique;
	ret = copy_to_iter(msg, len, to) == len ? len : -EFAULT;
	kfree(msg);
	list_for_each_entry_safe(f, next, &list, list)
		kfree(f);
	return ret;
}

/* Wait until there is something to read */
static int fusept_dev_wait(struct fusept_conn *fc, bool nonblock)
{
	if (!READ_ONCE(fc->connected) || fusept_dev_has_work(fc))
		return 0;
	if (nonblock)
		return -EAGAIN;
	return wait_event_interruptible_exclusive(fc->waitq,
			!READ_ONCE(fc->connected) || fusept_dev_has_work(fc));
}

/*
 * Called with fc->lock held; drops it. With need, a request too big for
 * to stays queued and *need says how much room it wants (-ENOSPC).
 */
static ssize_t fusept_read_req(struct fusept_conn *fc, struct iov_iter *to,
			       size_t *need)
	__releases(fc->lock)
{
	struct fusept_req *req;
	size_t len;
	bool ok;

	req = fusept_req_take_next(fc, iov_iter_count(to), need);
	if (IS_ERR_OR_NULL(req))
		return PTR_ERR_OR_ZERO(req);
	len = req->in_len;
	ok = copy_to_iter(req->in, len, to) == len;
	fusept_req_read_done(req, ok);
	return ok ? len : -EFAULT;
}

/* The next message for the daemon, into to */
static ssize_t fusept_dev_do_read(struct fusept_conn *fc, struct iov_iter *to,
				  bool nonblock, size_t *need)
{
	ssize_t ret;

	do {
		ret = fusept_dev_wait(fc, nonblock);
		if (ret)
			return ret;
		spin_lock(&fc->lock);
		if (!fc->connected) {
			spin_unlock(&fc->lock);
			ret = -ENODEV;
		} else if (!list_empty(&fc->interrupts)) {
			ret = fusept_read_interrupt(fc, to);
		} else if (!list_empty(&fc->forgets) &&
			   (list_empty(&fc->pending) ||
			    fc->num_forgets > FUSEPT_FORGETS_FIRST)) {
			ret = fusept_read_forgets(fc, to);
		} else if (!list_empty(&fc->pending)) {
			ret = fusept_read_req(fc, to, need);
		} else {
			spin_unlock(&fc->lock);
		}
	} while (!ret);
	return ret;
}

static ssize_t fusept_dev_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct fusept_conn *fc = fusept_dev_conn(iocb->ki_filp);
	bool nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);

	if (!fc)
		return -EPERM;
	if (iov_iter_count(to) < fusept_dev_min_read(fc))
		return -EINVAL;
	return fusept_dev_do_read(fc, to, nonblock, NULL);
}

/*
 * The pipe's references to the message pages (what generic_pipe_buf_get
 * and _release do, which GKI kernels do not export)
 */
static bool fusept_pipe_buf_get(struct pipe_inode_info *pipe,
				struct pipe_buffer *buf)
{
	return try_get_page(buf->page);
}

static void fusept_pipe_buf_release(struct pipe_inode_info *pipe,
				    struct pipe_buffer *buf)
{
	put_page(buf->page);
}

static const struct pipe_buf_operations fusept_pipe_buf_ops = {
	.release	= fusept_pipe_buf_release,
	.get		= fusept_pipe_buf_get,
};

/*
 * Put one buffer into the pipe's ring, as add_to_pipe() does (GKI kernels
 * export no function that adds a page to a pipe, and copy_splice_read()
 * would allocate pages for all of a splice's length). The splice caller
 * holds the pipe's lock and wakes its readers. The buffer's page
 * reference passes to the pipe, or is dropped on failure.
 */
static ssize_t fusept_pipe_add(struct pipe_inode_info *pipe,
			       struct pipe_buffer *buf)
{
	unsigned int head = pipe->head;

	if (unlikely(!pipe->readers)) {
		send_sig(SIGPIPE, current, 0);
		put_page(buf->page);
		return -EPIPE;
	}
	if (pipe_full(head, pipe->tail, pipe->max_usage)) {
		put_page(buf->page);
		return -EAGAIN;
	}
	pipe->bufs[head & (pipe->ring_size - 1)] = *buf;
	pipe->head = head + 1;
	return buf->len;
}

/* Hand the first len bytes of the pages to the pipe */
static ssize_t fusept_pipe_pages(struct pipe_inode_info *pipe,
				 struct bio_vec *bv, size_t len)
{
	ssize_t done = 0, n;
	unsigned int i;

	for (i = 0; done < len; i++) {
		struct pipe_buffer buf = {
			.page = bv[i].bv_page,
			.len = min_t(size_t, len - done, PAGE_SIZE),
			.ops = &fusept_pipe_buf_ops,
		};

		get_page(buf.page);
		n = fusept_pipe_add(pipe, &buf);
		if (n < 0)
			return done ? done : n;
		done += n;
	}
	return done;
}

/* One message into fresh pages for up to room bytes, then into the pipe */
static ssize_t fusept_splice_msg(struct fusept_conn *fc,
				 struct pipe_inode_info *pipe, size_t room,
				 bool nonblock, size_t *need)
{
	unsigned int i, npages = DIV_ROUND_UP(room, PAGE_SIZE);
	struct iov_iter to;
	struct bio_vec *bv;
	ssize_t ret = -ENOMEM;

	bv = kcalloc(npages, sizeof(*bv), GFP_KERNEL);
	if (!bv)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		bv[i].bv_page = alloc_page(GFP_KERNEL);
		if (!bv[i].bv_page)
			goto out_put_pages;
		bv[i].bv_len = PAGE_SIZE;
	}
	iov_iter_bvec(&to, READ, bv, npages, room);
	ret = fusept_dev_do_read(fc, &to, nonblock, need);
	if (ret > 0)
		ret = fusept_pipe_pages(pipe, bv, ret);
out_put_pages:
	for (i = 0; i < npages && bv[i].bv_page; i++)
		put_page(bv[i].bv_page);
	kfree(bv);
	return ret;
}

/*
 * splice from the device, which is how libfuse reads requests: a page for
 * the message, more only for one that needs them. (copy_splice_read()
 * would allocate pages for all of len, a MiB and more, for every request.)
 */
static ssize_t fusept_dev_splice_read(struct file *in, loff_t *ppos,
				      struct pipe_inode_info *pipe,
				      size_t len, unsigned int flags)
{
	struct fusept_conn *fc = fusept_dev_conn(in);
	/* SPLICE_F_NONBLOCK is about the pipe (libfuse's is O_NONBLOCK) */
	bool nonblock = in->f_flags & O_NONBLOCK;
	size_t room = PAGE_SIZE;
	ssize_t ret;

	if (!fc)
		return -EPERM;
	if (len < fusept_dev_min_read(fc))
		return -EINVAL;
	do {
		room = min(room, len);
		ret = fusept_splice_msg(fc, pipe, room, nonblock,
					room < len ? &room : NULL);
	} while (ret == -ENOSPC);
	return ret;
}

/* The daemon's answer to an INTERRUPT: try again later, or not supported */
static ssize_t fusept_interrupt_reply(struct fusept_conn *fc,
				      const struct fuse_out_header *oh,
				      size_t nbytes)
{
	int err;

	if (nbytes != sizeof(*oh))
		return -EINVAL;
	err = fusept_req_interrupt_reply(fc, oh->unique & ~FUSEPT_INT_REQ_BIT,
					 oh->error);
	return err ? err : nbytes;
}

/*
 * A reply payload of size bytes to a request that takes at most max: a
 * fixed-size reply must have exactly max bytes, a variable one (var) may
 * be shorter.
 */
bool fusept_reply_size_ok(size_t size, u32 max, bool var)
{
	return size <= max && (var || size == max);
}

/* The same for a request's reply, which may end with a bind trailer */
bool fusept_req_reply_size_ok(const struct fusept_req *req, size_t size)
{
	return fusept_reply_size_ok(size, req->out_max, req->out_var) ||
	       (req->bind_ok &&
		size == req->out_max + sizeof(struct fusept_entry_bind));
}

/* Take the reply's payload into a buffer of the request's own */
static ssize_t fusept_reply_payload(struct fusept_req *req,
				    struct iov_iter *from, size_t size,
				    int error)
{
	void *buf;

	if (error)
		return size ? -EINVAL : 0;
	if (!fusept_req_reply_size_ok(req, size))
		return -EINVAL;
	if (!size)
		return 0;
	buf = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (!copy_from_iter_full(buf, size, from)) {
		kvfree(buf);
		return -EFAULT;
	}
	req->reply = buf;
	req->reply_len = size;
	return 0;
}

static ssize_t fusept_dev_write(struct kiocb *iocb, struct iov_iter *from)
{
	struct fusept_conn *fc = fusept_dev_conn(iocb->ki_filp);
	size_t nbytes = iov_iter_count(from);
	struct fuse_out_header oh;
	struct fusept_req *req;
	ssize_t err;

	if (!fc)
		return -EPERM;
	if (nbytes < sizeof(oh))
		return -EINVAL;
	if (!copy_from_iter_full(&oh, sizeof(oh), from))
		return -EFAULT;
	if (oh.len != nbytes)
		return -EINVAL;
	if (!oh.unique) {
		err = fusept_notify(fc, oh.error, from, nbytes - sizeof(oh));
		return err ? err : nbytes;
	}
	if (oh.error <= -512 || oh.error > 0)
		return -EINVAL;
	if (oh.unique & FUSEPT_INT_REQ_BIT)
		return fusept_interrupt_reply(fc, &oh, nbytes);

	req = fusept_req_take_answered(fc, oh.unique);
	if (!req)
		return -ENOENT;

	err = fusept_reply_payload(req, from, nbytes - sizeof(oh), oh.error);
	req->error = err ? -EIO : oh.error;
	fusept_pt_reply(req);
	fusept_req_end(req);
	return err ? err : nbytes;
}

static __poll_t fusept_dev_poll(struct file *file, poll_table *wait)
{
	struct fusept_conn *fc = fusept_dev_conn(file);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	if (!fc)
		return EPOLLERR;
	poll_wait(file, &fc->waitq, wait);
	spin_lock(&fc->lock);
	if (!fc->connected)
		mask = EPOLLERR;
	else if (fusept_dev_has_work(fc))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&fc->lock);
	return mask;
}

static int fusept_dev_open(struct inode *inode, struct file *file)
{
	struct fusept_dev *fud = kzalloc(sizeof(*fud), GFP_KERNEL);

	if (!fud)
		return -ENOMEM;
	file->private_data = fud;
	return stream_open(inode, file);
}

/* The daemon is gone: everything waiting on it fails with ENOTCONN */
static int fusept_dev_release(struct inode *inode, struct file *file)
{
	struct fusept_dev *fud = file->private_data;
	struct fusept_conn *fc = fud->fc;

	if (fc) {
		fusept_conn_end(fc);
		fusept_conn_put(fc);
	}
	kfree(fud);
	return 0;
}

static long fusept_dev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct fusept_conn *fc = fusept_dev_conn(file);

	if (!fc)
		return -EPERM;
	if (cmd == FUSEPT_DEV_IOC_WANT_INIT)
		return fusept_ioc_want_init(fc, (u64 __user *)arg);
	return fusept_pt_ioctl(fc, cmd, arg);
}

const struct file_operations fusept_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= fusept_dev_open,
	.release	= fusept_dev_release,
	.read_iter	= fusept_dev_read,
	.write_iter	= fusept_dev_write,
	.splice_read	= fusept_dev_splice_read,
	.splice_write	= iter_file_splice_write,
	.poll		= fusept_dev_poll,
	.unlocked_ioctl	= fusept_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice fusept_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "fusept",
	.fops	= &fusept_dev_fops,
	.mode	= 0666,
};

int fusept_dev_register(void)
{
	return misc_register(&fusept_miscdev);
}

void fusept_dev_unregister(void)
{
	misc_deregister(&fusept_miscdev);
}
