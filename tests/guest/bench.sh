#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The passthrough benchmark (issue #4), inside the guest as root.
#
# Lower file system: ext4 on a brd ramdisk.  Configurations:
#   lower  the ext4 directory itself
#   nopt   fusept + fusept-passthrough --no-passthrough (plain FUSE I/O)
#   pt     fusept + fusept-passthrough (passthrough)
#   kpt    the kernel's own FUSE (/dev/fuse) + the same daemon, passthrough
#          (only when the kernel has FUSE passthrough: 6.9+)
# Workloads (fio, psync): seqread, seqwrite (128 KiB blocks), randread,
# randwrite (4 KiB), mmapread (fio mmap engine, 4 KiB random reads), and
# small (fusept-smallfiles: open, read, close of COUNT files of 4 KiB).
# Caches are dropped before each job (fio runs with --invalidate=0: its own
# fadvise(DONTNEED) would empty the lower file's cache for "lower" but only
# the FUSE inode's for the mounts; --fadvise_hint=0 likewise, as the hint
# would change the lower file's readahead only for "lower"); each
# repetition mounts every configuration once, in a rotating order, and runs
# every workload on it.
#
# Prints one line per job:
#   BENCH cfg=CFG wl=WORKLOAD rep=N value=V unit=U
# (U: KiB/s, IOPS or files/s), "BENCH-INFO ..." lines describing the run,
# and "BENCH-DONE" at the end.  tests/vm/bench-report.sh turns that into
# docs/benchmarks.md.
#
# Settings, from the kernel command line (fusept.bench_NAME=V) or the
# environment (BENCH_NAME=V): reps (3), runtime (3 s per fio job), mib
# (128, file size), small (10000 files), cfgs (lower,nopt,pt,kpt),
# wls (seqread,seqwrite,randread,randwrite,mmapread,small).
#
# bench.sh --demo: a quick sequential read of the lower file system and of a
# passthrough mount, three times each, ending in "passthrough/lower = R".

TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"

setting() { # setting NAME DEFAULT
	local v
	v=$(eval echo "\${BENCH_$1:-}")
	[ -n "$v" ] || v=$(cmdline_arg "fusept.bench_$1") || v=$2
	echo "$v"
}

DEMO=0
[ "${1:-}" = --demo ] && DEMO=1
if [ $DEMO = 1 ]; then
	REPS=3
	RUNTIME=2
	MIB=64
	NSMALL=0
	CFGS=lower,pt
	WLS=seqread
else
	REPS=$(setting reps 3)
	RUNTIME=$(setting runtime 3)
	MIB=$(setting mib 128)
	NSMALL=$(setting small 10000)
	CFGS=$(setting cfgs lower,nopt,pt,kpt)
	WLS=$(setting wls seqread,seqwrite,randread,randwrite,mmapread,small)
fi
CFGS=$(echo "$CFGS" | tr , ' ')
WLS=$(echo "$WLS" | tr , ' ')

B=$WORK/bench-lower   # the ext4 on /dev/ram0
M=$MNTROOT/bench      # the FUSE mount
DLOG=$WORK/bench-daemon.log
DPID=

note() { echo "BENCH-INFO $*"; }
die() {
	echo "FAIL bench: $*"
	[ ! -s "$DLOG" ] || tail -5 "$DLOG"
	exit 1
}

setup_lower() {
	local kib=$(((2 * MIB + 256) * 1024))
	modprobe brd rd_nr=1 rd_size=$kib max_part=0 || die "modprobe brd failed"
	[ -b /dev/ram0 ] || die "no /dev/ram0"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/ram0 ||
		die "mkfs.ext4 /dev/ram0 failed"
	mkdir -p "$B" "$M"
	mount -t ext4 /dev/ram0 "$B" || die "cannot mount /dev/ram0"
	dd if=/dev/zero of="$B/rfile" bs=1M count="$MIB" conv=fsync 2>/dev/null &&
		dd if=/dev/zero of="$B/wfile" bs=1M count="$MIB" conv=fsync \
			2>/dev/null || die "cannot write the data files"
	if [ "$NSMALL" -gt 0 ]; then
		mkdir -p "$B/small"
		fusept-smallfiles create "$B/small" "$NSMALL" 4096 ||
			die "cannot create the small files"
	fi
	sync
	chmod -R a+rwX "$B"
}

# has_kernel_pt: the kernel's own FUSE is there and can do passthrough (6.9+)
has_kernel_pt() {
	local v
	grep -qw fuse /proc/filesystems || modprobe fuse 2>/dev/null ||
		return 1
	v=$(uname -r | cut -d- -f1 | cut -d+ -f1)
	[ "${v%%.*}" -gt 6 ] ||
		{ [ "${v%%.*}" = 6 ] && [ "$(echo "$v" | cut -d. -f2)" -ge 9 ]; }
}

# mount_cfg CFG: mount $B on $M for CFG; sets DIR, the directory to use
mount_cfg() {
	local dev=/dev/fusept fs=fusept arg=
	DIR=$B
	case $1 in
	lower) return 0 ;;
	nopt) arg=--no-passthrough ;;
	kpt) dev=/dev/fuse fs=fuse ;;
	esac
	echo "### $1" >>"$DLOG"
	# shellcheck disable=SC2086
	fusept-mount -d "$dev" -t "$fs" -o allow_other,default_permissions \
		"$M" fusept-passthrough -f $arg "$B" >>"$DLOG" 2>&1 &
	DPID=$!
	wait_mounted "$M" 10 "$DPID" && stat "$M" >/dev/null ||
		die "$1: the daemon did not mount"
	case $1 in
	nopt) grep -q 'passthrough off' "$DLOG" ;;
	*) [ "$(grep 'passthrough o' "$DLOG" | tail -1 |
		grep -c 'passthrough on')" = 1 ] ;;
	esac || die "$1: unexpected passthrough state: $(grep passthrough "$DLOG" | tail -1)"
	DIR=$M
}

umount_cfg() {
	[ -n "$DPID" ] || return 0
	timeout 30 umount "$M" || die "umount $M failed"
	wait_gone "$DPID" 10 || kill -9 "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# run_fio NAME DIR FIELD ARGS...: one fio job, prints field FIELD of its
# terse output (7: read KiB/s, 8: read IOPS, 48: write KiB/s, 49: write IOPS)
run_fio() {
	local name=$1 dir=$2 field=$3 out
	shift 3
	out=$(fio --name="$name" --minimal --ioengine=psync --time_based \
		--invalidate=0 --fadvise_hint=0 --runtime="$RUNTIME" \
		--size="${MIB}m" "$@" 2>"$WORK/fio.err") ||
		{ echo "fio failed: $(tail -2 "$WORK/fio.err")" >&2; return 1; }
	echo "$out" | tail -1 | cut -d';' -f"$field"
}

# job WORKLOAD DIR: run one workload on DIR, print "VALUE UNIT"
job() {
	local d=$2 v u=IOPS
	case $1 in
	seqread) v=$(run_fio sr "$d" 7 --filename="$d/rfile" --rw=read --bs=128k) u=KiB/s ;;
	seqwrite) v=$(run_fio sw "$d" 48 --filename="$d/wfile" --rw=write \
		--bs=128k --end_fsync=1) u=KiB/s ;;
	randread) v=$(run_fio rr "$d" 8 --filename="$d/rfile" --rw=randread --bs=4k) ;;
	randwrite) v=$(run_fio rw "$d" 49 --filename="$d/wfile" --rw=randwrite \
		--bs=4k --end_fsync=1) ;;
	mmapread) v=$(run_fio mr "$d" 8 --filename="$d/rfile" --rw=randread \
		--bs=4k --ioengine=mmap) ;;
	small)
		v=$(fusept-smallfiles read "$d/small" "$NSMALL" 4096 |
			sed -n 's|^files/s ||p')
		u=files/s
		;;
	*) echo "unknown workload $1" >&2; return 1 ;;
	esac
	[ -n "$v" ] || return 1
	echo "$v $u"
}

# rotate N WORDS...: the words rotated left by N
rotate() {
	local n=$1 i
	shift
	i=0
	while [ $i -lt $((n % $#)) ]; do
		set -- "$@" "$1"
		shift
		i=$((i + 1))
	done
	echo "$@"
}

main() {
	local cfgs cfg rep wl r t0
	t0=$(date +%s)
	load_modules || die "cannot load fusept"
	ulimit -n 65536 2>/dev/null
	mkdir -p "$WORK" "$MNTROOT"
	: >"$DLOG"
	cfgs=
	for cfg in $CFGS; do
		if [ "$cfg" = kpt ] && ! has_kernel_pt; then
			note "skipped=kpt reason=no-kernel-fuse-passthrough"
			continue
		fi
		cfgs="$cfgs $cfg"
	done
	note "kernel=$(uname -r) nproc=$(nproc) mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
	note "reps=$REPS runtime=$RUNTIME mib=$MIB small=$NSMALL cfgs=$(echo $cfgs | tr ' ' ,) wls=$(echo $WLS | tr ' ' ,)"
	note "fio=$(fio --version) lower=ext4-on-brd"
	setup_lower
	note "setup_seconds=$(($(date +%s) - t0)) ram0_read_ahead_kb=$(cat /sys/block/ram0/queue/read_ahead_kb 2>/dev/null)"
	# warm-up round, discarded: TCG translates the code paths once
	for cfg in $cfgs; do
		mount_cfg "$cfg"
		for wl in $WLS; do
			[ "$wl" != small ] || continue
			drop_caches
			r=$(RUNTIME=1 job "$wl" "$DIR") || die "$cfg $wl failed"
		done
		umount_cfg
	done
	note "warmup_seconds=$(($(date +%s) - t0))"
	rep=1
	while [ $rep -le "$REPS" ]; do
		# shellcheck disable=SC2086
		for cfg in $(rotate $((rep - 1)) $cfgs); do
			mount_cfg "$cfg"
			for wl in $WLS; do
				drop_caches
				r=$(job "$wl" "$DIR") || die "$cfg $wl failed"
				echo "BENCH cfg=$cfg wl=$wl rep=$rep value=${r% *} unit=${r#* }"
			done
			umount_cfg
		done
		rep=$((rep + 1))
	done
	note "seconds=$(($(date +%s) - t0))"
	umount "$B"
	rmmod brd 2>/dev/null
	echo BENCH-DONE
}

# demo: print the median ratio of pt to lower for the sequential read
demo_ratio() {
	local out
	out=$(main) || { echo "$out"; return 1; }
	echo "$out" | grep '^BENCH '
	echo "$out" | awk '
		/^BENCH / {
			split($2, c, "="); split($5, v, "=")
			n[c[2]]++; x[c[2], n[c[2]]] = v[2]
		}
		function med(k,   i, j, t, m) {
			m = n[k]
			for (i = 1; i <= m; i++)
				for (j = i + 1; j <= m; j++)
					if (x[k, j] < x[k, i]) {
						t = x[k, i]; x[k, i] = x[k, j]; x[k, j] = t
					}
			return m % 2 ? x[k, (m + 1) / 2] : (x[k, m / 2] + x[k, m / 2 + 1]) / 2
		}
		END {
			if (!n["lower"] || !n["pt"]) exit 1
			l = med("lower"); p = med("pt")
			printf "sequential read, median of %d: lower %.0f MiB/s, passthrough %.0f MiB/s\n", n["pt"], l / 1024, p / 1024
			printf "passthrough/lower = %.2f\n", p / l
		}'
}

if [ $DEMO = 1 ]; then
	demo_ratio
else
	main
fi
