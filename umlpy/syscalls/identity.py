"""Credential syscalls: the guest's users and groups are virtual.

The guest believes it is root (uid 0) unless it changes that; the host runs
it as an unprivileged user regardless.  These handlers implement the
POSIX rules for real/effective/saved ids on the guest kernel's records only.
"""
from __future__ import annotations

import errno
import struct

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    LINUX_CAPABILITY_VERSION_1,
    LINUX_CAPABILITY_VERSION_2,
    LINUX_CAPABILITY_VERSION_3,
    NOCHANGE,
)
from umlpy.abi.structs import CAP_DATA, CAP_HEADER
from umlpy.kernel.table import EMULATE, Ptr, UInt, syscall


@syscall("getuid", EMULATE)
def getuid(task):
    """getuid(2): the real user id."""
    return task.creds.ruid


@syscall("geteuid", EMULATE)
def geteuid(task):
    """geteuid(2): the effective user id."""
    return task.creds.euid


@syscall("getgid", EMULATE)
def getgid(task):
    """getgid(2): the real group id."""
    return task.creds.rgid


@syscall("getegid", EMULATE)
def getegid(task):
    """getegid(2): the effective group id."""
    return task.creds.egid


@syscall("getresuid", EMULATE)
def getresuid(task, r: Ptr, e: Ptr, s: Ptr):
    """getresuid(2): real, effective and saved user ids."""
    c = task.creds
    for addr, v in ((r, c.ruid), (e, c.euid), (s, c.suid)):
        task.write(addr, struct.pack("<I", v))
    return 0


@syscall("getresgid", EMULATE)
def getresgid(task, r: Ptr, e: Ptr, s: Ptr):
    """getresgid(2): real, effective and saved group ids."""
    c = task.creds
    for addr, v in ((r, c.rgid), (e, c.egid), (s, c.sgid)):
        task.write(addr, struct.pack("<I", v))
    return 0


@syscall("getgroups", EMULATE)
def getgroups(task, size: int, lst: Ptr):
    """getgroups(2): supplementary groups."""
    g = task.creds.groups
    if size == 0:
        return len(g)
    if size < len(g):
        raise KernelError(errno.EINVAL)
    task.write(lst, struct.pack(f"<{len(g)}I", *g))
    return len(g)


@syscall("setgroups", EMULATE)
def setgroups(task, size: int, lst: Ptr):
    """setgroups(2): set supplementary groups (root only)."""
    if task.creds.euid != 0:
        raise KernelError(errno.EPERM)
    if size < 0 or size > 65536:
        raise KernelError(errno.EINVAL)
    task.creds.groups = list(struct.unpack(f"<{size}I", task.read(lst, 4 * size))) if size else []
    return 0


def _setres(task, kind: str, r: int, e: int, s: int) -> int:
    c = task.creds
    cur = [getattr(c, "r" + kind), getattr(c, "e" + kind), getattr(c, "s" + kind)]
    new = [cur[i] if v in (NOCHANGE, -1) else v for i, v in enumerate((r, e, s))]
    if c.euid != 0 and any(v not in cur for v in new):
        raise KernelError(errno.EPERM)
    setattr(c, "r" + kind, new[0])
    setattr(c, "e" + kind, new[1])
    setattr(c, "s" + kind, new[2])
    return 0


@syscall("setresuid", EMULATE)
def setresuid(task, r: UInt, e: UInt, s: UInt):
    """setresuid(2): set real, effective and saved user ids."""
    return _setres(task, "uid", r, e, s)


@syscall("setresgid", EMULATE)
def setresgid(task, r: UInt, e: UInt, s: UInt):
    """setresgid(2): set real, effective and saved group ids."""
    return _setres(task, "gid", r, e, s)


@syscall("setreuid", EMULATE)
def setreuid(task, r: UInt, e: UInt):
    """setreuid(2): set real and effective user ids."""
    c = task.creds
    s = e if (r != NOCHANGE or (e != NOCHANGE and e != c.ruid)) and e != NOCHANGE else NOCHANGE
    return _setres(task, "uid", r, e, s)


@syscall("setregid", EMULATE)
def setregid(task, r: UInt, e: UInt):
    """setregid(2): set real and effective group ids."""
    c = task.creds
    s = e if (r != NOCHANGE or (e != NOCHANGE and e != c.rgid)) and e != NOCHANGE else NOCHANGE
    return _setres(task, "gid", r, e, s)


@syscall("setuid", EMULATE)
def setuid(task, uid: UInt):
    """setuid(2): root sets all three ids; others only the effective one."""
    if uid == NOCHANGE:                      # (uid_t)-1 is no valid id
        raise KernelError(errno.EINVAL)
    if task.creds.euid == 0:
        return _setres(task, "uid", uid, uid, uid)
    return _setres(task, "uid", NOCHANGE, uid, NOCHANGE)


@syscall("setgid", EMULATE)
def setgid(task, gid: UInt):
    """setgid(2): root sets all three ids; others only the effective one."""
    if gid == NOCHANGE:                      # (gid_t)-1 is no valid id
        raise KernelError(errno.EINVAL)
    if task.creds.euid == 0:
        return _setres(task, "gid", gid, gid, gid)
    return _setres(task, "gid", NOCHANGE, gid, NOCHANGE)


@syscall("setfsuid", EMULATE)
def setfsuid(task, uid: UInt):
    """setfsuid(2): the file-system uid follows the effective uid here; returns it."""
    return task.creds.euid


@syscall("setfsgid", EMULATE)
def setfsgid(task, gid: UInt):
    """setfsgid(2): the file-system gid follows the effective gid here; returns it."""
    return task.creds.egid


@syscall("capget", EMULATE)
def capget(task, hdr: Ptr, data: Ptr):
    """capget(2): guest root has every capability, others none."""
    version, _pid = CAP_HEADER.unpack(task.read(hdr, CAP_HEADER.size))
    if version not in (LINUX_CAPABILITY_VERSION_1, LINUX_CAPABILITY_VERSION_2, LINUX_CAPABILITY_VERSION_3):
        task.write(hdr, LINUX_CAPABILITY_VERSION_3.to_bytes(4, "little"))     # the version field only
        raise KernelError(errno.EINVAL)
    if data:
        full = 0xFFFFFFFF if task.creds.euid == 0 else 0
        sets = CAP_DATA.pack(full, full, 0, full & 0x1FF, full & 0x1FF, 0)
        # Version 1 has one 32-bit set (12 bytes); versions 2 and 3 have two.
        task.write(data, sets[:12] if version == LINUX_CAPABILITY_VERSION_1 else sets)
    return 0


@syscall("capset", EMULATE)
def capset(task, hdr: Ptr, data: Ptr):
    """capset(2): accepted for guest root (capabilities are not modelled further)."""
    if task.creds.euid != 0:
        raise KernelError(errno.EPERM)
    return 0
