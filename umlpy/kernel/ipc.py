"""System V IPC credentials: the guest kernel's record of who owns each message
queue, semaphore set and shared memory segment, and Linux's permission checks.

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

`read_host_sysvipc` reads the host's /proc/sysvipc/* as seen from inside the
sandbox's IPC namespace (a short-lived child joins it), for the facts only the
host has: sizes, counts, times, pids.
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass, field

from umlpy.kernel.creds import capable

MSG, SEM, SHM = "msg", "sem", "shm"
IPC_PRIVATE = 0
S_IRWXUGO = 0o777
HOST_MODE = 0o700          # the host object's mode: its owner (every guest process) may do anything
CAP_IPC_OWNER, CAP_SYS_ADMIN = 15, 21


@dataclass
class IpcPerm:
    """The guest's view of one object's struct ipc_perm (and what Linux checks it against)."""
    kind: str
    key: int
    uid: int
    gid: int
    cuid: int
    cgid: int
    mode: int
    size: int = 0              # shm: the segment size; sem: the number of semaphores
    removed: bool = False      # shm: IPC_RMID done, the segment lives until its last detach


@dataclass
class SysvIpc:
    """Every guest SysV IPC object the guest kernel knows of, by kind and id."""
    objects: dict[tuple[str, int], IpcPerm] = field(default_factory=dict)
    keys: dict[tuple[str, int], int] = field(default_factory=dict)     # public key -> id
    host_ids: tuple[int, int] | None = None     # the host uid/gid of guest processes, once read

    def by_key(self, kind: str, key: int) -> tuple[int, IpcPerm] | None:
        if key == IPC_PRIVATE:
            return None
        ident = self.keys.get((kind, key))
        if ident is None:
            return None
        rec = self.objects.get((kind, ident))
        return (ident, rec) if rec is not None else None

    def get(self, kind: str, ident: int) -> IpcPerm | None:
        return self.objects.get((kind, ident))

    def created(self, task, kind: str, ident: int, key: int, mode: int, size: int) -> IpcPerm:
        """A *get call made object `ident`: it belongs to the caller's effective ids."""
        c = task.creds
        rec = IpcPerm(kind, key, c.euid, c.egid, c.euid, c.egid, mode & S_IRWXUGO, size)
        old = self.objects.get((kind, ident))
        if old is not None and old.key != IPC_PRIVATE and self.keys.get((kind, old.key)) == ident:
            del self.keys[(kind, old.key)]          # the host reused a destroyed object's id
        self.objects[(kind, ident)] = rec
        if key != IPC_PRIVATE:
            self.keys[(kind, key)] = ident
        return rec

    def removed(self, kind: str, ident: int) -> None:
        """IPC_RMID: the key names nothing any more; a segment lives on while attached."""
        rec = self.objects.get((kind, ident))
        if rec is None:
            return
        if rec.key != IPC_PRIVATE and self.keys.get((kind, rec.key)) == ident:
            del self.keys[(kind, rec.key)]
        if kind == SHM:
            rec.removed, rec.key = True, IPC_PRIVATE
        else:
            del self.objects[(kind, ident)]


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


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWIPC = 0x10000000, 0x08000000


def read_host_sysvipc(host_pid: int, kind: str) -> bytes | None:
    """The host's /proc/sysvipc/`kind` of the IPC namespace guest process `host_pid` is in.

    /proc/sysvipc shows the reader's IPC namespace, so a child of the
    supervisor joins it (after the user namespace that owns it, when the
    supervisor is not root: setns needs CAP_SYS_ADMIN there) and sends the
    file back through a pipe.  The child is made and reaped inside this call,
    between two stops, so the stop loop never sees it.  Pids in it are the
    supervisor's (host) pids; uids those of the guest's user namespace."""
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
                    fd = os.open(f"/proc/sysvipc/{kind}", os.O_RDONLY)
                    while True:
                        b = os.read(fd, 65536)
                        if not b:
                            break
                        os.write(w, b)
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
