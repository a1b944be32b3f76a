// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: the fixture language of the tables (what a check starts
 * from, what must hold after it) and the run of one syscall-table check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

/* ------------------------------------------------------------ fixtures */

/*
 * A fixture or a post-condition is a list of space-separated tokens
 * KIND:NAME[=VALUE][#MODE][@UID:GID].  Fixture kinds: f (file holding its
 * own name), d (dir), l (symlink to VALUE), p (fifo), h (hard link to
 * VALUE).  Post-condition kinds: f (regular file, with content VALUE when
 * given), d, l (symlink to VALUE), p, c (char device), - (absent: "-NAME"),
 * n (st_nlink == VALUE), m (mode bits == octal VALUE), s (size == VALUE),
 * u (owner == VALUE "UID:GID"), i (same inode as VALUE).
 */
struct token {
	char kind;
	char name[300];
	char value[300];
	int has_value;
	long mode;		/* -1: none */
	long uid, gid;		/* -1: none */
};

/* next token of *sp into t; 0 at the end */
static int next_token(const char **sp, struct token *t)
{
	const char *s = *sp;
	char word[700], *p;
	size_t n;

	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	n = strcspn(s, " ");
	sfmt(word, sizeof(word), "%.*s", (int)n, s);
	*sp = s + n;
	memset(t, 0, sizeof(*t));
	t->mode = t->uid = t->gid = -1;
	p = strchr(word, '@');
	if (p) {
		*p = 0;
		sscanf(p + 1, "%ld:%ld", &t->uid, &t->gid);
	}
	p = strchr(word, '#');
	if (p) {
		*p = 0;
		t->mode = strtol(p + 1, NULL, 8);
	}
	p = strchr(word, '=');
	if (p) {
		*p = 0;
		t->has_value = 1;
		sfmt(t->value, sizeof(t->value), "%s", p + 1);
	}
	t->kind = word[0];
	sfmt(t->name, sizeof(t->name), "%s", word[0] == '-' ? word + 1 :
		 word[1] == ':' ? word + 2 : word + 1);
	return 1;
}

static int make_one(const struct token *t)
{
	switch (t->kind) {
	case 'f':
		if (put_file(t->name, t->name, strlen(t->name)) < 0)
			return -1;
		break;
	case 'd':	/* again for a directory: sets mode and owner */
		if (mkdir(t->name, 0755) < 0 && errno != EEXIST)
			return -1;
		break;
	case 'l':
		return symlink(t->value, t->name);
	case 'p':
		if (mknod(t->name, S_IFIFO | 0644, 0) < 0)
			return -1;
		break;
	case 'h':
		return link(t->value, t->name);
	default:
		errno = EINVAL;
		return -1;
	}
	if (t->uid != -1 && lchown(t->name, t->uid, t->gid) < 0)
		return -1;
	if (t->mode != -1 && chmod(t->name, t->mode) < 0)
		return -1;
	return 0;
}

/* Build a fixture; on error print why into err. */
int make_fixture(const char *spec, char *err, size_t cap)
{
	struct token t;

	while (spec && next_token(&spec, &t)) {
		if (make_one(&t) < 0) {
			sfmt(err, cap, "fixture %c:%s: %s", t.kind, t.name,
				 ename(errno));
			return -1;
		}
	}
	return 0;
}

static int check_type(const struct token *t, const struct stat *st,
		      char *err, size_t cap)
{
	static const struct {
		char kind;
		mode_t type;
		const char *what;
	} types[] = {
		{ 'f', S_IFREG, "regular file" }, { 'd', S_IFDIR, "directory" },
		{ 'l', S_IFLNK, "symlink" }, { 'p', S_IFIFO, "fifo" },
		{ 'c', S_IFCHR, "char device" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (types[i].kind != t->kind)
			continue;
		if ((st->st_mode & S_IFMT) == types[i].type)
			return 0;
		sfmt(err, cap, "%s is not a %s (mode %o)", t->name,
			 types[i].what, (unsigned int)st->st_mode);
		return -1;
	}
	return 0;
}

static int check_value(const struct token *t, const struct stat *st,
		       char *err, size_t cap)
{
	char buf[400];
	ssize_t n = 0;

	if (!t->has_value || (t->kind != 'f' && t->kind != 'l'))
		return 0;
	if (t->kind == 'f')
		n = get_file(t->name, buf, sizeof(buf) - 1);
	else
		n = readlink(t->name, buf, sizeof(buf) - 1);
	if (n < 0) {
		sfmt(err, cap, "reading %s: %s", t->name, ename(errno));
		return -1;
	}
	buf[n] = 0;
	if (strcmp(buf, t->value) == 0)
		return 0;
	sfmt(err, cap, "%s holds '%s', want '%s' (size %lld)", t->name,
		 buf, t->value, (long long)st->st_size);
	return -1;
}

static int check_owner(const struct token *t, const struct stat *st,
		       char *err, size_t cap)
{
	char got[64];

	sfmt(got, sizeof(got), "%u:%u", (unsigned int)st->st_uid,
		 (unsigned int)st->st_gid);
	if (strcmp(got, t->value) == 0)
		return 0;
	sfmt(err, cap, "%s is owned by %s, want %s", t->name, got,
		 t->value);
	return -1;
}

static int check_attr(const struct token *t, const struct stat *st,
		      char *err, size_t cap)
{
	long long want = strtoll(t->value, NULL, t->kind == 'm' ? 8 : 10);
	long long got;
	struct stat o;

	switch (t->kind) {
	case 'n': got = st->st_nlink; break;
	case 'm': got = st->st_mode & 07777; break;
	case 's': got = st->st_size; break;
	case 'u':
		return check_owner(t, st, err, cap);
	case 'i':
		if (lstat(t->value, &o) < 0) {
			sfmt(err, cap, "lstat %s: %s", t->value,
				 ename(errno));
			return -1;
		}
		got = o.st_ino;
		want = st->st_ino;
		break;
	default:
		return 0;
	}
	if (got == want)
		return 0;
	sfmt(err, cap, t->kind == 'm' ? "%c:%s is %llo, want %llo" :
		 "%c:%s is %lld, want %lld", t->kind, t->name, got, want);
	return -1;
}

/* Check a post-condition list; on mismatch print why into err. */
int check_post(const char *spec, char *err, size_t cap)
{
	struct token t;
	struct stat st;

	while (spec && next_token(&spec, &t)) {
		int r = lstat(t.name, &st);

		if (t.kind == '-') {
			if (r == 0 || errno != ENOENT) {
				sfmt(err, cap, "%s still exists (%s)",
					 t.name, r ? ename(errno) : "lstat ok");
				return -1;
			}
			continue;
		}
		if (r < 0) {
			sfmt(err, cap, "lstat %s: %s", t.name,
				 ename(errno));
			return -1;
		}
		if (check_type(&t, &st, err, cap) ||
		    check_value(&t, &st, err, cap) ||
		    check_attr(&t, &st, err, cap))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------- syscall-table checks */

/*
 * Path arguments of the tables may hold "%L" (a 256-byte name component,
 * one more than NAME_MAX) or "%K" (1100 bytes, more than FUSE's limit).
 */
static const char *expand(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (!in)
		return NULL;
	for (; *in && o + 1 < cap; in++) {
		size_t n = 0;

		if (in[0] == '%' && in[1] == 'L')
			n = 256;
		else if (in[0] == '%' && in[1] == 'K')
			n = 1100;
		if (!n) {
			out[o++] = *in;
			continue;
		}
		for (; n && o + 1 < cap; n--)
			out[o++] = 'x';
		in++;
	}
	out[o] = 0;
	return out;
}

/* why case c cannot run here, or NULL */
const char *case_unrunnable(unsigned int flags)
{
	if ((flags & (T_ROOT | T_USER)) && !cfg.is_root)
		return "needs root";
	if ((flags & T_USER) && !cfg.others)
		return "the mount lacks allow_other: other users cannot enter";
	if ((flags & T_PERM) && !cfg.perms)
		return "no default_permissions: the daemon checks permissions";
	if ((flags & T_XATTR) &&
	    (!cfg.xprefix || strcmp(cfg.xprefix, "user.") != 0))
		return "no user.* xattrs here";
	if ((flags & T_XANY) && !cfg.xprefix)
		return "no xattr namespace works here";
	return NULL;
}

void run_case(const struct tcase *c)
{
	char err[600] = "", a[1200], b[1200];
	struct stat st;
	int r, e;
	const char *why = case_unrunnable(c->flags);

	if (why)
		return skip(c->name, "%s", why);
	if (make_fixture(c->fix, err, sizeof(err)) < 0)
		return fail(c->name, "%s", err);
	expand(c->a, a, sizeof(a));
	expand(c->b, b, sizeof(b));
	if (c->flags & T_USER)
		r = as_user(c->op, a, c->b ? b : NULL);
	else
		r = c->op(a, c->b ? b : NULL);
	e = err_of(r);
	if (c->op == op_link && e == EPERM && c->want != EPERM &&
	    !cfg.is_root && lstat(a, &st) == 0 && st.st_uid != geteuid())
		return skip(c->name, "fs.protected_hardlinks: the daemon made "
			    "the file uid %u's, not ours", (unsigned)st.st_uid);
	if ((c->flags & T_FLAGS) && e == EINVAL && c->want != EINVAL)
		return skip(c->name, "renameat2 flags unsupported (EINVAL)");
	if ((c->flags & T_OPT) && unsupported(e) && !unsupported(c->want))
		return skip(c->name, "the daemon lacks it (%s)", ename(e));
	if (e != c->want)
		return fail(c->name, "got %s, want %s", ename(e),
			    ename(c->want));
	if (check_post(c->post, err, sizeof(err)) < 0)
		return fail(c->name, "%s", err);
	pass(c->name);
}
