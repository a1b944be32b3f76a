#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusept demo: mount a libfuse passthrough daemon over a small directory
# and show what a user sees.  Runs inside the guest as root.

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
if is_fusept; then
	show rmmod fusept
fi
[ "$a" = "$b" ] || fail "the file read through $FS differs from the lower one"
echo "PASS demo"
