"""The guest's /dev (umlpy/fsimpl/devfs.py), as guest programs observe it.

Every node has an inode number of its own, and the numbers do not depend on
the supervisor process: two supervisors with different string hash seeds
show the same numbers.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import sh

REPO = Path(__file__).resolve().parent.parent
STAT = "stat -c '%i %n' /dev /dev/* /dev/stdout /dev/stderr"


def inodes(text: str) -> dict[str, int]:
    """`stat -c '%i %n'` output as {name: inode}."""
    out = {}
    for line in text.splitlines():
        ino, name = line.split(" ", 1)
        out[name] = int(ino)
    return out


def test_every_dev_node_has_its_own_inode(sandbox):
    r = sh(sandbox, STAT)
    assert r.returncode == 0, r.stderr
    seen = inodes(r.stdout)
    assert {"/dev", "/dev/null", "/dev/zero", "/dev/tty", "/dev/console", "/dev/fd",
            "/dev/stdin", "/dev/stdout", "/dev/stderr"} <= set(seen)
    assert len(set(seen.values())) == len(seen), seen
    # the directory listing (ls -i) shows the same numbers
    r = sh(sandbox, "ls -i /dev")
    listed = {f"/dev/{name}": int(ino) for ino, name in (line.split() for line in r.stdout.splitlines())}
    assert listed == {k: v for k, v in seen.items() if k != "/dev"}


def test_dev_inodes_are_the_same_in_every_run(sandbox, rootfs):
    first = sh(sandbox, STAT)
    assert first.returncode == 0, first.stderr
    runs = [inodes(first.stdout)]
    # Two more runs, each by a supervisor process of its own with its own hash seed.
    for seed in ("1", "2"):
        r = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--",
                            "sh", "-c", STAT], capture_output=True, text=True, timeout=30, cwd=REPO,
                           env=dict(os.environ, PYTHONHASHSEED=seed))
        assert r.returncode == 0, r.stderr
        runs.append(inodes(r.stdout))
    assert runs[0] == runs[1] == runs[2]
