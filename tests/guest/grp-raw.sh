# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): the mount options and
# the wire protocol spoken by hand.  mountopt: mount(2) with exact option
# strings (fusept-rawmount); raw-devtest and raw-lie: fusept-rawd's own
# checks of the device's read, write and poll rules and of malformed
# replies, each printing its PASS/FAIL lines.

# group         timeout (s)
register_group mountopt 120
register_group raw-devtest 120
register_group raw-lie 300

BASEOPT='fd=%FD%,rootmode=40000,user_id=0,group_id=0'

# mo NAME WANT OPTIONS [rawmount options]: mount must give errno WANT
mo() {
	local n=$1 want=$2 opts=$3 got
	shift 3
	got=$(fusept-rawmount -d "$DEV" -t "$FS" "$@" "$M" "$opts" 2>&1)
	expect "mountopt-$n" "$got" "$want"
	if is_mounted "$M"; then
		umount -l "$M"
		failc "mountopt-$n-leftover" "mount left behind"
	fi
}

test_mountopt() {
	M=$(mnt opt)
	: >"$WORK/regular-file"
	mo valid OK "$BASEOPT"
	mo valid-extra OK \
		"$BASEOPT,default_permissions,allow_other,max_read=65536"
	mo missing-fd EINVAL 'rootmode=40000,user_id=0,group_id=0'
	mo missing-rootmode EINVAL 'fd=%FD%,user_id=0,group_id=0'
	mo missing-user_id EINVAL 'fd=%FD%,rootmode=40000,group_id=0'
	mo missing-group_id EINVAL 'fd=%FD%,rootmode=40000,user_id=0'
	mo empty EINVAL ''
	mo null-data EINVAL -
	mo fd-devnull EINVAL "$BASEOPT" -d /dev/null
	mo fd-regular-file EINVAL "$BASEOPT" -d "$WORK/regular-file"
	got=$(fusept-rawmount -d "$DEV" -t "$FS" "$M" \
		'fd=1000,rootmode=40000,user_id=0,group_id=0' 2>&1)
	expect_one mountopt-fd-not-open "$got" EINVAL EBADF
	mo fd-garbage EINVAL 'fd=abc,rootmode=40000,user_id=0,group_id=0'
	mo rootmode-garbage EINVAL \
		'fd=%FD%,rootmode=99999999,user_id=0,group_id=0'
	mo user_id-garbage EINVAL 'fd=%FD%,rootmode=40000,user_id=abc,group_id=0'
	mo group_id-garbage EINVAL 'fd=%FD%,rootmode=40000,user_id=0,group_id=x'
	mo unknown EINVAL "$BASEOPT,bogus_option=1"
	mo unknown-flag EINVAL "$BASEOPT,bogus"
}

# raw_group MODE SECS: fusept-rawd prints its own PASS/FAIL lines
raw_group() {
	local m rc
	m=$(mnt "raw$1")
	timeout -k 2 "$2" fusept-rawd -d "$DEV" -t "$FS" "$1" "$m" \
		>"$RES/raw.out" 2>"$RES/raw.err"
	rc=$?
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/raw.out" >>"$SUB"
	[ $rc -le 1 ] || fatal "fusept-rawd $1 exit status $rc:" \
		"$(tail -3 "$RES/raw.err" | tr '\n' ' ')"
	grep -q . "$SUB" || fatal "fusept-rawd $1 printed no result"
}

test_raw_devtest() { raw_group devtest 100; }
test_raw_lie() { raw_group lie 280; }
