#!/bin/bash
# `make bench`: the passthrough benchmark of issue #4.
# For each selected kernel (default: the newest, 7.x, whose own FUSE has
# passthrough to compare with): build fusept.ko with DKMS, make the
# initramfs, boot it once in QEMU running tests/guest/bench.sh, then turn
# the BENCH lines of the console logs into docs/benchmarks.md and
# docs/benchmarks.png (tests/vm/bench-report.sh).
#
# Env: KERNELS         kernels, by version prefix (default "7"; e.g. "6.12 7")
#      FUSEPT_CACHE    cache directory (default /var/cache/fusept)
#      FUSEPT_RESULTS  results directory (default $FUSEPT_CACHE/results);
#                      this script uses $FUSEPT_RESULTS/bench-KVER/
#      FUSEPT_SMP      guest CPUs (default 1, see docs/benchmarks.md)
#      FUSEPT_TIMEOUT  boot timeout in seconds (default 7200: icount
#                      runs the guest slower in wall time)
#      BENCH_CLOCK     icount (default): QEMU's -icount shift=0,sleep=off,
#                      the guest's clock counts its own instructions, so a
#                      repetition measures the same on a quiet or a loaded
#                      host; wall: plain TCG, the guest's clock is the
#                      host's (the mode of the reports before issue 11)
#      BENCH_ARGS      extra kernel command line, e.g.
#                      "fusept.bench_reps=5 fusept.bench_runtime=6"
#      BENCH_OUT       output directory (default docs/ of the repository)
#      BENCH_PROFILE   1: no benchmark; randread, randwrite, small-open
#                      and small-stat run under the guest's
#                      function_graph tracer (see
#                      tests/guest/bench.sh) and the PROFILE lines go to
#                      $FUSEPT_RESULTS/bench-KVER/profile.txt, then through
#                      tests/vm/profile-report.py to profile.md there
# Usage: bench.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KERNELS=${KERNELS:-7}
PROFILE_ARGS=
[ "${BENCH_PROFILE:-0}" != 1 ] ||
	PROFILE_ARGS="fusept.bench_profile=1 fusept.bench_tree=0 fusept.bench_small=1000 \
fusept.bench_wls=randread,randwrite,small-open,small-stat"
BENCH_CLOCK=${BENCH_CLOCK:-icount}
case $BENCH_CLOCK in
icount) export FUSEPT_ICOUNT=1 ;;
wall) export FUSEPT_ICOUNT=0 ;;
*) die "BENCH_CLOCK=$BENCH_CLOCK: icount or wall" ;;
esac
export FUSEPT_SMP=${FUSEPT_SMP:-1}
export FUSEPT_TIMEOUT=${FUSEPT_TIMEOUT:-7200}
BENCH_OUT=${BENCH_OUT:-$REPO/docs}
LOGS=()

# bench_kernel KEY SUITE GUESTDIR
bench_kernel() {
	local key=$1 suite=$2 guest=$3 kver res
	log "kernel $key ($suite)"
	kver=$(timed "prepare $suite" "$VM_DIR/prepare-suite.sh" "$suite") ||
		die "suite $suite unavailable"
	res=$FUSEPT_RESULTS/bench-$kver
	mkdir -p "$res"
	timed "kernel image $kver" "$VM_DIR/fetch-kernel.sh" "$suite" "$kver" >/dev/null ||
		die "$kver: kernel image download failed"
	timed "dkms build $kver" "$VM_DIR/build-module.sh" "$suite" "$kver" "$res" ||
		die "$kver: fusept.ko build failed (see $res/make.log)"
	timed "initramfs $kver" "$VM_DIR/mkinitrd.sh" "$kver" "$res/fusept.ko" \
		"$guest" "$res/initrd.img" || die "$kver: initramfs failed"
	log "benchmark on $kver, $FUSEPT_SMP CPU(s), clock $BENCH_CLOCK (console: $res/console.log)"
	# fusept.bench_clock: the guest only reports it (BENCH-INFO clock=),
	# so that the log says how it was measured
	FUSEPT_APPEND="${FUSEPT_APPEND:-} fusept.bench_clock=$BENCH_CLOCK $PROFILE_ARGS ${BENCH_ARGS:-}" \
		timed "boot+bench $kver" "$VM_DIR/boot.sh" "$kver" \
		"$res/initrd.img" "$res/console.log" bench
	grep -E '^(BENCH|FAIL)' "$res/console.log" | grep -v '^BENCH cfg' >&2 || true
	grep -q '^BENCH-DONE' "$res/console.log" ||
		die "$kver: the benchmark did not finish (see $res/console.log)"
	if "$VM_DIR/parse-log.sh" "$res/console.log" | grep -qv ' 0$'; then
		die "$kver: a failure or kernel splat in $res/console.log"
	fi
	LOGS+=("$res/console.log")
	[ -z "$PROFILE_ARGS" ] && return
	grep -E '^(PROFILE|BENCH-INFO)' "$res/console.log" | tr -d '\r' >"$res/profile.txt"
	python3 "$VM_DIR/profile-report.py" "$res/profile.txt" >"$res/profile.md"
	log "profile: $res/profile.md"
}

main() {
	local start entries ent guest
	start=$(date +%s)
	lock
	timed "host packages" "$VM_DIR/host-deps.sh"
	entries=$(matrix_select "$KERNELS")
	[ -n "$entries" ] || die "KERNELS=\"$KERNELS\" selects none of: $MATRIX"
	for ent in $GUEST_SUITE:$GUEST_SUITE $entries; do
		[ "${ent#*:}" = "$HOST_SUITE" ] ||
			"$VM_DIR/setup-chroot.sh" "${ent#*:}"
	done
	guest=$(timed "guest userland" "$VM_DIR/build-guest.sh")
	for ent in $entries; do
		bench_kernel "${ent%%:*}" "${ent#*:}" "$guest"
	done
	[ -z "$PROFILE_ARGS" ] || return 0
	mkdir -p "$BENCH_OUT"
	timed "report" "$VM_DIR/bench-report.sh" "$BENCH_OUT" "${LOGS[@]}"
	printf '[time] %-34s %4ss\n' "total" "$(($(date +%s) - start))" >&2
	echo "wrote $BENCH_OUT/benchmarks.md and $BENCH_OUT/benchmarks.png"
}

main
