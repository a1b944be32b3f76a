/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusept-fuzzd: what its parts share (see fuzzd.c for the program).
 *
 *   fuzzd.c        options, rounds, the end of a round and its checks
 *   fuzz-daemon.c  the hostile daemon: mount, INIT, the namespace model,
 *                  a correct answer to every opcode
 *   fuzz-lie.c     the malformed answers
 *   fuzz-chaos.c   notifications, ioctls and replies nobody asked for
 *   fuzz-worker.c  the processes doing system calls on the mount
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if __has_include(<linux/fusept.h>)
#include <linux/fusept.h>
#else
#include <linux/fuse.h>
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------ random numbers */

struct rng {
	uint64_t s;
};

/* splitmix64: one step of the generator */
static inline uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A stream of its own for (a, b): the same pair gives the same choices */
static inline void rng_init(struct rng *r, uint64_t a, uint64_t b)
{
	r->s = a ^ (b * 0xd1342543de82ef95ULL);
	rnd(r);
}

/* 0 .. n-1 (0 when n is 0) */
static inline uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

/* true with a probability of pm in 1000 */
static inline int permille(struct rng *r, unsigned int pm)
{
	return below(r, 1000) < pm;
}

static inline int one_in(struct rng *r, uint32_t n)
{
	return below(r, n) == 0;
}

#define PICK(r, a)	((a)[below((r), ARRAY_SIZE(a))])

uint64_t wild64(struct rng *r);
uint32_t wild32(struct rng *r);

/* ------------------------------------------------------- one round */

enum fz_pt { PT_NONE, PT_MAINLINE, PT_ANDROID, PT_BOTH };

enum fz_end {
	END_CLEAN,	/* workers stop, then umount */
	END_BUSY,	/* umount while the workers are busy */
	END_LAZY,	/* umount -l while busy */
	END_ABORT,	/* write to the connection's abort file */
	END_KILL,	/* SIGKILL the daemon during the round */
};

enum fz_after { AFTER_UMOUNT, AFTER_LAZY, AFTER_ABORT };

/* Everything the round's seed decides before anything runs */
struct fz_plan {
	uint64_t seed;
	/* INIT reply */
	int init_bad;			/* 0, or which way INIT is refused */
	unsigned int init_delay_ms;
	uint32_t minor;
	uint64_t flag_mask;		/* of what the kernel offers */
	uint64_t flag_extra;		/* bits added unasked */
	uint32_t max_write, max_readahead, time_gran, stack_depth;
	uint16_t max_pages, max_background, congestion;
	int ra_echo;			/* max_readahead: the kernel's own */
	enum fz_pt pt;
	/* mount */
	int allow_other, default_permissions;
	unsigned int rootmode, max_read;
	unsigned int owner;		/* user_id= and group_id= */
	/* daemon */
	int threads;
	unsigned int mal_pm;		/* replies that lie, in 1000 */
	unsigned int pt_pm;		/* opens given passthrough */
	unsigned int chaos_ms;		/* mean gap of notifications, 0 none */
	unsigned int stall_pm;		/* answers held for seconds, in 1000 */
	unsigned int ttl;		/* 0: no cache, 1: 1 s, 2: 1 h, 3: mixed */
	/* workers */
	unsigned int user_workers;	/* bit i: worker i runs as uid 1000 */
	/* end */
	enum fz_end end;
	enum fz_after after;
	int kill_ms;			/* END_KILL: when, from the mount */
};

/* Command line options */
struct fz_opts {
	const char *dev;
	const char *fstype;
	const char *dir;
	char mnt[256];
	char lower[256];
	uint64_t seed;
	int rounds;
	int secs;
	int workers;
	int verbose;
	int progress_fd;
	const char *avoid;
};

/* Shared by the controller, the daemon and the workers (MAP_SHARED) */
struct fz_shared {
	/* counters, for the whole run */
	uint64_t requests;
	uint64_t malformed;
	uint64_t notifications;
	uint64_t ioctls;
	uint64_t syscalls;
	uint64_t unsolicited;
	/* the daemon's progress in this round */
	int mounted;			/* 1, or -errno of mount(2) */
	int init_done;
	int stop;			/* workers: finish now */
	/* the last malformed replies, for a report */
	unsigned int last_n;
	char last[8][96];
	/* what each worker does now, for a report */
	const char *doing[64];
	/* the checking worker: reads it compared, the first mismatch */
	uint64_t verified;
	char data_fail[1024];
};

extern struct fz_shared *fz_sh;
extern struct fz_opts fz_opt;

#define fz_add(ctr, n)	__atomic_fetch_add(&(ctr), (n), __ATOMIC_RELAXED)

/* fuzzd.c */
int fz_avoided(const char *name);
const char *fz_opname(uint32_t opcode);
long fz_now_ms(void);
void fz_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fz_note_lie(const char *what);

/* ---------------------------------------------------------- the daemon */

#define FZ_NODES	192
#define FZ_DENTS	384
#define FZ_NAME		256
#define FZ_XATTRS	4
#define FZ_XVAL		256
#define FZ_HELD		128
#define FZ_STALE	16
#define FZ_OUTMAX	(2 * 1024 * 1024 + 65536)
#define FZ_SLACK	16384		/* for replies longer than asked */

struct fz_xattr {
	char name[64];
	unsigned char val[FZ_XVAL];
	size_t len;
	int used;
};

struct fz_node {
	uint64_t id;
	uint64_t gen;
	uint64_t nlookup;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid, gid, rdev;
	int64_t atime, mtime, ctime;
	int lower;			/* the data file, -1 */
	int backing_id;			/* mainline ID of lower, 0 none */
	int pt;				/* opens of this node use passthrough */
	int honest;			/* a checker's file: never lied about */
	char *target;			/* symlink */
	struct fz_xattr xa[FZ_XATTRS];
	int used;
};

struct fz_dent {
	uint64_t parent;
	struct fz_node *node;
	char name[FZ_NAME];
	int used;
};

/* A request whose answer is put off (late) or never given (NULL msg) */
struct fz_held {
	uint64_t unique;
	uint32_t opcode;
	unsigned char *msg;
	size_t len;
	long due_ms;
	int used;
};

struct fz_daemon {
	int fd;
	const struct fz_plan *plan;
	pthread_mutex_t lock;
	uint64_t offered;		/* INIT flags the kernel offered */
	uint64_t flags;			/* ... and we accepted */
	uint32_t minor;
	uint64_t next_id;
	struct fz_node node[FZ_NODES];
	struct fz_dent dent[FZ_DENTS];
	struct fz_held held[FZ_HELD];
	uint64_t answered[32];		/* replies sent */
	unsigned int nanswered;
	uint64_t recent[32];		/* requests read, not a checker's */
	unsigned int nrecent;
	uint64_t kh[16];
	unsigned int nkh;
	int stale[FZ_STALE];		/* backing IDs closed already */
	unsigned int nstale;
	uint64_t opcount[64];
	int lowerdir;
	size_t bufsz;
	volatile int gone;
};

extern struct fz_daemon fzd;

/* How a reply is delivered (fz_req.xport) */
enum {
	X_NORMAL,
	X_HDRLEN,	/* the header's len is not what is written */
	X_UNIQUE,	/* first to another unique (xarg) */
	X_DUP,		/* twice */
	X_NOREPLY,	/* after seconds, or never */
	X_LATE,		/* after xarg ms */
	X_TINY,		/* xarg bytes, less than a header, first */
	X_FORGET,	/* a reply to a request that wants none */
};

/* A request being answered */
struct fz_req {
	const struct fuse_in_header *h;
	const unsigned char *arg;
	size_t arglen;			/* without extensions */
	struct rng r;
	char lie[64];			/* the malformation applied, or "" */
	int xport;			/* how it is delivered, X_* */
	uint64_t xarg;
	int honest;			/* about a checker's file */
	int32_t orig_error;		/* the correct answer, when a lie */
	unsigned char *orig;		/* may leave the request pending */
	size_t orig_len;
};

/* Its answer */
struct fz_reply {
	int32_t error;
	unsigned char *data;		/* FZ_OUTMAX + FZ_SLACK bytes, with
					 * room for the header before it */
	size_t len;
	int noreply;			/* FORGET and friends */
};

/*
 * The files a checking worker keeps a model of ("c0", "c0b", ...): the
 * daemon answers everything about them truly, so that the data the
 * kernel hands out for them can be checked whatever else goes on.
 */
static inline int fz_honest_name(const char *name)
{
	return name[0] == 'c' && name[1] >= '0' && name[1] <= '9';
}

void fz_daemon_run(const struct fz_plan *p) __attribute__((noreturn));
struct fz_node *fz_node_get(uint64_t id);
struct fz_node *fz_node_any(struct rng *r);
struct fz_dent *fz_dent_any(struct rng *r);
void fz_fill_attr(const struct fz_node *n, struct fuse_attr *a);
int fz_backing_id(struct fz_node *n);
void fz_stale_push(int id);
ssize_t fz_dev_write(const void *buf, size_t len, struct rng *r);
size_t fz_msg(unsigned char *buf, uint64_t unique, int32_t error,
	      const void *payload, size_t len);
void fz_hold(uint64_t unique, uint32_t opcode, const unsigned char *msg,
	     size_t len, long due_ms);
int fz_release_held(uint64_t unique, int32_t error);

/* fuzz-lie.c */
void fz_lie(struct fz_req *q, struct fz_reply *o);
void fz_deliver(struct fz_req *q, struct fz_reply *o);
void fz_interrupt(struct fz_req *q);

/* fuzz-chaos.c */
void *fz_chaos(void *arg);

/* fuzz-worker.c */
void fz_worker(int id, uint64_t seed, long deadline_ms, int as_user)
	__attribute__((noreturn));
const char *fz_worker_doing(int id);

#endif /* FUZZ_H */
