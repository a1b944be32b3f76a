/* SPDX-License-Identifier: GPL-2.0 */
/*
 * posixtest: what its files share (main.c describes the program).
 *
 *   main.c      options, the mount, the runner and the order of the topics
 *   util.c      result lines, errno names, file and buffer helpers
 *   ops.c       the system calls the tables name, also as the other user
 *   fixture.c   the fixture language, the run of a syscall-table check
 *
 * The checks, one file per topic (or a few related ones), each with its
 * table(s) of checks (struct topic, main.c runs them in its order):
 *
 *   open.c             open and creat
 *   mknod.c            mknod, st_rdev
 *   mkdir.c            mkdir and rmdir
 *   link.c             unlink and link
 *   rename.c           rename, renameat2, RENAME_WHITEOUT
 *   symlink.c          symlink and readlink
 *   truncate.c         truncate and ftruncate
 *   setattr.c          chmod, chown, suid/sgid clearing, fchmod/fchown
 *   perm.c             permissions as the unprivileged user
 *   time.c             which calls move mtime and ctime
 *   utimens.c          utimensat, futimens
 *   io.c               read, write, the page cache, holes, RLIMIT_FSIZE
 *   mmap.c             shared and private mappings (in io.c's table)
 *   xattr.c            extended attributes
 *   fsync.c            fsync, fdatasync
 *   fallocate.c        fallocate modes
 *   seek.c             lseek, SEEK_DATA and SEEK_HOLE
 *   copy_file_range.c  copy_file_range
 *   append.c           O_APPEND
 *   big.c              offsets past 4 GiB
 *   direct.c           O_DIRECT
 *   lock.c             fcntl record locks, OFD locks
 *   flock.c            flock
 *   readdir.c          directory listings, seekdir, d_type
 *   umask.c            umask
 */
#ifndef POSIXTEST_H
#define POSIXTEST_H

#include <limits.h>
#include <regex.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ settings */

struct settings {
	int keep;		/* -k */
	int verbose;		/* -v: each check's time */
	int timeout;		/* -t, per check */
	uid_t uid;		/* -u */
	regex_t only;		/* -o */
	int have_only;
	int is_root;
	int is_fuse;		/* the mount is FUSE-like */
	int perms;		/* the kernel enforces permissions */
	int others;		/* other users may enter the mount */
	const char *xprefix;	/* "user." or "trusted." or NULL */
	char fstype[64];
	char scratch[PATH_MAX];
	int scratch_fd;		/* scratch, open: no path walk per check */
	const char *lower;	/* -l: the lower directory that DIR shows */
	long run_as;		/* -U, or -1 */
	char here_lower[PATH_MAX];	/* the current check's dir there */
};

extern struct settings cfg;	/* main.c */

/* ------------------------------------------------------------ util.c */

void pass(const char *name);
void fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int verdict(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sfmt(char *buf, size_t cap, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
const char *ename(int e);
int unsupported(int e);
int err_of(int r);

int write_all(int fd, const void *buf, size_t len, off_t off);
ssize_t read_all(int fd, void *buf, size_t len, off_t off);
int put_file(const char *path, const void *buf, size_t len);
ssize_t get_file(const char *path, void *buf, size_t cap);
int same_content(const char *path, const unsigned char *want, size_t len,
		 char *err, size_t cap);
int fsize(int fd);

void fill_pattern(unsigned char *buf, size_t len, unsigned int seed);
long first_diff(const unsigned char *a, const unsigned char *b, size_t len);
long first_nonzero(const unsigned char *a, size_t len);
void *xmalloc(size_t n);

void msleep(int ms);
long long now_ms(void);
void on_alarm(int sig);

/* ------------------------------------------------------------- ops.c */

typedef int (*op_fn)(const char *a, const char *b);

int as_user(op_fn op, const char *a, const char *b);

int op_creat(const char *a, const char *b);
int op_creat_excl(const char *a, const char *b);
int op_open_r(const char *a, const char *b);
int op_open_w(const char *a, const char *b);
int op_open_rw(const char *a, const char *b);
int op_open_trunc(const char *a, const char *b);
int op_open_dir(const char *a, const char *b);
int op_open_nofollow(const char *a, const char *b);
int op_readdir(const char *a, const char *b);
int op_lstat(const char *a, const char *b);
int op_access(const char *a, const char *b);
int op_mkdir(const char *a, const char *b);
int op_rmdir(const char *a, const char *b);
int op_unlink(const char *a, const char *b);
int op_rename(const char *a, const char *b);
int op_noreplace(const char *a, const char *b);
int op_exchange(const char *a, const char *b);
int op_link(const char *a, const char *b);
int op_symlink(const char *a, const char *b);
int op_readlink(const char *a, const char *b);
int op_mkfifo(const char *a, const char *b);
int op_mknod_reg(const char *a, const char *b);
int op_mknod_chr(const char *a, const char *b);
int op_truncate(const char *a, const char *b);
int op_chmod(const char *a, const char *b);
int op_chown(const char *a, const char *b);
int op_utime_now(const char *a, const char *b);
int op_utime_set(const char *a, const char *b);
int op_write(const char *a, const char *b);
int op_setxattr(const char *a, const char *b);
int op_chdir(const char *a, const char *b);

/* -------------------------------------------------------- the tables */

enum {
	T_USER = 1 << 0,	/* run the op as the unprivileged user */
	T_PERM = 1 << 1,	/* needs permissions enforced by the kernel */
	T_ROOT = 1 << 2,	/* needs root */
	T_FLAGS = 1 << 3,	/* renameat2 flags: EINVAL means unsupported */
	T_XATTR = 1 << 4,	/* needs user.* xattrs */
	T_OPT = 1 << 5,		/* ENOSYS/EOPNOTSUPP: the daemon lacks it */
	T_XANY = 1 << 6,	/* needs some xattr namespace */
};

#define U (T_USER | T_PERM)

/*
 * A syscall-table check (fixture.c runs it): in a fresh directory, make
 * the fixture, call op(a, b), want its errno, then the post-conditions.
 */
struct tcase {
	const char *name;
	const char *fix;	/* fixture */
	op_fn op;
	const char *a, *b;
	int want;		/* errno, 0 for success */
	const char *post;	/* post-conditions */
	unsigned int flags;
};

/*
 * A timestamp check (time.c runs it): after op, the times of path in
 * newer ('m' mtime, 'c' ctime) must have moved forward and those in same
 * must not have changed.
 */
struct tmcase {
	const char *name;
	const char *fix;
	op_fn op;
	const char *a, *b;
	const char *path;
	const char *newer, *same;
	unsigned int flags;
};

/* A check of its own code: fn reports on name, or on several names. */
struct fcase {
	const char *name;	/* also the name of a crash or time-out */
	void (*fn)(const char *name);
};

/* fixture.c */
int make_fixture(const char *spec, char *err, size_t cap);
int check_post(const char *spec, char *err, size_t cap);
const char *case_unrunnable(unsigned int flags);
void run_case(const struct tcase *c);

/* time.c */
void run_tmcase(const struct tmcase *c);

/* ----------------------------------------------------------- topics */

/* One table of checks, of one of the three kinds. */
struct topic {
	const struct tcase *cases;
	const struct tmcase *tmcases;
	const struct fcase *fcases;
	size_t n;
};

#define TOPIC_CASES(t)		{ .cases = (t), .n = ARRAY_SIZE(t) }
#define TOPIC_TMCASES(t)	{ .tmcases = (t), .n = ARRAY_SIZE(t) }
#define TOPIC_FCASES(t)		{ .fcases = (t), .n = ARRAY_SIZE(t) }

/*
 * Every topic, in the order main.c runs them: the syscall tables, the
 * timestamp table, then the checks of their own code.
 */
extern const struct topic topic_open;		/* open.c */
extern const struct topic topic_mknod;		/* mknod.c */
extern const struct topic topic_mkdir;		/* mkdir.c */
extern const struct topic topic_unlink;		/* link.c */
extern const struct topic topic_rename;		/* rename.c */
extern const struct topic topic_link;		/* link.c */
extern const struct topic topic_symlink;	/* symlink.c */
extern const struct topic topic_truncate;	/* truncate.c */
extern const struct topic topic_chmod;		/* setattr.c */
extern const struct topic topic_suid;		/* setattr.c */
extern const struct topic topic_perm;		/* perm.c */
extern const struct topic topic_time;		/* time.c */
extern const struct topic topic_io;		/* io.c, with mmap.c's */
extern const struct topic topic_truncate_data;	/* truncate.c */
extern const struct topic topic_utimens;	/* utimens.c */
extern const struct topic topic_fchmod;		/* setattr.c */
extern const struct topic topic_mknod_rdev;	/* mknod.c */
extern const struct topic topic_symlink_long;	/* symlink.c */
extern const struct topic topic_rename_whiteout; /* rename.c */
extern const struct topic topic_xattr;		/* xattr.c */
extern const struct topic topic_fsync;		/* fsync.c */
extern const struct topic topic_fallocate;	/* fallocate.c */
extern const struct topic topic_seek;		/* seek.c */
extern const struct topic topic_cfr;		/* copy_file_range.c */
extern const struct topic topic_append;		/* append.c */
extern const struct topic topic_big;		/* big.c */
extern const struct topic topic_direct;		/* direct.c */
extern const struct topic topic_lock;		/* lock.c */
extern const struct topic topic_flock;		/* flock.c */
extern const struct topic topic_readdir;	/* readdir.c */
extern const struct topic topic_umask;		/* umask.c */

/* mmap.c: checks that run among io.c's, in topic_io's order */
void io_mmap_write(const char *name);
void io_mmap_read(const char *name);
void io_mmap_close(const char *name);
void mmap_private(const char *name);
void mmap_sigbus(const char *name);

#endif
