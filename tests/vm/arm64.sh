# shellcheck shell=bash disable=SC2034,SC2154
# The arm64 guests' userland, for build-guest.sh arm64 (sourced after
# lib.sh). Built on this x86_64 host in the guest suite's (trixie) chroot:
#   - the test programs are static C programs: the suite's cross compiler
#     (gcc-N-aarch64-linux-gnu, libc6-dev-arm64-cross) builds them, and
#     libfuse's static library comes from the arm64 libfuse3-dev;
#   - the real tools of the guest (fio, strace, mke2fs, getfattr, ...,
#     guest-root.sh's EXTRA_TOOLS) and busybox are Debian's arm64 builds,
#     with their shared libraries.
# Neither can be installed into the amd64 chroot (the arm64 fio replaces
# the amd64 one, libfuse3-dev:arm64 pulls in a whole arm64 development
# tree), so their packages and those of the libraries they need are only
# unpacked into a sysroot, ARM64_SYSROOT inside the chroot, and
# nothing runs from there on the host. The package list is computed from
# the arm64 package lists (the library packages the tools depend on);
# the sysroot is unpacked again when a version in it changes.
# The caller sets suite (the guest suite) and root (its chroot).

ARM64_TRIPLET=aarch64-linux-gnu
ARM64_SYSROOT=/opt/fusept-arm64/sysroot # inside the chroot
ARM64_TOOL_PKGS="busybox-static fio strace e2fsprogs attr fuse3 mount libfuse3-dev"

# The version of the suite's gcc (the cross compiler must match it)
arm64_gcc() {
	in_suite "$suite" sh -c 'readlink -f /usr/bin/gcc' | sed 's|.*/||; s|.*-gcc-|gcc-|'
}

# arm64 as a foreign architecture of the chroot, with fresh package lists
arm64_lists() {
	if ! in_suite "$suite" dpkg --print-foreign-architectures | grep -qx arm64; then
		log "dpkg --add-architecture arm64 ($suite)"
		in_suite "$suite" dpkg --add-architecture arm64
		rm -f "$(apt_stamp "$suite")"
	fi
	apt_refresh "$suite"
}

# The packages of the sysroot: the tools' and the library packages they
# depend on, recursively ("name:arm64" each, sorted)
arm64_pkgs() {
	local p args=()
	for p in $ARM64_TOOL_PKGS; do
		args+=("$p:arm64")
	done
	{
		printf '%s\n' "${args[@]}"
		in_suite "$suite" apt-cache depends --recurse --no-recommends \
			--no-suggests --no-conflicts --no-breaks --no-replaces \
			--no-enhances "${args[@]}" 2>/dev/null |
			grep -E '^(lib[^ ]*|zlib1g):arm64$' | grep -vE -- '-dev:arm64$|python'
	} | sort -u
}

# "package version" of each package of the sysroot, as apt would fetch it
arm64_sysroot_want() {
	# shellcheck disable=SC2046
	in_suite "$suite" apt-cache show --no-all-versions $(arm64_pkgs) |
		awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }' | sort -u
}

arm64_sysroot_version() {
	cat "$root$ARM64_SYSROOT/.fusept-pkgs"
}

# Unpack the sysroot's packages, unless those versions are there already
arm64_sysroot() {
	local want dl=$root/opt/fusept-arm64/debs deb
	want=$(arm64_sysroot_want)
	[ -n "$want" ] || die "no arm64 packages in $suite's package lists"
	if [ "$(cat "$root$ARM64_SYSROOT/.fusept-pkgs" 2>/dev/null)" = "$want" ]; then
		return
	fi
	log "unpacking $(wc -l <<<"$want") arm64 packages into $suite:$ARM64_SYSROOT"
	rm -rf "$dl" "$root$ARM64_SYSROOT"
	mkdir -p "$dl" "$root$ARM64_SYSROOT"
	chmod 777 "$dl"
	# shellcheck disable=SC2046
	in_suite "$suite" sh -c 'cd /opt/fusept-arm64/debs && apt-get download -qq \
		-o APT::Sandbox::User=root "$@"' sh \
		$(awk '{ print $1 ":arm64=" $2 }' <<<"$want") >&2
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$root$ARM64_SYSROOT"
	done
	rm -rf "$dl"
	echo "$want" >"$root$ARM64_SYSROOT/.fusept-pkgs"
}

# The cross compiler and C library, and the sysroot
arm64_setup() {
	local gcc
	arm64_lists
	gcc=$(arm64_gcc)
	[ -n "$gcc" ] || die "no gcc in the $suite chroot"
	install_missing "$suite" "$gcc-$ARM64_TRIPLET" libc6-dev-arm64-cross \
		linux-libc-dev-arm64-cross "binutils-$ARM64_TRIPLET"
	arm64_sysroot
}

# In the chroot: tests/guest/build.sh with the cross compiler and the
# sysroot's libfuse, then guest-root.sh with the sysroot's tools
arm64_build_in_chroot() {
	local gcc s=$ARM64_SYSROOT
	gcc=$(arm64_gcc)
	in_suite "$suite" env CC="$ARM64_TRIPLET-$gcc" \
		PKG_CONFIG_LIBDIR="$s/usr/lib/$ARM64_TRIPLET/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$s" \
		GUEST_TOOLROOT="$s" GUEST_READELF="$ARM64_TRIPLET-readelf" \
		bash -c '
		set -e
		/src/tests/guest/build.sh /tmp/fusept-guest/dest
		/src/tests/vm/guest-root.sh /tmp/fusept-guest/dest /tmp/fusept-guest/root
		'
}
