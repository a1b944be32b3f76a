#!/bin/bash
# Runs INSIDE the guest-building chroot (trixie), called by build-guest.sh.
# Assembles the kernel-independent initramfs tree ROOT from DESTDIR (what
# tests/guest/build.sh installed) plus busybox, a few real tools and every
# shared library the ELF files need.
#
# Guest layout:
#   /init                   tests/vm/init
#   /bin, /sbin, /usr/...   busybox applets (static busybox)
#   /usr/local/fusept/      DESTDIR as installed by tests/guest/build.sh
#   /usr/local/bin  -> /usr/local/fusept/bin    (so bin/ is in PATH)
#   /tests          -> /usr/local/fusept/tests  (run.sh, demo.sh, ...)
#   /usr/bin/{getfattr,setfattr,fio,strace,fusermount3}, /usr/sbin/{mke2fs,
#   mkfs.ext4,mount.fuse3}: the real Debian tools
#   /usr/lib/fusept-util-linux/{mount,umount}: util-linux's, beside busybox's
#   (mount.fusept is tested under them; the other groups keep busybox's)
#   /lib/fusept/fusept.ko, /lib/modules/KVER/: added per kernel by mkinitrd.sh
#   users: root (0), user (1000:1000), nobody (65534:65534)
# For another architecture (the arm64 guests, see arm64.sh), GUEST_TOOLROOT
# names the directory holding that architecture's packages unpacked: the
# tools and busybox come from there, at the paths the chroot's own have,
# and GUEST_READELF (that architecture's readelf) finds their libraries,
# as ldd cannot.
# Usage: guest-root.sh DESTDIR ROOT
set -euo pipefail
dest=${1:?usage: guest-root.sh DESTDIR ROOT}
root=${2:?}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
EXTRA_TOOLS="getfattr setfattr fio strace mke2fs fusermount3 mount.fuse3"
toolroot=${GUEST_TOOLROOT:-}

skeleton() {
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local,etc,proc,sys,dev,tmp,run,mnt,root,home/user,lib/fusept,lib/modules,lib64}
	chmod 1777 "$root/tmp"
	chown 1000:1000 "$root/home/user"
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
	cp /src/tests/vm/init "$root/init"
	chmod 755 "$root/init"
	cat >"$root/etc/passwd" <<-'EOT'
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
	EOT
	cat >"$root/etc/group" <<-'EOT'
		root:x:0:
		user:x:1000:
		nogroup:x:65534:
	EOT
	echo fusept-vm >"$root/etc/hostname"
	[ ! -e /etc/mke2fs.conf ] || cp /etc/mke2fs.conf "$root/etc/"
	[ ! -e /etc/fuse.conf ] || cp /etc/fuse.conf "$root/etc/"
}

# tool_src TOOL: the file to copy for the chroot's TOOL: the chroot's own,
# or the one at the same place under GUEST_TOOLROOT (with the same mode:
# a package's postinst may have changed it, fusermount3's setuid bit)
tool_src() {
	local path f
	path=$(command -v "$1") || {
		echo "guest-root: $1 not found in the chroot" >&2
		exit 1
	}
	if [ -z "$toolroot" ]; then
		readlink -f "$path"
		return
	fi
	path=/usr${path#/usr}
	for f in "$toolroot$path" "$toolroot${path#/usr}"; do
		if [ -f "$f" ] && [ ! -L "$f" ]; then
			chmod --reference="$(readlink -f "$(command -v "$1")")" "$f"
			echo "$f"
			return
		fi
	done
	echo "guest-root: no $path (a regular file) in $toolroot" >&2
	exit 1
}

# The applets are the chroot's busybox's: GUEST_TOOLROOT's is the same
# package of the same suite, for another architecture
busybox_applets() {
	local applet
	cp "$(tool_src busybox)" "$root/bin/busybox"
	for applet in $(busybox --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
}

# The real tools shadow busybox applets of the same name.
extra_tools() {
	local t path d
	for t in $EXTRA_TOOLS; do
		path=$(command -v "$t") || {
			echo "guest-root: $t not found in the chroot" >&2
			exit 1
		}
		for d in bin sbin usr/bin usr/sbin; do
			rm -f "$root/$d/$t"
		done
		path=/usr${path#/usr} # merged /usr: one canonical place
		mkdir -p "$root$(dirname "$path")"
		cp -a "$(tool_src "$t")" "$root$path"
	done
	rm -f "$root"/{bin,sbin,usr/bin,usr/sbin}/mkfs.ext4
	ln -s mke2fs "$root/usr/sbin/mkfs.ext4"
}

util_linux() {
	local t d=$root/usr/lib/fusept-util-linux
	mkdir -p "$d"
	for t in mount umount; do
		cp "$(tool_src "$t")" "$d/$t"
	done
}

install_dest() {
	cp -a "$dest" "$root/usr/local/fusept"
	mkdir -p "$root/usr/local/fusept/bin" "$root/usr/local/fusept/tests"
	ln -s fusept/bin "$root/usr/local/bin"
	ln -s usr/local/fusept/tests "$root/tests"
}

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | tail -c 3)" = ELF ]; }

# Copy the shared libraries (and the dynamic loader) of every ELF file.
shared_libs() {
	local f lib
	if [ -n "$toolroot" ]; then
		foreign_libs
		return
	fi
	find "$root" -type f | while read -r f; do
		is_elf "$f" || continue
		ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
	done | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
	ldconfig -r "$root" 2>/dev/null || true
}

# The libraries of a foreign ELF file: NEEDED names, found in its
# RUNPATH and the multiarch directories of GUEST_TOOLROOT (canonical /usr
# paths)
needed() {
	local n d dyn runpath
	dyn=$("$GUEST_READELF" -d "$1" 2>/dev/null)
	runpath=$(sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p' <<<"$dyn" | tr ':' ' ')
	# shellcheck disable=SC2013 # sonames have no spaces
	for n in $(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dyn"); do
		for d in $runpath $(foreign_libdirs); do
			if [ -e "$toolroot$d/$n" ]; then
				echo "$d/$n"
				continue 2
			fi
		done
		echo "MISSING $n (needed by ${1#"$root"})"
	done
}

foreign_libdirs() {
	local d
	for d in "$toolroot"/usr/lib/*-linux-gnu "$toolroot"/usr/lib; do
		[ -d "$d" ] && echo "${d#"$toolroot"}"
	done
}

# The dynamic loader and the library closure of every foreign ELF file
foreign_libs() {
	local f lib interp todo seen=" "
	todo=$(find "$root" -type f | while read -r f; do
		is_elf "$f" || continue
		interp=$("$GUEST_READELF" -l "$f" 2>/dev/null |
			sed -n 's/.*program interpreter: \(.*\)]/\1/p')
		[ -z "$interp" ] || echo "$interp $f"
	done)
	awk '{ print $1 }' <<<"$todo" | sort -u | while read -r interp; do
		mkdir -p "$root$(dirname "$interp")"
		cp -L "$toolroot/usr${interp#/usr}" "$root$interp"
	done
	todo=$(awk '{ print $2 }' <<<"$todo")
	while [ -n "$todo" ]; do
		# shellcheck disable=SC2086
		set -- $todo
		todo=
		for f in "$@"; do
			for lib in $(needed "$f" | tr ' ' '_'); do
				case $lib in
				MISSING*)
					echo "guest-root: ${lib//_/ } in $toolroot" >&2
					exit 1
					;;
				esac
				case $seen in *" $lib "*) continue ;; esac
				seen="$seen$lib "
				mkdir -p "$root$(dirname "$lib")"
				cp -L "$toolroot$lib" "$root$lib"
				todo="$todo $root$lib"
			done
		done
	done
}

skeleton
busybox_applets
extra_tools
util_linux
install_dest
shared_libs
echo "guest-root: $(find "$root" | wc -l) files, $(du -sh "$root" | cut -f1)"
