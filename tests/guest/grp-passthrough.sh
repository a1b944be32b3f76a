# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): FUSE passthrough (issue
# #4).  The reference daemon fusept-passthrough's own suite
# (pt-daemon.sh, on fusept and, kfuse-pt-daemon, on the kernel's FUSE
# 6.9+), the passthrough ioctls (fusept-ptioctl), fusept-ptcheck's raw
# daemon (ID rules, credentials, Android mode), and the life cycle of a
# backing file: 100,000 open/close cycles, the daemon killed or the
# mount detached while a file is open and mapped, asynchronous I/O.

# group         timeout (s)
register_group pt-daemon 600
register_group ptioctl 120
register_group pt-raw 60
register_group ipt-raw 120
register_group pt-cycles 150
register_group pt-kill-mapped 60
register_group pt-lazy-mapped 60
register_group pt-aio 90
register_group kfuse-pt-daemon 600

# The reference passthrough daemon's own suite (tests/guest/pt-daemon.sh).
test_pt_daemon() {
	FUSEPT_DEV=$DEV FUSEPT_FS=$FS FUSEPT_WORK=$WORK/ptd \
		sh "$TESTS/pt-daemon.sh" >"$RES/ptd.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/ptd.log" >>"$SUB"
}

# The passthrough ioctls and their errors, against fusept's own device.
test_ptioctl() {
	local m m2 l s
	[ "$FS" = fusept ] || skip "fusept's own device only"
	m=$(mnt ptd)
	m2=$(mnt ptioctl)
	l=$RES/lower
	s=$RES/scratch
	mkdir -p "$l" "$s"
	mount -t tmpfs tmpfs "$l" && mount -t tmpfs tmpfs "$s" ||
		fatal "tmpfs for the test"
	echo stacked >"$l/f"
	start_fs "$m" "" fusept-passthrough -f "$l"
	fusept-ptioctl "$m2" "$s" "$m/f" >"$RES/ptioctl.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/ptioctl.log" >>"$SUB"
	grep -q '^PASS ptioctl-close$' "$RES/ptioctl.log" ||
		failc ptioctl-ran "$(tail -3 "$RES/ptioctl.log" | tr '\n' ' ')"
	stop_fs ptioctl-umount "$m"
	umount "$l" "$s"
}

# ------------------------------------------- passthrough: life cycle (#4)

# ptl_lower DIR: a tmpfs with the files the passthrough groups use
ptl_lower() {
	mkdir -p "$1"
	mount -t tmpfs -o size=64m tmpfs "$1" || fatal "tmpfs for $1"
	dd if=/dev/urandom of="$1/big" bs=64k count=32 2>/dev/null
	echo small >"$1/small"
}

# ptl_mount NAME: the reference daemon over a fresh lower tmpfs
# ($M, $L, $DPID, counters in $RES/stats)
ptl_mount() {
	M=$(mnt "ptl-$1")
	L=$(mnt "ptl-lower-$1")
	ptl_lower "$L"
	start_fs "$M" allow_other,default_permissions fusept-passthrough -f \
		--stats "$RES/stats" "$L"
}

# ptl_counters: the reference daemon's counters now
ptl_counters() { daemon_counters "$DPID" "$RES/stats"; }

# hold_start FILE: fusept-ptcheck hold FILE, driven through a fifo on fd 7
hold_start() {
	rm -f "$RES/hold.in" "$RES/hold.out"
	mkfifo "$RES/hold.in"
	: >"$RES/hold.out"
	spawn sh -c 'exec fusept-ptcheck hold "$1" <"$2" >>"$3" 2>&1' sh \
		"$1" "$RES/hold.in" "$RES/hold.out"
	HOLDER=$BGPID
	exec 7>"$RES/hold.in"
}

# hold_line N: wait for the holder's Nth answer and print it
hold_line() {
	local n=$((100 * TSCALE))
	while [ "$(wc -l <"$RES/hold.out")" -lt "$1" ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || { echo "no answer (holder $(proc_state "$HOLDER"))"; return; }
		usleep 100000
	done
	sed -n "$1p" "$RES/hold.out"
}

# hold CMD: send one command to the holder, print its answer
hold() {
	local n
	n=$(($(wc -l <"$RES/hold.out") + 1))
	echo "$1" >&7
	hold_line "$n"
}

# module_unused: nothing holds fusept any more (rmmod would succeed)
module_unused() {
	local n=$((50 * TSCALE))
	while [ "$(cat /sys/module/fusept/refcnt 2>/dev/null)" != 0 ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		usleep 100000
	done
}

# The mainline and Android ID rules, credentials: fusept-ptcheck's own
# daemon (ID closed early, closed ID named again, uid 1000 reading a
# root-only lower file, the daemon dropping privileges); Android mode
# with either INIT encoding of its flag
test_pt_raw() {
	local m l
	[ "$FS" = fusept ] || skip "fusept's own device only"
	m=$(mnt ptraw)
	l=$(mnt ptraw-lower)
	ptl_lower "$l"
	for f in a b secret; do
		dd if=/dev/urandom of="$l/$f" bs=64k count=1 2>/dev/null
	done
	chmod 600 "$l/secret"
	fusept-ptcheck raw mainline "$m" "$l" >"$RES/ptraw.log" 2>&1
	fusept-ptcheck raw android "$m" "$l" >>"$RES/ptraw.log" 2>&1
	fusept-ptcheck raw android-ext "$m" "$l" >>"$RES/ptraw.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/ptraw.log" >>"$SUB"
	grep -q '^PASS ptraw-umount$' "$RES/ptraw.log" &&
		grep -q '^PASS ptraw-android-umount$' "$RES/ptraw.log" &&
		grep -q '^PASS ptraw-android-ext-umount$' "$RES/ptraw.log" ||
		failc ptraw-ran "$(grep -v '^PASS' "$RES/ptraw.log" | tail -3)"
	echo 0 >/sys/module/fusept/parameters/passthrough_unprivileged
	umount "$l"
}

# Inode passthrough at the wire: fusept-ptcheck's own daemon binds inodes
# in its entry replies (stat, open, read, write and mmap without requests;
# bad bindings fail with EIO and the node is forgotten; reply lengths;
# UNBIND; the kernel's permission check; a binding CREATE; the daemon
# killed with a bound file open and mapped), then a mount agreeing on
# mainline passthrough only, where the trailer makes a reply too long
test_ipt_raw() {
	local m m2 l
	[ "$FS" = fusept ] || skip "fusept's own device only"
	m=$(mnt iptraw)
	m2=$(mnt iptraw-off)
	l=$(mnt iptraw-lower)
	mount -t tmpfs -o size=16m tmpfs "$l" || fatal "tmpfs for $l"
	fusept-ptcheck raw inode "$m" "$l" >"$RES/iptraw.log" 2>&1
	fusept-ptcheck raw inode-off "$m2" "$l" >>"$RES/iptraw.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/iptraw.log" >>"$SUB"
	grep -q '^PASS iptraw-umount$' "$RES/iptraw.log" &&
		grep -q '^PASS iptraw-off-umount$' "$RES/iptraw.log" ||
		failc iptraw-ran "$(grep -v '^PASS' "$RES/iptraw.log" | tail -3)"
	umount "$l"
}

# slab_active NAME: active objects of a slab cache (empty if merged away).
# Shrinking the cache first returns what KASAN's quarantine holds of it
# (freed objects it keeps from reuse, still counted as active).
slab_active() {
	echo 1 2>/dev/null >"/sys/kernel/slab/$1/shrink"
	awk -v n="$1" '$1 == n { print $2 }' /proc/slabinfo 2>/dev/null
}
meminfo_kb() { awk -v n="$1:" '$1 == n { print $2 }' /proc/meminfo; }
# no_backing_ids ID: fusept lists no backing ID for connection ID
no_backing_ids() {
	[ "$(wc -l 2>/dev/null <"$CTLDIR/$1/backing_files")" -eq 0 ] 2>/dev/null
}
files_nr() { cut -f1 /proc/sys/fs/file-nr; }

# 100,000 open/close cycles of a passthrough file: no file, slab or
# backing ID left behind. The loop stops after FUSEPT_PT_CYCLE_SECS (20)
# seconds on a slow machine; the line "# pt-cycles: ..." says how many ran
# (3,000-4,000 under TCG: a file or filp per cycle shows; kmemleak on the
# debug kernel catches smaller leaks).
test_pt_cycles() {
	local n=${FUSEPT_PT_CYCLES:-100000} c out f0 f1 s0 s1 p0 p1 ms done
	ptl_mount cycles
	fusept-ptcheck loop "$M/small" 1000 >/dev/null
	sync
	echo 2 >/proc/sys/vm/drop_caches
	f0=$(files_nr)
	s0=$(meminfo_kb Slab)
	p0=$(slab_active filp)
	c=$(ptl_counters)
	out=$(fusept-ptcheck loop "$M/small" "$n" "${FUSEPT_PT_CYCLE_SECS:-20}" 2>&1)
	case $out in
	n=*) pass pt-cycles-run ;;
	*) fatal "open/close loop: $out" ;;
	esac
	done=$(field "$out" n)
	ms=$(field "$out" ms)
	echo "# pt-cycles: $done of $n open/read/close cycles in $ms ms" >>"$SUB"
	out=$(ptl_counters)
	expect pt-cycles-opens "$(($(field "$out" open) - $(field "$c" open))) $(($(field "$out" passthrough_open) - $(field "$c" passthrough_open)))" \
		"$done $done"
	expect pt-cycles-no-read "$(field "$out" read)" 0
	# the daemon closes each backing ID in RELEASE, which goes out in
	# the background after close(2): up to 10 s for the last ones
	if is_fusept; then
		wait_until 10 no_backing_ids "$(conn_id "$M")"
	fi
	# objects freed after an RCU grace period
	sleep 1
	sync
	echo 2 >/proc/sys/vm/drop_caches
	f1=$(files_nr)
	s1=$(meminfo_kb Slab)
	p1=$(slab_active filp)
	if [ $((f1 - f0)) -lt 200 ]; then pass pt-cycles-files; else
		failc pt-cycles-files "open files $f0 -> $f1"; fi
	if [ $((s1 - s0)) -lt 4096 ]; then pass pt-cycles-slab; else
		failc pt-cycles-slab "Slab ${s0} kB -> ${s1} kB"; fi
	if [ -z "$p0" ]; then
		pass pt-cycles-filp
	elif [ $((p1 - p0)) -lt 1000 ]; then pass pt-cycles-filp; else
		failc pt-cycles-filp "filp objects $p0 -> $p1"; fi
	if is_fusept; then
		expect pt-cycles-no-ids \
			"$(wc -l <"$CTLDIR/$(conn_id "$M")/backing_files")" 0
	fi
	echo "# pt-cycles: files $f0->$f1 Slab $s0->$s1 kB filp $p0->$p1" >>"$SUB"
	stop_fs pt-cycles-umount "$M"
	pt_cycles_kfuse
	umount "$L"
}

# For comparison: the same daemon and loop on the kernel's own FUSE
# passthrough (6.9+), 10 seconds; one "# pt-cycles:" line, no check.
pt_cycles_kfuse() {
	local m out
	is_fusept && [ -c /dev/fuse ] || return 0
	[ "$(uname -r | awk -F. '{ print $1 * 100 + $2 }')" -ge 609 ] || return 0
	m=$(mnt ptl-cycles-kfuse)
	spawn fusept-mount -d /dev/fuse -t fuse -o allow_other,default_permissions \
		"$m" fusept-passthrough -f "$L" >>"$RES/kfuse.log" 2>&1
	wait_mounted "$m" 10 "$BGPID" || return 0
	out=$(fusept-ptcheck loop "$m/small" 1000000 10 2>&1)
	echo "# pt-cycles: kernel FUSE, same daemon: $out" >>"$SUB"
	umount "$m"
}

# Daemon SIGKILLed while a passthrough file is open and mapped: the
# mapping and the fd keep reading the backing file (it belongs to the open
# file, not to the daemon); new requests get ENOTCONN; umount once closed.
test_pt_kill_mapped() {
	ptl_mount kill
	hold_start "$M/big"
	expect ptkill-hold "$(hold_line 1)" "hold OK"
	expect ptkill-map-before "$(hold map)" "map OK"
	kill -9 "$DPID"
	wait_gone "$DPID" 5 || fatal "daemon survived SIGKILL"
	expect ptkill-map "$(hold map)" "map OK"
	echo 3 >/proc/sys/vm/drop_caches
	expect ptkill-map-refault "$(hold map)" "map OK"
	expect ptkill-read "$(hold read)" "read OK"
	expect ptkill-stat-enotconn "$(errno_of stat "$M/small")" ENOTCONN
	expect ptkill-umount-busy "$(umount "$M" 2>&1 >/dev/null | grep -c busy)" 1
	expect ptkill-unmap "$(hold unmap)" "unmap OK"
	expect ptkill-close "$(hold close)" "close OK"
	hold quit >/dev/null
	exec 7>&-
	ok ptkill-holder-exits wait_gone "$HOLDER" 5
	ok ptkill-umount timeout 10 umount "$M"
	umount "$L"
	if is_fusept; then ok ptkill-module-unused module_unused; fi
}

# umount -l with a mapped passthrough file: the mapping and the fd work
# until they are gone, then the connection ends and the daemon exits.
test_pt_lazy_mapped() {
	ptl_mount lazy
	hold_start "$M/big"
	expect ptlazy-hold "$(hold_line 1)" "hold OK"
	ok ptlazy-umount-l umount -l "$M"
	ok ptlazy-gone test -z "$(mount_fstype "$M")"
	expect ptlazy-map "$(hold map)" "map OK"
	echo 3 >/proc/sys/vm/drop_caches
	expect ptlazy-map-refault "$(hold map)" "map OK"
	expect ptlazy-read "$(hold read)" "read OK"
	ok ptlazy-daemon-serves alive "$DPID"
	expect ptlazy-unmap "$(hold unmap)" "unmap OK"
	expect ptlazy-close "$(hold close)" "close OK"
	hold quit >/dev/null
	exec 7>&-
	ok ptlazy-daemon-exits wait_gone "$DPID" 10
	wait "$DPID"
	expect ptlazy-daemon-status $? 0
	umount "$L"
	if is_fusept; then ok ptlazy-module-unused module_unused; fi
}

# Asynchronous I/O (io_submit, 8 in flight) on passthrough files over
# ext4 on a loop device, whose direct I/O completes asynchronously
test_pt_aio() {
	local l c
	M=$(mnt ptaio)
	l=$(mnt ptaio-lower)
	modprobe loop 2>/dev/null
	modprobe ext4 2>/dev/null
	dd if=/dev/zero of="$RES/ext4.img" bs=1M count=24 2>/dev/null
	mkfs.ext4 -q -F "$RES/ext4.img" >/dev/null 2>&1 || fatal "mkfs.ext4"
	mkdir -p "$l"
	mount -t ext4 -o loop "$RES/ext4.img" "$l" || fatal "mount ext4 on loop"
	start_fs "$M" allow_other,default_permissions fusept-passthrough -f \
		--stats "$RES/stats" "$l"
	fusept-ptcheck aio "$M/direct" ptaio-direct direct >"$RES/aio.log" 2>&1
	fusept-ptcheck aio "$M/buffered" ptaio-buffered >>"$RES/aio.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/aio.log" >>"$SUB"
	ok ptaio-fio-libaio timeout 60 fio --name=la --filename="$M/fio-libaio" \
		--ioengine=libaio --direct=1 --iodepth=8 --rw=randrw --bs=16k \
		--size=2m --verify=crc32c --do_verify=1 --verify_fatal=1
	if timeout 60 fio --name=ur --filename="$M/fio-uring" \
		--ioengine=io_uring --iodepth=8 --rw=randrw --bs=16k --size=2m \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		>"$RES/uring.log" 2>&1; then
		pass ptaio-fio-io_uring
	elif grep -qiE 'io_uring_setup|not supported|Operation not permitted' \
		"$RES/uring.log"; then
		echo "SKIP ptaio-fio-io_uring: io_uring not available: $(grep -im1 -E 'io_uring|permitted' "$RES/uring.log")" >>"$SUB"
	else
		failc ptaio-fio-io_uring "$(tail -3 "$RES/uring.log")"
	fi
	expect ptaio-lower "$(sha256sum <"$l/direct") $(sha256sum <"$l/buffered")" \
		"$(sha256sum <"$M/direct") $(sha256sum <"$M/buffered")"
	c=$(ptl_counters)
	expect ptaio-no-requests "read=$(field "$c" read) write=$(field "$c" write)" \
		"read=0 write=0"
	stop_fs ptaio-umount "$M"
	umount "$l"
}

# The reference daemon's suite on the kernel's own FUSE passthrough
# (6.9+), results named kfuse/...
test_kfuse_pt_daemon() {
	local v
	is_fusept || skip "the suite runs on the kernel's FUSE already (pt-daemon)"
	v=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
	[ "$v" -ge 609 ] ||
		skip "the kernel's FUSE has passthrough from 6.9 on, this is $(uname -r)"
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	FUSEPT_DEV=/dev/fuse FUSEPT_FS=fuse FUSEPT_WORK=$WORK/kptd \
		sh "$TESTS/pt-daemon.sh" >"$RES/kptd.log" 2>&1
	sed -n 's/^\(PASS\|FAIL\|SKIP\) /\1 kfuse\//p' "$RES/kptd.log" >>"$SUB"
	grep -q '^pt-daemon: ' "$RES/kptd.log" ||
		failc kfuse-pt-daemon "$(tail -3 "$RES/kptd.log")"
}
