// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest: readdir(3): . and .. once, 150 names, after unlinks,
 * rewinddir after a change, telldir/seekdir, d_type and d_ino.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

/* Count the entries of a directory stream, check . and .. and marks. */
struct listing {
	int n, dot, dotdot;
	char seen[200];		/* seen[i]: f%03d was listed */
	char other[64];		/* an unexpected name */
};

static int list_dir(DIR *d, struct listing *l)
{
	struct dirent *de;

	memset(l, 0, sizeof(*l));
	errno = 0;
	while ((de = readdir(d))) {
		int i;

		if (!strcmp(de->d_name, "."))
			l->dot++;
		else if (!strcmp(de->d_name, ".."))
			l->dotdot++;
		else if (sscanf(de->d_name, "f%d", &i) == 1 && i >= 0 && i < 200)
			l->seen[i]++, l->n++;
		else
			sfmt(l->other, sizeof(l->other), "%s", de->d_name),
				l->n++;
	}
	return errno ? -1 : 0;
}

/* the listing holds exactly f000..f(count-1) where keep(i) */
static int listing_is(const struct listing *l, int count, int step, char *err,
		      size_t cap)
{
	int i, want = 0;

	for (i = 0; i < 200; i++) {
		int exp = i < count && i % step == 0;

		want += exp;
		if (l->seen[i] != exp) {
			sfmt(err, cap, "f%03d listed %d times, want %d", i,
				 l->seen[i], exp);
			return -1;
		}
	}
	if (l->dot != 1 || l->dotdot != 1 || l->n != want) {
		sfmt(err, cap, ". %d times, .. %d times, %d names (want %d)%s%s",
			 l->dot, l->dotdot, l->n, want, l->other[0] ? ", extra " : "",
			 l->other);
		return -1;
	}
	return 0;
}

static int list_path(const char *path, struct listing *l)
{
	DIR *d = opendir(path);
	int r;

	if (!d)
		return -1;
	r = list_dir(d, l);
	closedir(d);
	return r;
}

static void readdir_many(const char *name)
{
	struct listing l;
	char err[300] = "", f[16];
	int i;

	(void)name;
	verdict("readdir-empty", list_path(".", &l) == 0 &&
		listing_is(&l, 0, 1, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < 150; i++) {
		sfmt(f, sizeof(f), "f%03d", i);
		if (put_file(f, "x", 1) < 0)
			return fail("readdir-150", "create %s: %s", f, ename(errno));
	}
	verdict("readdir-150", list_path(".", &l) == 0 &&
		listing_is(&l, 150, 1, err, sizeof(err)) == 0, "%s", err);
	for (i = 1; i < 150; i += 2) {
		sfmt(f, sizeof(f), "f%03d", i);
		unlink(f);
	}
	verdict("readdir-after-unlink", list_path(".", &l) == 0 &&
		listing_is(&l, 150, 2, err, sizeof(err)) == 0, "%s", err);
}

/* rewinddir after a change shows the change (readdir caches) */
static void readdir_rewind(const char *name)
{
	struct listing l;
	char err[300] = "";
	DIR *d;

	if (put_file("f000", "x", 1) < 0 || !(d = opendir(".")))
		return fail(name, "setup: %s", ename(errno));
	list_dir(d, &l);
	if (put_file("f001", "x", 1) < 0)
		return fail(name, "create: %s", ename(errno));
	rewinddir(d);
	verdict(name, list_dir(d, &l) == 0 &&
		listing_is(&l, 2, 1, err, sizeof(err)) == 0, "%s", err);
	closedir(d);
}

static void readdir_seek(const char *name)
{
	char f[16], at[300] = "", again[300] = "";
	struct dirent *de;
	long pos;
	DIR *d;
	int i;

	for (i = 0; i < 60; i++) {
		sfmt(f, sizeof(f), "f%03d", i);
		if (put_file(f, "x", 1) < 0)
			return fail(name, "create: %s", ename(errno));
	}
	if (!(d = opendir(".")))
		return fail(name, "opendir: %s", ename(errno));
	for (i = 0; i < 30 && readdir(d); i++)
		;
	pos = telldir(d);
	if ((de = readdir(d)))
		sfmt(at, sizeof(at), "%s", de->d_name);
	for (i = 0; i < 10 && readdir(d); i++)
		;
	seekdir(d, pos);
	if ((de = readdir(d)))
		sfmt(again, sizeof(again), "%s", de->d_name);
	verdict(name, at[0] && !strcmp(at, again),
		"entry after seekdir is '%s', want '%s'", again, at);
	closedir(d);
}

static void readdir_types(const char *name)
{
	static const struct {
		const char *name;
		unsigned char type;
	} want[] = { { "f", DT_REG }, { "d", DT_DIR }, { "l", DT_LNK },
		     { "p", DT_FIFO } };
	char err[300] = "";
	struct dirent *de;
	struct stat st;
	size_t i;
	int found = 0;
	DIR *d;

	if (make_fixture("f:f d:d l:l=f p:p", err, sizeof(err)) < 0)
		return fail(name, "%s", err);
	if (!(d = opendir(".")))
		return fail(name, "opendir: %s", ename(errno));
	while ((de = readdir(d)) && !err[0]) {
		for (i = 0; i < ARRAY_SIZE(want); i++) {
			if (strcmp(de->d_name, want[i].name))
				continue;
			found++;
			if (de->d_type != want[i].type)
				sfmt(err, sizeof(err), "%s: d_type %d, want %d",
					 de->d_name, de->d_type, want[i].type);
			else if (lstat(de->d_name, &st) < 0 ||
				 st.st_ino != de->d_ino)
				sfmt(err, sizeof(err), "%s: d_ino %llu, st_ino %llu",
					 de->d_name, (unsigned long long)de->d_ino,
					 (unsigned long long)st.st_ino);
		}
	}
	closedir(d);
	verdict(name, !err[0] && found == 4, "%s (found %d of 4)", err, found);
}

static const struct fcase readdir_fcases[] = {
	{ "readdir", readdir_many },
	{ "readdir-rewind", readdir_rewind },
	{ "readdir-seekdir", readdir_seek },
	{ "readdir-types", readdir_types },
};

const struct topic topic_readdir = TOPIC_FCASES(readdir_fcases);
