#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mount.fusept under util-linux mount(8), as root inside the guest
# (busybox sh; util-linux's mount and umount are in $UL): mounting with
# -t fusept.DAEMON, DAEMON#SOURCE and an fstab line; /proc/mounts naming
# the daemon; the option split (kernel, mount(8) and daemon options);
# setuid=USER; auto_unmount when the daemon (daemonized or in the foreground) is
# killed, and noauto_unmount; umount leaving no helper or daemon behind;
# and the errors: unknown daemon, a daemon failing at start or never
# answering, a mountpoint that is not a directory, a bad option value,
# no /dev/fusept. The same mounts with the libfuse examples built against
# the newer libfuse (sid's 3.18, in /usr/local/fusept/libfuse-VERSION):
# hello_ll, passthrough_ll with an fsx run, auto_unmount. Nothing may hold
# /dev/fusept at the end.
# Prints "PASS name", "FAIL name: reason", "SKIP name: reason" and a
# closing "mount-helper: N passed, N failed, N skipped"; exits 1 on a
# failure. Env: FUSEPT_WORK (scratch directory, default /tmp/fpt).

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"

UL=${FUSEPT_UL:-/usr/lib/fusept-util-linux}
M=$MNTROOT/mh
L=$LOWER/mh
# mount(8) runs helpers with a PATH of its own, so the test daemons go
# to a directory on it
BIN=/usr/local/sbin
. "$TESTS/counts.sh"

# pids of the processes named NAME (/proc/PID/comm: a script's own name;
# not the command line, which for mount.fusept names the daemon too)
pids_of() {
	local p c
	for p in /proc/[0-9]*; do
		read -r c 2>/dev/null <"$p/comm" || continue
		[ "$c" != "$1" ] || echo "${p#/proc/}"
	done
}

# holders of /dev/fusept: the pids with it open
dev_holders() {
	local f
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = /dev/fusept ] &&
			echo "$f" | cut -d/ -f3
	done | sort -u
}

daemons() {
	pids_of passthrough_ll
	pids_of fail-d
	pids_of mute-d
	pids_of ll-new
	pids_of hello-new
}
no_daemon() { [ -z "$(daemons)" ]; }
no_helper() { [ -z "$(pids_of mount.fusept)" ]; }
unmounted() { ! is_mounted "$M"; }

cleanup() {
	umount -l "$M" 2>/dev/null
	for p in $(daemons) $(pids_of mount.fusept); do
		kill -9 "$p" 2>/dev/null
	done
	wait_until 5 no_daemon
}

# mounted_ok NAME: the mount answers with the lower file's content
mounted_ok() {
	if is_mounted "$M" && [ "$(cat "$M/hello" 2>&1)" = "hello world" ]; then
		pass "$1"
	else
		failc "$1" "$(grep " $M " /proc/mounts) / $(cat "$M/hello" 2>&1)"
	fi
}

# do_mount ARGS...: util-linux mount, its errors in $WORK/mh.err (a file,
# not a pipe: a daemon in the foreground keeps mount's stderr)
do_mount() { "$UL/mount" "$@" 2>"$WORK/mh.err"; }

# umount_ok NAME: umount works, and no daemon or helper is left
umount_ok() {
	local err
	if ! err=$("$UL/umount" "$M" 2>&1); then
		failc "$1" "umount: $err"
		cleanup
	elif ! wait_until 5 no_daemon || ! wait_until 5 no_helper; then
		failc "$1" "left running: $(daemons) $(pids_of mount.fusept)"
		cleanup
	else
		pass "$1"
	fi
}

# mount_fails NAME WANT-TEXT MOUNT-ARGS...: mount fails with a one-line
# error containing WANT-TEXT, within 10 s; nothing mounted or left over
mount_fails() {
	local n=$1 want=$2 out rc t0 t1
	shift 2
	t0=$(date +%s)
	out=$("$UL/mount" "$@" 2>&1)
	rc=$?
	t1=$(date +%s)
	if [ $rc = 0 ]; then
		failc "$n" "mount succeeded: $out"
	elif ! echo "$out" | grep -q -- "$want"; then
		failc "$n" "rc $rc, error '$out', want '$want'"
	elif [ $((t1 - t0)) -gt 10 ]; then
		failc "$n" "took $((t1 - t0)) s"
	elif is_mounted "$M"; then
		failc "$n" "left mounted"
	elif ! wait_until 3 no_daemon; then
		failc "$n" "daemon left running: $(daemons)"
	else
		pass "$n"
	fi
	cleanup
}

# kill_detaches NAME PATTERN: SIGKILL the daemon, the mount goes away
kill_detaches() {
	local p
	p=$(pids_of "$2")
	if [ -z "$p" ]; then
		failc "$1" "no daemon $2 running"
	else
		# shellcheck disable=SC2086 # one or more pids
		kill -9 $p
		if wait_until 5 unmounted && wait_until 5 no_helper; then
			pass "$1"
		else
			failc "$1" "still: $(grep " $M " /proc/mounts) $(pids_of mount.fusept)"
		fi
	fi
	cleanup
}

setup() {
	local d
	load_modules || return 1
	mkdir -p "$M" "$L" "$BIN"
	echo "hello world" >"$L/hello"
	chmod 755 "$L"
	# mount(8) looks for its helpers in /sbin
	d=$(command -v mount.fusept) || return 1
	ln -sf "$d" /sbin/mount.fusept
	# a daemon in the foreground, one that fails at start, one that never answers
	printf '#!/bin/sh\nexec passthrough_ll -f "$@"\n' >"$BIN/ll-fg"
	printf '#!/bin/sh\necho "fail-d: cannot start" >&2\nexit 3\n' >"$BIN/fail-d"
	printf '#!/bin/sh\nwhile :; do sleep 1; done\n' >"$BIN/mute-d"
	chmod 755 "$BIN/ll-fg" "$BIN/fail-d" "$BIN/mute-d"
}

echo "mount-helper: kernel=$(uname -r)"
if [ ! -x "$UL/mount" ] || ! setup || ! command -v passthrough_ll >/dev/null; then
	echo "FAIL mount-helper: no util-linux mount in $UL, no mount.fusept or no passthrough_ll"
	echo "mount-helper: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

# -t fusept.DAEMON; passthrough_ll daemonizes itself
if do_mount -t fusept.passthrough_ll -o "source=$L,allow_other" none "$M"; then
	mounted_ok mh-type-mount
	expect mh-proc-mounts-type "$(mount_fstype "$M")" fusept.passthrough_ll
	# the auto_unmount watcher, and nothing else of mount.fusept
	expect mh-one-watcher "$(pids_of mount.fusept | wc -l)" 1
	umount_ok mh-umount
else
	failc mh-type-mount "mount failed: $(cat "$WORK/mh.err")"
	cleanup
fi

# DAEMON#SOURCE with -t fusept
if do_mount -t fusept -o "source=$L" "passthrough_ll#none" "$M"; then
	mounted_ok mh-hash-mount
	umount_ok mh-hash-umount
else
	failc mh-hash-mount "mount failed: $(cat "$WORK/mh.err")"
	cleanup
fi

# the option split: ro and allow_other, max_read to the kernel; the
# options of mount(8) and systemd ignored (passthrough_ll would refuse
# them); source= to the daemon
if do_mount -t fusept.passthrough_ll \
	-o "ro,allow_other,max_read=65536,x-systemd.requires=foo,_netdev,nofail,source=$L" \
	none "$M"; then
	opts=$(awk -v m="$M" '$2 == m { print $4 }' /proc/mounts)
	case ,$opts, in
	*,ro,*allow_other*max_read=65536*) pass mh-options-kernel ;;
	*) failc mh-options-kernel "options: $opts" ;;
	esac
	if ! echo x >"$M/new" 2>/dev/null; then
		pass mh-options-ro
	else
		failc mh-options-ro "a write succeeded"
	fi
	umount_ok mh-options-umount
else
	failc mh-options-kernel "mount failed: $(cat "$WORK/mh.err")"
	cleanup
fi

# setuid=USER: the daemon runs as that user, who owns the mount
if do_mount -t fusept.passthrough_ll -o "source=$L,allow_other,setuid=user" none "$M"; then
	mounted_ok mh-setuid-mount
	p=$(pids_of passthrough_ll | head -1)
	expect mh-setuid-daemon-uid \
		"$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>&1)" 1000
	case ,$(awk -v m="$M" '$2 == m { print $4 }' /proc/mounts), in
	*,user_id=1000,group_id=1000,*) pass mh-setuid-owner ;;
	*) failc mh-setuid-owner "$(grep " $M " /proc/mounts)" ;;
	esac
	umount_ok mh-setuid-umount
else
	failc mh-setuid-mount "mount failed: $(cat "$WORK/mh.err")"
	cleanup
fi

# fstab, as at boot
cp /etc/fstab "$WORK/fstab.saved" 2>/dev/null || : >"$WORK/fstab.saved"
echo "none $M fusept.passthrough_ll source=$L,allow_other,noauto,x-test=1 0 0" >>/etc/fstab
if do_mount "$M"; then
	mounted_ok mh-fstab-mount
	umount_ok mh-fstab-umount
else
	failc mh-fstab-mount "mount $M failed: $(cat "$WORK/mh.err")"
	cleanup
fi
cp "$WORK/fstab.saved" /etc/fstab

# auto_unmount (the default): daemonized, then in the foreground
if do_mount -t fusept.passthrough_ll -o "source=$L" none "$M"; then
	kill_detaches mh-auto-unmount-daemonized passthrough_ll
else
	failc mh-auto-unmount-daemonized "mount failed: $(cat "$WORK/mh.err")"
	cleanup
fi
if do_mount -t fusept.ll-fg -o "source=$L" none "$M"; then
	mounted_ok mh-foreground-mount
	kill_detaches mh-auto-unmount-foreground passthrough_ll
else
	failc mh-foreground-mount "mount failed: $(cat "$WORK/mh.err")"
	cleanup
fi

# noauto_unmount: the mount stays (ENOTCONN) until umount
if do_mount -t fusept.passthrough_ll -o "source=$L,noauto_unmount" none "$M"; then
	# shellcheck disable=SC2046 # one or more pids
	kill -9 $(pids_of passthrough_ll)
	sleep 2
	if is_mounted "$M" && no_helper; then
		pass mh-noauto-unmount
	else
		failc mh-noauto-unmount "mounted: $(grep -c " $M " /proc/mounts), helpers: $(pids_of mount.fusept)"
	fi
	cleanup
else
	failc mh-noauto-unmount "mount failed: $(cat "$WORK/mh.err")"
	cleanup
fi

# errors
mount_fails mh-err-unknown-daemon "not found" -t fusept.no-such-daemon none "$M"
mount_fails mh-err-daemon-fails "exited with status 3" -t fusept.fail-d none "$M"
export FUSEPT_MOUNT_TIMEOUT=2
mount_fails mh-err-daemon-mute "no answer" -t fusept.mute-d none "$M"
unset FUSEPT_MOUNT_TIMEOUT
: >"$WORK/mh-file"
mount_fails mh-err-not-dir "not a directory" -t fusept.passthrough_ll -o "source=$L" none "$WORK/mh-file"
mount_fails mh-err-bad-value "max_read=oops" -t fusept.passthrough_ll -o "source=$L,max_read=oops" none "$M"
mv /dev/fusept /dev/fusept.away
mount_fails mh-err-no-device "cannot open /dev/fusept" -t fusept.passthrough_ll -o "source=$L" none "$M"
mv /dev/fusept.away /dev/fusept

# The newer libfuse's examples (static binaries, named ll-new and
# hello-new in $BIN, as a package would install them): mount(8) and
# mount.fusept with them, as with the guest's own libfuse.
newfuse_checks() {
	local d v
	d=$(newfuse_dir)
	if [ -z "$d" ] || [ ! -x "$d/bin/passthrough_ll" ]; then
		failc mh-newfuse "no libfuse examples in $NEWFUSE_GLOB"
		return
	fi
	v=${d##*/libfuse-}
	ln -sf "$d/bin/passthrough_ll" "$BIN/ll-new"
	ln -sf "$d/bin/hello_ll" "$BIN/hello-new"
	case $("$BIN/hello-new" --version 2>&1) in
	*"version $v"* | *"version: $v"*) pass mh-newfuse-version ;;
	*) failc mh-newfuse-version "$("$BIN/hello-new" --version 2>&1 | head -2)" ;;
	esac
	if do_mount -t fusept.hello-new none "$M"; then
		expect mh-newfuse-hello "$(cat "$M/hello" 2>&1)" "Hello World!"
		umount_ok mh-newfuse-hello-umount
	else
		failc mh-newfuse-hello "mount failed: $(cat "$WORK/mh.err")"
		cleanup
	fi
	if do_mount -t fusept.ll-new -o "source=$L,allow_other" none "$M"; then
		mounted_ok mh-newfuse-ll-mount
		if fsxcheck -N 1000 -S 318 "$M/fsx" >"$WORK/mh-fsx.log" 2>&1; then
			pass mh-newfuse-ll-fsx
		else
			failc mh-newfuse-ll-fsx "$(tail -3 "$WORK/mh-fsx.log")"
		fi
		rm -f "$L/fsx"
		kill_detaches mh-newfuse-auto-unmount ll-new
	else
		failc mh-newfuse-ll-mount "mount failed: $(cat "$WORK/mh.err")"
		cleanup
	fi
	rm -f "$BIN/ll-new" "$BIN/hello-new"
}
newfuse_checks

# nothing holds the device now: rmmod would work
expect mh-device-free "$(dev_holders | tr '\n' ' ')" ""
rm -f "$BIN/ll-fg" "$BIN/fail-d" "$BIN/mute-d"

counts_end mount-helper
