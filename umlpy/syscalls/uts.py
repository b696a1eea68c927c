"""System identity: the machine's names (uname, sethostname, setdomainname) and sysinfo.

The sandbox has its own hostname and domain name, and its own view of
system information (sysinfo counts guest processes).
"""
from __future__ import annotations

import errno
import os
import time

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import UTS_LEN
from umlpy.abi.structs import SYSINFO
from umlpy.kernel.table import EMULATE, Ptr, syscall


def _field(s: str) -> bytes:
    return os.fsencode(s)[:UTS_LEN - 1].ljust(UTS_LEN, b"\0")


@syscall("uname", EMULATE)
def uname(task, buf: Ptr):
    """uname(2): Linux on x86_64, with the sandbox's hostname and domain name."""
    host = os.uname()
    data = b"".join(_field(x) for x in ("Linux", task.kernel.hostname, host.release,
                                         host.version, "x86_64", task.kernel.domainname))
    task.write(buf, data)
    return 0


def _set_name(task, name: int, length: int) -> str:
    if task.creds.euid != 0:
        raise KernelError(errno.EPERM)
    if length < 0 or length > UTS_LEN - 1:
        raise KernelError(errno.EINVAL)
    return os.fsdecode(task.read(name, length).split(b"\0", 1)[0])     # bytes kept as given


@syscall("sethostname", EMULATE)
def sethostname(task, name: Ptr, length: int):
    """sethostname(2): rename the sandbox (never the host)."""
    task.kernel.hostname = _set_name(task, name, length)
    return 0


@syscall("setdomainname", EMULATE)
def setdomainname(task, name: Ptr, length: int):
    """setdomainname(2): the sandbox's NIS domain name."""
    task.kernel.domainname = _set_name(task, name, length)
    return 0


@syscall("sysinfo", EMULATE)
def sysinfo(task, info: Ptr):
    """sysinfo(2): uptime of the sandbox, host memory, and the number of guest processes."""
    k = task.kernel
    uptime = int(time.time() - k.boot_time)
    load = [int(x * 65536) for x in os.getloadavg()]
    pages = os.sysconf("SC_PHYS_PAGES")
    avail = os.sysconf("SC_AVPHYS_PAGES")
    psize = os.sysconf("SC_PAGE_SIZE")
    nprocs = sum(1 for p in k.pidns.processes.values() if p.alive)
    task.write(info, SYSINFO.pack(uptime, *load, pages * psize, avail * psize,
                                  0, 0, 0, 0, nprocs, 0, 0, 1))
    return 0
