"""Resource limits the guest kernel keeps itself: RLIMIT_CORE (getrlimit, setrlimit, prlimit64).

Every other rlimit is the host's own (getrlimit and setrlimit run natively;
prlimit64 only has its pid translated, syscalls/thread.py).  RLIMIT_CORE is
virtual: the host's is 0, soft and hard, for every guest process, so that
the host never dumps a guest's core nor runs its core_pattern helper; the
guest kernel writes core files itself (kernel/coredump.py) under the guest's
value, kept in Process.core_limit, inherited at fork and kept across execve.
The rules are Linux's: soft above hard is EINVAL, raising the hard limit
needs CAP_SYS_RESOURCE, another process's limits need
matching ids or that capability (EPERM).
"""
from __future__ import annotations

import errno
import struct

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import CAP_SYS_RESOURCE
from umlpy.kernel.coredump import RLIMIT_CORE
from umlpy.kernel.table import EMULATE, Ptr, syscall
from umlpy.platform.interface import ArgRule

RLIMIT = struct.Struct("<QQ")
NATIVE_UNLESS_CORE = ArgRule(0, frozenset({RLIMIT_CORE}), allow=False)


def _capable(task) -> bool:
    return task.creds.has(CAP_SYS_RESOURCE)


def _target(task, pid: int):
    """The process prlimit64 names (0: the caller); ESRCH, then EPERM, as Linux checks."""
    if pid == 0:
        return task.process
    proc = task.kernel.pidns.processes.get(pid)
    if proc is None or not proc.alive:
        raise KernelError(errno.ESRCH, f"no process {pid}")
    c, t = task.creds, proc.creds
    same = c.ruid == t.euid == t.suid == t.ruid and c.rgid == t.egid == t.sgid == t.rgid
    if proc is not task.process and not same and not _capable(task):
        raise KernelError(errno.EPERM, "another user's process")
    return proc


def prlimit_core(task, pid: int, new: int, old: int) -> int:
    """prlimit64(pid, RLIMIT_CORE, new, old) on the guest's virtual value."""
    value = RLIMIT.unpack(task.read(new, RLIMIT.size)) if new else None
    proc = _target(task, pid)
    cur = proc.core_limit
    if value is not None:
        soft, hard = value
        if soft > hard:
            raise KernelError(errno.EINVAL, "soft limit above the hard limit")
        if hard > cur[1] and not _capable(task):
            raise KernelError(errno.EPERM, "raising the hard limit needs CAP_SYS_RESOURCE")
    if old:
        task.write(old, RLIMIT.pack(*cur))
    if value is not None:
        proc.core_limit = value
    return 0


@syscall("getrlimit", EMULATE, rule=NATIVE_UNLESS_CORE)
def getrlimit(task, resource: int, rlim: Ptr):
    """getrlimit(2): RLIMIT_CORE is the guest kernel's; the rest run natively."""
    return prlimit_core(task, 0, 0, rlim)


@syscall("setrlimit", EMULATE, rule=NATIVE_UNLESS_CORE)
def setrlimit(task, resource: int, rlim: Ptr):
    """setrlimit(2): RLIMIT_CORE is the guest kernel's; the rest run natively."""
    return prlimit_core(task, 0, rlim, 0)
