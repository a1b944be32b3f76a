#!/bin/bash
# The plain kbuild build of fusept for one kernel of the matrix, beside
# the DKMS build, in that kernel's suite: `make -C KDIR M=.../module`
# builds fusept.ko warning-free; the same command again compiles nothing
# (and its time is printed); modules_install puts fusept.ko under
# INSTALL_MOD_PATH; module/Makefile with a KDIR that does not exist stops
# with fusept's own error naming that directory; the Android build
# scripts' call (KERNEL_SRC=, a relative O= and M=) builds it too, on
# module/ and on the top directory (there with the objects under O and
# modules_install staging a stripped extra/fusept/fusept.ko); and
# BUILD.bazel's lists match module/Kbuild's (bazel-sync.sh).
# Writes "PASS name" / "FAIL name: reason" lines to OUTDIR/host.log
# (check.sh counts them with the kernel's guest results) and the build
# output to OUTDIR/kbuild.log.
# Usage: kbuild-check.sh SUITE KVER OUTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: kbuild-check.sh SUITE KVER OUTDIR}
kver=${2:?}
out=${3:?}
root=$(suite_root "$suite")
# inside the suite root; one per run (runs of several trees at once meet
# on one host and its chroots)
work=/tmp/fusept-kbuild-$kver.$$
kdir=/usr/src/linux-headers-$kver
blog=$out/kbuild.log

result() { # result NAME OK-OR-REASON [DETAIL]
	if [ "$2" = ok ]; then
		echo "PASS kbuild-$1${3:+ ($3)}"
	else
		echo "FAIL kbuild-$1: $2"
	fi >>"$out/host.log"
}

# kb CMD: run a shell command in the copy of the tree, output to the log
kb() {
	echo "\$ $1" >>"$blog"
	in_suite "$suite" bash -c "cd $work && $1" >>"$blog" 2>&1
}

copy_tree() {
	rm -rf "${root:?}$work"
	copy_module_sources "$root$work"
}

check_build() {
	local from
	from=$(wc -l <"$blog")
	if ! kb "make -j2 -C $kdir M=$work/module"; then
		result build "make -C $kdir M=... failed (log: $blog)"
	elif [ ! -s "$root$work/module/fusept.ko" ]; then
		result build "no fusept.ko (log: $blog)"
	elif tail -n +"$from" "$blog" | grep -q 'warning:'; then
		result build "compiler warnings (log: $blog)"
	else
		result build ok
	fi
}

# A second build of the unchanged tree: nothing compiled, nothing linked.
check_noop() {
	local from start secs
	from=$(wc -l <"$blog")
	start=$(date +%s%N)
	if ! kb "make -j2 -C $kdir M=$work/module"; then
		result noop-rebuild "the second make failed (log: $blog)"
		return
	fi
	secs=$((($(date +%s%N) - start) / 1000000))
	secs=$((secs / 1000)).$((secs % 1000 / 100))
	echo "no-op rebuild of fusept for $kver: $secs s" >>"$blog"
	if tail -n +"$from" "$blog" | grep -Eq '^ *(CC|LD|BTF) '; then
		result noop-rebuild "the second make rebuilt something (log: $blog)"
	else
		result noop-rebuild ok "$secs s"
	fi
}

check_install() {
	local ko
	kb "make -C $kdir M=$work/module INSTALL_MOD_PATH=$work/inst \
		INSTALL_MOD_DIR=extra modules_install" || true
	ko=$(find "$root$work/inst/lib/modules/$kver/extra" -name 'fusept.ko*' \
		2>/dev/null | head -1)
	if [ -n "$ko" ]; then
		result modules-install ok
	else
		result modules-install "no fusept.ko under INSTALL_MOD_PATH/lib/modules/$kver/extra"
	fi
}

check_wrong_kdir() {
	local msg rc=0
	msg=$(in_suite "$suite" make -s -C "$work/module" KDIR=/nonexistent 2>&1) ||
		rc=$?
	echo "$msg" >>"$blog"
	if [ $rc = 0 ]; then
		result wrong-kdir "make with KDIR=/nonexistent succeeded"
	elif ! grep -q '^fusept: .*/nonexistent' <<<"$msg"; then
		result wrong-kdir "no fusept error naming /nonexistent: $(head -1 <<<"$msg")"
	else
		result wrong-kdir ok
	fi
}

# Android's build scripts: make -C MODDIR KERNEL_SRC=SOURCE-TREE
# O=OBJECT-TREE M=MODDIR, O and M relative to the source tree. Debian's
# headers are such a pair: -common the source, the flavour's the objects
# (a kernel without -common headers, the debug one, is skipped).
check_android_style() {
	local src=/usr/src/linux-headers-${kver%-*}-common dir=$work/android o m
	[ -d "$root$src" ] || return 0
	o=$(realpath -m -s --relative-to="$src" "$kdir")
	m=$(realpath -m -s --relative-to="$src" "$dir/module")
	rm -rf "${root:?}$dir"
	copy_module_sources "$root$dir"
	if ! kb "make -C $dir/module KERNEL_SRC=$src O=$o M=$m modules"; then
		result android-style "make -C module KERNEL_SRC=$src O=$o M=$m failed (log: $blog)"
	elif [ ! -s "$root$dir/module/fusept.ko" ]; then
		result android-style "no fusept.ko in module/ (log: $blog)"
	else
		result android-style ok "KERNEL_SRC=$src O=$o"
	fi
}

# Android's build.sh EXT_MODULES and Kleaf's kernel_module on the top
# directory: make -C TOP KERNEL_SRC=SRC M=TOP-RELATIVE-TO-SRC O=OUT, then
# the same with INSTALL_MOD_PATH, INSTALL_MOD_DIR=extra/fusept and
# INSTALL_MOD_STRIP=1 modules_install. OUT is a copy of the flavour's
# headers under $work/o (its /usr/lib a link to the real one), as far from
# / as /usr/src, so that OUT/M is $work/o/TOP, apart from the sources, as
# an Android out/ directory is. The source tree (a copy of the repository's
# top level: dkms.conf, Makefile, Kbuild, module/, include/) must come out
# byte for byte as it went in. FUSEPT_KBUILD_ARGS is added to both make
# calls (by hand: KVER 6.12.117+deb13-arm64 in trixie with
# FUSEPT_KBUILD_ARGS="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" once
# cross-build.sh has unpacked those headers).
check_android_top() {
	local src=/usr/src/linux-headers-${kver%-*}-common top=$work/top
	local o=$work/o$kdir m before built inst mach xargs=${FUSEPT_KBUILD_ARGS:-}
	local start=$SECONDS
	[ -d "$root$src" ] || return 0
	rm -rf "${root:?}$top" "${root:?}$work/o" "${root:?}$work/stage"
	copy_module_sources "$root$top"
	cp "$REPO/Makefile" "$REPO/Kbuild" "$root$top/"
	mkdir -p "$root$work/o/usr/src"
	ln -s /usr/lib "$root$work/o/usr/lib"
	cp -a "$root$kdir" "$root$work/o/usr/src"
	m=$(realpath -m -s --relative-to="$src" "$top")
	before=$(tree_sums "$root$top")
	built=$root$work/o$top/fusept.ko
	inst=$root$work/stage/lib/modules/$kver/extra/fusept
	if ! kb "make -j2 -C $top KERNEL_SRC=$src M=$m O=$o $xargs"; then
		result android-top "make -C TOP KERNEL_SRC=$src M=$m O=$o failed (log: $blog)"
	elif [ ! -s "$built" ]; then
		result android-top "no fusept.ko at O/M/ (log: $blog)"
	elif ! kb "make -C $top KERNEL_SRC=$src M=$m O=$o $xargs \
		INSTALL_MOD_PATH=$work/stage INSTALL_MOD_DIR=extra/fusept \
		INSTALL_MOD_STRIP=1 modules_install"; then
		result android-top "modules_install failed (log: $blog)"
	elif ! inst=$(ls "$inst"/fusept.ko* 2>/dev/null) || [ ! -s "$inst" ]; then
		result android-top "no lib/modules/$kver/extra/fusept/fusept.ko under INSTALL_MOD_PATH"
	elif has_debug "$inst" || ! has_debug "$built"; then
		result android-top "the installed fusept.ko is not stripped of its debug information"
	elif [ "$(tree_sums "$root$top")" != "$before" ]; then
		result android-top "the source tree changed: $(diff <(echo "$before") \
			<(tree_sums "$root$top") | grep '^[<>]' | head -3 | tr '\n' ' ')"
	else
		mach=$(readelf -h "$built" | sed -n 's/^ *Machine: *//p')
		result android-top ok "$mach; O/M/fusept.ko, stripped extra/fusept/${inst##*/}, sources unchanged; $((SECONDS - start)) s"
	fi
	rm -rf "${root:?}$work/o" "${root:?}$work/stage"
}

# tree_sums DIR: every file under DIR with its sha256, sorted
tree_sums() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

# has_debug KO: whether it has .debug_* sections (KO compressed as
# modules_install compresses it for CONFIG_MODULE_COMPRESS_*: it is read
# through a copy)
has_debug() {
	local f=$1 secs
	case $f in
	*.xz) f=$(mktemp) && xz -dc "$1" >"$f" ;;
	*.zst) f=$(mktemp) && zstd -qdc "$1" >"$f" ;;
	*.gz) f=$(mktemp) && gzip -dc "$1" >"$f" ;;
	esac
	secs=$(readelf -SW "$f")
	[ "$f" = "$1" ] || rm -f "$f"
	[[ $secs == *' .debug_'* ]]
}

# BUILD.bazel's source and header lists against module/Kbuild and the
# tree (bazel-sync.sh, on the host: the same for every kernel)
check_bazel_sync() {
	local msg rc=0
	msg=$("$VM_DIR/bazel-sync.sh" "$REPO" 2>&1) || rc=$?
	echo "$msg" >>"$blog"
	if [ $rc = 0 ]; then
		result bazel-sync ok
	else
		result bazel-sync "$(head -1 <<<"$msg") (log: $blog)"
	fi
}

main() {
	mkdir -p "$out"
	rm -f "$out/host.log"
	: >"$blog"
	copy_tree
	check_build
	check_noop
	check_install
	check_wrong_kdir
	check_android_style
	check_android_top
	check_bazel_sync
	rm -rf "${root:?}$work"
	! grep -q '^FAIL' "$out/host.log"
}

main
