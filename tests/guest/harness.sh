# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The harness of the guest suite (sourced by run.sh; busybox sh): the
# helpers the checks of a group use, the runner of one group (group), the
# result counts and the kmemleak scans of the debug kernel.
#
# A group is a function test_NAME ('-' in NAME written '_'); "run.sh --one
# NAME" runs it in a shell of its own under timeout(1), and whatever it
# leaves behind (processes, mounts) is cleaned up after it.  Inside a
# group, expect/expect_one/ok/pass/failc record one named check and go on;
# fatal REASON ends the group with "FAIL group: REASON", skip REASON with
# "SKIP group: REASON".  A group that recorded no check and ended well
# prints "PASS group".

. "$TESTS/lib.sh"

RES=$WORK/res
PIDS=$RES/pids
SUB=$RES/sub

# ------------------------------------------------------------ in a group

fatal() {
	echo "$*" >"$RES/reason"
	exit 1
}

skip() {
	echo "$*" >"$RES/reason"
	exit 77
}

# counts.sh's expect and ok, with these pass and failc: the lines go to
# the group's $SUB, group counts them
. "$TESTS/counts.sh"
pass() { echo "PASS $1" >>"$SUB"; }

failc() {
	local n=$1
	shift
	echo "FAIL $n: $(echo "$*" | tr '\n' ' ' | cut -c1-300)" >>"$SUB"
}

# expect_one NAME GOT WANT1 WANT2...: GOT is one of the WANTs
expect_one() {
	local n=$1 got=$2 w
	shift 2
	for w in "$@"; do
		[ "$got" = "$w" ] && pass "$n" && return 0
	done
	failc "$n" "got '$got', want one of: $*"
}

# errno_of CMD...: the first line fusept-probe prints
errno_of() { fusept-probe "$@" 2>&1 | head -1; }

# spawn CMD...: run in the background, remember the pid in $BGPID
spawn() {
	"$@" &
	BGPID=$!
	echo $BGPID >>"$PIDS"
}

# mnt NAME: a fresh mount point below $MNTROOT
mnt() {
	mkdir -p "$MNTROOT/$1"
	echo "$MNTROOT/$1"
}

# start_fs MNT MOUNTOPTS DAEMON ARGS...: mount through fusept-mount with
# the daemon in the foreground (pid in $DPID, log in $RES/daemon.log)
start_fs() {
	local m=$1 o=$2
	shift 2
	spawn fusept-mount -d "$DEV" -t "$FS" ${o:+-o "$o"} "$m" "$@" \
		>>"$RES/daemon.log" 2>&1
	DPID=$BGPID
	wait_mounted "$m" 10 "$DPID" ||
		fatal "$1 did not mount $m: $(tail -3 "$RES/daemon.log" | tr '\n' ' ')"
}

# umount_daemon MNT: unmount, the daemon ($DPID) must exit with status 0;
# false with what went wrong in $UMOUNT_WHY
umount_daemon() {
	local rc
	UMOUNT_WHY=
	if ! timeout 20 umount "$1" 2>"$RES/umount.err"; then
		UMOUNT_WHY="umount: $(cat "$RES/umount.err")"
		return 1
	fi
	if ! wait_gone "$DPID" 10; then
		UMOUNT_WHY="daemon still running 10s after umount"
		return 1
	fi
	wait "$DPID"
	rc=$?
	if is_mounted "$1"; then
		UMOUNT_WHY="still in /proc/mounts after umount"
	elif [ $rc != 0 ]; then
		UMOUNT_WHY="daemon exit status $rc"
	fi
	[ -z "$UMOUNT_WHY" ]
}

# stop_fs NAME MNT: umount_daemon MNT as the check NAME
stop_fs() {
	if umount_daemon "$2"; then
		pass "$1"
	else
		failc "$1" "$UMOUNT_WHY"
	fi
}

# wait_holds PID PATH: wait until PID has PATH open as its stdin
wait_holds() {
	local n=$((50 * TSCALE))
	until [ "$(readlink "/proc/$1/fd/0")" = "$2" ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		usleep 100000
	done
}

# rw_sh CMD: the shell command CMD (for ok)
rw_sh() { sh -c "$1"; }

# start_raw MNT MODE: fusept-rawd in MODE, wait until INIT was answered
start_raw() {
	rm -f "$RES/ready"
	spawn fusept-rawd -d "$DEV" -t "$FS" -r "$RES/ready" "$2" "$1"
	DPID=$BGPID
	wait_file "$RES/ready" 10 || fatal "fusept-rawd $2 did not start"
}

# ---------------------------------------------------------------- runner

# NPASS, NFAIL, NSKIP and count_line: counts.sh's

selected() {
	local only
	[ "$1" != module ] || return 0
	only=${FUSEPT_ONLY:-$(cmdline_arg fusept.only)} || return 0
	[ -z "$only" ] || echo "$1" | grep -Eq -- "$only"
}

# Kill what a group left behind, abort and detach its mounts.
cleanup_group() { kill_leftovers "$PIDS"; }

# ------------------------------------------------------------ group table

# The group files (grp-*.sh) register their groups, run.sh runs them in
# its order, one "group NAME" line each.
GROUP_SECS=
LISTED=

# register_group NAME SECS: test_NAME ('-' in NAME written '_') is a
# group, SECS its timeout (times fusept.timeout_scale)
register_group() { GROUP_SECS="$GROUP_SECS $1=$2"; }

# group_secs NAME: the timeout group NAME was registered with
group_secs() {
	echo "$GROUP_SECS" | tr ' ' '\n' | sed -n "s/^$1=//p" | grep .
}

# unlisted_groups (at the end, it sets g): a FAIL line for each group
# registered but not run by a "group NAME" line (selected or not)
unlisted_groups() {
	for g in $GROUP_SECS; do
		case "$LISTED " in
		*" ${g%=*} "*) ;;
		*) count_line "FAIL ${g%=*}: registered, but not in run.sh's order" ;;
		esac
	done
}

# group NAME: run test_NAME in its own shell under its timeout, report
group() {
	local name=$1 secs rc line t0 leak
	LISTED="$LISTED $name"
	if ! secs=$(group_secs "$name"); then
		count_line "FAIL $name: no group file registers it"
		return 0
	fi
	secs=$((secs * TSCALE))
	selected "$name" || return 0
	rm -rf "$RES"
	mkdir -p "$RES"
	: >"$SUB"
	t0=$(date +%s)
	timeout -k 5 "$secs" sh "$TESTS/run.sh" --one "$name" \
		>"$RES/log" 2>&1 </dev/null
	rc=$?
	t0=$(($(date +%s) - t0))
	cleanup_group
	while read -r line; do
		count_line "$line"
	done <"$SUB"
	case $rc in
	0) grep -qE '^(PASS|FAIL|SKIP) ' "$SUB" || count_line "PASS $name" ;;
	77) count_line "SKIP $name: $(cat "$RES/reason" 2>/dev/null)" ;;
	*)
		if [ -s "$RES/reason" ]; then
			count_line "FAIL $name: $(cat "$RES/reason")"
		elif [ $rc = 124 ] || [ $rc = 137 ] || [ $rc = 143 ]; then
			count_line "FAIL $name: timed out after ${secs}s"
		else
			count_line "FAIL $name: exit status $rc"
		fi
		;;
	esac
	if [ "$LEAK_SCANS" = group ]; then
		leak=$(kmemleak_scan)
		[ -z "$leak" ] || count_line "FAIL kmemleak-$name: $leak; made in $name or in the group before"
	fi
	echo "    # $name: $t0 s"
	if [ $rc != 0 ] && [ $rc != 77 ] || grep -q '^FAIL' "$SUB"; then
		tail -n 20 "$RES/log" | sed 's/^/    | /'
		for f in daemon.log raw.err; do
			[ -s "$RES/$f" ] || continue
			echo "    | --- $f:"
			tail -n 10 "$RES/$f" | sed 's/^/    | /'
		done
	fi
}

# ---------------------------------------------------------------- kmemleak

# kmemleak_start: on the debug kernel, kmemleak scans after each group,
# or with fusept.kmemleak=end (make check: a scan costs 15-25 s there)
# once after the last group but dmesg-clean; what the boot left
# unreferenced is forgotten first.
kmemleak_start() {
	LEAK_SCANS=$(cmdline_arg fusept.kmemleak) || LEAK_SCANS=group
	have_kmemleak || return 0
	kmemleak_reset
	if [ "$LEAK_SCANS" = group ]; then
		echo "    # kmemleak: scanned after each group"
	else
		echo "    # kmemleak: scanned once, after the last group"
	fi
}

# kmemleak_end: the one scan of fusept.kmemleak=end
kmemleak_end() {
	local leak
	[ "$LEAK_SCANS" = end ] && have_kmemleak || return 0
	sleep 6 # reported once unreferenced for 5 s
	leak=$(kmemleak_scan)
	if [ -n "$leak" ]; then
		count_line "FAIL kmemleak: $leak"
	else
		count_line "PASS kmemleak"
	fi
}
