#!/bin/bash
# BUILD.bazel (Kleaf) against the kbuild build, host-side, no Bazel: the
# sources of its FUSEPT_SRCS are the objects of module/Kbuild's fusept-y
# (as make reads that file) and the .c files of module/ (but selftest.c,
# which only a FUSEPT_SELFTEST=1 kbuild build compiles); its
# FUSEPT_PRIVATE_HDRS and FUSEPT_UAPI_HDRS are the headers of module/ and
# include/ (compat-gen.h, which the build writes, aside). Prints what
# differs; fails if anything does.
# Usage: bazel-sync.sh [REPO]
set -euo pipefail
repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$repo"

# list NAME: the strings of the list NAME = [ ... ] of BUILD.bazel
list() {
	awk -v name="$1" '
		$1 == name && $2 == "=" && $3 == "[" { on = 1; next }
		on && /^]/ { exit }
		on { gsub(/[",[:space:]]/, ""); if ($0 != "") print }
	' BUILD.bazel | LC_ALL=C sort
}

# same WHAT LEFT RIGHT: whether the two sorted lists are equal
fail=0
same() {
	if [ "$2" != "$3" ]; then
		echo "$1 differ:"
		diff <(echo "$2") <(echo "$3") | sed -n 's/^[<>] /  &/p' || true
		fail=1
	fi
}

[ -f BUILD.bazel ] || { echo "no BUILD.bazel in $repo"; exit 1; }
srcs=$(list FUSEPT_SRCS)
hdrs=$(list FUSEPT_PRIVATE_HDRS; list FUSEPT_UAPI_HDRS)
hdrs=$(LC_ALL=C sort <<<"$hdrs")
[ -n "$srcs" ] || { echo "BUILD.bazel: no FUSEPT_SRCS list"; exit 1; }

# fusept-y as kbuild sees it: module/Kbuild read by make, its own
# directory as $(src) and $(obj) (nothing is built)
# shellcheck disable=SC2016 # $(fusept-y) is make's
objs=$(make -s --no-print-directory -f module/Kbuild \
	-f <(printf 'fusept-sync-print:\n\t@echo $(fusept-y)\n') \
	src=module obj=module fusept-sync-print | tr ' ' '\n' |
	sed '/^$/d; s,^,module/,; s,\.o$,.c,' | LC_ALL=C sort)
same "BUILD.bazel FUSEPT_SRCS (<) and module/Kbuild fusept-y (>)" "$srcs" "$objs"
same "BUILD.bazel FUSEPT_SRCS (<) and module/*.c (>)" "$srcs" \
	"$(find module -maxdepth 1 -name '*.c' ! -name selftest.c | LC_ALL=C sort)"
same "BUILD.bazel FUSEPT_*_HDRS (<) and the headers of module/ and include/ (>)" \
	"$hdrs" "$( (find module -maxdepth 1 -name '*.h' ! -name compat-gen.h
		find include -name '*.h') | LC_ALL=C sort)"
exit $fail
