"""Handing an O_PATH descriptor to the guest.

The usual hand-over (InstallFd: seccomp's SECCOMP_IOCTL_NOTIF_ADDFD) takes
the supervisor's file with fget(), which skips O_PATH files: EBADF.  SCM_RIGHTS
takes them (the sender's files are looked up with fget_raw), so an O_PATH file
reaches the guest through a socket:

  1. the supervisor sends the file over a new socketpair and keeps no end but
     the receiving one, which the usual hand-over installs in the guest: it
     lands at the lowest free number, where Linux's open would have put the
     new descriptor;
  2. an injected recvmsg receives the file at the next free number; its
     msghdr is written below the thread's stack pointer (a mapped page if that
     is not writable);
  3. an injected dup3 moves the file onto the socket's number (closing the
     socket), and a close drops the other copy.

So the guest holds a real O_PATH descriptor: read, getdents64, mmap, ioctl,
fchmod on it are EBADF as on Linux, F_GETFL shows O_PATH, and the supervisor's
pidfd_getfd (fdpath.dup_fd) still reaches it (it uses fget_raw too).  The
host reads only our numbers from guest memory, and they only say where the
file lands: a guest thread that rewrites them under us can at worst misplace
or lose its own descriptor.  It costs three injected calls more than an
ordinary open (docs/design.md has the numbers).
"""
from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Generator

from umlpy.abi.errno import KernelError
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.requests import Inject, InstallFd

PAGE = 4096
MSG_CMSG_CLOEXEC = 0x40000000
MSG_DONTWAIT = 0x40             # never wait: a guest thread may have taken the datagram first
MSG_CTRUNC = 0x8
SCM_RIGHTS = 1
SOL_SOCKET = 1
# The scratch: struct msghdr at 0, its one iovec at 64, the byte it
# receives at 80, and a control buffer of CMSG_SPACE(sizeof(int)) at 88.
MSGHDR = struct.Struct("<QI4xQQQQi4x")       # name, namelen, iov, iovlen, control, controllen, flags
IOVEC = struct.Struct("<QQ")
CMSG = struct.Struct("<Qiii4x")              # cmsg_len, level, type, one fd
IOV_AT, DATA_AT, CONTROL_AT = 64, 80, 88
SCRATCH = CONTROL_AT + CMSG.size
RED_ZONE = 128                               # the x86-64 ABI's, below the stack pointer
RSP_AT = 152                                 # offset of rsp in struct user_regs_struct


def _scratch(addr: int) -> bytes:
    head = MSGHDR.pack(0, 0, addr + IOV_AT, 1, addr + CONTROL_AT, CMSG.size, 0)
    return head.ljust(IOV_AT, b"\0") + IOVEC.pack(addr + DATA_AT, 1).ljust(CONTROL_AT - IOV_AT, b"\0") \
        + b"\0" * CMSG.size


def _received(task, addr: int) -> int:
    """The fd number recvmsg left in the scratch's control buffer, or -1."""
    raw = task.read(addr, SCRATCH)
    flags = MSGHDR.unpack_from(raw)[6]
    length, level, kind, fd = CMSG.unpack_from(raw, CONTROL_AT)
    if flags & MSG_CTRUNC or length < CMSG.size - 4 or (level, kind) != (SOL_SOCKET, SCM_RIGHTS):
        return -1
    return fd


def install_path_fd(task, hostfd: int, cloexec: bool) -> Generator[object, int, int]:
    """Give our O_PATH descriptor `hostfd` to the guest (see the module's text); the
    generator's result is the guest's new fd number, or -errno.  `hostfd` is closed."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        socket.send_fds(a, [b"\0"], [hostfd])
    except OSError as e:
        b.close()
        raise KernelError(e.errno or errno.ENOMEM, "passing an O_PATH file to the guest") from None
    finally:
        os.close(hostfd)
        a.close()
    sock = yield InstallFd(b.detach(), cloexec=True)
    if sock < 0:
        return sock
    addr, mapped = _on_stack(task), False
    if addr is None:
        addr = yield Inject(NUMBERS["mmap"], (0, PAGE, 3, 0x22, (1 << 64) - 1, 0))
        if addr < 0 or addr >= (1 << 63):
            yield Inject(NUMBERS["close"], (sock,))
            return -errno.ENOMEM
        mapped = True
    try:
        if mapped:
            task.write(addr, _scratch(addr))
        r = yield Inject(NUMBERS["recvmsg"], (sock, addr, MSG_CMSG_CLOEXEC | MSG_DONTWAIT))
        fd = _received(task, addr) if r == 1 else -1
    except KernelError:
        fd = -1
    if mapped:
        yield Inject(NUMBERS["munmap"], (addr, PAGE))
    if fd < 0:
        # The one way Linux's open would not fail here: a table with a single
        # free slot (the socket takes it).
        yield Inject(NUMBERS["close"], (sock,))
        return -errno.EMFILE
    r = yield Inject(NUMBERS["dup3"], (fd, sock, os.O_CLOEXEC if cloexec else 0))
    yield Inject(NUMBERS["close"], (fd,))
    if r < 0:                        # a guest thread closed the received copy under us
        yield Inject(NUMBERS["close"], (sock,))
    return r


def _on_stack(task) -> int | None:
    """The scratch space written below the thread's stack pointer and its red
    zone, where the kernel would put a signal frame (signals are held for the
    whole call: none comes in between) and where proot puts its own data; None
    if that is not writable (a page is mapped then)."""
    regs = task.kernel.platform.regs(task.host_tid)
    if regs is None:
        return None
    rsp = int.from_bytes(regs[RSP_AT:RSP_AT + 8], "little")
    addr = (rsp - RED_ZONE - SCRATCH) & ~15
    if addr <= 0 or not task.kernel.platform.write(task.host_tid, addr, _scratch(addr)):
        return None
    return addr
