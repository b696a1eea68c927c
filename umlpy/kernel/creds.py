"""Credentials and permissions: the guest's virtual users, and the one place access is checked.

A guest process's uids and gids are virtual: getuid() & co. read them from
here, the host sees every guest process as one unprivileged uid.  Every
permission decision on a guest object goes through `Creds.permits` (the VFS
walk calls it through the creds object it is given, without importing this
layer).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field

from umlpy.abi.errno import KernelError

F_OK, X_OK, W_OK, R_OK = 0, 1, 2, 4


@dataclass
class Creds:
    """Virtual credentials: what getuid() & co. return; the host never sees them."""
    ruid: int = 0
    euid: int = 0
    suid: int = 0
    rgid: int = 0
    egid: int = 0
    sgid: int = 0
    groups: list[int] = field(default_factory=list)
    fsuid: int = -1                  # the file-system ids: -1 means "the effective one"
    fsgid: int = -1

    def __post_init__(self) -> None:
        if self.fsuid == -1:
            self.fsuid = self.euid
        if self.fsgid == -1:
            self.fsgid = self.egid

    def permits(self, st, want: int) -> bool:
        """May these credentials `want` (R_OK|W_OK|X_OK) the object with stat `st`?

        The one permission check of the guest kernel (path walk, open, access,
        exec): owner, group or other bits of the guest's own modes; root may
        read and write anything, and execute what has any x bit (or search
        any directory).  As in Linux, the file-system ids decide (setfsuid(2));
        they follow the effective ids unless set apart."""
        if self.fsuid == 0:
            return not (want & X_OK) or st.is_dir or bool(st.mode & 0o111)
        if st.uid == self.fsuid:
            bits = (st.mode >> 6) & 7
        elif st.gid == self.fsgid or st.gid in self.groups:
            bits = (st.mode >> 3) & 7
        else:
            bits = st.mode & 7
        return want & bits == want

    def copy(self) -> "Creds":
        return Creds(self.ruid, self.euid, self.suid, self.rgid, self.egid, self.sgid,
                     list(self.groups), self.fsuid, self.fsgid)


def may_access(task, st, want: int) -> bool:
    """Permission check against the calling task's virtual credentials."""
    return task.creds.permits(st, want)


def require(task, st, want: int) -> None:
    if task.creds.fsuid != 0 and not may_access(task, st, want):
        raise KernelError(errno.EACCES)


def require_dir_change(task, lk, victim=None) -> None:
    """May the caller add or remove a name in the directory holding `lk`?

    Write and search permission on the directory; in a sticky directory
    (/tmp), removing needs ownership of the file or of the directory.
    """
    if task.creds.fsuid == 0:
        return
    parent = task.kernel.vfs.parent_of(lk)
    require(task, parent.st, W_OK | X_OK)
    uid = task.creds.fsuid
    if victim is not None and parent.st.mode & 0o1000 and uid not in (victim.uid, parent.st.uid):
        raise KernelError(errno.EPERM)


def owned_by_caller(task, lk) -> None:
    """A new object belongs to the (virtual) user who made it: its file-system ids."""
    c = task.creds
    if (c.fsuid, c.fsgid) != lk.mount.fs.new_files_owner:
        lk.mount.fs.chown(lk.rel, c.fsuid, c.fsgid)
