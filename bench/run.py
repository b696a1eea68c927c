#!/usr/bin/env python3
"""umlpy microbenchmarks: native vs the ptrace floor vs umlpy vs runsc vs proot, unpinned and pinned.

    python3 bench/run.py [--quick] [--only NAME[,NAME...]] [--reps K] [--stat median|min]
                         [--runners LIST]

Most benchmarks are a small static C program (bench/progs/NAME.c) that does N
iterations of one operation and prints ``ns_per_op=X`` measured inside the
program with clock_gettime(CLOCK_MONOTONIC), so sandbox start-up is excluded.
The command rows (shell, tar, find) run a busybox command line once under
/bench/runcmd, which times the command's fork+exec+wait inside the sandbox
(start-up excluded too).  Two rows are timed from outside, start-up and all:
startup (/bin/true) and python (``python3 -c pass`` in the Debian rootfs).
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
  floor         bench/progs/floor_tracer.c, a minimal C ptrace+seccomp tracer that
                stops on exactly the calls umlpy stops on, answers getppid
                itself and lets every other trapped call run: the physical
                limit of a ptrace backend (floor@cpu0: tracer and tracee on CPU 0,
                umlpy's default placement)
  umlpy         umlpy run --rootfs ROOT -- /bench/NAME ... (the installed umlpy
                command, else python3 -m umlpy; served by a warm server,
                UMLPY_SERVER=wait: umlpy/warm.py): umlpy's default placement (--cpu auto: supervisor and guest pinned to
                the CPU it starts on, and computing threads moved off it while
                they wait for it: kernel/placement.py)
  umlpy@cpu0    the same with --cpu 0 (everything on CPU 0, never moved)
  umlpy@none    the same with --cpu none (supervisor and guest free to run on
                any CPU)
  umlpy@direct  the default placement, the run done by the command itself
                (UMLPY_SERVER=0: no warm server)
  runsc         runsc --network=none --platform=ptrace do -root ROOT ... (gVisor)
  proot         proot -r ROOT ...
  runsc@cpu0, proot@cpu0   the same, pinned to CPU 0 (their best setting here)

Rows whose command line names paths inside the rootfs (shell, tar, find,
python) run natively in a chroot (run.py must be root for those cells).

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
CACHE = RESULTS / "cache"          # the find tree and tar data, kept across rootfs rebuilds
FLOOR = RESULTS / "floor_tracer"   # host binary
ALLOW = RESULTS / "floor_allow.txt"
TREE_DIRS, TREE_FILES = 200, 100   # find: 20 000 files
TAR_FILES, TAR_SIZE = 500, 100_000  # tar: 50 MB

sys.path.insert(0, str(REPO))

# name -> (description, N default, N quick, extra guest args)
BENCHMARKS: dict[str, tuple[str, int, int, list[str]]] = {
    "getppid":   ("syscall(SYS_getppid) (emulated, 1 stop)", 5000, 1000, []),
    "stat":      ("stat /etc/passwd", 2000, 400, ["/etc/passwd"]),
    "openclose": ("open+close /etc/passwd", 2000, 400, ["/etc/passwd"]),
    "read64k":   ("pread 64 KiB from an open fd", 5000, 1000, [DATA64K]),
    "pingpong":  ("pipe ping-pong round trip (2 procs)", 3000, 600, []),
    "forkexec":  ("fork+exec+wait /bin/true (busybox)", 100, 20, ["/bin/true"]),
    "compute":   ("integer loop step (pure CPU)", 300_000_000, 50_000_000, []),
    # extra: what pinning every guest process to one CPU costs
    "compute2":  ("same loop in 2 procs at once, wall/step", 300_000_000, 50_000_000, ["2"]),
    # command rows: one run of a busybox command line, timed inside by /bench/runcmd
    "shell":     ("busybox sh loop of N iterations, each forks for $(echo $i); one run", 2000, 200, []),
    "tar":       ("tar cf - -C /bench/tardata . | tar xf - -C /tmp/x: 50 MB in 500 files", 50, 50, []),
    "find":      ("find /bench/tree | wc -l: 20 000 files in 200 dirs", 20000, 20000, []),
    # timed from outside: sandbox start-up included
    "startup":   ("start-up + /bin/true + exit, wall time from outside", 1, 1, []),
    "python":    ("python3 -c pass in the Debian rootfs, wall time from outside", 1, 1, []),
}
CMD_ROWS = {"shell", "tar", "find"}        # /bench/runcmd + paths in the rootfs
OUTSIDE_ROWS = {"startup", "python"}       # wall time of the whole sandbox run
IN_ROOT = CMD_ROWS | {"python"}            # native runs them in a chroot
RUNNERS = ["native", "native@cpu0", "floor", "floor@cpu0", "umlpy", "umlpy@cpu0", "umlpy@none",
           "umlpy@direct", "runsc", "runsc@cpu0", "proot", "proot@cpu0"]
TIMEOUT = 180  # seconds, one run


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- setup

def compile_prog(src: Path, out: Path, static: bool = True) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        sys.exit("bench: gcc not found (apt-get install gcc libc6-dev)")
    r = subprocess.run([gcc, "-O2", *(["-static"] if static else []), "-Wall", "-o", str(out), str(src)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: compiling {src} failed:\n{r.stderr}")


def _data_dirs() -> dict[str, tuple[str, object]]:
    """name under /bench -> (marker text, function that fills the directory)."""
    def tree(d: Path) -> None:
        for i in range(TREE_DIRS):
            sub = d / f"d{i:03d}"
            sub.mkdir()
            for j in range(TREE_FILES):
                (sub / f"f{j:03d}").touch()

    def tardata(d: Path) -> None:
        for i in range(TAR_FILES):
            (d / f"f{i:03d}").write_bytes(os.urandom(TAR_SIZE))
    return {"tree": (f"{TREE_DIRS}x{TREE_FILES}", tree),
            "tardata": (f"{TAR_FILES}x{TAR_SIZE}", tardata)}


def build_rootfs(names: list[str]) -> Path:
    """A minimal umlpy rootfs (busybox + /etc) plus /bench/{progs,data64k,tree,tardata}.

    The rootfs is rebuilt on every run; the find tree and the tar data are
    moved aside to bench/results/cache/ first and moved back after (renames),
    so that they are made only once.
    """
    from umlpy.image import rootfs

    RESULTS.mkdir(parents=True, exist_ok=True)
    CACHE.mkdir(exist_ok=True)
    data = _data_dirs()
    for d in data:
        old = ROOT / "bench" / d
        if old.is_dir():
            shutil.rmtree(CACHE / d, ignore_errors=True)
            old.rename(CACHE / d)
    root = rootfs.build(ROOT, host_binaries=())
    bdir = root / "bench"
    bdir.mkdir(exist_ok=True)
    progs = [n for n in names if n not in CMD_ROWS | OUTSIDE_ROWS]
    if CMD_ROWS & set(names):
        progs.append("runcmd")
    for name in progs:
        compile_prog(PROGS / f"{name}.c", bdir / name)
    # 64 KiB of non-zero, deterministic bytes
    (bdir / "data64k").write_bytes(bytes((i * 7 + 13) & 0xFF or 1 for i in range(65536)))
    need = {"find": "tree", "tar": "tardata"}
    for d, (marker, fill) in data.items():
        cached, done = CACHE / d, CACHE / f"{d}.complete"
        if not cached.is_dir() or not done.is_file() or done.read_text() != marker:
            if d not in [need.get(n) for n in names]:
                continue
            log(f"bench: making /bench/{d} (cached in {cached}) ...")
            shutil.rmtree(cached, ignore_errors=True)
            cached.mkdir()
            fill(cached)
            done.write_text(marker)
        cached.rename(bdir / d)
    # the floor tracer runs on the host; it stops on what umlpy's filter does not allow
    compile_prog(PROGS / "floor_tracer.c", FLOOR, static=False)
    write_allow_file(ALLOW)
    return root


def write_allow_file(path: Path) -> None:
    """umlpy's native syscalls, in floor_tracer's format (see floor_tracer.c).

    Rows that are native only for some argument values (ioctl, socket, fcntl,
    prctl, ...) keep the same argument rule, so the floor stops exactly where
    umlpy stops."""
    from umlpy.syscalls.linux64 import TABLE

    lines = []
    for nr, rule in sorted(TABLE.native_numbers().items()):
        if rule is None:
            lines.append(f"{nr}")
        elif rule.zero64:
            lines.append(f"{nr} zero {rule.arg}")
        else:
            lines.append(f"{nr} {'in' if rule.allow else 'out'} {rule.arg} "
                         + " ".join(str(v) for v in sorted(rule.values)))
    path.write_text("\n".join(lines) + "\n")


def debian_root() -> tuple[Path | None, str]:
    """The Debian rootfs of the store (name `debian`), or (None, why not)."""
    from umlpy.image import importer

    root = importer.lookup("debian")
    if root is None or not (Path(root) / "usr/bin/python3").exists():
        return None, (f"no Debian rootfs with python3 ('debian' in {importer.rootfs_dir()}): "
                      "run .ci/debian-rootfs")
    return Path(root), ""


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


# A runner's command: (argv, CPU to pin to or None, directory to chroot into or None).
Command = tuple[list[str], "int | None", "Path | None"]


def make_commands(runsc_pre: list[str] | None) -> dict[str, object]:
    """runner -> function(guest argv, rootfs, in_root) -> Command.

    in_root: the guest argv names paths inside the rootfs that only a chroot
    makes right (command lines, Debian's python3); otherwise the native
    runners rewrite path arguments into the rootfs (the program rows)."""
    proot = shutil.which("proot")

    def host_argv(argv: list[str], root: Path) -> list[str]:  # guest absolute paths -> host paths
        def hp(a: str) -> str:
            return str(root) + a if a.startswith("/") else a
        return [hp(argv[0])] + argv[1:2] + [hp(a) for a in argv[2:]]

    def native(cpu: int | None):
        return lambda argv, root, in_root: ((argv, cpu, root) if in_root else (host_argv(argv, root), cpu, None))

    def floor(cpu: int | None):
        return lambda argv, root, in_root: (
            ([str(FLOOR), "-r", str(root), str(ALLOW)] + argv, cpu, None) if in_root
            else ([str(FLOOR), str(ALLOW)] + host_argv(argv, root), cpu, None))

    def umlpy(placement: str | None, served: bool = True):
        cpu = ["--cpu", placement] if placement is not None else []
        pre = [] if served else ["env", "UMLPY_SERVER=0"]
        return lambda argv, root, in_root: (
            pre + umlpy_command() + ["run", "--rootfs", str(root), *cpu, "--"] + argv, None, None)

    cmds: dict[str, object] = {
        "native": native(None), "native@cpu0": native(0),
        "floor": floor(None), "floor@cpu0": floor(0),
        "umlpy": umlpy(None), "umlpy@cpu0": umlpy("0"), "umlpy@none": umlpy("none"),
        "umlpy@direct": umlpy(None, served=False),
    }
    if runsc_pre is not None:
        for name, cpu in (("runsc", None), ("runsc@cpu0", 0)):
            cmds[name] = (lambda c: lambda argv, root, in_root: (
                runsc_pre + ["do", "-root", str(root), "-quiet"] + argv, c, None))(cpu)
    if proot is not None:
        for name, cpu in (("proot", None), ("proot@cpu0", 0)):
            cmds[name] = (lambda c: lambda argv, root, in_root: ([proot, "-r", str(root)] + argv, c, None))(cpu)
    return cmds


def umlpy_command() -> list[str]:
    """The umlpy command as install.sh or pip installed it beside this interpreter (the C
    launcher with its `python3 -S` one, or a console script), else `python3 -m umlpy`."""
    beside = Path(sys.executable).parent / "umlpy"
    for launcher in (beside.with_name("umlpy-python"), beside):
        try:
            if os.access(beside, os.X_OK) and "umlpy.warm" in launcher.read_text(errors="replace")[:1000]:
                return [str(beside)]
        except OSError:
            pass
    return [sys.executable, "-m", "umlpy"]


def guest_argv(name: str, n: int) -> list[str]:
    """What the guest runs for benchmark `name` with size `n`."""
    if name == "shell":
        # $(echo $i) forks a subshell in busybox ash (floor_tracer's FLOOR_STATS shows n+1 forks)
        return ["/bench/runcmd", "/bin/sh", "-c",
                f"i=0; while [ $i -lt {n} ]; do i=$((i+1)); x=$(echo $i); done"]
    if name == "tar":
        return ["/bench/runcmd", "-s", "rm -rf /tmp/x && mkdir -p /tmp/x", "-c", "rm -rf /tmp/x",
                "/bin/sh", "-c", "tar cf - -C /bench/tardata . | tar xf - -C /tmp/x"]
    if name == "find":
        return ["/bench/runcmd", "/bin/sh", "-c", "find /bench/tree | wc -l"]
    if name == "startup":
        return ["/bin/true"]
    if name == "python":
        return ["/usr/bin/python3", "-c", "pass"]
    return [f"/bench/{name}", str(n)] + BENCHMARKS[name][3]


# ---------------------------------------------------------------- running

NS_RE = re.compile(r"ns_per_op=([0-9.]+)")


def run_one(argv: list[str], cpu: int | None, chroot: Path | None = None,
            outside: bool = False) -> tuple[float | None, str]:
    """Run once; (ns per op, "") or (None, failure text).

    outside: the result is the wall time of the whole run (start-up included),
    not the program's ns_per_op line.

    No preexec_fn for what is timed from outside: it makes subprocess fork
    this Python process instead of vfork, which alone costs milliseconds.  So
    the CPU pin is set on this process around the run (the child inherits
    it), and an outside-timed chroot goes through chroot(8), one extra exec
    of a small program (~0.5 ms).
    """
    if chroot is not None and outside:
        argv, chroot = ["chroot", str(chroot)] + argv, None

    def pre() -> None:
        os.chroot(chroot)
        os.chdir("/")
    env = dict(os.environ)
    env.setdefault("UMLPY_SERVER", "wait")      # served runs measure the server, never the start of one
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    shown = ("chroot " + str(chroot) + " " if chroot else "") + " ".join(argv)
    if cpu is not None:
        shown = f"taskset -c {cpu} " + shown
    mask = os.sched_getaffinity(0)
    try:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL, cwd="/" if chroot else str(REPO), env=env,
                           preexec_fn=pre if chroot is not None else None)
        wall = time.monotonic() - t0
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        return None, f"$ {shown}\ntimed out after {TIMEOUT}s\n{out[-1000:]}"
    finally:
        os.sched_setaffinity(0, mask)
    m = NS_RE.search(r.stdout)
    if r.returncode != 0 or (m is None and not outside):
        return None, (f"$ {shown}\nexit status {r.returncode}\n"
                      f"stdout: {r.stdout.strip()[-1500:]}\nstderr: {r.stderr.strip()[-1500:]}")
    return (wall * 1e9 if outside else float(m.group(1))), ""


def fmt_time(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
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
    ap.add_argument("--quick", action="store_true", help="smaller N and 3 reps (~2 min for every row; ~11 s for getppid,stat,startup)")
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
    want_runsc = any(r.startswith("runsc") for r in runners)
    runsc_pre, runsc_why = runsc_cmd() if want_runsc else (None, "not selected")
    cmds = make_commands(runsc_pre)
    unavailable = {r: ("proot not installed (apt-get install proot)" if r.startswith("proot") else runsc_why)
                   for r in runners if r not in cmds}
    # cells that cannot run here, with the reason (shown as "skip" in the table)
    skipped: dict[tuple[str, str], str] = {}
    deb, deb_why = debian_root() if "python" in names else (None, "")
    for name in names:
        for runner in runners:
            if name == "python" and deb is None:
                skipped[(name, runner)] = deb_why
            elif (name in IN_ROOT and os.geteuid() != 0
                  and (runner.startswith("native") or runner.startswith("floor"))):
                skipped[(name, runner)] = "needs root (chroot into the rootfs)"

    samples: dict[tuple[str, str], list[float]] = {}
    failures: dict[tuple[str, str], str] = {}
    for rep in range(reps):
        for name in names:
            desc, n_def, n_quick, extra = BENCHMARKS[name]
            guest = guest_argv(name, n_quick if args.quick else n_def)
            groot = deb if name == "python" else root
            for runner in runners:
                if runner not in cmds or (name, runner) in failures or (name, runner) in skipped:
                    continue
                cmd, cpu, chroot = cmds[runner](guest, groot, name in IN_ROOT)
                ns, err = run_one(cmd, cpu, chroot, outside=name in OUTSIDE_ROWS)
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
            elif (name, runner) in skipped:
                row.append("skip")
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
    print("per-op time (ratio to native); measured inside the program, start-up excluded, except "
          "startup and python: wall time of the whole run")
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
    for why in sorted(set(skipped.values())):
        cells = [f"{n}/{r}" for (n, r), w in skipped.items() if w == why]
        print(f"  skip: {', '.join(cells)}: {why}")
    # issue 10's comparisons, all with umlpy on its default placement
    cmp = []
    for name in names:
        u = med.get((name, "umlpy"))
        if not u:
            continue
        parts = [f"{peer} {u / med[(name, peer)]:.2f}x" for peer in ("floor@cpu0", "proot@cpu0", "runsc@cpu0")
                 if med.get((name, peer))]
        if parts:
            cmp.append(f"{name}: " + ", ".join(parts))
    if cmp:
        print("  umlpy (default placement) / peer:  " + "; ".join(cmp))
    g, gp = med.get(("getppid", "umlpy@none")), med.get(("getppid", "umlpy@cpu0"))
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
        "skipped": {f"{n}/{r}": e for (n, r), e in skipped.items()},
        "outside_rows": sorted(OUTSIDE_ROWS & set(names)),
    }, indent=1) + "\n")
    log(f"bench: raw results in {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
