// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-ptioctl - the passthrough ioctls of /dev/fusept and their errors.
 *
 * usage: fusept-ptioctl MOUNTPOINT SCRATCHDIR [STACKED-FILE]
 *
 * STACKED-FILE: a regular file on a fusept mount that uses passthrough
 * (stack depth 1), for the ELOOP check.
 * Mounts fusept itself, answers INIT in three ways (no passthrough,
 * mainline passthrough, Android passthrough) and checks what the
 * BACKING_OPEN, BACKING_CLOSE and PASSTHROUGH_OPEN ioctls return. One line
 * per check: "PASS name" or "FAIL name: detail".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fusept.h>

enum init_kind { INIT_PLAIN, INIT_MAINLINE, INIT_ANDROID };

static int failures;

static void check(const char *name, long got, long want)
{
	if (got == want) {
		printf("PASS ptioctl-%s\n", name);
		return;
	}
	printf("FAIL ptioctl-%s: got %ld (%s), want %ld\n", name, got,
	       got < 0 ? strerror((int)-got) : "ok", want);
	failures++;
}

/* ioctl result: the value, or -errno */
static long ioc(int fd, unsigned long cmd, void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static int answer_init(int dev, enum init_kind kind)
{
	char buf[1 << 17];
	struct fuse_in_header *in = (void *)buf;
	struct {
		struct fuse_out_header h;
		struct fuse_init_out o;
	} out;
	ssize_t n = read(dev, buf, sizeof(buf));

	if (n < (ssize_t)sizeof(*in) || in->opcode != FUSE_INIT)
		return -1;
	memset(&out, 0, sizeof(out));
	out.h.len = sizeof(out);
	out.h.unique = in->unique;
	out.o.major = FUSE_KERNEL_VERSION;
	out.o.minor = FUSE_KERNEL_MINOR_VERSION;
	out.o.max_write = 131072;
	out.o.max_readahead = 131072;
	if (kind == INIT_MAINLINE) {
		out.o.flags = FUSE_INIT_EXT;
		out.o.flags2 = FUSE_PASSTHROUGH >> 32;
		out.o.max_stack_depth = 1;
	} else if (kind == INIT_ANDROID) {
		out.o.flags = FUSE_PASSTHROUGH_ANDROID;
	}
	return write(dev, &out, sizeof(out)) == sizeof(out) ? 0 : -1;
}

static int mount_dev(const char *mnt, enum init_kind kind)
{
	char opts[128];
	int dev = open("/dev/fusept", O_RDWR);

	if (dev < 0)
		return -1;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
	/* the kernel applies the INIT reply within answer_init()'s write(2) */
	if (mount("ptioctl", mnt, "fusept", 0, opts) || answer_init(dev, kind)) {
		close(dev);
		return -1;
	}
	return dev;
}

static void unmount_dev(const char *mnt, int dev)
{
	umount2(mnt, MNT_DETACH);
	close(dev);
}

static long backing_open(int dev, int fd, uint32_t flags, uint64_t padding)
{
	struct fuse_backing_map map = {
		.fd = fd, .flags = flags, .padding = padding,
	};

	return ioc(dev, FUSE_DEV_IOC_BACKING_OPEN, &map);
}

static long backing_close(int dev, uint32_t id)
{
	return ioc(dev, FUSE_DEV_IOC_BACKING_CLOSE, &id);
}

static void test_plain(const char *mnt, int file)
{
	int dev = mount_dev(mnt, INIT_PLAIN);

	if (dev < 0) {
		check("plain-mount", -errno, 0);
		return;
	}
	check("not-negotiated-open", backing_open(dev, file, 0, 0), -EPERM);
	check("not-negotiated-android", ioc(dev, FUSE_DEV_IOC_PASSTHROUGH_OPEN,
					    &(uint32_t){ file }), -EPERM);
	unmount_dev(mnt, dev);
}

static void test_mainline_errors(int dev, const char *dir, int file)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	int pipefd[2] = { -1, -1 };
	int sock = socket(AF_UNIX, SOCK_STREAM, 0);

	check("flags", backing_open(dev, file, 1, 0), -EINVAL);
	check("padding", backing_open(dev, file, 0, 1), -EINVAL);
	check("badf", backing_open(dev, 12345, 0, 0), -EBADF);
	check("eisdir", backing_open(dev, dirfd, 0, 0), -EISDIR);
	if (pipe(pipefd) == 0)
		check("pipe", backing_open(dev, pipefd[0], 0, 0), -EINVAL);
	check("socket", backing_open(dev, sock, 0, 0), -EINVAL);
	check("efault", ioc(dev, FUSE_DEV_IOC_BACKING_OPEN, (void *)8), -EFAULT);
	check("close-zero", backing_close(dev, 0), -EINVAL);
	check("close-unknown", backing_close(dev, 4242), -ENOENT);
	check("android-in-mainline", ioc(dev, FUSE_DEV_IOC_PASSTHROUGH_OPEN,
					 &(uint32_t){ file }), -EPERM);
	check("unknown-ioctl", ioc(dev, _IO(FUSE_DEV_IOC_MAGIC, 99), NULL),
	      -ENOTTY);
	close(dirfd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sock);
}

static void test_mainline(const char *mnt, const char *dir, int file)
{
	int dev = mount_dev(mnt, INIT_MAINLINE);
	long id, id2;

	if (dev < 0) {
		check("mainline-mount", -errno, 0);
		return;
	}
	id = backing_open(dev, file, 0, 0);
	check("open-positive", id > 0, 1);
	id2 = backing_open(dev, file, 0, 0);
	check("open-second-id", id2 > 0 && id2 != id, 1);
	check("close", backing_close(dev, id), 0);
	check("close-again", backing_close(dev, id), -ENOENT);
	test_mainline_errors(dev, dir, file);
	/* id2 stays open: unmount and close must free it */
	unmount_dev(mnt, dev);
}

/* A file on a fusept mount at stack depth 1 cannot back a depth-1 one */
static void test_stack_depth(const char *mnt, const char *stacked)
{
	int dev, file;

	file = open(stacked, O_RDONLY);
	if (file < 0) {
		check("depth-open-stacked-file", -errno, 0);
		return;
	}
	dev = mount_dev(mnt, INIT_MAINLINE);
	if (dev < 0) {
		check("depth-mount", -errno, 0);
	} else {
		check("depth-eloop", backing_open(dev, file, 0, 0), -ELOOP);
		unmount_dev(mnt, dev);
	}
	close(file);
}

static void test_android(const char *mnt, int file)
{
	int dev = mount_dev(mnt, INIT_ANDROID);
	long id;

	if (dev < 0) {
		check("android-mount", -errno, 0);
		return;
	}
	id = ioc(dev, FUSE_DEV_IOC_PASSTHROUGH_OPEN, &(uint32_t){ file });
	check("android-open-positive", id > 0, 1);
	check("android-mainline-open", backing_open(dev, file, 0, 0), -EPERM);
	check("android-badf", ioc(dev, FUSE_DEV_IOC_PASSTHROUGH_OPEN,
				  &(uint32_t){ 12345 }), -EBADF);
	unmount_dev(mnt, dev);
}

static void test_unmounted(int file)
{
	int dev = open("/dev/fusept", O_RDWR);

	check("unmounted-device", backing_open(dev, file, 0, 0), -EPERM);
	close(dev);
}

int main(int argc, char **argv)
{
	char path[4096];
	int file;

	if (argc != 3 && argc != 4) {
		fprintf(stderr,
			"usage: fusept-ptioctl MOUNTPOINT SCRATCHDIR [STACKED-FILE]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/ptioctl-file", argv[2]);
	file = open(path, O_RDWR | O_CREAT, 0644);
	if (file < 0) {
		perror(path);
		return 2;
	}
	test_unmounted(file);
	test_plain(argv[1], file);
	test_mainline(argv[1], argv[2], file);
	if (argc == 4)
		test_stack_depth(argv[1], argv[3]);
	test_android(argv[1], file);
	close(file);
	unlink(path);
	return failures ? 1 : 0;
}
