#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Write compat-gen.h from the probes' results (.probes/NAME.res, one line
# each), only if its content changed; then say which probes were on.
# Usage: gen.sh OUTPUT RESULT...
set -e
out=$1
shift
{
	echo "/* SPDX-License-Identifier: GPL-2.0 */"
	echo "/* Written by the compat probes (Kbuild, probes/): do not edit */"
	echo "#ifndef FUSEPT_COMPAT_GEN_H"
	echo "#define FUSEPT_COMPAT_GEN_H"
	cat "$@"
	echo "#endif"
} >"$out.tmp"
if cmp -s "$out" "$out.tmp"; then
	rm -f "$out.tmp"
	exit 0
fi
mv -f "$out.tmp" "$out"
on=$(sed -n 's/^#define FUSEPT_HAVE_\([A-Z0-9_]*\) 1$/\1/p' "$out" |
	tr A-Z a-z | tr '\n' ' ')
off=$(sed -n 's,^/\* #undef FUSEPT_HAVE_\([A-Z0-9_]*\) \*/$,\1,p' "$out" |
	tr A-Z a-z | tr '\n' ' ')
echo "  GEN     $out (compat probes; logs: $(dirname "$1")/*.log)"
echo "  fusept: compat probes on: ${on:-none}"
echo "  fusept: compat probes off: ${off:-none}"
