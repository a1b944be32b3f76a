#!/bin/bash
# Install the host packages the harness needs (Debian 12 host, as root).
# Idempotent: does nothing (no apt-get update either) when all are there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "the VM test harness must run as root"
# shellcheck disable=SC2086
missing=$(missing_pkgs "$HOST_SUITE" $HOST_PKGS)
if [ -n "$missing" ]; then
	log "installing host packages:" $missing
	mkdir -p "$FUSEPT_CACHE/stamps"
	apt-get update -qq -o Acquire::Check-Valid-Until=false >&2 ||
		warn "apt-get update failed"
	touch "$(apt_stamp "$HOST_SUITE")"
	# shellcheck disable=SC2086
	apt_install "$HOST_SUITE" $missing
fi
