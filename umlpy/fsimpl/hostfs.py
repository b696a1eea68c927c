"""hostfs: a host directory mounted in the guest (bind mounts, tmpfs, overlay layers).

Every operation starts from a descriptor of the directory's root that the
supervisor holds, and goes through openat2(RESOLVE_IN_ROOT |
RESOLVE_NO_SYMLINKS): the host kernel itself refuses to leave the directory,
even if a guest thread swaps a path component for a symlink or ".." between
our check and our use (TOCTOU).  Names handed to the *at() calls are single,
already-validated components.
"""
from __future__ import annotations

import ctypes
import errno
import os
import stat as S

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import O_TMPFILE, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS
from umlpy.fsimpl.vmeta import InodeMeta
from umlpy.platform.host import openat2
from umlpy.vfs.fs import DT_DIR, DT_LNK, DT_REG, FileSystem, Stat, dtype_of, fail, guest_owner, join, split

CONFINED = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS
SETID = S.S_ISUID | S.S_ISGID
HOST_MODE = 0o7777 & ~SETID      # the bits a guest may put on a host file


def host_mode(mode: int) -> int:
    """The mode a host file gets for guest mode `mode`: never set-user-ID or set-group-ID.

    The supervisor creates host files as its own uid (root, often); a set-id
    bit there would hand that uid to any local user who runs the file.  The
    guest still sees the bits it set (HostFS.setid keeps them, virtually).
    """
    return mode & HOST_MODE


def _oserror(e: OSError) -> Exception:
    return fail(e.errno or errno.EIO)


RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4
_libc = ctypes.CDLL(None, use_errno=True)


def renameat2(olddirfd: int, old: str, newdirfd: int, new: str, flags: int) -> None:
    """renameat2(2) on the host (Python's os.rename takes no flags)."""
    if _libc.renameat2(olddirfd, os.fsencode(old), newdirfd, os.fsencode(new), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))



class HostFS(FileSystem):
    """A host directory, confined: nothing outside it is reachable."""

    name = "hostfs"
    cache_limit = 0          # >0: remember lstat results (only for a layer nobody writes)

    def __init__(self, host_dir: str, *, readonly: bool = False, name: str | None = None) -> None:
        self.host_dir = os.path.abspath(host_dir)
        self.rootfd = os.open(self.host_dir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self.readonly = readonly
        self.immutable = False           # set by the overlay for its rootfs: nobody renames in it
        # rel -> Stat, or the errno of a miss.  Never an exception object: a raised
        # one keeps its traceback, and every raise of the same one adds to it, so a
        # cached error held the frames of every walk that met it (and Python's
        # collector traversed them all: 12 us per KernelError made, in a loop of misses).
        self._cache: dict[str, Stat | int] = {}
        self._dirfds: dict[str, int] = {}         # immutable trees only: see _dirfd
        self.owners: dict[str, tuple[int, int]] = {}     # virtual chown, in memory
        self.setid: dict[str, int] = {}                  # virtual set-id bits, by path
        self.meta = InodeMeta()          # device nodes and xattrs, by host inode (fsimpl/vmeta.py)
        # New host objects go to the directory's host owner (a user's rw bind
        # must not fill up with root's files); None when that is us anyway,
        # or when we are not root and could not give them away.
        st = os.stat(self.host_dir)
        mine = (os.geteuid(), os.getegid())
        theirs = (st.st_uid, st.st_gid)
        self.host_owner = None if readonly or theirs == mine or mine[0] else theirs
        self.new_files_owner = guest_owner(*(self.host_owner or mine))
        if name:
            self.name = name

    def close(self) -> None:
        while self._dirfds:
            os.close(self._dirfds.popitem()[1])
        if self.rootfd >= 0:
            os.close(self.rootfd)
            self.rootfd = -1

    # ------------------------------------------------------------ lookup
    def _open(self, rel: str, flags: int, mode: int = 0) -> int:
        path = rel.lstrip("/") or "."
        if not flags & (os.O_CREAT | 0o20000000):     # openat2 wants mode 0 unless creating
            mode = 0
        return openat2(self.rootfd, path, flags | os.O_CLOEXEC, mode, CONFINED)

    def host_dir_fd(self, rel: str) -> int:
        try:
            return self._open(rel, os.O_PATH | os.O_DIRECTORY)
        except OSError as e:
            raise _oserror(e)

    def _parent(self, rel: str) -> tuple[int, str]:
        head, name = split(rel)
        return self.host_dir_fd(head), name

    def exists(self, rel: str) -> bool:
        try:
            self.lstat(rel)
            return True
        except KernelError:
            return False

    def lstat(self, rel: str) -> Stat:
        st = self._lstat_cached(rel)
        # (each table is tested before it is searched: most are empty, the rootfs's always)
        own = self.owners and self.owners.get(rel)
        if own:
            st = st.with_(uid=own[0], gid=own[1])
        bits = self.setid and self.setid.get(rel)
        if bits:
            st = st.with_(mode=st.mode | bits)
        if self.meta.by_ino:
            rec = self.meta.get(st.ino)
            if rec is not None and rec.dev is not None and st.is_reg:
                # A device node: an empty regular host file stands for it.
                st = st.with_(mode=rec.dev[0] | S.S_IMODE(st.mode), rdev=rec.dev[1], size=0, blocks=0)
        return st

    def _lstat_cached(self, rel: str) -> Stat:
        if self.cache_limit:
            hit = self._cache.get(rel)
            if hit is None:
                hit = self._cache[rel] = self._lstat(rel)
                if len(self._cache) > self.cache_limit:
                    del self._cache[next(iter(self._cache))]
            if type(hit) is int:
                raise fail(hit)
            return hit
        return self._lstat(rel)

    DIRFDS = 64              # directory descriptors an immutable tree keeps, at most

    def _dirfd(self, rel: str) -> int:
        """A held O_PATH descriptor of directory `rel` of an immutable tree (no rename
        ever moves it, so it names `rel` for as long as we hold it); raises OSError as
        the confined open does: ENOENT, ENOTDIR, ELOOP for a symlink on the way."""
        fd = self._dirfds.pop(rel, None)
        if fd is None:
            fd = self._open(rel, os.O_PATH | os.O_DIRECTORY)
            if len(self._dirfds) >= self.DIRFDS:
                os.close(self._dirfds.pop(next(iter(self._dirfds))))
        self._dirfds[rel] = fd               # most recently used last
        return fd

    def _lstat(self, rel: str) -> Stat | int:
        head, _, name = rel.rpartition("/")
        if self.immutable and name:
            # One fstatat of a single name in its held directory, where a miss
            # costs an O_PATH open, an fstat and a close.  The errors are the
            # confined open's: the directory's ENOENT, ENOTDIR or ELOOP come first.
            try:
                return Stat.from_host(os.stat(name, dir_fd=self._dirfd(head or "/"), follow_symlinks=False))
            except OSError as e:
                err = e.errno or errno.EIO
        else:
            try:
                fd = self._open(rel, os.O_PATH | os.O_NOFOLLOW)
            except OSError as e:
                err = e.errno or errno.EIO
            else:
                try:
                    return Stat.from_host(os.fstat(fd))
                finally:
                    os.close(fd)
        if self.cache_limit:
            return err                   # kept as the errno (see _cache)
        raise fail(err)

    def readlink(self, rel: str) -> str:
        if self.immutable:
            head, name = split(rel)
            try:
                return os.readlink(name, dir_fd=self._dirfd(head))
            except OSError as e:
                raise _oserror(e)
        pfd, name = self._parent(rel)
        try:
            return os.readlink(name, dir_fd=pfd)
        except OSError as e:
            raise _oserror(e)
        finally:
            os.close(pfd)

    def listdir(self, rel: str) -> list[tuple[str, int, int]]:
        try:
            fd = self._open(rel, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise _oserror(e)
        try:
            out = []
            add = out.append
            meta = self.meta if self.meta else None
            with os.scandir(fd) as it:
                for ent in it:
                    try:
                        # d_type as getdents gave it: the is_* calls read it (an lstat per
                        # name made a 200-name listing 450 us, 90 without), and stat only
                        # where the host gives DT_UNKNOWN; most names are files
                        if ent.is_file(follow_symlinks=False):
                            dt = DT_REG
                        elif ent.is_dir(follow_symlinks=False):
                            dt = DT_DIR
                        elif ent.is_symlink():
                            dt = DT_LNK
                        else:
                            dt = dtype_of(ent.stat(follow_symlinks=False).st_mode)
                        ino = ent.inode()
                        if meta is not None:
                            rec = meta.get(ino)
                            if rec is not None and rec.dev is not None:
                                dt = dtype_of(rec.dev[0])
                        add((ent.name, dt, ino))
                    except OSError:
                        continue
            return out
        finally:
            os.close(fd)

    def prefetch(self, rel: str) -> None:
        """lstat every name of directory `rel` at once into the cache (one fstatat each,
        not an O_PATH open, fstat and close): a tree walk is about to ask for them."""
        if not self.cache_limit:
            return
        try:
            fd = self._open(rel, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            with os.scandir(fd) as it:
                for ent in it:
                    if len(self._cache) >= self.cache_limit:
                        return
                    try:
                        self._cache.setdefault(join(rel, ent.name), Stat.from_host(ent.stat(follow_symlinks=False)))
                    except OSError:
                        continue
        finally:
            os.close(fd)

    def open(self, rel: str, flags: int, mode: int) -> int:
        # Access mode 3 (ioctl-only opens) neither reads nor writes.
        if self.readonly and (flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
                              or flags & (os.O_CREAT | os.O_TRUNC)):
            raise fail(errno.EROFS)
        mode = host_mode(mode)
        # Never block the supervisor: had a guest thread swapped the name for
        # a FIFO since it was looked up, a blocking open would wait for a
        # writer that may never come.  The guest's own blocking mode is put
        # back on the open file (O_PATH has none).  Nothing changes the names
        # of an immutable tree (the rootfs below the overlay), so its opens
        # skip the two fcntls.
        nonblock = 0 if flags & (os.O_NONBLOCK | os.O_PATH) or self.immutable else os.O_NONBLOCK
        try:
            if flags & os.O_CREAT and self.host_owner and not flags & os.O_EXCL:
                fd = self._open_or_create(rel, flags | nonblock, mode)
            elif flags & os.O_CREAT and self.host_owner:
                fd = self._create_as_owner(rel, flags | nonblock, mode)
            else:
                fd = self._open(rel, flags | nonblock, mode)
        except PermissionError as e:
            fd = self._open_as_owner(rel, flags | nonblock, e)
        except OSError as e:
            raise _oserror(e)
        if nonblock:
            os.set_blocking(fd, True)
        if flags & os.O_CREAT and flags & os.O_EXCL or flags & O_TMPFILE == O_TMPFILE:
            if S.S_IMODE(os.fstat(fd).st_mode) != mode:
                os.fchmod(fd, mode)             # exactly the guest's mode: no host umask
            self._adopt_fd(fd)
        return fd

    def _create_as_owner(self, rel: str, flags: int, mode: int) -> int:
        """Create as the host owner itself (this thread's fsuid and fsgid for the call), so
        that no chown follows: a chown is an IN_ATTRIB event, which a guest's inotify
        watch would see after an open(O_CREAT) where Linux shows none.  Where the owner
        may not create there on the host (the guest kernel allowed it: guest root), the
        supervisor creates and chowns."""
        uid, gid = self.host_owner
        if os.geteuid() != 0:
            return self._open(rel, flags, mode)
        _libc.setfsgid(gid)
        _libc.setfsuid(uid)
        try:
            return self._open(rel, flags, mode)
        except PermissionError:
            pass
        finally:
            _libc.setfsuid(0)
            _libc.setfsgid(0)
        return self._open(rel, flags, mode)

    def _open_as_owner(self, rel: str, flags: int, err: OSError) -> int:
        """Rootless, the supervisor has no DAC override, but the guest kernel has
        already granted this open (guest root may open a mode-000 file, as root of
        a user namespace may).  A regular file we own on the host gets the owner's
        read and write bits for the moment of the open, then its mode back."""
        if os.geteuid() == 0 or self.readonly or flags & os.O_CREAT:
            raise _oserror(err)
        pfd, name = self._parent(rel)
        try:
            st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
            if not S.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                raise _oserror(err)
            os.chmod(name, S.S_IMODE(st.st_mode) | 0o600, dir_fd=pfd, follow_symlinks=False)
            try:
                return self._open(rel, flags, 0)
            finally:
                os.chmod(name, S.S_IMODE(st.st_mode), dir_fd=pfd, follow_symlinks=False)
        except OSError as e:
            raise _oserror(e)
        finally:
            os.close(pfd)

    def _open_or_create(self, rel: str, flags: int, mode: int) -> int:
        """O_CREAT as two steps, so that only a file we made is given away (never a
        host file that was there, whoever owns it)."""
        for _ in range(8):
            try:
                fd = self._create_as_owner(rel, flags | os.O_EXCL, mode)
            except FileExistsError:
                try:
                    return self._open(rel, flags & ~os.O_CREAT, 0)
                except FileNotFoundError:
                    continue                    # removed in between: try again
            self._adopt_fd(fd)
            return fd
        raise fail(errno.EAGAIN, "a file kept appearing and vanishing")

    def _adopt_fd(self, fd: int) -> None:
        if self.host_owner:
            st = os.fstat(fd)
            if (st.st_uid, st.st_gid) != self.host_owner:
                os.fchown(fd, *self.host_owner)

    def statvfs(self) -> os.statvfs_result:
        return os.fstatvfs(self.rootfd)

    def adopt(self, rel: str) -> None:
        """A new host object at `rel` that the supervisor made: give it to the host owner."""
        if self.host_owner:
            self._mutate(rel, lambda d, n: os.chown(n, *self.host_owner, dir_fd=d, follow_symlinks=False))

    # ---------------------------------------------------------- mutation
    def _mutate(self, rel: str, op) -> None:
        if self.readonly:
            raise fail(errno.EROFS)
        pfd, name = self._parent(rel)
        try:
            op(pfd, name)
        except OSError as e:
            raise _oserror(e)
        except ValueError:          # chmod refusing a symlink (it raced into place)
            raise fail(errno.EPERM)
        finally:
            os.close(pfd)

    def mkdir(self, rel: str, mode: int) -> None:
        def op(d, n):
            os.mkdir(n, host_mode(mode), dir_fd=d)
            os.chmod(n, host_mode(mode), dir_fd=d, follow_symlinks=False)   # no host umask
            if self.host_owner:
                os.chown(n, *self.host_owner, dir_fd=d, follow_symlinks=False)
        self._mutate(rel, op)
        self._set_setid(rel, mode)

    def rmdir(self, rel: str) -> None:
        gone = self._host_ino(rel)
        self._mutate(rel, lambda d, n: os.rmdir(n, dir_fd=d))
        self._forget(rel)
        if gone is not None:
            self.meta.forget(gone[0])

    def unlink(self, rel: str) -> None:
        gone = self._host_ino(rel)
        self._mutate(rel, lambda d, n: os.unlink(n, dir_fd=d))
        self._forget(rel)
        if gone is not None:
            self.meta.unlinked(gone[0], rel, last=gone[1] <= 1)

    def _host_ino(self, rel: str) -> tuple[int, int] | None:
        """(host inode, link count) of `rel` if it has a virtual record (else None);
        a directory counts as one link (removing its name removes it)."""
        if not self.meta:
            return None
        try:
            st = self._lstat_cached(rel)
        except KernelError:
            return None
        if self.meta.get(st.ino) is None:
            return None
        return st.ino, 1 if st.is_dir else st.nlink

    def _forget(self, rel: str) -> None:
        self.owners.pop(rel, None)
        self.setid.pop(rel, None)

    def symlink(self, target: str, rel: str) -> None:
        def op(d, n):
            os.symlink(target, n, dir_fd=d)
            if self.host_owner:
                os.chown(n, *self.host_owner, dir_fd=d, follow_symlinks=False)
        self._mutate(rel, op)

    def mkfifo(self, rel: str, mode: int) -> None:
        def op(d, n):
            os.mkfifo(n, host_mode(mode), dir_fd=d)
            os.chmod(n, host_mode(mode), dir_fd=d, follow_symlinks=False)   # never a raced-in symlink
            if self.host_owner:
                os.chown(n, *self.host_owner, dir_fd=d, follow_symlinks=False)
        self._mutate(rel, op)
        self._set_setid(rel, mode)

    def mknod_socket_dir(self, rel: str) -> tuple[int, str]:
        if self.readonly:
            raise fail(errno.EROFS)
        return self._parent(rel)

    def link_fd(self, hostfd: int, new: str) -> None:
        # The host refuses (ENOENT) a file opened with O_EXCL, as Linux does.
        self._mutate(new, lambda d, n: os.link(f"/proc/self/fd/{hostfd}", n, dst_dir_fd=d,
                                               follow_symlinks=True))

    def link(self, old: str, new: str) -> None:
        if self.readonly:
            raise fail(errno.EROFS)
        ofd, oname = self._parent(old)
        try:
            self._mutate(new, lambda d, n: os.link(oname, n, src_dir_fd=ofd, dst_dir_fd=d,
                                                   follow_symlinks=False))
        finally:
            os.close(ofd)
        # A second name of the same inode: its virtual attributes go with it
        # (kept by path, so a later chmod through one name is not seen through
        # the other: a documented limit).
        for table in (self.owners, self.setid):
            if old in table:
                table[new] = table[old]
        rec = self._host_ino(old)
        if rec is not None:
            self.meta.linked(rec[0], new)

    def rename(self, old: str, new: str, flags: int = 0) -> None:
        """rename, with RENAME_NOREPLACE and RENAME_EXCHANGE done by the host's renameat2
        (atomic there); the virtual owners and set-id bits move (or swap) with the names."""
        if self.readonly:
            raise fail(errno.EROFS)
        if flags & RENAME_WHITEOUT:
            raise fail(errno.EINVAL, "RENAME_WHITEOUT would make a device node on the host")
        replaced = None if flags & RENAME_EXCHANGE else self._host_ino(new)
        if replaced is not None and self._host_ino(old) == replaced:
            replaced = None                             # two names of one inode: nothing goes
        moving = bool(self.meta) and not flags & RENAME_EXCHANGE and self.meta.add_moved(old, new)
        ofd, oname = self._parent(old)
        try:
            self._mutate(new, lambda d, n: renameat2(ofd, oname, d, n, flags))
        finally:
            os.close(ofd)
        if replaced is not None:
            self.meta.unlinked(replaced[0], new, last=replaced[1] <= 1)
        if moving:
            self.meta.drop_moved(old, new)
        elif flags & RENAME_EXCHANGE and self.meta:
            self.meta.exchanged(old, new)
        for table in (self.owners, self.setid):
            if not flags & RENAME_EXCHANGE:
                table.pop(new, None)                  # the file it replaced
            moved = {}
            for a, b in ((old, new), (new, old)) if flags & RENAME_EXCHANGE else ((old, new),):
                for key in [k for k in table if k == a or k.startswith(a + "/")]:
                    moved[b + key[len(a):]] = table.pop(key)
            table.update(moved)

    # ------------------------------------- device nodes and xattrs (virtual)
    def mknod_device(self, rel: str, mode: int, rdev: int) -> None:
        """An empty regular host file, recorded as the device node it stands for."""
        made = []

        def op(d, n):
            fd = os.open(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=d)
            try:
                os.fchmod(fd, host_mode(S.S_IMODE(mode)))
                if self.host_owner:
                    os.fchown(fd, *self.host_owner)
                made.append(os.fstat(fd).st_ino)
            finally:
                os.close(fd)
        self._mutate(rel, op)
        self.meta.set_device(made[0], rel, S.S_IFMT(mode), rdev)
        self._set_setid(rel, mode)

    def _ino(self, rel: str) -> int:
        return self._lstat_cached(rel).ino

    def getxattr(self, rel: str, name: str) -> bytes:
        return self.meta.getxattr(self._ino(rel), name)

    def listxattr(self, rel: str) -> list[str]:
        return self.meta.listxattr(self._ino(rel))

    def setxattr(self, rel: str, name: str, value: bytes, flags: int) -> None:
        if self.readonly:
            raise fail(errno.EROFS)
        self.meta.setxattr(self._ino(rel), rel, name, value, flags)

    def removexattr(self, rel: str, name: str) -> None:
        if self.readonly:
            raise fail(errno.EROFS)
        self.meta.removexattr(self._ino(rel), name)

    def chmod(self, rel: str, mode: int) -> None:
        def op(d, n):
            if S.S_ISLNK(os.stat(n, dir_fd=d, follow_symlinks=False).st_mode):
                return
            # Never follow: had a guest thread just swapped the name for a
            # symlink to a host file, this fails instead of chmod-ing that file.
            os.chmod(n, host_mode(mode), dir_fd=d, follow_symlinks=False)
        self._mutate(rel, op)
        self._set_setid(rel, mode)

    def _set_setid(self, rel: str, mode: int) -> None:
        if mode & SETID:
            self.setid[rel] = mode & SETID
        else:
            self.setid.pop(rel, None)

    def chown(self, rel: str, uid: int, gid: int) -> None:
        """Ownership is virtual: recorded here, never applied on the host."""
        if self.readonly:
            raise fail(errno.EROFS)
        st = self.lstat(rel)
        self.owners[rel] = (st.uid if uid == -1 else uid, st.gid if gid == -1 else gid)

    def truncate(self, rel: str, length: int) -> None:
        fd = self.open(rel, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW, 0)
        try:
            if not S.S_ISREG(os.fstat(fd).st_mode):      # raced into place: Linux's answer
                raise fail(errno.EINVAL)
            os.ftruncate(fd, length)
        except OSError as e:
            raise _oserror(e)
        finally:
            os.close(fd)

    def utimens(self, rel: str, atime_ns: int | None, mtime_ns: int | None) -> None:
        def op(d, n):
            st = os.stat(n, dir_fd=d, follow_symlinks=False)
            ns = (st.st_atime_ns if atime_ns is None else atime_ns,
                  st.st_mtime_ns if mtime_ns is None else mtime_ns)
            os.utime(n, ns=ns, dir_fd=d, follow_symlinks=False)
        self._mutate(rel, op)
