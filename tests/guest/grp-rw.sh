# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): writing through the
# mount.  rw-smoke: passthrough_ll over a tmpfs, each change seen through
# the mount and in the lower directory; the long read-write runs of
# rw.sh (rw-posix: posixtest, fusept against the kernel's FUSE) and
# rw-stress.sh (rw-fsx: fsxcheck; rw-stress: fusept-stress).

# group         timeout (s)
register_group rw-smoke 240
register_group rw-posix 900
register_group rw-fsx 1800
register_group rw-stress 600

# Read-write smoke test: passthrough_ll over tmpfs, each change seen both
# through the mount and in the lower directory.
test_rw_smoke() {
	local m l
	m=$(mnt rw)
	l=$RES/lower
	mkdir -p "$l"
	mount -t tmpfs tmpfs "$l" || fatal "tmpfs for the lower dir"
	start_fs "$m" allow_other,default_permissions passthrough_ll -f \
		-o "source=$l,xattr,cache=auto"
	cd "$m" || fatal "cd $m"
	ok rw-create rw_sh "echo hello > f1 && grep -q hello f1 && grep -q hello $l/f1"
	ok rw-append rw_sh "echo world >> f1 && [ \"\$(cat f1)\" = \"\$(printf 'hello\\nworld')\" ]"
	ok rw-size rw_sh "[ \$(stat -c %s f1) = 12 ] && [ \$(stat -c %s $l/f1) = 12 ]"
	ok rw-truncate rw_sh "truncate -s 3 f1 && [ \"\$(cat f1)\" = hel ] && [ \$(stat -c %s $l/f1) = 3 ]"
	ok rw-mkdir rw_sh "mkdir d1 && [ -d $l/d1 ] && [ \$(stat -c %h d1) = 2 ]"
	ok rw-rmdir rw_sh "rmdir d1 && [ ! -e $l/d1 ] && [ ! -e d1 ]"
	ok rw-rename rw_sh "mv f1 f2 && [ -f f2 ] && [ ! -e f1 ] && [ -f $l/f2 ]"
	ok rw-link rw_sh "ln f2 f3 && [ \$(stat -c %h f2) = 2 ] && [ \$(stat -c %h $l/f3) = 2 ]"
	ok rw-symlink rw_sh "ln -s f2 s1 && [ \"\$(readlink s1)\" = f2 ] && [ \"\$(cat s1)\" = hel ]"
	ok rw-unlink rw_sh "rm f3 && [ ! -e f3 ] && [ \$(stat -c %h f2) = 1 ]"
	ok rw-chmod rw_sh "chmod 600 f2 && [ \$(stat -c %a f2) = 600 ] && [ \$(stat -c %a $l/f2) = 600 ]"
	ok rw-chown rw_sh "chown 1000:1000 f2 && [ \"\$(stat -c %u:%g f2)\" = 1000:1000 ]"
	ok rw-utimes rw_sh "touch -d '2001-02-03 04:05:06' f2 && [ \$(stat -c %Y f2) = \$(stat -c %Y $l/f2) ]"
	ok rw-xattr rw_sh "/usr/bin/setfattr -n trusted.a -v b f2 && [ \"\$(/usr/bin/getfattr --only-values -n trusted.a f2)\" = b ] && /usr/bin/setfattr -x trusted.a f2 && ! /usr/bin/getfattr -n trusted.a f2 2>/dev/null"
	dd if=/dev/urandom of="$RES/r" bs=1M count=20 2>/dev/null
	ok rw-write-20m rw_sh "cp $RES/r big && [ \"\$(sha256sum < big)\" = \"\$(sha256sum < $RES/r)\" ] && [ \"\$(sha256sum < $l/big)\" = \"\$(sha256sum < $RES/r)\" ]"
	ok rw-overwrite rw_sh "dd if=/dev/zero of=big bs=4096 seek=3 count=2 conv=notrunc 2>/dev/null && dd if=/dev/zero of=$RES/r bs=4096 seek=3 count=2 conv=notrunc 2>/dev/null && [ \"\$(sha256sum < $l/big)\" = \"\$(sha256sum < $RES/r)\" ]"
	ok rw-mkfifo rw_sh "mkfifo p1 && [ -p p1 ] && [ -p $l/p1 ]"
	ok rw-noclobber rw_sh "set -C; ! (echo x > f2) 2>/dev/null"
	ok rw-remove-all rw_sh "rm -f f2 s1 big p1 && [ -z \"\$(ls $l)\" ]"
	cd / || fatal "cd /"
	stop_fs rw-umount "$m"
	rw_umount_forgets "$m" "$l"
	umount "$l"
}

# rw_umount_forgets MNT LOWER: unmount while the daemon still works on
# FORGETs. passthrough_ll's worker threads drop lookups (closing the
# lower file of an unlinked inode, here slow: its pages are freed) while
# another thread handles DESTROY by freeing every inode: a DESTROY read
# at umount crashed it. The kernel's FUSE sends none to a /dev/fuse
# daemon, whose libfuse calls destroy once its threads are gone.
rw_umount_forgets() {
	local m=$1 l=$2 i=0 f bad=

	mkdir "$l/many" || fatal "mkdir $l/many"
	while [ $i -lt 6 ] && [ -z "$bad" ]; do
		i=$((i + 1))
		for f in $(seq 1 48); do
			head -c 2097152 /dev/zero >"$l/many/f$f" ||
				fatal "files in $l/many"
		done
		start_fs "$m" allow_other passthrough_ll -f -o "source=$l"
		stat "$m"/many/f* >/dev/null || fatal "stat of the files"
		rm -f "$m"/many/f*
		umount_daemon "$m" || bad="round $i: $UMOUNT_WHY"
	done
	rm -rf "$l/many"
	if [ -n "$bad" ]; then
		failc rw-umount-forgets "$bad"
	else
		pass rw-umount-forgets
	fi
}

# The differential POSIX run (tests/guest/rw.sh): posixtest with the
# unmodified libfuse examples, on the kernel's FUSE and on fusept.
test_rw_posix() {
	is_fusept || skip "rw.sh runs the kernel's FUSE itself, beside fusept"
	sh "$TESTS/rw.sh" >"$RES/rw.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/rw.log" >>"$SUB"
	grep -E '^# (rw|expected)' "$RES/rw.log" | sed 's/^/    /' >>"$SUB"
	grep -q '^PASS diff-' "$RES/rw.log" ||
		failc rw-posix-ran "$(tail -3 "$RES/rw.log" | tr '\n' ' ')"
}

# rw_stress GROUP REGEX: the steps of tests/guest/rw-stress.sh matching
rw_stress() {
	FUSEPT_RW_ONLY=$2 sh "$TESTS/rw-stress.sh" >"$RES/$1.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/$1.log" |
		grep -v '^PASS rw-setup-modules$' >>"$SUB"
	grep '^    # ' "$RES/$1.log" >>"$SUB"
}

# fsxcheck against a model of the file (fusept.fsx_ops=N operations in
# all, default 50000): passthrough_ll in three cache modes,
# passthrough_fh, fusept-passthrough with passthrough on, and with inode
# passthrough (root and user 1000, with and without default_permissions).
test_rw_fsx() { rw_stress rw-fsx '^fsx-'; }

# Processes doing mixed I/O and renames; the daemon killed in the middle;
# umount -l with files open; no fusept_inode left after each umount.
test_rw_stress() { rw_stress rw-stress '^(stress-|dmesg-clean)'; }
