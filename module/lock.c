// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: file locks.
 *
 * POSIX record locks and flock(2) locks go to the daemon when it asked for
 * them in INIT (FUSE_POSIX_LOCKS, FUSE_FLOCK_LOCKS); otherwise the kernel
 * keeps them locally, as for any local filesystem.
 */
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>

#include "fusept_i.h"

/*
 * Lock owners go to the daemon as opaque numbers that must not reveal a
 * kernel address: the owner's address enciphered with the connection's
 * random key by XTEA (Needham and Wheeler's public 64-bit block cipher,
 * 32 cycles). A cipher is a bijection, so distinct owners stay distinct.
 * It needs no exported symbol, which GKI kernels would have to list.
 */
u64 fusept_lock_owner(struct fusept_conn *fc, fl_owner_t id)
{
	const u32 delta = 0x9e3779b9, *k = fc->lock_key;
	u64 v = (unsigned long)id;
	u32 v0 = lower_32_bits(v), v1 = upper_32_bits(v), sum = 0;
	int i;

	for (i = 0; i < 32; i++) {
		v0 += (((v1 << 4) ^ (v1 >> 5)) + v1) ^ (sum + k[sum & 3]);
		sum += delta;
		v1 += (((v0 << 4) ^ (v0 >> 5)) + v0) ^ (sum + k[(sum >> 11) & 3]);
	}
	return ((u64)v1 << 32) | v0;
}

/* Fill a LK request for fl; pid is the lock holder in the daemon's view */
static void fusept_lk_fill(struct fusept_args *args, struct fuse_lk_in *in,
			   struct file *file, struct file_lock *fl, u32 opcode,
			   pid_t pid, bool flock)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_conn *fc = ff->fc;

	memset(in, 0, sizeof(*in));
	in->fh = ff->fh;
	in->owner = fusept_lock_owner(fc, fusept_fl_owner(fl));
	in->lk.start = fl->fl_start;
	in->lk.end = fl->fl_end;
	in->lk.type = fusept_fl_type(fl);
	in->lk.pid = pid;
	if (flock)
		in->lk_flags |= FUSE_LK_FLOCK;
	memset(args, 0, sizeof(*args));
	args->opcode = opcode;
	args->nodeid = ff->nodeid;
	args->in_numargs = 1;
	args->in[0].value = in;
	args->in[0].size = sizeof(*in);
}

/* A lock in the daemon's answer to GETLK: its type and range make sense */
int fusept_lk_check(const struct fuse_file_lock *ffl)
{
	switch (ffl->type) {
	case F_UNLCK:
		return 0;	/* no conflict: the range is not used */
	case F_RDLCK:
	case F_WRLCK:
		if (ffl->start > OFFSET_MAX || ffl->end > OFFSET_MAX ||
		    ffl->end < ffl->start)
			return -EIO;
		return 0;
	}
	return -EIO;
}

/* The daemon's answer to GETLK, checked, into fl */
static int fusept_lk_convert(struct fusept_conn *fc,
			     const struct fuse_file_lock *ffl,
			     struct file_lock *fl)
{
	int err = fusept_lk_check(ffl);

	if (err)
		return err;
	if (ffl->type != F_UNLCK) {
		fl->fl_start = ffl->start;
		fl->fl_end = ffl->end;
		/* the holder, as a pid of the initial namespace */
		rcu_read_lock();
		fusept_fl_pid(fl) = pid_nr_ns(find_pid_ns(ffl->pid, fc->pid_ns),
					      &init_pid_ns);
		rcu_read_unlock();
	}
	fusept_fl_type(fl) = ffl->type;
	return 0;
}

static int fusept_getlk(struct file *file, struct file_lock *fl)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_args args;
	struct fuse_lk_in in;
	struct fuse_lk_out out;
	int err;

	fusept_lk_fill(&args, &in, file, fl, FUSE_GETLK, 0, false);
	args.out = &out;
	args.out_size = sizeof(out);
	err = fusept_send(ff->fc, &args);
	if (!err)
		err = fusept_lk_convert(ff->fc, &out.lk, fl);
	return err;
}

static int fusept_setlk(struct file *file, struct file_lock *fl, bool flock)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_conn *fc = ff->fc;
	bool sleep = fusept_fl_flags(fl) & FL_SLEEP;
	struct pid *pid = NULL;
	struct fusept_args args;
	struct fuse_lk_in in;
	pid_t nr;
	int err;

	/* lock managers (NFS) would need an asynchronous grant */
	if (fl->fl_lmops && fl->fl_lmops->lm_grant)
		return -ENOLCK;
	if (fusept_fl_type(fl) != F_UNLCK)
		pid = task_tgid(current);
	nr = pid_nr_ns(pid, fc->pid_ns);
	if (pid && !nr)
		return -EOVERFLOW;	/* not visible to the daemon */
	fusept_lk_fill(&args, &in, file, fl, sleep ? FUSE_SETLKW : FUSE_SETLK,
		       nr, flock);
	err = fusept_send(fc, &args);
	/* a wait for a lock is restarted after a signal handler */
	if (err == -EINTR)
		err = -ERESTARTSYS;
	return err;
}

/* fcntl(2) F_GETLK/F_SETLK/F_SETLKW and the OFD variants */
int fusept_file_lock(struct file *file, int cmd, struct file_lock *fl)
{
	struct fusept_file *ff = file->private_data;
	struct fusept_conn *fc = ff->fc;

	if (cmd == F_CANCELLK)
		return 0;
	/* a kernel-opened file has no fh: its locks stay in the kernel */
	if (!fusept_has(fc, FUSE_POSIX_LOCKS) || ff->kopen) {
		if (IS_GETLK(cmd)) {
			posix_test_lock(file, fl);
			return 0;
		}
		return posix_lock_file(file, fl, NULL);
	}
	if (IS_GETLK(cmd))
		return fusept_getlk(file, fl);
	return fusept_setlk(file, fl, false);
}

/* flock(2); the daemon's flock lock is dropped when the file is released */
int fusept_file_flock(struct file *file, int cmd, struct file_lock *fl)
{
	struct fusept_file *ff = file->private_data;
	int err;

	if (!fusept_has(ff->fc, FUSE_FLOCK_LOCKS) || ff->kopen)
		return locks_lock_file_wait(file, fl);
	err = fusept_setlk(file, fl, true);
	if (!err && fusept_fl_type(fl) != F_UNLCK && !ff->flock) {
		ff->flock_owner = fusept_lock_owner(ff->fc,
						    fusept_fl_owner(fl));
		WRITE_ONCE(ff->flock, true);
	}
	return err;
}
