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

# ---------------------------------------------------------------- groups

# group         timeout (s)
register_group reliab 600
register_group kfuse-reliab 600
register_group fault-inject 600
register_group fuzz 900

# reliab_run DEV FS PREFIX CASES: each fusept-reliab case against that
# FUSE, result names prefixed with PREFIX
reliab_run() {
	local dev=$1 fs=$2 prefix=$3 c rc n
	n=${FUSEPT_RELIAB_ROUNDS:-$(cmdline_arg fusept.reliab_rounds)} || n=20
	lower_init || fatal "cannot mount the lower tmpfs"
	mkdir -p "$LOWER/rel"
	for c in $(echo "$4" | tr , ' '); do
		echo "fusept-tests: reliab $prefix$c" >/dev/kmsg 2>/dev/null
		# a session of its own: its signals never reach this shell
		timeout -k 5 $((120 + n * 2)) setsid fusept-reliab -d "$dev" -t "$fs" \
			-n "$n" "$c" \
			"$(mnt "rel-$c")" "$LOWER/rel" >"$RES/rel.out" \
			2>>"$RES/raw.err"
		rc=$?
		sed -n "s#^\(PASS\|FAIL\|SKIP\) #\1 $prefix#p" "$RES/rel.out" \
			>>"$SUB"
		if ! grep -qE '^(PASS|FAIL|SKIP) ' "$RES/rel.out"; then
			failc "${prefix}rel-$c" "no result (exit status $rc)"
		elif [ $rc != 0 ] && ! grep -q '^FAIL ' "$RES/rel.out"; then
			failc "${prefix}rel-$c" "fusept-reliab exited with status $rc"
		fi
		kill_leftovers "$PIDS"
	done
}

# The defects of the reliability review, one fusept-reliab case each (a
# daemon of its own against a user of the mount). fusept.reliab=A,B (or
# FUSEPT_RELIAB) runs only those cases; fusept.reliab_rounds=N (default
# 20) sets the rounds of the racing cases (umount-race; lookup-kill runs
# 50 times as many).
test_reliab() {
	local cases
	cases=${FUSEPT_RELIAB:-$(cmdline_arg fusept.reliab)} ||
		cases=$(fusept-reliab -l)
	reliab_run "$DEV" "$FS" "" "$cases"
}

# The same cases on the kernel's own FUSE, as a control: those whose
# expectations are mainline's behaviour too (results named kfuse/...).
# Left out: the failed passthrough creates (mainline passthrough is
# 6.9+, with other rules), cfr-zero (mainline drops the whole page cache
# after a copy of 0 bytes at offset 0, dirty pages included: fusept does
# not), fusept's own parameters, lock-order (it needs lockdep,
# which only the debug kernel has, and the debug lane runs fusept's) and
# reval-rename-held (mainline before 6.14 fails it: it copies the
# dentry's live name when the daemon reads the LOOKUP, after a rename
# has freed it; KASAN reports a use-after-free on Debian's 6.12).
KFUSE_RELIAB="sig-read-unsent,sig-read-sent,sig-write-unsent,sig-flush,\
umount-race,lookup-kill,maxwrite-cap,maxwrite-mem,retrieve-bound,\
reval-rename,cfr-partial,append-writeback,trunc-writeback,write-mmap,\
write-mmap-sync"
test_kfuse_reliab() {
	is_fusept || skip "the suite runs on the kernel's FUSE already (reliab)"
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	reliab_run /dev/fuse fuse kfuse/ "${FUSEPT_RELIAB:-$KFUSE_RELIAB}"
}

# Fault injection into fusept's allocations (tests/guest/fault.sh): on
# the debug kernel only, SKIP elsewhere
test_fault_inject() {
	sh "$TESTS/fault.sh" >"$RES/fault.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/fault.log" >>"$SUB"
	grep -E '^    [#|] ' "$RES/fault.log" >>"$SUB"
}

# The hostile-daemon fuzzer (fuzz.sh, fusept-fuzzd): a fixed base seed
# and bounded rounds (fusept.fuzz_rounds=, fusept.fuzz_secs=, ... as for
# make fuzz); the round seeds reach the console as the rounds start.
test_fuzz() {
	spawn sh "$TESTS/fuzz.sh" --group >"$RES/fuzz.log" 2>"$RES/fuzz.err"
	wait "$BGPID"
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/fuzz.log" >>"$SUB"
	grep -E '^fuzz: (round [0-9]+ done|summary)' "$RES/fuzz.log" |
		sed 's/^/    # /' >>"$SUB"
	grep -q '^fuzz: summary' "$RES/fuzz.log" ||
		fatal "fusept-fuzzd did not finish: $(tail -3 "$RES/fuzz.err" | tr '\n' ' ')"
}

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

# The order the groups run in (fusept.only=REGEX picks some of them)
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
