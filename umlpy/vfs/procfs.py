"""procfs: the guest's /proc, generated from the guest kernel's own records (stub)."""
from __future__ import annotations

import errno
import stat as S

from umlpy.vfs.fs import FileSystem, Stat, fail


class ProcFS(FileSystem):
    name = "proc"

    def __init__(self, kernel) -> None:
        self.kernel = kernel

    def lstat(self, rel: str) -> Stat:
        if rel == "/":
            return Stat(S.S_IFDIR | 0o555, ino=1, nlink=2)
        raise fail(errno.ENOENT)

    def listdir(self, rel: str):
        return []
