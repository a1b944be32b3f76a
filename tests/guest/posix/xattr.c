// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: extended attributes in the namespace that works here (user.,
 * else trusted. as root): create and replace flags, get with a small
 * buffer and for the size, list, remove, empty and 4000-byte values, on a
 * directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "posix.h"

enum xop { XSET, XGET, XSIZE, XLIST, XDEL };

struct xstep {
	const char *name;
	enum xop op;
	const char *attr;	/* without the namespace prefix */
	const char *value;	/* XSET: the value; XGET: the expected value */
	int flags;		/* XSET: XATTR_CREATE/REPLACE */
	size_t bufsize;		/* XGET/XLIST */
	int want;		/* errno */
};

/* run on one file, in order */
static const struct xstep xsteps[] = {
	{ "xattr-create", XSET, "one", "v1", XATTR_CREATE, 0, 0 },
	{ "xattr-create-eexist", XSET, "one", "v2", XATTR_CREATE, 0, EEXIST },
	{ "xattr-replace-enodata", XSET, "two", "v", XATTR_REPLACE, 0, ENODATA },
	{ "xattr-get", XGET, "one", "v1", 0, 64, 0 },
	{ "xattr-replace", XSET, "one", "value2", XATTR_REPLACE, 0, 0 },
	{ "xattr-get-replaced", XGET, "one", "value2", 0, 64, 0 },
	{ "xattr-get-size", XSIZE, "one", "6", 0, 0, 0 },
	{ "xattr-get-erange", XGET, "one", NULL, 0, 2, ERANGE },
	{ "xattr-set", XSET, "two", "2", 0, 0, 0 },
	{ "xattr-set-overwrite", XSET, "two", "22", 0, 0, 0 },
	{ "xattr-empty-value", XSET, "empty", "", 0, 0, 0 },
	{ "xattr-get-empty", XGET, "empty", "", 0, 64, 0 },
	{ "xattr-list", XLIST, NULL, NULL, 0, 4096, 0 },
	{ "xattr-list-erange", XLIST, NULL, NULL, 0, 1, ERANGE },
	{ "xattr-remove", XDEL, "one", NULL, 0, 0, 0 },
	{ "xattr-get-removed", XGET, "one", NULL, 0, 64, ENODATA },
	{ "xattr-remove-enodata", XDEL, "one", NULL, 0, 0, ENODATA },
	{ "xattr-get-enodata", XGET, "never", NULL, 0, 64, ENODATA },
};

/* the list must hold one, two and empty, each once */
static int xlist_ok(const char *list, ssize_t n, char *err, size_t cap)
{
	static const char *const names[] = { "one", "two", "empty" };
	char full[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		const char *p;
		int seen = 0;

		sfmt(full, sizeof(full), "%s%s", cfg.xprefix, names[i]);
		for (p = list; p < list + n; p += strlen(p) + 1)
			seen += strcmp(p, full) == 0;
		if (seen != 1) {
			sfmt(err, cap, "%s listed %d times", full, seen);
			return -1;
		}
	}
	return 0;
}

/* one step on path: 0 when it went as expected, else err says why */
static int xstep_run(const struct xstep *x, const char *path, int *e,
		     char *err, size_t cap)
{
	char attr[64], buf[4096];
	ssize_t n = 0;

	sfmt(attr, sizeof(attr), "%s%s", cfg.xprefix, x->attr ? x->attr : "");
	switch (x->op) {
	case XSET:
		n = lsetxattr(path, attr, x->value, strlen(x->value), x->flags);
		break;
	case XGET:
		n = lgetxattr(path, attr, buf, x->bufsize);
		break;
	case XSIZE:
		n = lgetxattr(path, attr, NULL, 0);
		break;
	case XLIST:
		n = llistxattr(path, buf, x->bufsize);
		break;
	case XDEL:
		n = lremovexattr(path, attr);
		break;
	}
	*e = err_of(n < 0 ? -1 : 0);
	if (*e != x->want) {
		sfmt(err, cap, "got %s, want %s", ename(*e), ename(x->want));
		return -1;
	}
	if (*e)
		return 0;
	if (x->op == XGET && x->value &&
	    ((size_t)n != strlen(x->value) || memcmp(buf, x->value, n))) {
		sfmt(err, cap, "value '%.*s', want '%s'", (int)n, buf,
			 x->value);
		return -1;
	}
	if (x->op == XSIZE && n != atol(x->value)) {
		sfmt(err, cap, "size %zd, want %s", n, x->value);
		return -1;
	}
	if (x->op == XLIST)
		return xlist_ok(buf, n, err, cap);
	return 0;
}

static void xattr_steps(const char *name)
{
	const char *why = NULL;
	char err[300];
	size_t i;
	int e;

	(void)name;
	if (!cfg.xprefix)
		why = "no xattr namespace works here";
	else if (put_file("a", "x", 1) < 0)
		why = "cannot create the file";
	for (i = 0; i < ARRAY_SIZE(xsteps); i++) {
		if (why) {
			skip(xsteps[i].name, "%s", why);
			continue;
		}
		if (xstep_run(&xsteps[i], "a", &e, err, sizeof(err)) == 0) {
			pass(xsteps[i].name);
		} else if (unsupported(e)) {
			why = "the daemon lacks xattrs";
			skip(xsteps[i].name, "%s (%s)", why, ename(e));
		} else {
			fail(xsteps[i].name, "%s", err);
		}
	}
}

/* skip when no namespace, 1 when set worked */
static int xattr_set_value(const char *name, const char *path,
			   const char *attr, const void *v, size_t len)
{
	char full[64];
	int e;

	if (!cfg.xprefix) {
		skip(name, "no xattr namespace works here");
		return 0;
	}
	sfmt(full, sizeof(full), "%s%s", cfg.xprefix, attr);
	e = err_of(lsetxattr(path, full, v, len, 0));
	if (unsupported(e))
		skip(name, "the daemon lacks xattrs (%s)", ename(e));
	else if (e)
		fail(name, "setxattr: %s", ename(e));
	return e == 0;
}

static void xattr_big(const char *name)
{
	unsigned char v[4000], got[4096];
	char full[64];
	ssize_t n;

	fill_pattern(v, sizeof(v), 5);
	if (put_file("a", "x", 1) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!xattr_set_value(name, "a", "big", v, sizeof(v)))
		return;
	sfmt(full, sizeof(full), "%sbig", cfg.xprefix);
	n = lgetxattr("a", full, got, sizeof(got));
	verdict(name, n == sizeof(v) && !memcmp(got, v, sizeof(v)),
		"getxattr returned %zd (%s)", n, n < 0 ? ename(errno) : "data");
}

static void xattr_dir(const char *name)
{
	char full[64], got[16];
	ssize_t n;

	if (mkdir("d", 0755) < 0)
		return fail(name, "setup: %s", ename(errno));
	if (!xattr_set_value(name, "d", "dir", "dv", 2))
		return;
	sfmt(full, sizeof(full), "%sdir", cfg.xprefix);
	n = lgetxattr("d", full, got, sizeof(got));
	verdict(name, n == 2 && !memcmp(got, "dv", 2), "getxattr returned %zd",
		n);
}

static const struct fcase xattr_fcases[] = {
	{ "xattr", xattr_steps },
	{ "xattr-big", xattr_big },
	{ "xattr-dir", xattr_dir },
};

const struct topic topic_xattr = TOPIC_FCASES(xattr_fcases);
