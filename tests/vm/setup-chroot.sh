#!/bin/bash
# Create (once) a debootstrap chroot of a Debian suite, cached outside the repo
# in $FUSEPT_CACHE/chroot/SUITE (stamp .fusept-ready, log SUITE.log).
# debootstrap installs a bare minbase; apt (which resolves alternatives and
# virtual packages, unlike debootstrap's --include) installs the rest.
# Usage: setup-chroot.sh SUITE
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: setup-chroot.sh SUITE}
dir=$FUSEPT_CACHE/chroot/$suite
[ "$suite" != "$HOST_SUITE" ] || exit 0 # bookworm is the host itself
[ ! -e "$dir/.fusept-ready" ] || exit 0

main() {
	rm -rf --one-file-system "$dir"
	mkdir -p "$FUSEPT_CACHE/chroot" "$FUSEPT_CACHE/stamps"
	log "debootstrap $suite into $dir (log: $dir.log)"
	debootstrap --variant=minbase --include=ca-certificates "$suite" "$dir" \
		"$FUSEPT_MIRROR" >"$dir.log" 2>&1 || fail "debootstrap"
	# No daemons may start inside the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod +x "$dir/usr/sbin/policy-rc.d"
	touch "$dir/.fusept-ready" # in_suite needs it; removed again on failure
	# shellcheck disable=SC2046
	apt_install "$suite" $(suite_pkgs "$suite") >>"$dir.log" 2>&1 ||
		fail "apt-get install"
	# debootstrap has just fetched fresh package lists.
	touch "$(apt_stamp "$suite")"
}

fail() {
	rm -f "$dir/.fusept-ready"
	tail -20 "$dir.log" >&2
	die "$1 for $suite failed (log: $dir.log)"
}

main
