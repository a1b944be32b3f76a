// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-mount - mount a fusept (or FUSE) file system and start its daemon
 *
 * usage: fusept-mount [-o OPTS] [-d DEVICE] [-t FSTYPE] [-s SOURCE] [-n]
 *                     MOUNTPOINT DAEMON [DAEMON-ARGS...]
 *
 * Opens DEVICE (default /dev/fusept), mounts MOUNTPOINT with
 * "fd=N,rootmode=40000,user_id=UID,group_id=GID[,OPTS]" and execs DAEMON
 * with DAEMON-ARGS followed by "/dev/fd/N" (libfuse >= 3.3 takes a
 * mountpoint of that form as an already mounted session fd).  With -n the
 * extra argument is not appended; the daemon finds the fd number in the
 * environment variable FUSEPT_FD instead.
 *
 * Exit codes: 1 usage error, 2 cannot open the device, 3 mount failed,
 * 126/127 the daemon could not be executed (the mount is undone first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_USAGE	1
#define EXIT_DEVICE	2
#define EXIT_MOUNT	3

struct mount_req {
	const char *device;
	const char *fstype;
	const char *source;
	const char *mountpoint;
	char *user_opts;	/* pass-through options, flags removed */
	unsigned long flags;
	int no_fd_arg;
};

/* Options that are mount(2) flags rather than file system data. */
static const struct {
	const char *name;
	unsigned long set;
	unsigned long clear;
} flag_opts[] = {
	{ "ro",		MS_RDONLY,	0 },
	{ "rw",		0,		MS_RDONLY },
	{ "nosuid",	MS_NOSUID,	0 },
	{ "suid",	0,		MS_NOSUID },
	{ "nodev",	MS_NODEV,	0 },
	{ "dev",	0,		MS_NODEV },
	{ "noexec",	MS_NOEXEC,	0 },
	{ "exec",	0,		MS_NOEXEC },
	{ "noatime",	MS_NOATIME,	0 },
	{ "nodiratime",	MS_NODIRATIME,	0 },
	{ "sync",	MS_SYNCHRONOUS,	0 },
	{ "async",	0,		MS_SYNCHRONOUS },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: fusept-mount [-o OPTS] [-d DEVICE] [-t FSTYPE] [-s SOURCE] [-n]\n"
		"                    MOUNTPOINT DAEMON [DAEMON-ARGS...]\n"
		"  -o OPTS    extra mount options (ro,nosuid,nodev,... become flags)\n"
		"  -d DEVICE  device to open (default /dev/fusept)\n"
		"  -t FSTYPE  file system type (default fusept)\n"
		"  -s SOURCE  source name shown in /proc/mounts (default: FSTYPE)\n"
		"  -n         do not append /dev/fd/N to the daemon's arguments\n");
	exit(EXIT_USAGE);
}

static int apply_flag_opt(struct mount_req *req, const char *opt)
{
	size_t i;

	for (i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++) {
		if (strcmp(opt, flag_opts[i].name) == 0) {
			req->flags |= flag_opts[i].set;
			req->flags &= ~flag_opts[i].clear;
			return 1;
		}
	}
	return 0;
}

static void append_opt(char **list, const char *opt)
{
	char *n;

	if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? "," : "",
		     opt) < 0) {
		perror("fusept-mount: asprintf");
		exit(EXIT_USAGE);
	}
	free(*list);
	*list = n;
}

/* Split a -o list: flags go to req->flags, the rest is passed through. */
static void parse_opts(struct mount_req *req, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy) {
		perror("fusept-mount: strdup");
		exit(EXIT_USAGE);
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!apply_flag_opt(req, tok))
			append_opt(&req->user_opts, tok);
	}
	free(copy);
}

static int open_device(const char *device)
{
	struct stat st;
	int fd = open(device, O_RDWR);	/* no O_CLOEXEC: the daemon needs it */

	if (fd < 0) {
		fprintf(stderr, "fusept-mount: cannot open %s: %s\n", device,
			strerror(errno));
		if (errno == ENOENT)
			fprintf(stderr, "fusept-mount: is the module loaded?\n");
		exit(EXIT_DEVICE);
	}
	if (fstat(fd, &st) == 0 && !S_ISCHR(st.st_mode)) {
		fprintf(stderr, "fusept-mount: %s is not a character device\n",
			device);
		exit(EXIT_DEVICE);
	}
	return fd;
}

static void do_mount(const struct mount_req *req, int fd)
{
	char *data;

	if (asprintf(&data, "fd=%d,rootmode=40000,user_id=%u,group_id=%u%s%s",
		     fd, (unsigned int)getuid(), (unsigned int)getgid(),
		     req->user_opts ? "," : "",
		     req->user_opts ? req->user_opts : "") < 0) {
		perror("fusept-mount: asprintf");
		exit(EXIT_USAGE);
	}
	if (mount(req->source, req->mountpoint, req->fstype, req->flags,
		  data) < 0) {
		int err = errno;

		fprintf(stderr, "fusept-mount: mount -t %s %s on %s: %s\n",
			req->fstype, data, req->mountpoint, strerror(err));
		if (err == ENODEV)
			fprintf(stderr,
				"fusept-mount: file system type %s unknown\n",
				req->fstype);
		exit(EXIT_MOUNT);
	}
	free(data);
}

static void exec_daemon(const struct mount_req *req, int fd, int argc,
			char **argv)
{
	char **args = calloc(argc + 2, sizeof(*args));
	char fdpath[32], fdnum[16];
	int i, err;

	if (!args) {
		perror("fusept-mount: calloc");
		exit(EXIT_USAGE);
	}
	for (i = 0; i < argc; i++)
		args[i] = argv[i];
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	snprintf(fdnum, sizeof(fdnum), "%d", fd);
	if (!req->no_fd_arg)
		args[i++] = fdpath;
	args[i] = NULL;
	setenv("FUSEPT_FD", fdnum, 1);

	execvp(args[0], args);
	err = errno;
	fprintf(stderr, "fusept-mount: cannot execute %s: %s\n", args[0],
		strerror(err));
	if (umount2(req->mountpoint, 0) < 0 &&
	    umount2(req->mountpoint, MNT_DETACH) < 0)
		fprintf(stderr, "fusept-mount: cannot unmount %s: %s\n",
			req->mountpoint, strerror(errno));
	exit(err == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
	struct mount_req req = {
		.device = "/dev/fusept",
		.fstype = "fusept",
	};
	int c, fd;

	/* '+': stop at the first non-option, the daemon's options follow */
	while ((c = getopt(argc, argv, "+o:d:t:s:nh")) != -1) {
		switch (c) {
		case 'o':
			parse_opts(&req, optarg);
			break;
		case 'd':
			req.device = optarg;
			break;
		case 't':
			req.fstype = optarg;
			break;
		case 's':
			req.source = optarg;
			break;
		case 'n':
			req.no_fd_arg = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	if (!req.source)
		req.source = req.fstype;
	req.mountpoint = argv[optind];

	fd = open_device(req.device);
	do_mount(&req, fd);
	exec_daemon(&req, fd, argc - optind - 1, argv + optind + 1);
	return 0;
}
