"""overlayfs: the guest's root, a read-only rootfs below and a writable layer above.

Like Linux overlayfs: a name is looked up in the upper layer first, then in
the lower one unless a whiteout hides it (the name was deleted) or an
ancestor directory is opaque (it was deleted and made again).  Writing to a
lower file first copies it up.  Directory listings merge both layers.

The upper layer is a host directory: private in /dev/shm (memory) by
default, or the `--persist` directory's `upper/`, next to `overlay.json`
which keeps what has no host representation here: whiteouts, opaque
directories and ownership (chown is recorded here, not applied on the host).
"""
from __future__ import annotations

import errno
import json
import os
import stat as S
from pathlib import Path

from umlpy.abi.errno import KernelError
from umlpy.fsimpl.hostfs import HostFS
from umlpy.vfs.fs import FileSystem, Stat, fail, join, split

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_TRUNC | os.O_APPEND


class UpperLayer(HostFS):
    """The writable layer, remembering which names it does not have.

    Most lookups miss the upper layer and hit the rootfs; remembering the
    misses saves a host syscall per path component.  Names only ever appear
    in this directory through the methods below (the guest reaches it only
    through the guest kernel), and each of them forgets every miss.
    """

    def __init__(self, host_dir: str) -> None:
        super().__init__(host_dir)
        self.missing: set[str] = set()

    def lstat(self, rel: str) -> Stat:
        if rel in self.missing:
            raise fail(errno.ENOENT)
        try:
            return super().lstat(rel)
        except KernelError as e:
            if e.errno == errno.ENOENT and len(self.missing) < (1 << 16):
                self.missing.add(rel)
            raise

    def open(self, rel: str, flags: int, mode: int) -> int:
        if flags & os.O_CREAT:
            self.missing.clear()
        elif rel in self.missing:
            raise fail(errno.ENOENT)
        return super().open(rel, flags, mode)

    def _mutate(self, rel: str, op) -> None:
        self.missing.clear()
        super()._mutate(rel, op)

    def mknod_socket_dir(self, rel: str) -> tuple[int, str]:
        self.missing.clear()
        return super().mknod_socket_dir(rel)

    def link(self, old: str, new: str) -> None:
        self.missing.clear()
        super().link(old, new)

    def rename(self, old: str, new: str, flags: int = 0) -> None:
        self.missing.clear()
        super().rename(old, new, flags)


class OverlayFS(FileSystem):
    name = "overlay"
    readonly = False

    def __init__(self, lower_dir: str, upper_dir: str, state_file: str | None = None) -> None:
        self.lower = HostFS(lower_dir, readonly=True)
        self.lower.cache_limit = 1 << 14     # the rootfs does not change under us
        self.upper = UpperLayer(upper_dir)
        self.state_file = state_file
        self.whiteouts: set[str] = set()
        self.opaque: set[str] = set()
        self.owners: dict[str, tuple[int, int]] = {}
        if state_file and os.path.exists(state_file):
            data = json.loads(Path(state_file).read_text())
            self.whiteouts = set(data.get("whiteouts", []))
            self.opaque = set(data.get("opaque", []))
            self.owners = {k: tuple(v) for k, v in data.get("owners", {}).items()}

    def close(self) -> None:
        self.lower.close()
        self.upper.close()

    def _save(self) -> None:
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        Path(tmp).write_text(json.dumps({"whiteouts": sorted(self.whiteouts),
                                         "opaque": sorted(self.opaque),
                                         "owners": self.owners}))
        os.replace(tmp, self.state_file)

    # ------------------------------------------------------------ lookup
    def _lower_visible(self, rel: str) -> bool:
        """May `rel` come from the lower layer (no whiteout, no opaque ancestor)?"""
        p = rel
        while p != "/":
            if p in self.whiteouts:
                return False
            p = split(p)[0]
            if p in self.opaque:
                return False
        return True

    def _find(self, rel: str) -> tuple[HostFS, Stat]:
        """The layer that holds `rel`, and its stat: upper first, then lower if not hidden."""
        try:
            return self.upper, self.upper.lstat(rel)
        except KernelError as e:
            if e.errno != errno.ENOENT:
                raise
        if self._lower_visible(rel):
            return self.lower, self.lower.lstat(rel)
        raise fail(errno.ENOENT)

    def _layer(self, rel: str) -> HostFS:
        return self._find(rel)[0]

    def lstat(self, rel: str) -> Stat:
        st = self._find(rel)[1]
        own = self.owners.get(rel)
        if own:
            st = st.with_(uid=own[0], gid=own[1])
        return st

    def readlink(self, rel: str) -> str:
        return self._layer(rel).readlink(rel)

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        layer = self._layer(rel)
        if not layer.lstat(rel).is_dir:
            raise fail(errno.ENOTDIR)
        seen: dict[str, tuple[str, int, int]] = {}
        if self.upper.exists(rel):
            for ent in self.upper.listdir(rel):
                seen[ent[0]] = ent
        if self._lower_visible(rel) and rel not in self.opaque and self.lower.exists(rel):
            try:
                for ent in self.lower.listdir(rel):
                    if ent[0] not in seen and join(rel, ent[0]) not in self.whiteouts:
                        seen[ent[0]] = ent
            except KernelError:          # the lower directory went away: upper only
                pass
        return list(seen.values())

    # ----------------------------------------------------------- copy-up
    def _copy_up_dir(self, rel: str) -> None:
        if rel == "/" or self.upper.exists(rel):
            return
        self._copy_up_dir(split(rel)[0])
        st = self.lower.lstat(rel)
        self.upper.mkdir(rel, S.S_IMODE(st.mode))

    def copy_up(self, rel: str) -> None:
        """Make `rel` exist in the upper layer, with the lower layer's content."""
        if self.upper.exists(rel):
            return
        st = self._layer(rel).lstat(rel)
        self._copy_up_dir(split(rel)[0])
        if st.is_dir:
            self.upper.mkdir(rel, S.S_IMODE(st.mode))
        elif st.is_link:
            self.upper.symlink(self.lower.readlink(rel), rel)
        else:
            src = self.lower.open(rel, os.O_RDONLY, 0)
            try:
                dst = self.upper.open(rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, S.S_IMODE(st.mode))
                try:
                    while os.sendfile(dst, src, None, 1 << 20) > 0:
                        pass
                finally:
                    os.close(dst)
            finally:
                os.close(src)

    def _prepare_new(self, rel: str) -> None:
        """About to create `rel` in the upper layer: parents copied up, whiteout gone."""
        self._copy_up_dir(split(rel)[0])

    def _created(self, rel: str, is_dir: bool) -> None:
        if rel in self.whiteouts:
            self.whiteouts.discard(rel)
            if is_dir:
                self.opaque.add(rel)     # the old lower directory's entries stay deleted
            self._save()

    def _removed(self, rel: str) -> None:
        self.owners.pop(rel, None)
        if self._lower_visible(rel) and self.lower.exists(rel):
            self.whiteouts.add(rel)
        self._save()

    # ---------------------------------------------------------- file ops
    def open(self, rel: str, flags: int, mode: int) -> int:
        if not flags & (WRITE_FLAGS | os.O_CREAT):
            # Reading: try the upper layer's file, then the lower's, directly.
            try:
                return self.upper.open(rel, flags, mode)
            except KernelError as e:
                if e.errno != errno.ENOENT:
                    raise
            if not self._lower_visible(rel):
                raise fail(errno.ENOENT)
            return self.lower.open(rel, flags, mode)
        exists = True
        try:
            layer = self._layer(rel)
        except KernelError:
            exists = False
        if not exists:
            if not flags & os.O_CREAT:
                raise fail(errno.ENOENT)
            self._prepare_new(rel)
            fd = self.upper.open(rel, flags, mode)
            self._created(rel, False)
            return fd
        if layer is self.lower and flags & (WRITE_FLAGS | os.O_CREAT):
            if flags & os.O_CREAT and flags & os.O_EXCL:
                raise fail(errno.EEXIST)
            st = self.lower.lstat(rel)
            if st.is_reg:
                self.copy_up(rel)
                layer = self.upper
            elif st.is_dir:
                raise fail(errno.EISDIR)
        return layer.open(rel, flags, mode)

    def mkdir(self, rel: str, mode: int) -> None:
        self._prepare_new(rel)
        self.upper.mkdir(rel, mode)
        self._created(rel, True)

    def symlink(self, target: str, rel: str) -> None:
        self._prepare_new(rel)
        self.upper.symlink(target, rel)
        self._created(rel, False)

    def mknod_socket_dir(self, rel: str) -> tuple[int, str]:
        self._prepare_new(rel)
        self._created(rel, False)
        return self.upper.mknod_socket_dir(rel)

    def link(self, old: str, new: str) -> None:
        self.copy_up(old)
        self._prepare_new(new)
        self.upper.link(old, new)
        self._created(new, False)

    def unlink(self, rel: str) -> None:
        self._layer(rel)
        if self.upper.exists(rel):
            self.upper.unlink(rel)
        self._removed(rel)

    def rmdir(self, rel: str) -> None:
        if self.listdir(rel):
            raise fail(errno.ENOTEMPTY)
        if self.upper.exists(rel):
            self.upper.rmdir(rel)
        self.opaque.discard(rel)
        self._removed(rel)

    def _copy_up_tree(self, rel: str) -> None:
        self.copy_up(rel)
        if self.lstat(rel).is_dir:
            for name, _, _ in self.listdir(rel):
                self._copy_up_tree(join(rel, name))

    def rename(self, old: str, new: str, flags: int = 0) -> None:
        self._copy_up_tree(old)
        self._prepare_new(new)
        try:
            st_new = self.lstat(new)
        except KernelError:
            st_new = None
        if st_new is not None and st_new.is_dir and not self.upper.exists(new):
            if self.listdir(new):
                raise fail(errno.ENOTEMPTY)
        self.upper.rename(old, new)
        if old in self.owners:
            self.owners[new] = self.owners.pop(old)
        self._created(new, self.upper.lstat(new).is_dir)
        self._removed(old)

    def chmod(self, rel: str, mode: int) -> None:
        self.copy_up(rel)
        self.upper.chmod(rel, mode)

    def chown(self, rel: str, uid: int, gid: int) -> None:
        st = self.lstat(rel)
        self.owners[rel] = (st.uid if uid == -1 else uid, st.gid if gid == -1 else gid)
        self._save()

    def truncate(self, rel: str, length: int) -> None:
        self.copy_up(rel)
        self.upper.truncate(rel, length)

    def utimens(self, rel: str, atime_ns: int | None, mtime_ns: int | None) -> None:
        self.copy_up(rel)
        self.upper.utimens(rel, atime_ns, mtime_ns)

    def host_dir_fd(self, rel: str) -> int:
        return self._layer(rel).host_dir_fd(rel)
