// SPDX-License-Identifier: GPL-2.0
/*
 * posixtest - POSIX / Linux file system semantics checks for a FUSE mount
 *
 * usage: posixtest [-kv] [-t SECS] [-u UID] [-U UID] [-o REGEX] [-l LOWER] DIR
 *
 * Creates DIR/posixtest.XXXXXX and, for every check, a fresh directory
 * below it named after the check.  Each check prints one line:
 *   PASS posix-NAME | FAIL posix-NAME: detail | SKIP posix-NAME: reason
 * Lines starting with '#' are information.  Every check runs in its own
 * process with a time limit (-t, default 30 s), so a hang or a crash is
 * reported as that check's failure and the run goes on.
 *
 *   -k        keep the scratch directory
 *   -v        print each check's duration
 *   -u UID    the unprivileged user for permission checks (default 1000;
 *             its gid is the same number)
 *   -U UID    run everything as UID (gid the same number, no
 *             supplementary groups): root drops its privileges first
 *   -o REGEX  run only the checks whose name matches
 *   -l LOWER  the directory the daemon serves as DIR: data checks then
 *             also compare the files there (what the daemon really wrote)
 *
 * Permission checks (EACCES/EPERM as the unprivileged user) need the
 * kernel to enforce permissions: on a FUSE mount that means the
 * default_permissions option (else the daemon, running as root, decides),
 * and allow_other for the user to enter the mount at all.  Both are read
 * from /proc/self/mountinfo.
 *
 * Exit status: 0 when the checks ran (whatever their results), 2 when
 * they could not run at all (usage, no scratch directory).
 *
 * This file has the options, the mount and the runner; the checks are in
 * one file per topic, listed in posix.h with the helpers they share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "posix.h"

struct settings cfg = { .timeout = 30, .uid = 1000, .run_as = -1 };

/* ------------------------------------------------------------- topics */

/* The tables, in the order they run (posix.h says which file has each). */
static const struct topic *const topics[] = {
	/* syscall tables: fixture, call, errno, post-conditions */
	&topic_open, &topic_mknod, &topic_mkdir, &topic_unlink, &topic_rename,
	&topic_link, &topic_symlink, &topic_truncate, &topic_chmod,
	&topic_suid, &topic_perm,
	/* timestamps */
	&topic_time,
	/* checks of their own code */
	&topic_io, &topic_truncate_data, &topic_utimens, &topic_fchmod,
	&topic_mknod_rdev, &topic_symlink_long, &topic_rename_whiteout,
	&topic_xattr, &topic_fsync, &topic_fallocate, &topic_seek, &topic_cfr,
	&topic_append, &topic_big, &topic_direct, &topic_lock, &topic_flock,
	&topic_readdir, &topic_umask,
};

/* ------------------------------------------------------------- runner */

static int selected(const char *name)
{
	return !cfg.have_only || regexec(&cfg.only, name, 0, NULL, 0) == 0;
}

/* wait for pid at most cfg.timeout seconds; its wait status or -1 */
static int wait_limited(pid_t pid)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	int st, r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(cfg.timeout);
	r = waitpid(pid, &st, 0);
	alarm(0);
	if (r == pid)
		return st;
	kill(pid, SIGKILL);
	/* a child stuck in an uninterruptible wait is left behind */
	alarm(2);
	r = waitpid(pid, &st, 0);
	alarm(0);
	return -1;
}

/*
 * Run one check in a child, in a fresh directory named after it (the
 * parent also fails the check when the child hangs or crashes).
 */
static void in_child(const char *name, void (*body)(const void *),
		     const void *arg)
{
	long long t0;
	pid_t pid;
	int st;

	if (!selected(name))
		return;
	if (fchdir(cfg.scratch_fd) < 0 || mkdir(name, 0755) < 0 ||
	    chdir(name) < 0) {
		fail(name, "cannot make its directory: %s", ename(errno));
		if (errno == ENOTCONN || errno == ECONNABORTED) {
			fprintf(stderr, "posixtest: the mount is gone (%s)\n",
				ename(errno));
			exit(2);
		}
		return;
	}
	if (cfg.lower)
		sfmt(cfg.here_lower, sizeof(cfg.here_lower), "%s/%s/%s",
		     cfg.lower, strrchr(cfg.scratch, '/') + 1, name);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(name, "fork: %s", ename(errno));
	if (pid == 0) {
		body(arg);
		fflush(stdout);
		_exit(0);
	}
	t0 = now_ms();
	st = wait_limited(pid);
	if (cfg.verbose)
		printf("# %s: %lld ms\n", name, now_ms() - t0);
	if (st == -1)
		fail(name, "timed out after %d s", cfg.timeout);
	else if (WIFSIGNALED(st))
		fail(name, "killed by signal %d", WTERMSIG(st));
	else if (WEXITSTATUS(st))
		fail(name, "exit status %d", WEXITSTATUS(st));
	if (fchdir(cfg.scratch_fd) < 0) {
		fail(name, "after it, cannot enter %s: %s", cfg.scratch,
		     ename(errno));
		fprintf(stderr, "posixtest: lost the scratch directory after %s\n",
			name);
		exit(2);
	}
}

static void body_case(const void *p)
{
	run_case(p);
}

static void body_tmcase(const void *p)
{
	run_tmcase(p);
}

static void body_fcase(const void *p)
{
	const struct fcase *f = p;

	f->fn(f->name);
}

static void run_topic(const struct topic *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->cases)
			in_child(t->cases[i].name, body_case, &t->cases[i]);
		else if (t->tmcases)
			in_child(t->tmcases[i].name, body_tmcase,
				 &t->tmcases[i]);
		else
			in_child(t->fcases[i].name, body_fcase, &t->fcases[i]);
	}
}

static void run_all(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(topics); i++)
		run_topic(topics[i]);
}

/* ------------------------------------------------------ the mount */

/* "\040" in mountinfo fields is a space (and so on) */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*o++ = (char)strtol((char[]){ s[1], s[2], s[3], 0 }, NULL, 8);
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* is mnt a path prefix of path (on component boundaries)? */
static size_t prefix_len(const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return 1;
	if (strncmp(mnt, path, n) || (path[n] && path[n] != '/'))
		return 0;
	return n;
}

/* Find the mount holding path; fill cfg.fstype, cfg.perms, cfg.others. */
static void detect_mount(const char *path)
{
	char line[4096], mnt[PATH_MAX], type[64], opts[2048], best_opts[2048] = "";
	size_t best = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		size_t n;

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %2047s", type, opts) != 2)
			continue;
		unescape(mnt);
		n = prefix_len(mnt, path);
		if (n && n >= best) {
			best = n;
			sfmt(cfg.fstype, sizeof(cfg.fstype), "%s", type);
			sfmt(best_opts, sizeof(best_opts), ",%s,", opts);
		}
	}
	if (f)
		fclose(f);
	cfg.is_fuse = !strncmp(cfg.fstype, "fuse", 4);
	cfg.perms = !cfg.is_fuse || strstr(best_opts, ",default_permissions,");
	cfg.others = !cfg.is_fuse || strstr(best_opts, ",allow_other,");
}

/* the xattr namespace to use: user. if it works, else trusted. as root */
static void detect_xattr(void)
{
	static const char *const prefixes[] = { "user.", "trusted." };
	char name[64];
	size_t i;

	if (put_file("xattr-probe", "x", 1) < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		sfmt(name, sizeof(name), "%sposixtest", prefixes[i]);
		if (setxattr("xattr-probe", name, "1", 1, 0) == 0) {
			cfg.xprefix = prefixes[i];
			break;
		}
	}
	unlink("xattr-probe");
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);	/* best effort: go on with the rest */
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: posixtest [-kv] [-t SECS] [-u UID] [-U UID] "
		"[-o REGEX] "
		"[-l LOWER] DIR\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "kvt:u:U:o:l:")) != -1) {
		switch (c) {
		case 'k': cfg.keep = 1; break;
		case 'v': cfg.verbose = 1; break;
		case 'l': cfg.lower = optarg; break;
		case 't': cfg.timeout = atoi(optarg); break;
		case 'u': cfg.uid = atoi(optarg); break;
		case 'U': cfg.run_as = atol(optarg); break;
		case 'o':
			if (regcomp(&cfg.only, optarg, REG_EXTENDED | REG_NOSUB))
				usage();
			cfg.have_only = 1;
			break;
		default: usage();
		}
	}
	if (optind != argc - 1 || cfg.timeout <= 0)
		usage();
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX];

	parse_args(argc, argv);
	if (cfg.run_as >= 0 &&
	    (setgroups(0, NULL) < 0 || setgid(cfg.run_as) < 0 ||
	     setuid(cfg.run_as) < 0)) {
		fprintf(stderr, "posixtest: cannot become uid %ld: %s\n",
			cfg.run_as, strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	cfg.is_root = geteuid() == 0;
	if (!realpath(argv[optind], dir)) {
		fprintf(stderr, "posixtest: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	sfmt(cfg.scratch, sizeof(cfg.scratch), "%s/posixtest.XXXXXX", dir);
	if (!mkdtemp(cfg.scratch) || chmod(cfg.scratch, 0755) < 0 ||
	    chdir(cfg.scratch) < 0 ||
	    (cfg.scratch_fd = open(".", O_RDONLY | O_DIRECTORY)) < 0) {
		fprintf(stderr, "posixtest: cannot make a directory in %s: %s\n",
			dir, strerror(errno));
		return 2;
	}
	detect_mount(cfg.scratch);
	detect_xattr();
	printf("# posixtest: dir=%s fs=%s perms=%s others=%s xattr=%s root=%s\n",
	       cfg.scratch, cfg.fstype, cfg.perms ? "kernel" : "daemon",
	       cfg.others ? "yes" : "no", cfg.xprefix ? cfg.xprefix : "none",
	       cfg.is_root ? "yes" : "no");
	run_all();
	if (!cfg.keep && chdir(dir) == 0)
		nftw(cfg.scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("# posixtest: done\n");
	return 0;
}
