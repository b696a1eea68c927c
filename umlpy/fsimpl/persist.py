"""The `--persist` directory: where the root overlay's writable layer outlives the sandbox.

This is the durable side of the guest kernel's root file system
(fsimpl/overlay.py).  A persist directory holds:

    upper/         the overlay's writable layer: the guest's new and changed files
    work/          scratch space on the same host file system: copy-ups and new
                   versions of overlay.json are built here, then renamed into place
    overlay.json   what has no host form: whiteouts (deleted rootfs names),
                   ownership set by chown, set-id bits, device nodes and
                   extended attributes (by inode, with their paths)
    lock           flock()ed by the one sandbox that uses the directory; it holds
                   that sandbox's pid and command line, for the error a second one gets

Every write here is atomic and durable: a temporary name in work/, fsync,
rename, fsync of the directory.  A supervisor killed at any point leaves
either the old or the new version of each file, never a piece of one.
Whatever is wrong with the directory (not a directory, a corrupt
overlay.json, in use by another sandbox) is a PersistError with a one-line
message, which the front ends report as a usage error.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shlex
import shutil
import stat as S

from umlpy.fsimpl.vmeta import check_dump

STATE = "overlay.json"
LOCK = "lock"


class PersistError(Exception):
    """A persist directory that cannot be used; the message is one line for the user."""


class Corrupt(ValueError):
    """overlay.json is not what this module writes."""


def fsync_dir(dirfd: int) -> None:
    """Make the names in directory `dirfd` durable (the host may not support it: then nothing)."""
    try:
        os.fsync(dirfd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.EROFS, errno.EBADF):
            raise


def _holder(dirfd: int) -> str:
    """Who holds the lock, from what it wrote into the lock file."""
    try:
        fd = os.open(LOCK, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dirfd)
        try:
            text = os.read(fd, 4096).decode(errors="replace").strip()
        finally:
            os.close(fd)
    except OSError:
        text = ""
    pid, _, cmd = text.partition(" ")
    if not pid.isdigit():
        return "another sandbox"
    return f"pid {pid} ({cmd})" if cmd else f"pid {pid}"


# Who this supervisor is to its user, when that is another process: the umlpy
# command a warm server's child serves (warm.py, through api.serving).  Lock
# files name it, so that "in use by pid N" names the command the user ran.
SERVING: int | None = None


def _holder_pid() -> int:
    return SERVING if SERVING is not None else os.getpid()


def _command_line() -> str:
    try:
        with open(f"/proc/{_holder_pid()}/cmdline", "rb") as f:
            args = f.read().rstrip(b"\0").split(b"\0")
        text = shlex.join(a.decode(errors="replace") for a in args)
    except OSError:
        text = "?"
    return text[:300].replace("\n", " ")


def _check_state(data: object) -> dict:
    """overlay.json's content, checked: whiteouts, opaque, attrs (owners before), a pending rename."""
    if not isinstance(data, dict):
        raise Corrupt("not a JSON object")
    for key in ("whiteouts", "opaque"):
        v = data.get(key, [])
        if not isinstance(v, list) or not all(isinstance(p, str) and p.startswith("/") for p in v):
            raise Corrupt(f"{key!r} is not a list of paths")
    for key, sizes, what in (("owners", (2,), "[uid, gid]"), ("attrs", (2, 3), "[uid, gid, set-id bits]")):
        v = data.get(key, {})
        if not isinstance(v, dict) or not all(
                isinstance(k, str) and k.startswith("/") and isinstance(a, list) and len(a) in sizes
                and all(type(i) is int and i >= 0 for i in a) for k, a in v.items()):
            raise Corrupt(f"{key!r} is not a map of path to {what}")
    if not check_dump(data.get("inodes", {})):
        raise Corrupt("'inodes' is not a map of inode records (device nodes, xattrs)")
    pending = data.get("pending")
    if pending is not None and not (
            isinstance(pending, dict) and isinstance(pending.get("rename"), list)
            and len(pending["rename"]) == 2 and all(isinstance(p, str) for p in pending["rename"])
            and isinstance(pending.get("ino"), int)):
        raise Corrupt("'pending' is not a rename record")
    return data


class PersistDir:
    """An open, locked persist directory (see the module docstring).

    `root_mode` is the permission bits upper/ gets when it is created: upper/
    is the guest's "/", so it looks like the rootfs's root.  The directory
    itself is created 0700: nobody else on the host reads the guest's files.
    """

    def __init__(self, path: str, root_mode: int = 0o755) -> None:
        self.path = os.path.abspath(path)
        self.dirfd = self.lockfd = self.workfd = -1
        try:
            self._open(root_mode)
        except OSError as e:
            self.close()
            raise self._error("cannot use it", e) from None
        except BaseException:
            self.close()
            raise

    def _error(self, what: str, e: OSError | None = None) -> PersistError:
        why = f": {os.strerror(e.errno)}" if e is not None and e.errno else ""
        return PersistError(f"bad --persist {self.path}: {what}{why}")

    def _open(self, root_mode: int) -> None:
        path = self.path
        if os.path.lexists(path) and not os.path.isdir(path):
            raise self._error("not a directory")
        if not os.path.exists(path):
            try:
                os.makedirs(path, mode=0o700)
                os.chmod(path, 0o700)
            except OSError as e:
                raise self._error("cannot create it", e)
        try:
            self.dirfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as e:
            raise self._error("cannot open it", e)
        self._lock()
        self.upper = os.path.join(path, "upper")
        self.work = os.path.join(path, "work")
        self._subdir("upper", root_mode)
        self._subdir("work", 0o700)
        self.workfd = os.open("work", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.dirfd)
        self._clear_work()

    def _lock(self) -> None:
        try:
            self.lockfd = os.open(LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600,
                                  dir_fd=self.dirfd)
        except OSError as e:
            raise self._error("cannot create its lock file", e)
        try:
            fcntl.flock(self.lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PersistError(f"--persist {self.path} is in use by {_holder(self.dirfd)}") from None
        os.ftruncate(self.lockfd, 0)
        os.pwrite(self.lockfd, f"{_holder_pid()} {_command_line()}\n".encode(), 0)

    def _subdir(self, name: str, mode: int) -> None:
        try:
            st = os.stat(name, dir_fd=self.dirfd, follow_symlinks=False)
        except FileNotFoundError:
            try:
                os.mkdir(name, mode, dir_fd=self.dirfd)
                os.chmod(name, mode, dir_fd=self.dirfd, follow_symlinks=False)
                fsync_dir(self.dirfd)
            except OSError as e:
                raise self._error(f"cannot create {name}/", e)
            return
        if not S.S_ISDIR(st.st_mode):
            raise self._error(f"{name} in it is not a directory")

    def _clear_work(self) -> None:
        """What a killed supervisor left half-built in work/ goes."""
        for name in os.listdir(self.workfd):
            try:
                st = os.stat(name, dir_fd=self.workfd, follow_symlinks=False)
                if S.S_ISDIR(st.st_mode):
                    shutil.rmtree(os.path.join(self.work, name))
                else:
                    os.unlink(name, dir_fd=self.workfd)
            except FileNotFoundError:
                pass

    # ------------------------------------------------------------ state
    def load(self) -> dict:
        """overlay.json's content ({} if there is none yet); PersistError if it is corrupt."""
        try:
            fd = os.open(STATE, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW, dir_fd=self.dirfd)
        except FileNotFoundError:
            return {}
        except OSError as e:
            raise self._error(f"cannot read {STATE}", e)
        try:
            with open(fd, "rb") as f:
                raw = f.read()
            return _check_state(json.loads(raw))
        except (ValueError, UnicodeDecodeError) as e:
            raise PersistError(f"bad --persist {self.path}: {STATE} is corrupt ({e}); "
                               f"move it away to start over with no deletions or ownership") from None

    def save(self, data: dict) -> None:
        """Replace overlay.json with `data`, atomically and durably."""
        raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        self.write_atomic(self.dirfd, STATE, raw)

    def write_atomic(self, dirfd: int, name: str, data: bytes) -> None:
        """File `name` in directory `dirfd` is `data`: work/ temp, fsync, rename, fsync dir."""
        tmp = f"{name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600, dir_fd=self.workfd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, name, src_dir_fd=self.workfd, dst_dir_fd=dirfd)
        fsync_dir(dirfd)

    def close(self) -> None:
        """Release the lock (the directory may be used by another sandbox now)."""
        for attr in ("workfd", "lockfd", "dirfd"):
            fd = getattr(self, attr)
            if fd >= 0:
                os.close(fd)
                setattr(self, attr, -1)
