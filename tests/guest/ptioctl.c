// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-ptioctl - the passthrough ioctls of /dev/fusept and their errors.
 *
 * usage: fusept-ptioctl MOUNTPOINT SCRATCHDIR [STACKED-FILE]
 *
 * STACKED-FILE: a regular file on a fusept mount that uses passthrough
 * (stack depth 1), for the ELOOP check.
 * Mounts fusept itself, answers INIT in several ways (no passthrough,
 * mainline passthrough, Android passthrough, mainline with inode
 * passthrough asked for by FUSEPT_DEV_IOC_WANT_INIT or by the reply's
 * flag, the inode flag alone) and checks what the BACKING_OPEN (with and
 * without ops_mask), BACKING_CLOSE, PASSTHROUGH_OPEN and WANT_INIT ioctls
 * return and what the connection's sysfs files say. One line per check:
 * "PASS name" or "FAIL name: detail".
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

/*
 * INIT_INODE: mainline passthrough, with inode passthrough asked for by
 * FUSEPT_DEV_IOC_WANT_INIT; INIT_INODE_BIT: by the reply's own flag;
 * INIT_INODE_ALONE: the flag without FUSE_PASSTHROUGH.
 */
enum init_kind {
	INIT_PLAIN, INIT_MAINLINE, INIT_ANDROID, INIT_INODE, INIT_INODE_BIT,
	INIT_INODE_ALONE,
};

static uint64_t init_offered;	/* the flags of the last INIT request */

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
	init_offered = ((struct fuse_init_in *)(in + 1))->flags |
		(uint64_t)((struct fuse_init_in *)(in + 1))->flags2 << 32;
	memset(&out, 0, sizeof(out));
	out.h.len = sizeof(out);
	out.h.unique = in->unique;
	out.o.major = FUSE_KERNEL_VERSION;
	out.o.minor = FUSE_KERNEL_MINOR_VERSION;
	out.o.max_write = 131072;
	out.o.max_readahead = 131072;
	if (kind == INIT_MAINLINE || kind == INIT_INODE ||
	    kind == INIT_INODE_BIT) {
		out.o.flags = FUSE_INIT_EXT;
		out.o.flags2 = FUSE_PASSTHROUGH >> 32;
		out.o.max_stack_depth = 1;
	} else if (kind == INIT_INODE_ALONE) {
		out.o.flags = FUSE_INIT_EXT;
	}
	if (kind == INIT_INODE_BIT || kind == INIT_INODE_ALONE)
		out.o.flags2 |= FUSEPT_INODE_PASSTHROUGH >> 32;
	if (kind == INIT_INODE &&
	    ioctl(dev, FUSEPT_DEV_IOC_WANT_INIT,
		  &(uint64_t){ FUSEPT_INODE_PASSTHROUGH }))
		return -1;
	if (kind == INIT_ANDROID) {
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

/*
 * The connection number of the fusept mount at mnt (its device number),
 * from /proc/self/mountinfo: a stat(2) of the mount would wait for a
 * GETATTR nobody here answers. 0 if not found.
 */
static unsigned int conn_id(const char *mnt)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	unsigned int maj, min, id = 0;
	char line[4096], point[4096];

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min,
			   point) == 3 && !strcmp(point, mnt))
			id = maj << 20 | min;
	}
	if (f)
		fclose(f);
	return id;
}

/* a line of the connection's sysfs file NAME, without its newline */
static const char *conn_attr(const char *mnt, const char *name)
{
	static char buf[4096];
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/fs/fusept/connections/%u/%s",
		 conn_id(mnt), name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return "(no such file)";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return buf;
}

static void check_str(const char *name, const char *got, const char *want)
{
	check(name, strcmp(got, want) ? -EINVAL : 0, 0);
	if (strcmp(got, want))
		printf("    # %s: '%s', want '%s'\n", name, got, want);
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
	check_str("sysfs-none", conn_attr(mnt, "passthrough"), "none");
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
	check_str("sysfs-mainline", conn_attr(mnt, "passthrough"), "mainline");
	check("ipt-offered", !!(init_offered & FUSEPT_INODE_PASSTHROUGH), 1);
	check("ipt-ops-not-agreed",
	      backing_open(dev, file, 0, FUSE_PASSTHROUGH_OP(FUSE_GETATTR)),
	      -EINVAL);
	check("ipt-want-after-init", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT,
					 &(uint64_t){ 0 }), -EBUSY);
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
	check_str("sysfs-android", conn_attr(mnt, "passthrough"), "android");
	check("android-mainline-open", backing_open(dev, file, 0, 0), -EPERM);
	check("android-badf", ioc(dev, FUSE_DEV_IOC_PASSTHROUGH_OPEN,
				  &(uint32_t){ 12345 }), -EBADF);
	unmount_dev(mnt, dev);
}

#define OP(o)	FUSE_PASSTHROUGH_OP(FUSE_##o)

/* BACKING_OPEN's ops_mask once inode passthrough is agreed */
static void test_inode_ops(const char *mnt, int dev, const char *dir, int file)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	int dirpath = open(dir, O_PATH | O_DIRECTORY);
	char line[64];
	long id;

	id = backing_open(dev, file, 0, OP(GETATTR));
	check("ipt-ops-getattr", id > 0, 1);
	snprintf(line, sizeof(line), "%ld ops=getattr ", id);
	check("ipt-ops-listed", !strncmp(conn_attr(mnt, "backing_files"), line,
					 strlen(line)), 1);
	check("ipt-ops-file-all", backing_open(dev, file, 0, OP(GETATTR) |
			OP(SETATTR) | OP(OPEN) | OP(READ) | OP(WRITE)) > 0, 1);
	check("ipt-ops-statx", backing_open(dev, file, 0, OP(STATX)) > 0, 1);
	check("ipt-ops-plain", backing_open(dev, file, 0, 0) > 0, 1);
	check("ipt-ops-dir", backing_open(dev, dirfd, 0, OP(GETATTR) |
					  OP(READDIR) | OP(LOOKUP)) > 0, 1);
	check("ipt-ops-dir-opath", backing_open(dev, dirpath, 0,
						OP(GETATTR)) > 0, 1);
	check("ipt-ops-dir-plain", backing_open(dev, dirfd, 0, 0), -EISDIR);
	check("ipt-ops-dir-open", backing_open(dev, dirfd, 0,
					       OP(GETATTR) | OP(OPEN)), -EINVAL);
	check("ipt-ops-dir-read", backing_open(dev, dirfd, 0,
					       OP(GETATTR) | OP(READ)), -EISDIR);
	check("ipt-ops-no-getattr", backing_open(dev, file, 0, OP(SETATTR)),
	      -EINVAL);
	check("ipt-ops-readdir-file", backing_open(dev, file, 0,
						   OP(GETATTR) | OP(READDIR)),
	      -EINVAL);
	check("ipt-ops-unknown", backing_open(dev, file, 0,
					      OP(GETATTR) | OP(MKDIR)), -EINVAL);
	check("ipt-ops-bit63", backing_open(dev, file, 0, 1ULL << 63), -EINVAL);
	check("ipt-ops-flags", backing_open(dev, file, 1, OP(GETATTR)), -EINVAL);
	close(dirfd);
	close(dirpath);
}

#undef OP

/* Inode passthrough: asked for by the ioctl or the reply, or not agreed */
static void test_inode(const char *mnt, const char *dir, int file)
{
	int dev = open("/dev/fusept", O_RDWR);

	check("ipt-want-unmounted", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT,
					&(uint64_t){ 0 }), -EPERM);
	close(dev);
	dev = mount_dev(mnt, INIT_INODE);
	if (dev < 0) {
		check("ipt-mount", -errno, 0);
		return;
	}
	check_str("ipt-sysfs", conn_attr(mnt, "passthrough"), "mainline inode");
	check("ipt-want-ebusy", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT, &(uint64_t){
		FUSEPT_INODE_PASSTHROUGH }), -EBUSY);
	test_inode_ops(mnt, dev, dir, file);
	unmount_dev(mnt, dev);

	dev = mount_dev(mnt, INIT_INODE_BIT);
	if (dev >= 0) {
		check_str("ipt-reply-bit", conn_attr(mnt, "passthrough"),
			  "mainline inode");
		unmount_dev(mnt, dev);
	}
	dev = mount_dev(mnt, INIT_INODE_ALONE);
	if (dev >= 0) {
		check_str("ipt-alone-none", conn_attr(mnt, "passthrough"),
			  "none");
		check("ipt-alone-eperm", backing_open(dev, file, 0, 0), -EPERM);
		unmount_dev(mnt, dev);
	}
}

/* FUSEPT_DEV_IOC_WANT_INIT's arguments, before the INIT reply */
static void test_want_init(const char *mnt)
{
	char opts[128];
	int dev = open("/dev/fusept", O_RDWR);

	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
	if (mount("ptioctl", mnt, "fusept", 0, opts)) {
		check("ipt-want-mount", -errno, 0);
		close(dev);
		return;
	}
	check("ipt-want-zero", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT,
				   &(uint64_t){ 0 }), 0);
	check("ipt-want-mainline-bit", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT,
					   &(uint64_t){ FUSE_PASSTHROUGH }),
	      -EINVAL);
	check("ipt-want-bit61", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT,
				    &(uint64_t){ 1ULL << 61 }), -EINVAL);
	check("ipt-want-efault", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT, (void *)8),
	      -EFAULT);
	check("ipt-want-twice", ioc(dev, FUSEPT_DEV_IOC_WANT_INIT, &(uint64_t){
		FUSEPT_INODE_PASSTHROUGH }), 0);
	check("ipt-want-init-reply", answer_init(dev, INIT_INODE), 0);
	check_str("ipt-want-sysfs", conn_attr(mnt, "passthrough"),
		  "mainline inode");
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
	test_inode(argv[1], argv[2], file);
	test_want_init(argv[1]);
	close(file);
	unlink(path);
	return failures ? 1 : 0;
}
