#!/bin/bash
# Build the debug kernel (KASAN, KFENCE, lockdep, kmemleak, UBSAN, debug
# objects, fault injection...) from Debian's linux-source-6.12, in the
# trixie chroot with trixie's gcc, and lay it out as fetch-kernel.sh lays
# out a Debian kernel: $FUSEPT_CACHE/kernel/KVER/{vmlinuz,config,
# lib/modules/KVER (modules.dep),.ready}. KVER is 6.12.N-fusept-debug.
# The built tree stays in the chroot at /usr/src/fusept-debug/linux-SRCVER
# with /usr/src/linux-headers-KVER pointing to it, so build-module.sh
# builds fusept against it through DKMS as for the Debian kernels.
#
# Config: `make tinyconfig` + tests/vm/debug-kernel.config (merge_config.sh)
# + `make olddefconfig`, then check-debug-config.sh checks that every option
# of the fragment made it. Cached: rebuilt only when the linux-source
# package version or the fragment changes (a changed fragment rebuilds
# in the same tree, so only what the change touches is compiled again).
#
# Usage: build-debug-kernel.sh          (prints KVER)
#        build-debug-kernel.sh --deps   (only installs the build packages)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=$GUEST_SUITE
root=$(suite_root "$suite")
frag=$VM_DIR/debug-kernel.config
srcpkg=$DEBUG_SRC_PKG
trees=/usr/src/fusept-debug # in the chroot
buildlog=$FUSEPT_CACHE/kernel/debug-build.log

# Install the missing build packages; upgrade linux-source when the
# suite's package lists were just refreshed (a new Debian 6.12 release).
deps() {
	local stamp old missing
	"$VM_DIR/setup-chroot.sh" "$suite"
	stamp=$(apt_stamp "$suite")
	old=$(stat -c %Y "$stamp" 2>/dev/null || echo 0)
	apt_refresh "$suite"
	# shellcheck disable=SC2086
	missing=$(missing_pkgs "$suite" $DEBUG_KBUILD_PKGS $srcpkg)
	[ "$(stat -c %Y "$stamp")" = "$old" ] || missing="$missing $srcpkg"
	if [ -n "${missing// /}" ]; then
		log "apt-get install ($suite):" $missing
		# shellcheck disable=SC2086
		apt_install "$suite" $missing
	fi
}

# src_ver: the version of the linux-source package (tree name)
src_ver() { in_suite "$suite" dpkg-query -W -f '${Version}' "$srcpkg"; }

# The cache key: source package version and the fragment's hash.
cache_key() {
	echo "$srcpkg=$(src_ver) config=$(sha256sum <"$frag" | cut -c1-16)"
}

# in_tree CMD: run a shell command in the build tree inside the chroot
in_tree() {
	in_suite "$suite" bash -c "set -e; cd $tree; $1"
}

# unpack: a fresh tree from the source tarball unless it is there
unpack() {
	if [ -e "$root$tree/.fusept-unpacked" ]; then
		return 0
	fi
	log "unpacking $srcpkg into $tree"
	rm -rf "${root:?}$trees"
	mkdir -p "$root$trees"
	in_suite "$suite" bash -c "set -e; cd $trees
		tar -xJf /usr/src/$srcpkg.tar.xz
		mv $srcpkg $(basename "$tree")"
	touch "$root$tree/.fusept-unpacked"
}

# configure: tinyconfig + fragment + olddefconfig, then the check
configure() {
	cp "$frag" "$root$tree/fusept-debug.config"
	in_tree "make -s tinyconfig
		scripts/kconfig/merge_config.sh -m .config fusept-debug.config >/dev/null
		make -s olddefconfig"
	"$VM_DIR/check-debug-config.sh" "$frag" "$root$tree/.config"
}

# compile: the kernel (and modules, if any are =m), all cores
compile() {
	in_tree "make -j$(nproc) all"
}

# install KVER DIR: vmlinuz, config, lib/modules/KVER with modules.dep
install_kernel() {
	local kver=$1 dir=$2 stage=/tmp/fusept-debug-install
	rm -rf "$dir" "${root:?}$stage"
	mkdir -p "$dir"
	in_tree "make -s modules_install INSTALL_MOD_PATH=$stage INSTALL_MOD_STRIP=1"
	mkdir -p "$dir/lib/modules"
	mv "$root$stage/lib/modules/$kver" "$dir/lib/modules/$kver"
	rm -rf "${root:?}$stage"
	rm -f "$dir/lib/modules/$kver/build" "$dir/lib/modules/$kver/source"
	cp "$root$tree/arch/x86/boot/bzImage" "$dir/vmlinuz"
	cp "$root$tree/.config" "$dir/config"
	depmod -b "$dir" "$kver"
	[ -e "$dir/lib/modules/$kver/modules.dep" ] || die "depmod failed for $kver"
}

# headers_link KVER: /usr/src/linux-headers-KVER -> the built tree
headers_link() {
	rm -rf "$root/usr/src/linux-headers-$1"
	ln -s "${tree#/usr/src/}" "$root/usr/src/linux-headers-$1"
}

# Remove debug kernels and headers links of other versions.
prune() {
	local kver=$1 d
	for d in "$FUSEPT_CACHE"/kernel/*-fusept-debug "$root"/usr/src/linux-headers-*-fusept-debug; do
		[ -e "$d" ] || [ -L "$d" ] || continue
		case $d in
		*/"$kver" | */"linux-headers-$kver") ;;
		*) rm -rf "$d" ;;
		esac
	done
}

# build KEY: the whole build; prints KVER
build() {
	local key=$1 kver dir start
	start=$(date +%s)
	unpack
	configure
	log "building the debug kernel in the $suite chroot (log: $buildlog)"
	compile
	kver=$(cat "$root$tree/include/config/kernel.release")
	dir=$FUSEPT_CACHE/kernel/$kver
	install_kernel "$kver" "$dir.tmp"
	headers_link "$kver"
	echo "$key" >"$dir.tmp/.key"
	echo "$(($(date +%s) - start)) s on $(nproc) cores" >"$dir.tmp/build-time"
	touch "$dir.tmp/.ready"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	prune "$kver"
	echo "$kver"
}

# cached KEY: KVER of a finished build with this key, if there is one
cached() {
	local d
	for d in "$FUSEPT_CACHE"/kernel/*-fusept-debug; do
		[ -e "$d/.ready" ] && [ "$(cat "$d/.key" 2>/dev/null)" = "$1" ] &&
			[ -e "$root/usr/src/linux-headers-${d##*/}/Module.symvers" ] &&
			{ echo "${d##*/}"; return 0; }
	done
	return 1
}

main() {
	local key kver
	deps
	[ "${1:-}" != --deps ] || return 0
	tree=$trees/linux-$(src_ver)
	key=$(cache_key)
	if kver=$(cached "$key"); then
		echo "$kver"
		return 0
	fi
	mkdir -p "$FUSEPT_CACHE/kernel"
	if ! build "$key" >"$buildlog" 2>&1; then
		grep -E '^config: |error|Error' "$buildlog" | tail -40 >&2
		die "debug kernel build failed (log: $buildlog)"
	fi
	kver=$(tail -1 "$buildlog")
	grep '^config: ' "$buildlog" >&2 || true
	log "debug kernel $kver built in $(cat "$FUSEPT_CACHE/kernel/$kver/build-time")"
	echo "$kver"
}

main "$@"
