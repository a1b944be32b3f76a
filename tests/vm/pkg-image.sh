#!/bin/bash
# The root file system of the package-install test (the "pkg" lane of
# make check): a fresh Debian trixie system as an admin has it before
# installing fusept, with systemd as PID 1, the suite's kernel for
# virtual machines (linux-image-cloud-amd64, as Debian's cloud images
# have it, with its own initramfs) and its headers. The cloud flavour has
# a third of the generic one's modules: depmod, which DKMS runs when the
# package is removed, and the boot take minutes less under TCG, and the
# matrix gets a second kernel configuration of 6.12. Made once with
# debootstrap into $FUSEPT_CACHE/image/trixie (stamp .ready, log
# trixie.log), made again when trixie's kernel package moves on.
# The packages fusept-dkms and fusept-tools will pull in (dkms, libfuse)
# are only downloaded into its apt cache, so that pkg-test.sh's
# `apt-get install ./fusept-*.deb` is what installs them, without the
# network.
# Usage: pkg-image.sh   (prints the directory)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=$PKG_SUITE
dir=$FUSEPT_CACHE/image/$suite
logf=$dir.log

# What the system has before fusept: a booting Debian with the kernel
# headers, nothing else of use to fusept.
IMAGE_KERNEL=linux-image-cloud-amd64
IMAGE_PKGS="systemd-sysv udev kmod procps $IMAGE_KERNEL linux-headers-cloud-amd64"
IMAGE_PKGS+=" initramfs-tools zstd"
# What installing the fusept packages adds (downloaded, not installed).
IMAGE_LATER="dkms libfuse3-4"

# The kernel version IMAGE_KERNEL depends on in the image's lists.
image_kver() {
	in_root "$dir" apt-cache depends "$IMAGE_KERNEL" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' |
		sed 's/-unsigned$//' | head -1
}

build() {
	rm -rf --one-file-system "$dir"
	mkdir -p "$(dirname "$dir")"
	log "debootstrap $suite into $dir (log: $logf)"
	debootstrap --variant=minbase "$suite" "$dir" "$FUSEPT_MIRROR" \
		>"$logf" 2>&1 || fail "debootstrap"
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod +x "$dir/usr/sbin/policy-rc.d"
	# shellcheck disable=SC2086
	in_root "$dir" apt-get install -y -q --no-install-recommends \
		-o Dpkg::Use-Pty=0 $IMAGE_PKGS >>"$logf" 2>&1 ||
		fail "apt-get install"
	in_root "$dir" apt-get clean
	# shellcheck disable=SC2086
	in_root "$dir" apt-get install -y -q --no-install-recommends \
		--download-only -o Dpkg::Use-Pty=0 $IMAGE_LATER >>"$logf" 2>&1 ||
		fail "apt-get install --download-only"
	configure
	image_kver >"$dir/.kver"
	[ -e "$dir/boot/vmlinuz-$(cat "$dir/.kver")" ] || fail "no kernel in /boot"
	touch "$dir/.ready"
}

# configure: the settings a system installer would have made
configure() {
	echo fusept-pkg >"$dir/etc/hostname"
	echo '/dev/vda / ext4 rw,errors=remount-ro 0 0' >"$dir/etc/fstab"
	: >"$dir/etc/machine-id"
	# no password for root on the serial console (a test VM, no network)
	in_root "$dir" passwd -d root >>"$logf" 2>&1
	# no login prompt on the console the test writes to
	ln -sf /dev/null "$dir/etc/systemd/system/serial-getty@ttyS0.service"
	# journald's console copy would mix with the test's lines
	mkdir -p "$dir/etc/systemd/journald.conf.d"
	printf '[Journal]\nForwardToConsole=no\n' \
		>"$dir/etc/systemd/journald.conf.d/fusept.conf"
}

fail() {
	rm -f "$dir/.ready"
	tail -20 "$logf" >&2
	die "$1 for the $suite image failed (log: $logf)"
}

# stale: trixie's IMAGE_KERNEL now names another kernel
stale() {
	local old
	old=$(cat "$dir/.kver")
	refresh_lists "image-$suite" in_root "$dir" || return 1
	[ "$(image_kver)" != "$old" ]
}

if [ ! -e "$dir/.ready" ] || stale; then
	build
fi
echo "$dir"
