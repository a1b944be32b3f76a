#!/bin/bash
# Build fusept.ko for KVER through DKMS, in a private DKMS tree inside the
# suite's root (chroot, or the host for bookworm): the system's DKMS state
# (/var/lib/dkms, /lib/modules) is left alone and no signing key stays behind.
# Results in OUTDIR: fusept.ko (uncompressed), make.log.
# Fails if the build fails or the compiler printed a warning.
# Usage: build-module.sh SUITE KVER OUTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: build-module.sh SUITE KVER OUTDIR}
kver=${2:?}
out=${3:?}
root=$(suite_root "$suite")
work=/tmp/fusept-build-$kver # inside the suite root
ver=$(package_version)
[ -n "$ver" ] || die "no PACKAGE_VERSION in $REPO/dkms.conf"

# The DKMS source: dkms.conf, module/ and the shared include/ (UAPI header).
copy_sources() {
	rm -rf "${root:?}$work"
	mkdir -p "$root$work/tree" "$root$work/install"
	copy_module_sources "$root$work/source/fusept-$ver"
}

run_dkms() {
	local opts=(--sourcetree "$work/source" --dkmstree "$work/tree"
		--installtree "$work/install")
	# dkms 2.x "prepares" (make mrproper!) a --kernelsourcedir tree.
	local major
	major=$(in_suite "$suite" dkms --version 2>&1 | grep -o '[0-9][0-9]*' | head -1)
	[ "${major:-3}" -ge 3 ] || opts+=(--no-prepare-kernel --no-clean-kernel)
	# dkms >= 3 signs with mok_signing_key, by default /var/lib/dkms/mok.key
	# (created if missing): point it into the private tree instead.
	in_suite "$suite" env mok_signing_key="$work/tree/mok.key" \
		mok_certificate="$work/tree/mok.pub" bash -c '
		set -e
		dkms add -m fusept -v "$1" "${@:4}"
		dkms build -m fusept -v "$1" -k "$2" --kernelsourcedir "$3" "${@:4}"
		' bash "$ver" "$kver" "/usr/src/linux-headers-$kver" "${opts[@]}" 2>&1
}

collect() {
	local base=$root$work/tree/fusept/$ver ko
	cp "$base/$kver"/*/log/make.log "$out/make.log" 2>/dev/null ||
		cp "$base/build/make.log" "$out/make.log" 2>/dev/null || true
	ko=$(find "$base/$kver" -path '*/module/fusept.ko*' 2>/dev/null | head -1)
	[ -n "$ko" ] || return 1
	case $ko in
	*.xz) xz -dc "$ko" >"$out/fusept.ko" ;;
	*.zst) zstd -qdc "$ko" >"$out/fusept.ko" ;;
	*.gz) gzip -dc "$ko" >"$out/fusept.ko" ;;
	*) cp "$ko" "$out/fusept.ko" ;;
	esac
}

# A key dkms left in the system's /var/lib/dkms is removed and reported.
check_no_system_key() {
	local f
	for f in "$root"/var/lib/dkms/mok.key "$root"/var/lib/dkms/mok.pub; do
		if [ -e "$f" ] && [ ! -e "$out/.had-$(basename "$f")" ]; then
			rm -f "$f"
			warn "dkms created $f; removed"
		fi
	done
}

main() {
	local rc=0 f
	mkdir -p "$out"
	rm -f "$out/fusept.ko" "$out/make.log" "$out"/.had-*
	for f in mok.key mok.pub; do
		[ ! -e "$root/var/lib/dkms/$f" ] || touch "$out/.had-$f"
	done
	copy_sources
	run_dkms >"$out/build.log" || rc=$?
	collect || rc=${rc/#0/1}
	check_no_system_key
	rm -rf "${root:?}$work"
	if [ "$rc" != 0 ]; then
		tail -40 "$out/make.log" 2>/dev/null || tail -40 "$out/build.log"
		die "dkms build of fusept for $kver failed (logs: $out/build.log $out/make.log)"
	fi
	if grep -n 'warning:' "$out/make.log" >&2; then
		die "compiler warnings building fusept for $kver (log: $out/make.log)"
	fi
	log "built $out/fusept.ko ($(stat -c %s "$out/fusept.ko") bytes)"
}

main
