"""System V IPC credentials and namespaces: the guest kernel's record of who owns
each message queue, semaphore set and shared memory segment, which IPC
namespace it belongs to, and Linux's permission checks.

The objects themselves are the host kernel's, in the sandbox's own host IPC
namespace (csrc/spawn.c unshares CLONE_NEWIPC), so queueing, semaphore
arithmetic, blocking and the shared pages are Linux's own.  But the host sees
every guest process as one host uid, so it cannot tell guest users apart.
This module is what it cannot know: for every id the guest made through an
intercepted msgget/semget/shmget, the guest owner and creator (uid, gid, cuid,
cgid) and the guest's mode bits.  The host object is always made with mode
0700 (its owner, the one host uid, may do everything); the guest's mode lives
here and is what IPC_STAT, /proc/sysvipc and the checks see.

`permits` is Linux's ipcperms (ipc/util.c): owner or creator bits, then group
(creator's or owner's), then other; CAP_IPC_OWNER overrides.  `may_change` is
ipcctl_obtain_check: only the owner, the creator or CAP_SYS_ADMIN may IPC_SET
or IPC_RMID.

IPC namespaces (kernel/namespaces.py `IpcNamespace`) are made by the guest
kernel alone, inside the one host namespace: the guest has no host privilege
to make more.  So each object records its namespace, and keys are per
namespace: a guest key K of namespace N is host key `host_key(N, K)`, K itself
when no other namespace holds host key K, else a free key derived from K and
N.  The mapping lives while an object has that host key or a *get of it is in
flight.  An id of another namespace is EINVAL for *ctl, shmat and, in a task
that has `install_stop_filter`'s seccomp filter, for msgsnd, msgrcv, semop and
semtimedop (which otherwise run with no stop).  When the last task of a
namespace is gone, `SysvIpc.collect` destroys its objects, as Linux frees
them with the namespace.

`in_sandbox_ipc` runs a short-lived child inside the sandbox's host IPC
namespace, for the facts only the host has (its /proc/sysvipc: sizes,
counts, times, pids) and to destroy a dead namespace's objects.
"""
from __future__ import annotations

import ctypes
import errno
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from umlpy.abi.errno import KernelError
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel import stopfilter
from umlpy.kernel.creds import capable
from umlpy.kernel.namespaces import PROC_IPC_INIT_INO, IpcNamespace

MSG, SEM, SHM = "msg", "sem", "shm"
IPC_PRIVATE = 0
IPC_RMID = 0
S_IRWXUGO = 0o777
HOST_MODE = 0o700          # the host object's mode: its owner (every guest process) may do anything
CAP_IPC_OWNER, CAP_SYS_ADMIN = 15, 21
INIT_NS = PROC_IPC_INIT_INO


@dataclass
class IpcPerm:
    """The guest's view of one object's struct ipc_perm (and what Linux checks it against)."""
    kind: str
    key: int                   # the guest's key, in namespace `ns`
    uid: int
    gid: int
    cuid: int
    cgid: int
    mode: int
    size: int = 0              # shm: the segment size; sem: the number of semaphores
    removed: bool = False      # shm: IPC_RMID done, the segment lives until its last detach
    ns: int = INIT_NS          # the id of the IPC namespace it belongs to
    host_key: int = IPC_PRIVATE   # the key the host object has


@dataclass
class SysvIpc:
    """Every guest SysV IPC object the guest kernel knows of, by kind and (host) id, and
    each IPC namespace's keys."""
    objects: dict[tuple[str, int], IpcPerm] = field(default_factory=dict)
    keys: dict[tuple[str, int], int] = field(default_factory=dict)     # host key -> id
    host_ids: tuple[int, int] | None = None     # the host uid/gid of guest processes, once read
    # (kind, ns, guest key) -> host key, and back; held while an object has the host key
    # or a *get of it is in flight (`inflight`)
    key_map: dict[tuple[str, int, int], int] = field(default_factory=dict)
    key_owner: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    inflight: Counter = field(default_factory=Counter)
    nested: bool = False       # an object was ever made outside the initial namespace
    # POSIX message queue names made in each non-initial namespace (host names), for `collect`
    mq_names: dict[int, set[bytes]] = field(default_factory=dict)

    # ------------------------------------------------------------ keys
    def host_key(self, kind: str, ns: int, key: int) -> int:
        """The host key guest key `key` of namespace `ns` is, reserved for one *get
        (`release` it when the call is over).  IPC_PRIVATE is itself."""
        if key == IPC_PRIVATE:
            return IPC_PRIVATE
        h = self.key_map.get((kind, ns, key))
        if h is None:
            h = key
            if (kind, h) in self.key_owner:
                # Taken by another namespace: a free key derived from both, so that
                # the same pair tends to get the same host key again.
                h = (key * 0x9E3779B1 + ns) & 0x7FFFFFFF
                while h == IPC_PRIVATE or (kind, h) in self.key_owner:
                    h = (h + 1) & 0x7FFFFFFF
            self.key_map[(kind, ns, key)] = h
            self.key_owner[(kind, h)] = (ns, key)
        self.inflight[(kind, h)] += 1
        return h

    def release(self, kind: str, host_key: int) -> None:
        """A *get of `host_key` is over."""
        if host_key == IPC_PRIVATE:
            return
        self.inflight[(kind, host_key)] -= 1
        self._drop_if_unused(kind, host_key)

    def _drop_if_unused(self, kind: str, host_key: int) -> None:
        """Forget a key's mapping once no object has it and no *get of it is in flight."""
        if self.inflight[(kind, host_key)] > 0 or (kind, host_key) in self.keys:
            return
        del self.inflight[(kind, host_key)]
        owner = self.key_owner.pop((kind, host_key), None)
        if owner is not None:
            self.key_map.pop((kind, *owner), None)

    def by_key(self, kind: str, ns: int, key: int) -> tuple[int, IpcPerm] | None:
        if key == IPC_PRIVATE:
            return None
        h = self.key_map.get((kind, ns, key))
        ident = self.keys.get((kind, h)) if h is not None else None
        if ident is None:
            return None
        rec = self.objects.get((kind, ident))
        return (ident, rec) if rec is not None else None

    # ------------------------------------------------------------- ids
    def get(self, kind: str, ident: int) -> IpcPerm | None:
        return self.objects.get((kind, ident))

    def visible(self, task, kind: str, ident: int) -> IpcPerm | None:
        """The record of id `ident` for a caller in `task`'s IPC namespace; an object
        of another namespace is not found there (ipc_obtain_object_check: EINVAL)."""
        rec = self.objects.get((kind, ident))
        if rec is not None and rec.ns != task.ns.ipc.id:
            raise KernelError(errno.EINVAL, f"{kind} id {ident} belongs to another IPC namespace")
        return rec

    def in_ns(self, kind: str, ns: int) -> list[tuple[int, IpcPerm]]:
        return [(i, r) for (k, i), r in self.objects.items() if k == kind and r.ns == ns]

    def created(self, task, kind: str, ident: int, key: int, host_key: int, mode: int,
                size: int) -> IpcPerm:
        """A *get call made object `ident`: it belongs to the caller's effective ids and
        IPC namespace."""
        c = task.creds
        ns = task.ns.ipc.id
        rec = IpcPerm(kind, key, c.euid, c.egid, c.euid, c.egid, mode & S_IRWXUGO, size, ns=ns,
                      host_key=host_key)
        old = self.objects.get((kind, ident))
        if old is not None:
            self._forget_key(old, ident)            # the host reused a destroyed object's id
        self.objects[(kind, ident)] = rec
        if host_key != IPC_PRIVATE:
            self.keys[(kind, host_key)] = ident
        if ns != INIT_NS:
            self.nested = True
        return rec

    def _forget_key(self, rec: IpcPerm, ident: int) -> None:
        if rec.host_key != IPC_PRIVATE and self.keys.get((rec.kind, rec.host_key)) == ident:
            del self.keys[(rec.kind, rec.host_key)]
            self._drop_if_unused(rec.kind, rec.host_key)
        rec.key = rec.host_key = IPC_PRIVATE

    def removed(self, kind: str, ident: int) -> None:
        """IPC_RMID: the key names nothing any more; a segment lives on while attached."""
        rec = self.objects.get((kind, ident))
        if rec is None:
            return
        self._forget_key(rec, ident)
        if kind == SHM:
            rec.removed = True
        else:
            del self.objects[(kind, ident)]

    # ------------------------------------------------------- namespaces
    def collect(self, kernel, registry) -> None:
        """After a task left a non-initial IPC namespace (it died, unshared or joined
        another): every such namespace no task is in any more is gone, and its objects
        are destroyed (Linux's free_ipc_ns: a segment still attached lives until its
        last detach).  `registry`: the sandbox's namespaces (kernel/namespaces.py)."""
        live = {t.ns.ipc.id for t in kernel.pidns.tasks.values() if t.ns is not None}
        for ns in list(registry.by_id.values()):
            if isinstance(ns, IpcNamespace) and not ns.initial and ns.id not in live:
                ns.alive = False
        doomed = [(k, i) for (k, i), r in self.objects.items()
                  if r.ns != INIT_NS and r.ns not in live and not r.removed]
        queues = [n for ns in list(self.mq_names) if ns not in live for n in self.mq_names.pop(ns)]
        if not doomed and not queues:
            return
        others = list(kernel.pidns.tasks.values())          # any live task is in the host namespace
        if others:
            destroy_host_objects(others[0].host_tid, doomed, queues)
        for kind, ident in doomed:
            self.removed(kind, ident)


def permits(task, rec: IpcPerm, flag: int) -> bool:
    """ipcperms(): may the caller have the access in `flag`'s low bits (0400 read, 0200 write)?"""
    requested = (flag >> 6) | (flag >> 3) | flag
    granted = rec.mode
    c = task.creds
    if c.euid in (rec.cuid, rec.uid):
        granted >>= 6
    elif _in_group(c, rec.cgid) or _in_group(c, rec.gid):
        granted >>= 3
    return not (requested & ~granted & 7) or capable(task, CAP_IPC_OWNER)


def _in_group(c, gid: int) -> bool:
    return gid == c.fsgid or gid in c.groups      # in_group_p() checks the fs gid


def may_change(task, rec: IpcPerm) -> bool:
    """ipcctl_obtain_check(): IPC_SET and IPC_RMID need ownership or CAP_SYS_ADMIN."""
    return task.creds.euid in (rec.cuid, rec.uid) or capable(task, CAP_SYS_ADMIN)


# ------------------------------------------------------------ the stop filter
# The SysV calls that run natively (syscalls/linux64.py, OWN_SYSV) and name an id.
# shmdt names an address of the caller's own, and shmat always stops.
# mq_open and mq_unlink name a queue of the caller's namespace (syscalls/mqueue.py).
SYSV_NATIVE_OPS = ("msgsnd", "msgrcv", "semop", "semtimedop", "mq_open", "mq_unlink")


def install_stop_filter(task) -> Iterator[object]:
    """Install a stop filter (kernel/stopfilter.py) for SYSV_NATIVE_OPS in the calling
    thread: from now on its msgsnd, msgrcv, semop, semtimedop, mq_open and mq_unlink,
    and those of the threads and children it makes, stop, so that syscalls/sysvipc.py
    can refuse an id of another IPC namespace and syscalls/mqueue.py can name the
    caller's namespace's queues."""
    yield from stopfilter.install(task, stopfilter.program(SYSV_NATIVE_OPS), "the IPC namespace")


def start_in_namespace(task) -> Iterator[object]:
    """What a child made by clone(CLONE_NEWIPC) runs at its first stop, before its first
    instruction: the filter, then clone's 0 as its result.  Should the filter fail (no
    memory for its page), the child still starts, as the clone succeeded: its native
    SysV calls then go unchecked, as those of a task of the initial namespace do."""
    try:
        yield from install_stop_filter(task)
    except KernelError:
        return 0
    task.ns.sysv_stops = True          # its proxy is its own (and its later children's)
    return 0


# ------------------------------------------------------ inside the host namespace
_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWIPC = 0x10000000, 0x08000000


def in_sandbox_ipc(host_pid: int, work: Callable[[int], None]) -> bytes | None:
    """Run `work(out_fd)` in a child of the supervisor that joined the IPC namespace guest
    process `host_pid` is in; what it wrote, or None if it failed.

    The child joins the user namespace that owns it first, when the supervisor is not
    root (setns needs CAP_SYS_ADMIN there).  It is made and reaped inside this call,
    between two stops, so the stop loop never sees it."""
    try:
        user = os.open(f"/proc/{host_pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        ipc = os.open(f"/proc/{host_pid}/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        os.close(user)
        return None
    same_user = os.stat(f"/proc/{host_pid}/ns/user").st_ino == os.stat("/proc/self/ns/user").st_ino
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        pid = os.fork()
        if pid == 0:                                  # the child: no Python-level work beyond this
            code = 1
            try:
                os.close(r)
                if (same_user or _libc.setns(user, CLONE_NEWUSER) == 0) and _libc.setns(ipc, CLONE_NEWIPC) == 0:
                    work(w)
                    code = 0
            finally:
                os._exit(code)
        os.close(w)
        w = -1
        chunks = []
        while True:
            b = os.read(r, 65536)
            if not b:
                break
            chunks.append(b)
        _, status = os.waitpid(pid, 0)
        return b"".join(chunks) if status == 0 else None
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
        os.close(user)
        os.close(ipc)


def read_host_sysvipc(host_pid: int, kind: str) -> bytes | None:
    """The host's /proc/sysvipc/`kind` of the sandbox's IPC namespace (/proc/sysvipc
    shows the reader's).  Pids in it are the supervisor's (host) pids; uids those of
    the guest's user namespace."""
    def copy(w: int) -> None:
        fd = os.open(f"/proc/sysvipc/{kind}", os.O_RDONLY)
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            os.write(w, b)
    return in_sandbox_ipc(host_pid, copy)


def destroy_host_objects(host_pid: int, objects: list[tuple[str, int]], queues: list[bytes] = ()) -> None:
    """IPC_RMID each (kind, host id), and mq_unlink each POSIX queue (host name), in the
    sandbox's host IPC namespace."""
    def rmid(_w: int) -> None:
        for kind, ident in objects:
            if kind == MSG:
                _libc.msgctl(ident, IPC_RMID, None)
            elif kind == SEM:
                _libc.semctl(ident, 0, IPC_RMID)
            else:
                _libc.shmctl(ident, IPC_RMID, None)
        for name in queues:
            _libc.syscall(NUMBERS["mq_unlink"], b"%s\0" % name)
    in_sandbox_ipc(host_pid, rmid)


# ------------------------------------------------------------ POSIX message queues
# Linux gives each IPC namespace its own mqueue file system.  Here the queues are the
# host's, in the sandbox's one host IPC namespace, so a non-initial namespace's names
# are prefixed with its own on the host (syscalls/mqueue.py).  A name of the initial
# namespace that begins with the prefix is reachable from the initial namespace only
# by that name, as a guessed SysV id is (docs/design.md).
MQ_PREFIX = b"umlpy-ipcns-"


def mq_host_name(ns: int, name: bytes) -> bytes:
    """The host's name (as the mq_open syscall takes it, without glibc's leading '/')
    of queue `name` of IPC namespace `ns` (not the initial one)."""
    return MQ_PREFIX + b"%x-" % ns + name
