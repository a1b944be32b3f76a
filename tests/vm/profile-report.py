#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the PROFILE lines of a `BENCH_PROFILE=1 make bench` guest into a
Markdown table per workload: for each function traced, its calls and its
inclusive time per I/O in each configuration, side by side, sorted by the
largest time. Usage: profile-report.py profile.txt > profile.md"""
import re
import sys

LINE = re.compile(r'^PROFILE cfg=(\S+) wl=(\S+) fn=(\S+) '
                  r'calls=([0-9.]+)/io incl=([0-9.]+)/io')
CFG_ORDER = ['lower', 'nopt', 'pt', 'ipt', 'kpt']


def load(path):
    data, info = {}, []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line.startswith('BENCH-INFO'):
                info.append(line[len('BENCH-INFO '):])
                continue
            m = LINE.match(line)
            if not m:
                continue
            cfg, wl, fn, calls, incl = m.groups()
            data.setdefault(wl, {}).setdefault(cfg, {})[fn] = (
                float(calls), float(incl))
    return data, info


def table(wl, per_cfg, rows=25):
    cfgs = [c for c in CFG_ORDER if c in per_cfg]
    cfgs += sorted(c for c in per_cfg if c not in cfgs)
    fns = {}
    for c in cfgs:
        for fn, (_, incl) in per_cfg[c].items():
            fns[fn] = max(fns.get(fn, 0), incl)
    out = [f'### {wl}', '',
           '| function | ' + ' | '.join(f'{c} calls | {c} ns/io'
                                        for c in cfgs) + ' |',
           '|---|' + '---:|---:|' * len(cfgs)]
    for fn in sorted(fns, key=lambda k: -fns[k])[:rows]:
        cells = []
        for c in cfgs:
            calls, incl = per_cfg[c].get(fn, (0, 0))
            cells += [f'{calls:.2f}' if calls else '-',
                      f'{incl:.0f}' if incl else '-']
        out.append(f'| {fn} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(out) + '\n'


def main():
    data, info = load(sys.argv[1])
    print("## The profile, per I/O (per file for small-open and small-stat)\n")
    for i in info:
        print(f'- {i}')
    print()
    for wl in sorted(data):
        print(table(wl, data[wl]))


if __name__ == '__main__':
    main()
