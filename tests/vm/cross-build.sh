#!/bin/bash
# Cross-build fusept.ko on this x86_64 host for Debian trixie's arm64
# kernels (FLAVOUR arm64 or arm64-16k), of the same kernel version as
# trixie's linux-headers-amd64, in the trixie chroot with plain kbuild
# (as kbuild-check.sh does for amd64):
#   make -C /usr/src/linux-headers-KVER M=.../module ARCH=arm64 \
#       CROSS_COMPILE=aarch64-linux-gnu- [EXTRA MAKE ARGS] modules
# Results in OUTDIR: fusept.ko, build.log. Fails if the build fails or the
# compiler printed a warning. Prints how long it took.
#
# linux-headers-KVER:arm64 is not installable in an amd64 system: it
# depends on gcc-N:arm64 (the native arm64 compiler, which would replace
# the amd64 one) and on linux-image-KVER:arm64. Its tree holds no
# programs (they are in linux-kbuild-VER, Multi-Arch: foreign, the same
# package the amd64 headers use) and its .kernelvariables already sets
# ARCH=arm64, CROSS_COMPILE=aarch64-linux-gnu- and CC=$(CROSS_COMPILE)gcc-N.
# So the chroot gets arm64 as a foreign dpkg architecture (for the package
# lists), gcc-N-aarch64-linux-gnu, linux-kbuild-VER and
# linux-headers-VER-common from apt, and the headers package's
# /usr/src/linux-headers-KVER unpacked beside the common headers (its
# symlinks are relative to /usr/src), without registering it with dpkg.
# .fusept-cross in that tree names the package version unpacked; a run
# with everything in place installs nothing and downloads nothing.
# Usage: cross-build.sh FLAVOUR OUTDIR [extra make args, e.g. W=1]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
usage="usage: cross-build.sh arm64|arm64-16k OUTDIR [make args]"
flavour=${1:?$usage}
out=${2:?$usage}
shift 2
case $flavour in
arm64 | arm64-16k) ;;
*) die "unknown FLAVOUR $flavour ($usage)" ;;
esac
suite=trixie
arch=arm64
triplet=aarch64-linux-gnu
root=$(suite_root "$suite")
start=$(date +%s)

# The kernel: trixie's amd64 headers' version with the arm64 flavour.
amd64_kver=$(headers_kver "$suite")
[ -n "$amd64_kver" ] || die "no linux-headers-amd64 in the $suite chroot"
base=${amd64_kver%-amd64}
kver=$base-$flavour
hpkg=linux-headers-$kver
kdir=/usr/src/$hpkg
work=/tmp/fusept-cross-$kver-$$ # inside the suite root; one per build
marker=$kdir/.fusept-cross

# One setup at a time (apt, dpkg, the unpacked tree); not the VM lock.
setup_lock() {
	mkdir -p "$FUSEPT_CACHE"
	exec 8>"$FUSEPT_CACHE/cross-build.lock"
	flock 8
}

# Field FIELD of the candidate of PKG in the chroot's package lists.
pkg_field() {
	in_suite "$suite" apt-cache show --no-all-versions "$2" 2>/dev/null |
		awk -v f="$1: " 'index($0, f) == 1 && !n++ { print substr($0, length(f) + 1) }'
}

# arm64 as a foreign architecture, and package lists that know $hpkg.
ensure_lists() {
	local stamp archs
	stamp=$(apt_stamp "$suite")
	archs=$(in_suite "$suite" dpkg --print-foreign-architectures)
	if ! grep -qx "$arch" <<<"$archs"; then
		log "dpkg --add-architecture $arch ($suite)"
		in_suite "$suite" dpkg --add-architecture "$arch"
		rm -f "$stamp" # the lists have no $arch packages yet
	fi
	apt_refresh "$suite"
	if [ -z "$(pkg_field Version "$hpkg:$arch")" ]; then
		rm -f "$stamp"
		apt_refresh "$suite"
	fi
	[ -n "$(pkg_field Version "$hpkg:$arch")" ] ||
		die "no package $hpkg:$arch in $suite's package lists"
}

# The packages of the build that apt can install here.
install_tools() {
	local deps gcc missing
	deps=$(pkg_field Depends "$hpkg:$arch")
	gcc=$(grep -o '\bgcc-[0-9][0-9]*\b' <<<"$deps" || true)
	gcc=${gcc%%$'\n'*}
	[ -n "$gcc" ] || die "$hpkg: no gcc-N in its Depends ($deps)"
	missing=$(missing_pkgs "$suite" make "$gcc-$triplet" \
		"linux-kbuild-$base" "linux-headers-$base-common")
	if [ -n "${missing// /}" ]; then
		# shellcheck disable=SC2086
		log "apt-get install ($suite):" $missing
		# shellcheck disable=SC2086
		apt_install "$suite" -o DPkg::Lock::Timeout=600 $missing
	fi
	check_common_version "$deps"
}

# The unpacked tree needs the very common headers it was built with.
check_common_version() {
	local want have
	want=$(grep -o "linux-headers-$base-common (= [^)]*)" <<<"$1" |
		sed 's/.*(= \(.*\))/\1/' || true)
	# shellcheck disable=SC2016
	have=$(in_suite "$suite" dpkg-query -W -f '${Version}' \
		"linux-headers-$base-common")
	[ -z "$want" ] || [ "$want" = "$have" ] ||
		die "$hpkg wants linux-headers-$base-common $want, $suite has $have"
}

# /usr/src/$hpkg from the candidate .deb, unless that version is there.
unpack_headers() {
	local ver
	ver=$(pkg_field Version "$hpkg:$arch")
	if [ -f "$root$kdir/Makefile" ] &&
		[ "$(cat "$root$marker" 2>/dev/null)" = "$ver" ]; then
		return
	fi
	log "unpacking $hpkg:$arch $ver into $suite:$kdir"
	# shellcheck disable=SC2016
	in_suite "$suite" bash -c '
		set -e
		pkg=$1 ver=$2 kdir=$3 marker=$4
		d=$(mktemp -d)
		trap "rm -rf $d" EXIT
		chown _apt "$d" 2>/dev/null || true
		cd "$d"
		apt-get download -qq "$pkg=$ver" >/dev/null
		dpkg-deb -x ./*.deb x
		[ -f "x$kdir/Makefile" ]
		rm -rf "$kdir"
		mv "x$kdir" "$kdir"
		echo "$ver" >"$marker"
	' bash "$hpkg:$arch" "$ver" "$kdir" "$marker" >&2
}

build() {
	local rc=0
	rm -rf "${root:?}$work"
	copy_module_sources "$root$work"
	in_suite "$suite" make -j"$(nproc)" -C "$kdir" M="$work/module" \
		ARCH="$arch" CROSS_COMPILE="$triplet-" "$@" modules \
		>"$out/build.log" 2>&1 || rc=$?
	if [ -s "$root$work/module/fusept.ko" ]; then
		cp "$root$work/module/fusept.ko" "$out/fusept.ko"
	fi
	rm -rf "${root:?}$work"
	if [ $rc != 0 ] || [ ! -s "$out/fusept.ko" ]; then
		tail -40 "$out/build.log" >&2
		die "cross build of fusept for $kver failed (log: $out/build.log)"
	fi
	if grep -n 'warning:' "$out/build.log" >&2; then
		die "compiler warnings building fusept for $kver (log: $out/build.log)"
	fi
}

# phase NAME CMD...: run CMD (errexit stays on), print how long it took
phase() {
	local name=$1 t0
	shift
	t0=$(date +%s)
	"$@"
	printf '[time] %-40s %4ss\n' "$name" "$(($(date +%s) - t0))" >&2
}

main() {
	mkdir -p "$out"
	rm -f "$out/fusept.ko" "$out/build.log"
	setup_lock
	phase "cross lists ($suite $arch)" ensure_lists
	phase "cross tools ($kver)" install_tools
	phase "cross headers ($kver)" unpack_headers
	exec 8>&-
	phase "cross build ($kver${*:+ $*})" build "$@"
	log "built $out/fusept.ko for $kver ($(stat -c %s "$out/fusept.ko") bytes)" \
		"in $(($(date +%s) - start)) s"
}

main "$@"
