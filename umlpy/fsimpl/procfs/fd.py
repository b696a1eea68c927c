"""/proc/PID/fd and /proc/PID/fdinfo: the process's descriptors, as the guest names them.

The guest's fd table is the host's, so the entries are the host's
/proc/<host pid>/fd.  Each fd/N is a magic link whose target is the guest
path of the object, found through a duplicate of the descriptor (pidfd_getfd)
and the VFS's record of what it opened; the host's own devices keep their
names, the terminal reads as /dev/console, and any other host object with a
path shows as "host:[ino]".  A pathless target ("pipe:[123]", "socket:[45]",
"host:[678]") is relative, so the walk looks that name up in the same fd
directory: a hidden entry that stats as the object itself, and opens as a
fresh open of the same object (pipes and already-held host files, the latter
never with more access than the guest's own descriptor has).  That keeps
`echo hi > /dev/stderr` working when stderr is a pipe.  Sockets cannot be
opened this way (ENXIO, as on Linux); anon_inode objects (eventfd, epoll,
...) and deleted files are not reopenable through /proc (ENOENT), unlike
Linux.  fdinfo/N is the host's, with its pids made guest ids.
"""
from __future__ import annotations

import errno
import os
import re
import stat as S
from typing import TYPE_CHECKING

from umlpy.fsimpl.procfs.nodes import Context, Node, View, file_node, link_node, read_host
from umlpy.platform.host import pidfd_getfd
from umlpy.vfs.fs import DT_LNK, DT_REG, Stat, fail

if TYPE_CHECKING:
    from umlpy.kernel.task import Process

HOST_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
HIDDEN_FD = re.compile(r"^(pipe|socket|host):\[(\d+)\]$")


class FdDirs:
    """Lookup and content of fd/ and fdinfo/ in a /proc/PID (or task/TID) directory."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.kernel = ctx.kernel

    def node(self, view: View, which: str, more: list[str], owner: dict) -> Node:
        """The node at `more` below `which` ("fd" or "fdinfo")."""
        def guard() -> None:
            if not self.ctx.may_inspect(view.proc):
                raise fail(errno.EACCES)
        if not more:
            def entries() -> list[tuple[str, int]]:
                guard()
                dt = DT_LNK if which == "fd" else DT_REG
                return [(str(n), dt) for n in self._host_fds(view)]
            return Node(S.S_IFDIR, 0o500, list=entries, **owner)
        if len(more) > 1:
            raise fail(errno.ENOENT)
        name = more[0]
        if not name.isdigit():
            if which == "fd":
                guard()
                return self._hidden_fd(view, name, owner)
            raise fail(errno.ENOENT)
        n = int(name)
        guard()
        if n not in self._host_fds(view):
            raise fail(errno.ENOENT)
        if which == "fdinfo":
            return file_node(lambda: self._fdinfo(view, n), perm=0o400, **owner)
        node = link_node(lambda: self._fd_link(view, n), **owner)
        node.perm = self._fd_mode(view, n)
        return node

    # -------------------------------------------------------- host facts
    def _host_fds(self, view: View) -> list[int]:
        if not view.alive:
            return []
        try:
            names = os.listdir(f"/proc/{view.proc.host_pid}/fd")
        except OSError:
            return []
        return sorted(int(n) for n in names if n.isdigit())

    def _fd_link(self, view: View, n: int) -> str:
        """What readlink(/proc/PID/fd/N) shows: a guest path or an object's name."""
        proc = view.proc
        try:
            host = os.readlink(f"/proc/{proc.host_pid}/fd/{n}")
        except OSError:
            raise fail(errno.ENOENT)
        if not host.startswith("/"):
            return host                          # pipe:[..], socket:[..], anon_inode:[..]
        deleted = " (deleted)" if host.endswith(" (deleted)") and not host.startswith("/memfd:") else ""
        hst = None
        if proc.pidfd is not None:
            hfd = pidfd_getfd(proc.pidfd, n)
            if hfd >= 0:
                try:
                    path, hst = self.kernel.vfs.path_of_host_fd(hfd)
                finally:
                    os.close(hfd)
                pts = self.kernel.config.devpts
                if pts is not None and (name := pts.guest_name(hst)) is not None:
                    return name                  # the console, which no guest open named
                if path is not None:
                    return self.ctx.for_reader(path) + deleted
        bare = host.removesuffix(" (deleted)")
        if bare.startswith("/memfd:"):
            return host
        if host in HOST_DEVICES:
            return host
        if self.kernel.config.tty is not None and bare == self.kernel.config.tty:
            return "/dev/console"
        if hst is not None:
            return f"host:[{hst.st_ino}]"
        return "anon_inode:[unknown]"

    def _fd_mode(self, view: View, n: int) -> int:
        raw = read_host(f"/proc/{view.proc.host_pid}/fdinfo/{n}") or b""
        m = re.search(rb"^flags:\s*([0-7]+)", raw, re.M)
        acc = int(m.group(1), 8) & os.O_ACCMODE if m else os.O_RDWR
        return {os.O_RDONLY: 0o500, os.O_WRONLY: 0o300}.get(acc, 0o700)

    def _fdinfo(self, view: View, n: int) -> bytes:
        raw = read_host(f"/proc/{view.proc.host_pid}/fdinfo/{n}")
        if raw is None:
            raise fail(errno.ENOENT)
        g = self.kernel.pidns.to_guest
        out = []
        for line in raw.decode(errors="replace").splitlines():
            k, sep, v = line.partition(":")
            if sep and k.strip() in ("Pid", "NSpid", "NStgid", "Tgid", "pid"):
                ids = [int(x) for x in v.split() if x.lstrip("-").isdigit()]
                shown = [str(x if x <= 0 else g(x) or -1) for x in ids[:1]]
                line = f"{k}:\t{' '.join(shown)}"
            out.append(line)
        return ("\n".join(out) + "\n").encode()

    # ------------------------------------------------- hidden entries
    def _hidden_fd(self, view: View, name: str, owner: dict) -> Node:
        """fd/pipe:[ino] and friends: where the walk lands following a pathless fd link."""
        m = HIDDEN_FD.match(name)
        if m is None:
            raise fail(errno.ENOENT)
        for n in self._host_fds(view):
            try:
                if self._fd_link(view, n) == name:
                    break
            except Exception:
                continue
        else:
            raise fail(errno.ENOENT)
        proc, kind = view.proc, m.group(1)

        def stat() -> Stat:
            st = Stat.from_host(_host_stat(proc, n))
            return st.with_(uid=owner["uid"], gid=owner["gid"])

        return Node(S.S_IFREG, 0o600, stat=stat,
                    opener=lambda flags: self._reopen(view, n, kind, flags), **owner)

    def _reopen(self, view: View, n: int, kind: str, flags: int) -> int:
        """A fresh open of the object behind fd `n`, through the host's /proc."""
        if kind == "socket":
            raise fail(errno.ENXIO)
        proc = view.proc
        want = _host_stat(proc, n)
        acc = flags & os.O_ACCMODE
        if kind == "host":
            have = self._fd_mode(view, n)
            allowed = {0o500: (os.O_RDONLY,), 0o300: (os.O_WRONLY,)}.get(
                have, (os.O_RDONLY, os.O_WRONLY, os.O_RDWR))
            if acc not in allowed:
                raise fail(errno.EACCES)
        # O_TRUNC only with write access: O_RDONLY|O_TRUNC would truncate
        # (we open as root) a file the guest may only read.
        keep = os.O_ACCMODE | os.O_APPEND | (os.O_TRUNC if kind == "host" and acc != os.O_RDONLY else 0)
        try:
            # Nonblocking so that a write-open of a pipe with no reader cannot hang us.
            fd = os.open(f"/proc/{proc.host_pid}/fd/{n}",
                         (flags & keep) | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
        except OSError as e:
            raise fail(e.errno or errno.EIO)
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (want.st_dev, want.st_ino):
            os.close(fd)
            raise fail(errno.ENOENT)
        if not flags & os.O_NONBLOCK:
            os.set_blocking(fd, True)
        return fd


def _host_stat(proc: "Process", n: int) -> os.stat_result:
    """The host's stat of the object behind the process's fd `n`, through a duplicate."""
    if proc.pidfd is None:
        raise fail(errno.ENOENT)
    hfd = pidfd_getfd(proc.pidfd, n)
    if hfd < 0:
        raise fail(errno.ENOENT)
    try:
        return os.fstat(hfd)
    finally:
        os.close(hfd)
