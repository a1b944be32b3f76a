#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the guest userland into DESTDIR (run in the trixie chroot):
#   DESTDIR/bin    fusept-mount, the test programs, libfuse example daemons
#   DESTDIR/tests  run.sh, harness.sh, demo.sh, lib.sh, counts.sh,
#                  pt-daemon.sh, mount-helper.sh, rw.sh, rw-stress.sh,
#                  fault.sh, fuzz.sh, and run.sh's groups: grp-*.sh
# Everything is linked statically, so the guest needs no shared libraries.
# Only what changed is rebuilt (by content, see stale()).
# With FUSEPT_EXAMPLES_ONLY=1 only the libfuse examples are built, into
# DESTDIR/bin: build-guest.sh runs that in the sid chroot for the guest's
# second libfuse (sid's 3.18, FUSEPT_EXAMPLES names the examples).
# Usage: build.sh DESTDIR
set -eu

dest=${1:?usage: build.sh DESTDIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
examples=/usr/share/doc/libfuse3-dev/examples
CC=${CC:-gcc}
# what the binaries are built for: in every hash below, so that a seed
# built for another machine (an arm64 guest's) is rebuilt, not kept
TARGET=$($CC -dumpmachine)
CFLAGS="-std=gnu11 -O2 -Wall -Wextra -Werror -I$src/include/uapi"
FUSE_EXAMPLES=${FUSEPT_EXAMPLES:-"hello_ll passthrough_ll hello passthrough
passthrough_fh null poll poll_client notify_store_retrieve"}
# What libfuse's own build (meson, config.h) defines on Linux with glibc:
# without them the examples leave out utimens, xattrs, fallocate and
# copy_file_range.  The sources stay unmodified.
EXAMPLE_DEFS="-DHAVE_UTIMENSAT -DHAVE_SETXATTR -DHAVE_POSIX_FALLOCATE
	-DHAVE_FALLOCATE -DHAVE_COPY_FILE_RANGE -DHAVE_FSTATAT -DHAVE_FDATASYNC"

mkdir -p "$dest/bin" "$dest/tests"
dest=$(cd "$dest" && pwd)

# stale OUT INPUTS...: OUT is missing or was built from other contents
# of INPUTS (or other CFLAGS, or for another TARGET). A hash of them is
# kept in DESTDIR/.sums/NAME by built; not timestamps: build-guest.sh
# seeds DESTDIR with the newest build in the cache, which may come from
# another tree with other sources older than its binaries, or from an
# arm64 guest's build.
stale() {
	local out=$1
	shift
	SUM=$({ echo "$TARGET $CFLAGS"; cat "$@"; } | sha256sum | cut -c1-16)
	[ -e "$out" ] && [ "$(cat "$dest/.sums/${out##*/}" 2>/dev/null)" = "$SUM" ] &&
		return 1
	return 0
}

# built OUT: OUT was built from what stale() hashed last
built() {
	mkdir -p "$dest/.sums"
	echo "$SUM" >"$dest/.sums/${1##*/}"
}

prog() {
	local name=$1 f srcs=
	shift
	stale "$dest/bin/$name" "$@" "$src/include/uapi/linux/fusept.h" \
		"$here/waitsleep.h" "$here/result.h" "$here/splicein.h" || return 0
	for f in "$@"; do
		case $f in *.c) srcs="$srcs $f" ;; esac
	done
	echo "  CC      $name"
	# shellcheck disable=SC2086
	$CC $CFLAGS -static -o "$dest/bin/$name.tmp" $srcs
	mv "$dest/bin/$name.tmp" "$dest/bin/$name"
	built "$name"
}

# fuse_prog NAME SOURCE: one of our own programs, linked with libfuse
fuse_prog() {
	stale "$dest/bin/$1" "$2" || return 0
	echo "  CC      $1 (libfuse)"
	# shellcheck disable=SC2046
	$CC $CFLAGS $(pkg-config fuse3 --cflags) -static \
		-o "$dest/bin/$1.tmp" "$2" $(pkg-config fuse3 --static --libs)
	mv "$dest/bin/$1.tmp" "$dest/bin/$1"
	built "$1"
}

# example_src NAME: the example's source file (maybe gzipped)
example_src() {
	local f
	for f in "$examples/$1.c" "$examples/$1.c.gz"; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	echo "build.sh: libfuse example $1 not found in $examples" >&2
	return 1
}

# example NAME: a libfuse example daemon, unmodified
example() {
	local srcf tmp f
	srcf=$(example_src "$1") || return 1
	stale "$dest/bin/$1" "$srcf" "$here/build.sh" || return 0
	echo "  CC      $1 (libfuse example)"
	tmp=$(mktemp -d)
	for f in "$srcf" "$examples"/*.h "$examples"/*.h.gz; do
		case $f in
		*"*"*) ;;
		*.gz) zcat "$f" >"$tmp/$(basename "$f" .gz)" ;;
		*) cp "$f" "$tmp/" ;;
		esac
	done
	# shellcheck disable=SC2046
	if ! $CC -O2 -w $EXAMPLE_DEFS $(pkg-config fuse3 --cflags) -static \
		-o "$dest/bin/$1.tmp" "$tmp/$1.c" \
		$(pkg-config fuse3 --static --libs) 2>"$tmp/log"; then
		cat "$tmp/log" >&2
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$tmp"
	mv "$dest/bin/$1.tmp" "$dest/bin/$1"
	built "$1"
}

if [ "${FUSEPT_EXAMPLES_ONLY:-0}" = 1 ]; then
	for e in $FUSE_EXAMPLES; do
		example "$e"
	done
	echo "libfuse $(pkg-config fuse3 --modversion) examples in $dest/bin"
	exit 0
fi

prog fusept-mount "$src/tools/fusept-mount.c"
prog mount.fusept "$src/tools/mount.fusept.c"
prog fusept-rawd "$here/rawd.c"
prog fusept-rawmount "$here/rawmount.c"
prog fusept-probe "$here/probe.c"
prog fusept-ptioctl "$here/ptioctl.c"
prog fusept-smallfiles "$here/smallfiles.c"
# posixtest: posix/main.c runs the topics of the other files (posix.h)
prog posixtest "$here"/posix/*.c "$here/posix/posix.h"
prog fsxcheck "$here/fsxcheck.c"
prog fusept-stress "$here/stress.c"
prog fusept-ptcheck "$here/ptcheck.c" "$here/iptcheck.c" "$here/ptcheck.h"
prog fusept-reliab "$here/reliab.c"
prog fusept-fuzzd "$here/fuzzd.c" "$here/fuzz-daemon.c" "$here/fuzz-lie.c" \
	"$here/fuzz-chaos.c" "$here/fuzz-worker.c" "$here/fuzz.h"
fuse_prog fusept-passthrough "$src/tools/fusept-passthrough.c"
fuse_prog fusept-lockfs "$here/lockfs.c"
prog fusept-locktest "$here/locktest.c"
for e in $FUSE_EXAMPLES; do
	example "$e"
done
for s in run.sh harness.sh demo.sh lib.sh counts.sh pt-daemon.sh \
	mount-helper.sh bench.sh rw.sh rw-stress.sh fault.sh fuzz.sh \
	grp-module.sh grp-basic.sh grp-ptll.sh grp-rw.sh \
	grp-passthrough.sh grp-kill.sh grp-raw.sh grp-reliab.sh; do
	if ! cmp -s "$here/$s" "$dest/tests/$s"; then
		cp "$here/$s" "$dest/tests/$s"
	fi
done
chmod 755 "$dest/tests/run.sh" "$dest/tests/demo.sh" "$dest/tests/pt-daemon.sh" \
	"$dest/tests/bench.sh" "$dest/tests/rw.sh" "$dest/tests/rw-stress.sh" \
	"$dest/tests/fault.sh" "$dest/tests/fuzz.sh"
echo "guest userland in $dest"
