#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Data integrity and stress of the read-write core, inside the test VM
# (busybox sh, root): fsxcheck on the unmodified libfuse daemons
# passthrough_ll (cache=auto, cache=never, writeback) and passthrough_fh
# over a tmpfs, on fusept-passthrough with per-open passthrough and with
# inode passthrough (as root and as user 1000, with and without
# default_permissions), then fusept-stress: a clean run, the daemon SIGKILLed in
# the middle, and umount -l in the middle with files open and mapped.
# After every unmount no fusept_inode (fuse_inode) object may be left;
# at the end the module is removed if this script loaded it.
#
# Prints "PASS name", "FAIL name: reason", "SKIP name: reason" lines and
# a closing "rw-stress: N passed, N failed, N skipped"; exits 1 if
# anything failed.  Same switches as run.sh (fusept.dev=fuse runs it on
# the kernel's own FUSE), plus, on the kernel command line or in the
# environment:
#   fusept.fsx_ops=N    / FUSEPT_FSX_OPS     fsx operations in all (default
#                                            below), shared out over the runs
#   fusept.fsx_seed=S   / FUSEPT_FSX_SEED    first seed (default 1)
#   fusept.stress_secs=N / FUSEPT_STRESS_SECS  length of a stress run (15)
#   fusept.rw_only=RE   / FUSEPT_RW_ONLY     only the steps matching RE

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"
# count_line and the counters (pass and failc are this script's own)
. "$TESTS/counts.sh"

# Default fsx budget: 50000 operations, shared out (percent) over the
# runs below: nearly all of them on the passthrough file of
# fusept-passthrough (about 320 operations a second under QEMU TCG on a
# loaded 2-core host: 47500 in about 2.5 min), the rest over the libfuse
# examples, where every operation is one or more round trips to the
# daemon (35-100 a second). With the defaults the fsx steps take about
# 4 min on a loaded host, the stress steps 3 x (stress_secs + ~3 s).
# fusept.fsx_ops=N scales all of them (N=1000000: about 60 min). The
# default was 100000, then 60000, until make check needed the time for
# other groups.
DEFAULT_OPS=50000
PCT_LL_AUTO=2
PCT_LL_NEVER=1
PCT_LL_WB=1
PCT_FH=1
PCT_PTD=95
# each of the four inode passthrough runs (on top of the 100 above; 3000
# operations in each of two processes took 2-4 s on 6.12; 20: make check's
# time, 36 min warm with 40)
PCT_IPT=20
# the kernel's FUSE before 6.9 has no passthrough: the file goes through
# the daemon there, as slowly as the others
KV=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
if ! is_fusept && [ "$KV" -lt 609 ]; then
	PCT_PTD=2
	PCT_IPT=1
fi

knob() { # knob ENVVAR CMDLINE-NAME DEFAULT
	local v
	eval "v=\${$1:-}"
	[ -n "$v" ] || v=$(cmdline_arg "$2") || v=
	echo "${v:-$3}"
}

OPS=$(knob FUSEPT_FSX_OPS fusept.fsx_ops $DEFAULT_OPS)
SEED=$(knob FUSEPT_FSX_SEED fusept.fsx_seed 1)
SSECS=$(knob FUSEPT_STRESS_SECS fusept.stress_secs 15)
ONLY=$(knob FUSEPT_RW_ONLY fusept.rw_only '')
RES=$WORK/rwres
SLAB=${FS}_inode

# ------------------------------------------------------------ in a step

fatal() {
	echo "$*" >"$RES/reason"
	exit 1
}

pass() { echo "PASS $1" >>"$RES/sub"; }

failc() {
	local n=$1
	shift
	echo "FAIL $n: $(echo "$*" | tr '\n' ' ' | cut -c1-300)" >>"$RES/sub"
}

skipc() { echo "SKIP $1: $2" >>"$RES/sub"; }

# mount_fs NAME MOUNTOPTS DAEMON ARGS...: mount $MNTROOT/NAME, daemon in
# the foreground; sets M and DPID
mount_fs() {
	local n=$1 o=$2
	shift 2
	M=$MNTROOT/$n
	mkdir -p "$M"
	fusept-mount -d "$DEV" -t "$FS" ${o:+-o "$o"} "$M" "$@" \
		>>"$RES/daemon.log" 2>&1 &
	DPID=$!
	echo "$DPID" >>"$RES/pids"
	wait_mounted "$M" 10 "$DPID" ||
		fatal "$1 did not mount $M: $(tail -3 "$RES/daemon.log" | tr '\n' ' ')"
}

# lower NAME: an empty directory on the tmpfs
lower() {
	rm -rf "${LOWER:?}/$1"
	mkdir -p "$LOWER/$1"
	echo "$LOWER/$1"
}

# umount_fs NAME: unmount $M; the daemon must exit with status 0
umount_fs() {
	local rc
	if ! timeout 30 umount "$M" 2>"$RES/umount.err"; then
		failc "$1" "umount: $(cat "$RES/umount.err")"
		return 1
	fi
	if ! wait_gone "$DPID" 10; then
		failc "$1" "daemon still running $((10 * TSCALE))s after umount"
		return 1
	fi
	wait "$DPID"
	rc=$?
	if is_mounted "$M"; then
		failc "$1" "still in /proc/mounts after umount"
	elif [ $rc != 0 ]; then
		failc "$1" "daemon exit status $rc"
	else
		pass "$1"
		return 0
	fi
	return 1
}

# slab_check NAME: no ${FS}_inode object is left once nothing is mounted
# (within 5 s, times the timeout scale)
slab_check() {
	local n=$((50 * TSCALE)) active
	if [ ! -r /proc/slabinfo ]; then
		skipc "$1" "/proc/slabinfo not readable"
		return
	fi
	if ! grep -q "^$SLAB " /proc/slabinfo; then
		skipc "$1" "no $SLAB cache in /proc/slabinfo (merged?)"
		return
	fi
	if awk -v f="$FS" '$3 == f { found = 1 } END { exit !found }' /proc/mounts; then
		skipc "$1" "another $FS mount is still there"
		return
	fi
	# SLUB counts the objects of per-cpu slabs as active until shrunk;
	# inodes are freed after an RCU grace period.
	while :; do
		echo 1 >"/sys/kernel/slab/$SLAB/shrink" 2>/dev/null
		active=$(awk -v c="$SLAB" '$1 == c { print $2 }' /proc/slabinfo)
		[ "$active" != 0 ] || break
		n=$((n - 1))
		if [ $n -le 0 ]; then
			failc "$1" "$active active $SLAB objects $((5 * TSCALE))s after umount"
			return
		fi
		usleep 100000
	done
	pass "$1"
}

# fsx NAME OPS SEED MOUNTOPTS FILE-BELOW-MNT DAEMON ARGS...
# ($FSXOPT: more fsxcheck options; $FSXUSER: the uid fsxcheck runs as)
fsx() {
	local n=$1 ops=$2 seed=$3 o=$4 rel=$5 t0 i par=${FSXPAR:-1} nm f pids=
	shift 5
	mount_fs "$n" "$o" "$@"
	t0=$(date +%s)
	# $FSXPAR processes at once, each on its own file with its own seed
	for i in $(seq 1 "$par"); do
		nm=${n#fsx-}
		f=file
		[ "$par" = 1 ] || { nm=$nm-$i; f=file$i; }
		# shellcheck disable=SC2086
		fsxcheck -N $((ops / par)) -S $((seed + (i - 1) * 1000)) -n "$nm" \
			${FSXOPT:-} ${FSXUSER:+-U "$FSXUSER"} "$M$rel/$f" >"$RES/fsx$i.out" 2>"$RES/fsx$i.err" &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	for i in $(seq 1 "$par"); do
		grep -E '^(PASS|FAIL) ' "$RES/fsx$i.out" >>"$RES/sub"
		grep -qE '^(PASS|FAIL) ' "$RES/fsx$i.out" ||
			echo "fsxcheck printed no result" >"$RES/reason"
		echo "$n: $(($(date +%s) - t0)) s; $(tr '\n' ' ' <"$RES/fsx$i.err")" \
			>>"$RES/info"
	done
	umount_fs "$n-umount" && slab_check "$n-slab"
	[ ! -s "$RES/reason" ]
}

step_fsx_ll_auto() {
	fsx fsx-ll-auto $((OPS * PCT_LL_AUTO / 100)) "$SEED" "" "" passthrough_ll -f \
		-o "source=$(lower fsx-ll-auto),cache=auto"
}

step_fsx_ll_never() {
	fsx fsx-ll-never $((OPS * PCT_LL_NEVER / 100)) $((SEED + 1)) "" "" passthrough_ll -f \
		-o "source=$(lower fsx-ll-never),cache=never"
}

# No O_DIRECT here: passthrough_ll opens O_DIRECT files with direct_io,
# and the kernel's own FUSE does not write back dirty writeback-cache
# pages before such a read (it reads stale data from the daemon).
step_fsx_ll_writeback() {
	FSXOPT=-Z fsx fsx-ll-writeback $((OPS * PCT_LL_WB / 100)) $((SEED + 2)) "" "" \
		passthrough_ll -f -o "source=$(lower fsx-ll-wb),cache=auto,writeback"
}

# passthrough_fh shows the whole root: the file is below the lower dir
step_fsx_fh() {
	local l
	l=$(lower fsx-fh)
	fsx fsx-fh $((OPS * PCT_FH / 100)) $((SEED + 3)) "" "$l" passthrough_fh -f
}

# The reference daemon with passthrough on, two fsxcheck processes on two
# files at once (both vCPUs busy): the files' reads, writes,
# mmap and fallocate go to the backing file in the kernel.  Its counters
# (written at exit) must show passthrough opens and, on fusept, no READ
# or WRITE request (the kernel's FUSE without passthrough, before 6.9,
# serves the file the plain way: the counters are only reported).
step_fsx_ptd() {
	local st=$RES/ptd.stats c n
	FSXPAR=2 fsx fsx-ptd $((OPS * PCT_PTD / 100)) $((SEED + 4)) "" "" \
		fusept-passthrough -f --stats "$st" "$(lower fsx-ptd)"
	c=$(cat "$st" 2>/dev/null)
	echo "fsx-ptd: daemon counters: $c" >>"$RES/info"
	n=$(echo "$c" | sed -n 's/.*passthrough_open=\([0-9]*\).*/\1/p')
	if ! is_fusept; then
		return 0
	elif [ -z "$n" ]; then
		failc fsx-ptd-passthrough "no counters from the daemon: '$c'"
	elif [ "$n" -gt 0 ] && echo "$c" | grep -q 'read=0 write=0'; then
		pass fsx-ptd-passthrough
	else
		failc fsx-ptd-passthrough "counters: $c"
	fi
}

# fsx_ipt NAME SEED MOUNTOPTS [UID]: two fsxcheck processes (as UID if
# given) on a mount of the reference daemon with inode passthrough:
# fusept binds each file at CREATE and LOOKUP, and its opens, reads,
# writes, mmaps and stats go to the lower file without the daemon. Its
# counters must show bindings and, on fusept, no READ or WRITE request,
# and no OPEN but the CREATE of each file (the daemon counts both as
# open, CREATE and MKNOD as create).
# The kernel's FUSE has no inode passthrough: the daemon falls back to
# per-open passthrough (6.9 and later) or to plain FUSE I/O; the
# counters are only reported there.
fsx_ipt() {
	local n=$1 st=$RES/ipt.stats l c b o k
	l=$(lower "$n")
	[ -z "${4:-}" ] || chmod 1777 "$l"
	FSXPAR=2 FSXUSER=${4:-} fsx "$n" $((OPS * PCT_IPT / 100)) "$2" "$3" "" \
		fusept-passthrough -f --inode-passthrough --stats "$st" "$l"
	c=$(cat "$st" 2>/dev/null)
	echo "$n: daemon counters: $c" >>"$RES/info"
	b=$(echo "$c" | sed -n 's/.* bound=\([0-9]*\).*/\1/p')
	o=$(echo "$c" | sed -n 's/.* open=\([0-9]*\).*/\1/p')
	k=$(echo "$c" | sed -n 's/.* create=\([0-9]*\).*/\1/p')
	if ! is_fusept; then
		return 0
	elif [ -z "$b" ] || [ -z "$o" ] || [ -z "$k" ]; then
		failc "$n-bound" "no counters from the daemon: '$c'"
	elif [ "$b" -gt 0 ] && [ "$o" -le "$k" ] &&
		echo "$c" | grep -q 'read=0 write=0'; then
		pass "$n-bound"
	else
		failc "$n-bound" "counters: $c"
	fi
}

step_fsx_ipt_dp() {
	fsx_ipt fsx-ipt-dp $((SEED + 5)) allow_other,default_permissions
}

step_fsx_ipt_nodp() { fsx_ipt fsx-ipt-nodp $((SEED + 6)) allow_other; }

step_fsx_ipt_udp() {
	fsx_ipt fsx-ipt-udp $((SEED + 7)) allow_other,default_permissions 1000
}

step_fsx_ipt_unodp() {
	fsx_ipt fsx-ipt-unodp $((SEED + 8)) allow_other 1000
}

# stress NAME MODE: MODE clean, kill or lazy
stress() {
	local n=$1 mode=$2 opt='' rc
	mount_fs "$n" "" passthrough_ll -f -o "source=$(lower "$n"),cache=auto"
	case $mode in
	kill) opt="-K $DPID" ;;
	lazy) opt="-L $M" ;;
	esac
	# a worker is hung after 30 s without progress (-g; 60 s for the
	# setup), times the timeout scale: the debug kernel's final checks
	# alone may take that long
	# shellcheck disable=SC2086
	fusept-stress -p 4 -t "$SSECS" -S "$SEED" -n "${n#stress-}" \
		-g $((30 * TSCALE)) $opt "$M" >"$RES/stress.out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL) ' "$RES/stress.out" >>"$RES/sub"
	grep -qE '^(PASS|FAIL) ' "$RES/stress.out" ||
		failc "$n" "fusept-stress exit status $rc, no result"
	grep '^  ' "$RES/stress.out" | head -20 >>"$RES/info"
	case $mode in
	clean)
		umount_fs "$n-umount"
		;;
	kill)
		wait_gone "$DPID" 5 || failc "$n-daemon-killed" "daemon alive"
		if timeout 30 umount "$M" 2>"$RES/umount.err"; then
			pass "$n-umount"
		else
			failc "$n-umount" "$(cat "$RES/umount.err")"
			umount -l "$M" 2>/dev/null
		fi
		;;
	lazy)
		if is_mounted "$M"; then
			failc "$n-detached" "$M still in /proc/mounts"
			umount -l "$M" 2>/dev/null
		else
			pass "$n-detached"
		fi
		# the last user is gone: the connection ends, the daemon exits
		if wait_gone "$DPID" 10; then
			pass "$n-daemon-exits"
		else
			failc "$n-daemon-exits" "daemon still running $((10 * TSCALE))s after the last user"
		fi
		;;
	esac
	slab_check "$n-slab"
}

step_stress_clean() { stress stress-clean clean; }
step_stress_kill() { stress stress-kill kill; }
step_stress_lazy() { stress stress-lazy lazy; }

step_dmesg_clean() {
	local bad
	bad=$(dmesg_bad 'rw-stress: begin')
	[ -z "$bad" ] || fatal "kernel log: $bad"
}

# ---------------------------------------------------------------- runner

# NPASS, NFAIL, NSKIP and count_line: counts.sh's

cleanup_step() { kill_leftovers "$RES/pids"; }

# step NAME SECS: run step_NAME in its own shell under timeout, report
step() {
	local name=$1 secs=$(($2 * TSCALE)) rc t0 line
	if [ -n "$ONLY" ] && ! echo "$name" | grep -Eq -- "$ONLY"; then
		return 0
	fi
	rm -rf "$RES"
	mkdir -p "$RES"
	: >"$RES/sub"
	t0=$(date +%s)
	timeout -k 5 "$secs" sh "$TESTS/rw-stress.sh" --one "$name" \
		>"$RES/log" 2>&1 </dev/null
	rc=$?
	cleanup_step
	while read -r line; do
		count_line "$line"
	done <"$RES/sub"
	if [ $rc != 0 ]; then
		if [ -s "$RES/reason" ]; then
			count_line "FAIL $name: $(cat "$RES/reason")"
		elif [ $rc = 124 ] || [ $rc = 137 ] || [ $rc = 143 ]; then
			count_line "FAIL $name: timed out after ${secs}s"
		elif ! grep -q '^FAIL' "$RES/sub"; then
			count_line "FAIL $name: exit status $rc"
		fi
	elif [ ! -s "$RES/sub" ]; then
		count_line "PASS $name"
	fi
	[ ! -s "$RES/info" ] || sed 's/^ */    # /' "$RES/info"
	echo "    # $name: $(($(date +%s) - t0)) s"
	if [ $rc != 0 ] || grep -q '^FAIL' "$RES/sub"; then
		for f in log fsx1.out fsx2.out stress.out daemon.log; do
			[ -s "$RES/$f" ] || continue
			echo "    | --- $f:"
			tail -n 50 "$RES/$f" | sed 's/^/    | /'
		done
	fi
}

if [ "$1" = --one ]; then
	"step_$(echo "$2" | tr - _)"
	exit $?
fi

# fsx_secs PCT RATE: one minute plus the step's operations at RATE a
# second (a third of the slowest seen: 36 and 240 a second with a host
# loaded five times over)
fsx_secs() { echo $((60 + OPS * $1 / 100 / $2)); }

mkdir -p "$WORK" "$MNTROOT"
ulimit -n 65536 2>/dev/null || ulimit -n 4096
echo "rw-stress: begin" >/dev/kmsg 2>/dev/null
echo "rw-stress: fs=$FS dev=$DEV kernel=$(uname -r) fsx_ops=$OPS seed=$SEED stress_secs=$SSECS"
T0=$(date +%s)

LOADED=
if is_fusept && ! grep -qw "$FS" /proc/filesystems; then
	LOADED=1
fi
if load_modules; then
	count_line "PASS rw-setup-modules"
else
	count_line "FAIL rw-setup-modules: cannot load $FS"
fi
lower_init || count_line "FAIL rw-setup-lower: cannot mount the lower tmpfs"

step fsx-ll-auto "$(fsx_secs $PCT_LL_AUTO 12)"
step fsx-ll-never "$(fsx_secs $PCT_LL_NEVER 12)"
step fsx-ll-writeback "$(fsx_secs $PCT_LL_WB 12)"
step fsx-fh "$(fsx_secs $PCT_FH 12)"
step fsx-ptd "$(fsx_secs $PCT_PTD 100)"
for m in dp nodp udp unodp; do
	step "fsx-ipt-$m" "$(fsx_secs $PCT_IPT 100)"
done
step stress-clean $((SSECS + 120))
step stress-kill $((SSECS + 120))
step stress-lazy $((SSECS + 120))
step dmesg-clean 30

if [ -n "$LOADED" ] && [ -z "$ONLY" ]; then
	umount "$LOWER" 2>/dev/null
	if timeout 30 rmmod fusept 2>"$WORK/rmmod.err"; then
		count_line "PASS rw-rmmod"
	else
		count_line "FAIL rw-rmmod: $(cat "$WORK/rmmod.err")"
	fi
fi
echo "    # rw-stress total: $(($(date +%s) - T0)) s"
echo "rw-stress: $NPASS passed, $NFAIL failed, $NSKIP skipped"
[ "$NFAIL" = 0 ]
