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
    # Linux keeps the list sorted (groups_sort), and getgroups shows it so.
    task.creds.groups = sorted(struct.unpack(f"<{size}I", task.read(lst, 4 * size))) if size else []
    return 0


def _setres(task, kind: str, r: int, e: int, s: int, checked: bool = False) -> int:
    """setresuid/setresgid: unprivileged, each new id must be one of the current three."""
    c = task.creds
    cur = [getattr(c, "r" + kind), getattr(c, "e" + kind), getattr(c, "s" + kind)]
    new = [cur[i] if v in (NOCHANGE, -1) else v for i, v in enumerate((r, e, s))]
    if not checked and c.euid != 0 and any(v not in cur for v in new):
        raise KernelError(errno.EPERM, f"{kind} {[v for v in new if v not in cur][0]} is not held")
    setattr(c, "r" + kind, new[0])
    setattr(c, "e" + kind, new[1])
    setattr(c, "s" + kind, new[2])
    setattr(c, "fs" + kind, new[1])        # the file-system id follows the effective one
    return 0


@syscall("setresuid", EMULATE)
def setresuid(task, r: UInt, e: UInt, s: UInt):
    """setresuid(2): set real, effective and saved user ids."""
    return _setres(task, "uid", r, e, s)


@syscall("setresgid", EMULATE)
def setresgid(task, r: UInt, e: UInt, s: UInt):
    """setresgid(2): set real, effective and saved group ids."""
    return _setres(task, "gid", r, e, s)


def _setre(task, kind: str, r: int, e: int) -> int:
    """setreuid/setregid, Linux's rules: unprivileged, the real id may become the
    real or effective one, the effective id any of the three; the saved id
    becomes the new effective id if the real id is set, or the effective id is
    set to other than the old real one."""
    c = task.creds
    ruid, euid, suid = (getattr(c, x + kind) for x in "res")
    if c.euid != 0:
        if r != NOCHANGE and r not in (ruid, euid):
            raise KernelError(errno.EPERM, f"real {kind} {r} is neither the real nor the effective one")
        if e != NOCHANGE and e not in (ruid, euid, suid):
            raise KernelError(errno.EPERM, f"effective {kind} {e} is none of the real, effective, saved")
    new_e = euid if e == NOCHANGE else e
    s = new_e if r != NOCHANGE or (e != NOCHANGE and e != ruid) else NOCHANGE
    return _setres(task, kind, r, e, s, checked=True)


@syscall("setreuid", EMULATE)
def setreuid(task, r: UInt, e: UInt):
    """setreuid(2): set real and effective user ids."""
    return _setre(task, "uid", r, e)


@syscall("setregid", EMULATE)
def setregid(task, r: UInt, e: UInt):
    """setregid(2): set real and effective group ids."""
    return _setre(task, "gid", r, e)


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


def _setfs(task, kind: str, new: int) -> int:
    """The previous file-system id, always; it changes only to an id the caller holds
    (real, effective, saved or current file-system id), or to any id for root."""
    c = task.creds
    old = getattr(c, "fs" + kind)
    held = (getattr(c, "r" + kind), getattr(c, "e" + kind), getattr(c, "s" + kind), old)
    if new != NOCHANGE and (c.euid == 0 or new in held):
        setattr(c, "fs" + kind, new)
    return old


@syscall("setfsuid", EMULATE)
def setfsuid(task, uid: UInt):
    """setfsuid(2): set the user id used for file-system checks; returns the previous one."""
    return _setfs(task, "uid", uid)


@syscall("setfsgid", EMULATE)
def setfsgid(task, gid: UInt):
    """setfsgid(2): set the group id used for file-system checks; returns the previous one."""
    return _setfs(task, "gid", gid)


@syscall("capget", EMULATE)
def capget(task, hdr: Ptr, data: Ptr):
    """capget(2): guest root has every capability, others none."""
    version, _pid = CAP_HEADER.unpack(task.read(hdr, CAP_HEADER.size))
    if version not in (LINUX_CAPABILITY_VERSION_1, LINUX_CAPABILITY_VERSION_2, LINUX_CAPABILITY_VERSION_3):
        task.write(hdr, LINUX_CAPABILITY_VERSION_3.to_bytes(4, "little"))     # the version field only
        raise KernelError(errno.EINVAL)
    if data:
        # Linux's rules for set*uid without PR_SET_KEEPCAPS: the effective set is
        # emptied when the effective uid leaves 0 (and filled again from the
        # permitted set when it comes back); the permitted set only once no uid is 0.
        c = task.creds
        perm = 0xFFFFFFFF if 0 in (c.ruid, c.euid, c.suid) else 0
        eff = perm if c.euid == 0 else 0
        sets = CAP_DATA.pack(eff, perm, 0, eff & 0x1FF, perm & 0x1FF, 0)
        # Version 1 has one 32-bit set (12 bytes); versions 2 and 3 have two.
        task.write(data, sets[:12] if version == LINUX_CAPABILITY_VERSION_1 else sets)
    return 0


@syscall("capset", EMULATE)
def capset(task, hdr: Ptr, data: Ptr):
    """capset(2): accepted for guest root (capabilities are not modelled further)."""
    if task.creds.euid != 0:
        raise KernelError(errno.EPERM)
    return 0
