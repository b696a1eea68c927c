"""The mount table: which file system serves which part of the guest's tree.

Mount points are guest paths; the mount serving a path is the one with the
longest mount point that is a prefix of it.  "/" is always mounted.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from umlpy.vfs.fs import FileSystem, Generation


@dataclass
class Mount:
    point: str                 # guest path of the mount point, "/" or "/a/b"
    fs: FileSystem
    readonly: bool = False
    source: str = "none"       # what /proc/mounts shows as the device
    fstype: str = ""
    # The mounts this one covers (at its point and below it), out of every walk's
    # reach until it is unmounted, as Linux keeps them under it.
    covered: list[Mount] = field(default_factory=list, compare=False, repr=False)

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
        new.mounts = [_copy(m) for m in self.mounts]
        new.over_root = [_copy(m) for m in self.over_root]
        new._family = self._family
        self._family.add(new)
        return new

    def add(self, mount: Mount) -> None:
        mounts = [m for m in self.mounts if m.point != mount.point] + [mount]
        self.mounts = sorted(mounts, key=lambda m: len(m.point), reverse=True)

    def cover(self, point: str) -> list[Mount]:
        """Take away the mounts at and below `point`, for a new mount there to keep
        (Mount.covered): the table is keyed by path, and would show them through it."""
        gone = [m for m in self.mounts if at_or_under(m.point, point)]
        self.mounts = [m for m in self.mounts if m not in gone]
        return gone

    def remove(self, point: str) -> Mount:
        """Unmount `point`; mounts below it go with it (a lazy, MNT_DETACH-like unmount),
        and what it covered is back."""
        gone = [m for m in self.mounts if at_or_under(m.point, point)]
        top = next(m for m in gone if m.point == point)
        kept = [m for m in self.mounts if m not in gone] + top.covered
        self.mounts = sorted(kept, key=lambda m: len(m.point), reverse=True)
        return top

    def pivot(self, root: str, new_root: str, put_old: str) -> Callable[[str], str]:
        """pivot_root(2) on this table (the checks are the caller's): the mounts at and
        under `new_root` move up to `root`, the rest under `root` (the old root mount
        with its mounts) to where `put_old` is then.  Returns the map from an old path
        to its new one, for the paths held elsewhere (cwd, root, open objects)."""
        def rebase(p: str, old: str, new: str) -> str:
            rest = p[len(old):] if old != "/" else p
            if new == "/":
                return rest or "/"
            return new + (rest if rest != "/" else "")

        old_at = rebase(put_old, new_root, root)      # where put_old is after the move

        def moved(p: str) -> str:
            if at_or_under(p, new_root):
                return rebase(p, new_root, root)
            if at_or_under(p, root):
                return rebase(p, root, old_at)
            return p

        stack = put_old == new_root
        keep, over = [], []
        for m in self.mounts:
            if not at_or_under(m.point, root) or at_or_under(m.point, new_root):
                # what was at or under put_old is covered by the old root: Linux keeps
                # it under the cover; here it goes (it is out of reach either way)
                if not stack and at_or_under(m.point, put_old):
                    continue
                keep.append(_moved(m, moved))
            elif stack:
                over.append(_moved(m, moved))
            else:
                keep.append(_moved(m, moved))
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
            for m in _all(table.mounts + table.over_root):
                if id(m.fs) not in seen:
                    seen.add(id(m.fs))
                    m.fs.close()


def at_or_under(p: str, top: str) -> bool:
    """Is guest path `p` directory `top` or below it?"""
    return top == "/" or p == top or p.startswith(top + "/")


def _copy(m: Mount) -> Mount:
    """A new record of `m` and of what it covers, for another mount namespace."""
    return replace(m, covered=[_copy(c) for c in m.covered])


def _moved(m: Mount, moved: Callable[[str], str]) -> Mount:
    """`m` with its point renamed by `moved` (pivot_root).  What it covered is dropped:
    Linux keeps a covered mount under its old parent's dentry, which the move does not
    follow (after `mount --rbind / /` and a pivot, unmounting the old root at put_old
    shows an empty directory, not the root it covered)."""
    return replace(m, point=moved(m.point), covered=[])


def _all(mounts: list[Mount]):
    """The mounts and, under each, what it covers."""
    for m in mounts:
        yield m
        yield from _all(m.covered)
