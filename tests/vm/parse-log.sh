#!/bin/bash
# Judge a guest console log. Counts "PASS name" and "FAIL name: reason" lines;
# adds one failure if the guest did not print FUSEPT-GUEST-DONE, one if the
# kernel printed a splat (any line matching SPLAT_RE, test result lines
# aside), and one if the guest script exited non-zero without any FAIL line.
# Prints the details on stderr and "PASSED FAILED" on stdout.
# Usage: parse-log.sh LOG
set -euo pipefail
logf=${1:?usage: parse-log.sh LOG}
# Kernel splats. BUG:, WARNING: and Oops cover most (KASAN and KFENCE
# reports begin with "BUG: KASAN:"/"BUG: KFENCE:", lockdep's with
# "WARNING: possible circular locking..."); the rest are named as well, in
# case a report comes without its header line. The debug kernel's own boot
# lines ("rcu: RCU lockdep checking is enabled.", "kasan: KernelAddress
# Sanitizer initialized", "kfence: initialized") must not match: no bare
# "lockdep" or lower-case "kasan"/"kfence".
SPLAT_RE='BUG:|WARNING:|Oops|general protection|list_del corruption|list_add corruption'
SPLAT_RE+='|KASAN:|KFENCE:|UBSAN:|ODEBUG:|unreferenced object|memory leak detector disabled'
SPLAT_RE+='|possible circular locking|inconsistent lock state|suspicious RCU usage'
SPLAT_RE+='|possible recursive locking|lockdep is turned off|locking correctness validator'
SPLAT_RE+='|sleeping function called from invalid context|Busy inodes after unmount'
SPLAT_RE+='|INFO: task .* blocked|hung_task|Kernel panic'

# The log less complete FUSEPT-DMESG-BEGIN..END blocks (an unfinished one stays).
without_dmesg_dumps() {
	awk '/^FUSEPT-DMESG-BEGIN/ { held = 1; buf = ""; next }
		/^FUSEPT-DMESG-END/ { held = 0; buf = ""; next }
		held { buf = buf $0 "\n"; next }
		{ print }
		END { if (held) printf "FUSEPT-DMESG-BEGIN\n%s", buf }' "$logf"
}

count() { grep -c "$1" "$logf" || true; }

passed=$(count '^PASS ')
failed=$(count '^FAIL ')
extra=0
if [ "$failed" -gt 0 ]; then
	echo "--- FAIL lines:" >&2
	grep '^FAIL ' "$logf" | head -50 >&2
fi
if ! grep -q '^FUSEPT-GUEST-DONE' "$logf"; then
	echo "--- FAIL guest did not finish (no FUSEPT-GUEST-DONE)" >&2
	extra=$((extra + 1))
fi
splats=$(grep -E "$SPLAT_RE" "$logf" | grep -Ev '^(PASS|FAIL|SKIP) ' || true)
if [ -n "$splats" ]; then
	echo "--- FAIL dmesg splat:" >&2
	head -20 <<<"$splats" >&2
	extra=$((extra + 1))
fi
exit_rc=$(sed -n 's/^FUSEPT-GUEST-EXIT \([0-9]*\).*/\1/p' "$logf" | tail -1)
if [ -n "$exit_rc" ] && [ "$exit_rc" != 0 ] && [ "$failed" = 0 ]; then
	echo "--- FAIL guest script exited with status $exit_rc and no FAIL line" >&2
	extra=$((extra + 1))
fi
if [ $((failed + extra)) -gt 0 ]; then
	echo "--- console log tail ($logf):" >&2
	without_dmesg_dumps | tail -40 >&2
fi
echo "$passed $((failed + extra))"
