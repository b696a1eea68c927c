"""Virtual inode records: what a guest file carries that its host file must not.

Part of the guest kernel's file systems (hostfs, the overlay's upper layer,
tmpfs).  Two things a guest may put on a file would mean something to the
host kernel if they were real: a device node (S_IFCHR/S_IFBLK with a device
number: open it and you reach a host device) and extended attributes
(security.capability grants capabilities on exec, security.selinux is a
label, trusted.* and user.* need host support and host privilege).  So
neither is ever applied to a host file.  A device node is an empty regular
host file plus a record here of its type and rdev; an xattr is a name and a
value in the record of the file's inode.

Records are kept by host inode number, not by path, because both are
properties of the inode: a hard link shows the same device type and xattrs
through both names, a rename moves nothing, and the record goes when the
last link does (an inode number the host reuses for a new file must not
inherit an old file's record).  Each record also remembers the paths that
name it, for persistence: a --persist directory's overlay.json keeps the
records by path too, so they survive a copy of the directory (which changes
inode numbers), and on load each record is matched to its file again.

Everything here is bounded: an xattr value is at most XATTR_SIZE_MAX, a
file's xattrs at most PER_FILE bytes (ENOSPC, as on a file system whose
xattr space is full) and a file system's at most TOTAL (ENOSPC too).
"""
from __future__ import annotations

import base64
import errno
from collections.abc import Callable
from dataclasses import dataclass, field

from umlpy.abi.errno import KernelError

XATTR_CREATE, XATTR_REPLACE = 1, 2
XATTR_NAME_MAX = 255
XATTR_SIZE_MAX = 65536
PER_FILE = 64 * 1024          # all of one file's names and values
TOTAL = 16 * 1024 * 1024      # all of one file system's


@dataclass
class Record:
    """One inode's virtual attributes."""
    paths: set[str] = field(default_factory=set)
    dev: tuple[int, int] | None = None           # (S_IFCHR or S_IFBLK, rdev)
    xattrs: dict[str, bytes] = field(default_factory=dict)

    def xattr_bytes(self) -> int:
        return sum(len(k) + 1 + len(v) for k, v in self.xattrs.items())


class InodeMeta:
    """The records of one host-backed file system, by host inode number.

    `on_change` is called after every change (the overlay saves its
    metadata then, for --persist)."""

    def __init__(self) -> None:
        self.by_ino: dict[int, Record] = {}
        self.on_change: Callable[[], None] | None = None
        self.total = 0

    def __bool__(self) -> bool:
        return bool(self.by_ino)

    def get(self, ino: int) -> Record | None:
        return self.by_ino.get(ino)

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _record(self, ino: int, rel: str) -> Record:
        rec = self.by_ino.get(ino)
        if rec is None:
            rec = self.by_ino[ino] = Record()
        rec.paths.add(rel)
        return rec

    def _drop_if_empty(self, ino: int) -> None:
        rec = self.by_ino.get(ino)
        if rec is not None and rec.dev is None and not rec.xattrs:
            del self.by_ino[ino]

    # ------------------------------------------------------ device nodes
    def set_device(self, ino: int, rel: str, fmt: int, rdev: int) -> None:
        rec = self.by_ino.get(ino)
        if rec is not None:                  # a stale record of a reused inode number
            self.forget(ino)
        self._record(ino, rel).dev = (fmt, rdev)
        self.changed()

    # ------------------------------------------------------------ xattrs
    def getxattr(self, ino: int, name: str) -> bytes:
        rec = self.by_ino.get(ino)
        if rec is None or name not in rec.xattrs:
            raise KernelError(errno.ENODATA)
        return rec.xattrs[name]

    def listxattr(self, ino: int) -> list[str]:
        rec = self.by_ino.get(ino)
        return list(rec.xattrs) if rec is not None else []

    def setxattr(self, ino: int, rel: str, name: str, value: bytes, flags: int) -> None:
        rec = self.by_ino.get(ino)
        old = rec.xattrs.get(name) if rec is not None else None
        if flags & XATTR_CREATE and old is not None:
            raise KernelError(errno.EEXIST)
        if flags & XATTR_REPLACE and old is None:
            raise KernelError(errno.ENODATA)
        grow = len(value) - (len(old) if old is not None else -(len(name) + 1))
        used = rec.xattr_bytes() if rec is not None else 0
        if used + grow > PER_FILE or self.total + grow > TOTAL:
            raise KernelError(errno.ENOSPC, "no space left for extended attributes")
        rec = self._record(ino, rel)
        rec.xattrs[name] = bytes(value)
        self.total += grow
        self.changed()

    def removexattr(self, ino: int, name: str) -> None:
        rec = self.by_ino.get(ino)
        if rec is None or name not in rec.xattrs:
            raise KernelError(errno.ENODATA)
        self.total -= len(name) + 1 + len(rec.xattrs.pop(name))
        self._drop_if_empty(ino)
        self.changed()

    # ------------------------------------------------ names of the inode
    def forget(self, ino: int) -> None:
        """The inode is gone (its last link, or a directory)."""
        rec = self.by_ino.pop(ino, None)
        if rec is not None:
            self.total -= rec.xattr_bytes()
            self.changed()

    def linked(self, ino: int, new: str) -> None:
        rec = self.by_ino.get(ino)
        if rec is not None:
            rec.paths.add(new)
            self.changed()

    def unlinked(self, ino: int, rel: str, last: bool) -> None:
        if ino not in self.by_ino:
            return
        if last:
            self.forget(ino)
        else:
            self.by_ino[ino].paths.discard(rel)
            self.changed()

    def _under(self, path: str, top: str) -> bool:
        return path == top or path.startswith(top.rstrip("/") + "/")

    def add_moved(self, old: str, new: str) -> bool:
        """Before a rename of `old` to `new`: every record under `old` also gets
        its name under `new` (saved first, so a crash in between finds one of
        them).  True if any record is affected."""
        hit = False
        for rec in self.by_ino.values():
            for p in list(rec.paths):
                if self._under(p, old):
                    rec.paths.add(new + p[len(old):])
                    hit = True
        if hit:
            self.changed()
        return hit

    def drop_moved(self, old: str, new: str) -> None:
        """After the rename: the names under `old` are gone."""
        for rec in self.by_ino.values():
            rec.paths = {p for p in rec.paths if not self._under(p, old) or self._under(p, new)}
        self.changed()

    def exchanged(self, a: str, b: str) -> None:
        """RENAME_EXCHANGE swapped `a` and `b`."""
        for rec in self.by_ino.values():
            moved = set()
            for p in rec.paths:
                if self._under(p, a):
                    moved.add(b + p[len(a):])
                elif self._under(p, b):
                    moved.add(a + p[len(b):])
                else:
                    moved.add(p)
            rec.paths = moved
        self.changed()

    # ------------------------------------------------------- persistence
    def dump(self) -> dict:
        """The records as JSON-able data: by inode number, with their paths."""
        out = {}
        for ino, rec in sorted(self.by_ino.items()):
            d: dict = {"paths": sorted(rec.paths)}
            if rec.dev is not None:
                d["dev"] = list(rec.dev)
            if rec.xattrs:
                d["xattrs"] = {k: base64.b64encode(v).decode() for k, v in sorted(rec.xattrs.items())}
            out[str(ino)] = d
        return out

    def load(self, data: dict, ino_of: Callable[[str], int | None]) -> bool:
        """Records from dump()'s data, each matched to its file again by
        `ino_of(path)` (None: no such path).  A record whose inode number a
        path still has is kept; else the first path that exists gives the
        number (the directory was copied); a record no path names goes.
        True if anything was dropped or renumbered."""
        self.by_ino.clear()
        self.total = 0
        changed = False
        for key, d in data.items():
            want = int(key)
            found: dict[int, set[str]] = {}
            for p in d.get("paths", []):
                ino = ino_of(p)
                if ino is not None:
                    found.setdefault(ino, set()).add(p)
            if not found:
                changed = True
                continue
            ino = want if want in found else next(iter(found))
            changed |= ino != want or len(found[ino]) != len(d.get("paths", []))
            rec = Record(found[ino], tuple(d["dev"]) if "dev" in d else None,
                         {k: base64.b64decode(v) for k, v in d.get("xattrs", {}).items()})
            self.by_ino[ino] = rec
            self.total += rec.xattr_bytes()
        return changed


def check_dump(data: object) -> bool:
    """Is `data` what InodeMeta.dump() writes (for overlay.json's checks)?"""
    if not isinstance(data, dict):
        return False
    for key, d in data.items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(d, dict)):
            return False
        paths = d.get("paths")
        if not (isinstance(paths, list) and all(isinstance(p, str) and p.startswith("/") for p in paths)):
            return False
        dev = d.get("dev")
        if dev is not None and not (isinstance(dev, list) and len(dev) == 2
                                    and all(type(i) is int and i >= 0 for i in dev)):
            return False
        xs = d.get("xattrs", {})
        if not (isinstance(xs, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in xs.items())):
            return False
    return True
