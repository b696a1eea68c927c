"""Credential syscalls: the guest's users, groups and capabilities are virtual.

The guest believes it is root (uid 0) unless it changes that; the host runs
it as an unprivileged user regardless.  These handlers implement Linux's
rules for real/effective/saved ids, capability sets (capget, capset, and
the capability options of prctl) on the guest kernel's records only; the
privilege each change needs is a capability (CAP_SETUID, CAP_SETGID,
CAP_SETPCAP), and the capability transitions a uid change makes are
kernel/creds.py's.
"""
from __future__ import annotations

import errno
import struct

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    CAP_SETGID,
    CAP_SETPCAP,
    CAP_SETUID,
    LINUX_CAPABILITY_VERSION_1,
    LINUX_CAPABILITY_VERSION_2,
    LINUX_CAPABILITY_VERSION_3,
    NOCHANGE,
    PR_CAP_AMBIENT,
    PR_CAP_AMBIENT_CLEAR_ALL,
    PR_CAP_AMBIENT_IS_SET,
    PR_CAP_AMBIENT_LOWER,
    PR_CAP_AMBIENT_RAISE,
    PR_CAPBSET_DROP,
    PR_CAPBSET_READ,
    PR_GET_DUMPABLE,
    PR_GET_KEEPCAPS,
    PR_GET_SECUREBITS,
    PR_SET_DUMPABLE,
    PR_SET_KEEPCAPS,
    PR_SET_SECUREBITS,
    SECBIT_KEEP_CAPS,
    SECBIT_KEEP_CAPS_LOCKED,
    SECBIT_NO_CAP_AMBIENT_RAISE,
    SECURE_ALL_BITS,
    SECURE_ALL_LOCKS,
)
from umlpy.abi.structs import CAP_DATA, CAP_HEADER
from umlpy.kernel.creds import CAP_FULL, Creds, cap_valid
from umlpy.kernel.requests import Native
from umlpy.kernel.table import EMULATE, REWRITE, ArgRule, Ptr, UInt, ULong, syscall
from umlpy.syscalls import procattr


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
    """setgroups(2): set supplementary groups (CAP_SETGID only)."""
    if not task.creds.has(CAP_SETGID):
        raise KernelError(errno.EPERM)
    if size < 0 or size > 65536:
        raise KernelError(errno.EINVAL)
    # Linux keeps the list sorted (groups_sort), and getgroups shows it so.
    task.creds.groups = sorted(struct.unpack(f"<{size}I", task.read(lst, 4 * size))) if size else []
    return 0


_SETID_CAP = {"uid": CAP_SETUID, "gid": CAP_SETGID}


def commit(task, old: Creds) -> None:
    """What Linux does once new credentials are in place (commit_creds and the
    LSM's task_fix_setuid): a uid change moves capabilities (creds.py), and any
    change of effective or file-system ids makes the process non-dumpable."""
    c = task.creds
    if (c.ruid, c.euid, c.suid) != (old.ruid, old.euid, old.suid):
        c.fix_setuid(old)
    elif c.fsuid != old.fsuid:
        c.fix_setfsuid(old.fsuid)
    if not c.dumpable_after(old):
        task.process.dumpable = False


def _setres(task, kind: str, r: int, e: int, s: int, checked: bool = False) -> int:
    """setresuid/setresgid: without CAP_SETUID/CAP_SETGID, each new id must be one of the current three."""
    c = task.creds
    cur = [getattr(c, "r" + kind), getattr(c, "e" + kind), getattr(c, "s" + kind)]
    new = [cur[i] if v in (NOCHANGE, -1) else v for i, v in enumerate((r, e, s))]
    if not checked and not c.has(_SETID_CAP[kind]) and any(v not in cur for v in new):
        raise KernelError(errno.EPERM, f"{kind} {[v for v in new if v not in cur][0]} is not held")
    old = c.copy()
    setattr(c, "r" + kind, new[0])
    setattr(c, "e" + kind, new[1])
    setattr(c, "s" + kind, new[2])
    setattr(c, "fs" + kind, new[1])        # the file-system id follows the effective one
    commit(task, old)
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
    if not c.has(_SETID_CAP[kind]):
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


def _setid(task, kind: str, new: int) -> int:
    """setuid/setgid: with CAP_SETUID/CAP_SETGID all three ids; otherwise only the
    effective one, and only to the real or saved id."""
    if new == NOCHANGE:                      # (uid_t)-1 is no valid id
        raise KernelError(errno.EINVAL)
    c = task.creds
    if c.has(_SETID_CAP[kind]):
        return _setres(task, kind, new, new, new, checked=True)
    if new not in (getattr(c, "r" + kind), getattr(c, "s" + kind)):
        raise KernelError(errno.EPERM, f"{kind} {new} is neither the real nor the saved one")
    return _setres(task, kind, NOCHANGE, new, NOCHANGE, checked=True)


@syscall("setuid", EMULATE)
def setuid(task, uid: UInt):
    """setuid(2): with CAP_SETUID all three ids; others only the effective one."""
    return _setid(task, "uid", uid)


@syscall("setgid", EMULATE)
def setgid(task, gid: UInt):
    """setgid(2): with CAP_SETGID all three ids; others only the effective one."""
    return _setid(task, "gid", gid)


def _setfs(task, kind: str, new: int) -> int:
    """The previous file-system id, always; it changes only to an id the caller holds
    (real, effective, saved or current file-system id), or to any id with
    CAP_SETUID/CAP_SETGID.  The file-system uid leaving or reaching 0 moves the
    file-system capabilities (creds.py)."""
    c = task.creds
    old = getattr(c, "fs" + kind)
    held = (getattr(c, "r" + kind), getattr(c, "e" + kind), getattr(c, "s" + kind), old)
    if new != NOCHANGE and (c.has(_SETID_CAP[kind]) or new in held):
        prev = c.copy()
        setattr(c, "fs" + kind, new)
        commit(task, prev)
    return old


@syscall("setfsuid", EMULATE)
def setfsuid(task, uid: UInt):
    """setfsuid(2): set the user id used for file-system checks; returns the previous one."""
    return _setfs(task, "uid", uid)


@syscall("setfsgid", EMULATE)
def setfsgid(task, gid: UInt):
    """setfsgid(2): set the group id used for file-system checks; returns the previous one."""
    return _setfs(task, "gid", gid)


# ------------------------------------------------------------ capabilities
_U32S = {LINUX_CAPABILITY_VERSION_1: 1, LINUX_CAPABILITY_VERSION_2: 2, LINUX_CAPABILITY_VERSION_3: 2}


def _cap_header(task, hdr: int) -> tuple[int, int]:
    """cap_validate_magic: (number of 32-bit words, pid); for an unknown version the
    kernel's own is written back and the call is EINVAL."""
    version, pid = CAP_HEADER.unpack(task.read(hdr, CAP_HEADER.size))
    if version not in _U32S:
        task.write(hdr, LINUX_CAPABILITY_VERSION_3.to_bytes(4, "little"))     # the version field only
        raise KernelError(errno.EINVAL, f"capability version {version:#x}")
    return _U32S[version], pid


@syscall("capget", EMULATE)
def capget(task, hdr: Ptr, data: Ptr):
    """capget(2): the effective, permitted and inheritable sets of thread `pid` (0: the
    caller).  A NULL data pointer only probes the version (0, or EINVAL with the
    version written back, which Linux returns as 0 then too)."""
    try:
        words, pid = _cap_header(task, hdr)
    except KernelError as e:
        if not data and e.errno == errno.EINVAL:
            return 0
        raise
    if not data:
        return 0
    if pid < 0:
        raise KernelError(errno.EINVAL, f"pid {pid}")
    target = task.process
    if pid and pid != task.tid:
        t = task.kernel.pidns.task(pid)
        if t is None:
            raise KernelError(errno.ESRCH, f"no thread {pid}")
        target = t.process
    c = target.creds
    sets = CAP_DATA.pack(c.cap_eff & 0xFFFFFFFF, c.cap_prm & 0xFFFFFFFF, c.cap_inh & 0xFFFFFFFF,
                         c.cap_eff >> 32, c.cap_prm >> 32, c.cap_inh >> 32)
    # Version 1 has one 32-bit set (12 bytes); versions 2 and 3 have two.
    task.write(data, sets[:12 * words])
    return 0


@syscall("capset", EMULATE)
def capset(task, hdr: Ptr, data: Ptr):
    """capset(2), commoncap.c's rules: only the caller's own sets (pid 0 or its own);
    the new permitted set within the old one, the effective within the new
    permitted, the inheritable within the old inheritable and bounding sets and,
    without CAP_SETPCAP, within the old inheritable and permitted sets (EPERM).
    Ambient capabilities no longer both permitted and inheritable are dropped."""
    words, pid = _cap_header(task, hdr)
    if pid != 0 and pid != task.tid:
        raise KernelError(errno.EPERM, "capset may only change the caller's own sets")
    raw = CAP_DATA.unpack(task.read(data, 12 * words) + bytes(12 * (2 - words)))
    eff = (raw[0] | raw[3] << 32) & CAP_FULL
    prm = (raw[1] | raw[4] << 32) & CAP_FULL
    inh = (raw[2] | raw[5] << 32) & CAP_FULL
    c = task.creds
    if not c.has(CAP_SETPCAP) and inh & ~(c.cap_inh | c.cap_prm):
        raise KernelError(errno.EPERM, "new inheritable capabilities need CAP_SETPCAP")
    if inh & ~(c.cap_inh | c.cap_bnd):
        raise KernelError(errno.EPERM, "inheritable capabilities outside the bounding set")
    if prm & ~c.cap_prm:
        raise KernelError(errno.EPERM, "permitted capabilities may only be dropped")
    if eff & ~prm:
        raise KernelError(errno.EPERM, "effective capabilities must be permitted")
    old = c.copy()
    c.cap_eff, c.cap_prm, c.cap_inh = eff, prm, inh
    c.cap_amb &= prm & inh
    commit(task, old)
    return 0


# The prctl options that concern credentials stop here; every other runs natively.
PRCTL_CRED_OPTIONS = frozenset({PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS,
                                PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_SECUREBITS,
                                PR_SET_SECUREBITS, PR_CAP_AMBIENT}) | procattr.PRCTL_OPTIONS
SUID_DUMP_DISABLE, SUID_DUMP_USER = 0, 1
# Newer securebits (Linux 6.14: SECBIT_EXEC_RESTRICT_FILE, SECBIT_EXEC_DENY_INTERACTIVE
# and their locks) are accepted and read back, without effect here.
_SECURE_EXEC_BITS = (1 << 8) | (1 << 10)
_VALID_SECUREBITS = SECURE_ALL_BITS | SECURE_ALL_LOCKS | _SECURE_EXEC_BITS | _SECURE_EXEC_BITS << 1


@syscall("prctl", REWRITE, rule=ArgRule(0, PRCTL_CRED_OPTIONS, allow=False))
def prctl(task, option: int, arg2: ULong, arg3: ULong, arg4: ULong, arg5: ULong):
    """prctl(2): the options about credentials act on the guest kernel's records
    (commoncap.c cap_task_prctl): the bounding set (PR_CAPBSET_READ/DROP), the
    ambient set (PR_CAP_AMBIENT), securebits (PR_GET/SET_SECUREBITS,
    PR_GET/SET_KEEPCAPS) and dumpability (PR_GET/SET_DUMPABLE, which decides
    /proc ownership and ptrace access between guest processes); the others
    run natively."""
    c = task.creds
    if option == PR_GET_DUMPABLE:
        return SUID_DUMP_USER if task.process.dumpable else SUID_DUMP_DISABLE
    if option == PR_SET_DUMPABLE:
        if arg2 not in (SUID_DUMP_DISABLE, SUID_DUMP_USER):
            raise KernelError(errno.EINVAL)
        task.process.dumpable = arg2 == SUID_DUMP_USER
        return 0
    if option == PR_CAPBSET_READ:
        if not cap_valid(arg2):
            raise KernelError(errno.EINVAL, f"no capability {arg2}")
        return c.cap_bnd >> arg2 & 1
    if option == PR_CAPBSET_DROP:
        if not c.has(CAP_SETPCAP):
            raise KernelError(errno.EPERM, "dropping from the bounding set needs CAP_SETPCAP")
        if not cap_valid(arg2):
            raise KernelError(errno.EINVAL, f"no capability {arg2}")
        c.cap_bnd &= ~(1 << arg2)
        return 0
    if option == PR_GET_SECUREBITS:
        return c.securebits
    if option == PR_SET_SECUREBITS:
        locked = (c.securebits & SECURE_ALL_LOCKS) >> 1
        if (locked & (c.securebits ^ arg2) or c.securebits & SECURE_ALL_LOCKS & ~arg2
                or arg2 & ~_VALID_SECUREBITS or not c.has(CAP_SETPCAP)):
            raise KernelError(errno.EPERM, "securebits: locked, unknown, or no CAP_SETPCAP")
        c.securebits = arg2
        return 0
    if option == PR_GET_KEEPCAPS:
        return int(bool(c.securebits & SECBIT_KEEP_CAPS))
    if option == PR_SET_KEEPCAPS:
        if arg2 > 1:
            raise KernelError(errno.EINVAL)
        if c.securebits & SECBIT_KEEP_CAPS_LOCKED:
            raise KernelError(errno.EPERM, "SECBIT_KEEP_CAPS is locked")
        c.securebits = c.securebits | SECBIT_KEEP_CAPS if arg2 else c.securebits & ~SECBIT_KEEP_CAPS
        return 0
    if option == PR_CAP_AMBIENT:
        return _ambient(task, arg2, arg3, arg4, arg5)
    if option in procattr.PRCTL_OPTIONS:          # no_new_privs, seccomp, the thread's name
        return procattr.prctl(task, option, arg2, arg3, arg4, arg5)
    return Native()


def _ambient(task, op: int, cap: int, arg4: int, arg5: int) -> int:
    c = task.creds
    if op == PR_CAP_AMBIENT_CLEAR_ALL:
        if cap or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        c.cap_amb = 0
        return 0
    if not cap_valid(cap) or arg4 or arg5:
        raise KernelError(errno.EINVAL)
    if op == PR_CAP_AMBIENT_IS_SET:
        return c.cap_amb >> cap & 1
    if op == PR_CAP_AMBIENT_RAISE:
        if not (c.cap_prm >> cap & 1 and c.cap_inh >> cap & 1) or c.securebits & SECBIT_NO_CAP_AMBIENT_RAISE:
            raise KernelError(errno.EPERM, "an ambient capability must be permitted and inheritable")
        c.cap_amb |= 1 << cap
        return 0
    if op == PR_CAP_AMBIENT_LOWER:
        c.cap_amb &= ~(1 << cap)
        return 0
    raise KernelError(errno.EINVAL, f"PR_CAP_AMBIENT operation {op}")
