#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tests of the reference daemon tools/fusept-passthrough (issue #4), as
# root inside the guest (busybox sh):
#   pass 1: passthrough (the default): data through the mount equals the
#           lower files, mmap, fio verify, the namespace and attribute
#           operations, files created as the caller, errno pass-through,
#           and no READ/WRITE request reaching the daemon;
#   pass 1b: --inode-passthrough: on fusept, files bound at lookup are
#           opened, read, written and stat'ed without a request to the
#           daemon, namespace operations still reach it, permissions are
#           the kernel's (with and without default_permissions); on the
#           kernel's FUSE the daemon falls back to per-open passthrough;
#   pass 2: --no-passthrough: the same data checks, READ/WRITE counted;
#   pass 3: passthrough with the multi-threaded loop (-o threads);
#   pass 4: a second daemon mirroring the first one's mount: passthrough
#           when the stacking depths allow it, else the FUSE I/O fallback.
# Prints "PASS name", "FAIL name: reason", "SKIP name: reason" and a
# closing "pt-daemon: N passed, N failed, N skipped"; exits 1 on a failure.
#
# Env: FUSEPT_DEV, FUSEPT_FS (default /dev/fusept and fusept; FUSEPT_FS=fuse
# with FUSEPT_DEV=/dev/fuse runs it on the kernel's own FUSE, 6.9+ for
# passthrough), FUSEPT_PTD (the daemon, default fusept-passthrough),
# FUSEPT_WORK (scratch directory, default /tmp/fpt).

TESTS=$(cd "$(dirname "$0")" && pwd)
[ -z "${FUSEPT_FS:-}" ] || FUSEPT_FSTYPE=$FUSEPT_FS
. "$TESTS/lib.sh"

PTD=${FUSEPT_PTD:-fusept-passthrough}
M=$MNTROOT/ptd
L=$LOWER/ptd
R=$WORK/ptd-ref
ST=$WORK/ptd-stats
DLOG=$WORK/ptd-daemon.log
UID1=1000
# outside the guest (busybox provides it there)
command -v usleep >/dev/null ||
	usleep() { sleep "$(awk -v u="$1" 'BEGIN { print u / 1000000 }')"; }
. "$TESTS/counts.sh"

errno_of() { fusept-probe "$@" 2>&1 | head -1; }
sum_of() { sha256sum <"$1" 2>&1 | cut -d' ' -f1; }

# The real getfattr/setfattr (attr package), not busybox's applets.
GETFATTR=getfattr
SETFATTR=setfattr
[ ! -x /usr/bin/getfattr ] || GETFATTR=/usr/bin/getfattr
[ ! -x /usr/bin/setfattr ] || SETFATTR=/usr/bin/setfattr

# as_user CMD: run the shell command as uid/gid 1000, no extra groups
as_user() {
	if setpriv --reuid=$UID1 --regid=$UID1 --clear-groups true 2>/dev/null; then
		setpriv --reuid=$UID1 --regid=$UID1 --clear-groups sh -c "$1"
	else
		su -s /bin/sh "$(awk -F: -v u=$UID1 '$3 == u { print $1; exit }' \
			/etc/passwd)" -c "$1"
	fi
}

# ptd_mount NAME ARGS...: mount $L on $M with the daemon and ARGS, with
# the mount options $PTD_MOPTS
PTD_MOPTS=allow_other,default_permissions
ptd_mount() {
	local n=$1
	shift
	! is_mounted "$M" || umount -l "$M" 2>/dev/null
	mkdir -p "$M"
	rm -f "$ST"
	echo "### $PTD $*" >>"$DLOG"
	fusept-mount -d "$DEV" -t "$FS" -o "$PTD_MOPTS" \
		"$M" "$PTD" -f --stats "$ST" "$@" "$L" >>"$DLOG" 2>&1 &
	DPID=$!
	# the first request waits for INIT: the daemon has logged its choice
	if wait_mounted "$M" 10 "$DPID" && stat "$M" >/dev/null; then
		pass "$n"
		return 0
	fi
	failc "$n" "did not mount: $(tail -3 "$DLOG")"
	kill "$DPID" 2>/dev/null
	return 1
}

# ptd_umount NAME: unmount; the daemon must exit 0 and leave its counters
ptd_umount() {
	local rc
	if ! timeout 20 umount "$M" 2>"$WORK/ptd-umount.err"; then
		failc "$1" "umount: $(cat "$WORK/ptd-umount.err")"
		abort_conn "$M" 2>/dev/null
		umount -l "$M" 2>/dev/null
		kill -9 "$DPID" 2>/dev/null
		return 1
	fi
	if ! wait_gone "$DPID" 10; then
		failc "$1" "daemon still running 10s after umount"
		kill -9 "$DPID" 2>/dev/null
		return 1
	fi
	wait "$DPID"
	rc=$?
	if [ $rc != 0 ]; then
		failc "$1" "daemon exit status $rc"
	elif [ ! -s "$ST" ]; then
		failc "$1" "no --stats file written at exit"
	else
		pass "$1"
	fi
}

# counters: the daemon's request counters now
counters() { daemon_counters "$DPID" "$ST"; }

# errcmp NAME CMD: run the shell command CMD with @ standing for the lower
# directory and for the mount; exit status and message must be the same
errcmp() {
	local n=$1 a b
	a=$(sh -c "$(echo "$2" | sed "s|@|$L|g")" 2>&1; echo "rc=$?")
	b=$(sh -c "$(echo "$2" | sed "s|@|$M|g")" 2>&1; echo "rc=$?")
	a=$(echo "$a" | sed "s|$L|@|g")
	b=$(echo "$b" | sed "s|$M|@|g")
	if [ "$a" = "$b" ]; then
		case $a in
		*rc=0) failc "$n" "the command succeeded: '$2'" ;;
		*) pass "$n" ;;
		esac
	else
		failc "$n" "lower: '$a' mount: '$b'"
	fi
}

# ---------------------------------------------------------------- data

make_lower() {
	rm -rf "$L" "$R"
	mkdir -p "$L" "$R"
	dd if=/dev/urandom of="$L/big" bs=1M count=8 2>/dev/null
	for s in 0 1 511 4096 4097 65537; do
		dd if=/dev/urandom of="$L/s$s" bs="$s" count=1 2>/dev/null ||
			: >"$L/s$s"
	done
	: >"$L/s0"
	dd if=/dev/urandom of="$R/src" bs=64k count=64 2>/dev/null
	dd if=/dev/urandom of="$R/patch" bs=4k count=3 2>/dev/null
}

# data_checks PREFIX: reads, writes, mmap, fio through $M
data_checks() {
	local p=$1 s bad=
	expect "$p-read-big" "$(sum_of "$M/big")" "$(sum_of "$L/big")"
	for s in 0 1 511 4096 4097 65537; do
		[ "$(sum_of "$M/s$s")" = "$(sum_of "$L/s$s")" ] || bad="$bad s$s"
	done
	if [ -z "$bad" ]; then pass "$p-read-sizes"; else
		failc "$p-read-sizes" "content differs:$bad"; fi
	expect "$p-read-offset" \
		"$(dd if="$M/big" bs=4096 skip=1000 count=3 2>/dev/null | md5sum)" \
		"$(dd if="$L/big" bs=4096 skip=1000 count=3 2>/dev/null | md5sum)"

	rm -f "$L/$p-new"
	cp "$R/src" "$R/$p-ref"
	cat "$R/src" >"$M/$p-new"
	expect "$p-write-new" "$(sum_of "$L/$p-new")" "$(sum_of "$R/src")"
	dd if="$R/patch" of="$M/$p-new" bs=4k seek=10 conv=notrunc 2>/dev/null
	dd if="$R/patch" of="$R/$p-ref" bs=4k seek=10 conv=notrunc 2>/dev/null
	expect "$p-write-overwrite" "$(sum_of "$L/$p-new")" "$(sum_of "$R/$p-ref")"
	printf 'appended\n' >>"$M/$p-new"
	printf 'appended\n' >>"$R/$p-ref"
	expect "$p-write-append" "$(sum_of "$L/$p-new")" "$(sum_of "$R/$p-ref")"
	expect "$p-write-readback" "$(sum_of "$M/$p-new")" "$(sum_of "$R/$p-ref")"
	truncate -s 1000001 "$M/$p-new"
	expect "$p-truncate-size" "$(stat -c %s "$L/$p-new") $(stat -c %s "$M/$p-new")" \
		"1000001 1000001"
	echo x >"$M/$p-new"
	expect "$p-open-trunc" "$(cat "$L/$p-new")" x

	expect "$p-mmap-read" "$(fusept-probe mmapcmp "$M/big" "$L/big")" OK
	expect "$p-mmap-read-odd" "$(fusept-probe mmapcmp "$M/s4097" "$L/s4097")" OK
	if command -v fio >/dev/null; then
		ok "$p-fio-mmap-verify" timeout $((120 * TSCALE)) fio --name=mm \
			--filename="$M/$p-fio-mmap" --ioengine=mmap --rw=randwrite \
			--bs=4k --size=2m --verify=crc32c --do_verify=1 \
			--verify_fatal=1
		expect "$p-fio-mmap-lower" "$(sum_of "$L/$p-fio-mmap")" \
			"$(sum_of "$M/$p-fio-mmap")"
		ok "$p-fio-psync-verify" timeout $((120 * TSCALE)) fio --name=ps \
			--filename="$M/$p-fio-psync" --ioengine=psync --rw=randrw \
			--bs=4k --size=4m --verify=crc32c --do_verify=1 \
			--verify_fatal=1
		expect "$p-fio-psync-lower" "$(sum_of "$L/$p-fio-psync")" \
			"$(sum_of "$M/$p-fio-psync")"
	else
		skipc "$p-fio" "no fio"
	fi
}

# --------------------------------------------------------------- pass 1

# Pass 1 in the order of its checks: each check_* function below looks at
# one thing; they use pass_passthrough's scratch variables c n a b t
# (local to it, so not global).
pass_passthrough() {
	local c n a b t
	ptd_mount ptd-mount || return
	check_negotiated
	data_checks ptd
	check_shared_backing
	check_no_rw_requests
	check_caller_owns
	check_namespace
	check_readdir
	check_dirops
	check_sxid
	check_attrs
	check_xattrs
	check_statfs_fallocate_access
	check_errno
	ptd_umount ptd-umount
	c=$(cat "$ST" 2>/dev/null)
	expect ptd-counters-at-exit "read=$(field "$c" read) write=$(field "$c" write)" \
		"read=0 write=0"
}

# check_negotiated: the mount has the type under test, the daemon chose
# passthrough at INIT
check_negotiated() {
	expect ptd-mount-type "$(mount_fstype "$M")" "$FS"
	if grep -q 'passthrough on' "$DLOG"; then
		pass ptd-negotiate
	else
		failc ptd-negotiate "$(grep 'passthrough' "$DLOG" | tail -1)"
	fi
}

# check_shared_backing: two opens of one inode share its backing file
check_shared_backing() {
	exec 3<"$M/big" 4<"$M/big"
	a=$(head -c 100000 <&3 | md5sum)
	b=$(head -c 100000 <&4 | md5sum)
	exec 3<&- 4<&-
	expect ptd-two-opens "$a $b" \
		"$(head -c 100000 "$L/big" | md5sum) $(head -c 100000 "$L/big" | md5sum)"
}

# check_no_rw_requests: no READ or WRITE reached the daemon, every open
# was a passthrough one
check_no_rw_requests() {
	c=$(counters)
	expect ptd-counters-rw "read=$(field "$c" read) write=$(field "$c" write)" \
		"read=0 write=0"
	n=$(field "$c" passthrough_open)
	if [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" = "$(field "$c" open)" ]; then
		pass ptd-counters-open
	else
		failc ptd-counters-open "every open should be passthrough: $c"
	fi
}

# check_caller_owns: files created as the caller
check_caller_owns() {
	mkdir "$M/pub" && chmod 1777 "$M/pub"
	as_user "cd $M/pub && echo hi >f && mkdir d && ln -s f s && mkfifo p &&
		mknod -m 600 q p && mkdir d/e && echo x >d/e/g"
	expect ptd-owner-user \
		"$(cd "$L/pub" && stat -c '%n=%u:%g' f d s p q d/e d/e/g | tr '\n' ' ')" \
		"f=$UID1:$UID1 d=$UID1:$UID1 s=$UID1:$UID1 p=$UID1:$UID1 q=$UID1:$UID1 d/e=$UID1:$UID1 d/e/g=$UID1:$UID1 "
	expect ptd-owner-user-mount "$(stat -c '%u:%g' "$M/pub/f")" "$UID1:$UID1"
	echo r >"$M/pub/rootfile"
	expect ptd-owner-root "$(stat -c '%u:%g' "$L/pub/rootfile")" 0:0
	expect ptd-user-rw "$(as_user "echo more >>$M/pub/f && cat $M/pub/f")" \
		"hi
more"
	expect ptd-user-eacces "$(errno_of -u $UID1 access "$M/big" w)" EACCES
	chmod 700 "$M/pub/d"
	expect ptd-user-mode "$(stat -c %a "$L/pub/d")" 700
	expect ptd-create-mode "$(stat -c %a "$L/pub/rootfile")" 644
}

# check_namespace: namespace operations
check_namespace() {
	mkdir -p "$M/ns/a/b" && echo f >"$M/ns/a/b/f"
	mv "$M/ns/a" "$M/ns/c"
	ln "$M/ns/c/b/f" "$M/ns/hard"
	ln -s c/b/f "$M/ns/sym"
	expect ptd-rename "$(cat "$L/ns/c/b/f" 2>&1)" f
	expect ptd-link "$(stat -c %h "$L/ns/hard") $(stat -c %h "$M/ns/c/b/f")" "2 2"
	expect ptd-symlink "$(readlink "$L/ns/sym") $(readlink "$M/ns/sym") $(cat "$M/ns/sym")" \
		"c/b/f c/b/f f"
	rm "$M/ns/hard"
	expect ptd-unlink "$(ls "$L/ns" | tr '\n' ' ')$(stat -c %h "$M/ns/c/b/f")" "c sym 1"
	rm "$M/ns/c/b/f" && rmdir "$M/ns/c/b"
	expect ptd-rmdir "$(ls -A "$L/ns/c" | wc -l)" 0
	mkfifo "$M/ns/fifo" && mknod "$M/ns/null" c 1 3
	expect ptd-mknod "$(stat -c %F "$L/ns/fifo"), $(stat -c '%F %t:%T' "$L/ns/null")" \
		"fifo, character special file 1:3"
}

# check_readdir: readdir and readdirplus
check_readdir() {
	mkdir "$M/many"
	(cd "$M/many" && seq -w 1 500 | sed 's/^/entry_/' | xargs touch)
	expect ptd-readdir-count "$(ls "$M/many" | wc -l) $(ls "$L/many" | wc -l)" \
		"500 500"
	expect ptd-readdir-names "$(ls -a "$M/many" | md5sum)" \
		"$(ls -a "$L/many" | md5sum)"
	expect ptd-readdirplus "$(ls -ln "$M/many" | md5sum)" \
		"$(ls -ln "$L/many" | md5sum)"
}

# check_dirops: entries made and removed in a directory change its size,
# times and link count, not its mode or owner: the permission checks of
# the next entry need no GETATTR (one per op before, as many as the
# attribute timeout allows now), and stat sees the new values
check_dirops() {
	mkdir "$M/dirops"
	a=$(field "$(counters)" getattr)
	t=$(date +%s)
	(cd "$M/dirops" && for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 \
		17 18 19 20; do : >"f$n"; done && unlink f1 && unlink f2 &&
		unlink f3 && unlink f4 && unlink f5 && mkdir sub)
	b=$(field "$(counters)" getattr)
	t=$(($(date +%s) - t))
	n=$((${b:-0} - ${a:-0}))
	# the attributes expire after 1 s: a slow guest may ask once a second
	if ! is_fusept; then
		# 6.12's own FUSE still asks one per op (7.x does not)
		skipc ptd-dirops-getattr "the kernel's FUSE: $n GETATTRs for 26 entry ops"
	elif [ -z "$a" ] || [ -z "$b" ]; then
		failc ptd-dirops-getattr "no counters from the daemon"
	elif [ $n -lt 12 ] || { [ $t -lt 24 ] && [ $n -le $((t + 2)) ]; }; then
		pass ptd-dirops-getattr
	elif [ $t -ge 24 ]; then
		skipc ptd-dirops-getattr "too slow to tell: $n GETATTRs in $t s"
	else
		failc ptd-dirops-getattr "$n GETATTRs for 26 entry ops in $t s"
	fi
	expect ptd-dirops-stat "$(stat -c '%h %s %Y' "$M/dirops")" \
		"$(stat -c '%h %s %Y' "$L/dirops")"
}

# check_sxid: a user's write clears setuid and setgid as on the lower
# file system (the daemon's credentials would keep them); root's keeps
# them
check_sxid() {
	echo a >"$M/sxid" && chmod 6777 "$M/sxid"
	as_user "echo b >>$M/sxid"
	expect ptd-sxid-write-user "$(stat -c %a "$L/sxid") $(stat -c %a "$M/sxid")" \
		"777 777"
	chmod 6777 "$M/sxid" && echo c >>"$M/sxid"
	expect ptd-sxid-write-root "$(stat -c %a "$L/sxid") $(stat -c %a "$M/sxid")" \
		"6777 6777"
	expect ptd-sxid-data "$(tr '\n' ' ' <"$M/sxid")" "a b c "
}

# check_attrs: attributes
check_attrs() {
	echo a >"$M/attr"
	chmod 4751 "$M/attr"
	expect ptd-chmod "$(stat -c %a "$L/attr")" 4751
	chown $UID1:$UID1 "$M/attr"
	expect ptd-chown "$(stat -c %u:%g "$L/attr")" "$UID1:$UID1"
	touch -d "2001-02-03 04:05:06" "$M/attr" "$R/t"
	t=$(stat -c %Y "$R/t")
	expect ptd-utimes "$(stat -c %Y "$L/attr") $(stat -c %Y "$M/attr")" "$t $t"
	touch -a -d "2002-02-03 04:05:06" "$M/attr" "$R/t"
	expect ptd-utimes-omit "$(stat -c %X:%Y "$L/attr")" "$(stat -c %X:%Y "$R/t")"
	t=$(date +%s)
	touch "$M/attr"
	a=$(stat -c %Y "$L/attr")
	if [ "$a" -ge $((t - 2)) ] && [ "$a" -le $((t + 5)) ]; then
		pass ptd-utime-now
	else
		failc ptd-utime-now "mtime $a, now $t"
	fi
	ln -s attr "$M/attrlink"
	chown -h $UID1:$UID1 "$M/attrlink"
	expect ptd-lchown "$(stat -c %u:%g "$L/attrlink")" "$UID1:$UID1"
}

# check_xattrs: extended attributes (tmpfs has user.* ones only from 6.6
# on)
check_xattrs() {
	if ! $SETFATTR -n user.probe -v x "$L/attr" 2>/dev/null; then
		skipc ptd-setxattr "the lower tmpfs has no user.* xattrs"
	elif $SETFATTR -x user.probe "$L/attr" &&
	     $SETFATTR -n user.ptd -v hello "$M/attr" 2>"$WORK/ptd-xattr.err"; then
		expect ptd-setxattr "$($GETFATTR --absolute-names --only-values -n user.ptd "$L/attr" 2>&1)" hello
		expect ptd-getxattr "$($GETFATTR --absolute-names --only-values -n user.ptd "$M/attr" 2>&1)" hello
		expect ptd-listxattr "$(fusept-probe listxattr "$M/attr" | grep -c user.ptd)" 1
		$SETFATTR -x user.ptd "$M/attr"
		expect ptd-removexattr "$(errno_of getxattr "$L/attr" user.ptd)" ENODATA
	else
		failc ptd-setxattr "$(cat "$WORK/ptd-xattr.err")"
	fi
	$SETFATTR -n trusted.ptd -v t "$M/attr" 2>/dev/null
	expect ptd-xattr-trusted "$($GETFATTR --absolute-names --only-values -n trusted.ptd "$L/attr" 2>&1)" t
	expect ptd-getxattr-enodata "$(errno_of getxattr "$M/attr" user.none)" \
		"$(errno_of getxattr "$L/attr" user.none)"
}

# check_statfs_fallocate_access: statfs, fallocate, access
check_statfs_fallocate_access() {
	expect ptd-statfs "$(stat -f -c '%b %c %l %S' "$M" 2>&1)" \
		"$(stat -f -c '%b %c %l %S' "$L")"
	fallocate -l 1048576 "$M/falloc"
	expect ptd-fallocate "$(stat -c %s "$L/falloc")" 1048576
	expect ptd-access "$(errno_of access "$M/big" rw) $(errno_of access "$M/big" x)" \
		"OK EACCES"
}

# check_errno: errno pass-through, the same failure on the lower and the
# mount
check_errno() {
	mkdir -p "$L/e/full/x" "$L/e/empty" && echo f >"$L/e/file" &&
		echo g >"$L/e/file2"
	errcmp ptd-errno-eexist 'mkdir @/e/full'
	errcmp ptd-errno-enotempty-rmdir 'rmdir @/e/full'
	errcmp ptd-errno-enotempty-rename 'mv -T @/e/empty @/e/full'
	errcmp ptd-errno-enoent 'cat @/e/missing'
	errcmp ptd-errno-enoent-dir 'mkdir @/e/missing/x'
	errcmp ptd-errno-enotdir 'ls @/e/file/x'
	errcmp ptd-errno-eisdir 'echo x >@/e/full'
	errcmp ptd-errno-link-eexist 'ln @/e/file @/e/file2'
	expect ptd-errno-enodata "$(errno_of getxattr "$M/e/file" user.x)" \
		"$(errno_of getxattr "$L/e/file" user.x)"
	expect ptd-errno-einval-readlink "$(errno_of readlink "$M/e/file")" EINVAL
}

# -------------------------------------------------------------- pass 1b

# Inode passthrough. The mounts use -o timeout=600: no entry or attribute
# expires during a check, so every LOOKUP or GETATTR counted is one the
# kernel could not do without. Files under $L/ipt: f001..f$IPT_N, made
# on the lower file system, and "secret", root's, mode 0600.
IPT_N=200

# ipt_d NAME: counter NAME of $c1 minus that of $c0 ("none" when either
# is missing: then no comparison holds)
ipt_d() {
	local x y
	x=$(field "$c1" "$1")
	y=$(field "$c0" "$1")
	if [ -n "$x" ] && [ -n "$y" ]; then echo $((x - y)); else echo none; fi
}

ipt_lower() {
	rm -rf "$L/ipt"
	mkdir -p "$L/ipt"
	awk -v d="$L/ipt" -v n=$IPT_N 'BEGIN {
		srand(11)
		for (i = 1; i <= n; i++) {
			f = sprintf("%s/f%03d", d, i)
			for (j = 0; j <= i % 23; j++)
				printf "%d %d %.9f\n", i, j, rand() >f
			close(f)
		}
	}'
	echo secret >"$L/ipt/secret" && chmod 600 "$L/ipt/secret"
	IPT_NAMES=$(cd "$L/ipt" && ls f*)
}

# Pass 1b in the order of its checks; the check_ipt_* functions use its
# scratch variables c0 c1 a b n id.
pass_inode_passthrough() {
	local c0 c1 a b n id
	ipt_lower
	if ! is_fusept; then
		check_ipt_fallback
		return
	fi
	ptd_mount ipt-mount --inode-passthrough --no-hier -o timeout=600 ||
		return
	id=$(conn_id "$M")
	expect ipt-negotiated "$(cat "$CTLDIR/$id/passthrough" 2>&1)" \
		"mainline inode"
	check_ipt_read_stat
	check_ipt_write
	check_ipt_sysfs_bound
	check_ipt_namespace
	check_ipt_created_bound
	check_ipt_chmod
	check_ipt_perm ipt-perm-dp
	check_ipt_forget
	ptd_umount ipt-umount
	c1=$(cat "$ST" 2>/dev/null)
	expect ipt-counters-at-exit \
		"read=$(field "$c1" read) write=$(field "$c1" write)" \
		"read=0 write=0"

	# the kernel judges permissions of a bound file even without
	# default_permissions (the daemon, root, would open it)
	PTD_MOPTS=allow_other
	ptd_mount ipt-nodp-mount --inode-passthrough --no-hier -o timeout=600 ||
		{ PTD_MOPTS=allow_other,default_permissions; return; }
	PTD_MOPTS=allow_other,default_permissions
	check_ipt_perm ipt-perm-nodp
	ptd_umount ipt-nodp-umount
}

# check_ipt_fallback: the kernel's FUSE has no inode passthrough: the
# daemon says so once and passes files through per open
check_ipt_fallback() {
	ptd_mount ipt-kfuse-mount --inode-passthrough || return
	if grep -q 'inode passthrough not available' "$DLOG"; then
		pass ipt-kfuse-fallback
	else
		failc ipt-kfuse-fallback "$(grep 'passthrough' "$DLOG" | tail -2)"
	fi
	# shellcheck disable=SC2086 # one name a word
	(cd "$M/ipt" && cat $IPT_NAMES) >"$WORK/ipt-cat" 2>&1
	# shellcheck disable=SC2086 # one name a word
	(cd "$L/ipt" && cat $IPT_NAMES) >"$WORK/ipt-ref"
	if cmp -s "$WORK/ipt-cat" "$WORK/ipt-ref"; then
		pass ipt-kfuse-data
	else
		failc ipt-kfuse-data "$(head -c 200 "$WORK/ipt-cat")"
	fi
	c1=$(counters)
	n=$(field "$c1" passthrough_open)
	if [ "$(field "$c1" read)" = 0 ] && [ "${n:-0}" -ge $IPT_N ] &&
		[ "$(field "$c1" bound)" = 0 ]; then
		pass ipt-kfuse-per-open
	else
		failc ipt-kfuse-per-open "want per-open passthrough: $c1"
	fi
	ptd_umount ipt-kfuse-umount
}

# read_stat_all NAME: cat and stat of the files through the mount, then
# of the lower ones: NAME-read-data and NAME-stat; the counters before and
# after the mount's part in c0 and c1
read_stat_all() {
	c0=$(counters)
	# shellcheck disable=SC2086 # one name a word
	(cd "$M/ipt" && cat $IPT_NAMES) >"$WORK/$1-cat" 2>&1
	# shellcheck disable=SC2086 # one name a word
	a=$(cd "$M/ipt" && stat -c '%n %s %a %u %g %Y %h %i %F' $IPT_NAMES 2>&1 | md5sum)
	c1=$(counters)
	# shellcheck disable=SC2086 # one name a word
	(cd "$L/ipt" && cat $IPT_NAMES) >"$WORK/$1-ref"
	# shellcheck disable=SC2086 # one name a word
	b=$(cd "$L/ipt" && stat -c '%n %s %a %u %g %Y %h %i %F' $IPT_NAMES | md5sum)
	if cmp -s "$WORK/$1-cat" "$WORK/$1-ref"; then
		pass "$1-read-data"
	else
		failc "$1-read-data" "$(cmp "$WORK/$1-cat" "$WORK/$1-ref" 2>&1) $(head -c 200 "$WORK/$1-cat")"
	fi
	expect "$1-stat" "$a" "$b"
}

# check_ipt_read_stat: cat and stat of the files on a fresh mount: one
# LOOKUP each binds it, then no OPEN, RELEASE, READ or GETATTR
check_ipt_read_stat() {
	read_stat_all ipt
	expect ipt-read-no-requests \
		"open=$(ipt_d open) release=$(ipt_d release) read=$(ipt_d read) getattr=$(ipt_d getattr)" \
		"open=0 release=0 read=0 getattr=0"
	if [ "$(ipt_d lookup)" -ge $IPT_N ] && [ "$(ipt_d bound)" -ge $IPT_N ]; then
		pass ipt-lookup-bound
	else
		failc ipt-lookup-bound "want >= $IPT_N LOOKUPs and registrations: lookup=$(ipt_d lookup) bound=$(ipt_d bound)"
	fi
}

# check_ipt_write: a write through the mount reaches the lower file, no
# WRITE, OPEN or GETATTR does the daemon
check_ipt_write() {
	cp "$L/ipt/f100" "$R/ipt-ref"
	dd if="$R/patch" of="$R/ipt-ref" bs=4k seek=1 conv=notrunc 2>/dev/null
	c0=$(counters)
	dd if="$R/patch" of="$M/ipt/f100" bs=4k seek=1 conv=notrunc 2>/dev/null
	a=$(stat -c %s "$M/ipt/f100")
	c1=$(counters)
	expect ipt-write-lower "$(sum_of "$L/ipt/f100")" "$(sum_of "$R/ipt-ref")"
	expect ipt-write-size "$a" "$(stat -c %s "$R/ipt-ref")"
	expect ipt-write-no-requests \
		"write=$(ipt_d write) open=$(ipt_d open) release=$(ipt_d release) getattr=$(ipt_d getattr)" \
		"write=0 open=0 release=0 getattr=0"
}

# check_ipt_sysfs_bound [PREFIX]: the connection counts the bound inodes
check_ipt_sysfs_bound() {
	n=$(cat "$CTLDIR/$id/bound" 2>&1)
	if [ "$n" -ge $IPT_N ] 2>/dev/null; then
		pass "${1:-ipt}-sysfs-bound"
	else
		failc "${1:-ipt}-sysfs-bound" "$CTLDIR/$id/bound: '$n', want >= $IPT_N"
	fi
}

# check_ipt_namespace: namespace operations still reach the daemon
check_ipt_namespace() {
	local k bad=
	c0=$(counters)
	if ! { touch "$M/ipt/new" && ln "$M/ipt/new" "$M/ipt/new-link" &&
		mv "$M/ipt/new-link" "$M/ipt/new-moved" &&
		rm "$M/ipt/new-moved" && mkdir "$M/ipt/dir" &&
		rmdir "$M/ipt/dir" && ln -s new "$M/ipt/sym"; } \
		>"$WORK/ipt-ns.err" 2>&1; then
		failc ipt-namespace-ops "$(cat "$WORK/ipt-ns.err")"
	fi
	c1=$(counters)
	for k in create link rename unlink mkdir rmdir symlink; do
		[ "$(ipt_d $k)" -ge 1 ] || bad="$bad $k=$(ipt_d $k)"
	done
	if [ -z "$bad" ]; then
		pass ipt-namespace-counted
	else
		failc ipt-namespace-counted "not counted:$bad"
	fi
	expect ipt-namespace-lower \
		"$(cd "$L/ipt" && for f in new* dir sym; do [ ! -e "$f" ] || printf '%s ' "$f"; done)$(stat -c %h "$L/ipt/new")" \
		"new sym 1"
}

# check_ipt_created_bound: a CREATE reply binds the new file and leaves
# its open to the kernel: no per-open registration, no FLUSH or RELEASE at
# close; the next open sends nothing
check_ipt_created_bound() {
	local c00
	c0=$(counters)
	c00=$c0
	echo created >"$M/ipt/new2"
	c1=$(counters)
	expect ipt-create-open "open=$(ipt_d open) write=$(ipt_d write) passthrough_open=$(ipt_d passthrough_open) flush=$(ipt_d flush)" \
		"open=1 write=0 passthrough_open=0 flush=0"
	c0=$c1
	a=$(cat "$M/ipt/new2" 2>&1)
	c1=$(counters)
	expect ipt-create-bound "$a open=$(ipt_d open) read=$(ipt_d read) getattr=$(ipt_d getattr)" \
		"created open=0 read=0 getattr=0"
	c0=$c00
	expect ipt-create-no-release "release=$(ipt_d release)" "release=0"
}

# check_ipt_chmod: chmod through the mount (done by the kernel on the
# lower inode: the file is bound with SETATTR, no SETATTR to the daemon) and
# on the lower file system directly: stat of a bound inode reads the lower
# inode, whatever the attribute timeout
check_ipt_chmod() {
	c0=$(counters)
	chmod 640 "$M/ipt/f001"
	a=$(stat -c %a "$M/ipt/f001")
	c1=$(counters)
	expect ipt-chmod "$a $(stat -c %a "$L/ipt/f001") setattr=$(ipt_d setattr)" \
		"640 640 setattr=0"
	chmod 604 "$L/ipt/f002"
	touch -d "2003-04-05 06:07:08" "$L/ipt/f002"
	expect ipt-stat-lower "$(stat -c '%a %Y' "$M/ipt/f002")" \
		"$(stat -c '%a %Y' "$L/ipt/f002")"
}

# check_ipt_perm NAME [BOUND]: user 1000 cannot read root's 0600 file
# through a bound inode (the daemon, root, could); root can; no OPEN, no
# ACCESS; BOUND registrations made by the daemon (1; 0 when the kernel
# makes the inode)
check_ipt_perm() {
	c0=$(counters)
	a=$(as_user "cat $M/ipt/secret 2>&1")
	b=$(cat "$M/ipt/secret" 2>&1)
	c1=$(counters)
	case $a in
	*"Permission denied"*) pass "$1" ;;
	*) failc "$1" "user $UID1 read root's 0600 file: '$a'" ;;
	esac
	expect "$1-root" "$b open=$(ipt_d open) access=$(ipt_d access) bound=$(ipt_d bound)" \
		"secret open=0 access=0 bound=${2:-1}"
}

# check_ipt_forget: evicted inodes are forgotten, the daemon closes their
# registrations, and a new lookup binds again
check_ipt_forget() {
	local tries=10
	c0=$(counters)
	sync
	echo 2 >/proc/sys/vm/drop_caches
	# FORGETs are queued: wait for them
	while c1=$(counters) && [ "$(ipt_d forget)" -lt $IPT_N ] 2>/dev/null &&
		[ $tries -gt 0 ]; do
		tries=$((tries - 1))
		sleep 1
	done
	n=$(cat "$CTLDIR/$id/bound" 2>&1)
	if [ "$(ipt_d forget)" -ge $IPT_N ] && [ "$n" = 0 ]; then
		pass ipt-forget
	else
		failc ipt-forget "after drop_caches: forget=$(ipt_d forget), $CTLDIR/$id/bound '$n'"
	fi
	c0=$(counters)
	a=$(md5sum <"$M/ipt/f003")
	c1=$(counters)
	# LOOKUPs of ipt and f003: the directory was evicted too
	expect ipt-rebind "$a bound=$(ipt_d bound) open=$(ipt_d open) read=$(ipt_d read)" \
		"$(md5sum <"$L/ipt/f003") bound=1 open=0 read=0"
}

# -------------------------------------------------------------- pass 1c

# Hierarchical directories: the daemon binds directories with LOOKUP, and
# the kernel looks their regular files up by itself. Same files as 1b.
pass_hier() {
	local c0 c1 a b n id
	is_fusept || return 0
	ipt_lower
	ptd_mount hier-mount --inode-passthrough -o timeout=600 || return
	id=$(conn_id "$M")
	check_hier_read_stat
	check_hier_readdir
	check_hier_create
	check_hier_known
	check_hier_lower_change
	check_ipt_perm hier-perm 0
	check_hier_forget
	ptd_umount hier-umount
}

# check_hier_read_stat: cat and stat of every file sends one LOOKUP, the
# directory's, and nothing else; the files are bound all the same
check_hier_read_stat() {
	read_stat_all hier
	expect hier-no-requests \
		"lookup=$(ipt_d lookup) open=$(ipt_d open) release=$(ipt_d release) read=$(ipt_d read) getattr=$(ipt_d getattr) bound=$(ipt_d bound)" \
		"lookup=1 open=0 release=0 read=0 getattr=0 bound=1"
	check_ipt_sysfs_bound hier
}

# check_hier_readdir: the directory is listed from the lower one, names
# and inode numbers, without READDIR
check_hier_readdir() {
	c0=$(counters)
	a=$(ls -ai "$M/ipt" 2>&1 | md5sum)
	c1=$(counters)
	expect hier-readdir "$a readdir=$(ipt_d readdir)" \
		"$(ls -ai "$L/ipt" | md5sum) readdir=0"
}

# check_hier_create: a new name is not looked up by the daemon (the kernel
# finds it missing in the lower directory), CREATE reaches it
check_hier_create() {
	c0=$(counters)
	echo new >"$M/ipt/hnew"
	a=$(cat "$M/ipt/hnew" 2>&1)
	c1=$(counters)
	expect hier-create "$a $(cat "$L/ipt/hnew") lookup=$(ipt_d lookup) create=$(ipt_d create) open=$(ipt_d open)" \
		"new new lookup=0 create=1 open=1"
	c0=$(counters)
	a=$(cat "$M/ipt/no-such-file" 2>&1)
	c1=$(counters)
	case $a in
	*"No such file"*) expect hier-enoent "lookup=$(ipt_d lookup)" lookup=0 ;;
	*) failc hier-enoent "cat of a missing file: '$a'" ;;
	esac
}

# check_hier_known: chmod of a file the kernel made stays in the kernel
# (its directory's binding has SETATTR); what the daemon answers for it
# comes after a LOOKUP of its name, once: link, rename, unlink
check_hier_known() {
	c0=$(counters)
	chmod 640 "$M/ipt/f001"
	chmod 644 "$M/ipt/f001"
	a=$(stat -c %a "$M/ipt/f001")
	c1=$(counters)
	expect hier-chmod "$a $(stat -c %a "$L/ipt/f001") lookup=$(ipt_d lookup) setattr=$(ipt_d setattr)" \
		"644 644 lookup=0 setattr=0"
	c0=$(counters)
	ln "$M/ipt/f004" "$M/ipt/f004-link" &&
		mv "$M/ipt/f005" "$M/ipt/f005-moved" &&
		rm "$M/ipt/f006" >"$WORK/hier-ns.err" 2>&1 ||
		failc hier-namespace-ops "$(cat "$WORK/hier-ns.err")"
	c1=$(counters)
	expect hier-namespace \
		"$(stat -c %h "$L/ipt/f004") $(stat -c %h "$M/ipt/f004-link") $(ls "$L/ipt" | grep -c '^f00[456]') link=$(ipt_d link) rename=$(ipt_d rename) unlink=$(ipt_d unlink)" \
		"2 2 3 link=1 rename=1 unlink=1"
	expect hier-link-ino "$(stat -c %i "$M/ipt/f004-link")" \
		"$(stat -c %i "$M/ipt/f004")"
}

# check_hier_lower_change: names changed on the lower file system directly
# are seen at the next walk
check_hier_lower_change() {
	cat "$M/ipt/f010" "$M/ipt/f011" >/dev/null
	mv "$L/ipt/f010" "$L/ipt/f010-lower"
	rm "$L/ipt/f011"
	echo lower >"$L/ipt/f012-new"
	a=$(cat "$M/ipt/f010" 2>&1)
	b=$(cat "$M/ipt/f011" 2>&1)
	case $a$b in
	*"No such file"*"No such file"*) pass hier-lower-gone ;;
	*) failc hier-lower-gone "f010: '$(echo "$a" | head -c 80)' f011: '$(echo "$b" | head -c 80)'" ;;
	esac
	expect hier-lower-new "$(cat "$M/ipt/f012-new" 2>&1) $(cmp "$M/ipt/f010-lower" "$L/ipt/f010-lower" 2>&1)" \
		"lower "
}

# check_hier_forget: the kernel's own inodes need no FORGET; after
# drop_caches nothing is bound, and a new walk binds again
check_hier_forget() {
	local tries=10
	sync
	echo 2 >/proc/sys/vm/drop_caches
	while n=$(cat "$CTLDIR/$id/bound" 2>&1) && [ "$n" != 0 ] &&
		[ $tries -gt 0 ]; do
		tries=$((tries - 1))
		sleep 1
		echo 2 >/proc/sys/vm/drop_caches
	done
	expect hier-forget "$n" 0
	c0=$(counters)
	a=$(md5sum <"$M/ipt/f003")
	c1=$(counters)
	expect hier-rewalk "$a lookup=$(ipt_d lookup) open=$(ipt_d open) read=$(ipt_d read)" \
		"$(md5sum <"$L/ipt/f003") lookup=1 open=0 read=0"
}

# --------------------------------------------------------------- pass 2

pass_no_passthrough() {
	local c
	ptd_mount npd-mount --no-passthrough || return
	if grep -q 'passthrough off (--no-passthrough)' "$DLOG"; then
		pass npd-negotiate
	else
		failc npd-negotiate "$(grep 'passthrough' "$DLOG" | tail -1)"
	fi
	data_checks npd
	c=$(counters)
	if [ "$(field "$c" read)" -gt 0 ] 2>/dev/null &&
		[ "$(field "$c" write)" -gt 0 ] 2>/dev/null &&
		[ "$(field "$c" passthrough_open)" = 0 ]; then
		pass npd-counters
	else
		failc npd-counters "want READ and WRITE counted, no passthrough: $c"
	fi
	ptd_umount npd-umount
}

# --------------------------------------------------------------- pass 3

pass_threads() {
	local c
	ptd_mount mtd-mount -o threads || return
	if command -v fio >/dev/null; then
		ok mtd-fio-verify timeout $((180 * TSCALE)) fio --name=mt --directory="$M" \
			--ioengine=psync --rw=randrw --bs=4k --size=2m --numjobs=4 \
			--verify=crc32c --do_verify=1 --verify_fatal=1
	fi
	expect mtd-read "$(sum_of "$M/big")" "$(sum_of "$L/big")"
	c=$(counters)
	expect mtd-counters "read=$(field "$c" read) write=$(field "$c" write)" \
		"read=0 write=0"
	ptd_umount mtd-umount
}

# --------------------------------------------------------------- pass 4

# A second daemon whose lower directory is the first one's mount: whether
# its backing files are accepted depends on the stacking depths.
# upper_mount NAME ARGS...: mount $M on $M2 ($DPID2, counters in $ST2)
upper_mount() {
	local n=$1
	shift
	! is_mounted "$M2" || umount -l "$M2" 2>/dev/null
	mkdir -p "$M2"
	rm -f "$ST2"
	echo "### (upper) $PTD $*" >>"$DLOG2"
	fusept-mount -d "$DEV" -t "$FS" -o allow_other,default_permissions \
		"$M2" "$PTD" -f --stats "$ST2" "$@" "$M" >>"$DLOG2" 2>&1 &
	DPID2=$!
	if wait_mounted "$M2" 10 "$DPID2" && stat "$M2" >/dev/null; then
		pass "$n"
		return 0
	fi
	failc "$n" "did not mount: $(tail -3 "$DLOG2")"
	kill "$DPID2" 2>/dev/null
	return 1
}

upper_umount() {
	timeout 20 umount "$M2" 2>/dev/null || umount -l "$M2" 2>/dev/null
	wait_gone "$DPID2" 10 || kill -9 "$DPID2" 2>/dev/null
	wait "$DPID2" 2>/dev/null
}

pass_stacking() {
	local c n
	M2=$MNTROOT/ptd2
	ST2=$WORK/ptd-stats2
	DLOG2=$WORK/ptd-daemon2.log
	: >"$DLOG2"

	# lower daemon at depth 1 (max_stack_depth 1 on the wire): an upper
	# passthrough daemon (max_stack_depth 2) may stack on it
	ptd_mount stk-lower-depth1 -o stack_depth=0 || return
	if upper_mount stk-upper-mount; then
		expect stk-upper-read "$(sum_of "$M2/big")" "$(sum_of "$L/big")"
		cat "$R/src" >"$M2/stk-new"
		expect stk-upper-write "$(sum_of "$L/stk-new")" "$(sum_of "$R/src")"
		upper_umount
		c=$(cat "$ST2" 2>/dev/null)
		n=$(field "$c" passthrough_open)
		if [ "$(field "$c" read)" = 0 ] && [ "$(field "$c" write)" = 0 ] &&
			[ -n "$n" ] && [ "$n" -gt 0 ]; then
			pass stk-upper-passthrough
		else
			failc stk-upper-passthrough "upper daemon counters: $c"
		fi
	fi
	ptd_umount stk-lower-umount

	# lower daemon at depth 2 (the default): the upper daemon's backing
	# open fails (ELOOP), it falls back to FUSE I/O and logs that once
	: >"$DLOG2"
	ptd_mount stk-lower-depth2 || return
	if upper_mount stk-fallback-mount; then
		expect stk-fallback-read "$(sum_of "$M2/big")" "$(sum_of "$L/big")"
		cat "$R/src" >"$M2/stk-new2"
		expect stk-fallback-write "$(sum_of "$L/stk-new2")" "$(sum_of "$R/src")"
		expect stk-fallback-read-small "$(sum_of "$M2/s4097")" "$(sum_of "$L/s4097")"
		upper_umount
		c=$(cat "$ST2" 2>/dev/null)
		if [ "$(field "$c" read)" -gt 0 ] 2>/dev/null &&
			[ "$(field "$c" write)" -gt 0 ] 2>/dev/null &&
			[ "$(field "$c" passthrough_open)" = 0 ]; then
			pass stk-fallback-counters
		else
			failc stk-fallback-counters "upper daemon counters: $c"
		fi
		expect stk-fallback-logged-once \
			"$(grep -c 'passthrough open failed' "$DLOG2")" 1
	fi
	ptd_umount stk-lower-umount2
}

# ------------------------------------------------------------------ main

echo "pt-daemon: fs=$FS dev=$DEV kernel=$(uname -r) daemon=$PTD"
if ! command -v "$PTD" >/dev/null; then
	echo "FAIL pt-daemon: $PTD not found"
	echo "pt-daemon: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
load_modules || echo "# cannot load $MODULE"
mkdir -p "$WORK" "$MNTROOT"
: >"$DLOG"
ulimit -n 65536 2>/dev/null || ulimit -n 4096
umask 022
lower_init || { echo "FAIL pt-daemon: no lower tmpfs"; exit 1; }
make_lower

pass_passthrough
pass_inode_passthrough
pass_hier
pass_no_passthrough
pass_threads
pass_stacking

if [ "$NFAIL" != 0 ]; then
	echo "# daemon log (tail):"
	tail -n 30 "$DLOG" | sed 's/^/    | /'
	[ ! -s "$WORK/ptd-daemon2.log" ] ||
		tail -n 10 "$WORK/ptd-daemon2.log" | sed 's/^/    | /'
fi
counts_end pt-daemon
