"""procfs: the guest's /proc, generated from the guest kernel's own records.

Everything a guest reads under /proc is produced here, at open time, into a
memfd (so read/lseek/mmap of it run natively); only a write-open of comm or
oom_score_adj and an open of a hidden fd entry (fd.py) open a host object.
The guest kernel's records are the source of every name and id: the PID
namespace gives the numeric directories, the guest argv/exe/cwd/creds come
from Process/Task, and the mount table gives /proc/mounts.  Where only the
host knows a fact (memory use, signal masks, the state letter, the address
space), the host's /proc/<host pid>/... file is read by the supervisor and
*translated* (the network files, which name no process, are copied; see
net.py):

  * every pid, tgid, ppid, pgrp, session and tpgid becomes a guest id (an id
    outside the sandbox becomes 0) -- the guest never sees a host pid;
  * TracerPid is 0 and the supervisor's ptrace stops ("t") read as sleeping:
    the supervisor is invisible (a guest tracer's pid and stops are shown);
  * paths (maps, fd links) become guest paths, mapped back through the
    mount table's host directories; a host path we cannot map is dropped
    (maps) or shown as an opaque "host:[ino]" (fd links), never leaked;
  * credentials are the virtual ones (the guest is root in its own world).

Magic links (/proc/PID/{exe,cwd,root,fd/N}) read as guest paths, so the path
walk follows them like ordinary symlinks.

This module is the file system itself: the FileSystem interface and the
dispatch of a path to the part of the tree that serves it.
  nodes.py    Node, View, Context (who is asking) and shared helpers
  pid.py      /proc/PID and /proc/PID/task/TID
  fd.py       /proc/PID/fd and /proc/PID/fdinfo
  maps.py     /proc/PID/maps and smaps
  mounts.py   /proc/mounts, /proc/PID/mounts and mountinfo
  net.py      /proc/net and /proc/PID/net
  ns.py       /proc/PID/ns
  system.py   cpuinfo, meminfo, uptime, loadavg, stat, ... and /proc/sys
  sysvipc.py  /proc/sysvipc/{msg,sem,shm}

Not provided, among others: /proc/PID/mem and /proc/PID/io.  Writable
under /proc/sys: only the files system.py makes with `Sysctl` (kernel/hostname
and domainname).
"""
from __future__ import annotations

import errno
import os
import stat as S

from umlpy.fsimpl.procfs.nodes import (
    PROC_DEV,
    Context,
    Node,
    dir_node,
    file_node,
    inode,
    link_node,
    memfd_with,
    tree_node,
)
from umlpy.fsimpl.procfs.pid import PidDirs
from umlpy.fsimpl.procfs.system import SystemFiles
from umlpy.fsimpl.procfs.sysvipc import SYSVIPC, sysvipc_file
from umlpy.vfs.fs import DT_DIR, DT_LNK, DT_REG, FileSystem, Stat, fail

# Top-level links into the reader's own directory, as on Linux.
LINKS = {"mounts": "self/mounts", "net": "self/net"}


class ProcFS(FileSystem):
    """One proc instance: /proc, or a `mount -t proc` of the guest's."""

    name = "proc"
    readonly = True

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.ctx = Context(kernel)
        self.pids = PidDirs(self.ctx)
        self.system = SystemFiles(kernel)

    # ======================================================== FS interface
    def lstat(self, rel: str) -> Stat:
        node = self._node(rel)
        if node.stat is not None:
            return node.stat()
        t = int(node.time * 1e9)
        return Stat(node.kind | node.perm, ino=inode(rel), dev=PROC_DEV,
                    nlink=2 if node.kind == S.S_IFDIR else 1, uid=node.uid, gid=node.gid,
                    blksize=1024, atime_ns=t, mtime_ns=t, ctime_ns=t)

    def readlink(self, rel: str) -> str:
        node = self._node(rel)
        if node.link is None:
            raise fail(errno.EINVAL)
        return node.link()

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        node = self._node(rel)
        if node.list is None:
            raise fail(errno.ENOTDIR)
        base = rel.rstrip("/")
        return [(name, dt, inode(base + "/" + name)) for name, dt in node.list()]

    def open(self, rel: str, flags: int, mode: int) -> int:
        node = self._node(rel)
        if node.kind == S.S_IFDIR:
            raise fail(errno.ENOTDIR)       # the VFS gives directories a placeholder
        if flags & os.O_PATH or node.kind == S.S_IFLNK:
            return memfd_with(rel, b"")
        if flags & os.O_ACCMODE != os.O_RDONLY or flags & os.O_TRUNC:
            if node.writer is not None:
                return node.writer(flags)
            if node.opener is None:
                raise fail(errno.EACCES)
        if node.opener is not None:
            return node.opener(flags)
        return memfd_with(rel, node.read() if node.read else b"")

    # ========================================================== the tree
    def _node(self, rel: str) -> Node:
        parts = [p for p in rel.split("/") if p]
        boot = self.kernel.boot_time
        if not parts:
            return dir_node(self._root_entries, time=boot)
        head, rest = parts[0], parts[1:]
        if head.isdigit():
            return self.pids.node(self.pids.view_of(int(head)), rest)
        me = self.ctx.me
        if head == "self" and not rest:
            return link_node(lambda: str(me().pid), time=boot)
        if head == "thread-self" and not rest:
            return link_node(lambda: f"{me().pid}/task/{me().tid}", time=boot)
        if head == "sys":
            return self.system.sys_node(rest, boot)
        if head == "sysvipc":
            return tree_node({k: (lambda k=k: sysvipc_file(self.kernel, k)) for k in SYSVIPC}, rest, boot)
        if not rest and head in LINKS:
            return link_node(lambda: LINKS[head], time=boot)
        read = self.system.files().get(head) if not rest else None
        if read is not None:
            return file_node(read, time=boot)
        raise fail(errno.ENOENT)

    def _root_entries(self) -> list[tuple[str, int]]:
        out = [(n, DT_LNK) for n in LINKS] + [(n, DT_REG) for n in self.system.files()]
        out += [("self", DT_LNK), ("thread-self", DT_LNK), ("sys", DT_DIR), ("sysvipc", DT_DIR)]
        out += [(str(p.pid), DT_DIR) for p in self.pids.visible()]
        return out
