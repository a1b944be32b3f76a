#!/bin/bash
# Bring a suite (the host for bookworm, else its chroot) up to date and print
# the kernel version KVER whose headers linux-headers-amd64 points to.
# Once a day: apt-get update and upgrade linux-headers-amd64, so that a new
# Debian kernel release is picked up. Missing packages are installed.
# Usage: prepare-suite.sh SUITE
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: prepare-suite.sh SUITE}

"$VM_DIR/setup-chroot.sh" "$suite"
stamp=$(apt_stamp "$suite")
old_stamp=$(stat -c %Y "$stamp" 2>/dev/null || echo 0)
apt_refresh "$suite"
# shellcheck disable=SC2046
missing=$(missing_pkgs "$suite" $(suite_pkgs "$suite"))
if [ "$(stat -c %Y "$stamp")" != "$old_stamp" ]; then
	missing="$missing linux-headers-amd64" # fresh lists: upgrade the headers
fi
if [ -n "${missing// /}" ]; then
	log "apt-get install ($suite):" $missing
	# shellcheck disable=SC2086
	apt_install "$suite" $missing
fi
kver=$(headers_kver "$suite")
[ -n "$kver" ] || die "cannot resolve linux-headers-amd64 in $suite"
# Headers damaged (dkms 2.x runs `make mrproper` in a --kernelsourcedir)?
hdr=$(suite_root "$suite")/usr/src/linux-headers-$kver
if [ ! -e "$hdr/include/generated/autoconf.h" ] ||
	[ ! -e "$hdr/include/config/auto.conf" ]; then
	log "reinstalling the damaged headers of $kver in $suite"
	apt_install "$suite" --reinstall "linux-headers-$kver" \
		"$(in_suite "$suite" dpkg-query -W -f '${Depends}' "linux-headers-$kver" |
			grep -o 'linux-headers-[^ ,]*-common' | head -1)"
fi
[ -e "$hdr/include/generated/autoconf.h" ] || die "headers of $kver missing in $suite"
echo "$kver"
