"""The layers of defence docs/security.md lists, seen from the host while a guest runs:
a guest process runs as the unprivileged host uid (rootless: the user's own),
with no capabilities, with no_new_privs, under the seccomp filter, chrooted in
an empty directory, in network and PID namespaces of its own (rootless: and a
user namespace), and traced by the supervisor.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from umlpy.kernel.kernel import NOBODY

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            return {k: v.strip() for k, _, v in (line.partition(":") for line in f)}
    except OSError:                          # gone while we looked
        return {}


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def test_a_running_guest_as_the_host_sees_it(rootfs):
    """uid nobody (rootless: ours), CapEff 0, NoNewPrivs 1, Seccomp 2 (filter), root = an
    empty directory, its own network and PID namespaces, traced by the supervisor."""
    uid = NOBODY if os.geteuid() == 0 else os.geteuid()
    mark = f"30.{os.getpid()}"         # the guest, found by its argument: a warm server's
    p = subprocess.Popen([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--",
                          "sh", "-c", f"echo ready; exec sleep {mark}"], stdout=subprocess.PIPE, text=True,
                         cwd=REPO)     # supervisor (umlpy/warm.py) is no child of `p`
    try:
        assert p.stdout.readline() == "ready\n"
        deadline = time.monotonic() + 10
        while True:                    # sh has printed; its exec of sleep may not be done yet
            guests = [int(d) for d in os.listdir("/proc") if d.isdigit() and _cmdline(int(d)) == ["sleep", mark]]
            if guests or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert guests, "no guest process found"
        for pid in guests:
            st = _status(pid)
            assert st["Uid"].split()[1] == str(uid)
            assert int(st["CapEff"], 16) == 0 and int(st["CapPrm"], 16) == 0
            assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
            assert os.listdir(f"/proc/{pid}/root") == []
            assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
            assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
            assert st["NSpid"].split()[1:] == ["1"], st["NSpid"]      # guest init, pid 1 there
            if os.geteuid() != 0:
                assert os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/self/ns/user")
            assert st["TracerPid"] != "0"
    finally:
        p.terminate()            # as docker stop: the guest ends, the cgroups go
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
