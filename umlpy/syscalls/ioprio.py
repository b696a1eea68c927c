"""I/O scheduling priority: ioprio_get and ioprio_set, kept virtual.

Like the nice value (syscalls/thread.py), a guest's I/O priority is the
guest kernel's record (Process.vioprio), never the host's: the real-time
class would let a guest starve the host's I/O, and every guest process is one
host user whose IOPRIO_WHO_USER would reach other sandboxes.  What the guest
reads back is what it set, with Linux's rules (block/ioprio.c):

  * a value is class << 13 | data, the data's low 3 bits the level and the
    rest hints; classes NONE (0, level 0 only), RT (1, needs CAP_SYS_NICE or
    CAP_SYS_ADMIN: EPERM), BE (2), IDLE (3); any other class is EINVAL;
  * the checks of the value come before the lookup of `who`;
  * IOPRIO_WHO_PROCESS (0: the caller), IOPRIO_WHO_PGRP (0: the caller's
    group), IOPRIO_WHO_USER (0: the caller's real uid); no such process,
    group or user's process is ESRCH, another `which` EINVAL;
  * setting another user's process needs its real uid to be the caller's
    real or effective uid, or CAP_SYS_NICE (EPERM);
  * for a group or a user, ioprio_get answers the best of its threads, where
    a thread with class NONE counts as BE level 4 (ioprio_best), even a
    group of one (measured on Linux 6.18);
  * fork copies the value.
The default is 0 (class NONE: the priority follows the nice value).  Linux
keeps it per thread; here it is per process (a thread's set is its
process's).
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.kernel.creds import capable
from umlpy.kernel.table import EMULATE, syscall

IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER = 1, 2, 3
CLASS_NONE, CLASS_RT, CLASS_BE, CLASS_IDLE = 0, 1, 2, 3
CLASS_SHIFT = 13
BE_NORM = (CLASS_BE << CLASS_SHIFT) | 4
CAP_SYS_NICE, CAP_SYS_ADMIN = 23, 21


def _check(task, ioprio: int) -> None:
    """ioprio_check_cap()."""
    cls, level = (ioprio >> CLASS_SHIFT) & 7, ioprio & 7
    if cls == CLASS_RT:
        if not capable(task, CAP_SYS_NICE) and not capable(task, CAP_SYS_ADMIN):
            raise KernelError(errno.EPERM, "the real-time I/O class needs CAP_SYS_NICE")
    elif cls == CLASS_NONE:
        if level:
            raise KernelError(errno.EINVAL, "class NONE takes no level")
    elif cls not in (CLASS_BE, CLASS_IDLE):
        raise KernelError(errno.EINVAL, f"no I/O class {cls}")


def _pgid(kernel, proc) -> int:
    try:
        return kernel.pidns.to_guest(os.getpgid(proc.host_pid))
    except OSError:
        return 0


def _targets(task, which: int, who: int) -> list:
    """The guest processes `which`/`who` names (ESRCH if none, EINVAL for a bad `which`)."""
    k = task.kernel
    live = [p for p in k.pidns.processes.values() if p.alive]
    if which == IOPRIO_WHO_PROCESS:
        if not who:
            return [task.process]
        t = k.pidns.by_guest.get(who)
        procs = [t.process] if t is not None and t.process.alive else []
    elif which == IOPRIO_WHO_PGRP:
        pgrp = who or _pgid(k, task.process)
        procs = [p for p in live if _pgid(k, p) == pgrp]
    elif which == IOPRIO_WHO_USER:
        uid = who if who else task.creds.ruid
        procs = [p for p in live if p.creds.ruid == uid]
    else:
        raise KernelError(errno.EINVAL, f"ioprio: which {which}")
    if not procs:
        raise KernelError(errno.ESRCH)
    return procs


def _best(a: int, b: int) -> int:
    """ioprio_best(): NONE counts as BE level 4; the numerically lower value wins."""
    a = a if (a >> CLASS_SHIFT) & 7 else BE_NORM
    b = b if (b >> CLASS_SHIFT) & 7 else BE_NORM
    return min(a, b)


@syscall("ioprio_get", EMULATE)
def ioprio_get(task, which: int, who: int):
    """ioprio_get(2): the virtual I/O priority of a guest process, group or user."""
    procs = _targets(task, which, who)
    if which == IOPRIO_WHO_PROCESS:
        return procs[0].vioprio
    ret = procs[0].vioprio
    for p in procs:
        ret = _best(ret, p.vioprio)          # even alone, a NONE thread counts as BE level 4
    return ret


@syscall("ioprio_set", EMULATE)
def ioprio_set(task, which: int, who: int, ioprio: int):
    """ioprio_set(2): set the virtual I/O priority (the host's is never changed)."""
    _check(task, ioprio)
    procs = _targets(task, which, who)
    me = task.creds
    for p in procs:
        if p.creds.ruid not in (me.euid, me.ruid) and not capable(task, CAP_SYS_NICE):
            raise KernelError(errno.EPERM, f"process {p.pid} belongs to another user")
        p.vioprio = ioprio & 0xFFFF
    return 0
