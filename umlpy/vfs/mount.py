"""The mount table: which file system serves which part of the guest's tree.

Mount points are guest paths; the mount serving a path is the one with the
longest mount point that is a prefix of it.  "/" is always mounted.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, replace

from umlpy.vfs.fs import FileSystem


@dataclass
class Mount:
    point: str                 # guest path of the mount point, "/" or "/a/b"
    fs: FileSystem
    readonly: bool = False
    source: str = "none"       # what /proc/mounts shows as the device
    fstype: str = ""

    def rel(self, path: str) -> str:
        """The path of guest `path` inside this file system."""
        if self.point == "/":
            return path
        rest = path[len(self.point):]
        return rest or "/"


class MountTable:
    def __init__(self) -> None:
        self.mounts: list[Mount] = []
        # Tables copied from this one (mount namespaces) share its file systems:
        # closing any table closes every file system of all of them, once.
        self._family: weakref.WeakSet[MountTable] = weakref.WeakSet([self])

    def copy(self) -> "MountTable":
        """A new table with the same mounts (new records, the same file systems):
        a new mount namespace.  Changes to one are not seen in the other."""
        new = MountTable()
        new.mounts = [replace(m) for m in self.mounts]
        new._family = self._family
        self._family.add(new)
        return new

    def add(self, mount: Mount) -> None:
        self.mounts = [m for m in self.mounts if m.point != mount.point]
        self.mounts.append(mount)
        self.mounts.sort(key=lambda m: len(m.point), reverse=True)

    def remove(self, point: str) -> Mount:
        """Unmount `point`; mounts below it go with it (a lazy, MNT_DETACH-like unmount)."""
        gone = [m for m in self.mounts if m.point == point or m.point.startswith(point + "/")]
        self.mounts = [m for m in self.mounts if m not in gone]
        return gone[0]

    def find(self, path: str) -> Mount:
        for m in self.mounts:
            p = m.point
            if p == "/" or path == p or path.startswith(p + "/"):
                return m
        raise LookupError("no root mount")

    def is_mount_point(self, path: str) -> bool:
        return any(m.point == path for m in self.mounts)

    def children(self, path: str) -> list[str]:
        """Names of mount points directly below directory `path`."""
        prefix = path.rstrip("/") + "/"
        out = []
        for m in self.mounts:
            if m.point != "/" and m.point.startswith(prefix) and "/" not in m.point[len(prefix):]:
                out.append(m.point[len(prefix):])
        return out

    def close(self) -> None:
        seen: set[int] = set()
        for table in list(self._family):
            for m in table.mounts:
                if id(m.fs) not in seen:
                    seen.add(id(m.fs))
                    m.fs.close()
