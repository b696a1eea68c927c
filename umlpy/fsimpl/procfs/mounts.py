"""/proc/mounts and /proc/PID/{mounts,mountinfo}: the guest's own mount table.

/proc/mounts is a link to self/mounts, as on Linux.  The lines are made from
the guest kernel's mount table (umlpy/vfs/mount.py), parents first, with
mount options as Linux shows them for each file system type; the host's
mounts never appear.  Mount ids in mountinfo are numbered from 20 in the
same order, and each mount's device is its file system's.
"""
from __future__ import annotations

import os


def mounts(kernel, table=None) -> bytes:
    """The text of /proc/PID/mounts (`table`: the process's mount namespace's)."""
    lines = []
    for m in _mount_list(kernel, table):
        fstype = m.fstype or m.fs.name
        lines.append(f"{_source(m)} {_escape(m.point)} {fstype} {_opts(m)} 0 0")
    return os.fsencode("\n".join(lines) + "\n")     # mount points are guest bytes


def mountinfo(kernel, table=None) -> bytes:
    """The text of /proc/PID/mountinfo (`table`: the process's mount namespace's)."""
    ms = _mount_list(kernel, table)
    ids = {m.point: 20 + i for i, m in enumerate(ms)}
    lines = []
    for i, m in enumerate(ms):
        parent = ids["/"] if m.point != "/" else ids["/"] - 1
        p = m.point
        while p != "/":
            p = p.rsplit("/", 1)[0] or "/"
            if p in ids and p != m.point:
                parent = ids[p]
                break
        fstype = m.fstype or m.fs.name
        try:
            dev = m.fs.lstat("/").dev          # a procfs's is PROC_DEV
        except Exception:
            dev = os.makedev(0, 30 + i)
        lines.append(f"{ids[m.point]} {parent} {os.major(dev)}:{os.minor(dev)} / {_escape(m.point)} "
                     f"{_opts(m)} - {fstype} {_source(m)} "
                     f"{'ro' if m.readonly else 'rw'}")
    return os.fsencode("\n".join(lines) + "\n")     # mount points are guest bytes


def _mount_list(kernel, table=None) -> list:
    ms = list((table or kernel.vfs.mounts).mounts)
    ms.sort(key=lambda m: (m.point != "/", m.point.count("/"), m.point))
    return ms


def _source(m) -> str:
    return m.source if m.source and not m.source.startswith("/") else (m.fstype or "none")


def _opts(m) -> str:
    opts = "ro" if m.readonly else "rw"
    if m.fstype == "proc":
        opts += ",nosuid,nodev,noexec,relatime"
    elif m.fstype in ("devtmpfs",):
        opts += ",nosuid,relatime"
    elif m.fstype == "tmpfs":
        opts += ",nosuid,nodev"
    else:
        opts += ",relatime"
    return opts


def _escape(path: str) -> str:
    """/proc/mounts escaping of spaces, tabs, newlines and backslashes."""
    return (path.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011")
            .replace("\n", "\\012"))
