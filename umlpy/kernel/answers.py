"""Answers kept below Python: the guest kernel's side of csrc/answer.c.

Some calls stop only to be told something the guest kernel has already decided:
getuid and its kin, getppid, and stat of a file of the read-only rootfs.  The
stop is the floor of a ptrace backend (about 10 us here); going up into Python
to answer it costs 4-15 us more.  So once a handler has answered, the answer
is handed to the platform (platform/interface.py `remember`, `remember_stat`),
which gives it again at the next stop of that call without returning here.

Python stays the source of truth, and this module is where it takes answers
back:
- ids: every kept answer goes before a call that may change a process's ids or
  the way its paths resolve (FORGETS), at an exec and at any death (a parent's
  death changes its children's getppid); a guest tracer's tracee keeps none.
- stats: kept per absolute path, for an object of the immutable rootfs
  (FileSystem.stable) or a miss, both reached by a walk the dentry cache keeps
  (vfs.VFS.last_cached); served to threads whose walk of an absolute path is
  the same (root "/", the first mount namespace, no search-permission checks);
  all forgotten when Generation.meta moves: any name, mode, owner, size, time or
  xattr change, a copy-up, an open for writing, a mount (checked by Kernel.run
  before every wait for stops).

Read-only opens of the rootfs's regular files are kept the same way: the
platform opens the file below the rootfs's host tree itself and hands it over,
as Python would have (an fd of that object, registered by its inode already).

Keeping a stat costs about 2.5 us, more than it saves for a path asked once, so
a path is kept the second time it is asked (stat'ed or opened: an open is kept the
same way; Python's start-up opens each of its ~20 files once), except in a directory just listed:
a program that stats two names of a listing one after the other, in the
listing's order (find, tar, ls -l), is about to stat the others, and they are
kept all at once (`_read_ahead`), as NFS's READDIRPLUS fetches attributes with
the names.  Not at the first name: Python's importer lists a directory of 200
modules and stats a dozen, in its own order; reading all of them ahead cost
python3 -c pass 5 ms (36.5 -> 31.6 ms without).
"""
from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from umlpy.abi.numbers import NUMBERS
from umlpy.abi.errno import KernelError
from umlpy.vfs.fs import Generation

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel
    from umlpy.kernel.task import Task

# Calls that may change what a kept answer says, for the whole process (its threads
# share its credentials here) or how its paths resolve: every answer goes first.
FORGETS = frozenset(NUMBERS[n] for n in ("setuid", "setgid", "setreuid", "setregid", "setresuid",
                                          "setresgid", "execve", "execveat", "unshare", "setns",
                                          "chroot", "capset", "prctl"))
# prctl options that change nothing a kept answer depends on (ids, parents, the
# capabilities a walk's permission checks use): reading state, naming a thread.
# busybox asks PR_GET_NAME at every start, which forgot every answer.
PRCTL_KEEPS = frozenset({2, 3, 7, 13, 15, 16, 21, 23, 25, 27, 30, 37, 39, 40, 42})
PRCTL, GETPPID = NUMBERS["prctl"], NUMBERS["getppid"]
AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT = 0x100, 0x800
O_ACCMODE = 3
O_ANSWERABLE = os.O_CLOEXEC | os.O_NOCTTY | 0o100000 | os.O_NONBLOCK    # O_LARGEFILE: no effect here
KEPT_STAT_FLAGS = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT
PATH_KEPT = 232              # csrc/answer.c keeps shorter paths only
SEEN = 1 << 16               # paths remembered as asked once, at most
LISTINGS = 64                # directory listings remembered for read-ahead, at most


class Listing:
    """A directory's entries as getdents gave them, and where the last first-time stat was.
    Their order by name is made when a stat first asks (most listings are never walked)."""
    __slots__ = ("ents", "_order", "last")

    def __init__(self, ents: list[tuple[str, int, int]]) -> None:
        self.ents = ents
        self._order: dict[str, int] | None = None
        self.last = -2

    @property
    def names(self) -> list[str]:
        return [e[0] for e in self.ents]

    @property
    def order(self) -> dict[str, int]:
        if self._order is None:
            self._order = {e[0]: i for i, e in enumerate(self.ents)}
        return self._order


class Answers:
    """What the guest kernel has handed the platform to answer (module docstring)."""

    def __init__(self, kernel: "Kernel") -> None:
        self.k = kernel
        self.platform = kernel.platform
        self.on = False
        self.nrs: frozenset[int] = frozenset()   # answerable | FORGETS while on: one set test a stop
        self.stats_kept = False
        self.stats_gen = Generation.meta
        self._seen: set[str] = set()
        self._listed: dict[str, Listing] = {}    # directory -> its names, from getdents

    def enable(self, on: bool) -> None:
        """Start keeping answers (not under --trace: every call must reach the trace)."""
        on = on and bool(self.platform.answerable)
        self.platform.answer_enable(on)
        self.on = on
        self.nrs = (self.platform.answerable | FORGETS) if on else frozenset()
        root = self.k.vfs.mounts.find("/").fs if on else None
        lower = getattr(root, "lower", None) if root is not None and root.name == "overlay" else None
        self.platform.answer_opens(lower.rootfd if lower is not None and lower.immutable else -1)
        self.forget_stats()

    # ------------------------------------------------------------ ids
    def before(self, nr: int, args: tuple[int, ...]) -> None:
        """A call `nr` in self.nrs is about to run, with `args`."""
        if nr in FORGETS and not (nr == PRCTL and args[0] in PRCTL_KEEPS):
            self.platform.forget()

    def after(self, task: "Task", nr: int, out) -> None:
        """Its handler answered `out`: keep it, if it is an answer of the kind kept."""
        if nr not in FORGETS and type(out) is int and task.ptrace is None:
            self.platform.remember(task.host_tid, nr, out)

    def forget(self, tid: int | None = None) -> None:
        if self.on:
            self.platform.forget(tid)

    def prime(self, task: "Task") -> None:
        """After `task`'s exec succeeded: keep its id answers now, as their handlers give
        them, so that the new program's first getuid (busybox asks at once) is answered
        below Python too, and its readlink of /proc/self/exe (glibc's static start-up)
        and PR_GET_NAME (busybox's).  The exec forgot them all (Kernel.on_exec): a set-id program
        changes them, and Python has applied that by now (loader.ExecPlan.apply)."""
        if not self.on or task.ptrace is not None:
            return
        for nr in self.platform.answerable:
            if nr == GETPPID and task.process.parent is self.k.init:
                continue                # it asks the host who adopted it: left to the first call
            out = self.k.table.lookup(nr).handler(task)      # getuid & co: plain, no side effect
            if type(out) is int:
                self.platform.remember(task.host_tid, nr, out)
        # PR_GET_NAME: the name Linux gives at an exec, while the host's name of
        # the thread is still the one the host gave it (syscalls/procattr.py).
        proc = task.process
        host_comm = proc.exec_host_comm
        if not host_comm:
            return
        comm = (proc.comm[:15] or host_comm)[:15].ljust(16, b"\0")
        # readlink("/proc/self/exe") too, where the walk is the plain one: the
        # thread's root is "/", and /proc is procfs with nothing mounted below it.
        # The link is then the program's guest path (procfs pid.py "exe").
        exe = b""
        if self.keeps_stat(task, "/proc/self/exe", 0):
            mounts = self.k.vfs.mounts
            procfs = mounts.find("/proc/self/exe")
            if (procfs.point == "/proc" and procfs.fs.name == "proc"
                    and not any(p.startswith("/proc/") for p in mounts.points())):
                exe = os.fsencode(proc.exe)
                if Generation.meta != self.stats_gen:
                    self.forget_stats()
                self.stats_kept = True       # it goes with the stat answers (Kernel.run's check)
        self.platform.remember_exec_names(task.host_tid, exe, comm, host_comm)

    # ------------------------------------------------------------ stats
    def forget_stats(self) -> None:
        self.platform.forget_stats()
        self.stats_kept = False
        self.stats_gen = Generation.meta
        self._seen = set()
        self._listed = {}

    def keeps_stat(self, task: "Task", path: str, flags: int) -> bool:
        """Might fstatat(path, flags) by `task` be kept (then call `keep_stat` after it)?"""
        return (self.on and path[:1] == "/" and not flags & ~KEPT_STAT_FLAGS
                and task.fs.root == "/" and task.ns.mnt is self.k.first_mnt and task.ptrace is None)

    def keep_stat(self, task: "Task", path: str, flags: int, outcome: "int | bytes",
                  lk=None, pack: Callable | None = None) -> None:
        """After a stat `keeps_stat` allowed: its errno or struct stat bytes (`pack`
        makes them from a Stat, for the read-ahead)."""
        if not self.k.vfs.last_cached:
            return
        if Generation.meta != self.stats_gen:
            self.forget_stats()
        if path not in self._seen:
            if len(self._seen) >= SEEN:
                self._seen.clear()
            self._seen.add(path)
            parent, _, name = path.rpartition("/")
            listing = self._listed.get(parent or "/")
            if listing is not None and pack is not None:
                self._walked(task, parent or "/", listing, name, pack)
            return
        if isinstance(outcome, int):
            if outcome in (errno.ENOENT, errno.ENOTDIR):
                self._keep(task, path, 1 if flags & AT_SYMLINK_NOFOLLOW else 0, outcome, b"")
        elif lk.mount.fs.stable(lk.rel):
            self._keep(task, path, 1 if flags & AT_SYMLINK_NOFOLLOW else 0, 0, outcome)

    def keep_open(self, task: "Task", path: str, flags: int, lk, pack: Callable) -> None:
        """After a read-only open of `path` by `task`, served in Python with a walk the
        dentry cache keeps: let the platform serve the next ones itself, when the file
        is a regular file of the immutable rootfs and no guest inotify watch exists
        (one needs the hand-over's exit stop: kernel/dispatch.py _install_fd)."""
        if (flags & O_ACCMODE or flags & ~O_ANSWERABLE or not self.keeps_stat(task, path, 0)
                or getattr(self.k, "fs_watched", False) or lk.mount.point != "/" or lk.st is None
                or not lk.st.is_reg or not lk.mount.fs.stable(lk.rel)):
            return
        if Generation.meta != self.stats_gen:
            self.forget_stats()
        if path not in self._seen:           # kept the second time, as a stat is (_seen)
            if len(self._seen) >= SEEN:
                self._seen.clear()
            self._seen.add(path)
            return
        self._keep(task, path, 0, 0, pack(lk.st), os.fsencode(lk.rel))

    def listed(self, task: "Task", path: str, ents: list[tuple[str, int, int]]) -> None:
        """getdents started a listing of directory `path` (absolute, in task's view):
        its (name, d_type, inode) entries, which are not changed afterwards."""
        if self.on and path[:1] == "/" and task.fs.root == "/" and task.ns.mnt is self.k.first_mnt:
            self._listed.pop(path, None)
            self._listed[path] = Listing(ents)
            if len(self._listed) > LISTINGS:
                del self._listed[next(iter(self._listed))]

    def _walked(self, task: "Task", parent: str, listing: "Listing", name: str, pack: Callable) -> None:
        """A first stat of `name` of a listing: read the listing ahead if the one before
        it in the listing's order was the last name stat'ed (a tree walk)."""
        i = listing.order.get(name)
        if i is None:
            return
        if i != listing.last + 1:
            listing.last = i
            return
        del self._listed[parent]
        self._read_ahead(task, parent, listing.names, pack)

    def _read_ahead(self, task: "Task", parent: str, names: list[str], pack: Callable) -> None:
        """Keep the lstat (and, for a non-symlink, the stat) of every name of a listing.
        The parent was just walked through the dentry cache (the stat that called us),
        so each name's lstat is its file system's lstat of that name, unless the name
        is a mount point (then it is left to a walk)."""
        vfs = self.k.vfs
        mount = vfs.mounts.find(parent)
        points = vfs.mounts.points()
        fs = mount.fs
        base = parent.rstrip("/") + "/"
        rbase = mount.rel(parent).rstrip("/") + "/"
        fs.prefetch(mount.rel(parent))
        for name in names:
            if name in (".", ".."):
                continue
            child = base + name
            if child in points:
                continue
            rel = rbase + name
            try:
                st = fs.lstat(rel)
            except KernelError:
                continue
            if fs.stable(rel):
                self._keep(task, child, 1 if st.is_link else 2, 0, pack(st))

    def _keep(self, task: "Task", path: str, nofollow: int, err: int, data: bytes,
              open_rel: bytes | None = None) -> None:
        """nofollow: 0 for stat, 1 for lstat, 2 for both (an object that is no symlink)."""
        raw = os.fsencode(path)
        if len(raw) < PATH_KEPT and (open_rel is None or len(open_rel) < PATH_KEPT):
            self.platform.remember_stat(task.host_tid, raw, nofollow, err, data, open_rel)
            self.stats_kept = True
