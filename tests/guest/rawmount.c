// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-rawmount - call mount(2) with an exact option string
 *
 * usage: fusept-rawmount [-d DEV] [-t FSTYPE] [-k] MOUNTPOINT OPTIONS
 *
 * Opens DEV (default /dev/fusept; any file works, e.g. /dev/null) and
 * replaces every "%FD%" in OPTIONS with its descriptor number, then
 * calls mount(FSTYPE, MOUNTPOINT, FSTYPE, 0, OPTIONS) (FSTYPE defaults
 * to fusept).  An OPTIONS of "-" passes a NULL data pointer.  Prints "OK"
 * or the errno name.  A mount that succeeded is undone at once unless -k
 * is given.  Exit status 0 if the mount succeeded, 1 if it failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* Return a copy of s with every "%FD%" replaced by fd. */
static char *subst_fd(const char *s, int fd)
{
	char num[16], *out, *o;
	size_t n = strlen(s);

	snprintf(num, sizeof(num), "%d", fd);
	out = malloc(n * (strlen(num) + 1) + 1);
	if (!out)
		return NULL;
	for (o = out; *s; ) {
		if (strncmp(s, "%FD%", 4) == 0) {
			o = stpcpy(o, num);
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/fusept", *fstype = "fusept", *name;
	char *data = NULL;
	int opt, fd, keep = 0, err;

	while ((opt = getopt(argc, argv, "d:t:k")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 't': fstype = optarg; break;
		case 'k': keep = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	fd = open(dev, O_RDWR);
	if (fd < 0)
		fd = open(dev, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "fusept-rawmount: %s: %s\n", dev,
			strerror(errno));
		return 2;
	}
	if (strcmp(argv[optind + 1], "-") != 0) {
		data = subst_fd(argv[optind + 1], fd);
		if (!data)
			return 2;
	}
	err = mount(fstype, argv[optind], fstype, 0, data) < 0 ? errno : 0;
	name = err ? strerrorname_np(err) : "OK";
	printf("%s\n", name ? name : "E?");
	if (!err && !keep)
		umount2(argv[optind], MNT_DETACH);
	return err ? 1 : 0;
usage:
	fprintf(stderr,
		"usage: fusept-rawmount [-d DEV] [-t FSTYPE] [-k] MOUNTPOINT OPTIONS\n");
	return 2;
}
