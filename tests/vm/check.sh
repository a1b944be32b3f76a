#!/bin/bash
# The VM test matrix behind `make check` (and `make demo`).
# For each selected kernel: prepare its suite (chroot, or the host for
# bookworm), fetch the Debian kernel image, build fusept.ko with DKMS, make
# the initramfs, boot it in QEMU and judge the console log. Beside the
# guests: the plain kbuild build of each kernel (kbuild-check.sh) and the
# package lane "pkg" (pkg-test.sh: make deb, installed into a fresh
# Debian system booted with systemd), and the Android lane "gki"
# (gki-check.sh: arm64 cross builds, the GKI symbol check).
# The last line printed is "N passed, M failed"; the exit status is non-zero
# when M > 0.
#
# Env: KERNELS        kernels to run, by version prefix (default
#                     "5.10 6.1 6.12 7 debug pkg gki arm64"; debug: the
#                     debug kernel; pkg: the package lane; gki: the
#                     Android lane; arm64: trixie's arm64 kernels, 4 and
#                     16 KiB pages, arm64-16k the latter alone)
#      FUSEPT_CACHE   cache directory (default /var/cache/fusept)
#      FUSEPT_RESULTS results directory (default $FUSEPT_CACHE/results)
#      FUSEPT_TIMEOUT per-boot timeout in seconds (default 2700)
#      FUSEPT_APPEND  extra kernel command line
#      FUSEPT_DEBUG_ONLY  groups (fusept.only= regex) make check runs on
#                     the debug kernel (default below)
#      FUSEPT_DEBUG_FULL=1  the whole guest suite on the debug kernel
#                     (make check-debug), not the FUSEPT_DEBUG_ONLY groups
#      FUSEPT_DEBUG_MEM, FUSEPT_DEBUG_TIMEOUT  memory and boot timeout of
#                     the debug kernel's guest (default 3G, 3600 s)
#      FUSEPT_ARM64_ONLY  groups make check runs on the arm64 kernels
#      FUSEPT_SCRIPT  guest script, tests/guest/SCRIPT.sh (default run;
#                     make fuzz: fuzz)
#      FUSEPT_RESULT_TAG  prefix of the per-kernel results directory
#                     (make fuzz: "fuzz-", results in $FUSEPT_RESULTS/fuzz-KVER)
#      FUSEPT_JOBS    jobs at a time (default 2; the demo: 1): the
#                     guests, the package lane and the kbuild checks.
#                     Everything before them (suites, images, DKMS
#                     builds, initramfs) runs one kernel after the other.
# Usage: check.sh [--demo]   (--demo: host kernel only, run demo.sh, live)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

MODE=check
SCRIPT=${FUSEPT_SCRIPT:-run}
if [ "${1:-}" = --demo ]; then
	MODE=demo
	SCRIPT=demo
	KERNELS=${DEMO_KERNEL:-6.1}
	export FUSEPT_LIVE=1
fi
KERNELS=${KERNELS:-5.10 6.1 6.12 7 debug pkg gki arm64}
# What `make check` runs on the debug kernel: most groups there are two to
# twenty times slower than on a Debian kernel (pt-daemon 112 s instead of
# 72 s, pt-readdir 365 s instead of 17 s), so only the groups that take
# seconds elsewhere (and pt-setup, which kill and kill-lazy need), the
# reliability cases, fault injection, a shorter fuzz run (6 rounds),
# rw-stress with 5 s runs and pt-daemon (fusept stacked on fusept:
# lockdep's sb_writers classes), none of the long read-write groups; make
# check-debug runs the whole suite. The read-write knobs below shorten
# the rw-* groups; kmemleak scans once, at the end, not after every group
# (about 15-25 s a scan, 350 s in all).
DEBUG_ONLY=${FUSEPT_DEBUG_ONLY:-'^(selftest|hello|helper|pt-setup|rw-smoke|rw-stress|pt-daemon|ptioctl|pt-raw|ipt-raw|kill|abort|umount-hung|mountopt|raw-|reliab|locks|poll|store|fault-inject|fuzz|rmmod|dmesg-clean)'}
DEBUG_CHECK_APPEND="fusept.fsx_ops=5000 fusept.rw_runs=passthrough_ll:dp fusept.stress_secs=5 fusept.reliab_rounds=5 fusept.fuzz_rounds=6 fusept.kmemleak=end"
# The debug kernel's command line: group timeouts four times longer. It
# does not zero allocations (init_on_alloc), as Debian's kernels do: that
# is how it found fusept_inode fields left uninitialised. no5lvl:
# 4-level paging (TCG's -cpu max offers 5-level). With the function
# tracer in it, 5 of 8 boots of this kernel with 5-level paging panicked
# 3 s in, before init ("KASAN: wild-memory-access in do_raw_spin_lock"
# from handle_edge_irq, an interrupt during the CPU setup); none of 16
# with no5lvl did.
DEBUG_APPEND="fusept.timeout_scale=4 no5lvl"
# What `make check` runs on the arm64 kernels (4 and 16 KiB pages): under
# TCG an arm64 guest on this x86_64 host runs N times slower than an
# x86_64 one, so not the whole suite: module loading and the libfuse
# examples, passthrough (setup, lookup, read, the ioctls, AIO, a killed
# daemon with the file mapped), POSIX behaviour with one daemon, fsx, the
# raw daemon of both passthrough UAPIs (pt-raw: Android's
# PASSTHROUGH_OPEN, with both INIT encodings), a killed daemon, abort,
# hung umounts, the raw protocol checks and rmmod. fsx: 10,000 operations
# instead of 50,000 (with 50,000, rw-fsx took 454 s on the 4 KiB kernel,
# 344 s of it in fsx's drop_caches). page_kb: the page size the module
# group checks the kernel runs with.
ARM64_ONLY=${FUSEPT_ARM64_ONLY:-'^(selftest|module|hello|helper|pt-setup|pt-lookup|pt-read|pt-aio|pt-kill-mapped|ptioctl|rw-smoke|rw-posix|rw-fsx|pt-raw|kill|kill-lazy|abort|killable|umount-hung|raw-devtest|rmmod|dmesg-clean)$'}
ARM64_APPEND="fusept.rw_runs=passthrough_ll:dp fusept.fsx_ops=10000"
declare -A ARM64_PAGE_KB=([arm64]=4 [arm64-16k]=16)
# The randomised groups in make check: each guest gets seeds of its own
# for fsx (fusept.fsx_seed) and the fuzzer (fusept.fuzz_seed; round R
# has seed S+R), and each Debian kernel a share of the budget: 6 fuzz
# rounds and 30,000 fsx operations, where each ran 12 rounds and 50,000
# operations with the same seeds before. The four kernels now run fuzz
# seeds 1-24 once each instead of 1-12 four times, and take about 90 s
# less each (issue #12: make check over 45 minutes). A seed set in
# FUSEPT_APPEND wins: it comes first on the command line.
declare -A CHECK_SEED=([5.10]=1 [6.1]=7 [6.12]=13 [7]=19 [debug]=25 \
	[arm64]=31 [arm64-16k]=37)
CHECK_BUDGET="fusept.fuzz_rounds=6 fusept.fsx_ops=30000"
ARM64_GUEST=
TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()
GUEST=

# debootstrap the missing chroots, in parallel.
setup_chroots() {
	local suite pids=() rc=0 pid
	for suite in "$@"; do
		"$VM_DIR/setup-chroot.sh" "$suite" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	return $rc
}

record() { # record KVER PASSED FAILED [NOTE]
	TOTAL_PASSED=$((TOTAL_PASSED + $2))
	TOTAL_FAILED=$((TOTAL_FAILED + $3))
	SUMMARY+=("kernel $1: $2 passed, $3 failed${4:+ ($4)}")
	echo "kernel $1: $2 passed, $3 failed${4:+ ($4)}"
}

# The jobs of boot_all, filled by prepare_kernel: JOB_KIND is "guest"
# (boot a kernel's guest), "pkg" (the package lane), "gki" (the Android
# lane) or "kbuild" (the kbuild checks of KBUILD_LIST); JOB_KVER names
# the results directory;
# for a guest, JOB_VARS: "VAR=value ..." for env(1), JOB_APPEND: its
# FUSEPT_APPEND
JOB_KIND=()
JOB_KVER=()
JOB_VARS=()
JOB_APPEND=()
# "SUITE KVER" of each kernel whose kbuild build is to be checked
KBUILD_LIST=()

add_job() { # add_job KIND KVER [VARS [APPEND]] (a guest's VARS, APPEND)
	JOB_KIND+=("$1")
	JOB_KVER+=("$2")
	JOB_VARS+=("${3:-}")
	JOB_APPEND+=("${4:-}")
}

# prepare_kernel KEY SUITE TOKENS: everything up to the boot for one
# kernel (a failure is recorded at once), then a guest in the JOB_ lists
prepare_kernel() {
	local key=$1 suite=$2 tokens=$3 kver res tok extra
	log "kernel $key ($suite)"
	if [ "$key" = "$DEBUG_KEY" ]; then
		prepare_debug_kernel
		return
	elif grep -qw -- "$key" <<<"$ARM64_KEYS"; then
		prepare_arm64_kernel "$key" "$suite"
		return
	elif [ "$key" = "$PKG_KEY" ] || [ "$key" = "$GKI_KEY" ]; then
		add_job "$key" "$key"
		return
	fi
	kver=$(timed "prepare $suite" "$VM_DIR/prepare-suite.sh" "$suite") ||
		{ record "$key" 0 1 "suite $suite unavailable"; return; }
	for tok in $tokens; do
		if kver_matches "$key" "$tok" && [ "$tok" != "$key" ] &&
			! kver_matches "$tok" "$kver"; then
			record "$tok" 0 1 "not available, $suite has $kver"
			return
		fi
	done
	res=$FUSEPT_RESULTS/${FUSEPT_RESULT_TAG:-}$kver
	mkdir -p "$res"
	timed "kernel image $kver" "$VM_DIR/fetch-kernel.sh" "$suite" "$kver" >/dev/null ||
		{ record "$kver" 0 1 "kernel image download failed"; return; }
	extra=$(check_seeds "$key")
	build_guest "$suite" "$kver" "" \
		"${FUSEPT_APPEND:-} ${extra:+$extra $CHECK_BUDGET}"
}

# prepare_debug_kernel: the debug kernel is built, not fetched; its guest
# gets more memory and time, DEBUG_APPEND, and on `make check` only the
# DEBUG_ONLY groups, shortened by DEBUG_CHECK_APPEND
prepare_debug_kernel() {
	local kver append="$DEBUG_APPEND $DEBUG_CHECK_APPEND fusept.only=$DEBUG_ONLY"
	kver=$(timed "debug kernel build" "$VM_DIR/build-debug-kernel.sh") ||
		{ record "$DEBUG_KEY" 0 1 "debug kernel build failed"; return; }
	[ "${FUSEPT_DEBUG_FULL:-0}" != 1 ] || append=$DEBUG_APPEND
	mkdir -p "$FUSEPT_RESULTS/$kver"
	build_guest "$GUEST_SUITE" "$kver" \
		"FUSEPT_MEM=${FUSEPT_DEBUG_MEM:-3G} FUSEPT_TIMEOUT=${FUSEPT_DEBUG_TIMEOUT:-3600}" \
		"$append ${FUSEPT_APPEND:-} $(check_seeds "$DEBUG_KEY")"
}

# prepare_arm64_kernel FLAVOUR SUITE: an arm64 guest. fusept.ko is
# cross-built with kbuild (cross-build.sh; DKMS builds for the running
# kernel's architecture), the userland too (build-guest.sh arm64, once for
# both flavours); the ARM64_ONLY groups, shortened by ARM64_APPEND.
prepare_arm64_kernel() {
	local flavour=$1 suite=$2 kver res append
	kver=$(headers_kver "$suite")
	kver=${kver%-amd64}-$flavour
	res=$FUSEPT_RESULTS/${FUSEPT_RESULT_TAG:-}$kver
	mkdir -p "$res"
	rm -f "$res/host.log"
	timed "cross build $kver" quietly "$res/cross-build.log" \
		"$VM_DIR/cross-build.sh" "$flavour" "$res" ||
		{ record "$kver" 0 1 "cross build failed ($res/cross-build.log)"; return; }
	host_result "$res/host.log" "" "cross-build-$flavour" ok "gcc, kbuild"
	timed "kernel image $kver" "$VM_DIR/fetch-kernel.sh" "$suite" "$kver" >/dev/null ||
		{ record "$kver" 0 1 "kernel image download failed"; return; }
	if [ -z "$ARM64_GUEST" ]; then
		ARM64_GUEST=$(timed "arm64 guest userland" "$VM_DIR/build-guest.sh" arm64) ||
			ARM64_GUEST=none
	fi
	[ "$ARM64_GUEST" != none ] || { record "$kver" 0 1 "no arm64 guest userland"; return; }
	build_selftest "$suite" "$kver" "$res"
	timed "initramfs $kver" "$VM_DIR/mkinitrd.sh" "$kver" "$res/fusept.ko" \
		"$ARM64_GUEST" "$res/initrd.img" "$res/fusept-selftest.ko" ||
		{ record "$kver" 0 1 "initramfs failed"; return; }
	append="$ARM64_APPEND fusept.page_kb=${ARM64_PAGE_KB[$flavour]}"
	[ "$MODE" = demo ] || append="$append fusept.only=$ARM64_ONLY"
	add_job guest "$kver" "" \
		"$append ${FUSEPT_APPEND:-} $(check_seeds "$flavour")"
}

# check_seeds KEY: the seed knobs of KEY's guest in make check (none for
# the demo or another guest script)
check_seeds() {
	local s=${CHECK_SEED[$1]:-1}
	[ "$MODE" = check ] && [ "$SCRIPT" = run ] || return 0
	echo "fusept.fuzz_seed=$s fusept.fsx_seed=$s"
}

# quietly LOG CMD...: CMD with its output in LOG
quietly() {
	local out=$1
	shift
	"$@" >"$out" 2>&1
}

# build_selftest SUITE KVER RES: RES/fusept-selftest.ko for the guest's
# selftest group (not for the demo); without it that group fails
build_selftest() {
	[ "$MODE" != demo ] || return 0
	timed "selftest build $2" "$VM_DIR/build-selftest.sh" "$@" ||
		warn "no fusept-selftest.ko for $2: its selftest group fails"
}

# build_guest SUITE KVER ENV [APPEND]: build fusept for KVER with DKMS in
# SUITE, make the initramfs, add the guest to the JOB_ lists
build_guest() {
	local suite=$1 kver=$2 res=$FUSEPT_RESULTS/$2
	timed "dkms build $kver" "$VM_DIR/build-module.sh" "$suite" "$kver" "$res" ||
		{ record "$kver" 0 1 "build failed"; return; }
	rm -f "$res/host.log"
	[ "$MODE" = demo ] || KBUILD_LIST+=("$suite $kver")
	if [ -z "$GUEST" ]; then
		record "$kver" 0 1 "no guest userland"
		return
	fi
	build_selftest "$suite" "$kver" "$res"
	timed "initramfs $kver" "$VM_DIR/mkinitrd.sh" "$kver" "$res/fusept.ko" \
		"$GUEST" "$res/initrd.img" "$res/fusept-selftest.ko" ||
		{ record "$kver" 0 1 "initramfs failed"; return; }
	add_job guest "$kver" "$3" "${4-${FUSEPT_APPEND:-}}"
}

# run_job I: run the I-th job (a guest's console log in its results)
run_job() {
	local kver=${JOB_KVER[$1]} res=$FUSEPT_RESULTS/${JOB_KVER[$1]} ent
	case ${JOB_KIND[$1]} in
	pkg)
		log "package lane (results: $res)"
		timed "package lane" "$VM_DIR/pkg-test.sh" "$res" || true
		;;
	gki)
		log "Android lane (results: $res)"
		timed "Android lane" "$VM_DIR/gki-check.sh" "$res" || true
		;;
	kbuild)
		# niced: it fills the cores the guests leave idle
		for ent in "${KBUILD_LIST[@]}"; do
			# shellcheck disable=SC2086
			set -- $ent
			timed "kbuild checks $2" nice -n 10 "$VM_DIR/kbuild-check.sh" \
				"$1" "$2" "$FUSEPT_RESULTS/$2" || true
		done
		;;
	*)
		log "booting $kver (console: $res/console.log)"
		# shellcheck disable=SC2086
		timed "boot+run $kver" env ${JOB_VARS[$1]} \
			FUSEPT_APPEND="${JOB_APPEND[$1]}" \
			"$VM_DIR/boot.sh" "$kver" "$res/initrd.img" "$res/console.log" \
			"$SCRIPT" || true
		;;
	esac
}

# boot_all: every job, FUSEPT_JOBS at a time. A guest under TCG keeps
# about 1.2 of this machine's 2 cores busy, so two at a time finish the
# matrix in about two thirds of the time one after the other take.
boot_all() {
	local i jobs=${FUSEPT_JOBS:-2} pids=()
	[ "$MODE" != demo ] || jobs=1
	[ "${#KBUILD_LIST[@]}" = 0 ] || add_job kbuild kbuild
	for i in "${!JOB_KIND[@]}"; do
		if [ "${#pids[@]}" -ge "$jobs" ]; then
			wait -n "${pids[@]}" || true
			running_pids pids
		fi
		run_job "$i" &
		pids+=($!)
	done
	wait "${pids[@]}" || true
}

# running_pids ARRAY: keep in ARRAY only the pids still running
running_pids() {
	local -n arr=$1
	local p left=()
	for p in "${arr[@]}"; do
		! kill -0 "$p" 2>/dev/null || left+=("$p")
	done
	arr=("${left[@]}")
}

# counts FILE: "PASSED FAILED" of the PASS and FAIL lines in FILE
counts() {
	echo "$(grep -c '^PASS ' "$1" || true) $(grep -c '^FAIL ' "$1" || true)"
}

# judge_all: count every job's results, in the order they were built:
# a guest's console log with its kbuild checks, the package lane's
# host-side checks with its VM's console log
judge_all() {
	local i kver res c h p f
	for i in "${!JOB_KIND[@]}"; do
		kver=${JOB_KVER[$i]}
		res=$FUSEPT_RESULTS/$kver
		case ${JOB_KIND[$i]} in
		kbuild) continue ;;
		esac
		c="0 0"
		h="0 0"
		if [ "${JOB_KIND[$i]}" = guest ] || [ -e "$res/console.log" ]; then
			c=$("$VM_DIR/parse-log.sh" "$res/console.log")
		fi
		if [ -s "$res/host.log" ]; then
			h=$(counts "$res/host.log")
			grep '^FAIL ' "$res/host.log" >&2 || true
		elif [ "$MODE" != demo ]; then
			h="0 1"
			echo "--- FAIL $kver: no host-side results ($res/host.log)" >&2
		fi
		p=$((${c% *} + ${h% *}))
		f=$((${c#* } + ${h#* }))
		record "$kver" "$p" "$f"
	done
}

main() {
	local start entries ent suites suite
	start=$(date +%s)
	lock
	timed "host packages" "$VM_DIR/host-deps.sh"
	entries=$(matrix_select "$KERNELS")
	[ -n "$entries" ] || die "KERNELS=\"$KERNELS\" selects none of: $MATRIX"
	suites=$GUEST_SUITE
	for ent in $entries; do
		suite=${ent#*:}
		[ "$suite" = "$HOST_SUITE" ] || suites="$suites $suite"
	done
	# shellcheck disable=SC2046
	timed "chroots" setup_chroots $(tr ' ' '\n' <<<"$suites" | sort -u) ||
		warn "some chroots could not be set up"
	# the debug kernel's build packages go into the guest suite's chroot
	# before the guest is built (its cache key covers that chroot's packages)
	if grep -qw "$DEBUG_KEY:$GUEST_SUITE" <<<"$entries"; then
		timed "debug kernel packages" "$VM_DIR/build-debug-kernel.sh" --deps ||
			warn "the debug kernel's build packages could not be installed"
	fi
	if grep -qw "$PKG_KEY:$PKG_SUITE" <<<"$entries"; then
		timed "make deb's packages" "$VM_DIR/pkg-test.sh" --deps ||
			warn "make deb's build packages could not be installed"
	fi
	GUEST=$(timed "guest userland" "$VM_DIR/build-guest.sh") || GUEST=
	for ent in $entries; do
		prepare_kernel "${ent%%:*}" "${ent#*:}" "$KERNELS"
	done
	boot_all
	judge_all
	printf '[time] %-34s %4ss\n' "total" "$(($(date +%s) - start))" >&2
	echo "---- summary (results in $FUSEPT_RESULTS)"
	printf '%s\n' "${SUMMARY[@]}"
	if [ "$MODE" = demo ]; then
		echo "demo finished: $TOTAL_FAILED problem(s)"
	fi
	echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
	[ "$TOTAL_FAILED" = 0 ]
}

main
