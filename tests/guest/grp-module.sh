# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): the module itself.  The
# selftest build loads and unloads, fusept.ko loads (device, file
# system, sysfs); at the end rmmod is refused while fusept is in use,
# then works, and the kernel log has no splat.  run.sh runs the first
# two before the other groups, the last three after them.

# group         timeout (s)
register_group selftest 60
register_group module 60
register_group rmmod-busy 60
register_group rmmod 60
register_group dmesg-clean 30

# fusept built with FUSEPT_SELFTEST=1 (tests/vm/build-selftest.sh): its
# init runs module/selftest.c's tables of the parsers and checkers and
# refuses to load if a case fails, naming it in the kernel log. Loaded
# and unloaded once, before the module group loads fusept.ko.
SELFTEST_KO=/lib/fusept/fusept-selftest.ko

test_selftest() {
	local n
	is_fusept || skip "the kernel's FUSE under test"
	[ -e "$SELFTEST_KO" ] || fatal "no $SELFTEST_KO in the initramfs"
	! grep -qw "$FS" /proc/filesystems || fatal "$FS is loaded already"
	if ! insmod "$SELFTEST_KO" 2>"$RES/insmod.err"; then
		# busybox insmod may call init twice: each line once
		failc selftest-load "$(cat "$RES/insmod.err");" "$(dmesg |
			sed -n 's/^\[[^]]*\] fusept: selftest: //p' |
			awk '!seen[$0]++' | head -8)"
		return
	fi
	pass selftest-load
	n=$(dmesg | sed -n 's/.*fusept: selftest: \([0-9]*\) passed$/\1/p' |
		tail -1)
	if [ "${n:-0}" -gt 0 ]; then
		pass "selftest-cases ($n passed)"
	else
		failc selftest-cases "no 'fusept: selftest: N passed' line"
	fi
	ok selftest-unload rmmod fusept
}

test_module() {
	if ! grep -qw fuse /proc/filesystems; then
		modprobe fuse 2>/dev/null
	fi
	if is_fusept; then
		ok module-insmod insmod "$MODULE"
		# the kernel's own FUSE is loaded (or built in) too
		expect module-beside-fuse "$(grep -cw fuse /proc/filesystems)" 1
	elif ! grep -qw fuse /proc/filesystems; then
		fatal "kernel FUSE not available"
	fi
	ok module-filesystem grep -qw "$FS" /proc/filesystems
	ok module-devnode test -c "$DEV"
	expect module-devnode-misc "$(stat -c %t "$DEV" 2>&1)" a
	expect module-proc-misc \
		"$(awk -v n="$FS" '$2 == n { print $1 }' /proc/misc)" \
		"$((0x$(stat -c %T "$DEV" 2>/dev/null || echo 0)))"
	ok module-sysfs test -d "$SYSDIR"
	ensure_ctl
	ok module-sysfs-connections test -d "$CTLDIR"
	page_size_check
}

# fusept.page_kb=N (the arm64 guests of make check): the kernel runs with
# pages of N KiB, so what the other groups check there ran on them
page_size_check() {
	local want
	want=$(cmdline_arg fusept.page_kb) || return 0
	expect module-page-size "$(awk '/^KernelPageSize:/ { print $2; exit }' \
		/proc/self/smaps)" "$want"
}

test_rmmod_busy() {
	local m
	is_fusept || skip "the kernel's FUSE is not a module under test"
	m=$(mnt rmmod)
	start_fs "$m" "" hello_ll -f
	if rmmod fusept 2>/dev/null; then
		fatal "rmmod succeeded while mounted"
	fi
	ok rmmod-busy-mounted grep -q '^fusept ' /proc/modules
	stop_fs rmmod-busy-umount "$m"
	spawn sh -c 'exec sleep 1000 <>"$1"' sh "$DEV"
	wait_holds "$BGPID" "$DEV" || fatal "could not hold $DEV open"
	if rmmod fusept 2>/dev/null; then
		fatal "rmmod succeeded while $DEV was open"
	fi
	ok rmmod-busy-open-dev grep -q '^fusept ' /proc/modules
	kill -9 "$BGPID"
	wait_gone "$BGPID" 5
}

test_rmmod() {
	is_fusept || skip "the kernel's FUSE is not a module under test"
	ok rmmod-clean rmmod fusept
	ok rmmod-gone-filesystem sh -c "! grep -qw '$FS' /proc/filesystems"
	ok rmmod-gone-dev test ! -e "$DEV"
	ok rmmod-gone-sysfs test ! -e "$SYSDIR"
	ok rmmod-reload insmod "$MODULE"
	ok rmmod-reload-dev test -c "$DEV"
	ok rmmod-again rmmod fusept
}

test_dmesg_clean() {
	local bad
	bad=$(dmesg_bad 'fusept-tests: begin')
	[ -z "$bad" ] || fatal "$bad"
}
