"""System V IPC owners as real programs see them: util-linux's ipcmk, ipcs and ipcrm
in the ``debian`` rootfs (built by .ci/debian-rootfs; skipped without it).

ipcs reads /proc/sysvipc (fsimpl/procfs/sysvipc.py); the owners, creators and
modes are the guest kernel's (kernel/ipc.py), and ipcrm by another user is
refused as on Linux.  The syscall-level rules are the conformance cases
ipc/ipc_perms, ipc/ipc_stat_ids and ipc/ipc_owner_ids.
"""
from __future__ import annotations

import re

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox


@pytest.fixture(scope="module")
def debian():
    return debian_rootfs("ipcs", "ipcmk")


SCRIPT = r"""
ipcmk -M 4096 -p 0640 >/dev/null
ipcmk -Q -p 0600 >/dev/null
ipcmk -S 2 -p 0660 >/dev/null
ipcs -m -c | awk '$1 ~ /^[0-9]+$/ {print "shm creator", $2, $3, $4, $5, $6}'
ipcs -q | awk '$1 ~ /^0x/ {print "msg", $3, $4}'
ipcs -s | awk '$1 ~ /^0x/ {print "sem", $3, $4, $5}'
ipcs -m -p | awk '$1 ~ /^[0-9]+$/ {print "shm cpid is a guest pid:", ($3 > 0 && $3 < 1000)}'
id=$(ipcs -m | awk '/^0x/ {print $2}')
su nobody -s /bin/bash -c "ipcs -m | grep -c '^0x'; ipcrm -m $id 2>&1; echo rc=\$?"
ipcrm -m $id && echo "root removed it"
ipcs -m | grep -c '^0x' || true
"""


def test_ipcs_shows_guest_owners_and_ipcrm_checks_them(debian):
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["/bin/bash", "-c", SCRIPT], text=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert "shm creator 640 root root root root" in lines, lines
    assert "msg root 600" in lines, lines
    assert "sem root 660 2" in lines, lines
    assert "shm cpid is a guest pid: 1" in lines, lines
    # another user may not remove root's segment (EPERM: ipcrm says "permission denied")
    i = lines.index("root removed it")
    assert re.match(r"ipcrm: permission denied for id", lines[i - 2]), lines
    assert lines[i - 1] == "rc=1"
    assert lines[i + 1] == "0"
