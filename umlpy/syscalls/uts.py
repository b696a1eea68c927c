"""System identity: the machine's names (uname, sethostname, setdomainname) and sysinfo.

The names are the caller's UTS namespace's (kernel/namespaces.py): the
sandbox's own, or one that guest root made with unshare(CLONE_NEWUTS).
sysinfo is the sandbox's own view of the system (its uptime, its processes).
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import UTS_LEN
from umlpy.abi.structs import SYSINFO
from umlpy.kernel import figures
from umlpy.kernel.table import EMULATE, Ptr, syscall
from umlpy.syscalls.namespace import sys_admin


def _field(s: str) -> bytes:
    return os.fsencode(s)[:UTS_LEN - 1].ljust(UTS_LEN, b"\0")


@syscall("uname", EMULATE)
def uname(task, buf: Ptr):
    """uname(2): Linux on x86_64, with the sandbox's hostname and domain name."""
    host = os.uname()
    uts = task.ns.uts
    data = b"".join(_field(x) for x in ("Linux", uts.hostname, host.release,
                                         host.version, "x86_64", uts.domainname))
    task.write(buf, data)
    return 0


def _set_name(task, name: int, length: int) -> str:
    if not sys_admin(task):
        raise KernelError(errno.EPERM)
    if length < 0 or length > UTS_LEN - 1:
        raise KernelError(errno.EINVAL)
    return os.fsdecode(task.read(name, length).split(b"\0", 1)[0])     # bytes kept as given


@syscall("sethostname", EMULATE)
def sethostname(task, name: Ptr, length: int):
    """sethostname(2): rename the sandbox (never the host)."""
    task.ns.uts.set("hostname", _set_name(task, name, length))
    return 0


@syscall("setdomainname", EMULATE)
def setdomainname(task, name: Ptr, length: int):
    """setdomainname(2): the sandbox's NIS domain name."""
    task.ns.uts.set("domainname", _set_name(task, name, length))
    return 0


@syscall("sysinfo", EMULATE)
def sysinfo(task, info: Ptr):
    """sysinfo(2): the sandbox's uptime, memory (its limit and use, as /proc/meminfo:
    kernel/figures.py) and number of guest tasks; the host's load averages."""
    k = task.kernel
    uptime = int(figures.uptime(k))
    load = [int(x * 65536) for x in os.getloadavg()]
    mem = figures.memory(k, detail=False)
    nprocs = len(k.pidns.tasks)          # Linux's si.procs is nr_threads: threads count
    task.write(info, SYSINFO.pack(uptime, *load, mem.total, mem.free, mem.shared, 0,
                                  mem.swap_total, mem.swap_free, nprocs, 0, 0, 1))
    return 0
