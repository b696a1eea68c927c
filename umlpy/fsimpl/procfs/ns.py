"""/proc/PID/ns: a process's namespaces, as magic links (kernel/namespaces.py).

Each entry reads as Linux's "KIND:[ID]", with the id of the namespace the
thread is in: equal for processes that share a namespace.  The target is
relative, so following the link looks "KIND:[ID]" up in the same directory:
a hidden entry that stats as the namespace itself (nsfs's device, the id as
its inode number, as on Linux) and opens as an empty read-only file that the
VFS records under that name; setns(2) (syscalls/namespace.py) knows the
namespace again by it.
"""
from __future__ import annotations

import errno
import os
import re
import stat as S

from umlpy.fsimpl.procfs.nodes import Context, Node, View, link_node, memfd_with
from umlpy.kernel.namespaces import NS_KINDS
from umlpy.vfs.fs import DT_LNK, Stat, fail

NSFS_DEV = os.makedev(0, 4)          # nsfs's anonymous device, as Linux numbers it at boot
HIDDEN_NS = re.compile(r"^([a-z_]+):\[(\d+)\]$")


def ns_node(ctx: Context, view: View, more: list[str], owner: dict) -> Node:
    """The node at `more` below /proc/PID/ns."""
    def ident(kind: str) -> int:
        if not ctx.may_inspect(view.proc):
            raise fail(errno.EACCES)
        if not view.alive or view.task.ns is None:
            raise fail(errno.ENOENT)
        return view.task.ns.ident(kind)

    if not more:
        return Node(S.S_IFDIR, 0o511, list=lambda: [(k, DT_LNK) for k in NS_KINDS], **owner)
    if len(more) > 1:
        raise fail(errno.ENOENT)
    name = more[0]
    if name in NS_KINDS:
        return link_node(lambda: f"{name.removesuffix('_for_children')}:[{ident(name)}]", **owner)
    m = HIDDEN_NS.match(name)
    if m is None or not any(k.removesuffix("_for_children") == m.group(1) and ident(k) == int(m.group(2))
                            for k in NS_KINDS):
        raise fail(errno.ENOENT)
    ino = int(m.group(2))

    def stat() -> Stat:
        t = int(owner["time"] * 1e9)
        return Stat(S.S_IFREG | 0o444, ino=ino, dev=NSFS_DEV, nlink=1, uid=0, gid=0,
                    blksize=4096, atime_ns=t, mtime_ns=t, ctime_ns=t)

    return Node(S.S_IFREG, 0o444, stat=stat, opener=lambda flags: _open(name, flags), **owner)


def _open(name: str, flags: int) -> int:
    if flags & os.O_ACCMODE != os.O_RDONLY:
        raise fail(errno.EACCES)
    return memfd_with("/ns/" + name, b"")
