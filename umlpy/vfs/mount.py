"""The mount table: which file system serves which part of the guest's tree.

Mount points are guest paths; the mount serving a path is the one with the
longest mount point that is a prefix of it.  "/" is always mounted.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace

from umlpy.vfs.fs import FileSystem, Generation


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
    FIND_CACHE = 4096       # paths whose mount is remembered, until the table changes

    def __init__(self) -> None:
        self._mounts: list[Mount] = []
        self._found: dict[str, Mount] = {}
        self._points: dict[str, Mount] = {}
        # The old root and its mounts after pivot_root(".", "."): stacked over the
        # root, where Linux puts them, so no path walk (which starts at the root,
        # under them) reaches them; umount2 of the root takes them away.
        self.over_root: list[Mount] = []
        # Tables copied from this one (mount namespaces) share its file systems:
        # closing any table closes every file system of all of them, once.
        self._family: weakref.WeakSet[MountTable] = weakref.WeakSet([self])

    @property
    def mounts(self) -> list[Mount]:
        """The mounts, longest mount point first.  Assign a new list to change them:
        that forgets every path `find` remembered."""
        return self._mounts

    @mounts.setter
    def mounts(self, mounts: list[Mount]) -> None:
        self._mounts = mounts
        self._found = {}
        self._points = {}
        for m in reversed(mounts):        # of two mounts at one point, the first listed serves
            self._points[m.point] = m
        Generation.value += 1          # cached walks may cross a mount point that moved
        Generation.meta += 1

    def copy(self) -> "MountTable":
        """A new table with the same mounts (new records, the same file systems):
        a new mount namespace.  Changes to one are not seen in the other."""
        new = MountTable()
        new.mounts = [replace(m) for m in self.mounts]
        new.over_root = [replace(m) for m in self.over_root]
        new._family = self._family
        self._family.add(new)
        return new

    def add(self, mount: Mount) -> None:
        mounts = [m for m in self.mounts if m.point != mount.point] + [mount]
        self.mounts = sorted(mounts, key=lambda m: len(m.point), reverse=True)

    def remove(self, point: str) -> Mount:
        """Unmount `point`; mounts below it go with it (a lazy, MNT_DETACH-like unmount)."""
        gone = [m for m in self.mounts if m.point == point or m.point.startswith(point + "/")]
        self.mounts = [m for m in self.mounts if m not in gone]
        return gone[0]

    def pivot(self, root: str, new_root: str, put_old: str) -> Callable[[str], str]:
        """pivot_root(2) on this table (the checks are the caller's): the mounts at and
        under `new_root` move up to `root`, the rest under `root` (the old root mount
        with its mounts) to where `put_old` is then.  Returns the map from an old path
        to its new one, for the paths held elsewhere (cwd, root, open objects)."""
        def under(p: str, top: str) -> bool:
            return top == "/" or p == top or p.startswith(top + "/")

        def rebase(p: str, old: str, new: str) -> str:
            rest = p[len(old):] if old != "/" else p
            if new == "/":
                return rest or "/"
            return new + (rest if rest != "/" else "")

        old_at = rebase(put_old, new_root, root)      # where put_old is after the move

        def moved(p: str) -> str:
            if under(p, new_root):
                return rebase(p, new_root, root)
            if under(p, root):
                return rebase(p, root, old_at)
            return p

        stack = put_old == new_root
        keep, over = [], []
        for m in self.mounts:
            if not under(m.point, root) or under(m.point, new_root):
                # what was at or under put_old is covered by the old root: Linux keeps
                # it under the cover; here it goes (it is out of reach either way)
                if not stack and under(m.point, put_old):
                    continue
                keep.append(replace(m, point=moved(m.point)))
            elif stack:
                over.append(replace(m, point=moved(m.point)))
            else:
                keep.append(replace(m, point=moved(m.point)))
        self.mounts = sorted(keep, key=lambda m: len(m.point), reverse=True)
        if stack:
            self.over_root = over + self.over_root
        return moved

    def points(self) -> dict[str, Mount]:
        """The mount points, by guest path."""
        return self._points

    def find(self, path: str) -> Mount:
        """The mount serving guest `path`: the longest mount point that is a prefix of it.

        A path that is no mount point is served by its parent's mount, so the
        answer comes from the mount points by name and the parent's answer,
        which is remembered (a tree walk asks about many names in one directory).
        """
        m = self._found.get(path)
        if m is not None:
            return m
        m = self._points.get(path)
        if m is None:
            if path == "/" or not path.startswith("/"):
                raise LookupError(f"no mount serves {path!r}")
            m = self.find(path[:path.rindex("/")] or "/")
        if len(self._found) >= self.FIND_CACHE:
            self._found = {}
        self._found[path] = m
        return m

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
