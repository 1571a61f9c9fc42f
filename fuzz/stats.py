#!/usr/bin/env python3
"""Print one Markdown table row per fuzz log (fuzz/logs/<target>.log), from libFuzzer's own
lines: the INITED line (the seed corpus after loading), the final DONE line (coverage
counters, corpus), `Done N runs in S second(s)` and the -print_final_stats block. The date is
the log's modification time minus the run's duration. A run stopped early (no DONE line) is
reported from its last status line."""
import datetime
import glob
import os
import re
import sys

STATUS = re.compile(r"^#(\d+)\s+(INITED|DONE|NEW|REDUCE|pulse)\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)")
here = os.path.dirname(os.path.abspath(__file__))
names = sys.argv[1:] or sorted(
    os.path.basename(p)[:-4] for p in glob.glob(os.path.join(here, "logs", "*.log")))
for t in names:
    path = os.path.join(here, "logs", t + ".log")
    inited = last = None
    secs = execs = rate = None
    crashes = []
    with open(path, errors="replace") as f:
        for line in f:
            m = STATUS.match(line)
            if m:
                last = m
                if m.group(2) == "INITED":
                    inited = m
            m2 = re.match(r"^Done (\d+) runs in (\d+) second", line)
            if m2:
                execs, secs = int(m2.group(1)), int(m2.group(2))
            m3 = re.match(r"^stat::average_exec_per_sec:\s+(\d+)", line)
            if m3:
                rate = int(m3.group(1))
            if "Test unit written to" in line or "panicked at" in line:
                crashes.append(line.strip())
    if last is None:
        print(f"| `{t}` | (no status line) |")
        continue
    end = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    if execs is None:
        execs = int(last.group(1))
    if secs is None:
        m4 = None
        with open(path, errors="replace") as f:
            for line in f:
                m4 = re.search(r"exec/s: (\d+)", line) or m4
        rate = int(m4.group(1)) if m4 else rate
        secs = round(execs / rate) if rate else 0
        state = " (stopped early)"
    else:
        state = ""
    start = end - datetime.timedelta(seconds=secs)
    seeds = f"{inited.group(5)} seeds" if inited else "?"
    print(f"| `{t}` | {start:%Y-%m-%d %H:%M} | {secs} s{state} | {execs:,} | {rate or '?'} | "
          f"{seeds} -> {last.group(5)} files / {last.group(6)} | {last.group(3)} / {last.group(4)} | "
          f"{len([c for c in crashes if 'Test unit' in c]) or 'none'} |")
