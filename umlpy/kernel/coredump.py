"""Core dumps: the ELF core file a process killed by a core-dumping signal leaves behind.

Part of the guest kernel's signal delivery (Linux's fs/coredump.c and
fs/binfmt_elf.c elf_core_dump).  The host never dumps a guest's core: the
host RLIMIT_CORE of every guest process is 0, soft and hard (kernel/limits.py),
so the host's core_pattern handler is never reached.  The guest's RLIMIT_CORE
is virtual (Process.core_limit, read and set by getrlimit, setrlimit and
prlimit64: syscalls/rlimit.py), and so are /proc/sys/kernel/core_pattern and
core_uses_pid (CoreSettings, one per sandbox).

When a signal whose default action dumps core is about to be delivered to a
guest thread that has no handler for it (the signal-delivery stop: the
process is stopped, its memory intact), `on_signal` writes the core file
itself, as Linux would, then lets the signal kill the process:

- the name comes from the guest's core_pattern (%p %P %i %I %e %E %t %s %u %g
  %h %c %d %%; core_uses_pid appends .PID), relative to the process's guest
  cwd, resolved by the guest VFS with the process's own root and
  credentials: a core file is only ever written inside the guest's file
  systems, never through a symlink (O_NOFOLLOW, and an existing file is
  unlinked first, as Linux does), and it belongs to the process's fsuid;
- a pattern starting with "|" (a pipe to a helper program, which Linux would
  run as root in the initial namespaces) is kept as written but dumps
  nothing, as if the helper had failed: no file, no WCOREDUMP;
- the file is an ELF ET_CORE: PT_NOTE with NT_PRSTATUS (the dumping
  thread's registers, guest pid, signal), NT_PRPSINFO, NT_SIGINFO, NT_AUXV
  and NT_FILE (mapped files by guest path), then a PT_LOAD per mapping from
  /proc/PID/smaps, its bytes read with process_vm_readv, under Linux's
  default coredump_filter (0x33): anonymous and shared-memory mappings
  whole, a file mapping's pages only where the process wrote to them
  (smaps' Anonymous) or its first page if it is an ELF header;
- it is bounded: never more than the guest's soft RLIMIT_CORE (a dump that
  would exceed it is cut there and, as on Linux, does not count as dumped)
  nor the free space of the file system it goes to (the sandbox's disk
  limit, for the overlay and /tmp);
- then the process's wait status carries WCOREDUMP (0x80): the host's does
  not, so `fix_wait_status` and `fix_waitid_info` add it where a guest
  parent's wait4/waitid reads it (syscalls/thread.py), and on_death where the
  sandbox reports it.

Only the thread that took the signal appears in the core (its registers):
the others keep running until the signal kills them, so their registers
are not read.  The writing blocks the sandbox's stop loop for as long as it
takes to copy the dumped memory (bounded as above).
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import signal
import stat as S
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from umlpy.abi.errno import KernelError
from umlpy.kernel.creds import owned_by_caller, require_dir_change
from umlpy.platform import host

if TYPE_CHECKING:
    from umlpy.kernel.task import Task

CORE_SIGNALS = frozenset({signal.SIGQUIT, signal.SIGILL, signal.SIGTRAP, signal.SIGABRT, signal.SIGBUS,
                          signal.SIGFPE, signal.SIGSEGV, signal.SIGXCPU, signal.SIGXFSZ, signal.SIGSYS})
RLIMIT_CORE = 4
RLIM_INFINITY = (1 << 64) - 1
WCOREFLAG = 0x80
CLD_KILLED, CLD_DUMPED = 2, 3
MIN_COREDUMP = 4096            # binfmt_elf's min_coredump: a smaller limit dumps nothing
PAGE = 4096
CORENAME_MAX = 4096

# ELF constants (<elf.h>)
ET_CORE, EM_X86_64, PT_LOAD, PT_NOTE = 4, 62, 1, 4
NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_SIGINFO, NT_FILE = 1, 3, 6, 0x53494749, 0x46494C45
PF_X, PF_W, PF_R = 1, 2, 4
USER_REGS_SIZE = 27 * 8        # struct user_regs_struct == elf_gregset_t
AT_UID, AT_EUID, AT_GID, AT_EGID = 11, 12, 13, 14


@dataclass
class CoreSettings:
    """The sandbox's /proc/sys/kernel/core_pattern and core_uses_pid.

    `pending` holds the takers of writes to those files not yet read (the
    procfs Sysctl mechanism, fsimpl/procfs/system.py): run before reading."""
    pattern: bytes = b"core"
    uses_pid: int = 0
    pending: list = field(default_factory=list)
    # Guest pids that dumped core lately, for the SIGCHLD their parent may get only
    # after it reaped them (the Process is gone then): see Kernel.translate_siginfo.
    recent: deque = field(default_factory=lambda: deque(maxlen=32))

    def dumped(self, proc, pid: int) -> bool:
        """Did process `pid` (`proc`, None once reaped) dump core?  Asked once per
        death (its SIGCHLD comes once), so the record goes: the pid may be reused."""
        lately = pid in self.recent
        if lately:
            self.recent.remove(pid)
        return proc.core_dumped if proc is not None else lately

    def current(self) -> tuple[bytes, int]:
        for take in list(self.pending):
            take()
        return self.pattern, self.uses_pid

    def set_pattern(self, data: bytes) -> None:
        """A write of core_pattern: up to the first newline, at most CORENAME_MAX-1 bytes."""
        self.pattern = data.split(b"\n", 1)[0].split(b"\0", 1)[0][:CORENAME_MAX - 1]

    def set_uses_pid(self, data: bytes) -> None:
        """A write of core_uses_pid: an integer (proc_dointvec); anything else is ignored."""
        try:
            self.uses_pid = int(data.split(b"\n", 1)[0].strip() or b"x", 0)
        except ValueError:
            pass


# ------------------------------------------------------------ the hook
def on_signal(kernel, task: Task, sig: int) -> None:
    """`sig` is about to be delivered to `task` (a signal-delivery stop): if its
    default action dumps core and the guest's RLIMIT_CORE allows it, write the
    core file now, while the process's memory is intact.  Never raises."""
    if sig not in CORE_SIGNALS:
        return
    proc = task.process
    if proc.core_dumped or not proc.dumpable:
        return                                   # suid_dumpable 0: a non-dumpable process dumps nothing
    handled = host.handled_signals(task.host_tid)
    if handled is None or handled >> (sig - 1) & 1:
        return                                   # a handler (or SIG_IGN): no default action
    limit = proc.core_limit[0]
    if limit < MIN_COREDUMP:
        return
    try:
        proc.core_dumped = write_core(kernel, task, sig, limit)
        if proc.core_dumped:
            kernel.core.recent.append(proc.pid)
    except KernelError as e:
        _note(kernel, task, f"no core dump: {os.strerror(e.errno)} ({e})")
    except OSError as e:
        _note(kernel, task, f"no core dump: {e.strerror}")


def _note(kernel, task: Task, text: str) -> None:
    if getattr(kernel, "tracing", False):
        kernel.trace_line(f"[pid {task.tid}] {text}")


# ------------------------------------------------------------ wait status
def fix_wait_status(task: Task, guest_pid: int, status_ptr: int) -> None:
    """wait4 returned `guest_pid`, whose status the host wrote at `status_ptr`:
    set WCOREDUMP if the guest kernel dumped its core."""
    proc = task.kernel.pidns.processes.get(guest_pid)
    if proc is None or not proc.core_dumped or not status_ptr:
        return
    try:
        status = int.from_bytes(task.read(status_ptr, 4), "little")
        if 0 < status & 0x7F < 0x7F and not status & WCOREFLAG:      # WIFSIGNALED
            task.write(status_ptr, (status | WCOREFLAG).to_bytes(4, "little"))
    except KernelError:
        pass


def fix_waitid_info(task: Task, guest_pid: int, infop: int) -> None:
    """waitid filled siginfo at `infop` for `guest_pid`: CLD_KILLED becomes CLD_DUMPED."""
    proc = task.kernel.pidns.processes.get(guest_pid)
    if proc is None or not proc.core_dumped or not infop:
        return
    try:
        code = int.from_bytes(task.read(infop + 8, 4), "little", signed=True)
        if code == CLD_KILLED:
            task.write(infop + 8, CLD_DUMPED.to_bytes(4, "little"))
    except KernelError:
        pass


# ------------------------------------------------------------ the name
def core_name(kernel, task: Task, sig: int, limit: int) -> str | None:
    """The core file's guest path from core_pattern (None: a pipe pattern, nothing dumped)."""
    pattern, uses_pid = kernel.core.current()
    if pattern.startswith(b"|"):
        return None
    proc, c = task.process, task.process.creds
    comm = (proc.comm or b"").decode(errors="replace").replace("/", "!")
    uts = getattr(getattr(task, "ns", None), "uts", None)
    hostname = uts.hostname if uts is not None else kernel.hostname
    values = {"p": str(proc.pid), "P": str(proc.pid), "i": str(task.tid), "I": str(task.tid),
              "e": comm, "E": proc.exe.replace("/", "!"), "t": str(int(time.time())), "s": str(sig),
              "u": str(c.ruid), "g": str(c.rgid), "h": hostname.replace("/", "!"),
              "c": str(limit), "d": "1", "%": "%"}
    out, seen_pid = [], False
    text = pattern.decode(errors="surrogateescape")
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%" and i + 1 < len(text):
            spec = text[i + 1]
            seen_pid |= spec == "p"
            out.append(values.get(spec, ""))           # an unknown specifier is dropped
            i += 2
            continue
        if ch != "%":                                   # a lone trailing % is dropped too
            out.append(ch)
        i += 1
    name = "".join(out)
    if uses_pid and not seen_pid:
        name += f".{proc.pid}"
    return name or None


# ------------------------------------------------------------ the file
def write_core(kernel, task: Task, sig: int, limit: int) -> bool:
    """Write the core of `task`'s process; True if it was written whole."""
    name = core_name(kernel, task, sig, limit)
    if name is None:
        return False
    hfd = _create(kernel, task, name)
    try:
        st = None
        try:
            st = os.fstatvfs(hfd)
        except OSError:
            pass
        room = st.f_bavail * st.f_frsize if st is not None and st.f_frsize else RLIM_INFINITY
        budget = limit if limit != RLIM_INFINITY else RLIM_INFINITY
        writer = _Writer(hfd, min(budget, room))
        return _dump(kernel, task, sig, writer)
    finally:
        os.close(hfd)


def _create(kernel, task: Task, name: str) -> int:
    """Linux's way: unlink any file of that name, then create it O_EXCL|O_NOFOLLOW, 0600,
    with the dumping process's root, cwd and credentials, inside the guest VFS."""
    vfs = kernel.vfs
    resolve = {"cwd": task.fs.cwd, "root": task.fs.root, "follow": False, "creds": task.creds}
    lk = vfs.resolve(name, **resolve)
    if lk.st is not None:
        if lk.st.is_dir:
            raise KernelError(errno.EISDIR, f"{name} is a directory")
        if lk.mount.readonly:
            raise KernelError(errno.EROFS)
        require_dir_change(task, lk, victim=lk.st)
        lk.mount.fs.unlink(lk.rel)
        lk = vfs.resolve(name, **resolve)
    require_dir_change(task, lk)
    hfd = vfs.open(lk, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    try:
        if not S.S_ISREG(os.fstat(hfd).st_mode):
            raise KernelError(errno.EPERM, "not a regular file")
        owned_by_caller(task, lk)
    except BaseException:
        os.close(hfd)
        raise
    return hfd


class _Writer:
    """Sequential writes to the core file, stopping at `budget` bytes."""

    def __init__(self, fd: int, budget: int) -> None:
        self.fd, self.budget, self.pos, self.full = fd, budget, 0, False

    def write(self, data: bytes) -> bool:
        if self.full:
            return False
        if self.pos + len(data) > self.budget:
            data = data[:max(0, self.budget - self.pos)]
            self.full = True
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, self.pos)
            self.pos += n
            view = view[n:]
        return not self.full

    def skip_to(self, offset: int) -> bool:
        """Zeros (a hole) up to `offset`."""
        if offset > self.budget:
            self.full = True
            return False
        if offset > self.pos:
            os.ftruncate(self.fd, offset)
            self.pos = offset
        return True


# ------------------------------------------------------------ the contents
_SMAPS_HEAD = re.compile(r"^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+([0-9a-f]+):([0-9a-f]+)\s+(\d+)\s*(.*)$")


@dataclass
class _Map:
    start: int
    end: int
    perms: str
    offset: int
    dev: int
    ino: int
    path: str
    anon_kb: int = 0
    dump: int = 0              # bytes of it to write (from start)


def _maps(host_pid: int) -> list[_Map]:
    out: list[_Map] = []
    with open(f"/proc/{host_pid}/smaps", "rb") as f:
        for raw in f.read().decode(errors="surrogateescape").splitlines():
            m = _SMAPS_HEAD.match(raw)
            if m:
                out.append(_Map(int(m[1], 16), int(m[2], 16), m[3], int(m[4], 16),
                                os.makedev(int(m[5], 16), int(m[6], 16)), int(m[7]), m[8]))
            elif raw.startswith("Anonymous:") and out:
                out[-1].anon_kb = int(raw.split()[1])
    return out


def _choose(kernel, task: Task, m: _Map) -> int:
    """How many bytes of mapping `m` to dump (Linux's vma_dump_size, coredump_filter 0x33)."""
    size = m.end - m.start
    if "r" not in m.perms or m.path in ("[vvar]", "[vvar_vclock]", "[vsyscall]"):
        return 0
    if m.path == "[vdso]":
        return size
    shared = m.perms[3] == "s"
    anonymous = m.path == "" or m.path.startswith("[")
    shmem = m.path.startswith(("/memfd:", "/SYSV", "/dev/zero"))
    if anonymous or shmem:
        return size                                  # anonymous private / shared (bits 0, 1)
    if not shared and m.anon_kb:
        return size                                  # a file mapping the process wrote to (anon_vma)
    if m.offset == 0 and not shared:                 # bit 4: ELF headers
        head = kernel.platform.read(task.host_tid, m.start, 4)
        if head == b"\x7fELF":
            return min(PAGE, size)
    return 0


def _guest_path(kernel, m: _Map) -> str | None:
    """The guest path of a mapped host file (as /proc/PID/maps shows it), or None."""
    path = m.path.removesuffix(" (deleted)")
    if not path.startswith("/"):
        return None
    if path.startswith(("/memfd:", "/SYSV", "/dev/zero")):
        return path
    for mnt in kernel.vfs.mounts.mounts:
        fs = mnt.fs
        for layer in (getattr(fs, "upper", None), getattr(fs, "lower", None), fs):
            d = getattr(layer, "host_dir", None)
            if isinstance(d, str) and (path == d or path.startswith(d.rstrip("/") + "/")):
                return (mnt.point.rstrip("/") + path[len(d.rstrip("/")):]) or "/"
    return kernel.vfs.objects.get((m.dev, m.ino))


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def _note_bytes(ntype: int, desc: bytes, name: bytes = b"CORE") -> bytes:
    n = name + b"\0"
    return struct.pack("<III", len(n), len(desc), ntype) + _pad4(n) + _pad4(desc)


def _regs(kernel, tid: int) -> bytes:
    """The stopped thread's struct user_regs_struct (zeros if it cannot be read)."""
    get = getattr(kernel.platform, "regs", None)
    regs = get(tid) if get is not None else None
    if regs is None:
        buf = ctypes.create_string_buffer(USER_REGS_SIZE)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        if libc.ptrace(12, tid, None, buf) == 0:     # PTRACE_GETREGS: we are its tracer
            regs = buf.raw
    return bytes(regs or b"")[:USER_REGS_SIZE].ljust(USER_REGS_SIZE, b"\0")


def _ids(kernel, host_pid: int) -> tuple[int, int]:
    """(process group, session) of host process `host_pid`, as guest ids."""
    out = []
    for get in (os.getpgid, os.getsid):
        try:
            out.append(kernel.pidns.to_guest(get(host_pid)))
        except (OSError, KeyError):
            out.append(0)
    return out[0], out[1]


def _stack_auxv(kernel, task: Task) -> bytes | None:
    """The auxiliary vector as the process's own stack holds it (None if it cannot be found).

    A dynamic guest program runs as "ld.so PROG" (kernel/loader.py): the
    host kernel's copy (/proc/PID/auxv) describes ld.so, and glibc's ld.so
    rewrites the copy on the stack (AT_PHDR, AT_PHNUM, AT_ENTRY: the
    program's) when it runs a program itself.  A debugger needs those to
    find the program's load address in the core.  The stack starts with
    argc, argv, NULL, envp, NULL, then the auxv pairs."""
    read = kernel.platform.read
    try:
        with open(f"/proc/{task.process.host_pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        sp = int(fields[25])                       # startstack: field 28 of stat(5)
    except (OSError, ValueError, IndexError):
        return None
    head = read(task.host_tid, sp, 8)
    if head is None:
        return None
    argc = int.from_bytes(head, "little")
    if argc > 1 << 20:
        return None
    p = sp + 8 * (argc + 2)                        # past argv and its NULL
    for _ in range(1 << 16):                       # past envp and its NULL
        word = read(task.host_tid, p, 8)
        if word is None:
            return None
        p += 8
        if word == b"\0" * 8:
            break
    out = b""
    for _ in range(128):
        pair = read(task.host_tid, p, 16)
        if pair is None:
            return None
        out += pair
        p += 16
        if pair[:8] == b"\0" * 8:                 # AT_NULL
            return out
    return None


def _notes(kernel, task: Task, sig: int, maps: list[_Map]) -> bytes:
    proc = task.process
    c = proc.creds
    ppid = proc.parent.pid if proc.parent is not None else 0
    pgrp, sid = _ids(kernel, proc.host_pid)
    info = kernel.platform.get_siginfo(task.host_tid)
    si_code = int.from_bytes(info[8:12], "little", signed=True) if info else 0
    prstatus = struct.pack("<iiih2xQQiiii64x", sig, si_code, 0, sig, 0, 0, task.tid, ppid, pgrp, sid)
    prstatus += _regs(kernel, task.host_tid) + struct.pack("<i4x", 0)
    args = b" ".join(proc.argv)[:79]
    prpsinfo = struct.pack("<cccb4xQIIiiii16s80s", b"R", b"R", b"\0", 0, 0, c.ruid, c.rgid,
                           proc.pid, ppid, pgrp, sid, (proc.comm or b"")[:15], args)
    notes = _note_bytes(NT_PRSTATUS, prstatus) + _note_bytes(NT_PRPSINFO, prpsinfo)
    if info:
        notes += _note_bytes(NT_SIGINFO, bytes(info[:128]))
    try:
        raw = _stack_auxv(kernel, task)
        if raw is None:
            with open(f"/proc/{proc.host_pid}/auxv", "rb") as f:
                raw = f.read()
        fix = {AT_UID: c.ruid, AT_EUID: c.euid, AT_GID: c.rgid, AT_EGID: c.egid}
        aux = b"".join(struct.pack("<QQ", k, fix.get(k, v))
                       for k, v in struct.iter_unpack("<QQ", raw[:len(raw) // 16 * 16]))
        notes += _note_bytes(NT_AUXV, aux)
    except OSError:
        pass
    files = [(m, g) for m in maps if (g := _guest_path(kernel, m)) is not None]
    desc = struct.pack("<QQ", len(files), PAGE)
    desc += b"".join(struct.pack("<QQQ", m.start, m.end, m.offset // PAGE) for m, _ in files)
    desc += b"".join(os.fsencode(g) + b"\0" for _, g in files)
    notes += _note_bytes(NT_FILE, desc)
    return notes


def _dump(kernel, task: Task, sig: int, w: _Writer) -> bool:
    maps = _maps(task.process.host_pid)
    for m in maps:
        m.dump = _choose(kernel, task, m)
    notes = _notes(kernel, task, sig, maps)
    phnum = 1 + len(maps)
    ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, ET_CORE, EM_X86_64, 1,
                       0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
    note_off = 64 + 56 * phnum
    data_off = -(-(note_off + len(notes)) // PAGE) * PAGE
    phdrs = [struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(notes), 0, 4)]
    off = data_off
    for m in maps:
        flags = (PF_R if "r" in m.perms else 0) | (PF_W if "w" in m.perms else 0) | \
                (PF_X if "x" in m.perms else 0)
        phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, flags, off, m.start, 0, m.dump,
                                 m.end - m.start, PAGE))
        off += m.dump
    if not (w.write(ehdr + b"".join(phdrs) + notes) and w.skip_to(data_off)):
        return False
    for m in maps:
        if m.dump and not _copy(kernel, task, m, w):
            return False
    return True


def _copy(kernel, task: Task, m: _Map, w: _Writer) -> bool:
    """Mapping `m`'s first m.dump bytes into the core; pages that cannot be read are zeros."""
    read = kernel.platform.read
    addr, end = m.start, m.start + m.dump
    chunk = 1 << 20
    while addr < end:
        n = min(chunk, end - addr)
        data = read(task.host_tid, addr, n)
        if data is None or len(data) < n:
            data = b"".join(read(task.host_tid, a, PAGE) or b"\0" * PAGE
                            for a in range(addr, addr + n, PAGE))[:n]
        if not w.write(data):
            return False
        addr += n
    return True
