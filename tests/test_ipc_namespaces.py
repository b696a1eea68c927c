"""IPC namespaces inside the sandbox, as real programs use them: util-linux's unshare
--ipc and nsenter --ipc, bubblewrap's --unshare-ipc, and ipcmk/ipcs, in the ``debian``
rootfs as guest root (skipped without it).

The namespaces are the guest kernel's (kernel/namespaces.py, kernel/ipc.py,
syscalls/namespace.py): every one lives inside the sandbox's one host IPC
namespace, and the guest kernel keeps which objects and keys are whose.  What
the tests assert is what the guest printed: ipcs in a new namespace lists
nothing of its parent's and what it made itself, the parent's listing and
`ipcs -u` counts are unchanged by it, nsenter joins it, and /proc/PID/ns/ipc
differs exactly across namespaces.  The syscall-level rules (EINVAL for an id
of another namespace, msgsnd/semop included) are the conformance case
ipc/ipc_namespace.
"""
from __future__ import annotations

import re
import subprocess

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox


@pytest.fixture(scope="module")
def debian():
    with Sandbox(rootfs=debian_rootfs("unshare", "nsenter", "ipcs", "ipcmk", "bwrap"), hostname="box") as sb:
        yield sb


def out(sb: Sandbox, script: str) -> str:
    r: subprocess.CompletedProcess = sb.run(["sh", "-c", script], timeout=30)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout.decode()


COUNT = "grep -c ^0x"            # objects in an ipcs listing (no quotes: it goes inside sh -c '...')


def test_unshare_ipc_gets_an_empty_namespace_of_its_own(debian):
    text = out(debian, f"""
        ipcmk -Q >/dev/null; ipcmk -M 4096 >/dev/null; ipcmk -S 2 >/dev/null
        readlink /proc/self/ns/ipc
        unshare --ipc sh -c 'readlink /proc/self/ns/ipc
                             ipcs -q | {COUNT}; ipcs -m | {COUNT}; ipcs -s | {COUNT}
                             ipcmk -Q >/dev/null; ipcmk -Q >/dev/null; ipcs -q | {COUNT}'
        ipcs -q | {COUNT}; ipcs -m | {COUNT}; ipcs -s | {COUNT}; true""")
    outer, inner, *counts = text.split()
    assert re.fullmatch(r"ipc:\[\d+\]", outer) and re.fullmatch(r"ipc:\[\d+\]", inner)
    assert inner != outer
    # inside: none of the parent's three, then its own two queues;
    # outside: its own three, none of the child's
    assert counts == ["0", "0", "0", "2", "1", "1", "1"]


def test_ipcs_summary_counts_the_callers_namespace(debian):
    """ipcs -u is msgctl(MSG_INFO), shmctl(SHM_INFO), semctl(SEM_INFO): per namespace."""
    text = out(debian, """
        ipcmk -M 8192 >/dev/null; ipcmk -S 3 >/dev/null
        unshare --ipc sh -c 'ipcmk -M 4096 >/dev/null; ipcs -u' | grep -E 'segments allocated|pages allocated|allocated semaphores'
        echo ===
        ipcs -u | grep -E 'segments allocated|pages allocated|allocated semaphores'""")
    inner, outer = text.split("===")
    assert inner.split() == ["segments", "allocated", "1", "pages", "allocated", "1",
                             "allocated", "semaphores", "=", "0"]
    assert outer.split() == ["segments", "allocated", "1", "pages", "allocated", "2",
                             "allocated", "semaphores", "=", "3"]


def test_nsenter_joins_an_ipc_namespace(debian):
    """nsenter -i: setns(2) with /proc/PID/ns/ipc; the caller then sees that namespace's queues."""
    text = out(debian, f"""
        unshare --ipc sh -c 'ipcmk -Q >/dev/null; ipcmk -Q >/dev/null; sleep 3' & sleep 0.7
        nsenter -t $! -i sh -c 'ipcs -q | {COUNT}'
        ipcs -q | {COUNT}; kill $!; true""")
    assert text.split() == ["2", "0"]


def test_bwrap_unshare_ipc(debian):
    """bubblewrap clones its child with CLONE_NEWIPC: the child is in a new namespace
    from its first instruction, and what it makes there is gone with it."""
    text = out(debian, f"""
        ipcmk -S 1 >/dev/null
        bwrap --bind / / --dev /dev --proc /proc --unshare-ipc -- sh -c '
            readlink /proc/self/ns/ipc; ipcs -s | {COUNT}; ipcmk -S 4 >/dev/null; ipcs -s | {COUNT}'
        readlink /proc/self/ns/ipc; ipcs -s | {COUNT}; true""")
    inner, before, after, outer, outside = text.split()
    assert inner != outer and inner.startswith("ipc:[")
    assert (before, after, outside) == ("0", "1", "1")
