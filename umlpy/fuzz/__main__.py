"""`python3 -m umlpy.fuzz`: fuzz the sandbox's syscalls and report what broke (docs/fuzzing.md).

    python3 -m umlpy.fuzz                       10**6 calls, 2 sandboxes at a time, both modes
    python3 -m umlpy.fuzz --calls 20000 --jobs 1 --strict --seed 7 -v

Exit status 0 when no internal error, host invariant violation or run problem was found,
1 otherwise, 2 for a bad command line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from umlpy.fuzz.driver import UsageError, format_report, fuzz, main_progress


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m umlpy.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=1_000_000, help="syscalls in all (default 10**6)")
    p.add_argument("--jobs", type=int, default=2, help="sandboxes at a time (default 2)")
    p.add_argument("--batch", type=int, default=50_000, help="syscalls per sandbox (default 50000)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--strict", dest="modes", action="store_const", const=("strict",),
                      help="strict mode only (every syscall stops)")
    mode.add_argument("--normal", dest="modes", action="store_const", const=("normal",),
                      help="normal mode only")
    mode.add_argument("--trace", dest="modes", action="store_const", const=("trace",),
                      help="strict mode with --trace on (every call also goes through the formatter)")
    mode.add_argument("--all-modes", dest="modes", action="store_const", const=("normal", "strict", "trace"),
                      help="normal, strict and trace batches in turn")
    p.set_defaults(modes=("normal", "strict"))
    p.add_argument("--seed", type=int, default=1, help="seed of the first batch (batch i: seed + i)")
    p.add_argument("--procs", type=int, default=3, help="worker processes per sandbox (1-16)")
    p.add_argument("--threads", type=int, default=3, help="threads per worker process (1-8)")
    p.add_argument("--quota", type=int, default=5000,
                   help="calls a worker process makes before a fresh one replaces it")
    p.add_argument("--rootfs", help="root file system (default: the project's rootfs)")
    p.add_argument("--workdir", help="keep the compiled guest and spec here (default: a temporary one)")
    p.add_argument("--skip", action="append", default=[], metavar="NAME[,NAME]",
                   help="never make these syscalls (to get past a known hang)")
    p.add_argument("--only", action="append", default=[], metavar="NAME[,NAME]",
                   help="make only these syscalls (to reproduce a finding)")
    p.add_argument("--json", metavar="FILE", help="also write the findings as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="tracebacks and C sketches in the report")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return p


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    if os.geteuid() != 0:
        sys.stderr.write("umlpy fuzz: the supervisor must run as root\n")
        return 2
    if not (1 <= ns.procs <= 16 and 1 <= ns.threads <= 8 and ns.calls > 0 and ns.batch > 0 and ns.jobs > 0):
        sys.stderr.write("umlpy fuzz: --procs 1..16, --threads 1..8, positive --calls, --batch, --jobs\n")
        return 2
    try:
        rep = fuzz(ns.calls, jobs=ns.jobs, modes=ns.modes, seed=ns.seed, batch=ns.batch, procs=ns.procs,
                   threads=ns.threads, quota=ns.quota, workdir=ns.workdir, rootfs=ns.rootfs,
                   skip=tuple(n for s in ns.skip for n in s.split(",") if n),
                   only=tuple(n for s in ns.only for n in s.split(",") if n),
                   progress=None if ns.quiet else main_progress)
    except UsageError as e:
        sys.stderr.write(f"umlpy fuzz: {e}\n")
        return 2
    print(format_report(rep, verbose=ns.verbose))
    if ns.json:
        with open(ns.json, "w") as f:
            json.dump({"calls": rep.calls, "wall": rep.wall, "per_nr": rep.per_nr, "errnos": rep.errnos,
                       "findings": [dict(asdict(x), modes=sorted(x.modes)) for x in rep.findings.values()],
                       "violations": rep.violations, "problems": rep.problems,
                       "guest_events": rep.guest_events}, f, indent=1, default=str)
    return 0 if rep.clean else 1


if __name__ == "__main__":
    sys.exit(main())
