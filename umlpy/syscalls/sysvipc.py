"""System V IPC: msgget, semget, shmget, their *ctl calls and shmat, with guest owners.

The queues, semaphore sets and segments are the host kernel's, in the
sandbox's own IPC namespace; the guest kernel keeps who owns them
(kernel/ipc.py).  So the *get calls are rewrites: an existing key is checked
against the guest's mode and owners before the host looks it up, and a new
object is recorded as the caller's, while the host object is made 0700 (all
guest processes are one host uid).  The *ctl calls check Linux's rules first
(read permission for IPC_STAT, owner/creator or CAP_SYS_ADMIN for IPC_SET and
IPC_RMID), then let the host run them, and IPC_STAT's ipc_perm is overwritten
with the guest's ids and mode.

msgsnd, msgrcv, semop, semtimedop and shmdt stay native: a stop costs about
15 us where the call costs about 0.5 us (measured, docs/design.md), and they
are the hot path of every program that uses SysV IPC.  Their permission is
the one checked when the caller got the id (*get with the access it asks
for, shmat, *ctl); Linux also checks at each operation, which matters only
to a process that uses an id it guessed rather than got: the table notes it.

IPC namespaces (kernel/ipc.py): a *get's key is the caller's namespace's,
passed to the host as the host key it maps to; an id of another namespace is
EINVAL for every call here (Linux's ipc_obtain_object_check), and the
by-index *_STAT calls, the *_INFO counts and /proc/sysvipc show the caller's
namespace only.  A task that entered a non-initial namespace has a seccomp
filter that makes its msgsnd, msgrcv, semop and semtimedop stop; the
handlers below (`msg_op`, `sem_op`) then refuse a foreign id the same way.
"""
from __future__ import annotations

import errno
import struct

from umlpy.abi.errno import KernelError
from umlpy.kernel.creds import capable
from umlpy.kernel.ipc import HOST_MODE, MSG, S_IRWXUGO, SEM, SHM, may_change, permits, read_host_sysvipc
from umlpy.kernel.requests import Native
from umlpy.kernel.table import NATIVE, REWRITE, Ptr, ULong, syscall

IPC_CREAT, IPC_EXCL = 0o1000, 0o2000
IPC_RMID, IPC_SET, IPC_STAT = 0, 1, 2
S_IRUGO, S_IWUGO, S_IXUGO = 0o444, 0o222, 0o111
SHM_RDONLY, SHM_RND, SHM_EXEC = 0o10000, 0o20000, 0o100000
SHM_LOCK, SHM_UNLOCK = 11, 12
GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
CAP_IPC_LOCK = 14
PAGE = 4096

# struct ipc64_perm: key, uid, gid, cuid, cgid (u32 each), mode (u16), pad, seq (u16), ...
PERM = struct.Struct("<iIIIIHxxHxx16x")
# Each kind's struct *id64_ds size on x86-64, and its "STAT by index" commands
# (IPC_STAT takes an id; *_STAT an index, checked; *_STAT_ANY an index, unchecked).
DS_SIZE = {MSG: 120, SHM: 112, SEM: 104}
STAT_BY_INDEX = {MSG: {11: True, 13: False}, SHM: {13: True, 15: False}, SEM: {18: True, 20: False}}
# IPC_INFO (limits) and each kind's *_INFO (limits and the namespace's usage): the result is
# the highest index in use in the caller's namespace.
IPC_INFO = 3
USAGE_INFO = {MSG: 12, SHM: 14, SEM: 19}


def _registry(task):
    return task.kernel.sysvipc


def _host_ids(task) -> tuple[int, int]:
    """The host uid and gid every guest process has, as the guest's user namespace sees them:
    the owner an IPC_SET must leave on the host object."""
    reg = _registry(task)
    if reg.host_ids is None:
        uid = gid = None
        with open(f"/proc/{task.host_tid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Uid:"):
                    uid = int(line.split()[2])
                elif line.startswith(b"Gid:"):
                    gid = int(line.split()[2])
        reg.host_ids = (uid if uid is not None else task.kernel.host_uid, gid if gid is not None else uid)
    return reg.host_ids


# ------------------------------------------------------------------ *get
def _get(task, kind: str, key: int, flg: int, size: int, flg_arg: int):
    """ipcget(): an existing public key is checked here; the host makes or finds the object."""
    reg = _registry(task)
    ns = task.ns.ipc.id
    found = reg.by_key(kind, ns, key)
    host_flg = (flg & ~S_IRWXUGO) | HOST_MODE
    if found is not None and not (flg & IPC_CREAT and flg & IPC_EXCL):
        ident, rec = found
        # Linux's more_checks (a bigger segment, more semaphores: EINVAL) come before the
        # permission check; the host makes them.
        if not (kind in (SHM, SEM) and size > rec.size) and not permits(task, rec, flg):
            raise KernelError(errno.EACCES, f"{kind}get: key {key:#x} is id {ident}, mode {rec.mode:o}")
    host_key = reg.host_key(kind, ns, key)      # reserved until the host has answered

    def then(r: int) -> int:
        if r >= 0 and (found is None or found[0] != r):
            reg.created(task, kind, r, key, host_key, flg, size)
        reg.release(kind, host_key)
        return r
    return Native(args={0: host_key, flg_arg: host_flg}, then=then)


@syscall("msgget", REWRITE)
def msgget(task, key: int, msgflg: int):
    """msgget(2): a message queue, owned and checked by guest ids."""
    return _get(task, MSG, key, msgflg, 0, 1)


@syscall("semget", REWRITE)
def semget(task, key: int, nsems: int, semflg: int):
    """semget(2): a semaphore set, owned and checked by guest ids."""
    return _get(task, SEM, key, semflg, nsems, 2)


@syscall("shmget", REWRITE)
def shmget(task, key: int, size: ULong, shmflg: int):
    """shmget(2): a shared memory segment, owned and checked by guest ids."""
    return _get(task, SHM, key, shmflg, size, 2)


# ------------------------------------------------------------------ *ctl
def _show_perm(task, kind: str, ident: int, buf: int) -> None:
    """After the host's IPC_STAT: the guest's key, owners and mode in the copied ipc_perm."""
    rec = _registry(task).get(kind, ident)
    if rec is None:
        return
    _key, _u, _g, _cu, _cg, mode, seq = PERM.unpack(task.read(buf, PERM.size))
    task.write(buf, PERM.pack(rec.key, rec.uid, rec.gid, rec.cuid, rec.cgid,
                              (mode & ~S_IRWXUGO) | rec.mode, seq))


def _ctl(task, kind: str, ident: int, cmd: int, buf: int):
    reg = _registry(task)
    if cmd == IPC_INFO or cmd == USAGE_INFO[kind]:
        return _info(task, kind, cmd, buf)
    checked = STAT_BY_INDEX[kind].get(cmd)
    if checked is not None:
        return _stat_index(task, kind, checked, buf)
    rec = reg.visible(task, kind, ident)
    if cmd == IPC_SET:
        return _set(task, kind, ident, rec, buf)
    if cmd == IPC_RMID:
        if rec is not None and not may_change(task, rec):
            raise KernelError(errno.EPERM, f"{kind}ctl IPC_RMID: not the owner or creator")

        def gone(r: int) -> int:
            if r == 0:
                reg.removed(kind, ident)
            return r
        return Native(then=gone)
    if cmd == IPC_STAT:
        if rec is not None and not permits(task, rec, S_IRUGO):
            raise KernelError(errno.EACCES, f"{kind}ctl IPC_STAT: no read permission")

        def stat(r: int) -> int:
            if r == 0:
                _show_perm(task, kind, ident, buf)
            return r
        return Native(then=stat)
    return None


def _stat_index(task, kind: str, checked: bool, buf: int):
    """*_STAT and *_STAT_ANY take an index and return the id there: an object of another
    namespace is not at that index in the caller's (EINVAL), and on a refusal the
    caller's buffer keeps what it held, as Linux copies out only on success."""
    reg = _registry(task)
    try:
        original = task.read(buf, DS_SIZE[kind])
    except KernelError:
        original = None                          # the host's EFAULT (or EINVAL) comes first

    def stat_index(r: int) -> int:
        if r < 0:
            return r
        found = reg.get(kind, r)
        if found is not None and found.ns != task.ns.ipc.id:
            err = errno.EINVAL
        elif checked and found is not None and not permits(task, found, S_IRUGO):
            err = errno.EACCES
        else:
            _show_perm(task, kind, r, buf)
            return r
        if original is not None:
            task.write(buf, original)
        return -err
    return Native(then=stat_index)


# struct msginfo / shm_info / seminfo: (offset, format) of the usage fields *_INFO fills in
def _info(task, kind: str, cmd: int, buf: int):
    """IPC_INFO and *_INFO: the host's answer is its namespace's, which holds every guest
    IPC namespace's objects.  Once an object was made outside the initial namespace,
    the result (the highest index in use) and *_INFO's usage counts are made the
    caller's namespace's."""
    reg = _registry(task)
    if not reg.nested:
        return Native()

    def mine(r: int) -> int:
        if r < 0:
            return r
        objs = dict(reg.in_ns(kind, task.ns.ipc.id))
        host = _host_rows(task, kind, set(objs)) if kind != SEM else {}
        if kind == SHM:      # a removed segment's record outlives it: the host says which are left
            objs = {i: rec for i, rec in objs.items() if i in host}
        if cmd == USAGE_INFO[kind]:
            _write_usage(task, kind, buf, objs, host)
        return max((i & IPCMNI_MASK for i in objs), default=0)
    return Native(then=mine)


IPCMNI_MASK = 0x7FFF          # ipcid_to_idx with the default ipc_mni_shift (15, no ipcmni_extend)


def _write_usage(task, kind: str, buf: int, objs: dict, host: dict) -> None:
    """The usage fields of struct seminfo, msginfo or shm_info, for `objs` only."""
    if kind == SEM:                                  # semusz: sets, semaem: semaphores
        task.write(buf + 28, struct.pack("<i", len(objs)))
        task.write(buf + 36, struct.pack("<i", sum(rec.size for rec in objs.values())))
    elif kind == MSG:                                # msgpool: queues, msgmap: messages, msgtql: bytes
        task.write(buf, struct.pack("<ii", len(objs), min(sum(q for _, q in host.values()), 0x7FFFFFFF)))
        task.write(buf + 24, struct.pack("<i", min(sum(b for b, _ in host.values()), 0x7FFFFFFF)))
    else:                                            # used_ids; shm_tot, shm_rss, shm_swp in pages
        pages = sum((rec.size + PAGE - 1) // PAGE for rec in objs.values())
        task.write(buf, struct.pack("<i", len(objs)))
        task.write(buf + 8, struct.pack("<QQQ", pages, sum(r for r, _ in host.values()) // PAGE,
                                        sum(s for _, s in host.values()) // PAGE))


def _host_rows(task, kind: str, ids: set[int]) -> dict[int, tuple[int, int]]:
    """From the host's /proc/sysvipc: (cbytes, qnum) of each queue, (rss, swap) of each
    segment, by id, for the ids in `ids` that the host still has."""
    text = read_host_sysvipc(task.host_tid, kind) if ids else None
    if not text:
        return {}
    cols = (3, 4) if kind == MSG else (14, 15)
    out = {}
    for line in text.decode(errors="replace").splitlines()[1:]:
        f = line.split()
        try:
            if int(f[1]) in ids:
                out[int(f[1])] = (int(f[cols[0]]), int(f[cols[1]]))
        except (IndexError, ValueError):
            continue
    return out


def _set(task, kind: str, ident: int, rec, buf: int):
    """IPC_SET: the owner, group and mode are the guest kernel's; the host keeps its own
    (the guest's buffer carries the host's for the duration of the call, then its own
    again), and sets the rest (msg_qbytes) and the change time."""
    size = DS_SIZE[kind]
    original = task.read(buf, size)                  # Linux copies it in first: EFAULT
    if rec is None:
        return Native()                              # no such id: the host's EINVAL or EIDRM
    if not may_change(task, rec):
        raise KernelError(errno.EPERM, f"{kind}ctl IPC_SET: not the owner or creator")
    key, uid, gid, _cu, _cg, mode, seq = PERM.unpack_from(original)
    if uid == 0xFFFFFFFF or gid == 0xFFFFFFFF:
        raise KernelError(errno.EINVAL, f"{kind}ctl IPC_SET: invalid owner")
    host_uid, host_gid = _host_ids(task)
    task.write(buf, PERM.pack(key, host_uid, host_gid, 0, 0, HOST_MODE, seq))

    def done(r: int) -> int:
        try:
            task.write(buf, original[:PERM.size])
        except KernelError:
            pass                                     # the guest unmapped it meanwhile
        if r == 0:
            rec.uid, rec.gid, rec.mode = uid, gid, mode & S_IRWXUGO
        return r
    return Native(then=done)


@syscall("msgctl", REWRITE)
def msgctl(task, msqid: int, cmd: int, buf: Ptr):
    """msgctl(2): IPC_STAT/IPC_SET/IPC_RMID with guest owners and Linux's permission rules."""
    return _ctl(task, MSG, msqid, cmd, buf) or Native()


@syscall("shmctl", REWRITE)
def shmctl(task, shmid: int, cmd: int, buf: Ptr):
    """shmctl(2): IPC_STAT/IPC_SET/IPC_RMID/SHM_LOCK with guest owners and Linux's rules."""
    if cmd in (SHM_LOCK, SHM_UNLOCK):
        rec = _registry(task).visible(task, SHM, shmid)
        if rec is not None and not capable(task, CAP_IPC_LOCK) and task.creds.euid not in (rec.uid, rec.cuid):
            raise KernelError(errno.EPERM, "shmctl SHM_LOCK: not the owner")
    return _ctl(task, SHM, shmid, cmd, buf) or Native()


@syscall("semctl", REWRITE)
def semctl(task, semid: int, semnum: int, cmd: int, arg: ULong):
    """semctl(2): the *_STAT/SET/RMID rules, and read or alter permission for the values."""
    want = {GETPID: S_IRUGO, GETVAL: S_IRUGO, GETALL: S_IRUGO, GETNCNT: S_IRUGO,
            GETZCNT: S_IRUGO, SETVAL: S_IWUGO, SETALL: S_IWUGO}.get(cmd)
    if want is not None:
        rec = _registry(task).visible(task, SEM, semid)
        if rec is not None and not permits(task, rec, want):
            raise KernelError(errno.EACCES, f"semctl {cmd}: no permission")
        return Native()
    return _ctl(task, SEM, semid, cmd, arg) or Native()


@syscall("shmat", REWRITE)
def shmat(task, shmid: int, shmaddr: Ptr, shmflg: int):
    """shmat(2): read (and write, unless SHM_RDONLY; exec with SHM_EXEC) permission, then the host maps it."""
    if shmaddr & (PAGE - 1) and not shmflg & SHM_RND:
        return Native()                              # the host's EINVAL comes before the lookup
    rec = _registry(task).visible(task, SHM, shmid)
    want = S_IRUGO if shmflg & SHM_RDONLY else S_IRUGO | S_IWUGO
    if shmflg & SHM_EXEC:
        want |= S_IXUGO
    if rec is not None and not permits(task, rec, want):
        raise KernelError(errno.EACCES, f"shmat: no permission on segment {shmid}")
    return Native()


# ------------------------------------------------- the native calls, when they stop
# They run with no stop (syscalls/linux64.py), except in a task that entered a non-initial
# IPC namespace (its seccomp filter, kernel/ipc.py) and in strict mode.
@syscall("msgsnd", NATIVE, names=("msgrcv",))
def msg_op(task, msqid: int):
    """msgsnd(2), msgrcv(2): a queue of another IPC namespace is EINVAL, as Linux does not find it."""
    _registry(task).visible(task, MSG, msqid)
    return Native()


@syscall("semop", NATIVE, names=("semtimedop",))
def sem_op(task, semid: int):
    """semop(2), semtimedop(2): a set of another IPC namespace is EINVAL, as Linux does not find it."""
    _registry(task).visible(task, SEM, semid)
    return Native()
