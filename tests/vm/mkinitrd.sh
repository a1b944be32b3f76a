#!/bin/bash
# Make the initramfs for one kernel: the guest's base.cpio followed by a
# second cpio with /lib/fusept/fusept.ko (and fusept-selftest.ko, when
# SELFTEST_KO is given and exists) and the kernel's own modules the
# tests need (GUEST_MODULES, with their dependencies and soft dependencies,
# decompressed, under /lib/modules/KVER/ with a fresh modules.dep so that
# busybox modprobe works).
# Usage: mkinitrd.sh KVER FUSEPT_KO GUESTDIR OUT [SELFTEST_KO]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=${1:?usage: mkinitrd.sh KVER FUSEPT_KO GUESTDIR OUT}
ko=${2:?}
guest=${3:?}
out=${4:?}
selftest_ko=${5:-}
kdir=$FUSEPT_CACHE/kernel/$kver
GUEST_MODULES=${FUSEPT_GUEST_MODULES:-fuse brd ext4 crypto-crc32c loop overlay}

# Module files (relative to lib/modules/KVER) needed by GUEST_MODULES.
module_files() {
	local m
	for m in $GUEST_MODULES; do
		modprobe -d "$kdir" -S "$kver" --show-depends "$m" 2>/dev/null ||
			warn "$kver: no module $m"
	done | awk '$1 == "insmod" { print $2 }' | sort -u |
		sed "s|^$kdir/lib/modules/$kver/||"
}

kernel_tree() {
	local tree=$1 mdir=$1/lib/modules/$kver f
	mkdir -p "$mdir" "$tree/lib/fusept"
	cp "$ko" "$tree/lib/fusept/fusept.ko"
	[ -z "$selftest_ko" ] || [ ! -e "$selftest_ko" ] ||
		cp "$selftest_ko" "$tree/lib/fusept/fusept-selftest.ko"
	for f in $(module_files); do
		mkdir -p "$mdir/$(dirname "$f")"
		case $f in
		*.xz) xz -dc "$kdir/lib/modules/$kver/$f" >"$mdir/${f%.xz}" ;;
		*.zst) zstd -qdc "$kdir/lib/modules/$kver/$f" >"$mdir/${f%.zst}" ;;
		*.gz) gzip -dc "$kdir/lib/modules/$kver/$f" >"$mdir/${f%.gz}" ;;
		*) cp "$kdir/lib/modules/$kver/$f" "$mdir/$f" ;;
		esac
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ ! -e "$kdir/lib/modules/$kver/$f" ] || cp "$kdir/lib/modules/$kver/$f" "$mdir/"
	done
	depmod -b "$tree" "$kver"
}

main() {
	local tree=$out.tree
	[ -e "$guest/base.cpio" ] || die "no $guest/base.cpio"
	[ -e "$kdir/.ready" ] || die "kernel $kver not fetched"
	rm -rf "$tree"
	kernel_tree "$tree"
	{
		cat "$guest/base.cpio"
		(cd "$tree" && find . -print0 | LC_ALL=C sort -z |
			cpio --null -o -H newc -R 0:0 --quiet)
	} >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$tree"
	log "initramfs $out ($(du -h "$out" | cut -f1))"
}

main
