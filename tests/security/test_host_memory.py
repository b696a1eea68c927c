"""Unbounded host memory (issue 6, hole 4): the writable layer and /tmp have a
size limit, the guest gets ENOSPC at it and df shows it; what a sandbox
stores is in a tmpfs mounted nowhere, so nothing lands in the host's
/dev/shm and nothing is left when the supervisor is killed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import run
from hostcheck import HostState

from umlpy import Sandbox


def test_disk_limit_holds_for_the_layer_and_tmp_together(rootfs, no_supervisor_errors):
    """--limit disk=8M: 5 MB in /usr and 5 MB in /tmp do not both fit; df shows 8 MiB."""
    before = HostState.take()
    with Sandbox(rootfs=rootfs, limits={"disk": "8M"}) as sb:
        r = run(sb, ["/bin/sh", "-c", "dd if=/dev/zero of=/usr/a bs=1M count=5 2>/dev/null; echo a=$?; "
                                      "dd if=/dev/zero of=/tmp/b bs=1M count=5 2>&1 | head -1; "
                                      "df / | tail -1"])
        assert r.stdout.splitlines()[:2] == ["a=0", "dd: error writing '/tmp/b': No space left on device"]
        assert r.stdout.splitlines()[2].split()[1] == "8192", r.stdout
        r = run(sb, ["/bin/sh", "-c", "ls -l /usr/a"])           # the layer lives across runs
        assert " 5242880 " in r.stdout
    assert before.changes() == []


def test_tmpfs_option_gives_tmp_its_own_size(rootfs, no_supervisor_errors):
    """tmpfs=["/tmp:size=4M"]: ENOSPC past 4 MiB in /tmp, while the layer has room."""
    with Sandbox(rootfs=rootfs, tmpfs=["/tmp:size=4M", "/scratch:size=1M,mode=700"]) as sb:
        r = run(sb, ["/bin/sh", "-c", "dd if=/dev/zero of=/tmp/b bs=1M count=5 2>&1 | head -1; "
                                      "dd if=/dev/zero of=/usr/a bs=1M count=5 2>/dev/null; echo a=$?; "
                                      "df /tmp /scratch | tail -2; stat -c %a /scratch"])
    lines = r.stdout.splitlines()
    assert lines[0] == "dd: error writing '/tmp/b': No space left on device", r.stdout + r.stderr
    assert lines[1] == "a=0"
    assert lines[2].split()[:2] == ["tmpfs", "4096"] and lines[3].split()[:2] == ["tmpfs", "1024"]
    assert lines[4] == "700"


def test_bad_tmpfs_option_is_one_error_line(rootfs):
    """umlpy run --tmpfs with a bad option: one `umlpy: error:` line, status 2."""
    r = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--tmpfs",
                        "/tmp:size=lots", "--", "true"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and r.stderr.startswith("umlpy: error: ") and r.stderr.count("\n") == 1, r.stderr


def test_nothing_in_dev_shm_while_running_nor_after_a_kill(rootfs):
    """A guest writes 20 MB to /tmp; /dev/shm gains nothing; SIGKILL to umlpy run leaves nothing."""
    before = HostState.take()
    p = subprocess.Popen([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--",
                          "sh", "-c", "dd if=/dev/zero of=/tmp/f bs=1M count=20 2>/dev/null; "
                                      "echo written; sleep 30"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "written\n"
        assert before.changes() == []                    # nothing in /dev/shm, no mount
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        p.kill()
    deadline = time.time() + 5
    while before.changes() and time.time() < deadline:   # the guests die with the supervisor
        time.sleep(0.05)
    changes = before.changes()
    # A killed supervisor cannot remove its cgroups: the next sandbox started does.
    assert all(c.startswith("cgroup left: ") for c in changes), changes
    with Sandbox(rootfs=rootfs) as sb:
        sb.run(["true"])
    assert before.changes() == []


def test_memfd_counts_against_the_memory_limit(rootfs, cc, progs, no_supervisor_errors):
    """A memfd of 200 MB under --limit memory=64M does not get its pages (issue 6, hole 4)."""
    if os.geteuid() != 0:
        import pytest
        pytest.skip("needs root: the memory cgroup (rootless mode falls back to RSS, which misses shmem)")
    prog = cc("memfd_hog", r"""
    #define _GNU_SOURCE
    #include <stdio.h>
    #include <string.h>
    #include <sys/mman.h>
    #include <unistd.h>
    int main(void) {
        int fd = memfd_create("hog", 0);
        static char buf[1 << 20];
        memset(buf, 1, sizeof buf);
        int mb = 0;
        for (; mb < 200; mb++)
            if (write(fd, buf, sizeof buf) != sizeof buf) break;
        printf("wrote=%d\n", mb);
        return 0;
    }""", static=True)
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], limits={"memory": "64M"}) as sb:
        r = sb.run([prog], text=True, timeout=30)
    assert "wrote=200" not in r.stdout
    assert "memory" in r.report.limit_hit, (r.stdout, r.report.limit_hit)
