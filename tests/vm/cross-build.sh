#!/bin/bash
# Build fusept.ko on this x86_64 host for Debian trixie's kernels of the
# same version as trixie's linux-headers-amd64: FLAVOUR arm64 or
# arm64-16k (cross-compiled), or amd64. In the trixie chroot, with plain
# kbuild (as kbuild-check.sh does for amd64):
#   make -C /usr/src/linux-headers-KVER M=.../module ARCH=arm64 \
#       CROSS_COMPILE=aarch64-linux-gnu- [EXTRA MAKE ARGS] modules
# With --clang, with clang and LLVM's tools instead of gcc (LLVM=1), as
# Android vendors build their modules (see "clang" below).
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
# with everything in place installs nothing and downloads nothing. The
# amd64 headers are the chroot's own linux-headers-amd64.
# Usage: cross-build.sh [--clang] FLAVOUR OUTDIR [extra make args, e.g. W=1]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
usage="usage: cross-build.sh [--clang] arm64|arm64-16k|amd64 OUTDIR [make args]"
clang=
if [ "${1:-}" = --clang ]; then
	clang=y
	shift
fi
flavour=${1:?$usage}
out=${2:?$usage}
shift 2
case $flavour in
arm64 | arm64-16k) arch=arm64 ;;
amd64) arch=amd64 ;;
*) die "unknown FLAVOUR $flavour ($usage)" ;;
esac
suite=trixie
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
marker=$kdir/.fusept-cross
work= # the build's directory inside the suite root, one per run

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

# clang. Debian builds its kernels with gcc, and the headers carry
# kbuild's configuration for gcc: include/config/auto.conf (read by
# kbuild's makefiles: which flags to pass) and include/generated/autoconf.h
# (read by the C code: which compiler features to use) say CC_IS_GCC, give
# gcc's and binutils' versions and what gcc can do (x86's named address
# spaces for per-CPU data, -fmin-function-alignment, -Wimplicit-
# fallthrough=5, mcount records). A module built with clang against them
# needs those answers as Kconfig gives them for clang, and nothing else
# changed: whatever describes the kernel itself (page size, what is built
# in, its ABI) stays as Debian built it. So only the compiler-dependent
# symbols below are overridden, in both places: on make's command line
# (beats auto.conf) and in a copy of autoconf.h with the same changes, in a
# directory searched before the kernel's includes (NOSTDINC_FLAGS comes
# first in kbuild's compiler flags; given on the command line it must
# keep -nostdinc). The list is what Kconfig itself changes when run on
# Debian's .config with clang 19 and LLVM=1 (conf --olddefconfig in the
# linux-source of the same version), less the choices about the kernel
# that depend on the tools too (ARM64_BTI_KERNEL, X86_X32_ABI, RELR):
# those keep Debian's values. The versions come from the installed tools.
#
# CONFIG_CFI_CLANG (kCFI, on in Android's GKI kernels) checks at run time
# that an indirect call's pointer type is the callee's type: a cast
# between function pointer types would trap there. -Wcast-function-
# type-strict (in CFLAGS_MODULE: KCFLAGS stays the caller's) turns every
# such cast into a warning, and a warning fails the build.
clang_pkgs="clang lld llvm"
clang_args=()

# llvm_version CMD: the version CMD --version prints, as Kconfig has it
llvm_version() {
	in_suite "$suite" "$1" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' |
		awk -F. 'NR == 1 { printf "%d%02d%02d\n", $1, $2, $3 }'
}

# clang_config DIR: the Kconfig symbols (NAME=VALUE, empty: not set) and
# DIR/generated/autoconf.h for a clang build; fills clang_args
clang_config() {
	local dir=$1 cc ld set=() kv
	cc=$(llvm_version clang)
	ld=$(llvm_version ld.lld)
	if [ -z "$cc" ] || [ -z "$ld" ]; then
		die "no clang or ld.lld version in $suite"
	fi
	set=("CC_VERSION_TEXT=$(in_suite "$suite" clang --version | head -n 1)"
		CC_IS_GCC= GCC_VERSION=0 CC_IS_CLANG=y "CLANG_VERSION=$cc"
		AS_IS_GNU= AS_IS_LLVM=y "AS_VERSION=$cc"
		LD_IS_BFD= LD_VERSION=0 LD_IS_LLD=y "LLD_VERSION=$ld"
		LD_CAN_USE_KEEP_IN_OVERLAY=
		CC_IMPLICIT_FALLTHROUGH=-Wimplicit-fallthrough
		GCC10_NO_ARRAY_BOUNDS= CC_NO_ARRAY_BOUNDS=
		GCC_NO_STRINGOP_OVERFLOW= CC_NO_STRINGOP_OVERFLOW=
		CC_HAS_MIN_FUNCTION_ALIGNMENT= CC_OPT_INLINE_MEMSET=
		CC_HAS_COUNTED_BY=y)
	case $arch in
	arm64)
		set+=(GCC_SUPPORTS_DYNAMIC_FTRACE_WITH_ARGS=
			CLANG_SUPPORTS_DYNAMIC_FTRACE_WITH_ARGS=y) ;;
	amd64)
		set+=(CC_HAS_NAMED_AS= USE_X86_SEG_SUPPORT=
			FTRACE_MCOUNT_USE_CC= FTRACE_MCOUNT_USE_OBJTOOL=y) ;;
	esac
	mkdir -p "$root$dir/generated"
	for kv in "${set[@]}"; do
		echo "${kv%%=*}"
	done | awk 'FILENAME == "-" { drop["CONFIG_" $0]; drop["CONFIG_" $0 "_MODULE"]; next }
		!($1 == "#define" && $2 in drop)' - "$root$kdir/include/generated/autoconf.h" \
		>"$root$dir/generated/autoconf.h"
	for kv in "${set[@]}"; do
		case ${kv#*=} in
		"") ;;
		y) echo "#define CONFIG_${kv%%=*} 1" ;;
		*[!0-9]*) echo "#define CONFIG_${kv%%=*} \"${kv#*=}\"" ;;
		*) echo "#define CONFIG_${kv%%=*} ${kv#*=}" ;;
		esac
	done >>"$root$dir/generated/autoconf.h"
	# CC and LD too: the headers' .kernelvariables sets CC after LLVM=1 did
	clang_args=(LLVM=1 CC=clang LD=ld.lld "NOSTDINC_FLAGS=-nostdinc -I$dir"
		CFLAGS_MODULE=-Wcast-function-type-strict "${set[@]/#/CONFIG_}")
}

# The module's .comment names the compiler of each object: clang, no gcc.
check_clang_built() {
	local c
	c=$(readelf --string-dump=.comment "$out/fusept.ko" 2>&1) || true
	if ! grep -q clang <<<"$c" || grep -q 'GCC:' <<<"$c"; then
		die "$out/fusept.ko: not built by clang alone (.comment: $c)"
	fi
}

build() {
	local rc=0 w target=()
	w=$(mktemp -d "$root/tmp/fusept-$kver.XXXXXX")
	work=${w#"$root"}
	[ "$arch" = amd64 ] || target=(ARCH="$arch" CROSS_COMPILE="$triplet-")
	[ -z "$clang" ] || clang_config "$work/clang"
	copy_module_sources "$root$work"
	in_suite "$suite" make -j"$(nproc)" -C "$kdir" M="$work/module" \
		"${target[@]}" "${clang_args[@]}" "$@" modules \
		>"$out/build.log" 2>&1 || rc=$?
	if [ -s "$root$work/module/fusept.ko" ]; then
		cp "$root$work/module/fusept.ko" "$out/fusept.ko"
	fi
	rm -rf "${root:?}$work"
	if [ $rc != 0 ] || [ ! -s "$out/fusept.ko" ]; then
		tail -40 "$out/build.log" >&2
		die "build of fusept for $kver${clang:+ with clang} failed (log: $out/build.log)"
	fi
	if grep -n 'warning:' "$out/build.log" >&2; then
		die "compiler warnings building fusept for $kver (log: $out/build.log)"
	fi
	[ -z "$clang" ] || check_clang_built
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
	if [ "$arch" = arm64 ]; then
		phase "cross lists ($suite $arch)" ensure_lists
		phase "cross tools ($kver)" install_tools
		phase "cross headers ($kver)" unpack_headers
	fi
	# shellcheck disable=SC2086
	[ -z "$clang" ] || phase "clang tools ($suite)" install_missing "$suite" $clang_pkgs
	exec 8>&-
	[ -f "$root$kdir/Makefile" ] || die "no $kdir in the $suite chroot"
	phase "build ($kver${clang:+ clang}${*:+ $*})" build "$@"
	log "built $out/fusept.ko for $kver ($(stat -c %s "$out/fusept.ko") bytes)" \
		"in $(($(date +%s) - start)) s"
}

main "$@"
