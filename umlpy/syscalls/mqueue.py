"""POSIX message queues in IPC namespaces: mq_open(2) and mq_unlink(2) name a queue of
the caller's IPC namespace.

The queues are the host kernel's, in the sandbox's own host IPC namespace
(mq_overview(7)): sending, receiving, blocking and notification are Linux's
own, on descriptors the guest holds, and every mq_* call runs with no stop.
Linux gives each IPC namespace its own mqueue file system, so a new namespace
starts with no queues.  Here a task that entered a non-initial namespace has
the seccomp filter of kernel/ipc.py, which makes its mq_open and mq_unlink
stop; the name the guest gave is then handed to the host with that
namespace's prefix (`mq_host_name`), written to a scratch page the
supervisor maps in the caller, so the same name in two namespaces is two
queues.  The namespace's queues are unlinked with it (kernel/ipc.py
`SysvIpc.collect`).  In the initial namespace (and in strict mode) the call
runs as it is.

Limits, each kept inside the sandbox's own queues: the prefix takes up to
21 bytes of the 255 a name may have, so a name longer than 234 bytes is
ENAMETOOLONG in a nested namespace; the host reads the scratch page after
the supervisor wrote it, so another thread of the caller could rewrite it
in between and reach another guest namespace's queue; and a process of the
initial namespace reaches a nested namespace's queue by its prefixed name.
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.ipc import mq_host_name
from umlpy.kernel.requests import Inject, Native
from umlpy.kernel.table import NATIVE, Path, Ptr, syscall

NAME_MAX = 255
O_CREAT = 0o100
PAGE = 4096


def _in_namespace(task, name: str, nr: str, args: tuple[int, ...]):
    """Run syscall `nr` with the namespace's host name for `name` as its first argument."""
    host = mq_host_name(task.ns.ipc.id, os.fsencode(name))
    if len(host) > NAME_MAX:
        raise KernelError(errno.ENAMETOOLONG, "the IPC namespace's prefix makes the queue name too long")
    addr = yield Inject(NUMBERS["mmap"], (0, PAGE, 3, 0x22, (1 << 64) - 1, 0))
    if addr < 0 or addr >= (1 << 63):
        raise KernelError(errno.ENOMEM, "no scratch page for the queue's name")
    try:
        task.write(addr, host + b"\0")
        r = yield Inject(NUMBERS[nr], (addr, *args))
    except KernelError as e:
        r = -e.errno
    yield Inject(NUMBERS["munmap"], (addr, PAGE))
    return r, host


def _opened(task, name: str, oflag: int, mode: int, attr: int):
    r, host = yield from _in_namespace(task, name, "mq_open", (oflag, mode, attr))
    if r >= 0 and oflag & O_CREAT:
        task.kernel.sysvipc.mq_names.setdefault(task.ns.ipc.id, set()).add(host)
    return r


def _unlinked(task, name: str):
    r, host = yield from _in_namespace(task, name, "mq_unlink", ())
    if r == 0:
        task.kernel.sysvipc.mq_names.get(task.ns.ipc.id, set()).discard(host)
    return r


@syscall("mq_open", NATIVE)
def mq_open(task, name: Path, oflag: int, mode: int, attr: Ptr):
    """mq_open(2): a queue of the caller's IPC namespace (native in the initial one)."""
    if task.ns.ipc.initial:
        return Native()
    return _opened(task, name, oflag, mode, attr)


@syscall("mq_unlink", NATIVE)
def mq_unlink(task, name: Path):
    """mq_unlink(2): remove a queue's name from the caller's IPC namespace."""
    if task.ns.ipc.initial:
        return Native()
    return _unlinked(task, name)
