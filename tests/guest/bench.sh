#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The passthrough benchmark (issues #4 and #11), inside the guest as root.
#
# Lower file system: ext4 on a brd ramdisk.  Configurations:
#   lower  the ext4 directory itself
#   nopt   fusept + fusept-passthrough --no-passthrough (plain FUSE I/O)
#   pt     fusept + fusept-passthrough (per-open passthrough)
#   ipt    fusept + fusept-passthrough --inode-passthrough (issue #11's
#          inode passthrough; skipped, "n/a" in the report, while the
#          daemon does not have that option)
#   kpt    the kernel's own FUSE (/dev/fuse) + the same daemon, passthrough
#          (only when the kernel has FUSE passthrough: 6.9+)
# Workloads:
#   seqread, seqwrite (fio, psync, 128 KiB blocks), randread, randwrite
#     (4 KiB), mmapread (fio mmap engine, 4 KiB random reads)
#   small-open  open+read+close of each of SMALL files of 4 KiB
#     (fusept-smallfiles read), in files/s
#   small-stat  stat() of each of the same files (fusept-smallfiles stat)
#   create      create+write+close of SMALL new files of 4 KiB
#     (fusept-smallfiles create), in files/s
#   tree        a made-up source tree of TREE files (fusept-smallfiles
#     tree, fixed seed, made once at setup and packed with tar in the
#     guest's tmpfs): tar -x of it and sync (tree-untar),
#     find -type f -print0 | xargs -0 cat (tree-cat), du -s (tree-du), grep -r
#     (tree-grep), rm -rf and sync (tree-rm), each in seconds, and their
#     sum (tree); caches are dropped between the steps, untimed
# Every job runs on a fresh mount (the FUSE configurations are unmounted
# and mounted again before each job, so the FUSE dentry and inode caches
# start empty) after "sync; echo 3 > drop_caches", so every job starts with
# a cold page, dentry and inode cache.  fio runs with --invalidate=0: its
# own fadvise(DONTNEED) would empty the lower file's cache for "lower" but
# only the FUSE inode's for the mounts; --fadvise_hint=0 likewise, as the
# hint would change the lower file's readahead only for "lower".  fio
# measures with clock_gettime, as the other workloads do, so that every
# number comes from the guest kernel's clock source (under make bench's
# default QEMU -icount, a clock that counts guest instructions).  Each
# repetition runs every configuration once, in a rotating order.
#
# Prints one line per job:
#   BENCH cfg=CFG wl=WORKLOAD rep=N value=V unit=U
# (U: KiB/s, IOPS, files/s or s), "BENCH-INFO ..." lines describing the
# run, and "BENCH-DONE" at the end.  tests/vm/bench-report.sh turns that
# into docs/benchmarks.md.
#
# Settings, from the kernel command line (fusept.bench_NAME=V) or the
# environment (BENCH_NAME=V): reps (3), runtime (3 s per fio job), mib
# (128, file size), small (10000 files), tree (5000 files), cfgs
# (lower,nopt,pt,ipt,kpt), wls (seqread,seqwrite,randread,randwrite,
# mmapread,small-open,small-stat,create,tree), clock (only reported:
# bench.sh on the host sets it to icount or wall).
#
# With fusept.bench_profile=1 no BENCH line is printed. For each
# configuration and each of randread, randwrite, small-open and
# small-stat in wls, a short job runs under the function_graph tracer:
# PROFILE_IOS (fusept.bench_profile_ios, 400) fio I/Os on a warm page
# cache, traced from vfs_read or vfs_write down, or small-open of
# PROFILE_IOS files on a cold cache, traced from openat, read and close
# (__fput) down, or small-stat of as many, traced from the path lookup
# (filename_lookup) and vfs_getattr down. The
# functions called are printed, most expensive first:
#   PROFILE cfg=CFG wl=WL fn=FUNCTION calls=C/io incl=NS/io
# (per I/O or file; incl: time inside the function on the guest's clock,
# under icount instructions; tracing adds a fixed cost to each call).
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
	NTREE=0
	CFGS=lower,pt
	WLS=seqread
else
	REPS=$(setting reps 3)
	RUNTIME=$(setting runtime 3)
	MIB=$(setting mib 128)
	NSMALL=$(setting small 10000)
	NTREE=$(setting tree 5000)
	CFGS=$(setting cfgs lower,nopt,pt,ipt,kpt)
	WLS=$(setting wls seqread,seqwrite,randread,randwrite,mmapread,small-open,small-stat,create,tree)
fi
CLOCK=$(setting clock unknown)
PROFILE=$(setting profile 0)
PROFILE_IOS=$(setting profile_ios 400)
CFGS=$(echo "$CFGS" | tr , ' ')
WLS=$(echo "$WLS" | tr , ' ')

B=$WORK/bench-lower   # the ext4 on /dev/ram0
M=$MNTROOT/bench      # the FUSE mount
DLOG=$WORK/bench-daemon.log
TAR=$WORK/bench-tree.tar  # the tree workload's tarball, on tmpfs
TREE_SEED=11
DPID=

note() { echo "BENCH-INFO $*"; }
die() {
	echo "FAIL bench: $*"
	[ ! -s "$DLOG" ] || tail -5 "$DLOG"
	exit 1
}

# has_wl WORKLOAD: WORKLOAD is one of those asked for
has_wl() {
	case " $WLS " in *" $1 "*) return 0 ;; esac
	return 1
}

# setup_lower: the ext4 on brd, its data files, the small files, and the
# tree's tarball. Space: the two fio files, 8 KiB (a block, an inode and
# directory entries) per small file for the small files and as much again
# for "create", 12 KiB per tree file (data averages 4.8 KiB), 256 MiB
# besides; an inode for each of them.
setup_lower() {
	local kib=$(((2 * MIB + 256) * 1024 + 16 * NSMALL + 12 * NTREE))
	local inodes=$((2 * NSMALL + 2 * NTREE + 16384)) out
	modprobe brd rd_nr=1 rd_size=$kib max_part=0 || die "modprobe brd failed"
	[ -b /dev/ram0 ] || die "no /dev/ram0"
	mkfs.ext4 -q -F -N "$inodes" \
		-E lazy_itable_init=0,lazy_journal_init=0 /dev/ram0 ||
		die "mkfs.ext4 /dev/ram0 failed"
	mkdir -p "$B" "$M"
	mount -t ext4 /dev/ram0 "$B" || die "cannot mount /dev/ram0"
	dd if=/dev/zero of="$B/rfile" bs=1M count="$MIB" conv=fsync 2>/dev/null &&
		dd if=/dev/zero of="$B/wfile" bs=1M count="$MIB" conv=fsync \
			2>/dev/null || die "cannot write the data files"
	if [ "$NSMALL" -gt 0 ]; then
		mkdir -p "$B/small"
		fusept-smallfiles create "$B/small" "$NSMALL" 4096 >/dev/null ||
			die "cannot create the small files"
	fi
	if [ "$NTREE" -gt 0 ] && has_wl tree; then
		rm -rf "$WORK/bench-tree" && mkdir -p "$WORK/bench-tree" &&
			out=$(fusept-smallfiles tree "$WORK/bench-tree" "$NTREE" \
				"$TREE_SEED") &&
			tar -C "$WORK/bench-tree" -cf "$TAR" src ||
			die "cannot make the tree's tarball"
		rm -rf "$WORK/bench-tree"
		TREE_NEEDLES=$(echo "$out" | sed -n 's/^needles //p')
		note "tree_files=$NTREE tree_seed=$TREE_SEED" \
			"tree_bytes=$(echo "$out" | sed -n 's/^bytes //p')" \
			"tree_needles=$TREE_NEEDLES tar_bytes=$(wc -c <"$TAR")"
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

# has_inode_pt: the reference daemon has issue #11's inode passthrough
has_inode_pt() {
	fusept-passthrough --help 2>&1 | grep -q -- --inode-passthrough
}

# mount_cfg CFG: mount $B on $M for CFG; sets DIR, the directory to use
mount_cfg() {
	local dev=/dev/fusept fs=fusept arg=
	DIR=$B
	case $1 in
	lower) return 0 ;;
	nopt) arg=--no-passthrough ;;
	ipt) arg=--inode-passthrough ;;
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
		--clocksource=clock_gettime \
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
	small-open | small-stat | create)
		case $1 in
		small-open) set -- read "$d/small" ;;
		small-stat) set -- stat "$d/small" ;;
		create) set -- create "$d/create" ;;
		esac
		[ "$1" != create ] || mkdir "$2" || return 1
		v=$(fusept-smallfiles "$@" "$NSMALL" 4096 |
			sed -n 's|^files/s ||p')
		u=files/s
		;;
	*) echo "unknown workload $1" >&2; return 1 ;;
	esac
	[ -n "$v" ] || return 1
	echo "$v $u"
}

# tree_job CFG REP DIR: the tree workload on DIR, one BENCH line per step
# and one for the total (the caller has dropped the caches)
tree_job() {
	local cfg=$1 rep=$2 t=$3/tree step t0 t1 n total=0
	mkdir "$t" || return 1
	for step in untar cat du grep rm; do
		[ "$step" = untar ] || drop_caches
		t0=$(fusept-smallfiles now)
		case $step in
		untar) tar -C "$t" -xf "$TAR" && sync ;;
		cat) (cd "$t" && find . -type f -print0 | xargs -0 cat >/dev/null) ;;
		du) du -s "$t" >/dev/null ;;
		grep) n=$(grep -rl fusept_needle "$t" | wc -l) ;;
		rm) rm -rf "$t" && sync ;;
		esac || { echo "tree: $step failed" >&2; return 1; }
		t1=$(fusept-smallfiles now)
		if [ "$step" = grep ] && [ "$n" != "$TREE_NEEDLES" ]; then
			echo "tree: grep found $n files, want $TREE_NEEDLES" >&2
			return 1
		fi
		t1=$(echo "$t0 $t1" | awk '{ printf "%.4f", $2 - $1 }')
		total=$(echo "$total $t1" | awk '{ printf "%.4f", $1 + $2 }')
		echo "BENCH cfg=$cfg wl=tree-$step rep=$rep value=$t1 unit=s"
	done
	echo "BENCH cfg=$cfg wl=tree rep=$rep value=$total unit=s"
}

# run_wl CFG REP WORKLOAD: one job on a fresh mount of CFG, cold caches,
# its BENCH line(s); then the files it made are removed (on the lower
# file system, untimed)
run_wl() {
	local cfg=$1 rep=$2 wl=$3 r
	mount_cfg "$cfg"
	drop_caches
	if [ "$wl" = tree ]; then
		tree_job "$cfg" "$rep" "$DIR" || die "$cfg $wl failed"
	else
		r=$(job "$wl" "$DIR") || die "$cfg $wl failed"
		echo "BENCH cfg=$cfg wl=$wl rep=$rep value=${r% *} unit=${r#* }"
	fi
	umount_cfg
	rm -rf "$B/create" "$B/tree"
}

# ------------------------------------------------------------- profile

T=/sys/kernel/tracing

# trace_on FN: function_graph from FN down, for the processes started by
# the process that writes its pid to set_ftrace_pid and its children
trace_on() {
	[ -e $T/trace ] || mount -t tracefs nodev $T 2>/dev/null ||
		die "no tracefs"
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	echo 32768 >$T/buffer_size_kb
	echo "$1" | tr ' ' '\n' >$T/set_graph_function || die "cannot trace $1"
	echo function_graph >$T/current_tracer || die "no function_graph tracer"
	for o in funcgraph-tail function-fork; do
		echo 1 >$T/options/$o 2>/dev/null
	done
	for o in funcgraph-irqs funcgraph-proc funcgraph-overhead; do
		echo 0 >$T/options/$o 2>/dev/null
	done
	: >$T/trace
}

trace_off() {
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	: >$T/set_graph_function
	: >$T/set_ftrace_pid
}

# trace_sum CFG WL ROOTS LEAF PER: the PROFILE lines of the trace, per I/O.
# A tree is one call of a function of ROOTS (a space-separated list); with
# LEAF, only the trees that reached LEAF count (fio's other reads and
# writes, of /proc say, are left out). PER: the number of I/Os, or 0: one
# per tree counted.
trace_sum() {
	awk -v cfg="$1" -v wl="$2" -v roots=" $3 " -v leaf="$4" -v per="$5" -F'|' '
		function flush(   i) {
			if (seen || leaf == "") {
				for (i = 1; i <= nb; i++) {
					calls[bn[i]]++; ns[bn[i]] += bd[i]
				}
				trees++
			}
			nb = 0; seen = 0
		}
		NF < 2 { next }
		{
			f = $2
			sub(/^ +/, "", f)
			d = ""
			if (match($1, /[0-9]+\.[0-9]+ us/))
				d = substr($1, RSTART, RLENGTH - 3)
			name = ""
			if (f ~ /^[A-Za-z_][A-Za-z_0-9.]*\(\);/) {
				name = f; sub(/\(.*/, "", name)
			} else if (f ~ /^} \/\* /) {
				name = f; sub(/^} \/\* /, "", name); sub(/ .*/, "", name)
			}
			if (name == "" || d == "")
				next
			bn[++nb] = name; bd[nb] = d * 1000
			if (name == leaf)
				seen = 1
			if (index(roots, " " name " ") && $2 !~ /^    /)
				flush()
		}
		END {
			n = per > 0 ? per : trees
			if (!n) { print "FAIL bench: nothing traced from" roots; exit }
			for (f in calls)
				printf "%d PROFILE cfg=%s wl=%s fn=%s calls=%.2f/io incl=%.0f/io\n",
					ns[f] / n, cfg, wl, f, calls[f] / n, ns[f] / n
		}' $T/trace | sort -k1,1nr | cut -d' ' -f2-
}

# traced CMD...: run CMD with the tracer on, for it and its children only
traced() {
	# shellcheck disable=SC2016 # $$ is the child shell's
	sh -c 'echo $$ >'$T'/set_ftrace_pid && echo 1 >'$T'/tracing_on &&
		exec "$@"' traced "$@"
	local rc=$?
	echo 0 >$T/tracing_on
	return $rc
}

# profile_wl CFG WL: one traced job on CFG's mount: PROFILE_IOS fio I/Os
# of randread or randwrite on a warm page cache, or small-open or
# small-stat of PROFILE_IOS files on a cold cache
profile_wl() {
	local rw roots leaf file per=0
	case $2 in
	randread) rw=randread roots=vfs_read leaf=ext4_file_read_iter file=rfile ;;
	randwrite) rw=randwrite roots=vfs_write leaf=ext4_file_write_iter file=wfile ;;
	small-open | small-stat)
		roots="do_sys_openat2 vfs_read __fput" leaf='' per=$PROFILE_IOS
		[ "$2" = small-open ] || roots="filename_lookup vfs_getattr"
		# twice: the first pass evicts the mount's inodes, whose lower
		# files (inode passthrough) held the lower dentries
		drop_caches
		drop_caches
		trace_on "$roots"
		traced fusept-smallfiles "$([ "$2" = small-open ] && echo read || echo stat)" \
			"$DIR/small" "$PROFILE_IOS" 4096 \
			>/dev/null || die "$1 $2: traced $2 failed"
		;;
	*) return 0 ;;
	esac
	if [ -z "$per" ] || [ "$per" = 0 ]; then
		# every page in the lower file system's cache: no block I/O
		cat "$B/$file" >/dev/null
		trace_on "$roots"
		traced fio --name=prof --minimal --ioengine=psync \
			--invalidate=0 --fadvise_hint=0 --size="${MIB}m" \
			--filename="$DIR/$file" --rw=$rw --bs=4k \
			--number_ios="$PROFILE_IOS" >/dev/null 2>&1 ||
			die "$1 $2: traced fio failed"
	fi
	trace_sum "$1" "$2" "$roots" "$leaf" $per | head -80
	trace_off
}

# profile: PROFILE lines for every configuration
profile() {
	local cfg wl
	for cfg in $1; do
		mount_cfg "$cfg"
		for wl in $WLS; do
			# untraced first: TCG translates the paths, slabs fill
			case $wl in
			randread | randwrite) RUNTIME=1 job "$wl" "$DIR" >/dev/null ||
				die "$cfg $wl failed" ;;
			small-open | small-stat) ;;
			*) continue ;;
			esac
			profile_wl "$cfg" "$wl"
		done
		umount_cfg
	done
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
		if [ "$cfg" = ipt ] && ! has_inode_pt; then
			note "skipped=ipt reason=not-implemented"
			continue
		fi
		cfgs="$cfgs $cfg"
	done
	note "kernel=$(uname -r) nproc=$(nproc) mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
	note "clock=$CLOCK clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
	note "reps=$REPS runtime=$RUNTIME mib=$MIB small=$NSMALL tree=$NTREE cfgs=$(echo $cfgs | tr ' ' ,) wls=$(echo $WLS | tr ' ' ,)"
	note "fio=$(fio --version) lower=ext4-on-brd"
	setup_lower
	note "setup_seconds=$(($(date +%s) - t0)) ram0_read_ahead_kb=$(cat /sys/block/ram0/queue/read_ahead_kb 2>/dev/null)"
	if [ "$PROFILE" = 1 ]; then
		profile "$cfgs"
		echo BENCH-DONE
		return
	fi
	# warm-up round, discarded: TCG translates the code paths once (in
	# wall-clock mode that time would be measured; under icount it is not,
	# but the first run still fills the kernel's slab caches)
	for cfg in $cfgs; do
		mount_cfg "$cfg"
		for wl in $WLS; do
			case $wl in seqread | seqwrite | randread | randwrite | mmapread) ;;
			*) continue ;;
			esac
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
			for wl in $WLS; do
				run_wl "$cfg" "$rep" "$wl"
			done
		done
		rep=$((rep + 1))
	done
	note "seconds=$(($(date +%s) - t0))"
	umount "$B"
	rm -f "$TAR"
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
