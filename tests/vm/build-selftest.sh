#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fusept-selftest.ko for one kernel: fusept.ko built with FUSEPT_SELFTEST=1,
# whose init runs module/selftest.c's tables and refuses to load when a
# case fails; the guest's "selftest" group loads it once. Plain kbuild in
# the kernel's suite, in a directory of its own (as kbuild-check.sh
# builds); for the arm64 flavours (KVER ending in -arm64 or -arm64-16k),
# cross-build.sh.
# Results in OUTDIR: fusept-selftest.ko, selftest-build.log. Fails if the
# build fails or the compiler printed a warning.
# Usage: build-selftest.sh SUITE KVER OUTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: build-selftest.sh SUITE KVER OUTDIR}
kver=${2:?}
out=${3:?}
blog=$out/selftest-build.log

# kbuild for an amd64 kernel of the matrix, in SUITE's root
build_native() {
	local root work rc=0
	root=$(suite_root "$suite")
	work=/tmp/fusept-selftest-$kver.$$
	rm -rf "${root:?}$work"
	copy_module_sources "$root$work"
	in_suite "$suite" make -j2 -C "/usr/src/linux-headers-$kver" \
		M="$work/module" FUSEPT_SELFTEST=1 modules >"$blog" 2>&1 || rc=$?
	[ ! -s "$root$work/module/fusept.ko" ] ||
		cp "$root$work/module/fusept.ko" "$out/fusept-selftest.ko"
	rm -rf "${root:?}$work"
	return $rc
}

# cross-build.sh FLAVOUR into a directory of its own
build_cross() {
	local dir=$out/selftest rc=0
	"$VM_DIR/cross-build.sh" "$1" "$dir" FUSEPT_SELFTEST=1 >"$blog" 2>&1 ||
		rc=$?
	cat "$dir/build.log" >>"$blog" 2>/dev/null || true
	[ ! -s "$dir/fusept.ko" ] || cp "$dir/fusept.ko" "$out/fusept-selftest.ko"
	rm -rf "$dir"
	return $rc
}

main() {
	local rc=0
	mkdir -p "$out"
	rm -f "$out/fusept-selftest.ko"
	case $kver in
	*-arm64) build_cross arm64 || rc=$? ;;
	*-arm64-16k) build_cross arm64-16k || rc=$? ;;
	*) build_native || rc=$? ;;
	esac
	if [ $rc != 0 ] || [ ! -s "$out/fusept-selftest.ko" ]; then
		rm -f "$out/fusept-selftest.ko"
		tail -20 "$blog" >&2
		die "selftest build of fusept for $kver failed (log: $blog)"
	fi
	if grep -n 'warning:' "$blog" >&2; then
		rm -f "$out/fusept-selftest.ko"
		die "compiler warnings in the selftest build for $kver (log: $blog)"
	fi
	log "built $out/fusept-selftest.ko"
}

main
