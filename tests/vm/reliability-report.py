#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write the figures of docs/reliability.md from the console logs of a
make check run (make reliability-report after make check).

Replaces what stands between the BEGIN and END markers in DOC with: per
kernel, the date of the run, its result counts, the reliability cases,
the fuzzer's summary, the faults injected per phase, kmemleak's reports
and how often fusept.ko was loaded; then the debug kernel's config
fragment. Nothing here is measured by hand.

Usage: reliability-report.py DOC RESULTS_DIR [DEBUG_CONFIG]
"""
import os
import re
import sys
import time

BEGIN = "<!-- figures: begin (make reliability-report writes what follows) -->"
END = "<!-- figures: end -->"


def console_lines(path):
    """The console log without, and the guest's dmesg dump (at loglevel=5
    the console has only part of the kernel's lines, the dump has all)."""
    out, dump, held = [], [], False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("FUSEPT-DMESG-BEGIN"):
                held = True
            elif line.startswith("FUSEPT-DMESG-END"):
                held = False
            else:
                (dump if held else out).append(line)
    return out, dump


def kernel_figures(path):
    lines, dump = console_lines(path)
    fig = {"kernel": None, "pass": 0, "fail": 0, "rel_pass": 0,
           "rel_fail": 0, "fuzz": None, "faults": [], "skips": [],
           "leak_scans": None, "leaks": 0, "loads": 0}
    for line in lines:
        m = re.match(r"FUSEPT-GUEST-START kernel=(\S+)", line)
        if m:
            fig["kernel"] = m.group(1)
        if line.startswith("PASS "):
            fig["pass"] += 1
        elif line.startswith("FAIL "):
            fig["fail"] += 1
        if re.match(r"(PASS|FAIL) rel-", line):
            fig["rel_" + line[:4].lower()] += 1
        m = re.search(r"# fuzz: summary (.*)", line)
        if m:
            fig["fuzz"] = dict(kv.split("=", 1) for kv in m.group(1).split())
        m = re.match(r"# (fault-\w+-\w+): (\d+) faults injected; (\d+) "
                     r"fsxcheck runs, (\d+) clean, failed with: (.*?); "
                     r"(\d+) mounts failed", line.strip())
        if m:
            fig["faults"].append(m.groups())
        m = re.match(r"SKIP (fault-func-\w+): (.*)", line)
        if m:
            fig["skips"].append(m.groups())
        m = re.search(r"# kmemleak: scanned (.*)", line)
        if m:
            fig["leak_scans"] = m.group(1)
        m = re.match(r"FAIL (fault-)?kmemleak\S*: (\d+) unreferenced", line)
        if m:
            fig["leaks"] += int(m.group(2))
    fig["loads"] = sum(1 for line in dump
                       if re.search(r"\] fusept: FUSE protocol", line))
    fig["date"] = time.strftime("%Y-%m-%d", time.gmtime(os.path.getmtime(path)))
    return fig


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def render(figs, config):
    out = ["Written by `make reliability-report` from the console logs of",
           "the last `make check` (`$FUSEPT_CACHE/results`); passed and failed",
           "count the guest's result lines (make check adds one failure for a",
           "kernel splat).", ""]
    out += table(["kernel", "date", "passed", "failed", "reliab cases",
                  "module loads", "kmemleak"],
                 [[f["kernel"], f["date"], f["pass"], f["fail"],
                   "%d passed, %d failed" % (f["rel_pass"], f["rel_fail"]),
                   f["loads"],
                   ("%d leaked objects (scanned %s)" % (f["leaks"], f["leak_scans"])
                    if f["leak_scans"] else "not on this kernel")]
                  for f in figs])
    fz = [f for f in figs if f["fuzz"]]
    if fz:
        keys = ["rounds", "failed", "syscalls", "requests", "malformed",
                "notifications", "ioctls", "unsolicited", "kills", "verified"]
        out += ["", "The fuzzer (group `fuzz`; verified: reads compared "
                "with the checking worker's model):", ""]
        out += table(["kernel"] + keys,
                     [[f["kernel"]] + [f["fuzz"].get(k, "?") for k in keys]
                      for f in fz])
    ft = [f for f in figs if f["faults"] or f["skips"]]
    for f in ft:
        out += ["", "Fault injection on %s (group `fault-inject`):" % f["kernel"], ""]
        out += table(["phase", "faults injected", "fsxcheck runs", "clean",
                      "failed with", "mounts failed"],
                     [list(p) for p in f["faults"]] +
                     [[name, "skipped: " + why, "", "", "", ""]
                      for name, why in f["skips"]])
    if config:
        out += ["", "The debug kernel's configuration fragment "
                "(`tests/vm/debug-kernel.config`, on top of `make tinyconfig`), "
                "options set:", "", "    " + " ".join(config)]
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    doc, results = sys.argv[1], sys.argv[2]
    config = []
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            config = [m.group(1) for m in
                      (re.match(r"CONFIG_(\w+)=[ym]", l) for l in f) if m]
    figs = []
    for d in sorted(os.listdir(results)):
        log = os.path.join(results, d, "console.log")
        if os.path.isfile(log):
            f = kernel_figures(log)
            # results/KVER only: not make fuzz's results/fuzz-KVER
            if f["kernel"] == d:
                figs.append(f)
    if not figs:
        sys.exit("no console log with a guest run under " + results)
    with open(doc) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        sys.exit("%s has no figures markers" % doc)
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    body = "\n".join(render(figs, config))
    with open(doc, "w") as f:
        f.write(head + BEGIN + "\n" + body + "\n" + END + tail)
    print("wrote the figures of %d kernels into %s" % (len(figs), doc))


main()
