"""Crash test of `--persist`, small and seeded: bench/crash_persist.py with 8 kills.

A static C guest does fsync'd writes renamed into place, appends (copy-ups of
rootfs files, two of them 8 MB), renames of files and rootfs directories,
deletes, chown, mkdir, rmdir and truncate in /data, acknowledging each.  The
umlpy process is SIGKILLed at random points, and each restart must show the
state after the last acknowledged operation or after the one in flight.  The
many-run version is `python3 bench/crash_persist.py --runs N`.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_harness():
    spec = importlib.util.spec_from_file_location("crash_persist", REPO / "bench" / "crash_persist.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["crash_persist"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_killed_supervisors_lose_no_acknowledged_change(tmp_path):
    harness = load_harness()
    res = harness.crash_runs(runs=8, cycles=4, seed=20261204, work=tmp_path, bigs=2, n_ops=3000)
    assert res["losses"] == 0 and res["errors"] == 0, "\n".join(res["details"])
    assert res["runs"] == 8
    assert res["acked"] >= 20, res               # the guest got somewhere between the kills
    persists = sorted(tmp_path.glob("persist*[0-9]"))
    assert persists
    for p in persists:
        # after the last, clean run: nothing half-built, a whole overlay.json, no rename pending
        assert os.listdir(p / "work") == []
        data = json.loads((p / "overlay.json").read_text()) if (p / "overlay.json").exists() else {}
        assert "pending" not in data


def test_the_harness_sees_a_lost_change(tmp_path):
    """The checker itself: a state that lost the last acknowledged operation is not accepted."""
    harness = load_harness()
    lower = harness.lower_state(1, bigs=1)
    ops, states, _ = harness.gen_ops(2, lower, 50)
    seen = harness.summary(states[40])
    assert seen == harness.summary(harness.States(ops, {0: lower})[40])    # recomputed: the same
    torn = dict(seen)
    path = next(p for p, e in torn.items() if e[0] == "F")
    torn[path] = ("F", 0, 0, *torn[path][3:])        # a file cut short
    assert torn not in (harness.summary(states[40]), harness.summary(states[41]))
    assert harness.diff(torn, seen) == [f"  {path}: saw {torn[path]}, expected {seen[path]}"]
