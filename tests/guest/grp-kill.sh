# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): a daemon that dies or
# stops answering.  The daemon SIGKILLed with a file open (ENOTCONN,
# umount busy, then umount or umount -l), a connection aborted through
# its control file, a caller waiting on a request the daemon never
# read (killable), and umount of a mount whose daemon never answers.
# kill and kill-lazy use pt-setup's lower directory (grp-ptll.sh).

# group         timeout (s)
register_group kill 60
register_group kill-lazy 60
register_group abort 60
register_group killable 60
register_group umount-hung 60

# one_thread PID: PID (a zombie) has no other thread left
one_thread() {
	set -- "/proc/$1/task/"*
	[ $# -le 1 ]
}

# kill_setup PREFIX: mount, hold a file open, SIGKILL the daemon
kill_setup() {
	M=$(mnt "$1")
	L=$LOWER/pt
	[ -d "$L" ] || fatal "lower directory not prepared"
	start_fs "$M" "" passthrough_ll -f -o "source=$L,cache=never"
	expect "$1-before" "$(cat "$M/small.txt" 2>&1)" "hello fusept"
	spawn sh -c 'exec sleep 1000 <"$1"' sh "$M/small.txt"
	HOLDER=$BGPID
	wait_holds "$HOLDER" "$M/small.txt" || fatal "holder did not open the file"
	kill -9 "$DPID"
	wait_gone "$DPID" 5 || fatal "daemon survived SIGKILL"
	# the leader is a zombie as soon as it exits, the other threads may
	# still hold the device open: reap it once they are all gone (wait
	# does not return before), but never block on a thread stuck in D
	wait_until 10 one_thread "$DPID" ||
		fatal "daemon threads survived SIGKILL"
	wait "$DPID"
}

test_kill() {
	kill_setup kill
	expect kill-stat-enotconn "$(errno_of stat "$M/small.txt")" ENOTCONN
	expect kill-stat-root-enotconn "$(errno_of stat "$M")" ENOTCONN
	expect kill-readdir-enotconn "$(errno_of readdir "$M")" ENOTCONN
	ls "$M" >"$RES/ls.out" 2>&1
	if grep -q "not connected" "$RES/ls.out"; then pass kill-ls-message; else
		failc kill-ls-message "ls said: $(head -1 "$RES/ls.out")"; fi
	expect kill-umount-busy "$(umount "$M" 2>&1 >/dev/null | grep -c busy)" 1
	kill -9 "$HOLDER"
	wait_gone "$HOLDER" 5
	ok kill-umount umount "$M"
	ok kill-umount-gone test -z "$(mount_fstype "$M")"
}

test_kill_lazy() {
	kill_setup kill-lazy
	expect kill-lazy-stat-enotconn "$(errno_of stat "$M/one")" ENOTCONN
	ok kill-lazy-umount umount -l "$M"
	ok kill-lazy-gone test -z "$(mount_fstype "$M")"
	kill -9 "$HOLDER"
	ok kill-lazy-holder-exits wait_gone "$HOLDER" 5
}

# ctl_at_least ID FILE N: the connection's control FILE reads N or more
ctl_at_least() { [ "$(cat "$CTLDIR/$1/$2" 2>/dev/null)" -ge "$3" ] 2>/dev/null; }

# The daemon answers INIT, then reads requests and never answers.
test_abort() {
	local m id p1 p2
	m=$(mnt abort)
	start_raw "$m" hang
	id=$(conn_id "$m") || fatal "no connection id for $m"
	ok abort-ctl-files test -f "$CTLDIR/$id/abort"
	spawn fusept-probe stat "$m/x" >"$RES/p1.out"
	p1=$BGPID
	spawn fusept-probe stat "$m"
	p2=$BGPID
	# both requests sent (the daemon reads them, never answers)
	wait_until 10 ctl_at_least "$id" waiting 2
	ok abort-request-blocks alive "$p1"
	kill -9 "$p2"
	echo 1 >"$CTLDIR/$id/abort" 2>"$RES/abort.err" ||
		failc abort-write "$(cat "$RES/abort.err")"
	ok abort-unblocks wait_gone "$p1" 5
	expect_one abort-blocked-errno "$(cat "$RES/p1.out")" ENOTCONN \
		ECONNABORTED
	ok abort-unblocks-killed wait_gone "$p2" 5
	expect abort-new-request-enotconn "$(errno_of stat "$m/z")" ENOTCONN
	ok abort-daemon-exits wait_gone "$DPID" 5
	wait "$DPID"
	expect abort-daemon-status $? 0
	ok abort-umount umount "$m"
	ok abort-ctl-dir-removed test ! -e "$CTLDIR/$id"
}

# The daemon answers INIT, then never reads: a request stays pending.
test_killable() {
	local m p st id
	m=$(mnt killable)
	start_raw "$m" stall
	id=$(conn_id "$m") || fatal "no connection id for $m"
	spawn fusept-probe stat "$m/x"
	p=$BGPID
	# the request is queued, then the probe must go to sleep on it
	wait_until 10 ctl_at_least "$id" waiting 1
	wait_until 5 in_state "$p" S
	ok killable-blocks alive "$p"
	st=$(proc_state "$p")
	expect killable-not-d-state "$st" S
	kill -9 "$p"
	ok killable-sigkill wait_gone "$p" 5
	ok killable-umount timeout 10 umount "$m"
	ok killable-daemon-exits wait_gone "$DPID" 5
}

# Unmounting must not wait for a daemon that does not answer.
test_umount_hung() {
	local m
	m=$(mnt hung)
	start_raw "$m" hang
	ok umount-hung timeout 10 umount "$m"
	ok umount-hung-gone test -z "$(mount_fstype "$m")"
	ok umount-hung-daemon-exits wait_gone "$DPID" 5
}
