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
# Usage: guest-root.sh DESTDIR ROOT
set -euo pipefail
dest=${1:?usage: guest-root.sh DESTDIR ROOT}
root=${2:?}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
EXTRA_TOOLS="getfattr setfattr fio strace mke2fs fusermount3 mount.fuse3"

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

busybox_applets() {
	local applet
	cp "$(command -v busybox)" "$root/bin/busybox"
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
		cp -a "$(readlink -f "$(command -v "$t")")" "$root$path"
	done
	rm -f "$root"/{bin,sbin,usr/bin,usr/sbin}/mkfs.ext4
	ln -s mke2fs "$root/usr/sbin/mkfs.ext4"
}

util_linux() {
	local t d=$root/usr/lib/fusept-util-linux
	mkdir -p "$d"
	for t in mount umount; do
		cp "$(readlink -f "$(command -v "$t")")" "$d/$t"
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
	find "$root" -type f | while read -r f; do
		is_elf "$f" || continue
		ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
	done | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
	ldconfig -r "$root" 2>/dev/null || true
}

skeleton
busybox_applets
extra_tools
util_linux
install_dest
shared_libs
echo "guest-root: $(find "$root" | wc -l) files, $(du -sh "$root" | cut -f1)"
