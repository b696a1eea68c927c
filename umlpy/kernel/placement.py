"""CPU placement of guest threads: pinned beside the supervisor while they stop
often, moved off its CPU while they compute and wait for it.

Every ptrace stop is two wake-ups between a guest thread and the supervisor, and
on this kind of VM a wake-up across CPUs costs 15-30 us more than one on the same
CPU (bench/README.md).  So a sandbox starts pinned: the supervisor and every guest
thread on one CPU (kernel.py `placement`).  That is right for threads that stop
often and wrong for threads that compute: two CPU-bound guest processes would
share one CPU.  Linux's own scheduler cannot tell the two apart for us, since the
affinity mask forbids it to move anything.

The balancer decides per thread, from the host scheduler's own figures, as the
pinning default itself was chosen from measurement.  /proc/TID/schedstat gives a
thread's time on a CPU, its time waiting for one, and its number of time slices.
A thread that waited for the CPU for at least a fifth of the last interval, and
ran on average at least MIN_SLICE_NS per slice (it computes, not stops) is given
the CPUs the sandbox was started with; one such thread per interval, the one that
waited most, so that the next look sees what that changed.  A thread it moved that
now runs in short slices again (it stops often: a shell after a compile) is
pinned back.  Threads whose mask the guest set itself (sched_setaffinity, run
natively) are left alone: the balancer only changes a mask that is still its own.

The look is cheap when there is nothing to do: one read of /proc/stat every
INTERVAL, and the per-thread figures only when the pinned CPU was busy for most
of the interval while another allowed CPU was idle (and, once anything was
moved, every fourth interval, to pin back what stops again; a child inherits
its parent's mask, so a new thread with every CPU counts as moved).  It runs in a thread of its
own, which needs the GIL only for those reads: the stop loop spends its waits in
C, where the GIL is released.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

INTERVAL = 0.05              # seconds between looks (/proc/stat counts in 10 ms jiffies)
MIN_SLICE_NS = 200_000       # a computing thread runs this long per slice on average
MAX_SLICE_STOPPING_NS = 50_000   # a thread moved off that now slices this short stops often
BUSY = 0.7                   # the pinned CPU was busy this share of the interval
IDLE = 0.30                  # and another allowed CPU idle at least this share
MAX_LOOKED = 128             # threads read per look, at most
QUICK = 0.01                 # a second look this soon when the first had nothing to compare


def _cpu_times() -> dict[int, tuple[int, int]]:
    """cpu -> (busy, total) jiffies since boot, from /proc/stat's cpuN lines."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *vals = line.split()
            if name == "cpu":
                continue                            # the sum of all
            v = [int(x) for x in vals[:8]]
            idle = v[3] + v[4]                      # idle + iowait
            out[int(name[3:])] = (sum(v) - idle, sum(v))
    return out


def _schedstat(tid: int) -> tuple[int, int, int] | None:
    """(ns on a CPU, ns waiting for one, time slices) of host thread `tid`."""
    try:
        with open(f"/proc/{tid}/schedstat") as f:
            run, wait, slices = f.read().split()
        return int(run), int(wait), int(slices)
    except (OSError, ValueError):
        return None


class Balancer:
    """Moves computing guest threads off the supervisor's CPU (see the module docstring)."""

    def __init__(self, cpu: int, allowed: set[int], host_tids: Callable[[], Iterable[int]]) -> None:
        self.cpu = cpu
        self.allowed = frozenset(allowed)
        self.host_tids = host_tids              # the live guest threads, as host tids
        self.moved: set[int] = set()            # threads the balancer gave every CPU
        self.last: dict[int, tuple[int, int, int]] = {}
        self.moves = 0                          # for the report and the design notes
        self.spread = False                     # some thread was ever given every CPU
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if len(self.allowed) < 2:
            return                              # nowhere to move anything
        self._thread = threading.Thread(target=self._run, name="umlpy-placement", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            before = _cpu_times()
        except OSError:
            return
        ticks = 0
        while not self._stop.wait(INTERVAL):
            try:
                now = _cpu_times()
            except OSError:
                return
            ticks += 1
            if self._contended(before, now):
                if not self.look(move=True):    # threads seen for the first time: look again soon
                    self._stop.wait(QUICK)
                    self.look(move=True)
            elif self.spread and ticks % 4 == 0:
                self.look(move=False)           # only to pin back threads that stop again
            before = now

    def _contended(self, before: dict, now: dict) -> bool:
        """Was our CPU busy while another allowed one idled?"""
        def share(cpu: int) -> float:
            b0, t0 = before.get(cpu, (0, 0))
            b1, t1 = now.get(cpu, (0, 0))
            return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
        if share(self.cpu) < BUSY:
            return False
        return any(1 - share(c) >= IDLE for c in self.allowed if c != self.cpu)

    def look(self, move: bool = True) -> bool:
        """One look at the threads: pin back those given every CPU that stop often
        again, and (if `move`) move the one computing thread that waited most.
        False if some thread had no earlier figures to compare with."""
        best, best_wait = None, 0.0
        seen, compared = {}, True
        t = time.monotonic_ns()
        for tid in list(self.host_tids())[:MAX_LOOKED]:
            now = _schedstat(tid)
            if now is None:
                continue
            seen[tid] = (t, *now)
            prev = self.last.get(tid)
            if prev is None:
                compared = False
                if self.spread and self._mask(tid) == self.allowed:
                    self.moved.add(tid)         # a child of a thread we moved: inherited
                continue
            span = t - prev[0]
            run, wait, slices = (now[i] - prev[i + 1] for i in range(3))
            per_slice = run / slices if slices else run
            if tid in self.moved:
                if slices >= 20 and per_slice < MAX_SLICE_STOPPING_NS:
                    self._set(tid, self.allowed, {self.cpu})
            elif move and span and wait / span >= 0.2 and per_slice >= MIN_SLICE_NS and wait / span > best_wait:
                best, best_wait = tid, wait / span
        self.last = seen
        self.moved &= seen.keys()
        if best is not None:
            self._set(best, {self.cpu}, self.allowed)
        return compared

    @staticmethod
    def _mask(tid: int) -> frozenset[int] | None:
        try:
            return frozenset(os.sched_getaffinity(tid))
        except OSError:
            return None

    def _set(self, tid: int, expect: Iterable[int], to: Iterable[int]) -> None:
        """Change thread `tid`'s mask to `to` if it is still `expect` (ours, not the guest's)."""
        try:
            if os.sched_getaffinity(tid) != set(expect):
                self.moved.discard(tid)
                return
            os.sched_setaffinity(tid, set(to))
        except OSError:
            return                              # gone
        if set(to) == {self.cpu}:
            self.moved.discard(tid)
        else:
            self.moved.add(tid)
            self.moves += 1
            self.spread = True
