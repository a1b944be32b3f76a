// SPDX-License-Identifier: GPL-2.0
/*
 * fusept: table-driven tests of the pure checkers, in a build with
 * FUSEPT_SELFTEST=1 only. fusept_init() runs them before it registers
 * anything and refuses to load when a case fails, each failing case named
 * in the kernel log. No daemon, no mount: they take milliseconds, so a
 * parser bug shows without a daemon to send it what it gets wrong.
 *
 * A case's number in a log line is its index in its table.
 */
#include <linux/fcntl.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fusept_i.h"

/* Room for a READDIRPLUS entry with a name longer than FUSEPT_NAME_MAX */
#define FUSEPT_SELFTEST_BUF	2048

struct fusept_selftest {
	unsigned int passed;
	unsigned int failed;
	char *buf;		/* FUSEPT_SELFTEST_BUF bytes, u64-aligned */
};

static void fusept_selftest_expect(struct fusept_selftest *st,
				   const char *table, unsigned int i,
				   long long got, long long want)
{
	if (got == want) {
		st->passed++;
		return;
	}
	st->failed++;
	pr_err("selftest: %s case %u: got %lld, want %lld\n",
	       table, i, got, want);
}

/* ------------------------------------------------- reply length rules */

static const struct {
	size_t size;
	u32 max;
	bool var;
	bool ok;
} fusept_selftest_replies[] = {
	{ 0, 0, false, true },		/* no payload wanted, none sent */
	{ 1, 0, false, false },
	{ 0, 0, true, true },
	{ 1, 0, true, false },
	{ 16, 16, false, true },	/* fixed size: exactly max */
	{ 0, 16, false, false },
	{ 15, 16, false, false },
	{ 17, 16, false, false },
	{ 0, 16, true, true },		/* variable size: up to max */
	{ 15, 16, true, true },
	{ 16, 16, true, true },
	{ 17, 16, true, false },
	{ U32_MAX, U32_MAX, false, true },
	{ SIZE_MAX, 16, true, false },	/* not cut to the u32 of max */
};

static void fusept_selftest_reply(struct fusept_selftest *st)
{
	unsigned int i;
	bool ok;

	for (i = 0; i < ARRAY_SIZE(fusept_selftest_replies); i++) {
		ok = fusept_reply_size_ok(fusept_selftest_replies[i].size,
					  fusept_selftest_replies[i].max,
					  fusept_selftest_replies[i].var);
		fusept_selftest_expect(st, "reply-size", i, ok,
				       fusept_selftest_replies[i].ok);
	}
}

/* ------------------- yes-or-no checkers: names, lists, option values */

/*
 * A case of a checker that says yes or no: the string s of len bytes (s
 * NULL: len bytes 'x'), or the number len for the mount option values.
 */
struct fusept_selftest_yn {
	const char *s;
	u64 len;
	bool ok;
};

static const struct fusept_selftest_yn fusept_selftest_names[] = {
	{ "a", 1, true },
	{ ".", 1, true },
	{ "..", 2, true },
	{ "ab\0", 2, true },		/* the NUL after the name is not in it */
	{ "", 0, false },
	{ "/", 1, false },
	{ "a/b", 3, false },
	{ "ab/", 3, false },
	{ "a\0b", 3, false },
	{ "ab\0", 3, false },
	{ NULL, FUSEPT_NAME_MAX, true },
	{ NULL, FUSEPT_NAME_MAX + 1, false },
};

/* listxattr: NUL-terminated names, none empty */
static const struct fusept_selftest_yn fusept_selftest_xattr_lists[] = {
	{ "", 0, true },		/* no names at all */
	{ "user.a", 7, true },
	{ "user.a\0user.b", 14, true },
	{ "a\0b\0c", 6, true },
	{ "user.a", 6, false },		/* the last name not terminated */
	{ "user.a\0user.b", 13, false },
	{ "\0", 1, false },		/* an empty name */
	{ "user.a\0\0", 8, false },
	{ "\0user.a", 8, false },
};

/* subtype=: a NUL-terminated string, len unused */
static const struct fusept_selftest_yn fusept_selftest_subtypes[] = {
	{ "sshfs", 0, true },
	{ "fusept-passthrough", 0, true },
	{ "a.b_c", 0, true },
	{ "", 0, false },
	{ "/", 0, false },
	{ "a/b", 0, false },
	{ "a b", 0, false },
	{ "a\tb", 0, false },
	{ "a\nb", 0, false },
	{ "a\\b", 0, false },
};

static const struct fusept_selftest_yn fusept_selftest_rootmodes[] = {
	{ .len = S_IFDIR | 0755, .ok = true },
	{ .len = S_IFDIR, .ok = true },
	{ .len = S_IFDIR | 07777, .ok = true },	/* setuid, setgid, sticky */
	{ .len = 0755, .ok = false },		/* no file type */
	{ .len = S_IFREG | 0644, .ok = false },
	{ .len = S_IFLNK | 0777, .ok = false },
	{ .len = S_IFDIR | S_IFIFO | 0755, .ok = false },
	{ .len = S_IFDIR | 0200000, .ok = false },	/* above the type */
	{ .len = U32_MAX, .ok = false },
};

static const struct fusept_selftest_yn fusept_selftest_blksizes[] = {
	{ .len = 512, .ok = true },
	{ .len = 1024, .ok = true },
	{ .len = 2048, .ok = true },
	{ .len = PAGE_SIZE, .ok = true },
	{ .len = 0, .ok = false },
	{ .len = 256, .ok = false },
	{ .len = 511, .ok = false },
	{ .len = 513, .ok = false },
	{ .len = 1000, .ok = false },
	{ .len = PAGE_SIZE * 2, .ok = false },
	{ .len = 0x80000000, .ok = false },
	{ .len = U32_MAX, .ok = false },
};

static bool fusept_selftest_name_ok(const char *s, u64 len)
{
	return fusept_name_ok(s, len);
}

static bool fusept_selftest_xattr_list_ok(const char *s, u64 len)
{
	return fusept_xattr_list_ok(s, len);
}

static bool fusept_selftest_subtype_ok(const char *s, u64 len)
{
	return fusept_subtype_ok(s);
}

static bool fusept_selftest_rootmode_ok(const char *s, u64 len)
{
	return fusept_rootmode_ok(len);
}

static bool fusept_selftest_blksize_ok(const char *s, u64 len)
{
	return fusept_blksize_ok(len);
}

struct fusept_selftest_yn_table {
	const char *name;
	const struct fusept_selftest_yn *t;
	unsigned int n;
	bool (*check)(const char *s, u64 len);
};

static const struct fusept_selftest_yn_table fusept_selftest_yn_tables[] = {
	{ "name", fusept_selftest_names,
	  ARRAY_SIZE(fusept_selftest_names), fusept_selftest_name_ok },
	{ "xattr-list", fusept_selftest_xattr_lists,
	  ARRAY_SIZE(fusept_selftest_xattr_lists),
	  fusept_selftest_xattr_list_ok },
	{ "subtype", fusept_selftest_subtypes,
	  ARRAY_SIZE(fusept_selftest_subtypes), fusept_selftest_subtype_ok },
	{ "rootmode", fusept_selftest_rootmodes,
	  ARRAY_SIZE(fusept_selftest_rootmodes), fusept_selftest_rootmode_ok },
	{ "blksize", fusept_selftest_blksizes,
	  ARRAY_SIZE(fusept_selftest_blksizes), fusept_selftest_blksize_ok },
};

static void fusept_selftest_yns(struct fusept_selftest *st)
{
	const struct fusept_selftest_yn_table *tb;
	const struct fusept_selftest_yn *t;
	unsigned int i, j;
	bool ok;

	memset(st->buf, 'x', FUSEPT_SELFTEST_BUF);
	for (j = 0; j < ARRAY_SIZE(fusept_selftest_yn_tables); j++) {
		tb = &fusept_selftest_yn_tables[j];
		for (i = 0, t = tb->t; i < tb->n; i++, t++) {
			ok = tb->check(t->s ?: st->buf, t->len);
			fusept_selftest_expect(st, tb->name, i, ok, t->ok);
		}
	}
}

/* ------------------------------------------- READDIR(PLUS) entries */

/* name NULL: namelen bytes 'x', as many as the buffer holds */
struct fusept_selftest_dirent {
	const char *name;
	u32 namelen;
	size_t room;		/* bytes from the entry to the reply's end */
	int err;
};

#define FUSEPT_SELFTEST_MAX_ROOM \
	FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + FUSEPT_NAME_MAX)

static const struct fusept_selftest_dirent fusept_selftest_dirents[] = {
	{ "a", 1, 0, -EIO },			/* nothing left */
	{ "a", 1, FUSE_NAME_OFFSET - 1, -EIO },	/* not even the header */
	{ "a", 1, FUSE_NAME_OFFSET, -EIO },	/* the name cut off */
	{ "a", 1, FUSE_NAME_OFFSET + 1, -EIO },	/* the padding cut off */
	{ "a", 1, FUSE_NAME_OFFSET + 8, 0 },
	{ "a", 1, 256, 0 },			/* more entries follow */
	{ "abcdefgh", 8, FUSE_NAME_OFFSET + 8, 0 },	/* no padding */
	{ "abcdefgh", 8, FUSE_NAME_OFFSET + 7, -EIO },
	{ "abcdefghi", 9, FUSE_NAME_OFFSET + 16, 0 },
	{ "abcdefghi", 9, FUSE_NAME_OFFSET + 15, -EIO },
	{ ".", 1, 32, 0 },
	{ "..", 2, 32, 0 },
	{ "", 0, 32, -EIO },
	{ "a/b", 3, 32, -EIO },
	{ "a\0b", 3, 32, -EIO },
	{ NULL, FUSEPT_NAME_MAX, FUSEPT_SELFTEST_MAX_ROOM, 0 },
	{ NULL, FUSEPT_NAME_MAX, FUSEPT_SELFTEST_MAX_ROOM - 1, -EIO },
	{ NULL, FUSEPT_NAME_MAX + 1, FUSEPT_SELFTEST_BUF, -EIO },
	{ NULL, U32_MAX, FUSEPT_SELFTEST_BUF, -EIO },	/* no overflow */
};

static const struct fusept_selftest_dirent fusept_selftest_direntpluses[] = {
	{ "a", 1, 0, -EIO },
	{ "a", 1, FUSE_NAME_OFFSET_DIRENTPLUS - 1, -EIO },
	{ "a", 1, FUSE_NAME_OFFSET_DIRENTPLUS, -EIO },
	{ "a", 1, FUSE_NAME_OFFSET_DIRENTPLUS + 1, -EIO },
	{ "a", 1, FUSE_NAME_OFFSET_DIRENTPLUS + 8, 0 },
	{ "a", 1, FUSE_NAME_OFFSET + 8, -EIO },	/* a plain entry's room */
	{ "abcdefgh", 8, FUSE_NAME_OFFSET_DIRENTPLUS + 8, 0 },
	{ "abcdefgh", 8, FUSE_NAME_OFFSET_DIRENTPLUS + 7, -EIO },
	{ "", 0, 256, -EIO },
	{ "a/b", 3, 256, -EIO },
	{ NULL, FUSEPT_NAME_MAX + 1, FUSEPT_SELFTEST_BUF, -EIO },
};

/*
 * Each case's entry is written at the start of the buffer; an accepted
 * one must also fit its room with the size the reader steps over.
 */
static void fusept_selftest_dirent_tables(struct fusept_selftest *st,
					  bool plus)
{
	const struct fusept_selftest_dirent *t = plus ?
		fusept_selftest_direntpluses : fusept_selftest_dirents;
	unsigned int i, n = plus ? ARRAY_SIZE(fusept_selftest_direntpluses) :
		ARRAY_SIZE(fusept_selftest_dirents);
	const char *table = plus ? "direntplus" : "dirent";
	struct fuse_direntplus *dp = (struct fuse_direntplus *)st->buf;
	struct fuse_dirent *d = plus ? &dp->dirent :
		(struct fuse_dirent *)st->buf;
	size_t size;
	int err;

	for (i = 0; i < n; i++) {
		memset(st->buf, 0, FUSEPT_SELFTEST_BUF);
		d->ino = 2;
		d->off = 1;
		d->type = DT_REG;
		d->namelen = t[i].namelen;
		if (t[i].name)
			memcpy(d->name, t[i].name, t[i].namelen);
		else
			memset(d->name, 'x',
			       min_t(u32, t[i].namelen, FUSEPT_NAME_MAX + 1));
		if (plus)
			err = fusept_check_direntplus(dp, t[i].room);
		else
			err = fusept_check_dirent(d, t[i].room);
		fusept_selftest_expect(st, table, i, err, t[i].err);
		if (err)
			continue;
		size = plus ? FUSE_DIRENTPLUS_SIZE(dp) : FUSE_DIRENT_SIZE(d);
		fusept_selftest_expect(st, "dirent-record-fits", i,
				       size <= t[i].room, true);
	}
}

/* ------------------------------------------------- GETLK's lock ranges */

static const struct {
	u64 start;
	u64 end;
	u32 type;
	int err;
} fusept_selftest_locks[] = {
	{ 0, OFFSET_MAX, F_RDLCK, 0 },		/* the whole file */
	{ 0, 0, F_WRLCK, 0 },
	{ 7, 7, F_WRLCK, 0 },
	{ OFFSET_MAX, OFFSET_MAX, F_RDLCK, 0 },
	{ 10, 9, F_WRLCK, -EIO },		/* ends before it starts */
	{ 0, (u64)OFFSET_MAX + 1, F_RDLCK, -EIO },
	{ (u64)OFFSET_MAX + 1, U64_MAX, F_WRLCK, -EIO },
	{ 0, U64_MAX, F_WRLCK, -EIO },
	{ 5, 1, F_UNLCK, 0 },			/* no conflict: range unused */
	{ 0, U64_MAX, F_UNLCK, 0 },
	{ 0, 0, 3, -EIO },			/* no such type */
	{ 0, 0, F_EXLCK, -EIO },
	{ 0, 0, U32_MAX, -EIO },
};

static void fusept_selftest_lock(struct fusept_selftest *st)
{
	struct fuse_file_lock ffl = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fusept_selftest_locks); i++) {
		ffl.start = fusept_selftest_locks[i].start;
		ffl.end = fusept_selftest_locks[i].end;
		ffl.type = fusept_selftest_locks[i].type;
		fusept_selftest_expect(st, "lock", i, fusept_lk_check(&ffl),
				       fusept_selftest_locks[i].err);
	}
}

/* --------------------------------------------- attributes and entries */

/* nodeid: the entries' table only */
struct fusept_selftest_attr {
	u64 nodeid;
	u32 mode;
	u64 size;
	int err;
};

static const struct fusept_selftest_attr fusept_selftest_attrs[] = {
	{ 0, S_IFREG | 0644, 0, 0 },
	{ 0, S_IFDIR | 0755, 4096, 0 },
	{ 0, S_IFLNK | 0777, 5, 0 },
	{ 0, S_IFCHR | 0600, 0, 0 },
	{ 0, S_IFBLK | 0600, 0, 0 },
	{ 0, S_IFIFO | 0600, 0, 0 },
	{ 0, S_IFSOCK | 0600, 0, 0 },
	{ 0, S_IFREG | 07777, 0, 0 },
	{ 0, 0644, 0, -EIO },			/* no file type */
	{ 0, 0, 0, -EIO },
	{ 0, S_IFMT, 0, -EIO },			/* every type bit */
	{ 0, 0030000, 0, -EIO },		/* no such type */
	{ 0, S_IFREG, MAX_LFS_FILESIZE, 0 },
	{ 0, S_IFREG, (u64)MAX_LFS_FILESIZE + 1, -EIO },
	{ 0, S_IFREG, U64_MAX, -EIO },
};

static const struct fusept_selftest_attr fusept_selftest_entries[] = {
	{ 0, 0, 0, 0 },			/* negative: attributes unused */
	{ 0, S_IFREG, U64_MAX, 0 },
	{ FUSE_ROOT_ID, S_IFDIR | 0755, 0, -EIO },	/* no name to the root */
	{ 2, S_IFREG | 0644, 0, 0 },
	{ 2, 0644, 0, -EIO },
	{ 2, S_IFREG, U64_MAX, -EIO },
	{ U64_MAX, S_IFDIR | 0755, 0, 0 },
};

static void fusept_selftest_attr(struct fusept_selftest *st)
{
	const struct fusept_selftest_attr *t;
	struct fuse_entry_out out = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fusept_selftest_attrs); i++) {
		t = &fusept_selftest_attrs[i];
		out.attr.mode = t->mode;
		out.attr.size = t->size;
		fusept_selftest_expect(st, "attr", i,
				       fusept_check_attr(&out.attr), t->err);
	}
	for (i = 0; i < ARRAY_SIZE(fusept_selftest_entries); i++) {
		t = &fusept_selftest_entries[i];
		out.nodeid = t->nodeid;
		out.attr.mode = t->mode;
		out.attr.size = t->size;
		fusept_selftest_expect(st, "entry", i, fusept_check_entry(&out),
				       t->err);
	}
}

/* ---------------------------------- mount options, through fs_parse() */

static const struct {
	const char *key;
	const char *value;		/* NULL: a flag */
	int err;
} fusept_selftest_options[] = {
	{ "fd", "3", 0 },
	{ "fd", "x", -EINVAL },
	{ "fd", "4294967296", -EINVAL },	/* not a u32 */
	{ "rootmode", "40000", 0 },		/* octal */
	{ "rootmode", "47777", 0 },
	{ "rootmode", "100644", -EINVAL },	/* a regular file's */
	{ "rootmode", "40009", -EINVAL },	/* not octal */
	{ "user_id", "0", 0 },
	{ "user_id", "4294967295", -EINVAL },	/* no such uid: (uid_t)-1 */
	{ "group_id", "4294967295", -EINVAL },
	{ "default_permissions", NULL, 0 },
	{ "allow_other", NULL, 0 },
	{ "max_read", "0", -EINVAL },
	{ "max_read", "1", 0 },
	{ "max_read", "4294967295", 0 },
	{ "blksize", "512", 0 },
	{ "blksize", "1000", -EINVAL },
	{ "blksize", "256", -EINVAL },
	{ "subtype", "sshfs", 0 },
	{ "subtype", "a/b", -EINVAL },
	{ "nosuchoption", "1", -ENOPARAM },
};

/*
 * One option through fusept_parse_param() on a context of the selftest's
 * own that mounts nothing (fusept.ko itself never builds one: the imports
 * it would need stay out of the GKI symbol list): 0 or the parser's error;
 * -ENOPARAM for an unknown key (the VFS makes that EINVAL). A NULL value
 * is a flag.
 */
static int fusept_selftest_parse(const char *key, const char *value)
{
	struct fusept_mount_opts o = {};
	struct fs_context fsc = {
		.fs_private = &o,
		.user_ns = &init_user_ns,
		.log.prefix = "fusept",
	};
	struct fs_parameter param = {
		.key = key,
		.type = value ? fs_value_is_string : fs_value_is_flag,
	};
	int err;

	if (value) {
		param.string = kstrdup(value, GFP_KERNEL);
		if (!param.string)
			return -ENOMEM;
		param.size = strlen(value);
	}
	err = fusept_parse_param(&fsc, &param);
	kfree(param.string);
	kfree(o.subtype);
	return err;
}

static void fusept_selftest_option(struct fusept_selftest *st)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(fusept_selftest_options); i++) {
		err = fusept_selftest_parse(fusept_selftest_options[i].key,
					    fusept_selftest_options[i].value);
		fusept_selftest_expect(st, "option", i, err,
				       fusept_selftest_options[i].err);
	}
}

/* ------------------------------------------- lock owners: XTEA itself */

/*
 * The published XTEA test vectors (key, plaintext and ciphertext as
 * big-endian 32-bit words), so that fusept_lock_owner() is the cipher its
 * comment names: the block's first word is the owner's low half.
 */
static const struct {
	u32 key[4];
	u32 in[2];
	u32 out[2];
} fusept_selftest_xtea[] = {
	{ { 0x00010203, 0x04050607, 0x08090a0b, 0x0c0d0e0f },
	  { 0x41424344, 0x45464748 }, { 0x497df3d0, 0x72612cb5 } },
	{ { 0x00010203, 0x04050607, 0x08090a0b, 0x0c0d0e0f },
	  { 0x41414141, 0x41414141 }, { 0xe78f2d13, 0x744341d8 } },
	{ { 0, 0, 0, 0 }, { 0x41424344, 0x45464748 },
	  { 0xa0390589, 0xf8b8efa5 } },
	{ { 0, 0, 0, 0 }, { 0x41414141, 0x41414141 },
	  { 0xed23375a, 0x821a8c2d } },
};

/* 64-bit kernels only: an fl_owner_t must hold the whole block */
static void fusept_selftest_lock_owner(struct fusept_selftest *st)
{
	struct fusept_conn *fc;
	unsigned int i;
	u64 in, want;

	if (sizeof(fl_owner_t) < sizeof(u64))
		return;
	fc = kzalloc(sizeof(*fc), GFP_KERNEL);
	if (!fc) {
		fusept_selftest_expect(st, "xtea-alloc", 0, -ENOMEM, 0);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(fusept_selftest_xtea); i++) {
		memcpy(fc->lock_key, fusept_selftest_xtea[i].key,
		       sizeof(fc->lock_key));
		in = (u64)fusept_selftest_xtea[i].in[1] << 32 |
		     fusept_selftest_xtea[i].in[0];
		want = (u64)fusept_selftest_xtea[i].out[1] << 32 |
		       fusept_selftest_xtea[i].out[0];
		fusept_selftest_expect(st, "xtea", i,
				       fusept_lock_owner(fc, (fl_owner_t)(unsigned long)in),
				       want);
	}
	kfree(fc);
}

/* ------------------------------------------------ INIT reply's limits */

#define PG	PAGE_SIZE
#define MAXP	FUSEPT_MAX_MAX_PAGES
#define DEFP	FUSEPT_DEFAULT_MAX_PAGES

static const struct {
	bool max_pages_flag;
	u32 opt_max_read;		/* mount option; UINT_MAX: none */
	u32 max_readahead, max_pages, max_write;	/* the reply */
	u32 want_readahead, want_pages, want_write, want_read;
} fusept_selftest_limits[] = {
	/* no FUSE_MAX_PAGES: the default page count stays */
	{ false, UINT_MAX, 0, 999, 0, 0, DEFP, FUSEPT_MIN_MAX_WRITE, DEFP * PG },
	/* 128 KiB is at most DEFP pages of any page size */
	{ false, UINT_MAX, 128 * 1024, 0, 128 * 1024,
	  128 * 1024, DEFP, 128 * 1024, DEFP * PG },
	/* the reply's max_pages clamped to 1 .. FUSEPT_MAX_MAX_PAGES */
	{ true, UINT_MAX, 0, 0, 0, 0, 1, FUSEPT_MIN_MAX_WRITE, PG },
	{ true, UINT_MAX, 0, 4096, 0, 0, MAXP, FUSEPT_MIN_MAX_WRITE, MAXP * PG },
	/* max_write at most max_pages pages, at least the minimum */
	{ true, UINT_MAX, 0, 2, U32_MAX, 0, 2, 2 * PG, 2 * PG },
	{ true, UINT_MAX, 0, MAXP, 1, 0, MAXP, FUSEPT_MIN_MAX_WRITE, MAXP * PG },
	/* max_readahead at most FUSEPT_MAX_MAX_PAGES pages */
	{ true, UINT_MAX, U32_MAX, 8, 0, MAXP * PG, 8, FUSEPT_MIN_MAX_WRITE,
	  8 * PG },
	/* max_read=0 is one page; a large one is max_pages pages */
	{ true, 0, 0, 8, 0, 0, 8, FUSEPT_MIN_MAX_WRITE, PG },
	{ true, 1, 0, 8, 0, 0, 8, FUSEPT_MIN_MAX_WRITE, PG },
	{ true, 3 * PG, 0, 8, 0, 0, 8, FUSEPT_MIN_MAX_WRITE, 3 * PG },
	{ true, 100 * PG, 0, 8, 0, 0, 8, FUSEPT_MIN_MAX_WRITE, 8 * PG },
};

#undef PG
#undef MAXP
#undef DEFP

static void fusept_selftest_limit(struct fusept_selftest *st, unsigned int i,
				  struct fusept_conn *fc)
{
	struct fuse_init_out out = {};

	memset(fc, 0, sizeof(*fc));
	fc->max_pages = FUSEPT_DEFAULT_MAX_PAGES;
	fc->max_read = fusept_selftest_limits[i].opt_max_read;
	fc->flags = fusept_selftest_limits[i].max_pages_flag ?
		FUSE_MAX_PAGES : 0;
	out.max_readahead = fusept_selftest_limits[i].max_readahead;
	out.max_pages = fusept_selftest_limits[i].max_pages;
	out.max_write = fusept_selftest_limits[i].max_write;
	fusept_init_limits(fc, &out);
	fusept_selftest_expect(st, "init-readahead", i, fc->max_readahead,
			       fusept_selftest_limits[i].want_readahead);
	fusept_selftest_expect(st, "init-pages", i, fc->max_pages,
			       fusept_selftest_limits[i].want_pages);
	fusept_selftest_expect(st, "init-write", i, fc->max_write,
			       fusept_selftest_limits[i].want_write);
	fusept_selftest_expect(st, "init-read", i, fc->max_read,
			       fusept_selftest_limits[i].want_read);
}

static void fusept_selftest_limits_all(struct fusept_selftest *st)
{
	struct fusept_conn *fc = kmalloc(sizeof(*fc), GFP_KERNEL);
	unsigned int i;

	if (!fc) {
		fusept_selftest_expect(st, "init-alloc", 0, -ENOMEM, 0);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(fusept_selftest_limits); i++)
		fusept_selftest_limit(st, i, fc);
	kfree(fc);
}

/* ----------------------------------- BACKING_OPEN's ops_mask and modes */

#define OP(o)	FUSE_PASSTHROUGH_OP(FUSE_##o)

static const struct {
	umode_t mode;
	u64 ops;
	int err;
} fusept_selftest_ops[] = {
	{ S_IFREG, 0, 0 },			/* per-open passthrough */
	{ S_IFDIR, 0, -EISDIR },		/* as mainline */
	{ S_IFIFO, 0, -EINVAL },
	{ S_IFSOCK, OP(GETATTR), -EINVAL },
	{ S_IFREG, OP(READ) | OP(WRITE), 0 },	/* implied, may be named */
	{ S_IFREG, OP(GETATTR), 0 },
	{ S_IFREG, OP(STATX), 0 },		/* STATX stands for GETATTR */
	{ S_IFREG, OP(GETATTR) | OP(SETATTR) | OP(OPEN) | OP(READ), 0 },
	{ S_IFREG, OP(SETATTR), -EINVAL },	/* no GETATTR */
	{ S_IFREG, OP(OPEN) | OP(READ), -EINVAL },
	{ S_IFREG, OP(GETATTR) | OP(READDIR), -EINVAL },	/* not a dir */
	{ S_IFREG, OP(GETATTR) | OP(LOOKUP), -EINVAL },
	{ S_IFREG, OP(GETATTR) | OP(MKDIR), -EINVAL },	/* not in the table */
	{ S_IFREG, 1ULL << 63, -EINVAL },
	{ S_IFDIR, OP(GETATTR), 0 },
	{ S_IFDIR, OP(GETATTR) | OP(READDIR) | OP(LOOKUP), 0 },
	{ S_IFDIR, OP(READDIR), -EINVAL },	/* no GETATTR */
	{ S_IFDIR, OP(GETATTR) | OP(READ), -EISDIR },
	{ S_IFDIR, OP(READ) | OP(WRITE), -EISDIR },
	{ S_IFDIR, OP(GETATTR) | OP(OPEN), -EINVAL },	/* that is OPENDIR */
};

#undef OP

static void fusept_selftest_pt_ops(struct fusept_selftest *st)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fusept_selftest_ops); i++)
		fusept_selftest_expect(st, "pt-ops", i,
				       fusept_pt_ops_check(fusept_selftest_ops[i].mode,
							   fusept_selftest_ops[i].ops),
				       fusept_selftest_ops[i].err);
}

int fusept_selftest(void)
{
	struct fusept_selftest st = {};

	st.buf = kmalloc(FUSEPT_SELFTEST_BUF, GFP_KERNEL);
	if (!st.buf)
		return -ENOMEM;
	fusept_selftest_reply(&st);
	fusept_selftest_yns(&st);
	fusept_selftest_dirent_tables(&st, false);
	fusept_selftest_dirent_tables(&st, true);
	fusept_selftest_lock(&st);
	fusept_selftest_attr(&st);
	fusept_selftest_pt_ops(&st);
	fusept_selftest_limits_all(&st);
	fusept_selftest_lock_owner(&st);
	fusept_selftest_option(&st);
	kfree(st.buf);
	if (st.failed) {
		pr_err("selftest: %u of %u failed\n", st.failed,
		       st.failed + st.passed);
		return -ENOTRECOVERABLE;
	}
	pr_info("selftest: %u passed\n", st.passed);
	return 0;
}
