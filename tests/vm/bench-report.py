#!/usr/bin/python3
"""Turn the BENCH lines of `make bench` console logs into docs/benchmarks.md
and the gnuplot script of docs/benchmarks.png.

usage: bench-report.py OUTDIR HOSTINFO CONSOLE.LOG...
HOSTINFO is a file of "key: value" lines (cpu, nproc, qemu, smp, mem, date,
load). Writes OUTDIR/benchmarks.md and OUTDIR/.benchmarks.gp (run by
bench-report.sh, then removed). Standard library only.
"""
import os
import re
import statistics
import sys

CFGS = [
    ("lower", "ext4 (lower)"),
    ("nopt", "fusept, --no-passthrough"),
    ("pt", "fusept, per-open passthrough"),
    ("ipt", "fusept, inode passthrough"),
    ("kpt", "kernel FUSE, passthrough"),
]
# the configurations compared with the lower file system, and their colours
BARS = [("nopt", "#999999"), ("pt", "#1f77b4"), ("ipt", "#2ca02c"),
        ("kpt", "#ff7f0e")]


class Wl:
    """A workload: KEY as in the log, LABEL for the tables, SHORT for the
    chart (None: not charted), UNIT as shown, GROUP (the chart panel),
    HIGHER (higher is better; False for times)."""

    def __init__(self, key, label, short, unit, group, higher=True):
        self.key, self.label, self.short = key, label, short
        self.unit, self.group, self.higher = unit, group, higher


WLS = [
    Wl("seqread", "sequential read, 128 KiB", "seq read", "MiB/s", "large"),
    Wl("seqwrite", "sequential write, 128 KiB", "seq write", "MiB/s", "large"),
    Wl("randread", "random read, 4 KiB psync", "rand read", "IOPS", "large"),
    Wl("randwrite", "random write, 4 KiB psync", "rand write", "IOPS", "large"),
    Wl("mmapread", "mmap random read, 4 KiB", "mmap read", "IOPS", "large"),
    Wl("small-open", "small-open: open+read+close, 4 KiB", "small-open",
       "files/s", "small"),
    Wl("small-stat", "small-stat: stat, cold dentry cache", "small-stat",
       "files/s", "small"),
    Wl("create", "create: create+write+close, 4 KiB", "create", "files/s",
       "small"),
    Wl("tree", "tree: all steps (time)", "tree", "s", "small", False),
    Wl("tree-untar", "tree: tar -x, sync", None, "s", "tree", False),
    Wl("tree-cat", "tree: find, xargs cat", None, "s", "tree", False),
    Wl("tree-du", "tree: du -s", None, "s", "tree", False),
    Wl("tree-grep", "tree: grep -r", None, "s", "tree", False),
    Wl("tree-rm", "tree: rm -rf, sync", None, "s", "tree", False),
]
WL = {w.key: w for w in WLS}
ALIASES = {"small": "small-open"}  # logs before issue #11
GROUPS = [("large", "large files (fio)"), ("small", "small files and tree")]
LARGE = [w.key for w in WLS if w.group == "large"]

# (workload, a, b, threshold, text): speed(a) / speed(b) >= threshold, where
# speed is the value, or 1 / the time for times. Issue #11's targets first.
TARGETS = [
    ("small-open", "ipt", "nopt", 2.0, "inode passthrough / no passthrough"),
    ("small-open", "ipt", "kpt", 2.0,
     "inode passthrough / kernel FUSE passthrough"),
    ("small-open", "pt", "nopt", 1.1, "per-open passthrough / no passthrough"),
    ("small-stat", "ipt", "nopt", 2.0, "inode passthrough / no passthrough"),
    ("tree", "ipt", "lower", 1 / 1.5, "inode passthrough / lower"),
] + [(w, c, "lower", 0.98, "%s / lower" % t) for w in LARGE
     for c, t in (("pt", "per-open passthrough"), ("ipt", "inode passthrough"))]
# issue #4's comparison with the kernel's own FUSE passthrough
TARGETS4 = [(w, "pt", "kpt", 0.95, "fusept passthrough / kernel FUSE passthrough")
            for w in LARGE]

MODES = {
    "icount": "**icount**: QEMU TCG with `-icount shift=0,sleep=off`, the "
              "guest's clock counts the instructions it executes",
    "wall": "**wall clock**: plain QEMU TCG, the guest's clock follows the "
            "host's, shared with other jobs (noisy)",
}


def parse_log(path):
    """BENCH-INFO keys, {skipped cfg: reason} and {(cfg, wl): {rep: value}}
    (MiB/s for KiB/s)"""
    info, skipped, vals = {}, {}, {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("BENCH-INFO "):
                kvs = dict(kv.split("=", 1) for kv in line.split()[1:]
                           if "=" in kv)
                if "skipped" in kvs:
                    skipped[kvs["skipped"]] = kvs.get("reason", "?")
                else:
                    info.update(kvs)
            elif line.startswith("BENCH "):
                d = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
                v = float(d["value"])
                if d["unit"] == "KiB/s":
                    v /= 1024.0
                wl = ALIASES.get(d["wl"], d["wl"])
                vals.setdefault((d["cfg"], wl), {})[int(d.get("rep", 0))] = v
    info.setdefault("clock", "wall")  # logs before issue #11 say nothing
    return info, skipped, vals


def fmt(v):
    if v is None:
        return "–"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def pct(p):
    if p >= 10:
        return "%.0f %%" % p
    if p >= 0.1:
        return "%.1f %%" % p
    return "%.2f %%" % p


def rfmt(r):
    return "–" if r is None else "%.2f" % r


class Run:
    """One kernel's log."""

    def __init__(self, path):
        self.info, self.skipped, self.vals = parse_log(path)
        self.med = {k: statistics.median(v.values())
                    for k, v in self.vals.items()}
        self.kernel = self.info.get("kernel", "?")

    def speed(self, cfg, wl, rep=None):
        v = self.med.get((cfg, wl)) if rep is None else \
            self.vals.get((cfg, wl), {}).get(rep)
        if v is None or v == 0:
            return None
        return v if WL[wl].higher else 1.0 / v

    def ratio(self, a, b, wl, rep=None):
        sa, sb = self.speed(a, wl, rep), self.speed(b, wl, rep)
        return None if sa is None or sb is None else sa / sb

    def has(self, cfg):
        return any(c == cfg for c, _ in self.vals)

    def na(self, cfg):
        """why CFG has no numbers, or None"""
        if self.has(cfg):
            return None
        why = self.skipped.get(cfg)
        if cfg == "ipt" and (why in (None, "not-implemented")):
            return "inode passthrough is not implemented yet"
        if cfg == "kpt" and why:
            return "the kernel's FUSE has no passthrough (before 6.9)"
        return why.replace("-", " ") if why else "not measured"

    def verdict(self, wl, a, b, t):
        """(median ratio, per-repetition ratios, verdict); None if either
        configuration is missing. Clear: at least two repetitions, and
        the ratios of all of them on the same side of T."""
        r = self.ratio(a, b, wl)
        if r is None:
            return None
        reps = sorted(set(self.vals[(a, wl)]) & set(self.vals[(b, wl)]))
        # a repetition with a zero (failed job) has no ratio: left out
        rs = [x for x in (self.ratio(a, b, wl, rep) for rep in reps)
              if x is not None]
        ok = [x >= t for x in rs]
        if len(ok) < 2:  # nothing to agree with
            v = "%s, not clear: %s" % (
                "met" if r >= t else "missed",
                "one repetition only" if ok else "no repetition in common")
        elif all(ok):
            v = "met, clear"
        elif not any(ok):
            v = "missed, clear"
        else:
            v = "not clear: %d of %d repetitions meet it (the median %s it)" % (
                sum(ok), len(ok), "meets" if r >= t else "misses")
        return r, rs, v


def target_line(run, wl, a, b, t, text):
    w = WL[wl]
    if w.group == "large":
        what = "%s: %s" % (w.label, text)
    else:
        what = "%s: %s" % (w.key, text)
    if not w.higher:  # a time: shown as the ratio of the times
        what = what.replace(" / ", " time / ") + " time"
    res = run.verdict(wl, a, b, t)
    if res is None:
        missing = run.na(a) or run.na(b) or "not measured"
        return "- %s, target %s: **n/a** (%s)" % (what, tfmt(w, t), missing)
    r, rs, v = res
    if w.higher:
        val, lo, hi = r, min(rs), max(rs)
    else:
        val, lo, hi = 1 / r, 1 / max(rs), 1 / min(rs)
    return "- %s = %.3f (repetitions %.3f–%.3f), target %s: **%s**" % (
        what, val, lo, hi, tfmt(w, t), v)


def tfmt(w, t):
    return ">= %.2f" % t if w.higher else "<= %.2f" % (1 / t)


def method(w, info):
    """The method, with the sizes of the first run (info: BENCH-INFO)"""
    mib = info.get("mib", "?")
    nfiles = info.get("tree_files", "?")
    try:
        mb = "%.1f MB" % (int(info["tree_bytes"]) / 1e6)
    except (KeyError, ValueError):
        mb = "? MB"
    w("## Method")
    w("")
    w("One guest boot per kernel, one vCPU. The lower file system is ext4 on")
    w("a brd ramdisk. Configurations: **lower**, the ext4 directory itself;")
    w("**nopt**, fusept with `tools/fusept-passthrough --no-passthrough`")
    w("(every request goes to the daemon); **pt**, fusept with the same daemon")
    w("and its per-open passthrough (a backing file registered at each OPEN);")
    w("**ipt**, fusept with the same daemon's inode passthrough (issue #11,")
    w("`--inode-passthrough`); **kpt**, the kernel's")
    w("own FUSE (`/dev/fuse`) with the same daemon and passthrough (kernels")
    w("6.9+). The daemon runs single-threaded, mounted with")
    w("`allow_other,default_permissions`. Each repetition runs every")
    w("configuration (the order rotates between repetitions) and every")
    w("workload on it, each job on a fresh mount (FUSE's dentry and inode")
    w("caches start empty) after `sync; echo 3 > /proc/sys/vm/drop_caches`")
    w("(fio's own cache invalidation and fadvise hints are off: they would")
    w("reach the lower file for lower but only the FUSE file on the mounts).")
    w("A warm-up round of the fio jobs (discarded) runs first.")
    w("")
    w("Workloads: fio (psync engine, time based, `--clocksource=clock_gettime`)")
    w("sequential read and write (128 KiB blocks, writes end with fsync),")
    w("random 4 KiB read and write, mmap random 4 KiB read (fio's mmap")
    w("engine) on %s MiB files; `small-open`: open+read+close of each of the"
      % mib)
    w("4 KiB small files once; `small-stat`: `stat()` of each of the same")
    w("files; `create`: create+write+close of as many new 4 KiB files")
    w("(tests/guest/smallfiles.c); `tree`: a made-up source tree")
    w("(`fusept-smallfiles tree`: fixed seed, directories of about 20 files")
    w("nested three levels deep, 32 bytes to 32 KiB per file, %s for %s"
      % (mb, nfiles))
    w("files), packed with tar in the guest's tmpfs at setup, then unpacked")
    w("(`tar -x`, `sync`), read (`find -type f | xargs cat`), `du -s`,")
    w("`grep -r` and removed (`rm -rf`, `sync`), caches dropped between the")
    w("steps; its time is the sum of the steps'.")
    w("")
    w("Values are medians over the repetitions, with their range and spread")
    w("((max − min) / median). Ratios are speeds relative to the lower file")
    w("system's median (for times, the lower time over the configuration's),")
    w("so higher is better everywhere. A target verdict is *clear* only when")
    w("the ratio of every repetition (the two configurations measured in the")
    w("same repetition) is on the same side of the target, and there are at")
    w("least two; otherwise it says how many repetitions meet it.")
    w("")
    w("Clock: under **icount** (the default of `make bench`) QEMU runs the")
    w("guest with `-icount shift=0,sleep=off`: every guest instruction")
    w("advances the guest's clock by 1 ns and an idle guest's clock jumps to")
    w("its next timer, so the guest measures its own work, not the host's")
    w("load, and repetitions agree (the guest's TSC, HPET and PIT all follow")
    w("that clock; the log names the guest's clock source). It prices CPU")
    w("work only: every instruction costs the same, memory bandwidth and")
    w("cache misses nothing, which is what a FUSE round trip (two context")
    w("switches and a copy) against an in-kernel call is about. Absolute")
    w("numbers are not real hardware's; compare ratios. Under **wall clock**")
    w("(`make bench BENCH_CLOCK=wall`, and every report before issue #11)")
    w("the guest's clock is the host's: the emulation's speed on a shared")
    w("host is measured too, and repetitions disagree by tens of percent.")
    w("")
    w("Why kpt writes are slow: the kernel's FUSE passthrough calls")
    w("`file_remove_privs()` on the FUSE file for every write, and a FUSE inode")
    w("is never marked S_NOSEC, so each write first sends the daemon a")
    w("GETXATTR of `security.capability` (on 7.2, 50 writes sent 50 GETXATTRs")
    w("and no WRITE). fusept makes that check on the lower file, which its")
    w("file system marks S_NOSEC once it has no setuid, setgid or capability.")
    w("")
    w("Small files with per-open passthrough: each open costs the daemon two")
    w("ioctls (`FUSE_DEV_IOC_BACKING_OPEN`, and `BACKING_CLOSE` at the last")
    w("release, as `fusept-passthrough` keeps an ID only while the inode is")
    w("open) and saves the READ round trip; the kernel uses the registered")
    w("file itself as the backing file when it can (docs/passthrough.md),")
    w("the kernel's own FUSE opens a second one. Measured once with ftrace")
    w("(function_graph, 7.2 guest, 1000 files, wall-clock TCG, before that")
    w("reuse): `dentry_open` of the backing file 40 us, each ioctl")
    w("50-100 us, the passthrough read of a cold 4 KiB file 230-300 us,")
    w("against a whole open of 850-1600 us in either mode.")
    w("")
    w("Inode passthrough (ipt): `fusept-passthrough --inode-passthrough`")
    w("registers each regular file once, from the `O_PATH` descriptor it")
    w("keeps anyway, binds it with the entry reply, and closes the ID at")
    w("FORGET; it binds each directory as a hierarchical one (registered")
    w("for GETATTR, SETATTR, LOOKUP and READDIR). fusept then looks the regular")
    w("files of such a directory up in the lower directory itself and binds")
    w("them to registrations of its own, and lists the directory from the")
    w("lower one. A file read or stat'ed in a known directory costs no round")
    w("trip and no ioctl at all: no LOOKUP, OPEN, FLUSH, RELEASE, READ or")
    w("GETATTR, and no READDIR for a listing (OPENDIR and RELEASEDIR still")
    w("reach the daemon, and every directory costs one LOOKUP). chmod,")
    w("chown, truncate and utimes of such files (tar -x sets owner, mode and")
    w("times of each file it makes) send no SETATTR either; the CREATE and")
    w("MKDIR of each new name still reach the daemon, which decides. What is")
    w("left of a cold `stat` is fusept's own dentry and inode next to the")
    w("lower file system's, and a second `vfs_getattr()` of the lower inode.")
    w("")
    w("Where the time of the misses goes (random 4 KiB I/O with")
    w("passthrough, small-open with inode passthrough): docs/profile.md, a")
    w("function_graph profile of the same guest (`BENCH_PROFILE=1 make")
    w("bench`). In short: each passthrough read or write runs the VFS")
    w("checks twice, on the fusept file and on the lower file (the second")
    w("`rw_verify_area()` with its LSM hook is about 2.5 of the 4-5 points,")
    w("measured; mainline's passthrough has it too). The profile of")
    w("small-open there predates hierarchical directories: it shows the")
    w("LOOKUP round trip they removed.")
    w("")


def kernel_section(w, run):
    cfgs = [c for c in CFGS if run.has(c[0]) or c[0] == "ipt"]
    has_kpt = run.has("kpt")
    wls = [x for x in WLS if ("lower", x.key) in run.med]
    nreps = max((len(v) for v in run.vals.values()), default=0)
    w("## Kernel %s" % run.kernel)
    w("")
    w("- Mode: %s." % MODES.get(run.info["clock"], run.info["clock"]))
    for c, _ in cfgs:
        if run.na(c):
            w("- Not measured: %s (%s)." % (c, run.na(c)))
    w("")
    w("Speed relative to the lower file system, medians (higher is better;")
    w("for the times of tree, the lower file system's time over the")
    w("configuration's):")
    w("")
    hdr = "| workload |" + "".join(" %s |" % c for c, _ in cfgs if c != "lower")
    if has_kpt:
        hdr += " pt/kpt |"
    w(hdr)
    w("|" + "---|" * (hdr.count("|") - 1))
    for x in wls:
        row = "| %s |" % x.label
        for c, _ in cfgs:
            if c != "lower":
                row += " %s |" % ("n/a" if run.na(c) else
                                  rfmt(run.ratio(c, "lower", x.key)))
        if has_kpt:
            row += " %s |" % rfmt(run.ratio("pt", "kpt", x.key))
        w(row)
    w("")
    w("Medians, the range over the %d repetitions and the spread" % nreps)
    w("((max − min) / median):")
    w("")
    w("| workload | unit |" + "".join(" %s |" % t for _, t in cfgs))
    w("|---|---|" + "---|" * len(cfgs))
    for x in wls:
        row = "| %s | %s |" % (x.key, x.unit)
        for c, _ in cfgs:
            v = run.vals.get((c, x.key))
            if not v:
                row += " %s |" % ("n/a" if run.na(c) else "–")
                continue
            m = run.med[(c, x.key)]
            lo, hi = min(v.values()), max(v.values())
            row += " %s (%s–%s, %s) |" % (fmt(m), fmt(lo), fmt(hi),
                                          pct(100.0 * (hi - lo) / m if m else 0))
        w(row)
    lists = [("### Targets (issue #11)", TARGETS)]
    if has_kpt:
        lists.append(("Compared with the kernel's own FUSE passthrough "
                      "(issue #4):", TARGETS4))
    for title, targets in lists:
        w("")
        w(title)
        w("")
        for t in targets:
            if ("lower", t[0]) in run.med:
                w(target_line(run, *t))
    w("")


def write_md(outdir, host, runs):
    md = []
    w = md.append
    w("# Benchmarks: passthrough vs. plain FUSE vs. the lower file system")
    w("")
    w("Generated by `make bench` (tests/vm/bench.sh, tests/guest/bench.sh,")
    w("tests/vm/bench-report.sh) on %s. Do not edit: run `make bench` again."
      % host.get("date", "?"))
    w("")
    if os.environ.get("BENCH_NOTE"):
        w("Note: %s" % os.environ["BENCH_NOTE"])
        w("")
    w("## Machine")
    w("")
    w("- Host: %s, %s CPUs (`nproc`), shared with other jobs while it ran "
      "(load average 1/5/15 min when the report was written: %s)"
      % (host.get("cpu", "?"), host.get("nproc", "?"), host.get("load", "?")))
    w("- Guest: **QEMU TCG** (software emulation, no KVM), %s, `-cpu max -smp %s -m %s`"
      % (host.get("qemu", "?"), host.get("smp", "?"), host.get("mem", "?")))
    for run in runs:
        i = run.info
        w("- Kernel %s (Debian), %s clock%s, fio %s, %s repetitions of %s s fio "
          "jobs on %s MiB files, %s small files%s"
          % (run.kernel, i["clock"],
             " (guest clock source %s)" % i["clocksource"] if "clocksource" in i else "",
             i.get("fio", "?").replace("fio-", ""), i.get("reps", "?"),
             i.get("runtime", "?"), i.get("mib", "?"), i.get("small", "?"),
             ", a tree of %s files" % i["tree"] if "tree" in i else ""))
    w("")
    method(w, runs[0].info if runs else {})
    for run in runs:
        kernel_section(w, run)
    w("![speed relative to the lower file system, per kernel](benchmarks.png)")
    w("")
    with open(os.path.join(outdir, "benchmarks.md"), "w") as f:
        f.write("\n".join(md))


# ---- the chart: a row of panels per kernel, one per workload group ----

BAR_W = 0.19  # bar width; cluster i spans i - 0.4 .. i + 0.4
RED = "#d62728"  # the targets


def bar_x(i, cfg):
    j = [c for c, _ in BARS].index(cfg)
    return i + (j - 1.5) * (BAR_W + 0.01)


def gp_panel(run, group, gtitle, clock):
    """gnuplot commands of one panel"""
    wls = [x for x in WLS if x.group == group and ("lower", x.key) in run.med]
    if not wls:
        return None
    g = []
    # the large files are near the lower file system's speed, so 1.0 is
    # always on their scale; the small-file ratios may be far below it
    top = 1.0 if group == "large" else 0.0
    rows = []
    for i, x in enumerate(wls):
        r = [run.ratio(c, "lower", x.key) for c, _ in BARS]
        top = max([top] + [v for v in r if v is not None])
        rows.append("%d %s" % (i, " ".join("NaN" if v is None else "%.4f" % v
                                            for v in r)))
    # targets drawn over the bar of the configuration they are about
    segs = []
    for wl, a, b, t, _ in TARGETS:
        if WL[wl].group != group or ("lower", wl) not in run.med:
            continue
        if group == "large":
            continue  # one line across the panel instead
        i = [x.key for x in wls].index(wl)
        base = 1.0 if b == "lower" else run.ratio(b, "lower", wl)
        if base is None:
            continue
        y = t * base
        if WL[wl].higher:
            label = "%s >= %.1fx %s" % (a, t, b)
        else:
            label = "%s time <= %.1fx %s" % (a, 1 / t, b)
        segs.append((bar_x(i, a), y, label))
        top = max(top, y)
    top *= 1.25
    # two targets close together over one bar share a label
    labels = []
    for x, y, label in sorted(segs):
        if labels and labels[-1][0] == x and y - labels[-1][1] < 0.06 * top:
            labels[-1] = (x, y, labels[-1][2] + ", " + label.split(">= ")[-1])
        else:
            labels.append((x, y, label))
    kshort = re.sub(r"-amd64$", "", run.kernel)
    g.append("set title \"%s: %s (%s clock)\"" % (kshort, gtitle, clock))
    g.append("set xrange [%.1f:%.1f]" % ((-0.6, len(wls) - 0.4) if len(wls) > 1
                                         else (-1.0, 1.0)))
    g.append("set yrange [0:%.3f]" % top)
    g.append("set xtics (%s) scale 0" % ", ".join(
        "\"%s\" %d" % (x.short, i) for i, x in enumerate(wls)))
    g.append("unset arrow")
    g.append("unset label")
    g.append("set arrow from graph 0, first 1 to graph 1, first 1 nohead "
             "dt 2 lc rgb \"black\"")
    if group == "large":
        g.append("set arrow from graph 0, first 0.98 to graph 1, first 0.98 "
                 "nohead lw 2 lc rgb \"%s\" front" % RED)
        g.append("set label \"target: pt, ipt >= 0.98\" at graph 0.99, first 1 "
                 "right offset 0,0.8 boxed font \",8\" tc rgb \"%s\" front"
                 % RED)
    for x, y, label in segs:
        g.append("set arrow from %.3f, %.4f to %.3f, %.4f nohead lw 2 "
                 "lc rgb \"%s\" front" % (x - BAR_W / 2 - 0.03, y,
                                          x + BAR_W / 2 + 0.03, y, RED))
    for x, y, label in labels:
        g.append("set label \"%s\" at %.3f, %.4f center offset 0,0.7 boxed "
                 "font \",7\" tc rgb \"%s\" front" % (label, x, y, RED))
    for i, x in enumerate(wls):
        for c, _ in BARS:
            if run.na(c):
                g.append("set label \"n/a\" at %.3f, graph 0 left rotate "
                         "offset 0,0.4 font \",7\" front" % bar_x(i, c))
    g.append("$data << EOD")
    g.extend(rows)
    g.append("EOD")
    plot = []
    for j, (c, color) in enumerate(BARS):
        if run.na(c):  # in the key only
            plot.append("keyentry with boxes fill solid 0.85 border -1 "
                        "lc rgb \"%s\" title \"%s (n/a)\"" % (color, c))
            continue
        off = (j - 1.5) * (BAR_W + 0.01)
        plot.append("$data using ($1%+.3f):%d:(%.2f) with boxes fill solid 0.85 "
                    "border -1 lc rgb \"%s\" title \"%s\""
                    % (off, j + 2, BAR_W, color, c))
        # the value, up from the foot of the bar
        plot.append("$data using ($1%+.3f):(0):(sprintf(\"%%.2f\", $%d)) "
                    "with labels rotate left offset 0,0.4 font \",7\" notitle"
                    % (off, j + 2))
    plot.append("keyentry with lines lw 2 lc rgb \"%s\" title \"target\"" % RED)
    g.append("plot " + ", \\\n     ".join(plot))
    return g


def write_gp(outdir, runs):
    panels = []
    for run in runs:
        for group, gtitle in GROUPS:
            p = gp_panel(run, group, gtitle, run.info["clock"])
            if p:
                panels.append(p)
    ncols = len(GROUPS)
    nrows = (len(panels) + ncols - 1) // ncols
    gp = [
        "set terminal pngcairo size 1300,%d font \"sans,10\"" % (60 + 420 * nrows),
        "set output \"%s\"" % os.path.join(outdir, "benchmarks.png"),
        "set style fill solid 0.85 border -1",
        "set grid ytics",
        "set ylabel \"speed / lower (1.0 = ext4)\"",
        "set key top left horizontal opaque box samplen 2 font \",8\"",
        "set style textbox opaque noborder margins 1,1",
        "set datafile missing NaN",
        "set multiplot layout %d,%d title \"fusept benchmark: speed relative to "
        "the lower ext4 (median; for tree, lower time / time), higher is better\""
        % (nrows, ncols),
    ]
    for p in panels:
        gp.extend(p)
    gp.append("unset multiplot")
    with open(os.path.join(outdir, ".benchmarks.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")


def main():
    outdir, hostinfo = sys.argv[1], sys.argv[2]
    host = {}
    with open(hostinfo) as f:
        for line in f:
            if ":" in line:
                k, v = line.split(":", 1)
                host[k.strip()] = v.strip()
    runs = [Run(p) for p in sys.argv[3:]]
    write_md(outdir, host, runs)
    write_gp(outdir, runs)


main()
