# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2034 # the variables are used by the scripts sourcing this
# Helpers shared by run.sh and demo.sh (sourced; busybox sh inside the guest).
#
# Which FUSE implementation is under test:
#   kernel command line fusept.dev=fuse   -> the kernel's own FUSE
#   kernel command line fusept.dev=fusept -> fusept (the default)
#   FUSEPT_FSTYPE / FUSEPT_DEV in the environment override both.

cmdline_arg() {
	local w
	for w in $(cat /proc/cmdline 2>/dev/null); do
		case $w in
		"$1="*)
			echo "${w#*=}"
			return 0
			;;
		esac
	done
	return 1
}

case ${FUSEPT_FSTYPE:-$(cmdline_arg fusept.dev)} in
fuse) FS=fuse ;;
*) FS=${FUSEPT_FSTYPE:-fusept} ;;
esac
DEV=${FUSEPT_DEV:-/dev/$FS}
MODULE=${FUSEPT_MODULE:-/lib/fusept/fusept.ko}
SYSDIR=/sys/fs/$FS
CTLDIR=$SYSDIR/connections
WORK=${FUSEPT_WORK:-/tmp/fpt}
MNTROOT=$WORK/mnt
LOWER=$WORK/lower

# Group and step timeouts, and the limits of the wait_* helpers below,
# are multiplied by this (fusept.timeout_scale=N on the kernel command
# line: the debug kernel is several times slower); a whole number >= 1
TSCALE=${FUSEPT_TIMEOUT_SCALE:-$(cmdline_arg fusept.timeout_scale || echo 1)}
case $TSCALE in
'' | *[!0-9]*) TSCALE=1 ;;
esac
[ "$TSCALE" -ge 1 ] || TSCALE=1
# for the test programs' waits (fusept-reliab, fusept-locktest, ...)
export FUSEPT_TIMEOUT_SCALE="$TSCALE"

# The kernel log lines that fail a run. lockdep's reports by their
# words, not a bare "lockdep": on the debug kernel any call trace (an
# allocation failure the fault-inject group provokes, say) names
# lockdep_* functions. tests/vm/parse-log.sh has the same rule.
DMESG_PATTERN='BUG|WARNING|Oops|general protection|list_del corruption|blocked for more than|hung_task|circular locking|refcount_t|use-after-free'
DMESG_PATTERN="$DMESG_PATTERN|lockdep is turned off|possible recursive locking|inconsistent lock state|suspicious RCU usage|locking correctness validator"

# dmesg_bad MARK: the first such lines since the log line matching MARK,
# on one line (nothing when there are none)
dmesg_bad() {
	dmesg | sed -n "/$1/,\$p" | grep -E "$DMESG_PATTERN" | head -5 |
		tr '\n' ' ' | cut -c1-400
}

# is_fusept: true when the module under test is fusept, not kernel FUSE
is_fusept() { [ "$FS" != fuse ]; }

# The control file system that populates $CTLDIR, if the kernel has one.
ctl_fstype() {
	local t
	for t in "${FS}ctl" fusectl; do
		if grep -qw "$t" /proc/filesystems; then
			[ "$FS" = fuse ] || [ "$t" != fusectl ] || continue
			echo "$t"
			return 0
		fi
	done
	return 1
}

# Mount the control file system on $CTLDIR when it needs one.
ensure_ctl() {
	local t
	[ -d "$CTLDIR" ] || return 0
	grep -q " $CTLDIR " /proc/mounts && return 0
	t=$(ctl_fstype) || return 0
	mount -t "$t" none "$CTLDIR"
}

# Load the kernel's own FUSE (if it is a module), then fusept.
load_modules() {
	grep -qw fuse /proc/filesystems || modprobe fuse 2>/dev/null
	if is_fusept && ! grep -qw "$FS" /proc/filesystems; then
		insmod "$MODULE" || return 1
	fi
	ensure_ctl
}

# alive PID: the process exists and is not a zombie
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# proc_state PID: the one-letter scheduler state (R, S, D, ...)
proc_state() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1
}

# in_state PID STATE: PID's scheduler state is STATE
in_state() { [ "$(proc_state "$1")" = "$2" ]; }

# The wait_* helpers poll every 100 ms for SECS seconds times $TSCALE:
# they return as soon as the condition holds, so the scale only lengthens
# a wait that fails.

# wait_until SECS CMD...: run CMD every 100 ms until it succeeds, false
# if it still fails after SECS
wait_until() {
	local n=$(($1 * 10 * TSCALE))
	shift
	until "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		usleep 100000
	done
}

not_alive() { ! alive "$1"; }

# wait_gone PID SECS: wait until PID has exited, false on timeout
wait_gone() { wait_until "$2" not_alive "$1"; }

is_mounted() { grep -q " $1 " /proc/mounts; }

# The directory of the newer libfuse's examples (sid's, which
# tests/vm/build-guest.sh builds): /usr/local/fusept/libfuse-VERSION
NEWFUSE_GLOB=/usr/local/fusept/libfuse-*
newfuse_dir() {
	# shellcheck disable=SC2086 # the glob is expanded on purpose
	ls -d $NEWFUSE_GLOB 2>/dev/null | tail -1
}

# mount_fstype MNT: the type /proc/mounts shows for MNT
mount_fstype() { awk -v m="$1" '$2 == m { t = $3 } END { print t }' /proc/mounts; }

# wait_file PATH SECS: wait until PATH exists
wait_file() { wait_until "$2" test -e "$1"; }

# wait_mounted MNT SECS [PID]: wait for MNT in /proc/mounts (PID must live)
wait_mounted() {
	local n=$(($2 * 10 * TSCALE))
	until is_mounted "$1"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		[ -z "$3" ] || alive "$3" || return 1
		usleep 100000
	done
}

# conn_id MNT: the connection's directory name under $CTLDIR, taken from
# /proc/self/mountinfo so that it works while the daemon hangs.
conn_id() {
	local mm
	mm=$(awk -v m="$1" '$5 == m { d = $3 } END { print d }' /proc/self/mountinfo)
	[ -n "$mm" ] || return 1
	echo $(((${mm%%:*} << 20) | ${mm##*:}))
}

# abort_conn MNT: write 1 to the connection's abort file
abort_conn() {
	local id
	id=$(conn_id "$1") || return 1
	[ -e "$CTLDIR/$id/abort" ] || return 1
	echo 1 >"$CTLDIR/$id/abort"
}

# kill_leftovers PIDFILE: kill the processes listed in PIDFILE, then abort
# and detach every mount below $MNTROOT
kill_leftovers() {
	local p m
	for p in $(cat "$1" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	for m in $(awk -v r="$MNTROOT/" 'index($2, r) == 1 { print $2 }' \
		/proc/mounts); do
		abort_conn "$m" 2>/dev/null
		umount -l "$m" 2>/dev/null
	done
}

# daemon_counters PID FILE: ask fusept-passthrough (PID, started with
# --stats FILE) for its request counters (SIGUSR1), print them
daemon_counters() {
	rm -f "$2"
	kill -USR1 "$1" 2>/dev/null
	wait_file "$2" 5 && cat "$2"
}

# field LINE NAME: the value of NAME=N in a counters LINE
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# lower_init: a tmpfs for lower directories
lower_init() {
	mkdir -p "$LOWER" "$MNTROOT"
	is_mounted "$LOWER" || mount -t tmpfs -o size=400m,mode=755 lower "$LOWER"
}

# ------------------------------------------------------- kmemleak (debug kernel)
# The debug kernel is recognised by its features, not its name: kmemleak
# is there when /sys/kernel/debug/kmemleak is. kmemleak reports an
# object only once it has been unreferenced for 5 s, so a leak made in
# the last seconds of a group shows up in the next group's scan.
KMEMLEAK=/sys/kernel/debug/kmemleak

have_kmemleak() { [ -w "$KMEMLEAK" ] && [ ! -e "$WORK/kmemleak.off" ]; }

# kmemleak_reset: scan and forget what is reported (objects the kernel
# itself left unreferenced at boot are not the tests' leaks)
kmemleak_reset() {
	have_kmemleak || return 0
	echo scan >"$KMEMLEAK" 2>/dev/null
	echo clear >"$KMEMLEAK" 2>/dev/null
}

# kmemleak_scan: scan now; prints nothing when nothing leaked, else a
# one-line summary (count, first object's task and call chain) and
# the whole report on stderr, then clears it for the next scan
kmemleak_scan() {
	local n first
	have_kmemleak || return 0
	if ! echo scan >"$KMEMLEAK" 2>/dev/null; then
		mkdir -p "$WORK" && : >"$WORK/kmemleak.off"
		echo "kmemleak scan failed, kmemleak is off from here on"
		return 0
	fi
	n=$(grep -c 'unreferenced object' "$KMEMLEAK")
	[ "$n" != 0 ] || return 0
	first=$(grep -m1 -A14 'unreferenced object' "$KMEMLEAK" |
		sed -n 's/^ *comm \("[^"]*"\), pid \([0-9]*\).*/\1 pid \2,/p;
			s/^ *\[<[0-9a-f]*>\] \([^ ]*\).*/\1/p' |
		grep -Ev '^(kmemleak_|kmem_cache_alloc|__kmalloc|kmalloc_|slab_post|__kmem|kasan)' |
		head -5 | tr '\n' ' ')
	echo "$n unreferenced objects (new since the last scan; first: $first)"
	sed 's/^/    | /' "$KMEMLEAK" | head -80 >&2
	echo clear >"$KMEMLEAK" 2>/dev/null
}
