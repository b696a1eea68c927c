"""A bind mount of a guest directory: one file system seen from one of its subdirectories.

`mount --bind /a /b` inside the guest makes /b show what /a shows.  The new
mount serves every request by handing it, with its path prefixed, to the
file system that holds /a, whatever kind that is (overlay, tmpfs, procfs).
"""
from __future__ import annotations

from umlpy.vfs.fs import FileSystem, Stat


class SubtreeFS(FileSystem):
    def __init__(self, fs: FileSystem, prefix: str, *, readonly: bool = False) -> None:
        self.fs = fs
        self.prefix = prefix.rstrip("/")
        self.readonly = readonly or fs.readonly
        self.name = fs.name

    @property
    def new_files_owner(self) -> tuple[int, int]:
        return self.fs.new_files_owner

    def _p(self, rel: str) -> str:
        return (self.prefix + rel) if rel != "/" else (self.prefix or "/")

    def lstat(self, rel: str) -> Stat:
        return self.fs.lstat(self._p(rel))

    def readlink(self, rel: str) -> str:
        return self.fs.readlink(self._p(rel))

    def listdir(self, rel: str):
        return self.fs.listdir(self._p(rel))

    def open(self, rel: str, flags: int, mode: int) -> int:
        return self.fs.open(self._p(rel), flags, mode)

    def mkdir(self, rel: str, mode: int) -> None:
        self.fs.mkdir(self._p(rel), mode)

    def rmdir(self, rel: str) -> None:
        self.fs.rmdir(self._p(rel))

    def unlink(self, rel: str) -> None:
        self.fs.unlink(self._p(rel))

    def symlink(self, target: str, rel: str) -> None:
        self.fs.symlink(target, self._p(rel))

    def link(self, old: str, new: str) -> None:
        self.fs.link(self._p(old), self._p(new))

    def link_fd(self, hostfd: int, new: str) -> None:
        self.fs.link_fd(hostfd, self._p(new))

    def rename(self, old: str, new: str, flags: int = 0) -> None:
        self.fs.rename(self._p(old), self._p(new), flags)

    def chmod(self, rel: str, mode: int) -> None:
        self.fs.chmod(self._p(rel), mode)

    def chown(self, rel: str, uid: int, gid: int) -> None:
        self.fs.chown(self._p(rel), uid, gid)

    def truncate(self, rel: str, length: int) -> None:
        self.fs.truncate(self._p(rel), length)

    def utimens(self, rel: str, atime_ns, mtime_ns) -> None:
        self.fs.utimens(self._p(rel), atime_ns, mtime_ns)

    def mknod_socket_dir(self, rel: str):
        return self.fs.mknod_socket_dir(self._p(rel))

    def mkfifo(self, rel: str, mode: int) -> None:
        self.fs.mkfifo(self._p(rel), mode)

    def mknod_device(self, rel: str, mode: int, rdev: int) -> None:
        self.fs.mknod_device(self._p(rel), mode, rdev)

    def getxattr(self, rel: str, name: str) -> bytes:
        return self.fs.getxattr(self._p(rel), name)

    def listxattr(self, rel: str) -> list[str]:
        return self.fs.listxattr(self._p(rel))

    def setxattr(self, rel: str, name: str, value: bytes, flags: int) -> None:
        self.fs.setxattr(self._p(rel), name, value, flags)

    def removexattr(self, rel: str, name: str) -> None:
        self.fs.removexattr(self._p(rel), name)

    def adopt(self, rel: str) -> None:
        self.fs.adopt(self._p(rel))

    def statvfs(self):
        return self.fs.statvfs()

    def host_dir_fd(self, rel: str) -> int:
        return self.fs.host_dir_fd(self._p(rel))
