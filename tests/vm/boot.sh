#!/bin/bash
# Boot a Debian kernel with the test initramfs in QEMU (TCG, no KVM) and
# capture the serial console in LOG. The guest runs /tests/SCRIPT.sh.
# With FUSEPT_LIVE=1 the console is also shown as it comes.
# Env: FUSEPT_TIMEOUT (s, default 2700), FUSEPT_MEM (2G), FUSEPT_SMP (2),
#      FUSEPT_APPEND (extra kernel command line),
#      FUSEPT_DISK (boot a Debian system from this raw disk image as
#      /dev/vda, with its own init, instead of the test initramfs's;
#      SCRIPT is not used), FUSEPT_VMLINUZ (the kernel image, default
#      the cached kernel of KVER), FUSEPT_ICOUNT (1: run under
#      "-icount shift=0,sleep=off", see below; only bench.sh sets it).
# Usage: boot.sh KVER INITRD LOG [SCRIPT]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=${1:?usage: boot.sh KVER INITRD LOG [SCRIPT]}
initrd=${2:?}
logf=${3:?}
script=${4:-run}
timeout=${FUSEPT_TIMEOUT:-2700}
vmlinuz=${FUSEPT_VMLINUZ:-$FUSEPT_CACHE/kernel/$kver/vmlinuz}
[ -e "$vmlinuz" ] || die "no kernel image $vmlinuz"
disk=()

# An arm64 kernel (-arm64, -arm64-16k) boots in qemu-system-aarch64's
# "virt" machine, its console on the PL011 UART. pauth-impdef: the CPU's
# pointer authentication uses QEMU's own cheap hash instead of the
# architected QARMA, which TCG emulates slowly; the guest cannot tell.
case $kver in
*-arm64 | *-arm64-*)
	machine=(qemu-system-aarch64 -M virt -cpu "max,pauth-impdef=on")
	console=ttyAMA0
	;;
*)
	machine=(qemu-system-x86_64 -cpu max)
	console=ttyS0
	;;
esac
cmdline="console=$console panic=-1 panic_on_warn=1 oops=panic loglevel=5"
if [ -n "${FUSEPT_DISK:-}" ]; then
	disk=(-drive "file=$FUSEPT_DISK,format=raw,if=virtio")
	cmdline="$cmdline root=/dev/vda rw ${FUSEPT_APPEND:-}"
else
	cmdline="$cmdline fusept.script=$script ${FUSEPT_APPEND:-}"
fi

# FUSEPT_ICOUNT=1: the guest's clock follows the instructions it executes
# (shift=0: one instruction is one virtual nanosecond) instead of the
# host's time; sleep=off: while the guest is idle its clock jumps to the
# next timer deadline instead of waiting for the host. A guest measurement
# is then the same on a quiet and on a loaded host (make bench).
icount=()
[ "${FUSEPT_ICOUNT:-0}" != 1 ] || icount=(-icount shift=0,sleep=off)

qemu() {
	timeout -k 10 "$timeout" "${machine[@]}" -accel tcg "${icount[@]}" \
		-m "${FUSEPT_MEM:-2G}" -smp "${FUSEPT_SMP:-2}" \
		-display none -serial stdio -monitor none -nic none -no-reboot \
		"${disk[@]}" -kernel "$vmlinuz" -initrd "$initrd" \
		-append "$cmdline" </dev/null
}

# boot_once: one boot, the console in $logf
boot_once() {
	local rc=0
	if [ "${FUSEPT_LIVE:-0}" = 1 ]; then
		qemu 2>&1 | tr -d '\r' | tee "$logf" || rc=$?
	else
		qemu 2>&1 | tr -d '\r' >"$logf" || rc=$?
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "qemu: killed after ${timeout}s timeout" | tee -a "$logf" >&2
	fi
}

# died_before_guest: the kernel panicked before the guest's init started
# (and so before fusept.ko was loaded). TCG with two vCPUs now and then
# runs a stale instruction while the kernel patches its own text at boot
# (jump labels, alternatives): "Oops: int3" in a core function, as
# seen once in enqueue_timer on 6.12. That is the emulator, not fusept.
died_before_guest() {
	! grep -q '^FUSEPT-GUEST-START' "$logf" &&
		grep -Eq 'Kernel panic|Oops' "$logf"
}

boot_once
for try in 1 2; do
	died_before_guest || break
	mv "$logf" "$logf.boot$try"
	echo "qemu: $kver died before the guest started, booting again" \
		"(console kept in $logf.boot$try)" >&2
	boot_once
done
exit 0
