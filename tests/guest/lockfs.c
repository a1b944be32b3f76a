// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-lockfs - a libfuse low-level daemon that keeps file locks itself
 *
 * usage: fusept-lockfs [libfuse options] MOUNTPOINT
 *
 * The root holds two files: "f", a 64 KiB file kept in memory, and
 * "locks", which lists the POSIX and flock locks the daemon holds, one a
 * line:
 *   posix OWNER TYPE START END PID       (TYPE R or W, END -1: to EOF)
 *   flock OWNER TYPE
 * so a test can see that locks taken on "f" reached the daemon.  Blocking
 * requests wait in the daemon and give up with EINTR when interrupted.
 * Reading a third file, "badnotify", makes the daemon write malformed
 * notifications to its device and returns one PASS or FAIL line for each
 * (the kernel must refuse each with the right errno); "f" must have been
 * looked up before.
 */
#define FUSE_USE_VERSION 317
#define _GNU_SOURCE
#include <errno.h>
#include <fuse_lowlevel.h>
#include <linux/fusept.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#define INO_F		2
#define INO_LOCKS	3
#define INO_BAD		4
#define F_SIZE		65536
#define MAX_LOCKS	256
#define TO_EOF		INT64_MAX

struct lk {
	int used;
	int flock;		/* a flock(2) lock (whole file) */
	uint64_t owner;
	int type;		/* F_RDLCK or F_WRLCK */
	int64_t start, end;	/* inclusive */
	pid_t pid;
};

static struct fuse_session *session;
static struct lk locks[MAX_LOCKS];
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char data[F_SIZE];

static int conflicts(const struct lk *l, int flock, uint64_t owner, int type,
		     int64_t start, int64_t end)
{
	if (!l->used || l->flock != flock || l->owner == owner)
		return 0;
	if (l->type == F_RDLCK && type == F_RDLCK)
		return 0;
	return l->start <= end && start <= l->end;
}

static struct lk *find_conflict(int flock, uint64_t owner, int type,
				int64_t start, int64_t end)
{
	int i;

	for (i = 0; i < MAX_LOCKS; i++)
		if (conflicts(&locks[i], flock, owner, type, start, end))
			return &locks[i];
	return NULL;
}

static struct lk *new_lock(void)
{
	int i;

	for (i = 0; i < MAX_LOCKS; i++)
		if (!locks[i].used)
			return &locks[i];
	return NULL;
}

/* Drop the owner's locks in [start, end], splitting ranges as needed */
static int unlock_range(int flock, uint64_t owner, int64_t start, int64_t end)
{
	struct lk *l, *tail;
	int i;

	for (i = 0; i < MAX_LOCKS; i++) {
		l = &locks[i];
		if (!l->used || l->flock != flock || l->owner != owner ||
		    l->end < start || end < l->start)
			continue;
		if (l->start < start && l->end > end) {
			tail = new_lock();
			if (!tail)
				return -ENOLCK;
			*tail = *l;
			tail->start = end + 1;
			l->end = start - 1;
		} else if (l->start < start) {
			l->end = start - 1;
		} else if (l->end > end) {
			l->start = end + 1;
		} else {
			l->used = 0;
		}
	}
	pthread_cond_broadcast(&changed);
	return 0;
}

static int add_lock(int flock, uint64_t owner, int type, int64_t start,
		    int64_t end, pid_t pid)
{
	struct lk *l;
	int err = unlock_range(flock, owner, start, end);

	if (err)
		return err;
	l = new_lock();
	if (!l)
		return -ENOLCK;
	*l = (struct lk){ 1, flock, owner, type, start, end, pid };
	return 0;
}

struct waiter {
	int interrupted;
};

static void interrupted(fuse_req_t req, void *arg)
{
	struct waiter *w = arg;

	(void)req;
	pthread_mutex_lock(&mtx);
	w->interrupted = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&mtx);
}

/* Take a lock, waiting for conflicting ones to go if asked to */
static int take(fuse_req_t req, int flock, uint64_t owner, int type,
		int64_t start, int64_t end, pid_t pid, int sleep)
{
	struct waiter w = { 0 };
	int err;

	if (sleep)
		fuse_req_interrupt_func(req, interrupted, &w);
	pthread_mutex_lock(&mtx);
	if (type == F_UNLCK) {
		err = unlock_range(flock, owner, start, end);
		goto out;
	}
	while (find_conflict(flock, owner, type, start, end)) {
		if (!sleep) {
			err = -EAGAIN;
			goto out;
		}
		if (w.interrupted || fuse_req_interrupted(req)) {
			err = -EINTR;
			goto out;
		}
		pthread_cond_wait(&changed, &mtx);
	}
	err = add_lock(flock, owner, type, start, end, pid);
out:
	pthread_mutex_unlock(&mtx);
	if (sleep)
		fuse_req_interrupt_func(req, NULL, NULL);
	return err;
}

static int64_t lock_end(const struct flock *fl)
{
	return fl->l_len ? fl->l_start + fl->l_len - 1 : TO_EOF;
}

static void lfs_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		      struct flock *fl)
{
	struct lk *l;

	(void)ino;
	pthread_mutex_lock(&mtx);
	l = find_conflict(0, fi->lock_owner, fl->l_type, fl->l_start,
			  lock_end(fl));
	if (l) {
		fl->l_type = l->type;
		fl->l_start = l->start;
		fl->l_len = l->end == TO_EOF ? 0 : l->end - l->start + 1;
		fl->l_pid = l->pid;
	} else {
		fl->l_type = F_UNLCK;
	}
	pthread_mutex_unlock(&mtx);
	fuse_reply_lock(req, fl);
}

static void lfs_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		      struct flock *fl, int sleep)
{
	int err;

	(void)ino;
	err = take(req, 0, fi->lock_owner, fl->l_type, fl->l_start,
		   lock_end(fl), fl->l_pid, sleep);
	fuse_reply_err(req, -err);
}

static void lfs_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		      int op)
{
	int type = op & LOCK_EX ? F_WRLCK : op & LOCK_SH ? F_RDLCK : F_UNLCK;
	int err;

	(void)ino;
	err = take(req, 1, fi->lock_owner, type, 0, TO_EOF, 0,
		   !(op & LOCK_NB));
	fuse_reply_err(req, -err);
}

static void lfs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want |= FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | (ino == INO_F ? 0666 : 0444);
		st->st_nlink = 1;
		st->st_size = ino == INO_F ? F_SIZE : 0;
	}
}

static void lfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { 0 };

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!strcmp(name, "f"))
		e.ino = INO_F;
	else if (!strcmp(name, "locks"))
		e.ino = INO_LOCKS;
	else if (!strcmp(name, "badnotify"))
		e.ino = INO_BAD;
	else {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void lfs_getattr(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void lfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != INO_F)
		fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

/* Write one notification; the errno of the write, 0 if it succeeded */
static int notify(int code, const void *payload, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len, .error = code, .unique = 0,
	};
	struct iovec iov[2] = {
		{ &oh, sizeof(oh) }, { (void *)payload, len },
	};

	return writev(fuse_session_fd(session), iov, 2) < 0 ? errno : 0;
}

static size_t check(char *buf, size_t size, const char *name, int got,
		    int want)
{
	if (got == want)
		return snprintf(buf, size, "PASS %s\n", name);
	return snprintf(buf, size, "FAIL %s: got %s, want %s\n", name,
			strerrorname_np(got) ?: "0", strerrorname_np(want) ?: "0");
}

/* Malformed notifications, each with the errno the kernel must give */
static size_t bad_notifications(char *buf, size_t size)
{
	struct {
		struct fuse_notify_store_out o;
		char data[16];
	} st = { .o = { .nodeid = INO_F, .size = 32 } };
	struct fuse_notify_retrieve_out rt = { .nodeid = 999, .size = 10 };
	struct fuse_notify_poll_wakeup_out pw = { .kh = 12345 };
	size_t n = 0;

	n += check(buf + n, size - n, "notify-store-short",
		   notify(FUSE_NOTIFY_STORE, &st, sizeof(st)), EINVAL);
	st.o.size = sizeof(st.data);
	st.o.offset = INT64_MAX;
	n += check(buf + n, size - n, "notify-store-overflow",
		   notify(FUSE_NOTIFY_STORE, &st, sizeof(st)), EINVAL);
	st.o.offset = 0;
	st.o.nodeid = 999;
	n += check(buf + n, size - n, "notify-store-unknown",
		   notify(FUSE_NOTIFY_STORE, &st, sizeof(st)), ENOENT);
	st.o.nodeid = FUSE_ROOT_ID;
	n += check(buf + n, size - n, "notify-store-dir",
		   notify(FUSE_NOTIFY_STORE, &st, sizeof(st)), EINVAL);
	n += check(buf + n, size - n, "notify-store-headless",
		   notify(FUSE_NOTIFY_STORE, &st, 8), EINVAL);
	n += check(buf + n, size - n, "notify-retrieve-unknown",
		   notify(FUSE_NOTIFY_RETRIEVE, &rt, sizeof(rt)), ENOENT);
	n += check(buf + n, size - n, "notify-retrieve-size",
		   notify(FUSE_NOTIFY_RETRIEVE, &rt, 8), EINVAL);
	n += check(buf + n, size - n, "notify-poll-size",
		   notify(FUSE_NOTIFY_POLL, &pw, 4), EINVAL);
	n += check(buf + n, size - n, "notify-poll-unknown-kh",
		   notify(FUSE_NOTIFY_POLL, &pw, sizeof(pw)), 0);
	n += check(buf + n, size - n, "notify-unknown-code",
		   notify(99, &pw, sizeof(pw)), EINVAL);
	return n < size ? n : size;
}

/* The lock table as text */
static size_t list_locks(char *buf, size_t size)
{
	size_t n = 0;
	int i;

	pthread_mutex_lock(&mtx);
	for (i = 0; i < MAX_LOCKS && n < size; i++) {
		struct lk *l = &locks[i];
		char t = l->type == F_WRLCK ? 'W' : 'R';

		if (!l->used)
			continue;
		if (l->flock)
			n += snprintf(buf + n, size - n, "flock %llx %c\n",
				      (unsigned long long)l->owner, t);
		else
			n += snprintf(buf + n, size - n,
				      "posix %llx %c %lld %lld %d\n",
				      (unsigned long long)l->owner, t,
				      (long long)l->start,
				      l->end == TO_EOF ? -1LL :
				      (long long)l->end, l->pid);
	}
	pthread_mutex_unlock(&mtx);
	return n < size ? n : size;
}

static void lfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	static char text[MAX_LOCKS * 64];
	size_t len;

	(void)fi;
	if (ino == INO_F) {
		len = off < F_SIZE ? F_SIZE - off : 0;
		fuse_reply_buf(req, data + off, len < size ? len : size);
		return;
	}
	if (ino == INO_BAD)
		len = off ? 0 : bad_notifications(text, sizeof(text));
	else
		len = list_locks(text, sizeof(text));
	len = (size_t)off < len ? len - off : 0;
	fuse_reply_buf(req, text + off, len < size ? len : size);
}

static void lfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		      size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != INO_F || off >= F_SIZE) {
		fuse_reply_err(req, EFBIG);
		return;
	}
	if (size > (size_t)(F_SIZE - off))
		size = F_SIZE - off;
	memcpy(data + off, buf, size);
	fuse_reply_write(req, size);
}

/* close(2): POSIX locks of the closing owner go */
static void lfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino == INO_F) {
		pthread_mutex_lock(&mtx);
		unlock_range(0, fi->lock_owner, 0, TO_EOF);
		pthread_mutex_unlock(&mtx);
	}
	fuse_reply_err(req, 0);
}

/* last close of an open file: its flock lock goes */
static void lfs_release(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	if (ino == INO_F && fi->flock_release) {
		pthread_mutex_lock(&mtx);
		unlock_range(1, fi->lock_owner, 0, TO_EOF);
		pthread_mutex_unlock(&mtx);
	}
	fuse_reply_err(req, 0);
}

static void lfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	static const char *const names[] = { ".", "..", "f", "locks" };
	static const fuse_ino_t inos[] = { 1, 1, INO_F, INO_LOCKS };
	char buf[512];
	size_t n = 0, len;
	struct stat st;
	off_t i;

	(void)fi;
	(void)ino;
	for (i = off; i < 4; i++) {
		fill_attr(inos[i], &st);
		len = fuse_add_direntry(req, buf + n, sizeof(buf) - n, names[i],
					&st, i + 1);
		if (n + len > sizeof(buf) || n + len > size)
			break;
		n += len;
	}
	fuse_reply_buf(req, buf, n);
}

static const struct fuse_lowlevel_ops lfs_ops = {
	.init		= lfs_init,
	.lookup		= lfs_lookup,
	.getattr	= lfs_getattr,
	.open		= lfs_open,
	.read		= lfs_read,
	.write		= lfs_write,
	.flush		= lfs_flush,
	.release	= lfs_release,
	.readdir	= lfs_readdir,
	.getlk		= lfs_getlk,
	.setlk		= lfs_setlk,
	.flock		= lfs_flock,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_loop_config *cfg;
	struct fuse_session *se;
	int ret = 1;

	if (fuse_parse_cmdline(&args, &opts) || !opts.mountpoint) {
		fprintf(stderr, "usage: %s MOUNTPOINT\n", argv[0]);
		return 2;
	}
	se = fuse_session_new(&args, &lfs_ops, sizeof(lfs_ops), NULL);
	if (!se)
		goto out_args;
	session = se;
	if (fuse_set_signal_handlers(se))
		goto out_session;
	if (fuse_session_mount(se, opts.mountpoint))
		goto out_signals;
	fuse_daemonize(opts.foreground);
	cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(cfg, 16);
	ret = fuse_session_loop_mt(se, cfg) ? 1 : 0;
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
