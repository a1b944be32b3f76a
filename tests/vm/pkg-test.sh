#!/bin/bash
# The package lane of make check ("pkg"): fusept installed as an admin
# installs it, from its Debian packages, into a fresh Debian system that
# then boots with systemd.
#   1. `make deb` in the trixie chroot (a copy of the tree), then lintian
#      on the result: no errors.
#   2. A copy of the fresh trixie system of pkg-image.sh gets
#      `apt-get install ./fusept-dkms_*.deb ./fusept-tools_*.deb`: DKMS
#      builds the module for the system's kernel during the install. This
#      runs in a chroot of the system, not in the booted VM: DKMS compiling
#      under TCG would take minutes.
#   3. An /etc/fstab line mounts fusept.fusept-passthrough at boot; the
#      system is made into a disk image and booted with its own kernel and
#      initramfs; pkg-guest.sh (a systemd unit) checks the mount, kills
#      the daemon, mounts again, removes fusept-dkms and powers off.
#   4. Meanwhile, a kernel arriving after fusept: the system (after its
#      disk image was made) gets the headers of a second kernel, and
#      DKMS's hook must build fusept for that one too.
# Host-side results go to RESDIR/host.log, the VM's console to
# RESDIR/console.log; check.sh counts both.
# Usage: pkg-test.sh RESDIR
#        pkg-test.sh --deps   (installs the build packages in the chroot)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=$PKG_SUITE
root=$(suite_root "$suite")
work=/tmp/fusept-deb # inside the chroot
lower=/srv/fusept-lower
mnt=/mnt/pt

# make deb's Build-Depends beyond what the chroot has, and lintian
PKG_BUILD_PKGS="build-essential debhelper dh-dkms libfuse3-dev pkgconf lintian"


result() { host_result "$res/host.log" pkg- "$@"; }

# make_deb: the .debs into $res/dist, lintian's report in $res/lintian.log
make_deb() {
	local t0 rc=0
	rm -rf "${root:?}$work"
	# the tree as make deb itself copies it
	(cd "$REPO" && packaging/copy-tree.sh "$root$work/src")
	t0=$(date +%s)
	in_suite "$suite" make -C "$work/src" deb DIST="$work/dist" \
		>"$res/deb.log" 2>&1 || rc=$?
	if [ $rc != 0 ]; then
		tail -20 "$res/deb.log" >&2
		result make-deb "make deb failed (log: $res/deb.log)"
		return 1
	fi
	result make-deb ok "$(($(date +%s) - t0)) s"
	mkdir -p "$res/dist"
	cp "$root$work"/dist/*.deb "$res/dist/"
	t0=$(date +%s)
	in_suite "$suite" sh -c "lintian --fail-on error $work/dist/*.changes" \
		>"$res/lintian.log" 2>&1 || rc=$?
	if [ $rc = 0 ]; then
		result lintian ok "$(($(date +%s) - t0)) s, $(grep -c '^W:' "$res/lintian.log" || true) warnings"
	else
		result lintian "errors (log: $res/lintian.log): $(grep -m1 '^E:' "$res/lintian.log")"
	fi
	rm -rf "${root:?}$work"
}

# dkms_install NAME SYS KVER LOG PKG...: apt-get install the packages into
# the system SYS, whose DKMS must then have installed fusept.ko for the
# kernel KVER; one result line NAME. Fails if not.
dkms_install() {
	local name=$1 sys=$2 kver=$3 logf=$4 t0 rc=0 ko
	shift 4
	t0=$(date +%s)
	in_root "$sys" apt-get install -y -q --no-install-recommends \
		-o Dpkg::Use-Pty=0 "$@" >"$logf" 2>&1 || rc=$?
	ko=$(find "$sys/lib/modules/$kver/updates" -name 'fusept.ko*' 2>/dev/null | head -1)
	if [ $rc != 0 ]; then
		tail -20 "$logf" >&2
		result "$name" "apt-get install $* failed (log: $logf)"
	elif [ -z "$ko" ]; then
		result "$name" "DKMS installed no fusept.ko for $kver (log: $logf)"
	else
		result "$name" ok "$(($(date +%s) - t0)) s, DKMS built ${ko#"$sys"}"
		return 0
	fi
	return 1
}

# install_debs SYS: apt-get install the two packages into the system SYS
install_debs() {
	local sys=$1 kver f debs=()
	kver=$(cat "$sys/.kver")
	mkdir -p "$sys/root/debs"
	for f in "$res"/dist/fusept-dkms_*.deb "$res"/dist/fusept-tools_*.deb; do
		cp "$f" "$sys/root/debs/"
		debs+=("/root/debs/${f##*/}")
	done
	dkms_install apt-install "$sys" "$kver" "$res/install.log" "${debs[@]}" ||
		return 1
	# (dkms, a shell script, takes a minute under TCG: asked here)
	if in_root "$sys" dkms status 2>&1 | tee -a "$res/install.log" |
		grep -q "^fusept/$(package_version), $kver, .*: installed"; then
		result dkms-status ok
	else
		result dkms-status "dkms status does not list fusept installed for $kver"
	fi
}

# setup_test SYS: the fstab line, the lower directory and the test unit
setup_test() {
	local sys=$1
	mkdir -p "$sys$lower" "$sys$mnt"
	echo "fusept package test" >"$sys$lower/hello.txt"
	echo "$lower $mnt fusept.fusept-passthrough stats=/run/fusept-pt.stats 0 0" \
		>>"$sys/etc/fstab"
	install -m 0755 "$VM_DIR/pkg-guest.sh" "$sys/usr/local/sbin/fusept-pkg-test"
	install -m 0644 "$VM_DIR/pkg-guest.service" \
		"$sys/etc/systemd/system/fusept-pkg-test.service"
	mkdir -p "$sys/etc/systemd/system/multi-user.target.wants"
	ln -sf ../fusept-pkg-test.service \
		"$sys/etc/systemd/system/multi-user.target.wants/"
	printf 'VERSION=%s\nLOWER=%s\nMNT=%s\n' "$(package_version)" "$lower" \
		"$mnt" >"$sys/etc/fusept-pkg-test.conf"
	rm -f "$sys/usr/sbin/policy-rc.d" # services start normally on boot
	rm -rf "$sys/root/debs"
}

# make_disk SYS: the system as an ext4 disk image, with its kernel beside
make_disk() {
	local sys=$1 kver mb
	kver=$(cat "$sys/.kver")
	cp "$sys/boot/vmlinuz-$kver" "$res/vmlinuz"
	cp "$sys/boot/initrd.img-$kver" "$res/initrd.img"
	rm -f "$sys/.kver" "$sys/.ready"
	mb=$(($(du -sm "$sys" | cut -f1) + 512))
	rm -f "$res/disk.img"
	mkfs.ext4 -q -F -L fusept-pkg -d "$sys" "$res/disk.img" "${mb}M"
}

# new_kernel SYS KVER: headers of the generic flavour of the same release
# (KVER is the cloud one), as a kernel upgrade brings them: their
# installation runs DKMS's header hook, which must build and install
# fusept for that kernel too. (The headers, not the image: the hook is
# the same, and an image would need an initramfs built, minutes longer.)
new_kernel() {
	local new=${2%-cloud-amd64}-amd64
	dkms_install new-kernel "$1" "$new" "$res/new-kernel.log" \
		"linux-headers-$new" || true
}

main() {
	local image sys kver
	# shellcheck disable=SC2086
	[ "${1:-}" != --deps ] || { install_missing "$suite" $PKG_BUILD_PKGS; return; }
	res=${1:?usage: pkg-test.sh RESDIR}
	mkdir -p "$res"
	rm -rf "$res/dist" "$res/disk.img" "$res/console.log"
	: >"$res/host.log"
	make_deb || return 1
	image=$(timed "pkg: fresh $suite system" "$VM_DIR/pkg-image.sh") || {
		result image "the fresh $suite system could not be made"
		return 1
	}
	sys=$res/system
	rm -rf --one-file-system "$sys"
	cp -a "$image" "$sys"
	install_debs "$sys" || { rm -rf --one-file-system "$sys"; return 1; }
	setup_test "$sys"
	kver=$(cat "$sys/.kver")
	timed "pkg: disk image" make_disk "$sys"
	new_kernel "$sys" "$kver"
	rm -rf --one-file-system "$sys"
	FUSEPT_DISK=$res/disk.img FUSEPT_VMLINUZ=$res/vmlinuz FUSEPT_MEM=1G \
		FUSEPT_APPEND="" \
		FUSEPT_TIMEOUT=${FUSEPT_PKG_TIMEOUT:-900} timed "pkg: boot+run" \
		"$VM_DIR/boot.sh" "$PKG_KEY" "$res/initrd.img" "$res/console.log"
	rm -f "$res/disk.img"
}

main "$@"
