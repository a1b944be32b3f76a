// SPDX-License-Identifier: GPL-2.0
/*
 * mount.fusept - the mount(8) helper of fusept file systems
 *
 *   mount -t fusept.DAEMON [-o OPTIONS] SOURCE MOUNTPOINT
 *   mount -t fusept [-o OPTIONS] DAEMON#SOURCE MOUNTPOINT
 *   /etc/fstab: SOURCE MOUNTPOINT fusept.DAEMON OPTIONS 0 0
 *
 * mount(8) runs "mount.fusept SOURCE MOUNTPOINT [-o OPTIONS] [-t TYPE]".
 * This opens /dev/fusept (loading the module if needed), mounts, starts
 * "DAEMON SOURCE /dev/fd/N [-o DAEMON-OPTIONS]" (DAEMON through PATH, a
 * default one if mount(8) gave none; a SOURCE of "none" or "" is not
 * passed) and returns once the daemon has answered INIT, or fails if it
 * dies first. Kernel options go to the
 * mount, setuid=USER runs the daemon as USER, the options of mount(8)
 * and systemd are ignored, all others go to the daemon. With
 * auto_unmount (the default; noauto_unmount turns it off) a watcher
 * detaches the mount once no daemon holds the connection any more.
 *
 * Exit status: 0 mounted, 1 bad invocation or input, 32 mount failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_INPUT	1
#define EXIT_MOUNT	32
#define DEVICE		"/dev/fusept"
#define CONNS		"/sys/fs/fusept/connections"
#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct req {
	const char *type;	/* -t, or NULL */
	const char *source;	/* NULL: none for the daemon */
	const char *mountpoint;
	char mp_real[PATH_MAX];	/* canonical, as in mountinfo */
	char *daemon;		/* as named */
	char *daemon_path;
	unsigned long flags;
	char *kernel_opts;
	char *daemon_opts;
	const char *setuid_name;
	uid_t uid;
	gid_t gid;
	bool auto_unmount;
	bool verbose;
	bool fake;
	int timeout;		/* seconds to wait for INIT */
	unsigned int conn;	/* /sys/fs/fusept/connections/N */
	unsigned int major, minor;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("mount.fusept: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void append(char **list, const char *opt)
{
	char *n;

	if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? "," : "",
		     opt) < 0)
		die(EXIT_MOUNT, "out of memory");
	free(*list);
	*list = n;
}

/* mount(2) flags */
static const struct {
	const char *name;
	unsigned long set, clear;
} flag_opts[] = {
	{ "ro", MS_RDONLY, 0 },		{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },	{ "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 },	{ "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
	{ "relatime", MS_RELATIME, 0 },	{ "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "sync", MS_SYNCHRONOUS, 0 },	{ "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
};

/* for mount(8) and systemd, not for the file system */
static bool ignored_opt(const char *opt)
{
	static const char *const names[] = {
		"", "defaults", "auto", "noauto", "user", "nouser", "users",
		"owner", "group", "nofail", "_netdev",
	};
	size_t i;

	if (!strncmp(opt, "x-", 2) || !strncmp(opt, "comment=", 8))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(opt, names[i]))
			return true;
	return false;
}

static bool flag_opt(struct req *r, const char *opt)
{
	size_t i;

	for (i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++) {
		if (!strcmp(opt, flag_opts[i].name)) {
			r->flags |= flag_opts[i].set;
			r->flags &= ~flag_opts[i].clear;
			return true;
		}
	}
	return false;
}

/* fusept's own mount options; those mount.fusept sets itself are refused */
static bool kernel_opt(struct req *r, const char *opt)
{
	static const char *const reserved[] = {
		"fd=", "rootmode=", "user_id=", "group_id=", "subtype=",
	};
	const char *v = strchr(opt, '=');
	size_t i;
	char *end;
	unsigned long n;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strncmp(opt, reserved[i], strlen(reserved[i])))
			die(EXIT_INPUT, "%s: set by mount.fusept itself", opt);
	if (!strcmp(opt, "allow_other") || !strcmp(opt, "default_permissions")) {
		append(&r->kernel_opts, opt);
		return true;
	}
	if (strncmp(opt, "max_read=", 9) && strncmp(opt, "blksize=", 8))
		return false;
	errno = 0;
	n = strtoul(v + 1, &end, 10);
	if (!v[1] || *end || errno || !n || n > UINT_MAX || v[1] == '-')
		die(EXIT_INPUT, "%s: not a positive number", opt);
	append(&r->kernel_opts, opt);
	return true;
}

static void parse_opts(struct req *r, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *opt;

	if (!copy)
		die(EXIT_MOUNT, "out of memory");
	for (opt = strtok_r(copy, ",", &save); opt;
	     opt = strtok_r(NULL, ",", &save)) {
		if (!strncmp(opt, "setuid=", 7)) {
			r->setuid_name = strdup(opt + 7);
		} else if (!strcmp(opt, "auto_unmount")) {
			r->auto_unmount = true;
		} else if (!strcmp(opt, "noauto_unmount")) {
			r->auto_unmount = false;
		} else if (!ignored_opt(opt) && !flag_opt(r, opt) &&
			   !kernel_opt(r, opt)) {
			append(&r->daemon_opts, opt);
		}
	}
	free(copy);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mount.fusept SOURCE MOUNTPOINT [-o OPTIONS] -t fusept.DAEMON\n"
		"       mount.fusept DAEMON#SOURCE MOUNTPOINT [-o OPTIONS] [-t fusept]\n"
		"(see mount.fusept(8))\n");
	exit(EXIT_INPUT);
}

/* DAEMON and SOURCE from "-t fusept.DAEMON SOURCE" or "DAEMON#SOURCE" */
static void split_type(struct req *r, const char *source)
{
	const char *hash;

	if (r->type && !strncmp(r->type, "fusept.", 7) && r->type[7]) {
		r->daemon = strdup(r->type + 7);
		r->source = source;
	} else if (r->type && strcmp(r->type, "fusept")) {
		die(EXIT_INPUT, "type %s: not fusept.DAEMON", r->type);
	} else if ((hash = strchr(source, '#')) && hash != source) {
		r->daemon = strndup(source, hash - source);
		r->source = hash + 1;
	} else {
		die(EXIT_INPUT, "no daemon: use -t fusept.DAEMON or DAEMON#SOURCE");
	}
	if (!r->daemon)
		die(EXIT_MOUNT, "out of memory");
	if (!r->source[0] || !strcmp(r->source, "none"))
		r->source = NULL;
}

static void parse_args(struct req *r, int argc, char **argv)
{
	const char *source;
	int c;

	if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-')
		usage();
	source = argv[1];
	r->mountpoint = argv[2];
	optind = 3;
	while ((c = getopt(argc, argv, "o:t:nsvfh")) != -1) {
		switch (c) {
		case 'o':
			parse_opts(r, optarg);
			break;
		case 't':
			r->type = optarg;
			break;
		case 'v':
			r->verbose = true;
			break;
		case 'f':
			r->fake = true;
			break;
		case 'n':	/* no mtab: there is none */
		case 's':	/* sloppy: unknown options go to the daemon */
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	split_type(r, source);
}

static char *find_daemon(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : strdup(name);
	copy = strdup(path && *path ? path : DEFAULT_PATH);
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		if (asprintf(&found, "%s/%s", dir, name) < 0)
			found = NULL;
		else if (access(found, X_OK)) {
			free(found);
			found = NULL;
		}
	}
	free(copy);
	return found;
}

static void check_input(struct req *r)
{
	struct passwd *pw;
	struct stat st;

	r->daemon_path = find_daemon(r->daemon);
	if (!r->daemon_path)
		die(EXIT_INPUT, "daemon %s: not found (PATH=%s)", r->daemon,
		    getenv("PATH") ? getenv("PATH") : DEFAULT_PATH);
	if (stat(r->mountpoint, &st))
		die(EXIT_INPUT, "%s: %s", r->mountpoint, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die(EXIT_INPUT, "%s: not a directory", r->mountpoint);
	if (!realpath(r->mountpoint, r->mp_real))
		die(EXIT_INPUT, "%s: %s", r->mountpoint, strerror(errno));
	r->uid = getuid();
	r->gid = getgid();
	if (r->setuid_name) {
		pw = getpwnam(r->setuid_name);
		if (!pw)
			die(EXIT_INPUT, "setuid=%s: no such user", r->setuid_name);
		r->uid = pw->pw_uid;
		r->gid = pw->pw_gid;
	}
}

static int run_modprobe(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execlp("modprobe", "modprobe", "-q", "fusept", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static int open_device(void)
{
	int fd = open(DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO) &&
	    !run_modprobe())
		fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_MOUNT, "cannot open %s: %s (is the fusept module installed? modprobe fusept)",
		    DEVICE, strerror(errno));
	return fd;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void do_mount(struct req *r, int fd)
{
	char *data;

	if (asprintf(&data, "fd=%d,rootmode=40000,user_id=%u,group_id=%u,subtype=%s%s%s",
		     fd, (unsigned int)r->uid, (unsigned int)r->gid,
		     base_name(r->daemon), r->kernel_opts ? "," : "",
		     r->kernel_opts ? r->kernel_opts : "") < 0)
		die(EXIT_MOUNT, "out of memory");
	if (r->verbose)
		fprintf(stderr, "mount.fusept: mount -t fusept -o %s %s %s\n",
			data, r->source ? r->source : r->daemon, r->mp_real);
	if (mount(r->source ? r->source : r->daemon, r->mp_real, "fusept",
		  r->flags, data)) {
		if (errno == ENODEV)
			die(EXIT_MOUNT, "file system type fusept unknown (modprobe fusept)");
		die(EXIT_MOUNT, "mounting %s: %s (options %s; see dmesg)",
		    r->mountpoint, strerror(errno), data);
	}
	free(data);
}

/* "\040" and friends in /proc/self/mountinfo */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = 0;
}

/*
 * The device numbers of the last fusept mount on r->mp_real, or with
 * want set, whether that mount (those numbers) is still there.
 */
static bool find_mount(struct req *r, bool want)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, mp[PATH_MAX], type[64];
	unsigned int maj, min;
	bool found = false;
	size_t n = 0;
	char *sep;

	if (!f)
		return false;
	while (getline(&line, &n, f) > 0) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mp) != 3 ||
		    sscanf(sep + 3, "%63s", type) != 1)
			continue;
		unescape(mp);
		if (strcmp(mp, r->mp_real) ||
		    (strcmp(type, "fusept") && strncmp(type, "fusept.", 7)))
			continue;
		if (want) {
			found |= maj == r->major && min == r->minor;
		} else {
			r->major = maj;
			r->minor = min;
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* the connection's state file: init, live, error, ended; "" if gone */
static void read_state(const struct req *r, char *buf, size_t size)
{
	char path[128];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), CONNS "/%u/state", r->conn);
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, size - 1);
	close(fd);
	buf[len > 0 ? len : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static void abort_conn(const struct req *r)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), CONNS "/%u/abort", r->conn);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* if this fails, the umount below still detaches the mount */
		ssize_t n = write(fd, "1", 1);

		(void)n;
		close(fd);
	}
}

static void child_exec(struct req *r, int fd)
{
	char fdpath[32];
	const char *argv[8];
	int i = 0, null;

	setsid();
	null = open("/dev/null", O_RDONLY);
	if (null > 0) {
		dup2(null, 0);
		close(null);
	}
	fcntl(fd, F_SETFD, 0);	/* the daemon's end of the connection */
	if (r->setuid_name &&
	    (initgroups(r->setuid_name, r->gid) || setgid(r->gid) ||
	     setuid(r->uid))) {
		fprintf(stderr, "mount.fusept: setuid=%s: %s\n",
			r->setuid_name, strerror(errno));
		_exit(126);
	}
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	argv[i++] = r->daemon;
	if (r->source)
		argv[i++] = r->source;
	argv[i++] = fdpath;
	if (r->daemon_opts) {
		argv[i++] = "-o";
		argv[i++] = r->daemon_opts;
	}
	argv[i] = NULL;
	execv(r->daemon_path, (char *const *)argv);
	fprintf(stderr, "mount.fusept: cannot execute %s: %s\n",
		r->daemon_path, strerror(errno));
	_exit(127);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Undo the mount after a failed start; the daemon, if still there, goes */
static void __attribute__((noreturn)) fail_start(struct req *r, pid_t pid,
						 const char *why)
{
	abort_conn(r);
	if (umount2(r->mp_real, MNT_DETACH))
		fprintf(stderr, "mount.fusept: cannot unmount %s: %s\n",
			r->mp_real, strerror(errno));
	if (pid > 0 && kill(pid, SIGTERM) == 0)
		waitpid(pid, NULL, 0);
	die(EXIT_MOUNT, "%s: %s", r->daemon, why);
}

/*
 * Has the daemon (*pid, 0 once reaped or when it daemonized) ended with a
 * failure? Waits up to wait_ms for it to end; *why says how it ended.
 */
static bool daemon_failed(pid_t *pid, long wait_ms, char *why, size_t size)
{
	long waited = 0;
	int status;

	while (*pid > 0) {
		if (waitpid(*pid, &status, WNOHANG) == *pid) {
			*pid = 0;	/* it may have daemonized: go on */
			if (WIFSIGNALED(status)) {
				snprintf(why, size, "killed by signal %d before answering",
					 WTERMSIG(status));
				return true;
			}
			if (WEXITSTATUS(status)) {
				snprintf(why, size, "exited with status %d before answering",
					 WEXITSTATUS(status));
				return true;
			}
			return false;
		}
		if (waited >= wait_ms)
			break;
		sleep_ms(20);
		waited += 20;
	}
	return false;
}

/* Wait until the daemon has answered INIT; fail if it is gone first */
static void wait_live(struct req *r, pid_t pid)
{
	long waited;
	char state[32], why[128];

	for (waited = 0; waited < r->timeout * 1000L; waited += 20) {
		if (daemon_failed(&pid, 0, why, sizeof(why)))
			fail_start(r, 0, why);
		read_state(r, state, sizeof(state));
		if (!strcmp(state, "live"))
			return;
		if (!strcmp(state, "error") || !strcmp(state, "ended") || !state[0]) {
			/*
			 * A daemon that exits closes the connection before
			 * its exit status can be reaped: say how it ended,
			 * not only that the connection is gone.
			 */
			if (daemon_failed(&pid, 1000, why, sizeof(why)))
				fail_start(r, 0, why);
			fail_start(r, pid, strcmp(state, "error") ?
				   "closed the connection before answering" :
				   "refused the connection (INIT)");
		}
		sleep_ms(20);
	}
	snprintf(why, sizeof(why), "no answer in %d s", r->timeout);
	fail_start(r, pid, why);
}

/*
 * auto_unmount: a watcher in its own session detaches the mount once no
 * daemon holds the connection, and leaves when the mount is gone. It
 * holds nothing of the mount, so rmmod works once the mount is gone.
 */
static void watch(struct req *r)
{
	char state[32];
	int fd;

	if (chdir("/"))
		_exit(1);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	for (;;) {
		sleep_ms(500);
		read_state(r, state, sizeof(state));
		if (!state[0] || !find_mount(r, true))
			_exit(0);
		if (!strcmp(state, "ended") || !strcmp(state, "error")) {
			umount2(r->mp_real, MNT_DETACH);
			_exit(0);
		}
	}
}

static void start_watcher(struct req *r)
{
	pid_t pid = fork();

	if (pid < 0)
		die(EXIT_MOUNT, "fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		if (fork() == 0)
			watch(r);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	struct req r = { .auto_unmount = true, .timeout = 30 };
	const char *t = getenv("FUSEPT_MOUNT_TIMEOUT");
	pid_t pid;
	int fd;

	if (t && atoi(t) > 0)
		r.timeout = atoi(t);
	/* mount(8) may run helpers without one; the daemon gets the same */
	setenv("PATH", DEFAULT_PATH, 0);
	parse_args(&r, argc, argv);
	check_input(&r);
	if (r.fake)
		return 0;
	fd = open_device();
	do_mount(&r, fd);
	if (!find_mount(&r, false))
		fail_start(&r, 0, "the new mount is not in /proc/self/mountinfo");
	r.conn = (r.minor & 0xff) | (r.major << 8) | ((r.minor & ~0xffu) << 12);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail_start(&r, 0, strerror(errno));
	if (pid == 0)
		child_exec(&r, fd);
	close(fd);
	wait_live(&r, pid);
	if (r.auto_unmount)
		start_watcher(&r);
	return 0;
}
