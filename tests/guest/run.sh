#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusept guest test suite: runs inside the VM as root (busybox sh).
#
# Prints one line per check: "PASS name", "FAIL name: reason" or
# "SKIP name: reason", then the kernel log between FUSEPT-DMESG-BEGIN and
# FUSEPT-DMESG-END and a closing "N passed, N failed, N skipped" line.
# Kernel command line: fusept.dev=fuse runs the suite on the kernel's own
# FUSE; fusept.only=REGEX runs only the groups whose name matches.
#
# Each group of checks runs as "run.sh --one GROUP" in its own shell under
# timeout(1); the harness (fatal, skip, expect, group, ...) is in
# harness.sh.  The groups are in the grp-*.sh files, by concern, each
# file registering its groups with their timeouts; the order they run
# in is at the end of this file.
# shellcheck disable=SC1091 # the files it sources are checked on their own

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/harness.sh"
. "$TESTS/grp-module.sh"
. "$TESTS/grp-basic.sh"
. "$TESTS/grp-ptll.sh"
. "$TESTS/grp-rw.sh"
. "$TESTS/grp-passthrough.sh"
. "$TESTS/grp-kill.sh"
. "$TESTS/grp-raw.sh"
. "$TESTS/grp-reliab.sh"

# ------------------------------------------------------------------ main

if [ "$1" = --one ]; then
	grp=$(echo "$2" | tr - _)
	"test_$grp"
	exit 0
fi

mkdir -p "$WORK" "$MNTROOT"
# passthrough_ll keeps an O_PATH descriptor per inode it knows
ulimit -n 65536 2>/dev/null || ulimit -n 4096
echo "fusept-tests: begin" >/dev/kmsg 2>/dev/null
echo "fusept guest tests: fs=$FS dev=$DEV kernel=$(uname -r)"
kmemleak_start

# The order the groups run in (fusept.only=REGEX picks some of them);
# group NAME runs test_NAME of the grp-*.sh file registering NAME
group selftest
group module
group hello
group helper
group pt-setup
group pt-lookup
group pt-readdir
group pt-readdirplus
group pt-readlink
group pt-xattr
group pt-read
group pt-statfs
group pt-access
group rw-smoke
group pt-daemon
group mount-helper
group ptioctl
group rw-posix
group rw-fsx
group rw-stress
group pt-raw
group ipt-raw
group pt-cycles
group pt-kill-mapped
group pt-lazy-mapped
group pt-aio
group kfuse-pt-daemon
group kill
group kill-lazy
group abort
group killable
group umount-hung
group mountopt
group raw-devtest
group raw-lie
group reliab
group kfuse-reliab
group locks
group poll
group store
group fault-inject
group fuzz
group rmmod-busy
group rmmod
kmemleak_end
group dmesg-clean
unlisted_groups

# The harness's /init dumps the kernel log itself: do not print it twice.
if ! grep -q FUSEPT-DMESG-BEGIN /init 2>/dev/null; then
	echo FUSEPT-DMESG-BEGIN
	dmesg
	echo FUSEPT-DMESG-END
fi
echo "fusept: $NPASS passed, $NFAIL failed, $NSKIP skipped"
[ "$NFAIL" = 0 ]
