"""The ptrace platform: the one small interface between the guest kernel and the host.

Everything the guest kernel does to a guest thread goes through here: wait
for its next stop, read or write its registers and memory, resume it, hand it
a descriptor.  The work is done by the cffi-compiled C helper (csrc/), one C
call per stop and one per resume, so the hot path never goes through ctypes.
Another interception backend (seccomp user notification alone, an in-process
SIGSYS trap) would implement this same interface; nothing above it knows
about ptrace.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass

from umlpy._helper import ffi, lib

# Stop kinds and resume modes, re-exported from csrc/helper.h.
EXITED, KILLED, SECCOMP, SYSCALL, EVENT, SIGNAL, GROUP_STOP, INTERRUPT = (
    lib.UH_EXITED, lib.UH_KILLED, lib.UH_SECCOMP, lib.UH_SYSCALL, lib.UH_EVENT,
    lib.UH_SIGNAL, lib.UH_GROUP_STOP, lib.UH_INTERRUPT)
CONT, STEP_SYSCALL, LISTEN, DETACH = lib.UH_CONT, lib.UH_STEP_SYSCALL, lib.UH_LISTEN, lib.UH_DETACH

# PTRACE_SYSCALL_INFO_* (the `op` of a SYSCALL stop)
OP_ENTRY, OP_EXIT, OP_SECCOMP = 1, 2, 3

# ptrace events (status >> 16)
EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC, EVENT_VFORK_DONE, EVENT_EXIT = 1, 2, 3, 4, 5, 6

# PTRACE_O_* options for every tracee.
PTRACE_OPTIONS = (
    0x01          # TRACESYSGOOD: syscall stops report SIGTRAP|0x80
    | 0x02        # TRACEFORK
    | 0x04        # TRACEVFORK
    | 0x08        # TRACECLONE
    | 0x10        # TRACEEXEC
    | 0x80        # TRACESECCOMP
    | 0x100000    # EXITKILL: if the supervisor dies, so does every guest thread
)

ARG_REGS = ("rdi", "rsi", "rdx", "r10", "r8", "r9")


class PlatformError(OSError):
    """A host-side failure of the platform itself (never caused by the guest)."""


@dataclass
class Stop:
    """One decoded ptrace stop (a view over the C struct, reused between calls)."""
    tid: int
    kind: int
    sig: int
    event: int
    op: int
    msg: int
    regs: object  # cffi struct user_regs_struct *


class PtracePlatform:
    """Wait/resume/registers/memory for guest threads, backed by the C helper."""

    def __init__(self) -> None:
        self._stop = ffi.new("struct uh_stop *")
        self._strbuf = ffi.new("char[]", 4097)
        self._regs = ffi.addressof(self._stop, "regs")

    # ---------------------------------------------------------- lifecycle
    def spawn(self, exec_fd: int, argv: list[bytes], envp: list[bytes], *,
              filter_prog: bytes, stdio: tuple[int, int, int] = (-1, -1, -1),
              make_ctty: bool = False, uid: int = -1, gid: int = -1,
              cpu: int = -1, chroot_dir: bytes | None = None,
              new_netns: bool = True, rlimits: dict[int, int] | None = None) -> tuple[int, int]:
        """Start the first guest thread stopped at its exec; return (pid, listener fd)."""
        keep = []
        def cstrs(items: list[bytes]):
            arr = ffi.new("char *[]", len(items) + 1)
            for i, s in enumerate(items):
                keep.append(ffi.new("char[]", s))
                arr[i] = keep[-1]
            arr[len(items)] = ffi.NULL
            keep.append(arr)            # the struct only holds a pointer
            return arr
        a = ffi.new("struct uh_spawn_args *")
        a.exec_fd = exec_fd
        a.argv = cstrs(argv)
        a.envp = cstrs(envp)
        a.stdin_fd, a.stdout_fd, a.stderr_fd = stdio
        a.make_ctty = int(make_ctty)
        a.uid, a.gid = uid, gid
        filt = ffi.new("char[]", filter_prog)
        a.filter = filt
        a.filter_len = len(filter_prog) // 8
        a.cpu = cpu
        a.ptrace_options = PTRACE_OPTIONS
        a.new_netns = int(new_netns)
        items = sorted((rlimits or {}).items())
        res = ffi.new("int[]", [r for r, _ in items] or [0])
        val = ffi.new("unsigned long[]", [v for _, v in items] or [0])
        keep += [res, val]
        a.rlimit_res, a.rlimit_val, a.n_rlimits = res, val, len(items)
        if chroot_dir is not None:
            keep.append(ffi.new("char[]", chroot_dir))
            a.chroot_dir = keep[-1]
        else:
            a.chroot_dir = ffi.NULL
        r = lib.uh_spawn(a)
        if r < 0:
            if a.child_errno:
                step = ffi.string(lib.uh_spawn_step_name(a.child_step)).decode()
                raise PlatformError(a.child_errno, f"guest spawn failed while {step}: "
                                    f"{os.strerror(a.child_errno)}")
            raise PlatformError(-r, f"guest spawn failed: {os.strerror(-r)}")
        return r, a.listener_fd

    # ------------------------------------------------------------ stops
    def wait(self, tid: int = -1, block: bool = True) -> Stop | None | bool:
        """The next stop or death of a guest thread; None when none is left.

        With block=False, False means "nothing has happened yet".
        """
        st = self._stop
        while True:
            r = lib.uh_wait(st, tid, 0 if block else 1)
            if r != -errno.EINTR:
                break
        if r == -errno.ECHILD:
            return None
        if r == 0:
            return False
        if r < 0:
            raise PlatformError(-r, "waitpid failed")
        return Stop(st.tid, st.kind, st.sig, st.event, st.op, st.msg, self._regs)

    def resume(self, tid: int, how: int = CONT, sig: int = 0, regs=None) -> int:
        """Resume a stopped thread, first writing `regs` if given. -ESRCH if it died."""
        return lib.uh_resume(tid, how, sig, regs if regs is not None else ffi.NULL)

    def getregs(self, tid: int):
        regs = ffi.new("struct user_regs_struct *")
        r = lib.uh_getregs(tid, regs)
        if r < 0:
            raise PlatformError(-r, "PTRACE_GETREGS failed")
        return regs

    def setregs(self, tid: int, regs) -> int:
        return lib.uh_setregs(tid, regs)

    def interrupt(self, tid: int) -> int:
        return lib.uh_interrupt(tid)

    @staticmethod
    def copy_regs(regs):
        new = ffi.new("struct user_regs_struct *")
        ffi.memmove(new, regs, ffi.sizeof("struct user_regs_struct"))
        return new

    # ----------------------------------------------------------- memory
    def read(self, pid: int, addr: int, size: int) -> bytes | None:
        """Bytes of guest memory, or None if any of it is not readable (EFAULT)."""
        if size == 0:
            return b""
        buf = ffi.new("char[]", size)
        n = lib.uh_read(pid, addr, buf, size)
        if n != size:
            return None
        return ffi.buffer(buf, size)[:]

    def write(self, pid: int, addr: int, data: bytes) -> bool:
        if not data:
            return True
        return lib.uh_write(pid, addr, data, len(data)) == len(data)

    def read_str(self, pid: int, addr: int, limit: int = 4096) -> bytes | int:
        """A NUL-terminated guest string, or -EFAULT / -ENAMETOOLONG."""
        buf = self._strbuf if limit <= 4096 else ffi.new("char[]", limit + 1)
        n = lib.uh_read_str(pid, addr, buf, limit)
        if n < 0:
            return n
        return ffi.buffer(buf, n)[:]

    def getsiginfo(self, tid: int) -> bytearray | None:
        buf = ffi.new("char[]", 128)
        if lib.uh_getsiginfo(tid, buf) < 0:
            return None
        return bytearray(ffi.buffer(buf, 128))

    def setsiginfo(self, tid: int, info: bytes) -> int:
        return lib.uh_setsiginfo(tid, bytes(info))

    def getsigmask(self, tid: int) -> int | None:
        buf = ffi.new("uint64_t *")
        return buf[0] if lib.uh_getsigmask(tid, buf) == 0 else None

    def setsigmask(self, tid: int, mask: int) -> int:
        return lib.uh_setsigmask(tid, mask)

    # -------------------------------------------------------------- fds
    def addfd(self, listener: int, tid: int, hostfd: int, cloexec: bool) -> int:
        """Complete a parked magic syscall by installing `hostfd`; the guest's new fd."""
        return lib.uh_addfd(listener, tid, hostfd, int(cloexec), 5000)
