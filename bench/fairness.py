#!/usr/bin/env python3
"""Fairness of the stop loop, and throughput per guest CPU (issue 6, hole 1).

    python3 bench/fairness.py [--threads 0,1,2,4,8,16,32,64] [--probes 300] [--cpu 0|none]

One supervisor serves the trapped syscalls of every guest thread.  Part 1
runs N threads that trap without pause (stat in a loop) beside one probe
thread that sleeps 1 ms and times one emulated getppid, and prints the
probe's delay (p50/p99/max) for each N.  Fair service means the p99 grows at
most linearly with N (each busy thread is ahead of the probe at most once)
and stays under 10 ms at N=64; the script checks both and exits 1 if not.

Part 2 measures served-call throughput (stat loops, 2 s each) with 1 and 2
guest processes, pinned (--cpu 0, the default placement on this CPU) and
unpinned (--cpu none), and natively, as calls per second: how much one more
guest CPU buys while a single supervisor thread serves every stop.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def build(out: Path) -> Path:
    exe = out / "fairness"
    subprocess.run(["gcc", "-O2", "-static", "-pthread", "-o", str(exe), str(BENCH / "fairness.c")],
                   check=True)
    return exe


def umlpy(progdir: Path, cpu: str, script: str, timeout: float = 300) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "umlpy", "run", "--cpu", cpu, "-v", f"{progdir}:/fz:ro",
           "--", "/bin/sh", "-c", script]
    r = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                       env=env)
    if r.returncode != 0:
        raise SystemExit(f"fairness: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def fields(line: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def part1(progdir: Path, threads: list[int], probes: int, cpu: str) -> bool:
    print(f"Part 1: probe delay beside N busy threads (--cpu {cpu}, {probes} probes)")
    print(f"{'N':>4} {'p50 us':>8} {'p99 us':>8} {'max us':>8} {'p99/(N+1) us':>13}")
    rows = {}
    for n in threads:
        f = fields(umlpy(progdir, cpu, f"/fz/fairness probe {n} {probes}"))
        rows[n] = f
        print(f"{n:>4} {f['p50_us']:>8.0f} {f['p99_us']:>8.0f} {f['max_us']:>8.0f} "
              f"{f['p99_us'] / (n + 1):>13.1f}")
    ok = True
    big = max(threads)
    if big >= 64 and rows[big]["p99_us"] >= 10_000:
        print(f"FAIL: p99 at N={big} is {rows[big]['p99_us']:.0f} us (limit 10 ms)")
        ok = False
    # Linear at most: the per-thread cost at the largest N is no more than
    # twice the smallest non-trivial one's (noise allowance).
    base = [rows[n]["p99_us"] / (n + 1) for n in threads if n >= 4]
    if base and base[-1] > 2 * min(base):
        print(f"FAIL: p99 grows faster than linearly ({base[-1]:.1f} vs {min(base):.1f} us per thread)")
        ok = False
    return ok


def part2(progdir: Path, exe: Path, seconds: float = 2.0) -> None:
    print(f"\nPart 2: served-call throughput (stat loops, {seconds:g} s), calls per second")
    print(f"{'guest processes':>16} {'native':>10} {'umlpy --cpu 0':>14} {'umlpy --cpu none':>17}")
    for k in (1, 2):
        procs = [subprocess.Popen([str(exe), "stat", str(seconds)], stdout=subprocess.PIPE, text=True)
                 for _ in range(k)]
        native = sum(fields(p.communicate()[0])["calls"] for p in procs) / seconds
        script = " & ".join([f"/fz/fairness stat {seconds}"] * k) + "; wait"
        cells = []
        for cpu in ("0", "none"):
            out = umlpy(progdir, cpu, script)
            cells.append(sum(fields(line)["calls"] for line in out.splitlines() if "calls=" in line) / seconds)
        print(f"{k:>16} {native:>10.0f} {cells[0]:>14.0f} {cells[1]:>17.0f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="0,1,2,4,8,16,32,64")
    ap.add_argument("--probes", type=int, default=300)
    ap.add_argument("--cpu", default="0", help="placement of part 1 (default 0: the pinned default)")
    ap.add_argument("--skip-throughput", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="umlpy-fair.") as d:
        exe = build(Path(d))
        ok = part1(Path(d), [int(x) for x in a.threads.split(",")], a.probes, a.cpu)
        if not a.skip_throughput:
            part2(Path(d), exe)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
