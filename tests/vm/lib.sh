# shellcheck shell=bash disable=SC2034
# Shared helpers for the fusept VM test harness (sourced, not executed).
#
# Layout of the cache (FUSEPT_CACHE, default /var/cache/fusept), nothing of
# it lives in the repository:
#   chroot/SUITE/            debootstrap chroot (stamp .fusept-ready)
#   chroot/SUITE.log         debootstrap log
#   stamps/apt-SUITE         last `apt-get update` of that suite (1 day TTL)
#   kernel/KVER/             unpacked Debian kernel image (stamp .ready)
#   guest/HASH/              guest userland built by tests/guest/build.sh,
#                            plus base.cpio (stamp .ready)
#   results/KVER/            per run: build.log, make.log, fusept.ko,
#                            initrd.img, console.log

FUSEPT_CACHE=${FUSEPT_CACHE:-/var/cache/fusept}
# The Debian archive the host's apt uses (the first URI of a deb822 source
# whose suite is not a -security one), unless FUSEPT_MIRROR says otherwise.
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '/^URIs:/ { uri = $2 }
			/^Suites:/ { if (uri != "" && $0 !~ /-security/) print uri }
			/^$/ { uri = "" }' "$f"
	done
	f=/etc/apt/sources.list
	[ ! -r "$f" ] || awk '$1 == "deb" && $3 !~ /-security/ { print $2 }' "$f"
}
FUSEPT_MIRROR=${FUSEPT_MIRROR:-$(host_mirror | sed -n 1p)}
FUSEPT_RESULTS=${FUSEPT_RESULTS:-$FUSEPT_CACHE/results}
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)

# Kernel matrix: version key -> Debian suite whose linux-headers-amd64 is used.
# bookworm is the host itself (Debian 12). "debug" is not a Debian kernel:
# build-debug-kernel.sh builds it from trixie's linux-source-6.12. "pkg"
# is the package lane (pkg-test.sh), "gki" the Android lane (gki-check.sh:
# arm64 cross builds and the GKI symbol check), not kernels of their own.
# "arm64" and "arm64-16k" are trixie's arm64 kernels (4 and 16 KiB pages),
# of the version of its amd64 headers, booted in qemu-system-aarch64 with
# a cross-built fusept.ko and guest userland (arm64.sh); KERNELS=arm64
# selects both.
MATRIX="5.10:bullseye 6.1:bookworm 6.12:trixie 7:sid debug:trixie pkg:trixie gki:trixie arm64:trixie arm64-16k:trixie"
DEBUG_KEY=debug
HOST_SUITE=bookworm
GUEST_SUITE=trixie # builds the guest userland (libfuse 3.17, fio, ...)
# The newer libfuse (sid's 3.18): build-guest.sh builds these libfuse
# examples a second time in this suite's chroot, with its libfuse.
NEWFUSE_SUITE=sid
NEWFUSE_PKGS="libfuse3-dev pkgconf"
NEWFUSE_EXAMPLES="hello_ll passthrough_ll"
# The package lane ("pkg"): make deb in this suite's chroot, installed
# into a fresh system of the same suite (pkg-image.sh, pkg-test.sh).
PKG_KEY=pkg
PKG_SUITE=trixie
# The Android lane ("gki"): cross builds in the trixie chroot
GKI_KEY=gki
# The arm64 guests: their keys are the flavours of Debian's arm64 kernel
ARM64_KEYS="arm64 arm64-16k"

# Packages every chroot gets; the guest suite gets GUEST_PKGS on top.
CHROOT_PKGS="gcc make libc6-dev linux-headers-amd64 kmod dkms ca-certificates"
GUEST_PKGS="libfuse3-dev fuse3 pkgconf fio attr busybox-static e2fsprogs strace"
# The debug kernel (build-debug-kernel.sh): its source and what building
# it needs beyond CHROOT_PKGS, in the guest suite's chroot.
DEBUG_SRC_PKG=linux-source-6.12
DEBUG_KBUILD_PKGS="bc bison flex libelf-dev libssl-dev cpio xz-utils"
# Host packages the harness itself needs.
HOST_PKGS="qemu-system-x86 qemu-system-arm debootstrap dkms kmod cpio gzip xz-utils zstd \
	gcc make libc6-dev linux-headers-amd64 ca-certificates"

export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*" >&2; }

# host_result LOG PREFIX NAME ok|REASON [DETAIL]: a host-side check's
# PASS or FAIL line (PREFIX NAME), appended to LOG and on stderr
host_result() {
	local out=$1 prefix=$2
	shift 2
	if [ "$2" = ok ]; then
		echo "PASS $prefix$1${3:+ ($3)}"
	else
		echo "FAIL $prefix$1: $2"
	fi | tee -a "$out" >&2
}
# lock: one VM run at a time on this machine (held until the script exits)
lock() {
	mkdir -p "$FUSEPT_CACHE"
	exec 9>"$FUSEPT_CACHE/lock"
	if ! flock -n 9; then
		log "waiting for another fusept VM run to finish"
		flock 9
	fi
}

warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# timed NAME CMD...: run CMD, print how long it took, keep its exit status.
timed() {
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	"$@" || rc=$?
	printf '[time] %-34s %4ss%s\n' "$name" "$(($(date +%s) - start))" \
		"$([ $rc = 0 ] || echo " (failed, rc=$rc)")" >&2
	return $rc
}

package_version() {
	sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO/dkms.conf"
}

suite_pkgs() {
	if [ "$1" = "$GUEST_SUITE" ]; then
		echo "$CHROOT_PKGS $GUEST_PKGS"
	else
		echo "$CHROOT_PKGS"
	fi
}

# Root directory of a suite: the host for bookworm, else its chroot.
suite_root() {
	if [ "$1" = "$HOST_SUITE" ]; then
		echo /
	else
		echo "$FUSEPT_CACHE/chroot/$1"
	fi
}

# in_suite SUITE CMD...: run CMD on the host (bookworm) or in the chroot
# of SUITE. In a chroot, /proc is mounted in a private mount namespace for
# the duration of the command (sid's objtool needs it): nothing to unmount,
# nothing left behind on an interrupt, no clash between concurrent commands.
in_suite() {
	local suite=$1 root
	shift
	if [ "$suite" = "$HOST_SUITE" ]; then
		"$@"
		return
	fi
	root=$(suite_root "$suite")
	[ -e "$root/.fusept-ready" ] || die "no chroot for $suite at $root"
	in_root "$root" "$@"
}

# in_root DIR CMD...: run CMD chrooted into DIR, as in_suite does
in_root() {
	local root=$1
	shift
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive \
		unshare --mount --propagation private /bin/sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
}

# Packages of a list that are not installed in SUITE.
missing_pkgs() {
	local suite=$1 installed p
	shift
	installed=$(in_suite "$suite" dpkg-query -W -f '${Package} ${db:Status-Status}\n' \
		"$@" 2>/dev/null | awk '$2 == "installed" { print $1 }') || true
	for p in "$@"; do
		grep -qx -- "$p" <<<"$installed" || echo "$p"
	done
}

apt_stamp() { echo "$FUSEPT_CACHE/stamps/apt-$1"; }

# apt-get update in SUITE unless done within the last day.
apt_refresh() {
	refresh_lists "$1" in_suite "$1" || true
}

# refresh_lists NAME CMD...: `CMD apt-get update` unless done within the
# last day (stamp apt-NAME); false when the lists were that fresh
refresh_lists() {
	local name=$1 stamp
	shift
	stamp=$(apt_stamp "$name")
	if [ -e "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ]; then
		return 1
	fi
	log "apt-get update ($name)"
	"$@" apt-get update -qq -o Acquire::Check-Valid-Until=false >&2 ||
		warn "apt-get update failed in $name, using the old package lists"
	mkdir -p "$(dirname "$stamp")"
	touch "$stamp"
}

# install_missing SUITE PKG...: apt-get install those not installed
install_missing() {
	local suite=$1 missing
	shift
	missing=$(missing_pkgs "$suite" "$@")
	[ -n "${missing// /}" ] || return 0
	# shellcheck disable=SC2086
	log "apt-get install ($suite):" $missing
	# shellcheck disable=SC2086
	apt_install "$suite" $missing
}

apt_install() {
	local suite=$1
	shift
	in_suite "$suite" apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Use-Pty=0 "$@" >&2
}

# copy_module_sources DEST: what DKMS and kbuild build from (dkms.conf,
# module/, include/), without build products
copy_module_sources() {
	local d dirs=
	mkdir -p "$1"
	for d in module include; do
		[ -d "$REPO/$d" ] && dirs="$dirs $d"
	done
	# shellcheck disable=SC2086
	tar -C "$REPO" --exclude='*.o' --exclude='*.ko' --exclude='*.ko.*' \
		--exclude='.*.cmd' --exclude='.*.d' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='Module.symvers' --exclude='modules.order' --exclude='.tmp_*' \
		--exclude='.probes' --exclude='compat-gen.h' \
		-cf - dkms.conf $dirs | tar -C "$1" -xf -
}

# Kernel version of the headers linux-headers-amd64 points to in SUITE.
headers_kver() {
	in_suite "$1" dpkg-query -W -f '${Depends}\n' linux-headers-amd64 |
		grep -o 'linux-headers-[^ ,]*' | head -1 | sed 's/^linux-headers-//'
}

# kver_matches TOKEN VERSION: TOKEN is VERSION or a prefix of it ending at
# a version boundary (6.1 matches 6.1.0-56-amd64, not 6.12.57+deb13-amd64).
kver_matches() {
	case $2 in
	"$1" | "$1".* | "$1"-* | "$1"+*) return 0 ;;
	esac
	return 1
}

# matrix_select "KERNELS": print "key:suite" entries the tokens select.
matrix_select() {
	local tok ent key seen=
	for tok in $1; do
		for ent in $MATRIX; do
			key=${ent%%:*}
			if kver_matches "$tok" "$key" || kver_matches "$key" "$tok"; then
				case " $seen " in *" $ent "*) ;; *) seen="$seen $ent" ;; esac
			fi
		done
	done
	echo $seen
}
