#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rw.sh: POSIX conformance of the read-write paths, and the differential
# run against the kernel's own FUSE (guest, root, busybox sh).
#
# For each daemon (the unmodified libfuse examples passthrough_ll,
# passthrough_fh, passthrough, the newer libfuse's passthrough_ll as
# ll-new, tools/fusept-passthrough with --no-passthrough, and
# tools/fusept-passthrough with --inode-passthrough as ptd-ipt) and mount
# mode (dp: allow_other +
# default_permissions, nodp: allow_other only, posixtest as root; udp and
# unodp: the same, posixtest as the unprivileged user 1000) selected,
# posixtest runs over a fresh tmpfs directory once through the kernel's
# FUSE (/dev/fuse, type fuse: the reference) and once through fusept.
# Printed:
#   PASS|FAIL|SKIP TAG/posix-NAME[: detail]   fusept's results (TAG is
#                                              ll-dp, fh-nodp, hl-dp, ...)
#   PASS|FAIL ipt-MODE/bound[: counters]      ptd-ipt on fusept: files were
#                                              bound; no READ, WRITE, nor
#                                              OPEN but those of CREATE
#   # ref TAG: FAIL|SKIP posix-NAME...        the reference's non-PASS lines
#   PASS diff-DAEMON | FAIL diff-DAEMON: tests that differ: ...
# and FAIL TAG/setup: ... when a run could not happen at all, FAIL
# TAG/posixtest: ... when posixtest stopped early, FAIL TAG/daemon: ...
# when the daemon died while mounted (with the end of its log).
# Each posixtest run takes 5-40 s on TCG (all 24: about 10 min on 6.12).
# ptd-ipt: fusept binds each regular file to its lower file at LOOKUP
# and CREATE (open, stat, read and write never reach the daemon); the
# kernel's FUSE has no inode passthrough, the daemon falls back to
# per-open passthrough there (6.9 and later) or to plain FUSE I/O
# (before 6.9, where the kernel offers no passthrough at all).
# Differences listed in EXPECTED_DIFFS (explained in DIFFERENCES.md) do
# not fail the diff; they are printed as "# expected difference".
#
# fusept.ko is normally loaded by run.sh; standalone, this script loads it
# from $FUSEPT_MODULE (/lib/fusept/fusept.ko) and the kernel's FUSE.
# Environment (or kernel command line, commas for spaces):
# FUSEPT_RW_RUNS (fusept.rw_runs): DAEMON:MODE pairs to run, or "full"
# for every daemon in every mode (default: CI_RUNS below),
# FUSEPT_RW_TIMEOUT (seconds per posixtest run, default 600),
# FUSEPT_RW_ONLY (regex passed to posixtest -o), FUSEPT_RW_VERBOSE=1
# (posixtest -v: check durations in $RWRES/*.out); lib.sh's FUSEPT_WORK
# (default /tmp/fpt) holds everything.

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"

# Mount points below lib.sh's $MNTROOT, so that run.sh's clean-up after a
# group (abort, umount -l) covers them too.
RWLOWER=$WORK/rwlower
RWMNT=$MNTROOT
RWRES=$WORK/rwres
PT_TIMEOUT=${FUSEPT_RW_TIMEOUT:-600}

# knob ENVVAR CMDLINE-NAME DEFAULT: the environment, else the kernel
# command line (commas for spaces there), else DEFAULT
knob() {
	local v
	eval "v=\${$1:-}"
	[ -n "$v" ] || v=$(cmdline_arg "$2" | tr , ' ') || v=
	echo "${v:-$3}"
}
# The newer libfuse's passthrough_ll (sid's 3.18), the daemon ll-new here
NEWLL=$(newfuse_dir)/bin/passthrough_ll
[ -x "$NEWLL" ] || NEWLL=
ALL_DAEMONS="passthrough_ll passthrough_fh passthrough fusept-passthrough
	ll-new ptd-ipt"
ALL_MODES="dp nodp udp unodp"
# What make check runs (about 4 min on a loaded host): one run for each
# of root / the user with / without default_permissions: passthrough_ll
# as root with it, passthrough as root without it, passthrough_fh as the
# user without it, and fusept-passthrough as the user with it (it creates
# files as the caller; the libfuse examples make them root's, so that as
# the user with default_permissions almost nothing could be done); and
# the newer libfuse's passthrough_ll as root without it; and inode
# passthrough as root with it and as the user without it (the other two
# modes: FUSEPT_RW_RUNS; rw-fsx runs all four with fsxcheck; all four
# here added 80 s a guest, and make check's time is near its budget).
# FUSEPT_RW_RUNS=full (fusept.rw_runs=full) runs all of them.
CI_RUNS="passthrough_ll:dp passthrough:nodp passthrough_fh:unodp
	fusept-passthrough:udp ll-new:nodp
	ptd-ipt:dp ptd-ipt:unodp"
RUNS=$(knob FUSEPT_RW_RUNS fusept.rw_runs "$CI_RUNS")
if [ "$RUNS" = full ]; then
	RUNS=$(for d in $ALL_DAEMONS; do for m in $ALL_MODES; do
		echo "$d:$m"; done; done)
fi
RUNS=$(echo $RUNS)

# Expected differences between the kernel's FUSE and fusept, one per line:
# shell patterns matched against "DAEMON MODE CHECK KERNEL-RELEASE".
# Each one is explained in DIFFERENCES.md; keep the two in step.
EXPECTED_DIFFS='
'

# ---------------------------------------------------------------- setup

rw_load() {
	grep -qw fuse /proc/filesystems || timeout 30 modprobe fuse 2>/dev/null
	if ! grep -qw fusept /proc/filesystems; then
		timeout 30 insmod "${FUSEPT_MODULE:-/lib/fusept/fusept.ko}" ||
			return 1
	fi
	return 0
}

rw_lower() {
	mkdir -p "$RWLOWER" "$RWMNT" "$RWRES"
	is_mounted "$RWLOWER" ||
		timeout 10 mount -t tmpfs -o size=256m,mode=755 rwlower "$RWLOWER"
}

# short DAEMON: the tag's first part
short() {
	case $1 in
	passthrough_ll) echo ll ;;
	passthrough_fh) echo fh ;;
	passthrough) echo hl ;;
	fusept-passthrough) echo ptd ;;
	ptd-ipt) echo ipt ;;
	*) echo "$1" ;;
	esac
}

# daemon_cmd DAEMON: the command that runs it
daemon_cmd() {
	case $1 in
	ll-new) echo "$NEWLL" ;;
	ptd-ipt) echo fusept-passthrough ;;
	*) echo "$1" ;;
	esac
}

# mode_opts MODE: the mount options of a mode (dp, nodp: posixtest runs
# as root; udp, unodp: as the unprivileged user 1000)
mode_opts() {
	case $1 in
	dp | udp) echo allow_other,default_permissions ;;
	*) echo allow_other ;;
	esac
}

# as_user MODE: posixtest's option that makes it run as user 1000
as_user() {
	case $1 in
	u*) echo "-U 1000" ;;
	esac
}

# daemon_args DAEMON LOWER STATS: the daemon's arguments (before
# /dev/fd/N). passthrough_ll serves -o source=DIR (plus -o xattr where it
# has that option); the high-level examples serve / and are given no
# directory; ptd-ipt writes its counters to STATS at exit.
daemon_args() {
	case $1 in
	passthrough_ll | ll-new)
		if timeout 10 "$(daemon_cmd "$1")" --help 2>&1 |
			grep -q -- '-o xattr'; then
			echo "-f -o source=$2,xattr"
		else
			echo "-f -o source=$2"
		fi
		;;
	# plain FUSE I/O: the kernel's FUSE before 6.9 has no passthrough
	fusept-passthrough) echo "-f --no-passthrough $2" ;;
	ptd-ipt) echo "-f --inode-passthrough --stats $3 $2" ;;
	*) echo "-f" ;;
	esac
}

# --------------------------------------------------------- one posixtest

# rw_abort IMPL MNT: write 1 to the connection's abort file (IMPL is fuse
# or fusept: each has its own control directory, maybe to be mounted)
rw_abort() {
	local dir=/sys/fs/$1/connections id t
	[ -d "$dir" ] || return 1
	if ! is_mounted "$dir"; then
		for t in "${1}ctl" fusectl; do
			grep -qw "$t" /proc/filesystems || continue
			[ "$1" = fuse ] || [ "$t" != fusectl ] || continue
			mount -t "$t" none "$dir" 2>/dev/null
			break
		done
	fi
	id=$(conn_id "$2") || return 1
	[ -e "$dir/$id/abort" ] && echo 1 >"$dir/$id/abort"
}

# umount_run IMPL MNT PID: unmount, abort and detach if that does not work
umount_run() {
	if ! timeout 20 umount "$2" 2>/dev/null; then
		echo "# rw: umount $2 failed, aborting the connection"
		rw_abort "$1" "$2" 2>/dev/null
		timeout 10 umount -l "$2" 2>/dev/null
	fi
	wait_gone "$3" 10 || kill -9 "$3" 2>/dev/null
}

# run_one IMPL DAEMON MODE: posixtest's lines in $RWRES/IMPL-TAG.out
run_one() {
	local impl=$1 d=$2 mode=$3 tag dev m low out pid target rc t0 t1
	tag=$(short "$d")-$mode
	if [ -z "$(daemon_cmd "$d")" ]; then
		echo "FAIL setup: no $d in $NEWFUSE_GLOB" \
			>"$RWRES/$impl-$tag.out"
		return 1
	fi
	dev=/dev/$impl
	m=$RWMNT/rw-$impl-$tag
	low=$RWLOWER/$impl-$tag
	out=$RWRES/$impl-$tag.out
	: >"$out"
	rm -f "$RWRES/$impl-$tag.stats"
	mkdir -p "$m" "$low"
	case $mode in
	u*) chmod 1777 "$low" ;;
	*) chmod 755 "$low" ;;
	esac
	# shellcheck disable=SC2046 # the arguments are split on purpose
	timeout -k 5 $((PT_TIMEOUT + 60)) fusept-mount -d "$dev" -t "$impl" \
		-o "$(mode_opts "$mode")" "$m" "$(daemon_cmd "$d")" \
		$(daemon_args "$d" "$low" "$RWRES/$impl-$tag.stats") \
		>"$RWRES/$impl-$tag.daemon" 2>&1 &
	pid=$!
	if ! wait_mounted "$m" 10 "$pid"; then
		echo "FAIL setup: $d did not mount $m: $(tail -2 \
			"$RWRES/$impl-$tag.daemon" | tr '\n' ' ')" >>"$out"
		kill -9 "$pid" 2>/dev/null
		return 1
	fi
	case $d in
	passthrough_ll | ll-new | fusept-passthrough | ptd-ipt) target=$m ;;
	*) target=$m$low ;;
	esac
	t0=$(date +%s)
	# -k: the scratch tree is removed below, on the tmpfs, much faster
	# shellcheck disable=SC2046
	timeout -k 5 "$PT_TIMEOUT" posixtest -k -l "$low" $(as_user "$mode") \
		${FUSEPT_RW_VERBOSE:+-v} \
		${FUSEPT_RW_ONLY:+-o "$FUSEPT_RW_ONLY"} "$target" \
		>>"$out" 2>"$RWRES/$impl-$tag.err"
	rc=$?
	t1=$(date +%s)
	[ $rc = 0 ] || echo "FAIL posixtest: exit status $rc ($(tail -1 \
		"$RWRES/$impl-$tag.err"))" >>"$out"
	alive "$pid" || echo "FAIL daemon: $d exited while mounted: $(grep -v \
		'^ *unique:' "$RWRES/$impl-$tag.daemon" | tail -2 | tr '\n' ' ')" \
		>>"$out"
	umount_run "$impl" "$m" "$pid"
	rm -rf "$low"
	echo "# rw: $impl $tag: posixtest $((t1 - t0)) s, umount" \
		"$(($(date +%s) - t1)) s"
	return 0
}

# results FILE: "NAME STATUS" per check, sorted
results() {
	awk '$1 ~ /^(PASS|FAIL|SKIP)$/ { n = $2; sub(/:$/, "", n); print n, $1 }' \
		"$1" | sort
}

# ------------------------------------------------------------ reporting

# counter NAME FILE: the value of NAME in a --stats file (empty if none)
counter() {
	tr ' ' '\n' <"$2" 2>/dev/null | sed -n "s/^$1=\([0-9]*\)\$/\1/p"
}

# print_bound TAG: ptd-ipt's counters (written at the daemon's exit); on
# fusept it must have bound files, and no READ or WRITE may have come:
# every file posixtest reads or writes is made or looked up through the
# mount, so bound before it is opened. The daemon's open counter is OPEN
# plus CREATE, its create counter CREATE plus MKNOD: no more opens than
# creates means that no open of a bound file reached the daemon.
print_bound() {
	local impl c b r w o n
	for impl in fuse fusept; do
		c=$(cat "$RWRES/$impl-$1.stats" 2>/dev/null)
		echo "# rw: $impl $1: daemon counters: ${c:-none}"
	done
	c=$RWRES/fusept-$1.stats
	b=$(counter bound "$c")
	r=$(counter read "$c")
	w=$(counter write "$c")
	o=$(counter open "$c")
	n=$(counter create "$c")
	if [ -z "$b" ] || [ -z "$r" ] || [ -z "$w" ] || [ -z "$o" ] ||
		[ -z "$n" ]; then
		echo "FAIL $1/bound: no counters from the daemon on fusept"
	elif [ "$b" -gt 0 ] && [ "$r" = 0 ] && [ "$w" = 0 ] &&
		[ "$o" -le "$n" ]; then
		echo "PASS $1/bound: $b bound"
	else
		echo "FAIL $1/bound: bound=$b read=$r write=$w open=$o create=$n"
	fi
}

# print_fusept FILE TAG: fusept's lines, the tag put into each name
print_fusept() {
	awk -v t="$2" '$1 ~ /^(PASS|FAIL|SKIP)$/ { $2 = t "/" $2; print }' "$1"
}

# print_ref FILE TAG: the reference's lines that are not PASS
print_ref() {
	awk -v t="$2" '$1 ~ /^(FAIL|SKIP)$/ { print "# ref " t ": " $0 }' "$1"
}

# expected DAEMON MODE CHECK: listed in EXPECTED_DIFFS
expected() {
	local key pat
	key="$1 $2 $3 $(uname -r)"
	echo "$EXPECTED_DIFFS" | while read -r pat; do
		[ -n "$pat" ] || continue
		# shellcheck disable=SC2254 # pat is a pattern
		case $key in
		$pat) echo yes && break ;;
		esac
	done | grep -q yes
}

# differ DAEMON MODE: "CHECK(ref=X,fusept=Y)" for every check that differs
differ() {
	local tag
	tag=$(short "$1")-$2
	results "$RWRES/fuse-$tag.out" >"$RWRES/ref.st"
	results "$RWRES/fusept-$tag.out" >"$RWRES/fpt.st"
	awk 'NR == FNR { ref[$1] = $2; next }
		{ got[$1] = $2 }
		END {
			for (n in ref)
				if (!(n in got))
					print n, ref[n], "missing"
				else if (got[n] != ref[n])
					print n, ref[n], got[n]
			for (n in got)
				if (!(n in ref))
					print n, "missing", got[n]
		}' "$RWRES/ref.st" "$RWRES/fpt.st" | sort
}

# modes_of DAEMON: the modes RUNS has for DAEMON
modes_of() {
	local r
	for r in $RUNS; do
		[ "${r%%:*}" != "$1" ] || echo "${r#*:}"
	done
}

# diff_daemon DAEMON: one PASS/FAIL diff-DAEMON line over all its modes
diff_daemon() {
	local d=$1 mode name ref got bad='' missing=0
	for mode in $(modes_of "$d"); do
		differ "$d" "$mode" >"$RWRES/differ"
		while read -r name ref got; do
			if expected "$d" "$mode" "$name"; then
				echo "# expected difference: $d $mode $name" \
					"ref=$ref fusept=$got"
			elif [ "$got" = missing ]; then
				missing=$((missing + 1))
			else
				bad="$bad $mode/$name(ref=$ref,fusept=$got)"
			fi
		done <"$RWRES/differ"
	done
	[ $missing = 0 ] || bad="$bad; $missing checks missing from fusept's runs"
	if [ -z "$bad" ]; then
		echo "PASS diff-$d"
	else
		echo "FAIL diff-$d: tests that differ:$bad" | cut -c1-2000
	fi
}

# ----------------------------------------------------------------- main

main() {
	local d mode impl tag
	ulimit -n 65536 2>/dev/null || ulimit -n 4096
	if ! rw_load; then
		echo "FAIL rw-setup: cannot load the kernel's FUSE and fusept"
		return 1
	fi
	if ! rw_lower; then
		echo "FAIL rw-setup: cannot mount the lower tmpfs"
		return 1
	fi
	echo "# rw: kernel $(uname -r), runs: $RUNS"
	for d in $ALL_DAEMONS; do
		[ -n "$(modes_of "$d")" ] || continue
		for mode in $(modes_of "$d"); do
			tag=$(short "$d")-$mode
			for impl in fuse fusept; do
				run_one "$impl" "$d" "$mode"
			done
			print_ref "$RWRES/fuse-$tag.out" "$tag"
			print_fusept "$RWRES/fusept-$tag.out" "$tag"
			[ "$d" != ptd-ipt ] || print_bound "$tag"
		done
		diff_daemon "$d"
	done
	return 0
}

main
