"""devfs: the guest's /dev, a small fixed set of safe devices.

Character devices are the host's own (null, zero, full, random, urandom),
opened by the supervisor from constant host paths.  /dev/tty and
/dev/console are the guest's terminal, if it has one (`umlpy boot`); with
none, opening them is ENXIO as for a process with no controlling terminal.
/dev/fd and /dev/std{in,out,err} are symlinks into /proc/self/fd.

/dev/ptmx and /dev/pts are the sandbox's own devpts instance (devpts(4) with
newinstance semantics), made on first use and mounted nowhere
(platform.host.detached_devpts): a guest's ptys are numbered from 0, and no
pty of the host or of another sandbox is in it, so /dev/pts/N can only ever
name one of the sandbox's own.  The pty is the host kernel's, so line
discipline, job control and hangups are Linux's own.  One instance serves the
whole sandbox (`Devpts`): every devtmpfs mount of it, and the console that
`umlpy run -t` and `umlpy boot` give the guest, which is thus /dev/pts/0 in
the guest, as in a container, and what `tty` prints.

Every node has a fixed inode number from one table (the root 1, then the
entries in listing order), so numbers are distinct and the same in every run.
"""
from __future__ import annotations

import errno
import fcntl
import os
import stat as S
import struct
import time

from umlpy.platform import host as host_calls
from umlpy.abi.linux import TIOCGPTN, TIOCSPTLCK
from umlpy.vfs.fs import DT_CHR, DT_DIR, DT_LNK, FileSystem, Stat, fail

HOST_DEVICES = ("null", "zero", "full", "random", "urandom")
LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
         "stderr": "/proc/self/fd/2"}
TERMINALS = ("tty", "console")
# The device numbers the guest kernel serves, for device nodes the guest
# makes with mknod anywhere (fsimpl/vmeta.py): (major, minor) -> /dev name.
# Any other character device, and every block device, opens with ENXIO.
SERVED = {(1, 3): "null", (1, 5): "zero", (1, 7): "full", (1, 8): "random", (1, 9): "urandom",
          (5, 0): "tty", (5, 1): "console"}


def served_device(mode: int, rdev: int) -> str | None:
    """The /dev name of the device a node of `mode` and `rdev` stands for, if served."""
    if not S.S_ISCHR(mode):
        return None
    major, minor = (rdev >> 8) & 0xFFF, (rdev & 0xFF) | ((rdev >> 12) & 0xFFF00)
    return SERVED.get((major, minor))


INODES = {name: ino for ino, name in enumerate(("", *HOST_DEVICES, *TERMINALS, *LINKS, "pts", "ptmx"),
                                               start=1)}


class Devpts:
    """A sandbox's devpts instance, made on first use and mounted nowhere."""

    def __init__(self) -> None:
        self.fd = -1
        self.dev: int | None = None       # its st_dev, once made

    @property
    def made(self) -> bool:
        return self.fd >= 0

    def path(self, name: str) -> str:
        """Our path of `name` (ptmx, a slave's number, or "" for the root) in it."""
        if self.fd < 0:
            try:
                self.fd = host_calls.detached_devpts()
            except OSError as e:
                raise fail(errno.ENODEV, f"no devpts instance: {e.strerror}") from None
            self.dev = os.fstat(self.fd).st_dev
        return f"{host_calls.fd_path(self.fd)}/{name}"

    def openpty(self) -> tuple[int, int, str]:
        """A new pty pair of the instance, unlocked: (master, slave, our path of the
        slave), both fds O_NOCTTY and close-on-exec; raises OSError."""
        master = os.open(self.path("ptmx"), os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        try:
            fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))
            n = struct.unpack("i", fcntl.ioctl(master, TIOCGPTN, b"\0" * 4))[0]
            path = self.path(str(n))
            return master, os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC), path
        except BaseException:
            os.close(master)
            raise

    def guest_name(self, st: os.stat_result) -> str | None:
        """/dev/pts/N for a slave of this instance (devpts numbers slave N's inode
        N + 3: fs/devpts/inode.c), /dev/ptmx for its master; None for anything else."""
        if self.dev is None or st.st_dev != self.dev or not S.S_ISCHR(st.st_mode):
            return None
        return "/dev/ptmx" if st.st_ino == 2 else f"/dev/pts/{st.st_ino - 3}"

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    __del__ = close


class DevFS(FileSystem):
    name = "devtmpfs"
    readonly = True

    def __init__(self, tty: str | None, devpts: Devpts | None = None) -> None:
        self.tty = tty
        self.t0 = time.time_ns()
        self._own = devpts is None        # else the sandbox's, shared (Config.devpts)
        self.devpts = devpts if devpts is not None else Devpts()

    def close(self) -> None:
        if self._own:
            self.devpts.close()

    # ------------------------------------------------------- the ptys
    def _pts_path(self, name: str) -> str:
        """Our path of `name` (ptmx or a slave's number) in the sandbox's devpts."""
        return self.devpts.path(name)

    @staticmethod
    def _pts_name(name: str) -> str | None:
        """The devpts entry a /dev name stands for: ptmx, or pts/N."""
        if name == "ptmx":
            return "ptmx"
        head, _, rest = name.partition("/")
        if head == "pts" and rest and "/" not in rest and (rest.isdigit() or rest == "ptmx"):
            return rest
        return None

    def _pts_stat(self, entry: str) -> Stat:
        try:
            st = Stat.from_host(os.stat(self._pts_path(entry)))
        except OSError:
            raise fail(errno.ENOENT) from None
        return st

    def _host(self, name: str) -> str | None:
        if name in HOST_DEVICES:
            return "/dev/" + name
        if name in TERMINALS:
            return self.tty
        return None

    def lstat(self, rel: str) -> Stat:
        name = rel.strip("/")
        t = self.t0
        if name in ("", "pts"):
            return Stat(S.S_IFDIR | 0o755, ino=INODES[name], nlink=2,
                        atime_ns=t, mtime_ns=t, ctime_ns=t)
        entry = self._pts_name(name)
        if entry is not None:
            st = self._pts_stat(entry)
            if name == "ptmx":                # a node of /dev itself, as on Linux (devtmpfs)
                return st.with_(mode=S.S_IFCHR | 0o666, ino=INODES[name], dev=0, uid=0, gid=0,
                                atime_ns=t, mtime_ns=t, ctime_ns=t)
            return st
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
        name = rel.strip("/")
        if name == "pts":
            if not self.devpts.made:         # no pty yet: an empty instance has only ptmx
                return [("ptmx", DT_CHR, self._pts_stat("ptmx").ino)]
            entries = sorted(os.listdir(self._pts_path("")), key=lambda n: (not n.isdigit(), n.zfill(12)))
            return [(n, DT_CHR, self._pts_stat(n).ino) for n in entries]
        if name:
            raise fail(errno.ENOTDIR)
        names = [(n, DT_CHR) for n in HOST_DEVICES + TERMINALS + ("ptmx",)]
        names += [(n, DT_LNK) for n in LINKS] + [("pts", DT_DIR)]
        return [(n, t, self.lstat("/" + n).ino) for n, t in names]

    def alias(self, rel: str) -> bool:
        return rel.strip("/") in TERMINALS     # the terminal is named by its pty

    def open(self, rel: str, flags: int, mode: int) -> int:
        name = rel.strip("/")
        if name in TERMINALS and self.tty is None:
            raise fail(errno.ENXIO, "no controlling terminal")
        entry = self._pts_name(name)
        host = self._host(name) if entry is None else self._pts_path(entry)
        if host is None:
            raise fail(errno.ENOENT if name else errno.EISDIR)
        keep = os.O_ACCMODE | os.O_NONBLOCK | os.O_APPEND | os.O_NOCTTY
        try:
            return os.open(host, (flags & keep) | os.O_CLOEXEC | os.O_NOCTTY)
        except OSError as e:
            raise fail(e.errno or errno.EIO)
