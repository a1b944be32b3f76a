#!/bin/bash
# Render the results of `make bench`: OUTDIR/benchmarks.md (per kernel: the
# clock mode, ratios to the lower file system, medians with their range
# and spread, the targets of issue #11 with verdicts that are clear only
# when every repetition agrees) and OUTDIR/benchmarks.png (gnuplot: a row
# of panels per kernel, large files and small files, the targets drawn as
# lines). Installs gnuplot-nox from Debian's archive when gnuplot is
# missing.
# Env: FUSEPT_SMP, FUSEPT_MEM (as given to boot.sh, for the text),
#      BENCH_NOTE (a line of text added under the title)
# Usage: bench-report.sh OUTDIR CONSOLE.LOG...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=${1:?usage: bench-report.sh OUTDIR CONSOLE.LOG...}
shift
[ $# -gt 0 ] || die "no console log given"

if ! command -v gnuplot >/dev/null; then
	log "installing gnuplot-nox"
	apt-get install -y -qq --no-install-recommends gnuplot-nox >&2 ||
		{ apt-get update -qq >&2 &&
			apt-get install -y -qq --no-install-recommends gnuplot-nox >&2; } ||
		die "cannot install gnuplot-nox"
fi

hostinfo=$(mktemp)
trap 'rm -f "$hostinfo" "$out/.benchmarks.gp"' EXIT
{
	echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "nproc: $(nproc)"
	echo "qemu: $(qemu-system-x86_64 --version | head -1 | sed 's/ (.*//')"
	echo "smp: ${FUSEPT_SMP:-2}"
	echo "mem: ${FUSEPT_MEM:-2G}"
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$hostinfo"
/usr/bin/python3 "$VM_DIR/bench-report.py" "$out" "$hostinfo" "$@"
gnuplot "$out/.benchmarks.gp"
log "wrote $out/benchmarks.md, $out/benchmarks.png"
