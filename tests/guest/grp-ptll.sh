# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): libfuse's passthrough_ll
# over a lower tmpfs that pt-setup fills with every kind of object
# (sizes, modes, owners, links, a fifo, symbolic links up to 4000 bytes,
# 10,000 entries, xattrs): lookup and stat, readdir and READDIRPLUS,
# readlink, xattrs, reads and mappings, statfs, access, each compared
# with the lower directory.  kill and kill-lazy (grp-kill.sh) use the
# same lower directory.

# group         timeout (s)
register_group pt-setup 300
register_group pt-lookup 120
register_group pt-readdir 300
register_group pt-readdirplus 60
register_group pt-readlink 60
register_group pt-xattr 60
register_group pt-read 300
register_group pt-statfs 60
register_group pt-access 60

# The lower directory: every kind of object passthrough_ll has to show.
make_lower() {
	local d=$LOWER/pt t i
	rm -rf "$d"
	mkdir -p "$d/sub/deep" "$d/private" "$d/bigdir" "$d/small"
	echo "hello fusept" >"$d/small.txt"
	echo deep >"$d/sub/deep/file"
	dd if=/dev/urandom of="$d/odd.bin" bs=12345 count=1 2>/dev/null
	dd if=/dev/urandom of="$d/page.bin" bs=4096 count=1 2>/dev/null
	dd if=/dev/urandom of="$d/page1.bin" bs=4097 count=1 2>/dev/null
	dd if=/dev/urandom of="$d/big.bin" bs=1M count=64 2>/dev/null
	printf x >"$d/one"
	: >"$d/empty"
	echo secret >"$d/mode600"
	echo none >"$d/mode000"
	printf '#!/bin/sh\necho hi\n' >"$d/exec.sh"
	echo mine >"$d/owned"
	chmod 600 "$d/mode600"
	chmod 000 "$d/mode000"
	chmod 755 "$d/exec.sh"
	chmod 640 "$d/owned"
	chown 1000:1000 "$d/owned"
	chmod 700 "$d/private"
	echo p >"$d/private/x"
	ln "$d/small.txt" "$d/hardlink"
	mkfifo "$d/fifo"
	ln -s sub/deep/file "$d/rel"
	ln -s ../outside "$d/dotdot"
	ln -s /etc/hostname "$d/abs"
	ln -s nowhere "$d/dangling"
	t=$(head -c 4000 /dev/zero | tr '\0' L)
	ln -s "$t" "$d/long"
	touch -d "2001-02-03 04:05:06" "$d/small.txt" "$d/sub"
	for i in a b c d e; do echo "$i" >"$d/small/$i"; done
	(cd "$d/bigdir" && seq -w 1 10000 | sed 's/^/entry_/' | xargs touch)
	setfattr -n trusted.fusept -v hello "$d/small.txt"
	setfattr -n trusted.second -v 2 "$d/small.txt"
	setfattr -n trusted.big -v "$(head -c 3000 /dev/zero | tr '\0' v)" \
		"$d/odd.bin"
	setfattr -n trusted.dir -v yes "$d/sub"
}

test_pt_setup() {
	lower_init || fatal "cannot mount the lower tmpfs"
	make_lower || fatal "cannot prepare the lower directory"
	expect pt-setup-bigdir "$(ls "$LOWER/pt/bigdir" | wc -l)" 10000
}

pt_start() {
	M=$(mnt pt)
	L=$LOWER/pt
	[ -d "$L/bigdir" ] || fatal "lower directory not prepared"
	start_fs "$M" allow_other,default_permissions passthrough_ll -f \
		-o "source=$L,xattr" "$@"
}

STATFMT='%F %s %f %h %u %g %i %b %y'

# stat_cmp NAME PATHS...: stat of every path equals the lower's
stat_cmp() {
	local n=$1 p a b bad=
	shift
	for p in "$@"; do
		a=$(stat -c "$STATFMT" "$L/$p" 2>&1)
		b=$(stat -c "$STATFMT" "$M/$p" 2>&1)
		[ "$a" = "$b" ] || bad="$bad $p: lower '$a' fuse '$b';"
	done
	if [ -z "$bad" ]; then pass "$n"; else failc "$n" "$bad"; fi
}

test_pt_lookup() {
	pt_start
	stat_cmp pt-stat-files small.txt odd.bin big.bin empty one mode000 \
		exec.sh owned hardlink fifo
	stat_cmp pt-stat-dirs sub sub/deep private bigdir small
	# the root keeps FUSE_ROOT_ID as its inode number: no %i there
	expect pt-stat-root "$(stat -c '%F %s %f %h %u %g %y' "$M")" \
		"$(stat -c '%F %s %f %h %u %g %y' "$L")"
	stat_cmp pt-stat-symlinks rel dotdot abs dangling long
	expect pt-stat-nlink "$(stat -c %h "$M/small.txt")" 2
	expect pt-lookup-enoent "$(errno_of stat "$M/missing")" ENOENT
	expect pt-lookup-enotdir "$(errno_of stat "$M/small.txt/x")" ENOTDIR
	expect pt-lookup-deep "$(cat "$M/sub/deep/file" 2>&1)" deep
	expect pt-follow-symlink "$(cat "$M/rel" 2>&1)" deep
	expect pt-mount-type "$(mount_fstype "$M")" "$FS"
	stop_fs pt-umount "$M"
}

test_pt_readdir() {
	pt_start
	expect pt-readdir-small "$(ls -A "$M/small" | tr '\n' ' ')" \
		"a b c d e "
	expect pt-readdir-root "$(ls -A "$M" | md5sum)" \
		"$(ls -A "$L" | md5sum)"
	expect pt-readdir-10000-count "$(fusept-probe count "$M/bigdir")" \
		10000
	expect pt-readdir-10000-find "$(find "$M/bigdir" | wc -l)" 10001
	expect pt-readdir-10000-names "$(ls "$M/bigdir" | md5sum)" \
		"$(ls "$L/bigdir" | md5sum)"
	expect pt-ls-l-bigdir "$(ls -ln "$M/bigdir" | md5sum)" \
		"$(ls -ln "$L/bigdir" | md5sum)"
	expect pt-ls-l-root "$(ls -lnA "$M" | md5sum)" \
		"$(ls -lnA "$L" | md5sum)"
	stop_fs pt-readdir-umount "$M"
}

# READDIRPLUS is negotiated by libfuse by default: see it in the debug log.
test_pt_readdirplus() {
	pt_start -d
	expect pt-readdirplus-ls "$(ls -ln "$M/small" | md5sum)" \
		"$(ls -ln "$L/small" | md5sum)"
	if grep -q 'opcode: READDIRPLUS' "$RES/daemon.log"; then
		pass pt-readdirplus-used
	else
		failc pt-readdirplus-used "no READDIRPLUS request in the daemon log"
	fi
	stop_fs pt-readdirplus-umount "$M"
}

test_pt_readlink() {
	local p bad=
	pt_start
	for p in rel dotdot abs dangling long; do
		[ "$(readlink "$M/$p" 2>&1)" = "$(readlink "$L/$p")" ] ||
			bad="$bad $p"
	done
	if [ -z "$bad" ]; then pass pt-readlink; else
		failc pt-readlink "targets differ:$bad"; fi
	expect pt-readlink-4000 "$(readlink "$M/long" | wc -c)" 4001
	expect pt-readlink-notlink "$(errno_of readlink "$M/small.txt")" EINVAL
	stop_fs pt-readlink-umount "$M"
}

# The real getfattr (attr package): busybox sh prefers its own applet.
GETFATTR=getfattr
[ ! -x /usr/bin/getfattr ] || GETFATTR=/usr/bin/getfattr

# getfattr -d output without its "# file:" line
xattr_dump() { $GETFATTR --absolute-names -d -m - "$1" 2>&1 | sed 1d; }

test_pt_xattr() {
	pt_start
	expect pt-xattr-get \
		"$($GETFATTR --absolute-names --only-values -n trusted.fusept \
			"$M/small.txt" 2>&1)" \
		hello
	expect pt-xattr-list "$(xattr_dump "$M/small.txt")" \
		"$(xattr_dump "$L/small.txt")"
	expect pt-xattr-big "$(xattr_dump "$M/odd.bin" | md5sum)" \
		"$(xattr_dump "$L/odd.bin" | md5sum)"
	expect pt-xattr-dir "$(xattr_dump "$M/sub")" "$(xattr_dump "$L/sub")"
	expect pt-xattr-enodata \
		"$(errno_of getxattr "$M/small.txt" trusted.missing)" ENODATA
	expect pt-xattr-none "$(errno_of getxattr "$M/one" trusted.fusept)" \
		ENODATA
	stop_fs pt-xattr-umount "$M"
}

sum_of() { sha256sum <"$1" 2>&1 | cut -d' ' -f1; }

test_pt_read() {
	local f bad=
	pt_start
	expect pt-read-big-sha256 "$(sum_of "$M/big.bin")" \
		"$(sum_of "$L/big.bin")"
	echo 3 >/proc/sys/vm/drop_caches
	expect pt-read-big-uncached "$(sum_of "$M/big.bin")" \
		"$(sum_of "$L/big.bin")"
	for f in small.txt odd.bin page.bin page1.bin one empty; do
		[ "$(cat "$M/$f" | sha256sum)" = "$(cat "$L/$f" | sha256sum)" ] ||
			bad="$bad $f"
	done
	if [ -z "$bad" ]; then pass pt-read-odd-sizes; else
		failc pt-read-odd-sizes "content differs:$bad"; fi
	expect pt-read-odd-size-bytes "$(wc -c <"$M/odd.bin")" 12345
	expect pt-read-dd-offset \
		"$(dd if="$M/big.bin" bs=4096 skip=3000 count=3 2>/dev/null | md5sum)" \
		"$(dd if="$L/big.bin" bs=4096 skip=3000 count=3 2>/dev/null | md5sum)"
	expect pt-mmap-big "$(fusept-probe mmapcmp "$M/big.bin" "$L/big.bin")" OK
	expect pt-mmap-odd "$(fusept-probe mmapcmp "$M/odd.bin" "$L/odd.bin")" OK
	echo 3 >/proc/sys/vm/drop_caches
	expect pt-mmap-uncached \
		"$(fusept-probe mmapcmp "$M/page1.bin" "$L/page1.bin")" OK
	stop_fs pt-read-umount "$M"
}

test_pt_statfs() {
	pt_start
	ok pt-statfs stat -f "$M"
	expect pt-statfs-values "$(stat -f -c '%b %c %l %S' "$M" 2>&1)" \
		"$(stat -f -c '%b %c %l %S' "$L")"
	expect pt-statfs-probe "$(errno_of statfs "$M/sub")" OK
	stop_fs pt-statfs-umount "$M"
}

test_pt_access() {
	pt_start
	expect pt-access-root-r "$(errno_of access "$M/mode000" r)" OK
	expect pt-access-root-x-noexec "$(errno_of access "$M/small.txt" x)" \
		EACCES
	expect pt-access-root-x "$(errno_of access "$M/exec.sh" x)" OK
	expect pt-access-user-r "$(errno_of -u 1000 access "$M/small.txt" r)" OK
	expect pt-access-user-w "$(errno_of -u 1000 access "$M/small.txt" w)" \
		EACCES
	expect pt-access-user-600 "$(errno_of -u 1000 access "$M/mode600" r)" \
		EACCES
	expect pt-access-user-owner "$(errno_of -u 1000 access "$M/owned" rw)" \
		OK
	expect pt-access-user-dir "$(errno_of -u 1000 access "$M/private" x)" \
		EACCES
	expect pt-access-user-lookup "$(errno_of -u 1000 stat "$M/private/x")" \
		EACCES
	expect pt-access-f "$(errno_of access "$M/missing" f)" ENOENT
	stop_fs pt-access-umount "$M"
}
