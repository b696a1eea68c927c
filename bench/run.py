#!/usr/bin/env python3
"""umlpy microbenchmarks: native vs umlpy (unpinned and pinned) vs runsc vs proot.

    python3 bench/run.py [--quick] [--only NAME[,NAME...]] [--reps K] [--stat median|min]
                         [--runners LIST]

Each benchmark is a small static C program (bench/progs/NAME.c) that does N
iterations of one operation and prints ``ns_per_op=X`` measured inside the
program with clock_gettime(CLOCK_MONOTONIC), so sandbox start-up is excluded.
All programs are compiled with ``gcc -O2 -static`` into a bench rootfs
(bench/results/rootfs, built with umlpy.image.build) and every runner runs
the same binaries from that tree.  Each (benchmark, runner) pair runs --reps
times, interleaved (rep 1 of every runner, then rep 2, ...) so that drift of
the machine hits all runners alike; the table shows the median (or, with --stat
min, the minimum) per-op time and its ratio to native.

Runners (all measured in the same invocation):
  native        the binary straight on the host (paths point into the rootfs)
  native@cpu0   the same, pinned to CPU 0 with sched_setaffinity (reference for
                the pinned sandbox columns: pinning changes native costs too)
  umlpy         python3 -m umlpy run --cpu none --rootfs ROOT -- /bench/NAME ...
                (supervisor and guest free to run on any CPU)
  umlpy@cpu0    the same with --cpu 0 (supervisor and guest on CPU 0; umlpy's
                default is this, on the CPU it starts on)
  runsc         runsc --network=none --platform=ptrace do -root ROOT ... (gVisor)
  proot         proot -r ROOT ...

A runner whose tool is not installed prints "n/a"; a run that fails (non-zero
exit, no ns_per_op line, timeout) prints "FAIL" in its cell, and the command
and its output are listed under the table.  Raw numbers are saved as JSON in
bench/results/.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PROGS = BENCH / "progs"
RESULTS = BENCH / "results"
ROOT = RESULTS / "rootfs"
DATA64K = "/bench/data64k"

sys.path.insert(0, str(REPO))

# name -> (description, N default, N quick, extra guest args)
BENCHMARKS: dict[str, tuple[str, int, int, list[str]]] = {
    "getppid":   ("syscall(SYS_getppid) (emulated, 1 stop)", 5000, 1000, []),
    "openclose": ("open+close /etc/passwd", 2000, 400, ["/etc/passwd"]),
    "read64k":   ("pread 64 KiB from an open fd", 5000, 1000, [DATA64K]),
    "pingpong":  ("pipe ping-pong round trip (2 procs)", 3000, 600, []),
    "forkexec":  ("fork+exec+wait /bin/true (busybox)", 100, 20, ["/bin/true"]),
    "compute":   ("integer loop step (pure CPU)", 300_000_000, 50_000_000, []),
    # extra: what pinning every guest process to one CPU costs
    "compute2":  ("same loop in 2 procs at once, wall/step", 300_000_000, 50_000_000, ["2"]),
}
RUNNERS = ["native", "native@cpu0", "umlpy", "umlpy@cpu0", "runsc", "proot"]
TIMEOUT = 180  # seconds, one run


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- setup

def build_rootfs(names: list[str]) -> Path:
    """A minimal umlpy rootfs (busybox + /etc) plus /bench/{progs,data64k}."""
    from umlpy.image import rootfs

    gcc = shutil.which("gcc")
    if gcc is None:
        sys.exit("bench: gcc not found (apt-get install gcc libc6-dev)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    root = rootfs.build(ROOT, host_binaries=())
    bdir = root / "bench"
    bdir.mkdir(exist_ok=True)
    for name in names:
        src = PROGS / f"{name}.c"
        out = bdir / name
        r = subprocess.run([gcc, "-O2", "-static", "-Wall", "-o", str(out), str(src)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bench: compiling {src} failed:\n{r.stderr}")
    # 64 KiB of non-zero, deterministic bytes
    (bdir / "data64k").write_bytes(bytes((i * 7 + 13) & 0xFF or 1 for i in range(65536)))
    return root


def runsc_cmd() -> tuple[list[str] | None, str]:
    """The runsc prefix that works here, or (None, reason)."""
    exe = shutil.which("runsc")
    if exe is None:
        return None, "runsc not installed (apt-get install runsc)"
    base = [exe, "--network=none", "--platform=ptrace"]
    attempts = [base] if os.geteuid() == 0 else []
    attempts.append([exe, "--rootless", "--network=none", "--platform=ptrace"])
    last = ""
    for pre in attempts:
        cmd = pre + ["do", "-root", str(ROOT), "-quiet", "/bin/true"]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            last = f"{' '.join(cmd)}: timed out"
            continue
        if r.returncode == 0:
            return pre, ""
        last = f"{' '.join(cmd)}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}"
    return None, f"runsc does not start here: {last}"


def tool_version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (r.stdout + r.stderr).strip()
    m = re.search(r"[\w~+-]*\d+\.\d+[\w.~+-]*", text)
    return m.group(0) if m else "?"


def make_commands(root: Path, runsc_pre: list[str] | None) -> dict[str, object]:
    """runner -> function(name, guest argv) -> (argv, preexec affinity or None)."""
    umlpy = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(root)]
    proot = shutil.which("proot")

    def host_path(a: str) -> str:  # guest absolute path -> host path in ROOT
        return str(root) + a if a.startswith("/") else a

    cmds: dict[str, object] = {
        "native": lambda argv: ([host_path(argv[0])] + [argv[1]] + [host_path(a) for a in argv[2:]], None),
        "native@cpu0": lambda argv: ([host_path(argv[0])] + [argv[1]] + [host_path(a) for a in argv[2:]], 0),
        "umlpy": lambda argv: (umlpy + ["--cpu", "none", "--"] + argv, None),
        "umlpy@cpu0": lambda argv: (umlpy + ["--cpu", "0", "--"] + argv, None),
    }
    if runsc_pre is not None:
        cmds["runsc"] = lambda argv: (runsc_pre + ["do", "-root", str(root), "-quiet"] + argv, None)
    if proot is not None:
        cmds["proot"] = lambda argv: ([proot, "-r", str(root)] + argv, None)
    return cmds


# ---------------------------------------------------------------- running

NS_RE = re.compile(r"ns_per_op=([0-9.]+)")


def run_one(argv: list[str], cpu: int | None) -> tuple[float | None, str]:
    """Run once; (ns per op, "") or (None, failure text)."""
    pre = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL, preexec_fn=pre, cwd=str(REPO), env=env)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        return None, f"$ {' '.join(argv)}\ntimed out after {TIMEOUT}s\n{out[-1000:]}"
    m = NS_RE.search(r.stdout)
    if r.returncode != 0 or m is None:
        return None, (f"$ {' '.join(argv)}\nexit status {r.returncode}\n"
                      f"stdout: {r.stdout.strip()[-1500:]}\nstderr: {r.stderr.strip()[-1500:]}")
    return float(m.group(1)), ""


def fmt_time(ns: float) -> str:
    if ns < 10:
        return f"{ns:.2f} ns"
    if ns < 1000:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} us"
    return f"{ns / 1e6:.2f} ms"


def fmt_ratio(r: float) -> str:
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller N and 3 reps (~30 s)")
    ap.add_argument("--only", metavar="NAME", help="comma-separated benchmarks: " + ",".join(BENCHMARKS))
    ap.add_argument("--reps", type=int, help="runs per cell, median taken (default 7, quick 3)")
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="statistic over the runs shown in the table (default median; min "
                    "estimates the uncontended cost on a busy machine)")
    ap.add_argument("--runners", metavar="LIST", help="comma-separated subset of " + ",".join(RUNNERS))
    ap.add_argument("--json", metavar="FILE", help="also write raw results here "
                    "(default bench/results/DATE.json)")
    args = ap.parse_args(argv)

    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in BENCHMARKS]
        if bad:
            ap.error(f"unknown benchmark(s) {', '.join(bad)}; choose from {', '.join(BENCHMARKS)}")
        names = [n for n in BENCHMARKS if n in names]
    runners = RUNNERS
    if args.runners:
        runners = [r.strip() for r in args.runners.split(",") if r.strip()]
        bad = [r for r in runners if r not in RUNNERS]
        if bad:
            ap.error(f"unknown runner(s) {', '.join(bad)}; choose from {', '.join(RUNNERS)}")
        if "native" not in runners:
            runners = ["native"] + runners  # ratios need it
    reps = args.reps or (3 if args.quick else 7)

    t_start = time.monotonic()
    load0 = os.getloadavg()[0]
    log("bench: building rootfs and compiling programs ...")
    root = build_rootfs(names)
    runsc_pre, runsc_why = runsc_cmd() if "runsc" in runners else (None, "not selected")
    cmds = make_commands(root, runsc_pre)
    unavailable = {r: ("proot not installed (apt-get install proot)" if r == "proot" else runsc_why)
                   for r in runners if r not in cmds}

    samples: dict[tuple[str, str], list[float]] = {}
    failures: dict[tuple[str, str], str] = {}
    for rep in range(reps):
        for name in names:
            desc, n_def, n_quick, extra = BENCHMARKS[name]
            guest = [f"/bench/{name}", str(n_quick if args.quick else n_def)] + extra
            for runner in runners:
                if runner not in cmds or (name, runner) in failures:
                    continue
                cmd, cpu = cmds[runner](guest)
                ns, err = run_one(cmd, cpu)
                if ns is None:
                    failures[(name, runner)] = err
                    log(f"bench: FAIL {name} under {runner}:\n{err}")
                else:
                    samples.setdefault((name, runner), []).append(ns)
        log(f"bench: rep {rep + 1}/{reps} done ({time.monotonic() - t_start:.0f} s)")

    stat = statistics.median if args.stat == "median" else min
    med = {k: stat(v) for k, v in samples.items()}

    # ---- the table
    now = _dt.datetime.now().astimezone()
    cpu_model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    header = ["benchmark", "N"] + runners
    rows = []
    for name in names:
        desc, n_def, n_quick, _ = BENCHMARKS[name]
        base = med.get((name, "native"))
        row = [name, str(n_quick if args.quick else n_def)]
        for runner in runners:
            if runner in unavailable:
                row.append("n/a")
            elif (name, runner) in failures:
                row.append("FAIL")
            elif (name, runner) not in med:
                row.append("-")
            else:
                v = med[(name, runner)]
                row.append(fmt_time(v) if runner == "native" or base is None
                           else f"{fmt_time(v)} ({fmt_ratio(v / base)})")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    print(f"umlpy bench, {now:%Y-%m-%d %H:%M %Z}, {platform.node()}, Linux {platform.release()}, "
          f"{os.cpu_count()} CPUs ({cpu_model}), {args.stat} of {reps} runs{' (--quick)' if args.quick else ''}, "
          f"load avg {load0:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    print("per-op time (ratio to native); measured inside the program, start-up excluded")
    print()
    print(line(header))
    print("|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))
    print()
    for name in names:
        print(f"  {name:10s} {BENCHMARKS[name][0]}")
    versions = {}
    if "runsc" in cmds:
        versions["runsc"] = tool_version(["runsc", "--version"])
    if "proot" in cmds:
        versions["proot"] = tool_version(["proot", "--version"])
    if versions:
        print("  versions:  " + "; ".join(f"{k} {v}" for k, v in versions.items()))
    for r, why in unavailable.items():
        print(f"  {r}: n/a: {why}")
    g, gp = med.get(("getppid", "umlpy")), med.get(("getppid", "umlpy@cpu0"))
    if g and gp:
        nat = med.get(("getppid", "native"), 0.0)
        print(f"  pinning: one emulated syscall (getppid - native) costs {(g - nat) / 1e3:.1f} us "
              f"unpinned vs {(gp - nat) / 1e3:.1f} us with --cpu 0")
    noisy = [f"{r} {n} {fmt_time(min(v))}..{fmt_time(max(v))}"
             for (n, r), v in samples.items() if len(v) > 1 and max(v) > 1.5 * min(v)]
    if noisy:
        print("  spread > 1.5x between runs (min..max): " + ", ".join(noisy))
    if failures:
        print()
        print("FAILURES")
        for (name, runner), err in failures.items():
            print(f"--- {name} under {runner}")
            print(err)
    sys.stdout.flush()
    log(f"bench: total {time.monotonic() - t_start:.0f} s")

    out = Path(args.json) if args.json else RESULTS / f"{now:%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": now.isoformat(), "host": platform.node(), "kernel": platform.release(),
        "cpus": os.cpu_count(), "cpu_model": cpu_model,
        "loadavg_start": load0, "loadavg_end": os.getloadavg()[0], "quick": args.quick, "reps": reps, "stat": args.stat,
        "versions": versions, "unavailable": unavailable,
        "n": {n: (BENCHMARKS[n][2] if args.quick else BENCHMARKS[n][1]) for n in names},
        "samples_ns": {f"{n}/{r}": v for (n, r), v in samples.items()},
        "median_ns": {f"{n}/{r}": statistics.median(v) for (n, r), v in samples.items()},
        "min_ns": {f"{n}/{r}": min(v) for (n, r), v in samples.items()},
        "failures": {f"{n}/{r}": e for (n, r), e in failures.items()},
    }, indent=1) + "\n")
    log(f"bench: raw results in {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
