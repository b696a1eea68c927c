"""execve and execveat: the syscall side of program loading.

What may be executed, and how, is decided by umlpy/kernel/loader.py (path
resolution, #! lines, ELF checks, the guest's ld.so).  This side reads the
guest's argv and envp, hands the chosen file to the guest as a descriptor,
writes the new argv into a fresh mapping, and runs execveat(fd, "") in the
guest's context: a generator handler, one injected syscall per step.
"""
from __future__ import annotations

import errno
import os
import re

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW
from umlpy.abi.numbers import NUMBERS
from umlpy.kernel.fdpath import dir_of, fd_path, guest_fd, resolve_at
from umlpy.kernel.loader import open_anonymous_program, prepare_exec
from umlpy.kernel.requests import Inject, InstallFd
from umlpy.kernel.table import REWRITE, Path, Ptr, syscall

ARG_MAX = 2 << 20          # argv + envp bytes, as the host allows (stack limit / 4)


def _read_vector(task, addr: int, budget: list[int]) -> list[bytes]:
    """A NULL-terminated array of guest strings; E2BIG past the shared `budget`."""
    out: list[bytes] = []
    if addr == 0:
        return out
    while True:
        p = int.from_bytes(task.read(addr + 8 * len(out), 8), "little")
        if p == 0:
            return out
        s = task.read_str(p, 1 << 17)
        budget[0] -= len(s) + 1 + 8
        if budget[0] < 0:
            raise KernelError(errno.E2BIG)
        out.append(s)


RED_ZONE = 128             # bytes below the stack pointer a leaf function may use (x86-64 ABI)
RSP = 19                   # struct user_regs_struct's rsp, in 8-byte words


def _below_stack(task, size: int) -> int:
    """Where `size` bytes fit below the stopped thread's stack pointer and red zone
    (16-byte aligned), or 0 if its registers cannot be read."""
    regs = task.kernel.platform.regs(task.host_tid)
    if regs is None:
        return 0
    rsp = int.from_bytes(regs[8 * RSP:8 * RSP + 8], "little")
    addr = (rsp - RED_ZONE - size) & ~15
    return addr if 4096 <= addr < rsp else 0


def _layout(base: int, path: bytes, argv: list[bytes], envp: list[bytes]) -> tuple[bytes, int, int, int]:
    """Strings and pointer arrays for execveat, to be written at `base`."""
    strings = bytearray(b"\0")          # offset 0: the empty path
    def put(s: bytes) -> int:
        off = len(strings)
        strings.extend(s + b"\0")
        return off
    a_offs = [put(a) for a in argv]
    e_offs = [put(e) for e in envp]
    while len(strings) % 8:
        strings.append(0)
    arr_base = base + len(strings)
    vec = b"".join((base + o).to_bytes(8, "little") for o in a_offs) + b"\0" * 8
    env_base = arr_base + len(vec)
    vec += b"".join((base + o).to_bytes(8, "little") for o in e_offs) + b"\0" * 8
    return bytes(strings) + vec, base, arr_base, env_base


_OWN_FD_LINK = re.compile(r"/proc/(self|thread-self|\d+)/fd/(\d+)")


def _own_fd(task, path: str) -> int | None:
    """The fd number of the caller's own /proc/self/fd/N link, if `path` is one."""
    m = _OWN_FD_LINK.fullmatch(path)
    if m is None or (m.group(1).isdigit() and int(m.group(1)) != task.process.pid):
        return None
    return int(m.group(2))


def _anonymous(task, fd: int, name: str) -> tuple[int, str] | None:
    """(our fd, name) for guest fd `fd` if it names a file without a guest path
    (a memfd); None if it has a path (then the path is executed)."""
    with guest_fd(task, fd) as hfd:
        path, _ = task.kernel.vfs.path_of_host_fd(hfd)
        if path is not None:
            return None
        return open_anonymous_program(hfd, name)


def do_execve(task, path: str, argv_p: int, envp_p: int, opened: tuple[int, str] | None = None):
    budget = [ARG_MAX]
    argv = _read_vector(task, argv_p, budget)
    envp = _read_vector(task, envp_p, budget)
    kernel = task.kernel
    if opened is None and (n := _own_fd(task, path)) is not None:
        # The magic link of a file with no guest path (a memfd): Linux execs
        # the file itself, and the guest VFS has no name to resolve.
        try:
            opened = _anonymous(task, n, path)
        except KernelError:
            opened = None                    # let the path walk give the errno
    try:
        plan = prepare_exec(kernel, task.fs, path, argv, envp, creds=task.creds, opened=opened)
    except BaseException:
        if opened is not None:
            os.close(opened[0])
        raise
    task.call.plan = plan
    size = sum(len(a) + 1 for a in plan.host_argv) + sum(len(e) + 1 for e in envp) \
        + 8 * (len(plan.host_argv) + len(envp) + 2) + 16
    if size > ARG_MAX + 4096:
        os.close(plan.fd)
        raise KernelError(errno.E2BIG)
    fd = yield InstallFd(plan.fd, cloexec=True)
    if fd < 0:
        return fd
    # The new argv goes below the thread's stack pointer and its red zone,
    # memory the ABI lets a signal handler overwrite at any moment, so the
    # guest keeps nothing there; the exec then replaces it all.  Where that
    # is not mapped (a thread stack's guard page, the gap below the main
    # stack), a fresh anonymous mapping instead: one more stop.
    length = 0
    addr = _below_stack(task, size)
    blob, p_empty, p_argv, p_envp = _layout(addr, b"", plan.host_argv, envp) if addr else (b"", 0, 0, 0)
    if not addr or not kernel.platform.write(task.host_tid, addr, blob):
        length = (size + 4095) & ~4095
        addr = yield Inject(NUMBERS["mmap"], (0, length, 3, 0x22, (1 << 64) - 1, 0))
        if addr < 0 or addr >= (1 << 63):
            yield Inject(NUMBERS["close"], (fd,))
            return -errno.ENOMEM
        blob, p_empty, p_argv, p_envp = _layout(addr, b"", plan.host_argv, envp)
        if not kernel.platform.write(task.host_tid, addr, blob):
            yield Inject(NUMBERS["munmap"], (addr, length))
            yield Inject(NUMBERS["close"], (fd,))
            return -errno.EFAULT
    r = yield Inject(NUMBERS["execveat"], (fd, p_empty, p_argv, p_envp, AT_EMPTY_PATH))
    if r < 0:
        if length:
            yield Inject(NUMBERS["munmap"], (addr, length))
        yield Inject(NUMBERS["close"], (fd,))
        return r
    # The host named the thread after what it exec'd (ld.so, a descriptor), not
    # after `path`: remember that name, so that PR_GET_NAME and /proc/PID/comm
    # give the guest's (Process.comm) until the guest renames it (syscalls/procattr.py).
    try:
        with open(f"/proc/{task.host_tid}/comm", "rb", buffering=0) as f:
            task.process.exec_host_comm = f.read().rstrip(b"\n")
    except OSError:
        pass
    task.process.cmdline_layout = cmdline_layout(plan.host_argv, plan.guest_argv)
    kernel.answers.prime(task)
    return 0


def cmdline_layout(host_argv: list[bytes], guest_argv: list[bytes]) -> tuple[bytes, int, bytes | None] | None:
    """How the host's argument area (what the host's /proc/PID/cmdline reads, from the
    process's memory) differs from the guest's: a dynamic program runs as
    `ld.so --argv0 ARGV0 PROGRAM ARGS...`, so two strings come before argv[0] and the
    program's path after it.  /proc/PID/cmdline (fsimpl/procfs/pid.py) strips them and
    so shows what the program wrote there since (setproctitle), as Linux does."""
    if host_argv == guest_argv:
        return b"", 0, None
    if len(host_argv) >= 4 and host_argv[1] == b"--argv0" and host_argv[4:] == guest_argv[1:]:
        return host_argv[0] + b"\0--argv0\0", len(host_argv[2]) + 1, host_argv[3]
    return None


@syscall("execve", REWRITE)
def execve(task, path: Path, argv: Ptr, envp: Ptr):
    """execve(2): resolve and check the program in the guest, then exec it by fd."""
    return (yield from do_execve(task, path, argv, envp))


@syscall("execveat", REWRITE)
def execveat(task, dirfd: int, path: Path, argv: Ptr, envp: Ptr, flags: int):
    """execveat(2): execve relative to a directory fd (or of the fd itself)."""
    if flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
        raise KernelError(errno.EINVAL)
    if path == "" and not flags & AT_EMPTY_PATH:
        raise KernelError(errno.ENOENT)
    if path and flags & AT_SYMLINK_NOFOLLOW:
        lk = resolve_at(task, dirfd, path, follow=False)
        if lk.st is not None and lk.st.is_link:
            raise KernelError(errno.ELOOP)
    if path == "" and flags & AT_EMPTY_PATH:
        p = fd_path(task, dirfd)
        if p is None:                        # a memfd, say: exec the file itself
            name = f"/dev/fd/{dirfd}"        # the name Linux gives it (bprm->fdpath)
            return (yield from do_execve(task, name, argv, envp, _anonymous(task, dirfd, name)))
        path = p
    elif not path.startswith("/") and dirfd != AT_FDCWD:
        path = dir_of(task, dirfd).rstrip("/") + "/" + path
    return (yield from do_execve(task, path, argv, envp))
