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
import stat as S
import struct
import sys

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    F_DUPFD,
    F_DUPFD_CLOEXEC,
    F_GETOWN,
    F_GETOWN_EX,
    F_SETOWN,
    F_SETOWN_EX,
    FIOASYNC,
    FIOCLEX,
    FIONBIO,
    FIONCLEX,
    FIONREAD,
    FIOQSIZE,
    FS_IOC_GETFLAGS,
    SIOCGIFADDR,
    SIOCGIFBRDADDR,
    SIOCGIFCONF,
    SIOCGIFDSTADDR,
    SIOCGIFFLAGS,
    SIOCGIFHWADDR,
    SIOCGIFINDEX,
    SIOCGIFMAP,
    SIOCGIFMETRIC,
    SIOCGIFMTU,
    SIOCGIFNAME,
    SIOCGIFNETMASK,
    SIOCGIFTXQLEN,
    TCFLSH,
    TCGETS,
    TCGETS2,
    TCSBRK,
    TCSETS,
    TCSETS2,
    TCSETSF,
    TCSETSF2,
    TCSETSW,
    TCSETSW2,
    TCXONC,
    TIOCGDEV,
    TIOCGEXCL,
    TIOCGLCKTRMIOS,
    TIOCGPGRP,
    TIOCGPKT,
    TIOCGPTLCK,
    TIOCGPTN,
    TIOCGPTPEER,
    TIOCGSID,
    TIOCGWINSZ,
    TIOCNOTTY,
    TIOCOUTQ,
    TIOCSCTTY,
    TIOCSPGRP,
    TIOCSPTLCK,
    TIOCSTI,
    TIOCSWINSZ,
)
from umlpy.abi.structs import DIRENT64_HEAD, DIRENT_HEAD
from umlpy.kernel.fdpath import dup_fd, guest_fd
from umlpy.kernel.requests import Native
from umlpy.kernel.table import DECODERS, EMULATE, REWRITE, Ptr, UInt, syscall
from umlpy.syscalls import netdev, signalfd
from umlpy.platform.interface import ArgRule
from umlpy.vfs.fs import DT_DIR


# ------------------------------------------------------------ getdents
def _entries(task, hfd: int, path: str) -> list[tuple[str, int, int]]:
    vfs = task.kernel.vfs
    st = vfs.lstat(path)
    parent = vfs.lstat(path.rsplit("/", 1)[0] or "/") if path != "/" else st
    ents = [(".", DT_DIR, st.ino), ("..", DT_DIR, parent.ino)]
    ents += sorted(vfs.listdir(path))
    return ents


def do_getdents(task, fd: int, buf: int, count: int, pack) -> int:
    with guest_fd(task, fd) as hfd:
        if task.kernel.vfs.is_path_only(hfd):
            raise KernelError(errno.EBADF, "an O_PATH descriptor")
        path, hst = task.kernel.vfs.path_of_host_fd(hfd)
        if not S.S_ISDIR(hst.st_mode):
            raise KernelError(errno.ENOTDIR)
        if path is None:
            raise KernelError(errno.ENOENT)
        # Our position in the merged listing is kept in the host file offset,
        # so dup'd and inherited fds share it exactly as on Linux.
        pos = os.lseek(hfd, 0, os.SEEK_CUR)
        ents = _listing(task, fd, hst, pos, lambda: _entries(task, hfd, path))
        if pos == 0 and task.kernel.answers.on:      # its names' stats may come next (kernel/answers.py)
            task.kernel.answers.listed(task, path, ents)
        out, i = (_fill64 if pack is _pack64 else _fill)(ents, pos, count, pack)
        if i == pos and i < len(ents):
            raise KernelError(errno.EINVAL)          # buffer too small for one entry
        if out:
            task.write(buf, out)
        if i != pos:
            os.lseek(hfd, i, os.SEEK_SET)
        return len(out)


def _fill(ents: list, pos: int, count: int, pack) -> tuple[bytes, int]:
    """Records of ents[pos:] packed by `pack`, as many as fit in `count` bytes, and the
    position after the last one (each record's d_off: its successor's position)."""
    out = bytearray()
    i, end = pos, len(ents)
    fsencode = os.fsencode
    while i < end:
        name, dtype, ino = ents[i]
        rec = pack(ino or 1, i + 1, dtype, fsencode(name))
        if len(out) + len(rec) > count:
            break
        out += rec
        i += 1
    return bytes(out), i


_FSENC, _FSERR = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()     # os.fsencode's


def _fill64(ents: list, pos: int, count: int, pack=None) -> tuple[bytes, int]:
    """_fill for struct linux_dirent64, inline: the head, the name, its NUL and padding
    to 8 bytes (a function call and an fsencode per name cost half of a listing)."""
    parts: list[bytes] = []
    add = parts.append
    head = _HEAD64
    size, i = 0, pos
    for name, dtype, ino in (ents[pos:] if pos else ents):
        raw = name.encode(_FSENC, _FSERR)
        reclen = (len(raw) + _HEAD64_SIZE + 8) & ~7
        size += reclen
        if size > count:
            break
        i += 1
        add(head(ino or 1, i, reclen, dtype))
        add(raw.ljust(reclen - _HEAD64_SIZE, b"\0"))        # the name, its NUL, the padding
    return b"".join(parts), i


SNAPSHOTS = 64        # directory listings kept at once (per sandbox), the oldest dropped first


def _listing(task, fd: int, hst: os.stat_result, pos: int, make) -> list:
    """The listing a directory stream reads from: taken when it starts (offset 0) and
    kept while it goes on, as Linux's readdir keeps its place.  Made afresh at
    each call, an `rm -rf` that deletes what it has read would shift the rest
    under its offset and skip entries ("Directory not empty")."""
    cache = task.kernel.dir_snapshots
    key = (task.process.pid, fd, hst.st_dev, hst.st_ino)
    ents = cache.pop(key, None)
    if ents is None or pos == 0:
        ents = make()
    cache[key] = ents                        # newest last
    if len(cache) > SNAPSHOTS:
        del cache[next(iter(cache))]
    return ents


_HEAD64, _HEAD64_SIZE, _PAD = DIRENT64_HEAD.pack, DIRENT64_HEAD.size, bytes(8)


def _pack64(ino: int, off: int, dtype: int, name: bytes) -> bytes:
    n = len(name)
    reclen = (_HEAD64_SIZE + n + 8) & ~7         # the name, its NUL, padding to 8
    return _HEAD64(ino, off, reclen, dtype) + name + _PAD[:reclen - _HEAD64_SIZE - n]


def _pack_old(ino: int, off: int, dtype: int, name: bytes) -> bytes:
    # struct linux_dirent: the head, name, NUL, padding, d_type (the last byte)
    reclen = (DIRENT_HEAD.size + len(name) + 2 + 7) & ~7
    body = DIRENT_HEAD.pack(ino, off, reclen) + name + b"\0"
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
F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP = 0, 1, 2
F_OWNER_EX = struct.Struct("<ii")            # struct f_owner_ex {int type; pid_t pid;}


def _native_pid(ns, who: int) -> int | None:
    """The id a host call must carry for guest pid/pgid `who` (> 0), or None: ESRCH.

    With the guest's own PID namespace (native_ids), an id with no guest
    process names nothing on the host either, so it is passed as it is and
    the host kernel refuses it in Linux's own order of checks."""
    native = ns.to_native(who)
    if native is None and ns.native_ids:
        return who
    return native


@syscall("fcntl", REWRITE, rule=ArgRule(1, frozenset({F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX}),
                                        allow=False))
def fcntl(task, fd: int, cmd: int, arg: Ptr):
    """fcntl(2): natively, but the owner commands carry pids, which are translated."""
    ns = task.kernel.pidns
    if cmd in (F_SETOWN, F_SETOWN_EX, F_GETOWN_EX):
        dup_fd_check(task, fd)              # Linux looks the fd up first: EBADF before EINVAL/ESRCH
    if cmd == F_SETOWN:
        who = DECODERS["int"](arg)        # pid, or -pgid
        if who == 0 or who == -(1 << 31):   # no owner; INT_MIN is the host's EINVAL
            return Native()
        native = _native_pid(ns, abs(who))
        if native is None:
            raise KernelError(errno.ESRCH, f"F_SETOWN: no guest process {abs(who)}")
        return Native(args={2: native if who > 0 else -native})
    if cmd == F_GETOWN:
        def back(r: int) -> int:            # pid, -pgid, 0, or (ambiguously) -errno
            if r > 0:
                return ns.from_native(r)
            if r < -4095:
                return -ns.from_native(-r)
            return r
        return Native(then=back)
    if cmd == F_SETOWN_EX:
        # "F_SETOWN_EX: direct I/O signals to the thread, process or process group
        # given by the f_owner_ex structure pointed to by arg."
        kind, who = F_OWNER_EX.unpack(task.read(arg, F_OWNER_EX.size))
        if kind not in (F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP):
            raise KernelError(errno.EINVAL, f"F_SETOWN_EX: owner type {kind}")
        if who == 0:
            return Native()
        native = _native_pid(ns, who) if who > 0 else None
        if native is None:
            raise KernelError(errno.ESRCH, f"F_SETOWN_EX: no guest process {who}")
        if native == who:
            return Native()
        return _with_guest_struct(task, arg, F_OWNER_EX.pack(kind, native), F_OWNER_EX.pack(kind, who))
    if cmd == F_GETOWN_EX:
        # "F_GETOWN_EX: return the current owner settings, as defined by F_SETOWN_EX,
        # in the structure pointed to by arg."
        def back_ex(r: int) -> int:
            if r == 0:
                kind, native = F_OWNER_EX.unpack(task.read(arg, F_OWNER_EX.size))
                guest = ns.from_native(native) if native > 0 else native
                if guest != native:
                    task.write(arg, F_OWNER_EX.pack(kind, guest))
            return r
        return Native(then=back_ex)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):           # stops on a signalfd (its filter), or strict
        copy = signalfd.dup_watched(task, fd)
        if copy is not None:
            return copy
    return Native()


def dup_fd_check(task, fd: int) -> None:
    """EBADF unless guest `fd` is open."""
    os.close(dup_fd(task, fd))


def _with_guest_struct(task, addr: int, host_view: bytes, guest_view: bytes) -> Native:
    """Run the call natively on `host_view` written at `addr`, then put the guest's bytes back."""
    task.write(addr, host_view)

    def restore(r: int) -> int:
        try:
            task.write(addr, guest_view)
        except KernelError:
            pass
        return r
    return Native(then=restore)


# --------------------------------------------------------------- ioctl
# read-only interface queries (about the sandbox's own network namespace)
SIOCGIF_QUERIES = (SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFDSTADDR, SIOCGIFBRDADDR,
                   SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN,
                   SIOCGIFMAP)

SAFE_IOCTLS = frozenset({
    TCGETS, TCSETS, TCSETSW, TCSETSF, TCSBRK, TCXONC, TCFLSH, TIOCOUTQ, TIOCGWINSZ,
    TIOCSWINSZ, FIONREAD, FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC, TCGETS2,
    TCSETS2, TCSETSW2, TCSETSF2, TIOCGPTN, TIOCGDEV, TIOCGEXCL, TIOCGPKT, TIOCGLCKTRMIOS,
    # a pty master of the sandbox's own devpts (fsimpl/devfs.py): unlock it, or open its slave
    TIOCSPTLCK, TIOCGPTLCK, TIOCGPTPEER,
    FIOQSIZE, *SIOCGIF_QUERIES,
})


@syscall("ioctl", REWRITE, rule=ArgRule(1, SAFE_IOCTLS, allow=True))
def ioctl(task, fd: int, request: UInt, arg: Ptr):
    """ioctl(2): safe terminal requests run natively; pgrp requests translate pids; TIOCSTI is refused."""
    ns = task.kernel.pidns
    if request == TIOCSTI:
        dup_fd_check(task, fd)
        raise KernelError(errno.EPERM, "TIOCSTI (faking terminal input) is not allowed")
    if request in (TIOCGPGRP, TIOCGSID):
        def back(r: int) -> int:
            if r == 0:
                raw = task.read(arg, 4)
                native = int.from_bytes(raw, "little", signed=True)
                if ns.from_native(native) != native:
                    task.write(arg, ns.from_native(native).to_bytes(4, "little", signed=True))
            return r
        return Native(then=back)
    if request == TIOCSPGRP:
        # Linux's order: the fd (EBADF), a terminal that is the caller's
        # controlling one (ENOTTY), then the pgid (EFAULT, EINVAL, ESRCH, EPERM).
        with guest_fd(task, fd) as hfd:
            if not os.isatty(hfd):
                raise KernelError(errno.ENOTTY, "TIOCSPGRP on a descriptor that is not a terminal")
        guest = int.from_bytes(task.read(arg, 4), "little", signed=True)
        native = _native_pid(ns, guest) if guest > 0 else guest
        if native is None:
            raise KernelError(errno.ESRCH, f"TIOCSPGRP: no guest process group {guest}")
        if native == guest:
            return Native()
        # Rewrite the pgid in place for the host call, then put the guest value back.
        return _with_guest_struct(task, arg, native.to_bytes(4, "little", signed=True),
                                  guest.to_bytes(4, "little", signed=True))
    if request in (TIOCSCTTY, TIOCNOTTY):
        return Native()
    if request in netdev.REQUESTS:            # interface configuration, guest root's
        return netdev.ioctl(task, fd, request, arg)
    dup_fd_check(task, fd)                    # a closed fd is EBADF whatever the request
    if request == FS_IOC_GETFLAGS:
        raise KernelError(errno.ENOTTY)
    raise KernelError(errno.ENOTTY, f"ioctl 0x{request:x} is not supported")
