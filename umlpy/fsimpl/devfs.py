"""devfs: the guest's /dev, a small fixed set of safe devices.

Character devices are the host's own (null, zero, full, random, urandom),
opened by the supervisor from constant host paths.  /dev/tty and
/dev/console are the guest's terminal, if it has one (`umlpy boot`); with
none, opening them is ENXIO as for a process with no controlling terminal.
/dev/fd and /dev/std{in,out,err} are symlinks into /proc/self/fd.

Every node has a fixed inode number from one table (the root 1, then the
entries in listing order), so numbers are distinct and the same in every run.
"""
from __future__ import annotations

import errno
import os
import stat as S
import time

from umlpy.vfs.fs import DT_CHR, DT_LNK, FileSystem, Stat, fail

HOST_DEVICES = ("null", "zero", "full", "random", "urandom")
LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
         "stderr": "/proc/self/fd/2"}
TERMINALS = ("tty", "console")
INODES = {name: ino for ino, name in enumerate(("", *HOST_DEVICES, *TERMINALS, *LINKS), start=1)}


class DevFS(FileSystem):
    name = "devtmpfs"
    readonly = True

    def __init__(self, tty: str | None) -> None:
        self.tty = tty
        self.t0 = time.time_ns()

    def _host(self, name: str) -> str | None:
        if name in HOST_DEVICES:
            return "/dev/" + name
        if name in TERMINALS:
            return self.tty
        return None

    def lstat(self, rel: str) -> Stat:
        name = rel.strip("/")
        t = self.t0
        if name == "":
            return Stat(S.S_IFDIR | 0o755, ino=INODES[name], nlink=2,
                        atime_ns=t, mtime_ns=t, ctime_ns=t)
        if name in LINKS:
            return Stat(S.S_IFLNK | 0o777, ino=INODES[name], size=len(LINKS[name]),
                        atime_ns=t, mtime_ns=t, ctime_ns=t)
        if name in HOST_DEVICES or name in TERMINALS:
            host = "/dev/" + name if name in HOST_DEVICES else "/dev/tty"
            try:
                rdev = os.stat(host).st_rdev
            except OSError:
                rdev = 0
            return Stat(S.S_IFCHR | 0o666, ino=INODES[name], rdev=rdev,
                        atime_ns=t, mtime_ns=t, ctime_ns=t)
        raise fail(errno.ENOENT)

    def readlink(self, rel: str) -> str:
        name = rel.strip("/")
        if name in LINKS:
            return LINKS[name]
        raise fail(errno.EINVAL)

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        if rel.strip("/"):
            raise fail(errno.ENOTDIR)
        names = [(n, DT_CHR) for n in HOST_DEVICES + TERMINALS]
        names += [(n, DT_LNK) for n in LINKS]
        return [(n, t, self.lstat("/" + n).ino) for n, t in names]

    def open(self, rel: str, flags: int, mode: int) -> int:
        name = rel.strip("/")
        if name in TERMINALS and self.tty is None:
            raise fail(errno.ENXIO, "no controlling terminal")
        host = self._host(name)
        if host is None:
            raise fail(errno.ENOENT if name else errno.EISDIR)
        keep = os.O_ACCMODE | os.O_NONBLOCK | os.O_APPEND | os.O_NOCTTY
        try:
            return os.open(host, (flags & keep) | os.O_CLOEXEC | os.O_NOCTTY)
        except OSError as e:
            raise fail(e.errno or errno.EIO)
