#!/usr/bin/env python3
"""Crash test of `--persist`: kill the supervisor at random points, then check
that every change the guest saw acknowledged is still there and nothing is corrupt.

    python3 bench/crash_persist.py [--runs N] [--cycles K] [--seed S] [--keep DIR] [-v]

A static C guest (`crashguest`, compiled here with gcc -static) works in
/data of a small rootfs whose lower layer holds small files, directories and
a few 8 MB files.  It first prints the state it sees (every entry of /data:
kind, size, CRC-32, owner, mode), then reads from its stdin the number of the
first operation to run, and runs the operations of a seeded script: fsync'd
writes to a temporary name renamed into place, appends (the first one to a
rootfs file copies it up, 8 MB for the big ones), renames of files and of
rootfs directories, deletes, chown, mkdir, rmdir, truncate.  After each
operation and its fsyncs it prints `ok I`.

The harness runs `python3 -m umlpy run --persist P` on that guest, kills the
umlpy process with SIGKILL at a random time (up to 0.8 s into the run), right
after a random acknowledgement, or right after the one before a copy-up of a
big file (0-10 ms later), and starts it again on the same P.  The state the next run
prints must be the state after the last acknowledged operation, or after the
one that was in flight when the kill came: anything else is a loss (a change
acknowledged and gone, a deleted file back, a file of the wrong content).  A
campaign is `--cycles` kills on one persist directory, then a clean run that
checks the last state; `--runs` kills in all.

It prints one line per campaign and, at the end, `runs N losses L` (exit
status 1 if L > 0).  tests/test_persist_crash.py runs a small seeded version.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIG = 8 << 20

GUEST_C = r"""
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t table[256];
static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}
static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n) {
    crc = ~crc;
    while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void die(const char *what, const char *path, long op) {
    printf("err %ld %s %s %d\n", op, what, path, errno);
    fflush(stdout);
    exit(3);
}

static char buf[1 << 20];

static void dump(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) die("opendir", dir, -1);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strncmp(e->d_name, "tmp.", 4))
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st)) die("lstat", p, -1);
        if (S_ISDIR(st.st_mode)) {
            printf("D %s 0 0 %u %u %o\n", p, st.st_uid, st.st_gid, st.st_mode & 07777);
            dump(p);
        } else {
            int fd = open(p, O_RDONLY);
            if (fd < 0) die("open", p, -1);
            uint32_t crc = 0;
            long size = 0;
            ssize_t n;
            while ((n = read(fd, buf, sizeof buf)) > 0) { crc = crc_update(crc, (unsigned char *)buf, n); size += n; }
            close(fd);
            printf("F %s %ld %u %u %u %o\n", p, size, crc, st.st_uid, st.st_gid, st.st_mode & 07777);
        }
    }
    closedir(d);
}

static void pattern(long op, const char *path, long size) {
    char unit[PATH_MAX + 32];
    int n = snprintf(unit, sizeof unit, "op%ld %s\n", op, path);
    for (long i = 0; i < size; i++) buf[i] = unit[i % n];
}

static void fsync_parent(const char *path, long op) {
    char d[PATH_MAX];
    strcpy(d, path);
    char *s = strrchr(d, '/');
    if (s == d) s[1] = 0; else *s = 0;
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd)) die("fsync-dir", d, op);
    close(fd);
}

static void put(const char *path, int flags, long op, long size) {
    int fd = open(path, flags, 0644);
    if (fd < 0) die("open", path, op);
    pattern(op, path, size);
    if (write(fd, buf, size) != size) die("write", path, op);
    if (fsync(fd)) die("fsync", path, op);
    close(fd);
}

int main(int argc, char **argv) {
    crc_init();
    dump("/data");
    printf("DUMP-END\n");
    fflush(stdout);
    long start;
    if (scanf("%ld", &start) != 1 || start < 0) return 0;
    FILE *f = fopen(argv[1], "r");
    if (!f) die("open", argv[1], -1);
    static char line[2 * PATH_MAX];
    for (long op = 0; fgets(line, sizeof line, f); op++) {
        if (op < start) continue;
        char kind, a[PATH_MAX], b[PATH_MAX];
        long x = 0, y = 0;
        a[0] = b[0] = 0;
        sscanf(line, "%c %s", &kind, a);
        switch (kind) {
        case 'W': {            /* write a temporary file, fsync, rename into place, fsync the dir */
            char tmp[64];
            sscanf(line, "%*c %*s %ld", &x);
            snprintf(tmp, sizeof tmp, "/data/tmp.%ld", op);
            put(tmp, O_WRONLY | O_CREAT | O_TRUNC, op, x);
            if (rename(tmp, a)) die("rename", a, op);
            fsync_parent(a, op);
            break;
        }
        case 'A':              /* append and fsync (the first write to a rootfs file copies it up) */
            sscanf(line, "%*c %*s %ld", &x);
            put(a, O_WRONLY | O_APPEND, op, x);
            break;
        case 'R':
            sscanf(line, "%*c %*s %s", b);
            if (rename(a, b)) die("rename", a, op);
            fsync_parent(a, op);
            fsync_parent(b, op);
            break;
        case 'D':
            if (unlink(a)) die("unlink", a, op);
            fsync_parent(a, op);
            break;
        case 'C':
            sscanf(line, "%*c %*s %ld %ld", &x, &y);
            if (lchown(a, x, y)) die("chown", a, op);
            break;
        case 'M':
            if (mkdir(a, 0755)) die("mkdir", a, op);
            fsync_parent(a, op);
            break;
        case 'X':
            if (rmdir(a)) die("rmdir", a, op);
            fsync_parent(a, op);
            break;
        case 'T': {
            sscanf(line, "%*c %*s %ld", &x);
            if (truncate(a, x)) die("truncate", a, op);
            int fd = open(a, O_RDONLY);
            if (fd < 0 || fsync(fd)) die("fsync", a, op);
            close(fd);
            break;
        }
        default:
            die("bad-op", line, op);
        }
        char ack[32];
        int n = snprintf(ack, sizeof ack, "ok %ld\n", op);
        if (write(1, ack, n) != n) return 4;
    }
    printf("done\n");
    return 0;
}
"""


# --------------------------------------------------------------- the model
# A state maps a guest path to ("F", content, uid, gid, mode) or ("D", uid, gid, mode).
State = dict


def pattern(op: str, path: str, size: int) -> bytes:
    unit = f"op{op} {path}\n".encode()
    return (unit * (size // len(unit) + 1))[:size]


def lower_state(seed: int, bigs: int = 6) -> State:
    rng = random.Random(seed)
    st: State = {}
    for i in range(30):
        p = f"/data/l{i:02}"
        st[p] = ("F", pattern("lower", p, rng.randrange(0, 6000)), 0, 0, rng.choice([0o644, 0o600, 0o755]))
    for d in range(4):
        st[f"/data/d{d}"] = ("D", 0, 0, 0o755)
        for i in range(4):
            p = f"/data/d{d}/f{i}"
            st[p] = ("F", pattern("lower", p, rng.randrange(0, 3000)), 0, 0, 0o644)
    for i in range(bigs):
        p = f"/data/big{i}"
        st[p] = ("F", pattern("lower", p, BIG), 0, 0, 0o644)
    return st


def children(st: State, d: str) -> list[str]:
    return [p for p in st if p.startswith(d + "/")]


def apply(st: State, op: str, i: int) -> State:
    """The state after operation `op` (line `i` of the script)."""
    st = dict(st)
    kind, a, *rest = op.split()
    if kind == "W":
        st[a] = ("F", pattern(str(i), f"/data/tmp.{i}", int(rest[0])), 0, 0, 0o644)
    elif kind == "A":
        e = st[a]
        st[a] = ("F", e[1] + pattern(str(i), a, int(rest[0])), *e[2:])
    elif kind == "R":
        b = rest[0]
        for p in [a, *children(st, a)]:
            st[b + p[len(a):]] = st.pop(p)
    elif kind in "DX":
        del st[a]
    elif kind == "C":
        e = st[a]
        st[a] = (e[0], *e[1:-3], int(rest[0]), int(rest[1]), e[-1])
    elif kind == "M":
        st[a] = ("D", 0, 0, 0o755)
    elif kind == "T":
        e = st[a]
        st[a] = ("F", e[1][:int(rest[0])], *e[2:])
    return st


class States:
    """states[k]: the state after the first k operations (every 64th kept, the rest recomputed)."""

    def __init__(self, ops: list[str], kept: dict[int, State]) -> None:
        self.ops, self.kept = ops, kept

    def __getitem__(self, k: int) -> State:
        base = k - k % 64
        st = self.kept[base]
        for i in range(base, k):
            st = apply(st, self.ops[i], i)
        return st


KINDS = "WARDCMXTS"      # S: rename a directory
WEIGHTS = [22, 16, 18, 12, 7, 4, 3, 5, 4]


def gen_ops(seed: int, st: State, n: int, without: str = "") -> tuple[list[str], States, list[int]]:
    """`n` valid operations from state `st`, the states after each (states[0] = st),
    and the operations that copy up a big rootfs file (the first to write or move it).
    No operation of a kind in `without` (a C there: no chown)."""
    rng = random.Random(seed)
    bigs = {p for p, e in st.items() if e[0] == "F" and len(e[1]) == BIG}
    unlock = {p: 150 * (k + 1) for k, p in enumerate(sorted(bigs))}    # one big file at a time
    copyups = []
    weights = [0 if k in without else w for k, w in zip(KINDS, WEIGHTS)]
    ops: list[str] = []
    kept = {0: st}
    for i in range(n):
        files = sorted(p for p, e in st.items() if e[0] == "F" and unlock.get(p, 0) <= i)
        dirs = sorted(p for p, e in st.items() if e[0] == "D")
        top = [d for d in dirs if d.count("/") == 2]
        empty = [d for d in top if not children(st, d)]
        where = rng.choice(["/data"] + top)
        kind = rng.choices(KINDS, weights=weights)[0]
        if len(files) > 110:
            kind = "D"
        if kind == "W":
            target = rng.choice(files) if files and rng.random() < 0.3 else f"{where}/n{i}"
            op = f"W {target} {rng.randrange(1, 9000)}"
        elif kind == "A" and files:
            op = f"A {rng.choice(files)} {rng.randrange(1, 3000)}"
        elif kind == "R" and files:
            target = rng.choice(files) if rng.random() < 0.3 else f"{where}/r{i}"
            src = rng.choice(files)
            op = f"R {src} {target}" if src != target else f"R {src} {where}/r{i}"
        elif kind == "S" and top:            # a whole directory, maybe still in the rootfs
            op = f"R {rng.choice(top)} /data/s{i}"
        elif kind == "D" and files:
            op = f"D {rng.choice(files)}"
        elif kind == "C" and files:
            op = f"C {rng.choice(files + dirs)} {rng.randrange(1, 1000)} {rng.randrange(1, 1000)}"
        elif kind == "X" and empty:
            op = f"X {rng.choice(empty)}"
        elif kind == "T" and files:
            f = rng.choice(files)
            op = f"T {f} {rng.randrange(0, len(st[f][1]) + 1)}"
        elif len(top) < 10:
            op = f"M /data/m{i}"
        elif empty:
            op = f"X {rng.choice(empty)}"
        else:
            op = f"W {where}/n{i} {rng.randrange(1, 9000)}"
        kind, path, *_ = op.split()
        if kind in "ATR" and path in bigs:
            copyups.append(i)
        if kind in "ATRDW":
            bigs.discard(path)
            bigs.discard(op.split()[2] if kind == "R" else path)
        st = apply(st, op, i)
        ops.append(op)
        if (i + 1) % 64 == 0:
            kept[i + 1] = st
    return ops, States(ops, kept), copyups


def summary(st: State) -> dict[str, tuple]:
    """What the guest prints for a state."""
    out = {}
    for p, e in st.items():
        if e[0] == "F":
            out[p] = ("F", len(e[1]), zlib.crc32(e[1]), e[2], e[3], e[4])
        else:
            out[p] = ("D", 0, 0, *e[1:])
    return out


def parse_dump(lines: list[str]) -> dict[str, tuple]:
    out = {}
    for line in lines:
        kind, path, size, crc, uid, gid, mode = line.split()
        out[path] = (kind, int(size), int(crc), int(uid), int(gid), int(mode, 8))
    return out


def diff(seen: dict, want: dict) -> list[str]:
    lines = []
    for p in sorted(set(seen) | set(want)):
        if seen.get(p) != want.get(p):
            lines.append(f"  {p}: saw {seen.get(p)}, expected {want.get(p)}")
    return lines


# ---------------------------------------------------------------- building
def build(work: Path, seed: int, bigs: int = 6) -> tuple[Path, Path, State]:
    """(rootfs, crashguest binary dir, the rootfs's /data state)."""
    root = work / "rootfs"
    (root / "bin").mkdir(parents=True)
    src = work / "crashguest.c"
    src.write_text(GUEST_C)
    subprocess.run(["gcc", "-O2", "-static", "-o", str(root / "bin" / "crashguest"), str(src)],
                   check=True, capture_output=True)
    st = lower_state(seed, bigs)
    for p, e in sorted(st.items()):
        host = root / p.lstrip("/")
        if e[0] == "D":
            host.mkdir(parents=True, exist_ok=True)
            os.chmod(host, e[3])
        else:
            host.parent.mkdir(parents=True, exist_ok=True)
            host.write_bytes(e[1])
            os.chmod(host, e[4])
    return root, root / "bin" / "crashguest", st


# -------------------------------------------------------------- campaigns
@dataclass
class Outcome:
    kills: int = 0
    acked: int = 0
    losses: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    modes: dict[str, int] = field(default_factory=dict)     # kills by how they were timed


class Guest:
    """One `umlpy run --persist` of the crash guest, its stdout read line by line."""

    def __init__(self, rootfs: Path, persist: Path, ops_dir: Path, log: Path, repo: Path = REPO) -> None:
        self.log = open(log, "ab")  # noqa: SIM115 (closed by finish())
        cmd = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--persist", str(persist),
               "-v", f"{ops_dir}:/ops:ro", "--", "/bin/crashguest", "/ops/ops.txt"]
        self.proc = subprocess.Popen(cmd, cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log)
        self.lines: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout: float) -> str | None:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return ""

    def dump(self, timeout: float = 60) -> list[str] | None:
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.line(deadline - time.monotonic())
            if line == "DUMP-END":
                return out
            if line is None:
                return None
            if line:
                out.append(line)
        return None

    def send(self, text: str) -> None:
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def kill(self) -> None:
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self, timeout: float = 30) -> list[str]:
        rest = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.line(max(0.01, deadline - time.monotonic()))
            if line is None:
                break
            if line == "" and time.monotonic() > deadline:
                self.kill()
                rest.append("timeout")
                break
            if line:
                rest.append(line)
        self.proc.wait()
        self.proc.stdin.close()
        self.log.close()
        return rest


def campaign(rng: random.Random, rootfs: Path, lower: State, persist: Path, ops_dir: Path,
             cycles: int, n_ops: int = 8000, verbose: bool = False, repo: Path = REPO,
             without: str = "") -> Outcome:
    """`cycles` kills on one fresh persist directory, then a last clean run that checks."""
    ops, states, copyups = gen_ops(rng.randrange(1 << 30), lower, n_ops, without)
    (ops_dir / "ops.txt").write_text("".join(op + "\n" for op in ops))
    summaries: dict[int, dict] = {}

    def want(k: int) -> dict:
        if k not in summaries:
            summaries[k] = summary(states[k])
        return summaries[k]

    out = Outcome()
    lo = hi = 0                      # the state seen must be states[lo] or states[hi]
    log = persist.parent / (persist.name + ".log")
    for cycle in range(cycles + 1):
        g = Guest(rootfs, persist, ops_dir, log, repo)
        lines = g.dump()
        if lines is None:
            g.kill()
            rest = g.finish()
            out.errors.append(f"cycle {cycle}: no state printed ({' | '.join(rest[-3:])}; see {log})")
            return out
        seen = parse_dump(lines)
        if seen == want(lo):
            at = lo
        elif seen == want(hi):
            at = hi
        else:
            g.kill()
            g.finish()
            d = min(diff(seen, want(lo)), diff(seen, want(hi)), key=len)
            out.losses.append(f"cycle {cycle}: after op {lo - 1} acknowledged, the state is neither that "
                              f"nor the one after op {lo} ({ops[lo] if lo < len(ops) else '-'}):\n"
                              + "\n".join(d[:8]))
            return out
        if cycle == cycles or at >= len(ops):
            g.send("-1\n")
            g.finish()
            return out
        g.send(f"{at}\n")
        # kill: at a random time, or right after a random acknowledgement,
        # or right after the one before a copy-up of a big rootfs file
        mode = rng.choices(["timer", "ack", "copy-up"], weights=[4, 4, 2])[0]
        target = at + rng.randrange(0, 60)
        nearby = [c for c in copyups if at <= c < at + 2000]
        if mode == "copy-up" and nearby:
            target = nearby[0] - 1
        elif mode == "copy-up":
            mode = "ack"
        deadline = time.monotonic() + rng.uniform(0.0, 0.8)
        cap = time.monotonic() + 20
        last = at - 1
        while time.monotonic() < cap and (mode == "timer" or last < target):
            line = g.line(0.002 if mode == "timer" else 0.5)
            if line is None:
                break
            if line.startswith("ok "):
                last = int(line.split()[1])
            elif line and line != "done":
                out.errors.append(f"cycle {cycle}: guest said {line!r}")
            if mode == "timer" and time.monotonic() >= deadline:
                break
        if mode != "timer":
            time.sleep(rng.uniform(0, 0.01 if mode == "copy-up" else 0.004))
        g.kill()
        for line in g.finish():
            if line.startswith("ok "):
                last = int(line.split()[1])
            elif line.startswith("err ") and line.split()[-1] == "38":
                # ENOSYS: the supervisor died first; its files (the seccomp
                # listener) close before its tracees get their SIGKILL
                pass
            elif line != "done":
                out.errors.append(f"cycle {cycle}: guest said {line!r}")
        if out.errors:
            tail = log.read_text(errors="replace").splitlines()[-5:]
            out.errors.append("  umlpy's stderr ends: " + " | ".join(tail))
            return out
        out.kills += 1
        out.modes[mode] = out.modes.get(mode, 0) + 1
        work = persist / "work"
        if work.is_dir() and any(n.startswith("copyup.") for n in os.listdir(work)):
            out.modes["landed in a copy-up"] = out.modes.get("landed in a copy-up", 0) + 1
        out.acked += last + 1 - at
        lo, hi = last + 1, min(last + 2, len(ops))
        if verbose:
            print(f"  cycle {cycle}: ops {at}..{last} acknowledged, killed "
                  f"{'on a timer' if mode == 'timer' else f'after ok {target} ({mode})'}", flush=True)
    return out


def crash_runs(runs: int, cycles: int = 10, seed: int = 1, work: Path | None = None,
               verbose: bool = False, bigs: int = 6, repo: Path = REPO, without: str = "",
               n_ops: int = 8000) -> dict:
    """Run `runs` kills in campaigns of `cycles`; a summary dict (runs, losses, details)."""
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="crash-persist.")) if own else work
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    try:
        rootfs, _, lower = build(work / "build", seed, bigs)
        total = Outcome()
        n = 0
        while total.kills < runs:
            n += 1
            ops_dir = work / f"ops{n}"
            ops_dir.mkdir()
            out = campaign(rng, rootfs, lower, work / f"persist{n}", ops_dir,
                           min(cycles, runs - total.kills), n_ops, verbose, repo, without)
            total.kills += out.kills
            total.acked += out.acked
            total.losses += out.losses
            total.errors += out.errors
            for k, v in out.modes.items():
                total.modes[k] = total.modes.get(k, 0) + v
            print(f"campaign {n}: {out.kills} kills, {out.acked} operations acknowledged, "
                  f"{len(out.losses)} losses, {len(out.errors)} errors", flush=True)
            for text in out.losses + out.errors:
                print(text, flush=True)
            if out.errors and not out.kills:
                break
        return {"runs": total.kills, "acked": total.acked, "losses": len(total.losses),
                "errors": len(total.errors), "kills": total.modes, "details": total.losses + total.errors}
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50, help="kills in all (default 50)")
    ap.add_argument("--cycles", type=int, default=10, help="kills per persist directory (default 10)")
    ap.add_argument("--seed", type=int, default=int(time.time()), help="random seed (default: the time)")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    ap.add_argument("--without", default="", metavar="KINDS",
                    help=f"leave out these kinds of operation (of {KINDS}; C: chown)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("--repo", type=Path, default=REPO,
                    help="the umlpy checkout to run (default: this one), e.g. an older commit's")
    ap.add_argument("-v", "--verbose", action="store_true")
    ns = ap.parse_args(argv)
    print(f"seed {ns.seed}", flush=True)
    res = crash_runs(ns.runs, ns.cycles, ns.seed, ns.keep, ns.verbose, repo=ns.repo, without=ns.without)
    if ns.json:
        print(json.dumps({k: v for k, v in res.items() if k != "details"}))
    kills = ", ".join(f"{v} {k}" for k, v in sorted(res["kills"].items()))
    print(f"runs {res['runs']} losses {res['losses']} acknowledged {res['acked']} errors {res['errors']} "
          f"(kills: {kills})")
    return 1 if res["losses"] or res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
