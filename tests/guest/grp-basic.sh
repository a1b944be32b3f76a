# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): small daemons mounted
# through the mount helpers.  libfuse's hello_ll (its files, the control
# directory), fusept-mount's options and errors, mount.fusept under
# util-linux's mount(8) (mount-helper.sh), the daemon's own file locks
# (fusept-lockfs), poll(2) and NOTIFY_POLL (libfuse's poll example),
# NOTIFY_STORE and NOTIFY_RETRIEVE (notify_store_retrieve).

# group         timeout (s)
register_group hello 60
register_group helper 60
register_group mount-helper 180
register_group locks 120
register_group poll 90
register_group store 60

test_hello() {
	local m id
	m=$(mnt hello)
	start_fs "$m" "" hello_ll -f
	expect hello-mount-type "$(mount_fstype "$m")" "$FS"
	expect hello-ls "$(ls "$m" 2>&1)" hello
	expect hello-cat "$(cat "$m/hello" 2>&1)" "Hello World!"
	expect hello-cat-bytes "$(wc -c <"$m/hello" 2>&1)" 13
	expect hello-stat-file "$(stat -c '%s %a %F %h' "$m/hello" 2>&1)" \
		"13 444 regular file 1"
	expect hello-stat-root "$(stat -c '%a %F %h' "$m" 2>&1)" \
		"755 directory 2"
	expect hello-enoent "$(errno_of stat "$m/nope")" ENOENT
	expect hello-no-max-read "$(mount_opts "$m" | grep -c max_read)" 0
	id=$(conn_id "$m")
	ok hello-ctl-dir test -d "$CTLDIR/$id"
	stop_fs hello-umount "$m"
	ok hello-ctl-dir-removed test ! -e "$CTLDIR/$id"
}

# mount_opts MNT: the options /proc/mounts shows for MNT, one a line
mount_opts() {
	awk -v m="$1" '$2 == m { o = $4 } END { print o }' /proc/mounts |
		tr , '\n'
}

# The mount helper itself: flags, pass-through options, its errors.
test_helper() {
	local m o w rc missing=''
	m=$(mnt helper)
	start_fs "$m" ro,nosuid,nodev,allow_other,default_permissions,max_read=65536 \
		hello_ll -f
	o=$(mount_opts "$m")
	for w in ro nosuid nodev user_id=0 group_id=0 allow_other \
		default_permissions max_read=65536; do
		echo "$o" | grep -qx "$w" || missing="$missing $w"
	done
	if [ -z "$missing" ]; then pass helper-mount-options; else
		failc helper-mount-options "missing:$missing (have: $o)"; fi
	expect helper-ro-erofs "$(errno_of access "$m/hello" w)" EROFS
	expect helper-daemon-works "$(cat "$m/hello" 2>&1)" "Hello World!"
	stop_fs helper-umount "$m"
	fusept-mount -d "$DEV" -t "$FS" "$m" /nonexistent/daemon \
		>"$RES/helper.out" 2>&1
	rc=$?
	expect helper-exec-fail-status $rc 127
	expect helper-exec-fail-unmounted "$(mount_fstype "$m")" ""
	ok helper-exec-fail-message grep -q "cannot execute" "$RES/helper.out"
	fusept-mount -d /nonexistent -t "$FS" "$m" hello_ll -f \
		>"$RES/helper.out" 2>&1
	expect helper-no-device-status $? 2
	fusept-mount -d "$DEV" -t "$FS" -o bogus_option "$m" hello_ll -f \
		>"$RES/helper.out" 2>&1
	expect helper-bad-option-status $? 3
	expect helper-bad-option-unmounted "$(mount_fstype "$m")" ""
	fusept-mount >"$RES/helper.out" 2>&1
	expect helper-usage-status $? 1
	# the daemon gets the device as its last argument, /dev/fd/N ...
	o=$(fusept-mount -d "$DEV" -t "$FS" "$m" sh -c \
		'echo "${1%%[0-9]*}"; readlink "/proc/self/fd/${1##*/}"' sh 2>&1)
	expect helper-fd-argument "$(echo $o)" "/dev/fd/ $DEV"
	umount "$m" 2>/dev/null
	# ... or, with -n, only in $FUSEPT_FD
	o=$(fusept-mount -n -d "$DEV" -t "$FS" "$m" sh -c \
		'echo $#; readlink /proc/self/fd/$FUSEPT_FD' sh 2>&1)
	expect helper-no-fd-argument "$(echo $o)" "0 $DEV"
	umount "$m" 2>/dev/null
}

# mount.fusept under util-linux mount(8) (tests/guest/mount-helper.sh).
test_mount_helper() {
	is_fusept || skip "mount.fusept mounts fusept only"
	FUSEPT_WORK=$WORK/mh sh "$TESTS/mount-helper.sh" >"$RES/mh.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/mh.log" >>"$SUB"
	grep -q '^mount-helper: ' "$RES/mh.log" ||
		failc mount-helper "$(tail -3 "$RES/mh.log")"
}

# File locks kept by the daemon (fusept-lockfs): POSIX and flock semantics,
# and the daemon's lock table shows them.
test_locks() {
	local m
	m=$(mnt locks)
	start_fs "$m" "" fusept-lockfs -f
	timeout -k 2 60 fusept-locktest "$m" locks >"$RES/locktest.out" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/locktest.out" >>"$SUB"
	grep -q . "$SUB" ||
		fatal "fusept-locktest printed nothing: $(tail -3 "$RES/locktest.out")"
	# malformed notifications from the same daemon: refused with an errno
	# (busybox cat uses sendfile: splice from a FOPEN_DIRECT_IO file of
	# size 0 must still ask the daemon)
	stat "$m/f" >/dev/null
	timeout 20 cat "$m/badnotify" | grep -E '^(PASS|FAIL) ' >>"$SUB"
	expect locks-badnotify-checks "$(timeout 20 cat "$m/badnotify" | grep -c .)" 10
	stop_fs locks-umount "$m"
	# without the daemon's lock support, locks are the kernel's own
	m=$(mnt locks-local)
	start_fs "$m" "" hello_ll -f
	timeout -k 2 30 fusept-locktest -l "$m/hello" locks-local \
		>"$RES/locktest.out" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/locktest.out" >>"$SUB"
	stop_fs locks-local-umount "$m"
}

# poll(2)/select(2) answered by the daemon and woken by NOTIFY_POLL: the
# libfuse poll example and its client, unmodified.
test_poll() {
	local m
	m=$(mnt poll)
	start_fs "$m" "" poll -f
	# cd in the child: busybox timeout's watcher process must not sit
	# in the mount (it outlives the program by up to a second)
	timeout -k 2 60 sh -c 'cd "$1" && exec poll_client' sh "$m" \
		>"$RES/poll.out" 2>&1
	ok poll-client test $? = 0
	expect poll-client-rounds "$(grep -c ':' "$RES/poll.out")" 16
	ok poll-client-ready grep -q '[0-9A-F]:[0-9]' "$RES/poll.out"
	# who still uses the mount, should umount find it busy
	ls -l /proc/[0-9]*/fd /proc/[0-9]*/cwd 2>/dev/null | grep "$m"
	stop_fs poll-umount "$m"
}

# NOTIFY_STORE and NOTIFY_RETRIEVE: the libfuse example pushes the time into
# the page cache every second and reads it back (it aborts on a mismatch).
# store_changed: $m/current_time, read again into b, differs from a
store_changed() {
	b=$(cat "$m/current_time" 2>&1)
	[ "$b" != "$a" ]
}

test_store() {
	local m a b
	m=$(mnt store)
	# -d: libfuse logs each request, NOTIFY_REPLY among them
	start_fs "$m" "" notify_store_retrieve -d --update-interval=1
	a=$(cat "$m/current_time" 2>&1)
	# once the file is open, the daemon stores a new time every second:
	# up to 10 s for it to show
	wait_until 10 store_changed
	ok store-read rw_sh "echo '$a' | grep -q 'The current time is'"
	ok store-updated test "$a" != "$b"
	# the daemon asserts at exit that its first NOTIFY_RETRIEVE, sent
	# right after the first store, was answered: wait for the answer
	wait_until $((10 * TSCALE)) grep -q 'opcode: NOTIFY_REPLY' "$RES/daemon.log"
	stop_fs store-umount "$m"
}
