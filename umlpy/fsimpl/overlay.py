"""overlayfs: the guest's root, a read-only rootfs below and a writable layer above.

Like Linux overlayfs: a name is looked up in the upper layer first, then in
the lower one unless a whiteout hides it (the name was deleted) or an
ancestor directory is opaque (it was deleted and made again).  Writing to a
lower file first copies it up.  Directory listings merge both layers.

The upper layer is a host directory: private in /dev/shm (memory) by
default, or the `--persist` directory's `upper/` (fsimpl/persist.py), next
to `overlay.json` which keeps what has no host representation here:
whiteouts, ownership (chown is recorded here, not applied on the host) and
set-id bits (a host file never has them: the supervisor's uid made it).

Crash safety, for a persist directory (docs/design.md, "Persistence"):
- A copy-up is built in the work directory beside the upper layer, fsynced,
  and renamed into place: the upper layer never holds half a copy.
- A whiteout is saved before the upper name goes, and a created name never
  removes one (a whiteout under an upper name hides nothing, and hides the
  lower directory's entries as opaque did), so no state in between shows a
  deleted rootfs file again.
- Ownership moves with a rename through a pending record saved first and
  resolved on the next load by the inode number the rename moved.
"""
from __future__ import annotations

import errno
import os

from umlpy.abi.errno import KernelError
from umlpy.fsimpl.hostfs import RENAME_EXCHANGE, RENAME_WHITEOUT, SETID, HostFS, host_mode
from umlpy.fsimpl.persist import PersistDir, fsync_dir
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

    def lacks(self, rel: str) -> bool:
        """Is `rel` known to be missing here: itself, or any directory above it?  A name
        under a missing one is missing too, so a walk deep into the rootfs asks the host
        about the upper layer's first missing directory only, not at every depth."""
        missing = self.missing
        if not missing:
            return False
        while rel:
            if rel in missing:
                return True
            rel = rel.rpartition("/")[0]
        return False

    def lstat(self, rel: str) -> Stat:
        if self.lacks(rel):
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

    def install(self, workfd: int, tmp: str, rel: str, durable: bool) -> None:
        """Rename `tmp` of the work directory to `rel` here (its parent exists), atomically."""
        head, name = split(rel)
        try:
            dfd = self._open(head, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise fail(e.errno or errno.EIO)
        try:
            os.rename(tmp, name, src_dir_fd=workfd, dst_dir_fd=dfd)
            if durable:
                fsync_dir(dfd)
        except OSError as e:
            raise fail(e.errno or errno.EIO)
        finally:
            os.close(dfd)
        self.missing.clear()


class OverlayFS(FileSystem):
    """The root overlay.  `work_dir` is scratch space on the upper layer's host
    file system; with `persist`, the metadata is loaded from and saved to it
    and every copy-up and metadata change is durable when the call returns."""

    name = "overlay"
    readonly = False
    dcache = True          # the rootfs never changes, the upper layer only through us

    def __init__(self, lower_dir: str, upper_dir: str, work_dir: str,
                 persist: PersistDir | None = None) -> None:
        self.lower = HostFS(lower_dir, readonly=True)
        self.lower.immutable = True
        self.lower.cache_limit = 1 << 16     # the rootfs does not change under us
        self.upper = UpperLayer(upper_dir)
        self.workfd = os.open(work_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.persist = persist
        self.durable = persist is not None
        self._seq = 0
        self.whiteouts: set[str] = set()
        self.opaque: set[str] = set()        # written by older versions; whiteouts do it now
        # Virtual attributes the host file does not carry, by path: the owner
        # (chown is never applied on the host) and the set-id bits (never on
        # a host file: see hostfs.host_mode).
        self.attrs: dict[str, tuple[int, int, int]] = {}
        if persist is not None:
            self._load(persist.load())
            # Device nodes and xattrs live in the upper layer's inode records
            # (fsimpl/vmeta.py); every change to them is saved with the rest.
            self.upper.meta.on_change = self._save

    def close(self) -> None:
        self.lower.close()
        self.upper.close()
        if self.workfd >= 0:
            os.close(self.workfd)
            self.workfd = -1
        if self.persist is not None:
            self.persist.close()

    # ---------------------------------------------------------- metadata
    def _load(self, data: dict) -> None:
        self.whiteouts = set(data.get("whiteouts", []))
        self.opaque = set(data.get("opaque", []))
        old = data.get("owners", {})                  # (uid, gid): written by older versions
        self.attrs = {k: (v[0], v[1], v[2] if len(v) > 2 else 0) for k, v in data.get("attrs", old).items()}
        changed = False
        pending = data.get("pending")
        if pending is not None:              # a rename whose end was not saved: did it happen?
            old, new = pending["rename"]
            try:
                done = self.upper.lstat(new).ino == pending["ino"]
            except KernelError:
                done = False
            if done:
                self._move_attrs(old, new)
            changed = True
        for path in list(self.attrs):       # records of names that went before they were saved
            try:
                self._find(path)
            except KernelError:
                del self.attrs[path]
                changed = True
        if self.upper.meta.load(data.get("inodes", {}), self._upper_ino):
            changed = True
        if changed:
            self._save()

    def _upper_ino(self, rel: str) -> int | None:
        try:
            return self.upper.lstat(rel).ino
        except KernelError:
            return None

    def _save(self, pending: dict | None = None) -> None:
        """Write the metadata durably (persist only); `pending` describes a rename about to happen."""
        if self.persist is None:
            return
        data = {"whiteouts": sorted(self.whiteouts), "opaque": sorted(self.opaque),
                "attrs": {k: list(v) for k, v in sorted(self.attrs.items())}}
        if self.upper.meta:
            data["inodes"] = self.upper.meta.dump()
        if pending is not None:
            data["pending"] = pending
        try:
            self.persist.save(data)
        except OSError as e:
            raise fail(e.errno or errno.EIO)

    def _attrs_under(self, rel: str) -> list[str]:
        prefix = rel.rstrip("/") + "/"
        return [k for k in self.attrs if k == rel or k.startswith(prefix)]

    def _move_attrs(self, old: str, new: str) -> None:
        """Ownership records follow a rename of `old` (and what is below it) to `new`."""
        moving = {k: self.attrs[k] for k in self._attrs_under(old)}
        for k in self._attrs_under(new):
            del self.attrs[k]
        for k in moving:
            self.attrs.pop(k, None)
        for k, v in moving.items():
            self.attrs[new + k[len(old):]] = v

    def _hide_lower(self, rel: str) -> None:
        """`rel` is about to go: whiteout its lower copy, durably, before it does."""
        if self._lower_visible(rel) and self.lower.exists(rel):
            self.whiteouts.add(rel)
            self._save()

    def _forget_attrs(self, rel: str) -> None:
        if self.attrs.pop(rel, None) is not None:
            self._save()

    # ------------------------------------------------------------ lookup
    def _lower_visible(self, rel: str) -> bool:
        """May `rel` come from the lower layer (no whiteout on it or an ancestor, no opaque ancestor)?"""
        if not self.whiteouts and not self.opaque:
            return True
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
        if not self.upper.lacks(rel):    # a known miss costs no exception
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

    def stable(self, rel: str) -> bool:
        """An object of the immutable rootfs that the upper layer does not hide: its
        stat changes only by a copy-up, chmod or chown, which Generation counts."""
        return self.lower.immutable and self.upper.lacks(rel) and self._lower_visible(rel)

    def lstat(self, rel: str) -> Stat:
        upper = self.upper
        if upper.missing and not self.whiteouts and not self.opaque and upper.lacks(rel):
            st = self.lower.lstat(rel)       # _find's answer, in fewer steps: the common case
        else:
            st = self._find(rel)[1]
        a = self.attrs and self.attrs.get(rel)
        if a:
            st = st.with_(uid=a[0], gid=a[1], mode=st.mode | a[2])
        return st

    def readlink(self, rel: str) -> str:
        return self._layer(rel).readlink(rel)

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        layer, st = self._find(rel)
        if not st.is_dir:
            raise fail(errno.ENOTDIR)
        if layer is self.lower:          # the upper layer has no such directory
            try:
                ents = self.lower.listdir(rel)
            except KernelError:          # the lower directory went away
                return []
            if not self.whiteouts:
                return ents
            return [e for e in ents if join(rel, e[0]) not in self.whiteouts]
        seen: dict[str, tuple[str, int, int]] = {}
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

    def prefetch(self, rel: str) -> None:
        if self._lower_visible(rel) and rel not in self.opaque:
            self.lower.prefetch(rel)

    # ----------------------------------------------------------- copy-up
    def _work_name(self) -> str:
        self._seq += 1
        return f"copyup.{os.getpid()}.{self._seq}"

    def _install(self, tmp: str, rel: str) -> None:
        try:
            self.upper.install(self.workfd, tmp, rel, self.durable)
        except BaseException:
            _remove(self.workfd, tmp)
            raise

    def _copy_up_dir(self, rel: str) -> None:
        if rel == "/" or self.upper.exists(rel):
            return
        self._copy_up_dir(split(rel)[0])
        self._copy_up_one(rel, self.lstat(rel))

    def copy_up(self, rel: str, data: bool = True) -> None:
        """Make `rel` exist in the upper layer, with the lower layer's content (none if not `data`).

        The copy is made in the work directory and renamed into place, so a
        supervisor killed half-way leaves the lower file showing, never a piece of it.
        """
        if self.upper.exists(rel):
            return
        st = self.lstat(rel)
        self._copy_up_dir(split(rel)[0])
        self._copy_up_one(rel, st, data)

    def _copy_up_one(self, rel: str, st: Stat, data: bool = True) -> None:
        """Copy `rel` (whose view is `st`) up.  What the upper file will not carry on
        the host, an owner other than ours or set-id bits, is recorded first, so
        that a crash in between leaves a record that says what the lower file says."""
        keep = (st.uid, st.gid, st.mode & SETID)
        if not st.is_link and (keep[:2] != self.upper.new_files_owner or keep[2]) \
                and self.attrs.get(rel) != keep:
            self.attrs[rel] = keep
            self._save()
        tmp = self._work_name()
        w = self.workfd
        try:
            if st.is_dir:
                os.mkdir(tmp, 0o700, dir_fd=w)
                os.chmod(tmp, host_mode(st.mode), dir_fd=w)
                os.utime(tmp, ns=(st.atime_ns, st.mtime_ns), dir_fd=w)
            elif st.is_link:
                os.symlink(self.lower.readlink(rel), tmp, dir_fd=w)
            else:
                self._copy_file(rel, st, tmp, data)
        except OSError as e:
            _remove(w, tmp)
            raise fail(e.errno or errno.EIO)
        self._install(tmp, rel)

    def _copy_file(self, rel: str, st: Stat, tmp: str, data: bool) -> None:
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600, dir_fd=self.workfd)
        try:
            if data:
                src = self.lower.open(rel, os.O_RDONLY, 0)
                try:
                    while os.sendfile(dst, src, None, 1 << 20) > 0:
                        pass
                finally:
                    os.close(src)
            os.fchmod(dst, host_mode(st.mode))
            os.utime(dst, ns=(st.atime_ns, st.mtime_ns))
            if self.durable:
                os.fsync(dst)
        finally:
            os.close(dst)

    def _prepare_new(self, rel: str) -> None:
        """About to create `rel` in the upper layer: its parents copied up.

        A whiteout on `rel` stays: the upper name hides the lower one anyway,
        the whiteout keeps a lower directory's entries out of a new directory,
        and it keeps the lower name dead if the new one is removed again.
        """
        self._copy_up_dir(split(rel)[0])

    # ---------------------------------------------------------- file ops
    def open(self, rel: str, flags: int, mode: int) -> int:
        # Access mode 3 (ioctl-only opens) is no write: no copy-up (OPEN_FMODE has neither).
        path_only = flags & os.O_ACCMODE == 3 and not flags & (os.O_TRUNC | os.O_APPEND | os.O_CREAT)
        if path_only or not flags & (WRITE_FLAGS | os.O_CREAT):
            # Reading: try the upper layer's file, then the lower's, directly
            # (a name the upper layer is known not to have costs no exception).
            if not self.upper.lacks(rel):
                try:
                    return self.upper.open(rel, flags, mode)
                except KernelError as e:
                    if e.errno != errno.ENOENT:
                        raise
            if not self._lower_visible(rel):
                raise fail(errno.ENOENT)
            return self.lower.open(rel, flags, mode)
        if flags & os.O_TMPFILE == os.O_TMPFILE:      # an unnamed file in directory `rel`: in the upper layer
            self._layer(rel)                      # (ENOENT if the directory is nowhere)
            self._copy_up_dir(rel)
            return self.upper.open(rel, flags, mode)
        exists = True
        try:
            layer = self._layer(rel)
        except KernelError:
            exists = False
        if not exists:
            if not flags & os.O_CREAT:
                raise fail(errno.ENOENT)
            self._prepare_new(rel)
            return self.upper.open(rel, flags, mode)
        if layer is self.lower and flags & (WRITE_FLAGS | os.O_CREAT):
            if flags & os.O_CREAT and flags & os.O_EXCL:
                raise fail(errno.EEXIST)
            st = self.lower.lstat(rel)
            if st.is_reg:
                self.copy_up(rel, data=not (flags & os.O_TRUNC and flags & (os.O_WRONLY | os.O_RDWR)))
                layer = self.upper
            elif st.is_dir:
                raise fail(errno.EISDIR)
        return layer.open(rel, flags, mode)

    def mkdir(self, rel: str, mode: int) -> None:
        self._prepare_new(rel)
        self.upper.mkdir(rel, host_mode(mode))
        if mode & SETID:
            self._set_setid(rel, mode & SETID)

    def symlink(self, target: str, rel: str) -> None:
        self._prepare_new(rel)
        self.upper.symlink(target, rel)

    def mknod_socket_dir(self, rel: str) -> tuple[int, str]:
        self._prepare_new(rel)
        return self.upper.mknod_socket_dir(rel)

    def mknod_device(self, rel: str, mode: int, rdev: int) -> None:
        self._prepare_new(rel)
        self.upper.mknod_device(rel, mode & ~SETID, rdev)
        if mode & SETID:
            self._set_setid(rel, mode & SETID)

    # Extended attributes are the upper layer's (virtual, fsimpl/vmeta.py); a
    # file of the image has none until it is copied up to be given one.
    def getxattr(self, rel: str, name: str) -> bytes:
        layer = self._layer(rel)
        if layer is not self.upper:
            raise fail(errno.ENODATA)
        return self.upper.getxattr(rel, name)

    def listxattr(self, rel: str) -> list[str]:
        layer = self._layer(rel)
        return self.upper.listxattr(rel) if layer is self.upper else []

    def setxattr(self, rel: str, name: str, value: bytes, flags: int) -> None:
        if self._layer(rel) is not self.upper and flags & 2:      # XATTR_REPLACE of nothing
            raise fail(errno.ENODATA)
        self.copy_up(rel)
        self.upper.setxattr(rel, name, value, flags)

    def removexattr(self, rel: str, name: str) -> None:
        if self._layer(rel) is not self.upper:
            raise fail(errno.ENODATA)
        self.upper.removexattr(rel, name)

    def link_fd(self, hostfd: int, new: str) -> None:
        self._prepare_new(new)              # an O_TMPFILE file is made in the upper layer
        self.upper.link_fd(hostfd, new)

    def link(self, old: str, new: str) -> None:
        self.copy_up(old)
        self._prepare_new(new)
        self.upper.link(old, new)
        if old in self.attrs:               # one inode: one owner
            self.attrs[new] = self.attrs[old]
            self._save()

    def unlink(self, rel: str) -> None:
        self._layer(rel)
        self._hide_lower(rel)
        if self.upper.exists(rel):
            self.upper.unlink(rel)
        self._forget_attrs(rel)

    def rmdir(self, rel: str) -> None:
        if self.listdir(rel):
            raise fail(errno.ENOTEMPTY)
        self._hide_lower(rel)
        if self.upper.exists(rel):
            self.upper.rmdir(rel)
        self.opaque.discard(rel)
        self._forget_attrs(rel)

    def _copy_up_tree(self, rel: str) -> None:
        self.copy_up(rel)
        if self.lstat(rel).is_dir:
            for name, _, _ in self.listdir(rel):
                self._copy_up_tree(join(rel, name))

    def rename(self, old: str, new: str, flags: int = 0) -> None:
        """Rename in the upper layer, after a copy-up of `old` (and all below it).

        Crash-safe in order: the copy-up is complete before the host rename;
        the whiteout of `old` and, when owners move, a pending record of the
        rename are saved before it; the owners' new places after it.
        """
        if flags & RENAME_WHITEOUT:
            raise fail(errno.EINVAL, "RENAME_WHITEOUT would make a device node on the host")
        if flags & RENAME_EXCHANGE:
            return self._exchange(old, new)
        self._copy_up_tree(old)
        self._prepare_new(new)
        try:
            st_new = self.lstat(new)
        except KernelError:
            st_new = None
        if st_new is not None and st_new.is_dir and not self.upper.exists(new) and self.listdir(new):
            raise fail(errno.ENOTEMPTY)
        owners = bool(self._attrs_under(old) or self._attrs_under(new))
        pending = {"rename": [old, new], "ino": self.upper.lstat(old).ino} if owners else None
        if self._lower_visible(old) and self.lower.exists(old):
            self.whiteouts.add(old)
            self._save(pending)
        elif pending is not None:
            self._save(pending)
        self.upper.rename(old, new)
        if owners:
            self._move_attrs(old, new)
            self._save()

    def _exchange(self, old: str, new: str) -> None:
        """RENAME_EXCHANGE of two names that only the upper layer holds: the host
        swaps them.  A name with a lower-layer part would need both merged
        views to swap (whiteouts and opaque directories): not done."""
        for rel in (old, new):
            if self._lower_visible(rel) and self.lower.exists(rel):
                raise fail(errno.EINVAL, "RENAME_EXCHANGE of a name from the image is not supported")
        self.upper.rename(old, new, RENAME_EXCHANGE)
        if self._attrs_under(old) or self._attrs_under(new):
            moved = {}
            for a, b in ((old, new), (new, old)):
                for key in [k for k in self.attrs if k == a or k.startswith(a + "/")]:
                    moved[b + key[len(a):]] = self.attrs.pop(key)
            self.attrs.update(moved)
            self._save()

    def chmod(self, rel: str, mode: int) -> None:
        self.copy_up(rel)
        self.upper.chmod(rel, host_mode(mode))
        self._set_setid(rel, mode & SETID)

    def _set_setid(self, rel: str, bits: int) -> None:
        a = self.attrs.get(rel)
        if a is None and not bits:
            return
        st = self.upper.lstat(rel)
        uid, gid = (a[0], a[1]) if a else (st.uid, st.gid)
        if (uid, gid) == self.upper.new_files_owner and not bits:
            del self.attrs[rel]
        else:
            self.attrs[rel] = (uid, gid, bits)
        self._save()

    def chown(self, rel: str, uid: int, gid: int) -> None:
        st = self.lstat(rel)
        self.attrs[rel] = (st.uid if uid == -1 else uid, st.gid if gid == -1 else gid, st.mode & SETID)
        self._save()

    def truncate(self, rel: str, length: int) -> None:
        self.copy_up(rel, data=length > 0)
        self.upper.truncate(rel, length)

    def utimens(self, rel: str, atime_ns: int | None, mtime_ns: int | None) -> None:
        self.copy_up(rel)
        self.upper.utimens(rel, atime_ns, mtime_ns)

    def statvfs(self) -> os.statvfs_result:
        return self.upper.statvfs()           # the writable layer's space is what df means

    def host_dir_fd(self, rel: str) -> int:
        return self._layer(rel).host_dir_fd(rel)


def _remove(dirfd: int, name: str) -> None:
    """Remove a half-built copy-up from the work directory, if it is there."""
    try:
        os.unlink(name, dir_fd=dirfd)
    except IsADirectoryError:
        try:
            os.rmdir(name, dir_fd=dirfd)
        except OSError:
            pass
    except OSError:
        pass
