"""/sys: read-only, the host's CPU list, and /sys/fs/cgroup showing the sandbox's own
limits as a cgroup v2 root, the way a container's programs size themselves."""
from __future__ import annotations

import os

from conftest import run

from umlpy import Sandbox

NPROCS = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("%ld\n", sysconf(_SC_NPROCESSORS_CONF)); return 0; }
"""


def host(path: str) -> str:
    with open(path) as f:
        return f.read()


def test_the_cpu_list_is_the_hosts(sandbox, cc):
    """glibc's get_nprocs_conf counts /sys/devices/system/cpu/cpuN: the guest gets the
    host's count, and the online/possible lists are the host's."""
    r = run(sandbox, ["sh", "-c", "cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible; "
                      "ls -d /sys/devices/system/cpu/cpu[0-9]*"])
    cpus = sorted(n for n in os.listdir("/sys/devices/system/cpu") if n[3:].isdigit() and n.startswith("cpu"))
    assert r.stdout.split("\n", 2)[:2] == [host("/sys/devices/system/cpu/online").strip(),
                                           host("/sys/devices/system/cpu/possible").strip()], r
    assert sorted(os.path.basename(p) for p in r.stdout.split("\n", 2)[2].split()) == cpus
    prog = cc("nprocs_conf", NPROCS, static=True)
    assert run(sandbox, [prog]).stdout == f"{os.sysconf('SC_NPROCESSORS_CONF')}\n"


def test_cgroup_files_show_the_sandboxs_limits(rootfs):
    with Sandbox(rootfs=rootfs, limits={"memory": "256M", "processes": 64}) as sb:
        r = run(sb, ["sh", "-c", "cd /sys/fs/cgroup && cat memory.max pids.max cpu.max cgroup.controllers "
                     "&& sleep 1 & sleep 0.2; cat /sys/fs/cgroup/pids.current; wait"])
    lines = r.stdout.splitlines()
    assert lines[:4] == [str(256 << 20), "64", "max 100000", "cpu memory pids"], r
    assert int(lines[4]) >= 2, r                          # the shell and its sleeps
    with Sandbox(rootfs=rootfs, limits={"memory": "unlimited"}) as sb:
        r = run(sb, ["sh", "-c", "cat /sys/fs/cgroup/memory.max; cat /proc/self/cgroup; "
                     "grep -o ' /sys[^ ]* [^ ]* - [a-z0-9]*' /proc/self/mountinfo"])
    assert r.stdout.splitlines() == ["max", "0::/", " /sys ro,relatime - sysfs",
                                     " /sys/fs/cgroup ro,relatime - cgroup2"], r


def test_sys_is_read_only(sandbox):
    """Root's write-open is EROFS; a guest user's is EACCES (0444 files); a name that is
    not there is ENOENT, also for the host's sysfs files the guest is not shown."""
    r = run(sandbox, ["sh", "-c", "echo 1 > /sys/devices/system/cpu/online; "
                      "su -s /bin/sh nobody -c 'echo 1 > /sys/fs/cgroup/memory.max'; "
                      "cat /sys/class/net/lo/address; ls -A /sys/class | wc -l"])
    err = r.stderr
    assert "Read-only file system" in err and "Permission denied" in err, r
    assert "'/sys/class/net/lo/address': No such file or directory" in err, r
    assert r.stdout == "0\n", r
