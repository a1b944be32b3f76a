#!/bin/bash
# Download a Debian kernel image (with that suite's apt) and unpack it into
# $FUSEPT_CACHE/kernel/KVER: vmlinuz, config, lib/modules/KVER (+ modules.dep).
# Nothing is installed: the packages are only unpacked with dpkg-deb -x.
# An arm64 KVER (-arm64, -arm64-16k) is fetched as the arm64 package (the
# suite needs arm64 as a foreign architecture: arm64.sh).
# Usage: fetch-kernel.sh SUITE KVER   (prints the kernel directory)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: fetch-kernel.sh SUITE KVER}
kver=${2:?usage: fetch-kernel.sh SUITE KVER}
dir=$FUSEPT_CACHE/kernel/$kver
dl=/tmp/fusept-kernel-$kver # inside the suite root
case $kver in
*-arm64 | *-arm64-*) qual=:arm64 ;;
*) qual= ;;
esac

pkg_exists() { in_suite "$suite" apt-cache show --no-all-versions "$1$qual" >/dev/null 2>&1; }

# The image package plus, where the image is split (sid: linux-image-KVER
# depends on linux-binary-KVER with the vmlinuz and linux-modules-KVER), the
# parts of it named after KVER.
image_pkgs() {
	local img=linux-image-$kver-unsigned dep
	pkg_exists "$img" || img=linux-image-$kver
	pkg_exists "$img" || die "no $img in $suite's archive"
	echo "$img"
	for dep in $(in_suite "$suite" apt-cache show --no-all-versions "$img$qual" |
		sed -n 's/^Depends: //p' | grep -oE 'linux-(base|binary|modules)-[^ ,|]+'); do
		[ "${dep%-"$kver"}" != "$dep" ] && echo "$dep"
	done
	return 0
}

download() {
	local root pkgs
	root=$(suite_root "$suite")
	pkgs=$(image_pkgs | sed "s/\$/$qual/" | tr '\n' ' ')
	log "apt-get download ($suite): $pkgs"
	rm -rf "$root$dl"
	mkdir -p "$root$dl"
	# shellcheck disable=SC2086
	in_suite "$suite" sh -c "cd $dl && apt-get download -q \
		-o APT::Sandbox::User=root $pkgs" >&2
}

unpack() {
	local root tmp deb moddir vmlinuz
	root=$(suite_root "$suite")
	tmp=$dir.tmp
	rm -rf "$tmp" "$dir"
	mkdir -p "$tmp/x"
	for deb in "$root$dl"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/x"
	done
	moddir=$(find "$tmp/x" -maxdepth 4 -type d -path "*/lib/modules/$kver" | head -1)
	vmlinuz=$(find "$tmp/x" -maxdepth 5 -type f \( -name "vmlinuz-$kver" -o \
		-path "*/lib/modules/$kver/vmlinuz" \) | head -1)
	{ [ -n "$moddir" ] && [ -n "$vmlinuz" ]; } || die "no vmlinuz/modules in the $kver packages"
	mkdir -p "$tmp/lib/modules"
	mv "$vmlinuz" "$tmp/vmlinuz"
	mv "$moddir" "$tmp/lib/modules/$kver"
	find "$tmp/x" -name "config-$kver" -exec mv {} "$tmp/config" \;
	rm -rf "$tmp/x" "$root$dl"
	depmod -b "$tmp" "$kver"
	[ -s "$tmp/lib/modules/$kver/modules.dep" ] || die "depmod failed for $kver"
	touch "$tmp/.ready"
	mv "$tmp" "$dir"
}

if [ ! -e "$dir/.ready" ]; then
	download
	unpack
fi
echo "$dir"
