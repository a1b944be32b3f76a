#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the package lane's Debian system (pkg-test.sh), booted with
# systemd after `apt-get install ./fusept-dkms_*.deb ./fusept-tools_*.deb`
# and with a fusept.fusept-passthrough line in /etc/fstab. Started by
# fusept-pkg-test.service once the system is up; checks what an admin
# checks after installing, then removes the package and powers off.
# Prints "PASS name" / "FAIL name: reason" on the console, between
# FUSEPT-GUEST-START and FUSEPT-GUEST-DONE (tests/vm/parse-log.sh).
# /etc/fusept-pkg-test.conf gives VERSION, LOWER and MNT.

. /etc/fusept-pkg-test.conf
UNIT=$(systemd-escape -p --suffix=mount "$MNT")
STATS=/run/fusept-pt.stats
failed=0

pass() { echo "PASS pkg-$1${2:+ ($2)}"; }
# the guest's uptime, for the times of the steps in the console log
stamp() { echo "# $1 at $(cut -d' ' -f1 /proc/uptime) s"; }
fail() {
	echo "FAIL pkg-$1: $2"
	failed=$((failed + 1))
}
check() { # check NAME REASON CMD...: PASS when CMD succeeds
	name=$1 why=$2
	shift 2
	stamp "$name"
	if "$@" >/tmp/check.out 2>&1; then
		pass "$name"
	else
		fail "$name" "$why: $(head -c 300 /tmp/check.out | tr '\n' ' ')"
	fi
}

# wait_until SECS CMD...: CMD succeeds within SECS seconds
wait_until() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

is_mounted() { findmnt -n "$MNT" >/dev/null; }
not_mounted() { ! is_mounted; }
daemon_pids() { pgrep -x fusept-passthro; }
no_leftovers() { ! pgrep -x fusept-passthro && ! pgrep -x mount.fusept; }
unit_active() { [ "$(systemctl is-active "$UNIT")" = active ]; }
unit_inactive() { ! unit_active; }
stats_written() { [ -e "$STATS" ]; }

# passthrough_counters: the daemon's counters (SIGUSR1 makes it write
# $STATS, by rename, so the file is whole once it is there) show
# passthrough opens and no READ or WRITE request
passthrough_counters() {
	rm -f "$STATS"
	# shellcheck disable=SC2046
	kill -USR1 $(daemon_pids) || return 1
	if ! wait_until 10 stats_written; then
		echo "no $STATS 10 s after SIGUSR1"
		return 1
	fi
	cat "$STATS"
	grep -q 'read=0 write=0' "$STATS" && ! grep -q 'passthrough_open=0' "$STATS"
}

# The module: loaded at boot by fusept-tools' modules-load.d file, the
# one DKMS built, with the package's version.
check_module() {
	check modules-load "systemd-modules-load did not load fusept" \
		sh -c 'systemctl is-active systemd-modules-load.service &&
			grep -qx fusept /usr/lib/modules-load.d/fusept.conf &&
			grep -q "^fusept " /proc/modules && test -c /dev/fusept'
	v=$(modinfo -F version fusept 2>&1)
	if [ "$v" = "$VERSION" ]; then
		pass modinfo-version "$v"
	else
		fail modinfo-version "modinfo says \"$v\", the package is $VERSION"
	fi
	p=$(modinfo -n fusept 2>&1)
	case $p in
	/lib/modules/$(uname -r)/updates/dkms/fusept.ko* | \
		/usr/lib/modules/$(uname -r)/updates/dkms/fusept.ko*)
		pass modinfo-dkms "$p" ;;
	*) fail modinfo-dkms "fusept.ko is $p, not DKMS's" ;;
	esac
}

# The fstab line: mounted at boot, its mount unit active, the files of
# the lower directory readable and writable through it, in passthrough.
check_fstab_mount() {
	t=$(findmnt -n -o FSTYPE "$MNT")
	if [ "$t" = fusept.fusept-passthrough ]; then
		pass fstab-mounted "$t"
	else
		fail fstab-mounted "$MNT has type \"$t\" ($(systemctl status "$UNIT" 2>&1 | tail -5 | tr '\n' ' '))"
		return
	fi
	check mount-unit-active "systemctl status $UNIT" systemctl status "$UNIT"
	check read "reading $MNT/hello.txt" \
		sh -c "[ \"\$(cat $MNT/hello.txt)\" = 'fusept package test' ]"
	check write "writing $MNT/new.txt" \
		sh -c "echo written >$MNT/new.txt && [ \"\$(cat $LOWER/new.txt)\" = written ]"
	check backing-file "no backing file while $MNT/hello.txt is open" \
		sh -c "exec 3<$MNT/hello.txt && cat /sys/fs/fusept/connections/*/backing_files |
			grep -q '$LOWER/hello.txt'"
	check passthrough "READ or WRITE requests reached the daemon, or no passthrough open" \
		passthrough_counters
}

# Killing the daemon detaches the mount (auto_unmount) and the mount
# unit goes inactive; mount(8) by mountpoint mounts it again from fstab;
# umount leaves no daemon or helper behind; rmmod works after.
check_kill_and_remount() {
	# shellcheck disable=SC2046
	kill -9 $(daemon_pids) 2>/dev/null
	if wait_until 10 not_mounted && wait_until 5 unit_inactive; then
		pass kill-detaches
	else
		fail kill-detaches "$MNT still mounted 10 s after the daemon was killed"
		umount -l "$MNT"
	fi
	check mount-again "mount $MNT (from fstab)" \
		sh -c "mount $MNT && cat $MNT/new.txt"
	check umount "umount $MNT" umount "$MNT"
	if wait_until 5 no_leftovers; then
		pass no-leftovers
	else
		fail no-leftovers "processes left: $(pgrep -a 'fusept|mount.fusept' | tr '\n' ' ')"
	fi
	check rmmod "rmmod fusept" rmmod fusept
}

# apt-get remove fusept-dkms (and fusept-tools, which depends on it)
# removes the module of every kernel.
check_remove() {
	check apt-remove "apt-get remove fusept-dkms" \
		apt-get remove -y -q -o Dpkg::Use-Pty=0 fusept-dkms
	sed 's/^/# apt: /' /tmp/check.out
	check removed "fusept.ko, its DKMS tree or its tools are still there" \
		sh -c '! modinfo fusept && ! test -e /var/lib/dkms/fusept &&
			! test -e /usr/sbin/mount.fusept &&
			! find /lib/modules -name "fusept.ko*" | grep -q .'
}

check_dmesg() {
	if dmesg | grep -Eq 'BUG:|WARNING:|Oops|general protection|Busy inodes'; then
		fail dmesg-clean "$(dmesg | grep -E -m3 'BUG:|WARNING:|Oops|general protection|Busy inodes' | tr '\n' ' ')"
	else
		pass dmesg-clean
	fi
}

echo FUSEPT-GUEST-START
for step in check_module check_fstab_mount check_kill_and_remount \
	check_remove check_dmesg; do
	stamp "$step"
	$step
done
stamp "done"
echo "FUSEPT-GUEST-EXIT $failed"
echo FUSEPT-GUEST-DONE
# (the poweroff verb would ask logind first, which is not there)
systemctl --no-block start poweroff.target
