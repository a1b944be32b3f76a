#!/bin/bash
# Build the kernel-independent part of the guest initramfs in the guest
# chroot (trixie): tests/guest/build.sh installs the test programs into
# DESTDIR, guest-root.sh turns that into an initramfs tree, and the tree is
# packed as base.cpio. The libfuse examples are built a second time in the
# sid chroot, with sid's libfuse (3.18), into DESTDIR/libfuse-NEW/bin
# (/usr/local/fusept/libfuse-NEW/bin in the guest; NEW is sid's version).
# Cached in $FUSEPT_CACHE/guest/HASH, where HASH covers the repository
# (less module/ and .git), the chroot's package state and the version of
# sid's libfuse3-dev.
# With ARCH arm64: the same userland for the arm64 guests, cross-built in
# the same chroot (arm64.sh: the cross compiler, and a sysroot of trixie's
# arm64 packages for libfuse and the real tools); no second libfuse.
# Cached in $FUSEPT_CACHE/guest/arm64-HASH.
# Usage: build-guest.sh [ARCH]   (prints the directory holding base.cpio)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=$GUEST_SUITE
root=$(suite_root "$suite")
new=$NEWFUSE_SUITE
newroot=$(suite_root "$new")
arch=${1:-amd64}
case $arch in
amd64) ;;
arm64) . "$VM_DIR/arm64.sh" ;;
*) die "usage: build-guest.sh [amd64|arm64]" ;;
esac

source_hash() {
	{
		(cd "$REPO" && find . \( -path ./.git -o -path ./module \) -prune -o \
			-type f ! -name '*.o' ! -name '*.ko' -print0 | LC_ALL=C sort -z |
			xargs -0 sha256sum)
		sha256sum "$root/var/lib/dpkg/status"
		if [ "$arch" = arm64 ]; then
			arm64_sysroot_version
		else
			newfuse_version
		fi
	} | sha256sum | cut -c1-16
}

copy_repo() {
	rm -rf "$root/src"
	mkdir -p "$root/src"
	tar -C "$REPO" --exclude=./.git --exclude='*.o' --exclude='*.ko' -cf - . |
		tar -C "$root/src" -xf -
}

newfuse_version() {
	in_suite "$new" dpkg-query -W -f '${Version}' libfuse3-dev
}

# The newer libfuse's examples, into DESTDIR/libfuse-VERSION (seeded from
# PREV, the previous build's DESTDIR)
build_newfuse() {
	local dest=$1 prev=$2 ver out=$newroot/tmp/fusept-newfuse
	ver=$(in_suite "$new" pkg-config fuse3 --modversion)
	rm -rf "$out" "$newroot/src"
	mkdir -p "$newroot/src/tests" "$out"
	cp -r "$REPO/tests/guest" "$newroot/src/tests/"
	[ -z "$prev" ] || [ ! -d "$prev/libfuse-$ver" ] ||
		cp -a "$prev/libfuse-$ver/." "$out/"
	in_suite "$new" env FUSEPT_EXAMPLES_ONLY=1 \
		FUSEPT_EXAMPLES="$NEWFUSE_EXAMPLES" \
		sh /src/tests/guest/build.sh /tmp/fusept-newfuse || return 1
	rm -rf "$dest"/libfuse-*
	cp -a "$out" "$dest/libfuse-$ver"
	rm -rf "$out" "$newroot/src"
}

build() {
	local dir=$1 rc=0 prev
	[ -x "$REPO/tests/guest/build.sh" ] || die "missing $REPO/tests/guest/build.sh"
	copy_repo
	rm -rf "$root/tmp/fusept-guest"
	mkdir -p "$root/tmp/fusept-guest"
	# Seed DESTDIR with the previous build: build.sh rebuilds what changed.
	prev=$(builds | sed -n 1p)
	prev=${prev:+$prev/dest}
	[ -z "$prev" ] || [ -d "$prev" ] || prev=
	[ -z "$prev" ] || cp -a "$prev" "$root/tmp/fusept-guest/dest"
	mkdir -p "$root/tmp/fusept-guest/dest"
	: >"$dir.log"
	if [ "$arch" = arm64 ]; then
		arm64_build_in_chroot >>"$dir.log" 2>&1 || rc=$?
	else
		build_newfuse "$root/tmp/fusept-guest/dest" "$prev" >"$dir.log" 2>&1 || {
			tail -40 "$dir.log" >&2
			die "guest build (libfuse examples in $new) failed (log: $dir.log)"
		}
		in_suite "$suite" bash -c '
			set -e
			/src/tests/guest/build.sh /tmp/fusept-guest/dest
			/src/tests/vm/guest-root.sh /tmp/fusept-guest/dest /tmp/fusept-guest/root
			' >>"$dir.log" 2>&1 || rc=$?
	fi
	if [ $rc != 0 ]; then
		tail -40 "$dir.log" >&2
		die "guest build failed (log: $dir.log)"
	fi
	mkdir -p "$dir.tmp"
	(cd "$root/tmp/fusept-guest/root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet) >"$dir.tmp/base.cpio"
	mv "$root/tmp/fusept-guest/dest" "$dir.tmp/dest"
	rm -rf "$root/tmp/fusept-guest" "$root/src"
	mv "$dir.log" "$dir.tmp/build.log"
	touch "$dir.tmp/.ready"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}

# builds: this architecture's builds in the cache, the newest first
builds() {
	local d
	# shellcheck disable=SC2012
	# (an empty cache has none: ls fails, and pipefail must not stop us)
	{ ls -1dt "$FUSEPT_CACHE"/guest/*/ 2>/dev/null || true; } | while read -r d; do
		d=${d%/}
		case ${d##*/}:$arch in
		*.tmp:*) ;;
		arm64-*:arm64) echo "$d" ;;
		arm64-*:*) ;;
		*:amd64) echo "$d" ;;
		esac
	done
}

main() {
	local dir prefix=
	"$VM_DIR/setup-chroot.sh" "$suite"
	if [ "$arch" = arm64 ]; then
		prefix=arm64-
		arm64_setup
	else
		"$VM_DIR/setup-chroot.sh" "$new"
		# shellcheck disable=SC2086
		install_missing "$new" $NEWFUSE_PKGS
	fi
	dir=$FUSEPT_CACHE/guest/$prefix$(source_hash)
	if [ ! -e "$dir/.ready" ]; then
		mkdir -p "$FUSEPT_CACHE/guest"
		rm -rf "$dir" "$dir.tmp"
		log "building the $arch guest userland in the $suite chroot"
		build "$dir"
		# keep only the newest few builds
		builds | tail -n +4 | xargs -r rm -rf
	fi
	echo "$dir"
}

main
