"""File-descriptor syscalls: the data plane runs natively, a few need the guest kernel.

read/write/poll/dup/pipe and friends work on descriptors the guest already
holds, so the seccomp filter lets them through with no stop.  What stops:
getdents64 (directory listings are the guest VFS's: overlay merge, mount
points, /proc), fcntl's owner commands (they carry pids), and ioctls
outside a small allowlist of safe terminal and socket requests.
"""
from __future__ import annotations

import errno
import os
import struct

from umlpy.abi.errno import KernelError
from umlpy.kernel.fdpath import guest_fd
from umlpy.kernel.requests import Native
from umlpy.kernel.table import DECODERS, EMULATE, REWRITE, Ptr, UInt, syscall
from umlpy.platform.interface import ArgRule
from umlpy.vfs.fs import DT_DIR

# ------------------------------------------------------------ getdents
DIRENT_HEAD = struct.Struct("<QqHB")


def _entries(task, hfd: int, path: str) -> list[tuple[str, int, int]]:
    vfs = task.kernel.vfs
    st = vfs.lstat(path)
    parent = vfs.lstat(path.rsplit("/", 1)[0] or "/") if path != "/" else st
    ents = [(".", DT_DIR, st.ino), ("..", DT_DIR, parent.ino)]
    ents += sorted(vfs.listdir(path))
    return ents


def do_getdents(task, fd: int, buf: int, count: int, pack) -> int:
    with guest_fd(task, fd) as hfd:
        path, hst = task.kernel.vfs.path_of_host_fd(hfd)
        import stat as S
        if not S.S_ISDIR(hst.st_mode):
            raise KernelError(errno.ENOTDIR)
        if path is None:
            raise KernelError(errno.ENOENT)
        # Our position in the merged listing is kept in the host file offset,
        # so dup'd and inherited fds share it exactly as on Linux.
        pos = os.lseek(hfd, 0, os.SEEK_CUR)
        ents = _entries(task, hfd, path)
        out = bytearray()
        i = pos
        while i < len(ents):
            name, dtype, ino = ents[i]
            rec = pack(ino or 1, i + 1, dtype, os.fsencode(name))
            if len(out) + len(rec) > count:
                break
            out += rec
            i += 1
        if i == pos and i < len(ents):
            raise KernelError(errno.EINVAL)          # buffer too small for one entry
        task.write(buf, bytes(out))
        os.lseek(hfd, i, os.SEEK_SET)
        return len(out)


def _pack64(ino: int, off: int, dtype: int, name: bytes) -> bytes:
    reclen = (DIRENT_HEAD.size + len(name) + 1 + 7) & ~7
    return DIRENT_HEAD.pack(ino, off, reclen, dtype) + name + b"\0" * (reclen - DIRENT_HEAD.size - len(name))


def _pack_old(ino: int, off: int, dtype: int, name: bytes) -> bytes:
    # struct linux_dirent: ino, off, reclen, name, NUL, pad, d_type (last byte)
    reclen = (8 + 8 + 2 + len(name) + 2 + 7) & ~7
    body = struct.pack("<QqH", ino, off, reclen) + name + b"\0"
    return body + b"\0" * (reclen - len(body) - 1) + bytes([dtype])


@syscall("getdents64", EMULATE)
def getdents64(task, fd: int, buf: Ptr, count: UInt):
    """getdents64(2): directory entries as the guest VFS sees them."""
    return do_getdents(task, fd, buf, count, _pack64)


@syscall("getdents", EMULATE)
def getdents(task, fd: int, buf: Ptr, count: UInt):
    """getdents(2): the old directory-entry format."""
    return do_getdents(task, fd, buf, count, _pack_old)


# --------------------------------------------------------------- fcntl
F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX = 8, 9, 15, 16


@syscall("fcntl", REWRITE, rule=ArgRule(1, frozenset({F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX}),
                                        allow=False))
def fcntl(task, fd: int, cmd: int, arg: Ptr):
    """fcntl(2): natively, but the owner commands carry pids, which are translated."""
    ns = task.kernel.pidns
    if cmd == F_SETOWN:
        who = DECODERS["int"](arg)        # pid, or -pgid
        if who == 0:
            return Native()
        host = ns.to_host(abs(who))
        if host is None:
            raise KernelError(errno.ESRCH)
        return Native(args={2: host if who > 0 else -host})
    if cmd == F_GETOWN:
        def back(r: int) -> int:            # pid, -pgid, 0, or (ambiguously) -errno
            if r > 0:
                return ns.to_guest(r)
            if r < -4095:
                return -ns.to_guest(-r)
            return r
        return Native(then=back)
    if cmd in (F_SETOWN_EX, F_GETOWN_EX):
        raise KernelError(errno.EINVAL, "F_SETOWN_EX/F_GETOWN_EX not supported")
    return Native()


# --------------------------------------------------------------- ioctl
TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TCSBRK, TCXONC, TCFLSH = 0x5409, 0x540A, 0x540B
TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCOUTQ, TIOCSTI = 0x540E, 0x540F, 0x5410, 0x5411, 0x5412
TIOCGWINSZ, TIOCSWINSZ, FIONREAD, TIOCNOTTY = 0x5413, 0x5414, 0x541B, 0x5422
TIOCGSID, FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC = 0x5429, 0x5421, 0x5450, 0x5451, 0x5452
TCGETS2, TCSETS2, TCSETSW2, TCSETSF2 = 0x802C542A, 0x402C542B, 0x402C542C, 0x402C542D
TIOCGPTN, TIOCGDEV, TIOCGEXCL, TIOCGPKT, TIOCGLCKTRMIOS = 0x80045430, 0x80045432, 0x80045440, 0x80045438, 0x5456
SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFINDEX = 0x8912, 0x8913, 0x8915, 0x8933
# read-only interface queries (about the sandbox's own network namespace)
SIOCGIF_QUERIES = (0x8910, 0x8917, 0x8919, 0x891B, 0x891D, 0x8921, 0x8927, 0x8942, 0x8970)
FIOQSIZE, FS_IOC_GETFLAGS = 0x5460, 0x80086601

SAFE_IOCTLS = frozenset({
    TCGETS, TCSETS, TCSETSW, TCSETSF, TCSBRK, TCXONC, TCFLSH, TIOCOUTQ, TIOCGWINSZ,
    TIOCSWINSZ, FIONREAD, FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC, TCGETS2 & 0xFFFFFFFF,
    TCSETS2, TCSETSW2, TCSETSF2, TIOCGPTN, TIOCGDEV, TIOCGEXCL, TIOCGPKT, TIOCGLCKTRMIOS,
    SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFINDEX, FIOQSIZE, *SIOCGIF_QUERIES,
})


@syscall("ioctl", REWRITE, rule=ArgRule(1, SAFE_IOCTLS, allow=True))
def ioctl(task, fd: int, request: UInt, arg: Ptr):
    """ioctl(2): safe terminal requests run natively; pgrp requests translate pids; TIOCSTI is refused."""
    ns = task.kernel.pidns
    if request == TIOCSTI:
        raise KernelError(errno.EPERM, "TIOCSTI (faking terminal input) is not allowed")
    if request in (TIOCGPGRP, TIOCGSID):
        def back(r: int) -> int:
            if r == 0:
                raw = task.read(arg, 4)
                task.write(arg, ns.to_guest(int.from_bytes(raw, "little", signed=True)).to_bytes(4, "little", signed=True))
            return r
        return Native(then=back)
    if request == TIOCSPGRP:
        guest = int.from_bytes(task.read(arg, 4), "little", signed=True)
        host = ns.to_host(guest) if guest > 0 else None
        if host is None:
            raise KernelError(errno.EPERM if guest <= 0 else errno.ESRCH)
        # Rewrite the pgid in place for the host call, then put the guest value back.
        task.write(arg, host.to_bytes(4, "little", signed=True))
        def restore(r: int) -> int:
            try:
                task.write(arg, guest.to_bytes(4, "little", signed=True))
            except KernelError:
                pass
            return r
        return Native(then=restore)
    if request in (TIOCSCTTY, TIOCNOTTY):
        return Native()
    if request == FS_IOC_GETFLAGS:
        raise KernelError(errno.ENOTTY)
    raise KernelError(errno.ENOTTY, f"ioctl 0x{request:x} is not supported")
