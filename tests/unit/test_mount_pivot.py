"""MountTable.pivot, the mount-table half of pivot_root(2) (no guest runs): which
mount ends up where, and the map it gives for cwd, root and open-object names.
The syscall's checks and what a guest sees are tests/conformance/cases/misc/pivot_root.c."""
from __future__ import annotations

from umlpy.vfs.fs import FileSystem
from umlpy.vfs.mount import Mount, MountTable


def table(*points: str) -> MountTable:
    t = MountTable()
    for p in points:
        t.add(Mount(p, FileSystem(), source=p))
    return t


def where(t: MountTable) -> dict[str, str]:
    """mount point -> the point it was made at (its source here)"""
    return {m.point: m.source for m in t.mounts}


def test_pivot_moves_new_root_up_and_old_root_to_put_old():
    t = table("/", "/proc", "/nr", "/nr/sub")
    moved = t.pivot("/", "/nr", "/nr/old")
    assert where(t) == {"/": "/nr", "/sub": "/nr/sub", "/old": "/", "/old/proc": "/proc"}
    assert [moved(p) for p in ("/", "/nr", "/nr/x", "/etc", "/nr/old")] == \
        ["/old", "/", "/x", "/old/etc", "/old"]
    assert t.over_root == []


def test_pivot_dot_dot_stacks_the_old_root_over_the_root():
    t = table("/", "/proc", "/nr")
    moved = t.pivot("/", "/nr", "/nr")
    assert where(t) == {"/": "/nr"}
    assert sorted(m.source for m in t.over_root) == ["/", "/proc"]
    assert moved("/nr") == "/"


def test_pivot_in_a_chroot_at_a_mount_point():
    t = table("/", "/c", "/c/nr", "/other")
    t.pivot("/c", "/c/nr", "/c/nr/old")
    assert where(t) == {"/": "/", "/c": "/c/nr", "/c/old": "/c", "/other": "/other"}


def test_a_mount_at_put_old_is_covered():
    t = table("/", "/nr", "/nr/old")
    t.pivot("/", "/nr", "/nr/old")
    assert where(t) == {"/": "/nr", "/old": "/"}
