"""The ptrace + seccomp platform: the interception interface on Linux's own tracer.

The seccomp filter (seccomp.py) lets the native class run with no stop and
turns every other syscall into a ptrace stop; this module turns ptrace stops
into the interface's events and the kernel's answers into register writes
and resumes.  Everything register-shaped lives here: orig_rax = -1 to skip a
syscall, rip -= 2 to run another one at an exit stop, the argument
registers, the seccomp listener that installs descriptors.  The work is done
by the cffi-compiled C helper (csrc/), one C call per stop and one per
resume, so the hot path never goes through ctypes.
"""
from __future__ import annotations

import errno
import os

from umlpy._helper import ffi, lib
from umlpy.platform import host
from umlpy.platform.interface import INJECT, REWRITE_ARGS, ArgRule, Event, HostFeatureMissing, Kind, Platform
from umlpy.platform.ptrace.seccomp import MAGIC_NR, build_filter

# Stop kinds and resume modes, re-exported from csrc/helper.h.
EXITED, KILLED, SECCOMP, SYSCALL, EVENT, SIGNAL, GROUP_STOP, INTERRUPT = (
    lib.UH_EXITED, lib.UH_KILLED, lib.UH_SECCOMP, lib.UH_SYSCALL, lib.UH_EVENT,
    lib.UH_SIGNAL, lib.UH_GROUP_STOP, lib.UH_INTERRUPT)
CONT, STEP_SYSCALL, LISTEN, DETACH, SINGLESTEP = (lib.UH_CONT, lib.UH_STEP_SYSCALL, lib.UH_LISTEN,
                                                  lib.UH_DETACH, lib.UH_SINGLESTEP)

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
U64 = (1 << 64) - 1
ALL_BUT_KILL_STOP = U64 & ~((1 << 8) | (1 << 18))      # bits are signal-1
ERESTARTSYS, ERESTARTNOINTR = -512, -513
BATCH = 1024        # stops taken from the host at once (more than a sandbox has threads)


class PlatformError(OSError):
    """A host-side failure of the platform itself (never caused by the guest)."""


USERNS_SYSCTLS = (("kernel.unprivileged_userns_clone", "1"), ("user.max_user_namespaces", "a number above 0"),
                  ("kernel.apparmor_restrict_unprivileged_userns", "0"))


def userns_missing(err: int) -> str:
    """Why rootless mode cannot start here, in one line that names the sysctl to look at."""
    shown = []
    for name, want in USERNS_SYSCTLS:
        try:
            with open("/proc/sys/" + name.replace(".", "/")) as f:
                shown.append(f"{name}={f.read().strip()} (needs {want})")
        except OSError:
            continue
    where = "; ".join(shown) or "no user-namespace sysctl here (a kernel without CONFIG_USER_NS?)"
    why = os.strerror(err)
    if err == errno.ENOSPC:
        why += ": the user.max_user_namespaces limit is reached, here or in an enclosing namespace"
    return (f"rootless mode needs unprivileged user namespaces, and the host refused one "
            f"({why}); host settings: {where}; or run umlpy as root")


class PtraceEvent(Event):
    """An event over the C helper's stop struct (its registers are the `state`)."""

    @property
    def nr(self) -> int:
        return self.state.orig_rax

    @property
    def args(self) -> tuple[int, ...]:
        r = self.state
        return (r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9)

    @property
    def result(self) -> int:
        rax = self.state.rax
        return rax - (1 << 64) if rax & (1 << 63) else rax


_SIMPLE_KINDS = {EXITED: Kind.EXITED, KILLED: Kind.KILLED, SECCOMP: Kind.ENTRY, SIGNAL: Kind.SIGNAL,
                 GROUP_STOP: Kind.GROUP_STOP, INTERRUPT: Kind.START}
_EVENT_KINDS = {EVENT_FORK: Kind.NEW_THREAD, EVENT_VFORK: Kind.NEW_THREAD, EVENT_CLONE: Kind.NEW_THREAD,
                EVENT_EXEC: Kind.EXEC, EVENT_EXIT: Kind.EXITING}


_ANSWERABLE = ffi.new("int[]", lib.UH_ANSWER_CALLS)     # the calls csrc/answer.c may answer


class PtracePlatform(Platform):
    """Guest threads as ptrace tracees, trapped by a seccomp filter (see the module docstring)."""

    capabilities = frozenset({REWRITE_ARGS, INJECT})

    def __init__(self) -> None:
        # Stops are collected in batches (uh_wait_many) and served in order;
        # each slot's registers are the `state` of the event made from it.
        # Their addresses are taken as a batch first fills a slot: all 1024
        # at once cost 0.5 ms of every sandbox's start.
        self._stops = ffi.new("struct uh_stop[]", BATCH)
        self._regs = [ffi.addressof(self._stops[0], "regs")]
        self._next = self._count = 0
        # Live tracees, as far as events tell (an exec that kills other threads
        # may leave it too high, which only costs a spare waitpid).  With one
        # tracee a batch is pointless: skip the extra non-blocking waitpid.
        self._tracees = 0
        self._strbuf = ffi.new("char[]", 4097)
        self.listener = -1
        # Threads a guest tracer resumed with PTRACE_SYSCALL or PTRACE_SINGLESTEP
        # (kernel/ptrace.py): tid -> the host request that replaces PTRACE_CONT.
        # Empty unless a guest traces: the other threads pay one truth test.
        self._mode: dict[int, int] = {}

    # ---------------------------------------------------------- lifecycle
    def spawn(self, exec_fd: int, argv: list[bytes], envp: list[bytes], *,
              native: dict[int, ArgRule | None], strict: bool = False, stdio: tuple[int, int, int] = (-1, -1, -1),
              make_ctty: bool = False, uid: int = -1, gid: int = -1,
              cpu: int = -1, root_fd: int = -1, new_netns: bool = True, new_pidns: bool = True,
              userns: bool = False, parent_userns_fd: int = -1,
              rlimits: dict[int, int] | None = None) -> int:
        """Start the first guest thread stopped at its exec; its host pid.

        The seccomp filter lets the `native` numbers run with no stop (none in
        `strict` mode); every other syscall stops here.  The thread is pid 1 of
        a PID namespace of its own (`new_pidns`), chrooted to directory
        `root_fd`, in a user namespace of its own if `userns` (rootless), made
        inside the user namespace `parent_userns_fd` if one is given (a named
        network's: kernel/network.py), else inside ours."""
        filter_prog = build_filter(native, strict=strict)
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
        a.new_pidns = int(new_pidns)
        a.userns = int(userns)
        a.parent_userns_fd = parent_userns_fd
        a.root_fd = root_fd
        items = sorted((rlimits or {}).items())
        res = ffi.new("int[]", [r for r, _ in items] or [0])
        val = ffi.new("unsigned long[]", [v for _, v in items] or [0])
        keep += [res, val]
        a.rlimit_res, a.rlimit_val, a.n_rlimits = res, val, len(items)
        r = lib.uh_spawn(a)
        if r < 0 and userns and (a.child_step == lib.UH_STEP_USERNS or
                                 (not a.child_errno and -r in (errno.EPERM, errno.ENOSPC, errno.EUSERS))):
            raise HostFeatureMissing(a.child_errno or -r, userns_missing(a.child_errno or -r))
        if r < 0:
            if a.child_errno:
                step = ffi.string(lib.uh_spawn_step_name(a.child_step)).decode()
                raise PlatformError(a.child_errno, f"guest spawn failed while {step}: "
                                    f"{os.strerror(a.child_errno)}")
            raise PlatformError(-r, f"guest spawn failed: {os.strerror(-r)}")
        self.listener = a.listener_fd
        self._tracees = 1
        return r

    def native_tid(self, tid: int) -> int | None:
        return host.ns_tid(tid)

    def close(self) -> None:
        if self.listener >= 0:
            os.close(self.listener)
            self.listener = -1

    # ------------------------------------------------------------ stops
    def next_event(self, block: bool = True) -> Event | None | bool:
        """The next stop or death of a guest thread, as an event (see Platform).

        Fair: stops are taken from the host a batch at a time and served in
        the batch's order, so no thread waits behind more than one stop of
        each other thread (waitpid alone always reports the newest tracee)."""
        while True:
            if self._next == self._count:
                r = lib.uh_wait_many(self._stops, BATCH if self._tracees > 1 else 1, 0 if block else 1)
                if r == -errno.EINTR:
                    continue
                if r == -errno.ECHILD:
                    return None
                if r == 0:
                    return False
                if r < 0:
                    raise PlatformError(-r, "waitpid failed")
                if r > len(self._regs):
                    self._regs += [ffi.addressof(self._stops[i], "regs") for i in range(len(self._regs), r)]
                self._next, self._count = 0, r
            i = self._next
            self._next = i + 1
            st = self._stops[i]
            kind = st.kind
            if kind == SYSCALL:
                if st.op == OP_EXIT:
                    return PtraceEvent(st.tid, Kind.EXIT, 0, 0, self._regs[i])
                if self._mode and self._mode.get(st.tid) == STEP_SYSCALL:
                    return PtraceEvent(st.tid, Kind.SYSCALL_ENTRY, 0, 0, self._regs[i])
                # The entry stop of a syscall we are stepping through (an
                # injected one, or one let through with its exit wanted).
                lib.uh_resume(st.tid, STEP_SYSCALL, 0, ffi.NULL)
                continue
            if kind == EVENT:
                ev = _EVENT_KINDS.get(st.event)
                if ev is None:
                    lib.uh_resume(st.tid, self._mode.get(st.tid, CONT) if self._mode else CONT, 0, ffi.NULL)
                    continue
                if ev is Kind.NEW_THREAD:
                    self._tracees += 1
                return PtraceEvent(st.tid, ev, 0, st.msg, self._regs[i])
            if kind == EXITED or kind == KILLED:
                self._tracees -= 1
                if self._mode:
                    self._mode.pop(st.tid, None)
            return PtraceEvent(st.tid, _SIMPLE_KINDS[kind], st.sig, st.msg, self._regs[i])

    # ------------------------------------------------ answers kept in C
    answerable = frozenset(ffi.unpack(_ANSWERABLE, lib.uh_answer_calls(_ANSWERABLE)))

    def answer_enable(self, on: bool) -> None:
        lib.uh_answer_enable(int(on))

    def remember(self, tid: int, nr: int, value: int) -> None:
        lib.uh_answer_set(tid, nr, value)        # no slot (-ENOSPC): it keeps stopping into Python

    def remember_exec_names(self, tid: int, exe: bytes, comm: bytes, host_comm: bytes) -> None:
        lib.uh_exec_names_set(tid, exe, len(exe), comm, host_comm)     # -EINVAL: too long, not kept

    def forget(self, tid: int | None = None) -> None:
        if tid is None:
            lib.uh_answer_forget_all()
        else:
            lib.uh_answer_forget(tid)

    def answered(self) -> dict[int, int]:
        counts = ffi.new("unsigned long[]", lib.UH_ANSWER_CALLS)
        lib.uh_answer_counts(counts)
        nrs = ffi.unpack(_ANSWERABLE, lib.UH_ANSWER_CALLS)
        out = {nr: n for nr, n in zip(nrs, counts) if n}
        stats = ffi.new("unsigned long[3]")
        lib.uh_stat_answered(stats)
        out.update({nr: n for nr, n in zip((4, 6, 262), stats) if n})      # stat, lstat, newfstatat
        opens = ffi.new("unsigned long[2]")
        lib.uh_opens_answered(opens)
        out.update({nr: n for nr, n in zip((2, 257), opens) if n})         # open, openat
        names = ffi.new("unsigned long[2]")
        lib.uh_exec_names_answered(names)
        out.update({nr: n for nr, n in zip((89, 157), names) if n})        # readlink(exe), prctl
        return out

    def remember_stat(self, tid: int, path: bytes, nofollow: int, err: int, st: bytes,
                      open_rel: bytes | None = None) -> None:
        lib.uh_stat_set(tid, path, len(path), nofollow, err, st or ffi.NULL,
                        open_rel if open_rel is not None else ffi.NULL)

    def answer_opens(self, root_fd: int) -> None:
        lib.uh_open_enable(root_fd, self.listener if root_fd >= 0 else -1, MAGIC_NR)

    def stat_allow(self, tid: int, on: bool) -> None:
        lib.uh_stat_allow(tid, int(on))

    def forget_stats(self) -> None:
        lib.uh_stat_forget_all()

    # ---------------------------------------------------- syscall answers
    @staticmethod
    def save(state):
        new = ffi.new("struct user_regs_struct *")
        ffi.memmove(new, state, ffi.sizeof("struct user_regs_struct"))
        return new

    def state_of(self, tid: int):
        regs = ffi.new("struct user_regs_struct *")
        return regs if lib.uh_getregs(tid, regs) == 0 else None

    def complete(self, tid: int, state, result: int, *, at_exit: bool, hold: bool = False) -> int:
        if hold:                                 # a guest tracer's ptrace-stop: stay stopped
            if state is None:
                return 0
            if not at_exit:
                state.orig_rax = U64
            state.rax = result & U64
            return lib.uh_setregs(tid, state)
        cont = self._mode.get(tid, CONT) if self._mode else CONT
        if state is None:                        # after an exec: the new program's registers
            return lib.uh_resume(tid, cont, 0, ffi.NULL)
        if not at_exit:
            state.orig_rax = U64                 # skip the host syscall
        state.rax = result & U64
        return lib.uh_resume(tid, cont, 0, state)

    def pass_through(self, tid: int, state, args: dict[int, int] | None = None, *,
                     want_exit: bool) -> int:
        if args:
            for i, v in args.items():
                setattr(state, ARG_REGS[i], v & U64)
        cont = self._mode.get(tid, CONT) if self._mode else CONT
        return lib.uh_resume(tid, STEP_SYSCALL if want_exit else cont, 0, state if args else ffi.NULL)

    def inject(self, tid: int, state, nr: int, args: tuple[int, ...], *, at_exit: bool) -> int:
        if at_exit:
            state.rip -= 2                       # back onto the `syscall` instruction
            state.rax = nr
        else:
            state.orig_rax = nr
        full = tuple(args) + (0,) * (6 - len(args))
        for i, v in enumerate(full):
            setattr(state, ARG_REGS[i], v & U64)
        return lib.uh_resume(tid, STEP_SYSCALL, 0, state)

    def install_fd(self, tid: int, state, hostfd: int, cloexec: bool, *, want_exit: bool) -> int:
        """The thread runs the magic syscall instead, which the filter hands to the
        user-notification listener; the supervisor answers it with SECCOMP_IOCTL_NOTIF_ADDFD.
        Only the syscall number changes: the argument registers the guest's compiler
        expects preserved across `syscall` are left alone."""
        state.orig_rax = MAGIC_NR
        cont = self._mode.get(tid, CONT) if self._mode else CONT
        return lib.uh_resume_addfd(tid, STEP_SYSCALL if want_exit else cont, state, self.listener,
                                   hostfd, int(cloexec), 5000)

    def restart_syscall(self, tid: int, nr: int) -> None:
        """The thread returns -ERESTARTSYS from the magic syscall; make the host restart
        syscall `nr` after the signal's handler, whatever its SA_RESTART says
        (-ERESTARTNOINTR).  The restarted call stops afresh."""
        regs = ffi.new("struct user_regs_struct *")
        if lib.uh_getregs(tid, regs) < 0:
            return
        regs.orig_rax = nr
        if regs.rax == ERESTARTSYS & U64:
            regs.rax = ERESTARTNOINTR & U64
        lib.uh_setregs(tid, regs)

    # ------------------------------------------------------------ events
    def resume(self, tid: int, *, want_exit: bool = False, sig: int = 0) -> int:
        cont = self._mode.get(tid, CONT) if self._mode else CONT
        return lib.uh_resume(tid, STEP_SYSCALL if want_exit else cont, sig, ffi.NULL)

    def listen(self, tid: int) -> int:
        return lib.uh_resume(tid, LISTEN, 0, ffi.NULL)

    # ----------------------------------------------------------- memory
    def read(self, tid: int, addr: int, size: int) -> bytes | None:
        """Bytes of guest memory, or None if any of it is not readable (EFAULT)."""
        if size == 0:
            return b""
        buf = ffi.new("char[]", size)
        n = lib.uh_read(tid, addr, buf, size)
        if n != size:
            return None
        return ffi.buffer(buf, size)[:]

    def write(self, tid: int, addr: int, data: bytes) -> bool:
        if not data:
            return True
        return lib.uh_write(tid, addr, data, len(data)) == len(data)

    def read_str(self, tid: int, addr: int, limit: int = 4096) -> bytes | int:
        """A NUL-terminated guest string, or -EFAULT / -ENAMETOOLONG."""
        buf = self._strbuf if limit <= 4096 else ffi.new("char[]", limit + 1)
        n = lib.uh_read_str(tid, addr, buf, limit)
        if n < 0:
            return n
        return ffi.buffer(buf, n)[:]

    # ---------------------------------------------------------- signals
    def get_siginfo(self, tid: int) -> bytearray | None:
        buf = ffi.new("char[]", 128)
        if lib.uh_getsiginfo(tid, buf) < 0:
            return None
        return bytearray(ffi.buffer(buf, 128))

    def set_siginfo(self, tid: int, info: bytes) -> int:
        return lib.uh_setsiginfo(tid, bytes(info))

    def hold_signals(self, tid: int) -> int | None:
        buf = ffi.new("uint64_t *")
        if lib.uh_getsigmask(tid, buf) != 0:
            return None
        lib.uh_setsigmask(tid, ALL_BUT_KILL_STOP)
        return buf[0]

    def set_sigmask(self, tid: int, mask: int) -> int:
        return lib.uh_setsigmask(tid, mask)

    # ------------------------------------------------------ guest ptrace
    def step_mode(self, tid: int, mode: int) -> None:
        if mode == Platform.STEP_SYSCALL:
            self._mode[tid] = STEP_SYSCALL
        elif mode == Platform.STEP_SINGLE:
            self._mode[tid] = SINGLESTEP
        else:
            self._mode.pop(tid, None)

    def regs(self, tid: int) -> bytearray | None:
        regs = ffi.new("struct user_regs_struct *")
        if lib.uh_getregs(tid, regs) < 0:
            return None
        return bytearray(ffi.buffer(regs))

    def set_regs(self, tid: int, regs: bytes) -> int:
        buf = ffi.new("struct user_regs_struct *")
        ffi.memmove(buf, bytes(regs), ffi.sizeof(buf[0]))
        return lib.uh_setregs(tid, buf)

    def raw_ptrace(self, req: int, tid: int, addr: int, data: int) -> tuple[int, int]:
        out = ffi.new("long *")
        r = lib.uh_ptrace(req, tid, addr & U64, data & U64, out)
        return r, out[0]

    def ptrace_mem(self, req: int, tid: int, other: int, buf: bytearray, *, iovec: bool = False,
                   buf_in_addr: bool = False) -> tuple[int, int]:
        cbuf = ffi.from_buffer(buf)
        ptr = int(ffi.cast("uintptr_t", cbuf))
        if iovec:
            iov = ffi.new("unsigned long[2]", [ptr, len(buf)])
            r, _ = self.raw_ptrace(req, tid, other, int(ffi.cast("uintptr_t", iov)))
            return r, int(iov[1])
        if buf_in_addr:
            return self.raw_ptrace(req, tid, ptr, other)[0], len(buf)
        return self.raw_ptrace(req, tid, other, ptr)[0], len(buf)

    def interrupt(self, tid: int) -> int:
        return lib.uh_interrupt(tid)

    def trace_exits(self, tid: int) -> int:
        return self.raw_ptrace(0x4200, tid, 0, PTRACE_OPTIONS | 0x40)[0]     # PTRACE_O_TRACEEXIT
