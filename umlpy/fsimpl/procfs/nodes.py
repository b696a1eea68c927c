"""The pieces every part of /proc is built from.

A /proc object is a `Node`, described lazily: its content is made only when
it is opened.  A `View` is one process or thread as a /proc/N (or
/proc/N/task/T) directory shows it.  `Context` answers the questions every
part asks of the guest kernel: which task is reading (for /proc/self, and
the reader's root, against which guest paths are shown), and whether it may
inspect a given process.  Also here: host /proc reads, the inode number of a
/proc path, and the read-only memfd that an opened file's content goes into.
"""
from __future__ import annotations

import errno
import os
import stat as S
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from umlpy.abi.linux import PTRACE_MODE_READ_FSCREDS
from umlpy.kernel.creds import may_access_mm, may_ptrace
from umlpy.platform.host import memfd
from umlpy.vfs.fs import DT_DIR, DT_REG, Stat, fail

if TYPE_CHECKING:
    from umlpy.kernel.task import Process, Task

PROC_DEV = os.makedev(0, 20)


@dataclass
class Node:
    """One /proc object, described lazily: its content is made only when opened."""
    kind: int                                       # S_IFDIR, S_IFREG, S_IFLNK, ...
    perm: int
    uid: int = 0
    gid: int = 0
    time: float = 0.0
    read: Callable[[], bytes] | None = None         # regular file content
    link: Callable[[], str] | None = None           # symlink target
    list: Callable[[], list[tuple[str, int]]] | None = None   # directory entries
    opener: Callable[[int], int] | None = None      # a custom open (host object)
    writer: Callable[[int], int] | None = None      # open for writing, if allowed
    stat: Callable[[], Stat] | None = None          # a full custom stat


@dataclass
class View:
    """A process or thread as one /proc/N (or /proc/N/task/T) directory shows it."""
    proc: "Process"
    task: "Task | None"     # the thread shown; None for a zombie
    ident: int              # the guest id shown as Pid
    host: str               # host /proc directory the live facts come from
    thread: bool            # a task/<tid> directory (per-thread facts)

    @property
    def alive(self) -> bool:
        return self.proc.alive and self.task is not None


def dir_node(entries: Callable[[], list[tuple[str, int]]], **kw) -> Node:
    return Node(S.S_IFDIR, 0o555, list=entries, **kw)


def file_node(read: Callable[[], bytes], perm: int = 0o444, **kw) -> Node:
    return Node(S.S_IFREG, perm, read=read, **kw)


def link_node(target: Callable[[], str], **kw) -> Node:
    return Node(S.S_IFLNK, 0o777, link=target, **kw)


def tree_node(tree: dict, parts: list[str], time: float) -> Node:
    """The node at `parts` in a tree of nested dicts (a dict is a directory, a
    callable a read-only file's content): /proc/sys, and sysfs."""
    here: object = tree
    for name in parts:
        if not isinstance(here, dict) or name not in here:
            raise fail(errno.ENOENT)
        here = here[name]
    if isinstance(here, dict):
        entries = here
        return dir_node(lambda: [(k, DT_DIR if isinstance(v, dict) else DT_REG)
                                 for k, v in entries.items()], time=time)
    return file_node(here, time=time)


def const(s: str) -> Callable[[], bytes]:
    return lambda: s.encode()


def read_host(path: str) -> bytes | None:
    """A host /proc file, or None if it is gone (the process died) or unreadable."""
    try:
        with open(path, "rb", buffering=0) as f:
            chunks = []
            while True:
                b = f.read(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
    except OSError:
        return None


def host_copy(path: str, default: str = "") -> Callable[[], bytes]:
    def read() -> bytes:
        data = read_host(path)
        return default.encode() if data is None else data
    return read


def inode(path: str) -> int:
    """A stable small inode number for a /proc path."""
    if path == "/":
        return 1
    return (zlib.crc32(path.encode()) & 0x3FFFFFFF) + 2


def memfd_with(rel: str, data: bytes) -> int:
    """A read-only descriptor of a fresh memfd holding `data`."""
    fd = memfd("proc" + rel.replace("/", ":"))
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        # Reopen read-only: the guest may read (and mmap) it, not write it.
        return os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(fd)


class Context:
    """The guest kernel, and who is asking: shared by every part of the tree.

    Which task is asking (for /proc/self) is `kernel.current_task`, set by the
    dispatcher before each syscall handler runs.
    """

    def __init__(self, kernel) -> None:
        self.kernel = kernel

    def current(self) -> "Task | None":
        return getattr(self.kernel, "current_task", None)

    def me(self) -> "Task":
        t = self.current()
        if t is None or t.process.pid not in self.kernel.pidns.processes:
            raise fail(errno.ENOENT)
        return t

    def for_reader(self, path: str) -> str:
        """A guest path as the reader names it (relative to its own root)."""
        t = self.current()
        root = t.fs.root if t is not None else "/"
        if root == "/" or not path.startswith("/"):
            return path
        if path == root:
            return "/"
        if path.startswith(root.rstrip("/") + "/"):
            return path[len(root.rstrip("/")):]
        return path

    def may_inspect(self, proc: "Process", mm: bool = False) -> bool:
        """ptrace_may_access(PTRACE_MODE_READ_FSCREDS), on virtual credentials
        (kernel/creds.py): the same user, or CAP_SYS_PTRACE; with `mm` (a file of
        its memory: environ, auxv, maps) mm_access's rule, which CAP_PERFMON and
        CAP_SYS_ADMIN pass too."""
        t = self.current()
        if t is None:
            return True
        return (may_access_mm if mm else may_ptrace)(t, proc, PTRACE_MODE_READ_FSCREDS)
