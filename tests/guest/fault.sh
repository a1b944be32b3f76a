#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fault injection into fusept (group fault-inject of run.sh), inside the
# test VM (busybox sh, root). Needs the debug kernel's failslab,
# fail_page_alloc and fail_function under /sys/kernel/debug; prints one
# SKIP line and exits 0 where they are missing.
#
# fusept has no function marked ALLOW_ERROR_INJECTION, so fail_function
# cannot target fusept's own functions. Instead every injector is aimed at
# fusept's allocation paths with the stack trace filter: require-start and
# require-end span fusept.ko's code (its .text address from
# /sys/module/fusept/sections, its last code symbol from /proc/kallsyms),
# so only an allocation with fusept on the call stack may fail; and
# task-filter limits it to the test's processes (/proc/PID/make-it-fail,
# inherited by children and threads). fail_function is used, with the same
# filters, on the kernel's injectable __filemap_add_folio() (page cache
# insertion, -ENOMEM), which fusept's read and write paths reach. Not on
# should_failslab(): fail_function skips the function's own checks, so it
# would also fail the __GFP_NOFAIL allocations fusept makes.
#
# fail_function needs an ftrace-based kprobe ([FTRACE] in
# /sys/kernel/debug/kprobes/list; the debug kernel has the function
# tracer for it); its phases SKIP otherwise. Without ftrace the kprobe
# is an int3 (never optimized: it has a post handler), whose handler
# runs in NMI context (exc_int3 -> irqentry_nmi_enter): in_task() is
# false, so the task filter refuses every fault (0 injected in every
# run), and without the task filter should_fail() takes the
# batched_entropy lock from NMI context: lockdep's "inconsistent {INITIAL USE} -> {IN-NMI} usage"
# (get_random_u8 <- should_fail_ex <- fei_kprobe_handler <- exc_int3),
# which also turns lockdep off for the groups after. (That run, with the
# task filter off, did show fusept reaching the function: 342 faults with
# passthrough_ll, 23 with fusept-passthrough on ramfs.)
#
# Phases (INJECTOR x WORKLOAD): failslab, fail_page_alloc and fail_function
# each with passthrough_ll (every read and write a round trip through the
# daemon) and with fusept-passthrough (passthrough to the backing file).
# The backing files are on tmpfs, whose page cache is filled by
# shmem_add_to_page_cache(), not __filemap_add_folio(): for fail_function
# fusept-passthrough's lower directory is a ramfs instead (generic page
# cache, simple_write_begin), so that the injector can be reached.
# A phase mounts the daemon and runs fsxcheck on a fresh file, again and
# again for FUSEPT_FAULT_SECS seconds, all of it with faults injected
# (the mount itself may fail: a fault in fill_super).
#
# Checks, per phase: every failed call failed with a sensible error
# (ENOMEM EIO EINTR ENOTCONN ECONNABORTED; ECONNREFUSED after a fault
# during INIT, the connection then refuses requests, as fs/fuse's
# conn_error does; EFAULT or a short read or write of data, when faulting
# in the test's own buffer failed; SIGBUS on a mapping), no fsxcheck run
# hangs (each has FUSEPT_FAULT_RUN_SECS), every umount works and its
# daemon exits (if not, the state and kernel stacks of its threads are
# printed as "    | " lines), faults were injected (counted from the
# injector's `times`); at the end: no fusept_inode object left,
# no kmemleak report, and `rmmod fusept` works (fusept is loaded again
# after, for the groups that follow).
#
# Prints "PASS name", "FAIL name: reason", "SKIP name: reason" lines and
# "    # " notes (faults injected per phase); exits 1 if anything failed.
# Env (or kernel command line): FUSEPT_FAULT_SECS / fusept.fault_secs
# (per phase, default 20), FUSEPT_FAULT_PCT / fusept.fault_pct (failure
# probability in percent, default 5), FUSEPT_FAULT_PHASES /
# fusept.fault_phases (INJ:KIND,... default all six).

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"

DBG=/sys/kernel/debug
RES=$WORK/fault
SECS=${FUSEPT_FAULT_SECS:-$(cmdline_arg fusept.fault_secs || echo 20)}
PCT=${FUSEPT_FAULT_PCT:-$(cmdline_arg fusept.fault_pct || echo 5)}
PHASES=${FUSEPT_FAULT_PHASES:-$(cmdline_arg fusept.fault_phases ||
	echo slab:ll,slab:ptd,page:ll,page:ptd,func:ll,func:ptd)}
RUN_SECS=${FUSEPT_FAULT_RUN_SECS:-300}
TIMES=1000000 # an injector stops after this many faults
OPS=400       # fsxcheck operations per run (most runs end sooner, at a fault)
# the errors an injected allocation failure may turn into (ECONNREFUSED:
# a fault during INIT, module/req.c fusept_wait_ready())
ALLOWED='ENOMEM|EIO|EINTR|ENOTCONN|ECONNABORTED|ECONNREFUSED'
# and those of a read or write of data only: the kernel faults in the
# test's buffer while fusept is on the stack, an allocation there fails
# (VM_FAULT_OOM in kernel mode: the copy stops, EFAULT or a short count)
ALLOWED_DATA='EFAULT'
NFAIL=0

pass() { echo "PASS $1"; }
failc() {
	NFAIL=$((NFAIL + 1))
	echo "FAIL $1: $(echo "$2" | tr '\n' ' ' | cut -c1-300)"
}
note() { echo "    # $*"; }

# have_injectors: the debug kernel's fault injection is there, with the
# stack trace filter (without it the faults would hit every allocation)
have_injectors() {
	[ -d "$DBG/failslab" ] && [ -d "$DBG/fail_page_alloc" ] &&
		[ -d "$DBG/fail_function" ] && [ -e /proc/self/make-it-fail ] &&
		[ -e "$DBG/failslab/require-start" ]
}

# text_range: "START END" of fusept's code, in hex
text_range() {
	local s e
	s=$(cat /sys/module/fusept/sections/.text 2>/dev/null) || return 1
	e=$(awk '$4 == "[fusept]" && ($2 == "t" || $2 == "T") { print $1 }' \
		/proc/kallsyms | sort | tail -1)
	[ -n "$s" ] && [ -n "$e" ] || return 1
	# the last function's end is not listed: give it a page
	printf '%s %#x\n' "$s" $((0x$e + 4096))
}

# arm DIR: aim injector DIR at fusept's code in the marked tasks
arm() {
	local d=$1
	echo 1 >"$d/task-filter"
	echo "$RANGE_START" >"$d/require-start"
	echo "$RANGE_END" >"$d/require-end"
	echo 32 >"$d/stacktrace-depth"
	echo 0 >"$d/space"
	echo 1 >"$d/interval"
	echo 0 >"$d/verbose"
	echo "$TIMES" >"$d/times"
	[ ! -e "$d/ignore-gfp-wait" ] || echo N >"$d/ignore-gfp-wait"
	[ ! -e "$d/ignore-gfp-highmem" ] || echo N >"$d/ignore-gfp-highmem"
	[ ! -e "$d/min-order" ] || echo 0 >"$d/min-order"
	echo "$PCT" >"$d/probability"
}

# disarm DIR: stop injecting; prints how many faults DIR injected
disarm() {
	echo 0 >"$1/probability"
	echo $((TIMES - $(cat "$1/times")))
}

FUNC=__filemap_add_folio # fail_function's target

# injector NAME: the debugfs directory of an injector; fail_function is
# pointed at $FUNC, returning -ENOMEM
injector() {
	case $1 in
	slab) echo "$DBG/failslab" ;;
	page) echo "$DBG/fail_page_alloc" ;;
	func)
		echo "$FUNC" >"$DBG/fail_function/inject" || return 1
		printf '%#x\n' -12 >"$DBG/fail_function/$FUNC/retval" || return 1
		echo "$DBG/fail_function"
		;;
	esac
}

# func_usable: fail_function's kprobe is ftrace-based, its handler runs
# in task context (see the top). With IBT the probe sits after the
# function's endbr64 (+0x4), where the ftrace call is.
func_usable() {
	grep -q " $FUNC+0x[0-9a-f]* .*\[FTRACE\]" "$DBG/kprobes/list" 2>/dev/null
}

# uninject NAME: fail_function forgets its target
uninject() {
	[ "$1" != func ] || echo "!$FUNC" >"$DBG/fail_function/inject"
}

# marked CMD...: exec CMD with fault injection on for it and its children
marked() {
	echo 1 >/proc/self/make-it-fail
	exec "$@"
}

# daemon_args KIND LOWER: the daemon and its arguments. passthrough_ll
# single-threaded: libfuse's multi-threaded loop ends on a worker's error
# (ENOMEM from splice, injected) by pthread_cancel()ing the other workers;
# one may go while it holds stderr's stdio lock, and the daemon's last
# thread then waits for that lock for ever (seen: its only thread in
# futex_wait on glibc's _IO_stdfile_2_lock after "fuse: splice from
# device: Cannot allocate memory"), still running after umount. A
# userspace deadlock, not fusept's; fsxcheck sends one request at a time,
# so the kernel side is the same.
daemon_args() {
	case $1 in
	ll) echo "passthrough_ll -f -s -o source=$2,cache=auto" ;;
	ptd) echo "fusept-passthrough -f $2" ;;
	esac
}

# run_limited SECS OUT CMD...: CMD (marked) with its output in OUT; 124
# and the stack of the stuck process when it is still running after SECS
run_limited() {
	local secs=$1 out=$2 pid n
	shift 2
	(marked "$@") >"$out" 2>&1 &
	pid=$!
	n=$((secs * 5))
	while alive "$pid"; do
		n=$((n - 1))
		if [ $n -le 0 ]; then
			echo "hung: $* (state $(proc_state "$pid")): $(tr '\n' ' ' \
				<"/proc/$pid/stack" 2>/dev/null)" >>"$RES/hangs"
			kill -9 "$pid" 2>/dev/null
			return 124
		fi
		usleep 200000
	done
	wait "$pid"
}

# classify OUT: the outcome of one fsxcheck run: pass, an allowed error
# name, or "bad: LINE"
classify() {
	local line e
	line=$(grep -E '^(PASS|FAIL) ' "$1" | head -1)
	case $line in
	PASS\ *) echo pass ;;
	*SIGBUS*) echo SIGBUS ;;
	*": short "* | *"short read"*) echo short ;;
	FAIL\ *)
		e=${line##* = }
		e=${e##*: }
		if echo "$e" | grep -Eqx "$ALLOWED"; then
			echo "$e"
		elif echo "$line" | grep -Eq ': (O_DIRECT )?p(read|write) ' &&
			echo "$e" | grep -Eqx "$ALLOWED_DATA"; then
			echo "$e"
		else
			echo "bad: $line"
		fi
		;;
	*) echo "bad: no result: $(tail -2 "$1" | tr '\n' ' ')" ;;
	esac
}

# mount_marked KIND LOWER MNT: mount with the daemon (both marked); sets
# DPID; false with the reason in $RES/mount.why when the mount failed or
# the daemon died before it was seen (then the mount, if there is one, is
# taken down: a mount left behind pins fusept)
mount_marked() {
	local why
	(marked fusept-mount -d "$DEV" -t "$FS" -o allow_other,default_permissions \
		"$3" $(daemon_args "$1" "$2")) >"$RES/daemon.log" 2>&1 &
	DPID=$!
	wait_mounted "$3" 20 "$DPID" && return 0
	why=$(grep -m1 'fusept-mount' "$RES/daemon.log")
	echo "${why:-daemon exited: $(tail -1 "$RES/daemon.log")}" >"$RES/mount.why"
	kill -9 "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	if is_mounted "$3" && ! timeout 30 umount "$3" 2>/dev/null; then
		abort_conn "$3" 2>/dev/null
		umount -l "$3" 2>/dev/null
	fi
	return 1
}

# procs_of PID: PID and its descendants
procs_of() {
	local p c
	echo "$1"
	for p in /proc/[0-9]*; do
		c=$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f2)
		[ "$c" != "$1" ] || procs_of "${p#/proc/}"
	done
}

# proc_diag PID: for PID and its children, every thread's state, wchan,
# syscall and kernel stack ("    | " lines, run.sh keeps them)
proc_diag() {
	local p t
	for p in $(procs_of "$1"); do
		echo "    | pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		for t in /proc/$p/task/*; do
			echo "    |  tid ${t##*/} state $(sed 's/.*) //' "$t/stat" \
				2>/dev/null | cut -c1) wchan $(cat "$t/wchan" \
				2>/dev/null) syscall $(cut -d' ' -f1-3 "$t/syscall" \
				2>/dev/null)"
			sed 's/^/    |   /' "$t/stack" 2>/dev/null
		done
	done
}

# unmount_checked NAME MNT: umount (unmarked), the daemon must exit
unmount_checked() {
	if ! timeout 30 umount "$2" 2>"$RES/umount.err"; then
		echo "umount: $(cat "$RES/umount.err")" >>"$RES/bad"
		abort_conn "$2" 2>/dev/null
		umount -l "$2" 2>/dev/null
	fi
	if ! wait_gone "$DPID" 10; then
		echo "daemon $DPID still running $((10 * TSCALE)) s after umount (see | lines)" \
			>>"$RES/bad"
		proc_diag "$DPID" >>"$RES/diag"
		tail -5 "$RES/daemon.log" | sed 's/^/    | daemon: /' >>"$RES/diag"
		kill -9 "$DPID" 2>/dev/null
	fi
	wait "$DPID" 2>/dev/null
}

# phase INJ KIND: fsxcheck runs on KIND's mount for $SECS seconds with
# injector INJ armed
phase() {
	local inj=$1 kind=$2 n=fault-$1-$2 dir lower m end i=0 r
	local runs=0 passed=0 mfail=0 errs='' faults
	dir=$(injector "$inj") || { failc "$n" "cannot set up fail_function"; return; }
	if [ "$inj" = func ] && ! func_usable; then
		echo "SKIP $n: fail_function's kprobe is an int3, not ftrace-based: not in task context (see fault.sh; kprobes: $(grep " $FUNC+" "$DBG/kprobes/list" 2>/dev/null))"
		uninject "$inj"
		return
	fi
	lower=$LOWER/$n
	m=$MNTROOT/$n
	rm -rf "$RES"
	mkdir -p "$RES" "$lower" "$m"
	# tmpfs does not reach __filemap_add_folio(), ramfs does
	if [ "$inj$kind" = funcptd ] && ! mount -t ramfs ramfs "$lower"; then
		failc "$n" "cannot mount a ramfs on $lower"
		uninject "$inj"
		return
	fi
	: >"$RES/bad"
	arm "$dir"
	end=$(($(date +%s) + SECS))
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		if ! mount_marked "$kind" "$lower" "$m"; then
			r=$(cat "$RES/mount.why")
			# Bad address: the daemon's first read of the device
			# faulted in its buffer, a page allocation failed
			if echo "$r" | grep -Eq 'Cannot allocate memory|Input/output error|Bad address'; then
				mfail=$((mfail + 1))
			else
				echo "mount: $r" >>"$RES/bad"
			fi
			continue
		fi
		run_limited "$RUN_SECS" "$RES/fsx.out" fsxcheck -N "$OPS" -S "$i" \
			-n "$n-$i" "$m/file$i"
		runs=$((runs + 1))
		r=$(classify "$RES/fsx.out")
		case $r in
		pass) passed=$((passed + 1)) ;;
		bad:*) echo "run $i: ${r#bad: }" >>"$RES/bad" ;;
		*) errs="$errs $r" ;;
		esac
		unmount_checked "$n" "$m"
		rm -f "$lower/file$i"
	done
	faults=$(disarm "$dir")
	uninject "$inj"
	[ -z "$errs" ] || errs=$(echo $errs | tr ' ' '\n' | sort | uniq -c |
		awk '{ printf "%s%s x%s", s, $2, $1; s = ", " }')
	note "$n: $faults faults injected; $runs fsxcheck runs, $passed clean," \
		"failed with: ${errs:-nothing}; $mfail mounts failed (ENOMEM/EIO/EFAULT)"
	if [ -s "$RES/hangs" ]; then
		failc "$n-no-hang" "$(cat "$RES/hangs")"
	else
		pass "$n-no-hang"
	fi
	if [ -s "$RES/bad" ]; then
		failc "$n-errors" "$(head -3 "$RES/bad")"
		[ ! -s "$RES/diag" ] || cat "$RES/diag"
	else
		pass "$n-errors"
	fi
	if [ "$faults" -gt 0 ]; then
		pass "$n-injected"
	else
		failc "$n-injected" "no fault injected in $runs runs"
	fi
	! is_mounted "$lower" || umount "$lower"
	rm -rf "$lower"
}

# inodes_active: active fusept_inode objects in /proc/slabinfo
inodes_active() {
	awk -v c="${FS}_inode" '$1 == c { print $2 }' /proc/slabinfo
}

# no_inodes: none active, after a shrink (SLUB counts the objects of
# per-cpu slabs as active until shrunk)
no_inodes() {
	echo 1 >"/sys/kernel/slab/${FS}_inode/shrink" 2>/dev/null
	[ "$(inodes_active)" = 0 ]
}

# slab_zero NAME: no fusept_inode is left within 5 s (times the timeout
# scale, as every wait_until) of the last umount (inodes are freed after
# an RCU grace period)
slab_zero() {
	if wait_until 5 no_inodes; then
		pass "$1"
	else
		failc "$1" "$(inodes_active) active ${FS}_inode objects $((5 * TSCALE)) s after the last umount"
	fi
}

# no_leaks NAME: a kmemleak scan finds nothing (an object is reported
# once it has been unreferenced for 5 s: wait that long first)
no_leaks() {
	local r
	have_kmemleak || return 0
	sleep 6
	r=$(kmemleak_scan)
	if [ -z "$r" ]; then
		pass "$1"
	else
		failc "$1" "$r"
	fi
}

# rmmod_works: fusept can be removed, then it is loaded again
rmmod_works() {
	local e
	if e=$(timeout 30 rmmod fusept 2>&1); then
		pass fault-rmmod
	else
		failc fault-rmmod "$e"
	fi
	grep -qw "$FS" /proc/filesystems || insmod "$MODULE" ||
		failc fault-reload "insmod $MODULE failed"
	ensure_ctl
}

main() {
	local r p
	if ! is_fusept; then
		echo "SKIP fault-inject: fusept only"
		return 0
	fi
	if ! have_injectors; then
		echo "SKIP fault-inject: no failslab/fail_page_alloc/fail_function with a stack trace filter (not the debug kernel)"
		return 0
	fi
	mkdir -p "$WORK" "$MNTROOT"
	lower_init
	load_modules || { failc fault-setup "cannot load $FS"; return 1; }
	r=$(text_range) || { failc fault-setup "fusept's code range not found"; return 1; }
	RANGE_START=${r% *}
	RANGE_END=${r#* }
	note "fault-inject: fusept code $RANGE_START..$RANGE_END, probability $PCT %, $SECS s per phase"
	for p in $(echo "$PHASES" | tr ',' ' '); do
		phase "${p%:*}" "${p#*:}"
	done
	slab_zero fault-slab
	no_leaks fault-kmemleak
	rmmod_works
	[ "$NFAIL" = 0 ]
}

main
