#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusept demo: mount a libfuse daemon over a small directory and show what
# a user sees, then the passthrough daemon tools/fusept-passthrough (no
# READ reaches it) and one measured ratio (sequential read, passthrough
# over the lower ext4).  Runs inside the guest as root.

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"

DAEMON=${FUSEPT_DEMO_DAEMON:-passthrough_ll}
M=$MNTROOT/demo
L=$LOWER/demo

say() { printf '\n### %s\n' "$*"; }

# show CMD...: print the command line, then run it
show() {
	echo "# $*"
	"$@"
}

fail() {
	echo "FAIL demo: $*"
	exit 1
}

say "loading the $FS module (kernel $(uname -r))"
load_modules || fail "cannot load $MODULE"
show ls -l "$DEV"
show grep "$FS" /proc/filesystems

say "a small lower directory on tmpfs: $L"
lower_init || fail "cannot mount a tmpfs on $LOWER"
mkdir -p "$L/docs" "$M"
echo "Hello from the lower directory" >"$L/hello.txt"
printf 'line %s\n' 1 2 3 >"$L/docs/lines.txt"
dd if=/dev/urandom of="$L/random.bin" bs=64k count=16 2>/dev/null
ln -s hello.txt "$L/link"
show ls -l "$L"

say "mount it with fusept-mount and the libfuse example $DAEMON"
echo "# fusept-mount -d $DEV -t $FS $M $DAEMON -f -o source=$L &"
fusept-mount -d "$DEV" -t "$FS" "$M" "$DAEMON" -f -o "source=$L" \
	>"$WORK/demo-daemon.log" 2>&1 &
dpid=$!
wait_mounted "$M" 10 "$dpid" || {
	cat "$WORK/demo-daemon.log"
	fail "the daemon did not mount"
}
show sh -c "mount | grep ' $M '"

say "the same files through the mount"
show ls -l "$M"
show ls -l "$M/docs"
show cat "$M/hello.txt"
show cat "$M/link"
show stat "$M/random.bin"

say "sha256 of a file, lower vs mount"
a=$(sha256sum <"$L/random.bin" | cut -d' ' -f1)
b=$(sha256sum <"$M/random.bin" | cut -d' ' -f1)
echo "lower: $a"
echo "fuse:  $b"
if [ "$a" = "$b" ]; then echo "=> identical"; else echo "=> DIFFERENT"; fi

say "unmount"
show umount "$M"
n=50
while kill -0 "$dpid" 2>/dev/null && [ $n -gt 0 ]; do
	usleep 100000
	n=$((n - 1))
done
wait "$dpid"
echo "daemon exit status: $?"
[ "$a" = "$b" ] || fail "the file read through $FS differs from the lower one"

say "passthrough: the reference daemon tools/fusept-passthrough"
P=$MNTROOT/demo-pt
ST=$WORK/demo-pt.stats
mkdir -p "$P"
echo "# fusept-mount -d $DEV -t $FS $P fusept-passthrough -f --stats $ST $L &"
fusept-mount -d "$DEV" -t "$FS" "$P" fusept-passthrough -f --stats "$ST" "$L" \
	>"$WORK/demo-pt.log" 2>&1 &
dpid=$!
wait_mounted "$P" 10 "$dpid" && stat "$P" >/dev/null || {
	cat "$WORK/demo-pt.log"
	fail "fusept-passthrough did not mount"
}
show sh -c "mount | grep ' $P '"
show cat "$WORK/demo-pt.log"
c=$(sha256sum <"$P/random.bin" | cut -d' ' -f1)
echo "sha256 through passthrough: $c"
[ "$c" = "$a" ] || fail "passthrough read differs from the lower file"
show cat "$P/hello.txt"
echo "# the daemon's request counters (SIGUSR1): no READ reached it"
kill -USR1 "$dpid"
wait_file "$ST" 5 && cat "$ST"
grep -q 'read=0 write=0' "$ST" || fail "READ/WRITE requests reached the daemon"
grep -q 'passthrough_open=[1-9]' "$ST" || fail "no passthrough open"
show umount "$P"
wait_gone "$dpid" 10
wait "$dpid"
echo "daemon exit status: $?"

say "one benchmark ratio: sequential read, ext4 on a ramdisk vs passthrough"
echo "# (tests/guest/bench.sh --demo; the whole benchmark is make bench)"
sh "$TESTS/bench.sh" --demo | tee "$WORK/demo-bench.out"
grep -q '^passthrough/lower = ' "$WORK/demo-bench.out" ||
	fail "no ratio measured"
if is_fusept; then
	show rmmod fusept
fi
echo "PASS demo"
