// SPDX-License-Identifier: GPL-2.0
/*
 * fsxcheck - random-operation data-integrity checker for one file
 *
 * usage: fsxcheck [-N ops] [-S seed] [-l maxlen] [-o maxop] [-n name]
 *                 [-m] [-M] [-Z] [-F] [-C] [-D] [-P every] [-d] [-U uid] FILE
 *
 * Keeps an in-memory model of FILE and runs a seeded, reproducible
 * sequence of random operations on it: read, write, truncate (grow and
 * shrink), mmap read, mmap write (MAP_SHARED + msync), fallocate (mode 0,
 * KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE), O_DIRECT read and write, fsync,
 * close and reopen, and dropping the page cache.  After every operation
 * the size fstat reports must equal the model's; every read, whichever
 * way, must return the model's bytes.  Each byte a write stores is a
 * function of the operation's number and the byte's offset, so a wrong
 * byte can often be traced to the write that produced it.
 *
 * Features the file system refuses are switched off on the fly and the
 * sequence goes on: mmap on ENODEV (FUSE direct_io files), one fallocate
 * mode on EOPNOTSUPP/ENOSYS, O_DIRECT on EINVAL at open.  The random
 * draws do not depend on that, so a seed replays the same offsets and
 * lengths on every kernel.
 *
 * Output: one line "PASS fsx-NAME: N ops seed S" or "FAIL fsx-NAME: ...";
 * on a failure, the tail of the operation log and the differing bytes
 * come first, indented.  Exit status 0 on success, 1 on a failure, 2 on
 * a usage error.
 *
 *   -N ops      number of operations (default 10000)
 *   -S seed     seed of the random sequence (default 1)
 *   -l maxlen   largest file size (default 262144)
 *   -o maxop    largest single operation (default 65536)
 *   -n name     test name in the result line (default: FILE's base name)
 *   -m          mmap operations on (the default)
 *   -M          no mmap operations
 *   -Z          no O_DIRECT operations
 *   -F          no fallocate
 *   -C          no close/reopen
 *   -D          no dropping of caches
 *   -P every    progress line on stderr every that many operations
 *   -d          log every operation on stderr
 *   -U uid      run as uid (gid the same number, no supplementary groups);
 *               root stays the saved user ID, taken back as the effective
 *               one only to write drop_caches
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE	0x10
#endif

#define DIO_ALIGN	4096
#define LOG_SLOTS	256
#define LOG_SHOW	40

enum op {
	OP_READ, OP_WRITE, OP_MAPREAD, OP_MAPWRITE, OP_TRUNCATE,
	OP_FALLOC, OP_KEEPSIZE, OP_PUNCH, OP_ZERORANGE,
	OP_DREAD, OP_DWRITE, OP_FSYNC, OP_REOPEN, OP_DROP,
	OP_NR
};

static const char *const op_names[OP_NR] = {
	"read", "write", "mapread", "mapwrite", "truncate",
	"falloc", "falloc-keep", "punch", "zero-range",
	"dread", "dwrite", "fsync", "reopen", "dropcache",
};

/* chances per 1000 */
static const int op_weight[OP_NR] = {
	240, 250, 90, 90, 60,
	30, 20, 30, 20,
	60, 60, 20, 10, 10,
};

/* what runs instead when an operation is switched off */
static const enum op op_fallback[OP_NR] = {
	OP_READ, OP_WRITE, OP_READ, OP_WRITE, OP_TRUNCATE,
	OP_WRITE, OP_READ, OP_WRITE, OP_WRITE,
	OP_READ, OP_WRITE, OP_READ, OP_READ, OP_READ,
};

struct logent {
	unsigned long n;
	enum op op;
	int64_t off, len;
	int64_t size_before, size_after;
	long ret;
	int err;
};

static struct logent oplog[LOG_SLOTS];
static unsigned long cur_op;	/* number of the running operation, from 1 */

static const char *path, *name;
static unsigned long nops = 10000, seed = 1, progress;
static int64_t maxlen = 256 * 1024, maxop = 64 * 1024;
static int debug;
static long run_as = -1;		/* -U */
static int off_flag[OP_NR];		/* switched off: by option or on the fly */
static const char *off_why[OP_NR];
static unsigned long done_count[OP_NR];
static double op_time[OP_NR];

static uint8_t *model;		/* maxlen bytes; zero past msize */
static int64_t msize;
static int fd = -1, dio_fd = -1;
static long pagesz;
static uint8_t *buf, *dio_buf;

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

/* ---------------------------------------------------------- randomness */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* the byte write number n stores at offset pos: never zero */
static uint8_t pattern(unsigned long n, int64_t pos)
{
	uint32_t x = (uint32_t)n * 2654435761u;

	x ^= (uint32_t)pos * 40503u + (uint32_t)(pos >> 16) * 97u;
	x ^= x >> 13;
	x *= 0x5bd1e995u;
	x ^= x >> 15;
	return (x & 0xff) ? (uint8_t)x : 0xa5;
}

/* ------------------------------------------------------------- reports */

static void out(const char *fmt, ...)
{
	va_list ap;

	fputs("  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void log_line(const struct logent *e, char *s, size_t sz)
{
	int k = snprintf(s, sz, "#%-7lu %-11s", e->n, op_names[e->op]);

	switch (e->op) {
	case OP_FSYNC:
	case OP_REOPEN:
	case OP_DROP:
		break;
	case OP_TRUNCATE:
		k += snprintf(s + k, sz - k, " to 0x%" PRIx64, e->len);
		break;
	default:
		k += snprintf(s + k, sz - k, " 0x%" PRIx64 " +0x%" PRIx64
			      " (..0x%" PRIx64 ")", e->off, e->len,
			      e->off + e->len);
	}
	k += snprintf(s + k, sz - k, " size 0x%" PRIx64, e->size_before);
	if (e->size_after != e->size_before)
		k += snprintf(s + k, sz - k, "->0x%" PRIx64, e->size_after);
	if (e->err)
		snprintf(s + k, sz - k, " = %s", strerrorname_np(e->err) ?
			 strerrorname_np(e->err) : "?");
	else if (e->ret >= 0 && e->op != OP_FSYNC && e->op != OP_REOPEN &&
		 e->op != OP_DROP)
		snprintf(s + k, sz - k, " = %ld", e->ret);
}

static void show_log(void)
{
	unsigned long first = cur_op > LOG_SHOW ? cur_op - LOG_SHOW + 1 : 1, n;
	char s[200];

	out("seed %lu, file %s, maxlen %" PRId64 ", maxop %" PRId64
	    "; last operations:", seed, path, maxlen, maxop);
	for (n = first; n <= cur_op; n++) {
		const struct logent *e = &oplog[n % LOG_SLOTS];

		if (e->n != n)
			continue;
		log_line(e, s, sizeof(s));
		out("  %s", s);
	}
}

static void failed(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void failed(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stderr);
	out("operation #%lu: %s", cur_op, msg);
	show_log();
	printf("FAIL fsx-%s: op #%lu of %lu (seed %lu): %s\n", name, cur_op,
	       nops, seed, msg);
	fflush(stdout);
	exit(1);
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "unknown errno";
}

/* got[0..avail) equals what write n stored at p.. */
static int written_by(unsigned long n, int64_t p, const uint8_t *got,
		      int64_t avail)
{
	int64_t k;

	for (k = 0; k < avail; k++)
		if (pattern(n, p + k) != got[k])
			return 0;
	return 1;
}

static int is_write(const struct logent *e, unsigned long n)
{
	return e->n == n && (e->op == OP_WRITE || e->op == OP_MAPWRITE ||
			     e->op == OP_DWRITE);
}

/*
 * Which logged write stored the bad bytes got[0..avail) found at pos?
 * Newest first: the same place (a lost later write), then anywhere
 * (misplaced data).
 */
static void guess_origin(int64_t pos, const uint8_t *got, int64_t avail)
{
	unsigned long n, last = cur_op > LOG_SLOTS ? cur_op - LOG_SLOTS + 1 : 1;
	int64_t p;

	for (p = 0; p < avail && !got[p]; p++)
		;
	if (p == avail) {
		out("  the bad data is zeros: a hole, a truncation or a lost write");
		return;
	}
	for (n = cur_op; n >= last && n > 0; n--) {
		const struct logent *e = &oplog[n % LOG_SLOTS];

		if (is_write(e, n) && pos >= e->off &&
		    pos + avail <= e->off + e->len &&
		    written_by(n, pos, got, avail)) {
			out("  the bad bytes are what op #%lu (%s) wrote there:"
			    " a later change was lost", n, op_names[e->op]);
			return;
		}
	}
	for (n = cur_op; n >= last && n > 0; n--) {
		const struct logent *e = &oplog[n % LOG_SLOTS];

		if (!is_write(e, n))
			continue;
		for (p = e->off; p + avail <= e->off + e->len; p++) {
			if (p != pos && written_by(n, p, got, avail)) {
				out("  the bad bytes are what op #%lu (%s) wrote"
				    " at 0x%" PRIx64 ": misplaced data", n,
				    op_names[e->op], p);
				return;
			}
		}
	}
	out("  the bad bytes match no logged write");
}

/*
 * got[0..len) is what the file has at off: compare with the model
 * (bytes past the model's size must be zero).
 */
static void check_data(const uint8_t *got, int64_t off, int64_t len,
		       const char *how)
{
	int64_t i, j, bad = 0, last = -1;
	char good_hex[80], bad_hex[80];
	int k;

	for (i = 0; i < len && got[i] == model[off + i]; i++)
		;
	if (i == len)
		return;
	for (j = i; j < len; j++) {
		if (got[j] != model[off + j]) {
			bad++;
			last = j;
		}
	}
	out("%s: data mismatch at offset 0x%" PRIx64 " (%" PRId64
	    " bad bytes up to 0x%" PRIx64 ", checked 0x%" PRIx64 "+0x%" PRIx64
	    ", size 0x%" PRIx64 ")", how, off + i, bad, off + last, off, len,
	    msize);
	good_hex[0] = bad_hex[0] = 0;
	for (k = 0; k < 16 && i + k < len; k++) {
		snprintf(good_hex + 3 * k, 4, "%02x ", model[off + i + k]);
		snprintf(bad_hex + 3 * k, 4, "%02x ", got[i + k]);
	}
	out("  offset 0x%" PRIx64 " expected: %s", off + i, good_hex);
	out("  offset 0x%" PRIx64 " got:      %s", off + i, bad_hex);
	guess_origin(off + i, got + i, len - i < 8 ? len - i : 8);
	failed("%s: %" PRId64 " bad bytes at 0x%" PRIx64 "..0x%" PRIx64,
	       how, bad, off + i, off + last);
}

/* ------------------------------------------------------------ the file */

static void check_size(const char *when)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		failed("fstat %s: %s", when, ename(errno));
	if (st.st_size != msize)
		failed("size is 0x%" PRIx64 " after %s, expected 0x%" PRIx64,
		       (int64_t)st.st_size, when, msize);
}

static void open_file(int flags)
{
	fd = open(path, O_RDWR | flags, 0644);
	if (fd < 0)
		failed("open %s: %s", path, ename(errno));
}

static void close_file(void)
{
	if (dio_fd >= 0 && close(dio_fd) < 0)
		failed("close (O_DIRECT fd): %s", ename(errno));
	dio_fd = -1;
	if (close(fd) < 0)
		failed("close: %s", ename(errno));
	fd = -1;
}

/* read the whole file with pread and compare */
static void verify_all(const char *how)
{
	int64_t off = 0, chunk;
	ssize_t r;

	while (off < msize) {
		chunk = msize - off < maxop ? msize - off : maxop;
		r = pread(fd, buf, chunk, off);
		if (r < 0)
			failed("%s: pread 0x%" PRIx64 "+0x%" PRIx64 ": %s", how,
			       off, chunk, ename(errno));
		if (r != chunk)
			failed("%s: short read at 0x%" PRIx64 ": %zd of %" PRId64,
			       how, off, r, chunk);
		check_data(buf, off, chunk, how);
		off += chunk;
	}
	r = pread(fd, buf, 1, msize);
	if (r != 0)
		failed("%s: read at EOF 0x%" PRIx64 " returned %zd%s%s", how,
		       msize, r, r < 0 ? " " : "", r < 0 ? ename(errno) : "");
}

static void model_resize(int64_t size)
{
	if (size < msize)
		memset(model + size, 0, msize - size);
	msize = size;
}

static void model_write(unsigned long n, int64_t off, int64_t len)
{
	int64_t i;

	for (i = 0; i < len; i++)
		model[off + i] = pattern(n, off + i);
	if (off + len > msize)
		msize = off + len;
}

static void switch_off(enum op op, const char *why)
{
	if (off_flag[op])
		return;
	off_flag[op] = 1;
	off_why[op] = why;
	if (debug)
		fprintf(stderr, "fsxcheck: %s switched off: %s\n",
			op_names[op], why);
}

static void on_sigbus(int sig)
{
	(void)sig;
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

/* --------------------------------------------------------- operations */

static long do_read(int64_t off, int64_t len)
{
	int64_t want = off >= msize ? 0 : (msize - off < len ? msize - off : len);
	ssize_t r = pread(fd, buf, len, off);

	if (r < 0)
		failed("pread 0x%" PRIx64 "+0x%" PRIx64 ": %s", off, len,
		       ename(errno));
	check_data(buf, off, r < want ? r : want, "read");
	if (r > 0 && r < want)
		failed("short pread 0x%" PRIx64 "+0x%" PRIx64 ": %zd of %" PRId64,
		       off, len, r, want);
	if (r != want)
		failed("pread 0x%" PRIx64 "+0x%" PRIx64 " returned %zd, expected %"
		       PRId64 " (size 0x%" PRIx64 ")", off, len, r, want, msize);
	return r;
}

static long do_write(unsigned long n, int64_t off, int64_t len)
{
	int64_t i;
	ssize_t r;

	for (i = 0; i < len; i++)
		buf[i] = pattern(n, off + i);
	r = pwrite(fd, buf, len, off);
	if (r < 0)
		failed("pwrite 0x%" PRIx64 "+0x%" PRIx64 ": %s", off, len,
		       ename(errno));
	if (r != len)
		failed("short pwrite 0x%" PRIx64 "+0x%" PRIx64 ": %zd", off, len,
		       r);
	model_write(n, off, len);
	return r;
}

static void do_truncate(int64_t size)
{
	if (ftruncate(fd, size) < 0)
		failed("ftruncate to 0x%" PRIx64 ": %s", size, ename(errno));
	model_resize(size);
}

/*
 * Map the pages covering [off, off+len) and, when the mapping reaches the
 * last page, that page up to its end: the bytes past EOF must read zero.
 * Returns 0 if mmap was refused with ENODEV (the op is then switched off).
 */
static int do_map(unsigned long n, int64_t off, int64_t len, int write)
{
	int64_t moff = off & ~(int64_t)(pagesz - 1);
	int64_t end = off + len, eof_page_end, mlen, i;
	uint8_t *p;

	if (write && end > msize) {
		if (ftruncate(fd, end) < 0)
			failed("mapwrite: ftruncate to 0x%" PRIx64 ": %s", end,
			       ename(errno));
		model_resize(end);
	}
	eof_page_end = (msize + pagesz - 1) & ~(int64_t)(pagesz - 1);
	mlen = ((end + pagesz - 1) & ~(int64_t)(pagesz - 1)) - moff;
	if (moff + mlen > eof_page_end)
		mlen = eof_page_end - moff;
	p = mmap(NULL, mlen, write ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, moff);
	if (p == MAP_FAILED) {
		if (errno == ENODEV) {
			switch_off(OP_MAPREAD, "mmap: ENODEV");
			switch_off(OP_MAPWRITE, "mmap: ENODEV");
			return 0;
		}
		failed("mmap 0x%" PRIx64 "+0x%" PRIx64 "%s: %s", moff, mlen,
		       write ? " rw" : "", ename(errno));
	}
	bus_armed = 1;
	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		failed("SIGBUS touching the mapping 0x%" PRIx64 "+0x%" PRIx64
		       " (size 0x%" PRIx64 ")", moff, mlen, msize);
	}
	if (write) {
		for (i = 0; i < len; i++)
			p[off - moff + i] = pattern(n, off + i);
		model_write(n, off, len);
		if (msync(p, mlen, MS_SYNC) < 0)
			failed("msync 0x%" PRIx64 "+0x%" PRIx64 ": %s", moff,
			       mlen, ename(errno));
	}
	memcpy(buf, p + (off - moff), len);
	if (moff + mlen > msize && moff + mlen == eof_page_end) {
		for (i = msize; i < eof_page_end; i++)
			if (p[i - moff]) {
				bus_armed = 0;
				failed("%s: byte 0x%02x past EOF at 0x%" PRIx64
				       " in the last page (size 0x%" PRIx64
				       "), expected zeros",
				       write ? "mapwrite" : "mapread",
				       p[i - moff], i, msize);
			}
	}
	bus_armed = 0;
	if (munmap(p, mlen) < 0)
		failed("munmap: %s", ename(errno));
	check_data(buf, off, len, write ? "mapwrite (read back)" : "mapread");
	return 1;
}

static int fallocate_mode(enum op op)
{
	switch (op) {
	case OP_KEEPSIZE:
		return FALLOC_FL_KEEP_SIZE;
	case OP_PUNCH:
		return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	case OP_ZERORANGE:
		return FALLOC_FL_ZERO_RANGE;
	default:
		return 0;
	}
}

/* returns 0 if the mode is not supported (then switched off) */
static int do_fallocate(enum op op, int64_t off, int64_t len)
{
	int mode = fallocate_mode(op);
	int64_t end = off + len, zend;

	if (fallocate(fd, mode, off, len) < 0) {
		if (errno == EOPNOTSUPP || errno == ENOSYS) {
			switch_off(op, errno == ENOSYS ? "ENOSYS" : "EOPNOTSUPP");
			return 0;
		}
		failed("fallocate mode 0x%x 0x%" PRIx64 "+0x%" PRIx64 ": %s",
		       mode, off, len, ename(errno));
	}
	if (op == OP_PUNCH || op == OP_ZERORANGE) {
		zend = end < msize ? end : msize;
		if (off < zend)
			memset(model + off, 0, zend - off);
	}
	if ((op == OP_FALLOC || op == OP_ZERORANGE) && end > msize)
		msize = end;
	return 1;
}

/* O_DIRECT: returns 0 if unusable (then switched off) */
static int dio_open(void)
{
	if (dio_fd >= 0)
		return 1;
	dio_fd = open(path, O_RDWR | O_DIRECT);
	if (dio_fd >= 0)
		return 1;
	if (errno == EINVAL) {
		switch_off(OP_DREAD, "O_DIRECT open: EINVAL");
		switch_off(OP_DWRITE, "O_DIRECT open: EINVAL");
		return 0;
	}
	failed("open O_DIRECT: %s", ename(errno));
}

static long do_dio(unsigned long n, int64_t off, int64_t len, int write)
{
	int64_t want, i;
	ssize_t r;

	if (write) {
		for (i = 0; i < len; i++)
			dio_buf[i] = pattern(n, off + i);
		r = pwrite(dio_fd, dio_buf, len, off);
	} else {
		r = pread(dio_fd, dio_buf, len, off);
	}
	if (r < 0 && errno == EINVAL) {
		/* alignment the file system does not take */
		switch_off(OP_DREAD, write ? "O_DIRECT write: EINVAL" :
			   "O_DIRECT read: EINVAL");
		switch_off(OP_DWRITE, write ? "O_DIRECT write: EINVAL" :
			   "O_DIRECT read: EINVAL");
		return -1;
	}
	if (r < 0)
		failed("O_DIRECT %s 0x%" PRIx64 "+0x%" PRIx64 ": %s",
		       write ? "pwrite" : "pread", off, len, ename(errno));
	if (write) {
		if (r != len)
			failed("short O_DIRECT pwrite 0x%" PRIx64 "+0x%" PRIx64
			       ": %zd", off, len, r);
		model_write(n, off, len);
		return r;
	}
	want = off >= msize ? 0 : (msize - off < len ? msize - off : len);
	check_data(dio_buf, off, r < want ? r : want, "O_DIRECT read");
	if (r > 0 && r < want)
		failed("short O_DIRECT pread 0x%" PRIx64 "+0x%" PRIx64 ": %zd of %"
		       PRId64, off, len, r, want);
	if (r != want)
		failed("O_DIRECT pread 0x%" PRIx64 "+0x%" PRIx64 " returned %zd,"
		       " expected %" PRId64, off, len, r, want);
	return r;
}

/*
 * With -U, root for the write only: the sysctl checks the writer's
 * credentials at open and at write.
 */
static void drop_caches(void)
{
	int d;

	if (run_as >= 0 && seteuid(0) < 0) {
		switch_off(OP_DROP, "cannot take back root for drop_caches");
		return;
	}
	d = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (d < 0) {
		switch_off(OP_DROP, "cannot open /proc/sys/vm/drop_caches");
	} else {
		if (write(d, "3\n", 2) != 2)
			switch_off(OP_DROP,
				   "cannot write /proc/sys/vm/drop_caches");
		close(d);
	}
	if (run_as >= 0 && seteuid((uid_t)run_as) < 0) {
		printf("FAIL fsx-%s: cannot become uid %ld again: %s\n", name,
		       run_as, strerror(errno));
		exit(1);
	}
}

static enum op pick_op(uint64_t r)
{
	int x = (int)(r % 1000), i;

	for (i = 0; i < OP_NR; i++) {
		if (x < op_weight[i])
			return (enum op)i;
		x -= op_weight[i];
	}
	return OP_READ;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one operation: four random draws, whatever runs */
static void step(unsigned long n)
{
	double t0;
	uint64_t r_op = rng_next(), r_off = rng_next(), r_len = rng_next();
	uint64_t r_x = rng_next();
	enum op op = pick_op(r_op);
	struct logent *e = &oplog[n % LOG_SLOTS];
	int64_t off, len;
	long ret = 0;
	int tries;

	for (tries = 0; off_flag[op] && tries < 3; tries++)
		op = op_fallback[op];
	if (off_flag[op])
		op = (r_x & 1) ? OP_WRITE : OP_READ;

	/* offsets and lengths */
	len = (int64_t)(r_len % (uint64_t)maxop) + 1;
	switch (op) {
	case OP_READ:
	case OP_MAPREAD:
		/* mostly inside the file, sometimes across or past EOF */
		if (msize == 0 || (op == OP_READ && r_x % 8 == 0))
			off = (int64_t)(r_off % (uint64_t)maxlen);
		else
			off = (int64_t)(r_off % (uint64_t)msize);
		if (op == OP_MAPREAD) {
			if (msize == 0) {
				op = OP_READ;
				break;
			}
			if (off + len > msize)
				len = msize - off;
		}
		break;
	case OP_DREAD:
	case OP_DWRITE:
		off = (int64_t)(r_off % (uint64_t)maxlen) & ~(int64_t)(DIO_ALIGN - 1);
		len = (len + DIO_ALIGN - 1) & ~(int64_t)(DIO_ALIGN - 1);
		if (off + len > maxlen)
			len = (maxlen - off) & ~(int64_t)(DIO_ALIGN - 1);
		if (len <= 0) {
			off = 0;
			len = DIO_ALIGN;
		}
		break;
	case OP_TRUNCATE:
		off = 0;
		len = (int64_t)(r_off % (uint64_t)(maxlen + 1));
		/* now and then exactly page-aligned or tiny */
		if (r_x % 5 == 0)
			len &= ~(int64_t)(pagesz - 1);
		else if (r_x % 17 == 0)
			len %= 100;
		break;
	default:
		off = (int64_t)(r_off % (uint64_t)maxlen);
		if (off + len > maxlen)
			len = maxlen - off;
		break;
	}
	if (op == OP_FSYNC || op == OP_REOPEN || op == OP_DROP)
		off = len = 0;

	e->n = n;
	e->op = op;
	e->off = off;
	e->len = len;
	e->size_before = e->size_after = msize;
	e->ret = 0;
	e->err = 0;
	if (debug) {
		char s[200];

		log_line(e, s, sizeof(s));
		fprintf(stderr, "%s\n", s);
	}

	t0 = now();
	switch (op) {
	case OP_READ:
		ret = do_read(off, len);
		break;
	case OP_WRITE:
		ret = do_write(n, off, len);
		break;
	case OP_MAPREAD:
	case OP_MAPWRITE:
		if (do_map(n, off, len, op == OP_MAPWRITE)) {
			ret = len;
		} else {
			/* refused: the same range by read or write */
			e->op = op = op == OP_MAPREAD ? OP_READ : OP_WRITE;
			ret = op == OP_READ ? do_read(off, len) :
			      do_write(n, off, len);
		}
		break;
	case OP_TRUNCATE:
		do_truncate(len);
		break;
	case OP_FALLOC:
	case OP_KEEPSIZE:
	case OP_PUNCH:
	case OP_ZERORANGE:
		if (!do_fallocate(op, off, len)) {
			e->op = op = OP_WRITE;
			ret = do_write(n, off, len);
		}
		break;
	case OP_DREAD:
	case OP_DWRITE:
		if (!dio_open() || (ret = do_dio(n, off, len, op == OP_DWRITE)) < 0) {
			e->op = op = op == OP_DREAD ? OP_READ : OP_WRITE;
			ret = op == OP_READ ? do_read(off, len) :
			      do_write(n, off, len);
		}
		break;
	case OP_FSYNC:
		if (fsync(fd) < 0)
			failed("fsync: %s", ename(errno));
		break;
	case OP_REOPEN:
		close_file();
		open_file(0);
		check_size("reopen");
		verify_all("read after reopen");
		break;
	case OP_DROP:
		drop_caches();
		check_size("dropping caches");
		verify_all("read after dropping caches");
		break;
	default:
		break;
	}
	e->ret = ret;
	e->size_after = msize;
	check_size(op_names[op]);
	done_count[op]++;
	op_time[op] += now() - t0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fsxcheck [-N ops] [-S seed] [-l maxlen] [-o maxop] [-n name]\n"
		"                [-m] [-M] [-Z] [-F] [-C] [-D] [-P every] [-d] [-U uid]\n"
		"                FILE\n");
	exit(2);
}

static unsigned long num_arg(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s)
		usage();
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	default: break;
	}
	if (*end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	double t0;
	unsigned long n;
	int c, i, first = 1;
	char *pcopy;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "N:S:l:o:n:mMZFCDP:dU:")) != -1) {
		switch (c) {
		case 'N': nops = num_arg(optarg); break;
		case 'S': seed = num_arg(optarg); break;
		case 'l': maxlen = (int64_t)num_arg(optarg); break;
		case 'o': maxop = (int64_t)num_arg(optarg); break;
		case 'n': name = optarg; break;
		case 'm': break;
		case 'M':
			off_flag[OP_MAPREAD] = off_flag[OP_MAPWRITE] = 1;
			off_why[OP_MAPREAD] = off_why[OP_MAPWRITE] = "-M";
			break;
		case 'Z':
			off_flag[OP_DREAD] = off_flag[OP_DWRITE] = 1;
			off_why[OP_DREAD] = off_why[OP_DWRITE] = "-Z";
			break;
		case 'F':
			for (i = OP_FALLOC; i <= OP_ZERORANGE; i++) {
				off_flag[i] = 1;
				off_why[i] = "-F";
			}
			break;
		case 'C': off_flag[OP_REOPEN] = 1; off_why[OP_REOPEN] = "-C"; break;
		case 'D': off_flag[OP_DROP] = 1; off_why[OP_DROP] = "-D"; break;
		case 'P': progress = num_arg(optarg); break;
		case 'd': debug = 1; break;
		case 'U': run_as = (long)num_arg(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || maxlen < 1 || maxop < 1)
		usage();
	path = argv[optind];
	if (!name) {
		pcopy = strdup(path);
		name = pcopy ? basename(pcopy) : "file";
	}
	if (maxop > maxlen)
		maxop = maxlen;
	/* the saved user ID stays 0: drop_caches() becomes root again */
	if (run_as >= 0 &&
	    (setgroups(0, NULL) < 0 ||
	     setresgid((gid_t)run_as, (gid_t)run_as, (gid_t)run_as) < 0 ||
	     setresuid((uid_t)run_as, (uid_t)run_as, 0) < 0)) {
		printf("FAIL fsx-%s: cannot become uid %ld: %s\n", name, run_as,
		       strerror(errno));
		return 1;
	}
	pagesz = sysconf(_SC_PAGESIZE);
	rng_state = seed;
	if (maxlen < DIO_ALIGN) {
		off_flag[OP_DREAD] = off_flag[OP_DWRITE] = 1;
		off_why[OP_DREAD] = off_why[OP_DWRITE] = "maxlen below 4096";
	}

	model = calloc(1, maxlen);
	buf = malloc(maxop + pagesz);
	if (!model || !buf ||
	    posix_memalign((void **)&dio_buf, DIO_ALIGN,
			   (maxop + 2 * DIO_ALIGN) & ~(int64_t)(DIO_ALIGN - 1))) {
		printf("FAIL fsx-%s: out of memory\n", name);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);

	open_file(O_CREAT | O_TRUNC);
	check_size("open with O_TRUNC");
	t0 = now();
	for (n = 1; n <= nops; n++) {
		cur_op = n;
		step(n);
		if (progress && n % progress == 0)
			fprintf(stderr, "fsx-%s: %lu ops, %.1f s\n", name, n,
				now() - t0);
	}
	cur_op = nops;
	verify_all("final read");
	close_file();
	open_file(0);
	check_size("final reopen");
	verify_all("final read after reopen");
	close_file();

	fprintf(stderr, "fsx-%s: %lu ops in %.1f s:", name, nops, now() - t0);
	for (i = 0; i < OP_NR; i++)
		if (done_count[i])
			fprintf(stderr, " %s %lu (%.1fs)", op_names[i],
				done_count[i], op_time[i]);
	fprintf(stderr, "\n");
	for (i = 0; i < OP_NR; i++) {
		if (!off_flag[i])
			continue;
		if (first)
			fprintf(stderr, "fsx-%s: switched off:", name);
		first = 0;
		fprintf(stderr, " %s (%s)", op_names[i], off_why[i]);
	}
	if (!first)
		fprintf(stderr, "\n");
	printf("PASS fsx-%s: %lu ops seed %lu\n", name, nops, seed);
	return 0;
}
