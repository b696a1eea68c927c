"""Path walk and open: turning a guest path into a file system object and a host fd.

`VFS.resolve` walks a guest path one component at a time, over the guest's
view only: cwd or a directory fd as the start, "/" the guest root, ".."
clamped at that root, symlinks read from the guest's own file systems and
spliced in (40 at most, then ELOOP), mount points crossed by longest prefix.
The host kernel never sees a guest path: each mount is asked about one
already-resolved path inside itself.

`VFS.open` produces the host descriptor the supervisor hands to the guest,
and remembers which guest path it stands for (by the host object's device
and inode), so that later fd-based calls (fstat, getdents64, fchdir, openat
with a dirfd, /proc/PID/fd) can name it again.
"""
from __future__ import annotations

import errno
import fcntl
import os
import stat as S
import tempfile
from dataclasses import dataclass

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, MAX_SYMLINKS, NAME_MAX
from umlpy.vfs.fs import Generation, Stat, join, split
from umlpy.vfs.mount import Mount, MountTable

# What an O_TMPFILE file is registered as, below its directory: it has no name.
TMPFILE_SUFFIX = "/#tmpfile"


@dataclass
class Lookup:
    """The result of a walk: a canonical guest path, and its stat if it exists."""
    path: str
    mount: Mount
    rel: str
    st: Stat | None

    @property
    def exists(self) -> bool:
        return self.st is not None


class VFS:
    def __init__(self, mounts: MountTable, state_dir: str) -> None:
        self.mounts = mounts
        self.objects: dict[tuple[int, int], str] = {}      # (dev, ino) -> guest path
        self._vdir_root = tempfile.mkdtemp(prefix="vdirs.", dir=state_dir)
        self._vdirs: dict[str, str] = {}
        self._vfiles: dict[str, str] = {}
        self.placeholders: set[tuple[int, int]] = set()     # host dirs standing for O_PATH objects
        # The mode an fchmod gave an O_TMPFILE file (host dev, ino), set-id bits included:
        # applied, virtually, where linkat names it (syscalls/names.py).
        self.tmpfile_modes: dict[tuple[int, int], int] = {}
        # Working directories that were removed: the cwd string a process then
        # holds ("PATH (deleted)", as /proc/PID/cwd shows it) -> (PATH, last stat).
        self.removed: dict[str, tuple[str, Stat]] = {}
        self._dcache: dict[tuple, tuple[int, str | int, bool]] = {}   # key -> (gen, outcome, a directory)
        self.last_cached = False            # resolve's last outcome is a dentry cache entry
        self._uncached_looks = 0          # lstats on file systems the dentry cache may not trust

    # ------------------------------------------------------------ lookup
    def lstat(self, path: str) -> Stat:
        m = self.mounts.find(path)
        if not m.fs.dcache:
            self._uncached_looks += 1
        return m.fs.lstat(m.rel(path))

    def readlink(self, path: str) -> str:
        m = self.mounts.find(path)
        return m.fs.readlink(m.rel(path))

    DCACHE = 1 << 14        # walks remembered, at most

    def resolve(self, path: str, *, cwd: str = "/", follow: bool = True,
                root: str = "/", no_symlinks: bool = False, creds=None,
                no_magiclinks: bool = False, no_xdev: bool = False) -> Lookup:
        """Walk `path` (relative ones start at `cwd`); the last component may not exist.

        With the credentials of a non-root guest user, every directory the
        walk looks into must grant it search (x) permission: EACCES if not.
        openat2's restrictions: `no_symlinks` refuses to follow any symlink,
        `no_magiclinks` the /proc magic links (ELOOP), `no_xdev` any step onto
        another mount (EXDEV).

        The dentry cache: a walk that stayed on file systems whose names only
        the guest kernel changes (FileSystem.dcache) is remembered, by where
        it started and what it was given, as the path it arrived at, or the
        ENOENT or ENOTDIR it ended in.  An entry serves while no name has
        changed since (fs.Generation: any name change anywhere, or a mount,
        forgets them all).  The object's stat is always read afresh: a guest
        may have written to the file through a descriptor since.
        `last_cached` says whether this walk's outcome is such an entry.
        """
        if path == "":
            raise KernelError(errno.ENOENT)
        if len(path) >= 4096:
            raise KernelError(errno.ENAMETOOLONG)
        # Searching needs x on every directory, unless a capability overrides it
        # (CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE: Creds.permits; skipped then, for speed).
        check_search = creds is not None and not (creds.has(CAP_DAC_READ_SEARCH) or creds.has(CAP_DAC_OVERRIDE))
        start = cwd if path[0] != "/" else root
        self.last_cached = False
        if check_search or no_symlinks or no_magiclinks or no_xdev or start in self.removed:
            return self._walk(path, cwd, follow, root, check_search, creds, no_symlinks, no_magiclinks, no_xdev)
        key = (path, start, root, follow, self.mounts)
        hit = self._dcache.pop(key, None)
        if hit is not None and hit[0] == Generation.value:
            self._dcache[key] = hit          # most recently used last: the first to go is the oldest
            self.last_cached = True
            return self._revalidate(hit[1], path)
        gen, looks = Generation.value, self._uncached_looks
        try:
            lk = self._walk_cached_parent(path, cwd, follow, root)
        except KernelError as e:
            # (the parent's walk set last_cached for itself: this one decides)
            self.last_cached = e.errno in (errno.ENOENT, errno.ENOTDIR) and \
                (gen, looks) == (Generation.value, self._uncached_looks)
            if self.last_cached:
                self._remember(key, gen, e.errno)
            raise
        self.last_cached = (gen, looks) == (Generation.value, self._uncached_looks)
        if self.last_cached:
            self._remember(key, gen, lk.path, lk.st is not None and lk.st.is_dir)
        return lk

    def _walk_cached_parent(self, path: str, cwd: str, follow: bool, root: str) -> Lookup:
        """A walk of `path` whose directory part comes from the cache where it can:
        a tree walk (find, tar, ls -R) names many files in one directory."""
        head, sep, last = path.rpartition("/")
        if not sep or last in ("", ".", ".."):
            return self._walk(path, cwd, follow, root, False, None, False, False, False)
        head = head or "/"
        # A remembered walk to a directory needs no fresh stat to serve as the parent:
        # only its being a directory matters here, and on the file systems the cache
        # trusts that changes only with a name, which forgets the entry.
        key = (head, cwd if head[0] != "/" else root, root, True, self.mounts)
        hit = self._dcache.pop(key, None)
        if hit is not None:
            self._dcache[key] = hit
            if hit[0] == Generation.value and hit[2]:
                return self._last_step(hit[1], last, follow, root)
        parent = self.resolve(head, cwd=cwd, root=root)
        if parent.st is None:
            raise KernelError(errno.ENOENT)
        if not parent.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        return self._last_step(parent.path, last, follow, root)

    def _last_step(self, parent: str, name: str, follow: bool, root: str) -> Lookup:
        """_walk of the one name `name` (no "/", ".", "..") in directory `parent`,
        without its loop where the name is no symlink to follow (most are not)."""
        if len(name) > NAME_MAX or parent in self.removed:
            return self._walk(name, parent, follow, root, False, None, False, False, False)
        path = join(parent, name)
        m = self.mounts.find(path)
        if not m.fs.dcache:
            self._uncached_looks += 1
        rel = m.rel(path)
        try:
            st = m.fs.lstat(rel)
        except KernelError as e:
            if e.errno == errno.ENOENT:
                return Lookup(path, m, rel, None)
            raise
        if follow and st.is_link:
            return self._walk(name, parent, follow, root, False, None, False, False, False)
        return Lookup(path, m, rel, st)

    def _remember(self, key: tuple, gen: int, outcome: str | int, is_dir: bool = False) -> None:
        if len(self._dcache) >= self.DCACHE:
            del self._dcache[next(iter(self._dcache))]
        self._dcache[key] = (gen, outcome, is_dir)

    def _revalidate(self, outcome: str | int, path: str) -> Lookup:
        """A remembered walk's result, with the object's stat read now."""
        if isinstance(outcome, int):
            raise KernelError(outcome)
        m = self.mounts.find(outcome)
        rel = m.rel(outcome)
        try:
            st = m.fs.lstat(rel)
        except KernelError as e:
            if e.errno != errno.ENOENT:
                raise
            st = None      # the walk ended at a missing last component: still missing
        if path.endswith("/") and st is not None and not st.is_dir and not st.is_link:
            raise KernelError(errno.ENOTDIR)
        return Lookup(outcome, m, rel, st)

    def _walk(self, path: str, cwd: str, follow: bool, root: str, check_search: bool, creds,
              no_symlinks: bool, no_magiclinks: bool, no_xdev: bool) -> Lookup:
        must_dir = path.endswith("/")
        cur = root if path.startswith("/") else cwd
        todo = [c for c in reversed(path.split("/")) if c]
        links = 0
        st: Stat | None = None
        checked = False
        dir_st: Stat | None = None          # stat of `cur`, when known
        start = self.mounts.find(cur) if no_xdev else None
        dead = self.removed.get(cur)
        while todo:
            comp = todo.pop()
            if comp == ".":
                continue
            if dead is not None and cur in self.removed:
                # A removed directory (a process's cwd): ".." is still its old
                # parent, and it holds no names, not even new ones.
                if comp != "..":
                    raise KernelError(errno.ENOENT, "the directory was removed")
                cur, dir_st = split(dead[0])[0], None
                continue
            if comp == "..":
                if cur != root:
                    cur = split(cur)[0]
                    dir_st = None
                    if start is not None and self.mounts.find(cur) is not start:
                        raise KernelError(errno.EXDEV, "RESOLVE_NO_XDEV: '..' leaves the mount")
                continue
            if len(comp) > NAME_MAX:
                raise KernelError(errno.ENAMETOOLONG)
            if check_search:
                if dir_st is None:
                    dir_st = self.lstat(cur)
                if not creds.permits(dir_st, 1):     # X_OK: search
                    raise KernelError(errno.EACCES)
            nxt = join(cur, comp)
            last = not todo
            if start is not None and self.mounts.find(nxt) is not start:
                raise KernelError(errno.EXDEV, "RESOLVE_NO_XDEV: the path crosses a mount point")
            try:
                st = self.lstat(nxt)
            except KernelError as e:
                if e.errno == errno.ENOENT and last:
                    m = self.mounts.find(nxt)
                    return Lookup(nxt, m, m.rel(nxt), None)
                raise
            if st.is_link and (not last or follow or must_dir):
                if no_symlinks:
                    raise KernelError(errno.ELOOP, "RESOLVE_NO_SYMLINKS")
                if no_magiclinks and self._magic(nxt):
                    raise KernelError(errno.ELOOP, "RESOLVE_NO_MAGICLINKS")
                links += 1
                if links > MAX_SYMLINKS:
                    raise KernelError(errno.ELOOP)
                target = self.readlink(nxt)
                if target.startswith("/"):
                    cur = root
                    dir_st = None
                todo.extend(c for c in reversed(target.split("/")) if c)
                continue
            if not last and not st.is_dir:
                raise KernelError(errno.ENOTDIR)
            cur = nxt
            dir_st = st
            checked = last
        if not checked:
            st = dead[1] if dead is not None and cur in self.removed else self.lstat(cur)
        if must_dir and st is not None and not st.is_dir and not st.is_link:
            raise KernelError(errno.ENOTDIR)
        m = self.mounts.find(cur)
        return Lookup(cur, m, m.rel(cur), st)

    def _magic(self, path: str) -> bool:
        """Is `path` one of /proc's magic links (fd/N, exe, cwd, root, ns/*), which
        name an object rather than a path?"""
        if self.mounts.find(path).fstype != "proc":
            return False
        head, name = split(path)
        return split(head)[1] in ("fd", "ns", "map_files") or name in ("exe", "cwd", "root")

    def parent_of(self, lk: Lookup) -> Lookup:
        """The directory that holds `lk` (for create/unlink/rename)."""
        head = split(lk.path)[0]
        m = self.mounts.find(head)
        return Lookup(head, m, m.rel(head), self.lstat(head))

    # --------------------------------------------------------- listing
    def listdir(self, path: str) -> list[tuple[str, int, int]]:
        m = self.mounts.find(path)
        listed = m.fs.listdir(m.rel(path))
        below = self.mounts.children(path)
        if not below:
            return listed        # a file system lists each name once: nothing to merge
        entries = {e[0]: e for e in listed}
        for name in below:
            if name not in entries:
                try:
                    st = self.lstat(join(path, name))
                    entries[name] = (name, st.dtype, st.ino)
                except KernelError:
                    pass
        return list(entries.values())

    # ------------------------------------------------------------- open
    def open(self, lk: Lookup, flags: int, mode: int) -> int:
        """A new host fd for the object `lk` names, per open(2)'s `flags`."""
        acc = flags & os.O_ACCMODE
        if lk.st is None:
            if not flags & os.O_CREAT:
                raise KernelError(errno.ENOENT)
            if lk.mount.readonly or lk.mount.fs.readonly:
                raise KernelError(errno.EROFS)
            parent = self.parent_of(lk)
            if not parent.st.is_dir:
                raise KernelError(errno.ENOTDIR)
            fd = lk.mount.fs.open(lk.rel, flags | os.O_EXCL, mode)
            return self.register(fd, lk.path)
        st = lk.st
        if flags & os.O_CREAT and flags & os.O_EXCL:
            raise KernelError(errno.EEXIST)
        if st.is_link:
            if flags & os.O_DIRECTORY:
                raise KernelError(errno.ENOTDIR, "O_DIRECTORY on a symlink not followed")
            if flags & os.O_PATH:
                return self.register(lk.mount.fs.open(lk.rel, os.O_PATH | os.O_NOFOLLOW, 0), lk.path)
            raise KernelError(errno.ELOOP)
        if st.is_dir:
            if acc != os.O_RDONLY or flags & (os.O_CREAT | os.O_TRUNC):
                raise KernelError(errno.EISDIR, "a directory opened for writing or truncation")
            return self.open_dir(lk)
        if flags & os.O_DIRECTORY:
            raise KernelError(errno.ENOTDIR)
        if lk.mount.readonly and (acc != os.O_RDONLY or flags & os.O_TRUNC):
            raise KernelError(errno.EROFS)
        fd = lk.mount.fs.open(lk.rel, flags & ~(os.O_CREAT | os.O_EXCL), mode)
        if lk.mount.fs.alias(lk.rel):
            return fd
        # A read-only open on the overlay copies nothing up: the fd is the object lk.st
        # describes, whose (dev, ino) are the host's, so no fstat is needed to register it.
        same = acc == os.O_RDONLY and not flags & os.O_TRUNC and lk.mount.fs.name == "overlay"
        return self.register(fd, lk.path, st if same else None)

    def open_path(self, lk: Lookup, flags: int) -> int:
        """O_PATH: a host O_PATH descriptor that names the object (for the guest, through
        kernel/pathfd.py: seccomp's ADDFD does not take O_PATH files).

        The object itself where its file system has it on the host: a directory,
        a regular file or a symlink of a host-backed mount (an O_PATH open of a
        rootfs file copies nothing up).  Anything else (devices, FIFOs, sockets,
        virtual files and directories) gets a private empty file or directory
        standing for it (a placeholder), so that no device is opened and no
        virtual file generated.  Each is registered under its path.
        """
        if lk.st is None:
            raise KernelError(errno.ENOENT)
        if flags & os.O_DIRECTORY and not lk.st.is_dir:
            raise KernelError(errno.ENOTDIR)
        if lk.st.is_link and not flags & os.O_NOFOLLOW:
            raise KernelError(errno.ELOOP)
        st = lk.st
        if st.is_dir or st.is_reg or st.is_link:
            try:    # the guest's flags: F_GETFL shows them
                fd = lk.mount.fs.open(lk.rel, flags & (os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY), 0)
            except KernelError:
                fd = -1
            if fd >= 0 and self.is_path_only(fd):
                return self.register(fd, lk.path)
            if fd >= 0:
                os.close(fd)            # a virtual file system's generated file: not the object
        keep = flags & (os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY) | os.O_CLOEXEC
        if st.is_dir:
            fd = os.open(self._vdir(lk.path), keep)
        else:
            fd = os.open(self._vfile(lk.path), keep)
            host = os.fstat(fd)
            self.placeholders.add((host.st_dev, host.st_ino))
        return self.register(fd, lk.path)

    def _vfile(self, path: str) -> str:
        """The private empty file that stands for `path` in an O_PATH descriptor."""
        host = self._vfiles.get(path)
        if host is None:
            fd, host = tempfile.mkstemp(dir=self._vdir_root)
            os.close(fd)
            self._vfiles[path] = host
        return host

    @staticmethod
    def is_path_only(fd: int) -> bool:
        """Is `fd` (our duplicate of a guest fd) an O_PATH descriptor?"""
        return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_PATH)

    def open_dir(self, lk: Lookup) -> int:
        """Directories the guest opens: the real host directory, or a placeholder.

        getdents64 is always emulated (overlay merge, mount points, virtual
        directories), so the host fd is only an identity for the guest path.
        Virtual directories get an empty host directory of their own.
        """
        try:
            fd = lk.mount.fs.open(lk.rel, os.O_RDONLY | os.O_DIRECTORY, 0)
        except KernelError as e:
            if e.errno not in (errno.EACCES, errno.ENOTDIR, errno.EXDEV, errno.ENOENT, errno.EISDIR):
                raise
            fd = os.open(self._vdir(lk.path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return self.register(fd, lk.path)

    def _vdir(self, path: str) -> str:
        host = self._vdirs.get(path)
        if host is None:
            host = tempfile.mkdtemp(dir=self._vdir_root)
            self._vdirs[path] = host
        return host

    MAX_OBJECTS = 1 << 16

    def register(self, fd: int, path: str, st: Stat | None = None) -> int:
        """Remember that host fd `fd` (the object, by its host dev and inode: `st`'s
        when the caller knows them) is named `path`."""
        if st is not None:
            key = (st.dev, st.ino)
        else:
            hst = os.fstat(fd)
            key = (hst.st_dev, hst.st_ino)
        self.objects.pop(key, None)
        self.objects[key] = path                      # newest last
        if len(self.objects) > self.MAX_OBJECTS:      # forget the oldest
            del self.objects[next(iter(self.objects))]
        return fd

    def cwd_removed(self, path: str, st: Stat) -> str:
        """The directory `path`, some process's cwd, was removed: the string that
        process's cwd becomes.  It names nothing (getcwd says ENOENT) but "."
        still stats, with no links left, and ".." is the old parent."""
        marker = path + " (deleted)"
        self.removed[marker] = (path, st.with_(nlink=0))
        return marker

    def renamed(self, old: str, new: str, *, exchange: bool = False) -> None:
        """A rename moved `old` (and all below it) to `new`: the objects opened
        under the old names keep naming the same files (a dirfd, fstat, fchdir)."""
        pairs = ((old, new), (new, old)) if exchange else ((old, new),)
        for key, path in list(self.objects.items()):
            for a, b in pairs:
                if path == a or path.startswith(a.rstrip("/") + "/"):
                    self.objects[key] = b + path[len(a):]
                    break

    def path_of_host_fd(self, fd: int) -> tuple[str | None, os.stat_result]:
        st = os.fstat(fd)
        return self.objects.get((st.st_dev, st.st_ino)), st

    # ------------------------------------------------ stat of an open fd
    def stat_open(self, fd: int) -> Stat:
        """stat of a guest's open object (given our duplicate of it)."""
        path, hst = self.path_of_host_fd(fd)
        if path is not None:
            try:
                st = self.lstat(path)
                if (hst.st_dev, hst.st_ino) in self.placeholders:
                    return st                   # an O_PATH placeholder: the object is the path's
                if S.S_IFMT(st.mode) == S.S_IFMT(hst.st_mode) or S.S_ISDIR(st.mode):
                    # size and times are the live object's (a file of the rootfs has the
                    # ones its lstat has: no copy)
                    if st.is_reg and (st.size != hst.st_size or st.mtime_ns != hst.st_mtime_ns
                                      or st.blocks != hst.st_blocks):
                        st = st.with_(size=hst.st_size, mtime_ns=hst.st_mtime_ns,
                                      blocks=hst.st_blocks)
                    return st
            except KernelError:
                pass
        return Stat.from_host(hst)

    def close(self) -> None:
        self.mounts.close()
