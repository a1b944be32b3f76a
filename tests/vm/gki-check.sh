#!/bin/bash
# The Android lane of make check ("gki", also `make gki-check`): fusept
# as a vendor builds it for an arm64 GKI kernel, checked on this host.
#   1. fusept.ko cross-built for Debian trixie's arm64 kernels, 4 KiB and
#      16 KiB pages, with W=1: no warning (cross-build.sh).
#   2. Its imports (the union of both builds) against the KMI symbol
#      lists of the Android branches (tools/gki-check): the symbol list
#      a vendor adds to ship fusept must be android/abi_gki_aarch64_fusept
#      as committed, and the module exports nothing.
#   3. Per branch, how many imports are outside its KMI: a report (the
#      lines "# android..."), not a check. The KMI lists are read where
#      they are: GKI_LISTS, else ../shared/android beside the tree.
# Results: RESDIR/host.log (PASS/FAIL lines, counted by check.sh),
# RESDIR/report.txt (tools/gki-check's output: the imports, or the
# per-branch report), RESDIR/abi_gki_aarch64_fusept, RESDIR/<flavour>/.
# Usage: gki-check.sh RESDIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
res=${1:?usage: gki-check.sh RESDIR}
list=$REPO/android/abi_gki_aarch64_fusept
lists=${GKI_LISTS:-$REPO/../shared/android}
flavours="arm64 arm64-16k"

result() { host_result "$res/host.log" gki- "$@"; }

note() { # a report line, not a result
	echo "    # $*" | tee -a "$res/host.log" >&2
}

build() { # build FLAVOUR: fusept.ko in $res/FLAVOUR
	local t0 t
	t0=$(date +%s)
	if "$VM_DIR/cross-build.sh" "$1" "$res/$1" W=1 >"$res/$1.log" 2>&1; then
		t=$(($(date +%s) - t0))
		result "build-$1" ok "$t s, W=1, no warning"
	else
		result "build-$1" "cross build failed or warned (log: $res/$1.log)"
		tail -5 "$res/$1.log" >&2
	fi
}

# The list a vendor submits is the one the module needs today.
check_list() {
	if [ ! -e "$list" ]; then
		result list-current "no $list (write it: make gki-list)"
	elif cmp -s "$list" "$res/abi_gki_aarch64_fusept"; then
		result list-current ok "$(grep -c '^  ' "$list") symbols"
	else
		result list-current "the module's imports differ from $list (make gki-list):" \
			"$(diff "$list" "$res/abi_gki_aarch64_fusept" | grep '^[<>]' | tr '\n' ' ')"
	fi
}

# A vendor module may not export what GKI modules export: fusept exports
# nothing at all.
check_exports() {
	local kos=("$@") n
	n=$(nm "${kos[@]}" 2>/dev/null | grep -c ' __ksymtab_' || true)
	if [ "$n" = 0 ]; then
		result no-exports ok
	else
		result no-exports "$n exported symbols"
	fi
}

report() { # the per-branch lines of tools/gki-check, as notes
	local l
	while IFS= read -r l; do
		case $l in
		"    "*) ;;
		*) note "$l" ;;
		esac
	done <"$res/report.txt"
}

main() {
	local f kos=() args
	args=(--write-list "$res/abi_gki_aarch64_fusept")
	rm -rf "$res"
	mkdir -p "$res"
	: >"$res/host.log"
	for f in $flavours; do
		build "$f"
		[ ! -s "$res/$f/fusept.ko" ] || kos+=("$res/$f/fusept.ko")
	done
	[ "${#kos[@]}" -gt 0 ] || return 0
	check_exports "${kos[@]}"
	[ ! -d "$lists" ] || args+=(--lists "$lists" --summary "$res/summary.md")
	python3 "$REPO/tools/gki-check" "${args[@]}" "${kos[@]}" >"$res/report.txt"
	check_list
	if [ ! -d "$lists" ]; then
		note "no KMI symbol lists at $lists (GKI_LISTS=DIR): no per-branch report"
		return 0
	fi
	report
}

main
