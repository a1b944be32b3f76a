/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusept-ptcheck is built from ptcheck.c (main, raw mainline|android|
 * android-ext, hold, loop, aio) and iptcheck.c (raw inode|inode-off: inode
 * passthrough at the wire); what the two share.
 */
#ifndef FUSEPT_TESTS_PTCHECK_H
#define FUSEPT_TESTS_PTCHECK_H

/* the device to open: /dev/fusept, or $FUSEPT_DEV */
extern const char *dev_path;

/* an errno's name for the result lines ("OK" for 0) */
const char *ename(int err);

/* fusept-ptcheck raw inode|inode-off MNT LOWERDIR (iptcheck.c) */
int cmd_raw_inode(const char *mode, const char *mnt, const char *lower);

#endif
