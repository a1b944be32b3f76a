#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The hostile-daemon fuzzer, fusept-fuzzd, inside the test VM (busybox sh,
# root).  Standalone it is the script of `make fuzz` (fusept.script=fuzz:
# loads the modules, runs as many rounds as asked); run.sh's group "fuzz"
# runs it with "--group" and the suite's bounded defaults.
#
# Settings, on the kernel command line or in the environment:
#   fusept.fuzz_rounds=N   / FUZZ_ROUNDS   rounds (default 20; group: 12)
#   fusept.fuzz_secs=N     / FUZZ_SECS     seconds of a round (20; group: 10)
#   fusept.fuzz_seed=S     / FUZZ_SEED     seed of round 0 (1); round R
#                                          has seed S+R
#   fusept.fuzz_workers=N  / FUZZ_WORKERS  worker processes (4)
#   fusept.fuzz_avoid=LIST / FUZZ_AVOID    malformations not to send,
#       comma-separated names or prefixes ending in '*' (see fuzzd.c);
#       default: $KNOWN_BUGS below; "none" sends everything, "+LIST"
#       adds to the default
#   fusept.fuzz_verbose=1  / FUZZ_VERBOSE  trace every malformed reply,
#       notification and ioctl on the console (2: every request)
# and, as for run.sh, fusept.dev=fuse runs it on the kernel's own FUSE.
# A round's line "fuzz: round R seed S ..." is printed before it starts;
# fusept.fuzz_seed=S fusept.fuzz_rounds=1 (same secs and workers) replays
# it.  Rounds longer than about 90 s may trip the hung-task detector on a
# request the daemon never answers (the kernel's FUSE too): keep them
# short and run more of them.

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"

# What the fuzzer is kept from sending by default (fusept.fuzz_avoid=
# overrides it). The fusept bugs it found are fixed, their names stay
# usable: create-pt* and create-atomic (a CREATE whose open then failed
# left a file without private_data: NULL dereference in
# fusept_release_common; seed 11 on 5.10 and 6.1, seed 7000 on the debug
# kernel, where an uninitialised fusept_inode made the open fail),
# init-max-write-huge (a 2 GiB max_write: kvmalloc of that size, seed 77)
# and check-copy (copy_file_range left zeros in the page cache, seeds
# 5000 and 5007). Avoided: one bug of the kernel (its own FUSE shows it):
#   worker-mmap-populate  mmap(MAP_POPULATE) of a file whose read fails
#               (connection aborted) spins in __get_user_pages until
#               SIGKILL: filemap_fault drops mmap_lock to read, the read
#               fails, VM_FAULT_RETRY, again (6.1 on fuse, seed 11)
KNOWN_BUGS='worker-mmap-populate'

GROUP=
[ "$1" = --group ] && GROUP=1

knob() { # knob ENVVAR CMDLINE-NAME DEFAULT
	local v
	eval "v=\${$1:-}"
	[ -n "$v" ] || v=$(cmdline_arg "$2") || v=
	echo "${v:-$3}"
}

if [ -n "$GROUP" ]; then
	ROUNDS=$(knob FUZZ_ROUNDS fusept.fuzz_rounds 12)
	SECS=$(knob FUZZ_SECS fusept.fuzz_secs 10)
else
	ROUNDS=$(knob FUZZ_ROUNDS fusept.fuzz_rounds 20)
	SECS=$(knob FUZZ_SECS fusept.fuzz_secs 20)
fi
SEED=$(knob FUZZ_SEED fusept.fuzz_seed 1)
WORKERS=$(knob FUZZ_WORKERS fusept.fuzz_workers 4)
VERBOSE=$(knob FUZZ_VERBOSE fusept.fuzz_verbose 0)
AVOID=$(knob FUZZ_AVOID fusept.fuzz_avoid "$KNOWN_BUGS")
case $AVOID in
none) AVOID= ;;
+*) AVOID="$KNOWN_BUGS${KNOWN_BUGS:+,}${AVOID#+}" ;;
esac

set --
case $VERBOSE in
1) set -- -v ;;
2) set -- -v -v ;;
esac
# in a group, stdout goes to a file: the progress lines (round seeds)
# also go to the console at once, where a kernel splat would follow them
[ -z "$GROUP" ] || set -- "$@" -p /dev/console

set -- -d "$DEV" -t "$FS" -D "$MNTROOT/fuzz" -s "$SEED" -r "$ROUNDS" \
	-T "$SECS" -w "$WORKERS" ${AVOID:+-a "$AVOID"} "$@"
mkdir -p "$MNTROOT"
export FUZZ_AVOID=
# in run.sh's group the pid is the fuzzer's, for the cleanup after a timeout
[ -z "$GROUP" ] || exec fusept-fuzzd "$@"
echo "fuzz: begin" >/dev/kmsg 2>/dev/null
load_modules || echo "FAIL fuzz-setup-modules: cannot load $FS"
fusept-fuzzd "$@"
rc=$?
echo "fuzz: exit status $rc"
exit $rc
