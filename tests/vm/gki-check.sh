#!/bin/bash
# The Android lane of make check ("gki", also `make gki-check`): fusept
# as a vendor builds it for an arm64 GKI kernel, checked on this host.
#   1. fusept.ko cross-built for Debian trixie's arm64 kernels, 4 KiB and
#      16 KiB pages, with W=1: no warning (cross-build.sh).
#   2. The same with clang (LLVM=1, as vendors build it), for the 4 KiB
#      arm64 kernel and for trixie's amd64 one, W=1 and
#      -Wcast-function-type-strict (no cast between function pointer
#      types, which kCFI would trap on): no warning, and .comment names
#      clang (cross-build.sh --clang); the arm64 builds' compat probes
#      find the same with clang as with gcc. The 16 KiB flavour with clang
#      adds about as much time again and no other compiler path.
#   3. The imports of the arm64 modules (the union of the gcc and clang
#      builds: a note says whether clang's differ) against the KMI symbol
#      lists of the Android branches (tools/gki-check): the symbol list
#      a vendor adds to ship fusept must be android/abi_gki_aarch64_fusept
#      as committed, and no module exports anything.
#   4. Per branch, how many imports are outside its KMI: a report (the
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
clang_flavours="arm64 amd64" # the builds below name them all

result() { host_result "$res/host.log" gki- "$@"; }

note() { # a report line, not a result
	echo "    # $*" | tee -a "$res/host.log" >&2
}

build() { # build NAME [--clang] FLAVOUR: fusept.ko in $res/NAME,
	# cross-build.sh's exit status and time in $res/NAME.done
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s)
	"$VM_DIR/cross-build.sh" "$@" "$res/$name" W=1 >"$res/$name.log" 2>&1 || rc=$?
	echo "$rc $(($(date +%s) - t0))" >"$res/$name.done"
}

built() { # built NAME HOW: the result of build NAME
	local rc=none t=
	[ ! -e "$res/$1.done" ] || read -r rc t <"$res/$1.done"
	if [ "$rc" = 0 ]; then
		result "build-$1" ok "$t s, $2, no warning"
	else
		result "build-$1" "build failed or warned (log: $res/$1.log)"
		tail -5 "$res/$1.log" >&2
	fi
}

# Does clang's arm64 module import what gcc's does? (The list is made
# from both, so this is a note.)
compare_imports() {
	local gcc=$res/arm64/fusept.ko clang=$res/arm64-clang/fusept.ko d
	[ -s "$gcc" ] && [ -s "$clang" ] || return 0
	# diff exits 1 when they differ: not an error (pipefail is on)
	d=$({ diff <(nm -u "$gcc" | awk '{ print $NF }' | sort) \
		<(nm -u "$clang" | awk '{ print $NF }' | sort) || :; } |
		sed -n 's/^\([<>]\) /\1/p' | tr '\n' ' ')
	if [ -z "$d" ]; then
		note "clang's arm64 imports: the same $(nm -u "$clang" | wc -l) as gcc's"
	else
		note "arm64 imports, gcc only (<) and clang only (>): $d"
	fi
}

# A probe that fails with clang only (a warning of its own is an error
# there) would build another compat path without a word: the arm64
# builds must find the same kernel with either compiler.
check_clang_probes() {
	local p=() m
	for m in arm64 arm64-clang; do
		[ -s "$res/$m/build.log" ] || return 0
		p+=("$(grep -h 'compat probes on:' "$res/$m/build.log" || true)")
	done
	if [ -n "${p[0]}" ] && [ "${p[0]}" = "${p[1]}" ]; then
		result clang-probes ok "the same compat probes as gcc's"
	else
		result clang-probes "compat probes differ, gcc: ${p[0]#*on: }; clang: ${p[1]#*on: }"
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
	local f m kos=() args
	args=(--write-list "$res/abi_gki_aarch64_fusept")
	rm -rf "$res"
	mkdir -p "$res"
	: >"$res/host.log"
	# Two builds at a time (each make -j$(nproc)): one build alone leaves a
	# core idle in its serial steps (the probes' header, modpost, the link,
	# BTF). Each stream has a gcc and a clang build, about even in time.
	{
		build arm64 arm64
		build amd64-clang --clang amd64
	} &
	build arm64-16k arm64-16k
	build arm64-clang --clang arm64
	wait
	for f in $flavours; do
		built "$f" W=1
	done
	for f in $clang_flavours; do
		built "$f-clang" "clang, LLVM=1 W=1 -Wcast-function-type-strict"
	done
	for f in $flavours; do # the arm64 modules, by gcc and by clang
		for m in "$f" "$f-clang"; do
			[ ! -s "$res/$m/fusept.ko" ] || kos+=("$res/$m/fusept.ko")
		done
	done
	[ "${#kos[@]}" -gt 0 ] || return 0
	check_exports "$res"/*/fusept.ko
	check_clang_probes
	compare_imports
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
