"""execve: deciding what the host kernel may execute for a guest execve(2).

The host kernel never resolves a guest path and never reads PT_INTERP of a
guest file (a guest-made ELF could name any host file).  So for
execve(path, argv, envp) the guest kernel:
  1. resolves `path` in the guest VFS and opens it itself;
  2. follows `#!` lines (nested, at most 4 levels, like Linux);
  3. checks the ELF header as binfmt_elf does (umlpy/kernel/elf.py): 64-bit,
     x86-64, executable or shared object, not truncated -- else ENOEXEC;
  4. if the program has PT_INTERP, resolves that interpreter (the guest's
     ld.so) in the guest VFS too, and runs it as the program instead, with
     the guest program's path as its argument ("ld.so --argv0 NAME PROG");
  5. hands the one resulting descriptor to execveat(fd, "", AT_EMPTY_PATH).
"""
from __future__ import annotations

import errno
import fcntl
import os
from stat import S_ISREG
from dataclasses import dataclass
from typing import TYPE_CHECKING


from umlpy.abi.errno import KernelError
from umlpy.kernel.creds import X_OK, FileCaps
from umlpy.kernel.elf import read_interp
from umlpy.platform import host

if TYPE_CHECKING:
    from umlpy.kernel.kernel import Kernel
    from umlpy.kernel.task import FsContext, Process

MAX_INTERP_DEPTH = 4
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class ExecPlan:
    """What will really be executed, and what the guest will be told it is."""
    fd: int                         # supervisor fd of the file the host executes
    host_argv: list[bytes]          # argv given to the host execveat
    exe: str                        # guest path of the program (/proc/PID/exe)
    guest_argv: list[bytes]         # argv as the guest sees it (/proc/PID/cmdline)
    name: str = ""                  # the path execve was given: its basename is the comm
    fcaps: FileCaps | None = None   # the program's file capabilities (security.capability)
    ident: tuple[int, int] | None = None   # the program's (dev, ino) as the guest sees it

    def apply(self, proc: "Process") -> None:
        proc.exe = self.exe
        proc.exec_ident = self.ident
        proc.argv = self.guest_argv
        proc.comm = os.fsencode(os.path.basename(self.name or self.exe))[:15]
        # execve(2): "the effective IDs are copied to the saved set-user-ID and
        # saved set-group-ID" (there are no set-id bits to honour here), and the
        # capability sets follow Linux's rules for a file without capabilities
        # (creds.py).  A process whose effective ids are not its real ones stays
        # non-dumpable (begin_new_exec).
        c = proc.creds
        # the exec-ing thread is the only one left (kernel.on_exec): its no_new_privs
        c.on_exec(self.fcaps, no_new_privs=any(t.no_new_privs for t in proc.threads.values()))
        proc.dumpable = c.euid == c.ruid and c.egid == c.rgid


def _read_head(fd: int, n: int = 256) -> bytes:
    return os.pread(fd, n, 0)


_ELF_CACHE: dict[tuple, str | None] = {}


def check_elf(fd: int, path: str) -> str | None:
    """Validate an ELF for x86-64; return its PT_INTERP (or None). ENOEXEC if unfit.

    Verdicts on good files are remembered by inode and change time: any write to the file,
    or any utime() on it, changes its ctime and so forces a new check.
    """
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key in _ELF_CACHE:
        return _ELF_CACHE[key]
    interp = read_interp(fd, path)
    if len(_ELF_CACHE) >= 512:
        del _ELF_CACHE[next(iter(_ELF_CACHE))]
    _ELF_CACHE[key] = interp
    return interp


def _may_exec(st, creds) -> bool:
    """Execute permission for the guest's (virtual) user; root needs any x bit."""
    if creds is None:
        return bool(st.mode & 0o111)
    return creds.permits(st, X_OK)


def _deny_write(fd: int, exe: str) -> None:
    """execve of a file open for writing is ETXTBSY (deny_write_access).  The host
    checks this only for the file it execs itself, and it execs ld.so for a dynamic
    program (or a copy): so ask the host whether any process has the program open for
    writing.  A read lease cannot be taken on such a file (EAGAIN); it is given back at
    once.  Where the supervisor may not take leases (not the owner, no CAP_LEASE),
    the host's own check is all there is."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as e:
        if e.errno == errno.EAGAIN:
            raise KernelError(errno.ETXTBSY, f"{exe} is open for writing") from None
        return
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)


def running_program(kernel: "Kernel", st) -> bool:
    """Is the file `st` (a guest stat) the program of a live guest process?  Then it
    may not be opened for writing or truncated (ETXTBSY), as Linux keeps an executing
    file's writers out; the host cannot tell for a program ld.so mapped."""
    ident = (st.dev, st.ino)
    return any(p.alive and p.exec_ident == ident for p in kernel.pidns.processes.values())


def _open_program(kernel: "Kernel", fs: "FsContext", path: str, creds=None) -> tuple[int, str]:
    fd, lk = _open_program_lookup(kernel, fs, path, creds)
    return fd, lk.path


def _open_program_lookup(kernel: "Kernel", fs: "FsContext", path: str, creds=None):
    """_open_program, with the lookup that found the program (for its xattrs and inode)."""
    lk = kernel.vfs.resolve(path, cwd=fs.cwd, root=fs.root, creds=creds)
    if lk.st is None:
        raise KernelError(errno.ENOENT, f"{path}: no such file")
    if lk.st.is_dir:
        raise KernelError(errno.EACCES, f"{path}: is a directory")
    if not lk.st.is_reg:
        raise KernelError(errno.EACCES, f"{path}: not a regular file")
    if not _may_exec(lk.st, creds):
        raise KernelError(errno.EACCES, f"{path}: not executable")
    fd = kernel.vfs.open(lk, os.O_RDONLY | os.O_CLOEXEC, 0)
    return fd, lk


def _file_caps(kernel: "Kernel", exe: str, lk=None) -> FileCaps | None:
    """The capabilities the program file carries: its security.capability xattr, which
    the guest kernel keeps (never on the host file).  `lk`: exe's lookup, if made."""
    try:
        lk = lk if lk is not None else kernel.vfs.resolve(exe)
        raw = lk.mount.fs.getxattr(lk.rel, "security.capability")
    except KernelError:
        return None                          # none (ENODATA), or no xattrs on that file system
    return FileCaps.parse(raw)


def _search(kernel: "Kernel", fs: "FsContext", name: str, env_path: str | None) -> str:
    if "/" in name:
        return name
    for d in (env_path or DEFAULT_PATH).split(":"):
        cand = (d or ".").rstrip("/") + "/" + name
        try:
            lk = kernel.vfs.resolve(cand, cwd=fs.cwd, root=fs.root)
        except KernelError:
            continue
        if lk.st is not None and lk.st.is_reg and lk.st.mode & 0o111:
            return cand
    raise KernelError(errno.ENOENT, f"{name}: command not found")


def _executable_by_host(fd: int, uid: int) -> bool:
    st = os.fstat(fd)
    if uid == 0:
        return bool(st.st_mode & 0o111)
    if st.st_uid == uid:
        return bool(st.st_mode & 0o100)
    return bool(st.st_mode & 0o001)


def _memfd_copy(fd: int, name: str) -> int:
    """A private executable copy, for files the unprivileged guest host user can't exec."""
    mfd = host.memfd(name)
    os.fchmod(mfd, 0o755)
    off = 0
    while True:
        n = os.sendfile(mfd, fd, off, 1 << 20)
        if n <= 0:
            break
        off += n
    os.close(fd)
    return mfd


def open_anonymous_program(hfd: int, name: str) -> tuple[int, str]:
    """A program the guest names by a descriptor of a file that has no guest path (a
    memfd, say: execveat(fd, "", AT_EMPTY_PATH), or execve("/proc/self/fd/N")).
    `hfd` is the supervisor's duplicate; the same checks as for a path apply:
    a regular file (EACCES) with an x bit (EACCES).  Returns our own descriptor."""
    st = os.fstat(hfd)
    if not S_ISREG(st.st_mode):
        raise KernelError(errno.EACCES, f"{name}: not a regular file")
    if not st.st_mode & 0o111:
        raise KernelError(errno.EACCES, f"{name}: not executable")
    # Re-open rather than dup: our descriptor must have its own offset, and be
    # readable even if the guest's is write-only (Linux execs those too).
    try:
        fd = os.open(f"/proc/self/fd/{hfd}", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise KernelError(e.errno or errno.EACCES, f"{name}: cannot be reopened") from None
    return fd, name


def prepare_exec(kernel: "Kernel", fs: "FsContext", path: str, argv: list[bytes],
                 envp: list[bytes], *, search_path: bool = False,
                 env_path: str | None = None, creds=None,
                 opened: tuple[int, str] | None = None) -> ExecPlan:
    """Resolve, check and plan an execve; raises KernelError with the guest's errno.
    `opened`: the program is this (our fd, name) already (see open_anonymous_program)."""
    if search_path:
        path = _search(kernel, fs, path, env_path)
    name = path
    if not argv:
        argv = [b""]        # Linux >= 5.18: an empty argv becomes one empty string
    guest_argv = list(argv)
    lk = None                                   # the program's lookup, when we made it
    if opened is not None:
        fd, exe = opened
    else:
        fd, lk = _open_program_lookup(kernel, fs, path, creds)
        exe = lk.path
    depth = 0
    fcaps = None
    try:
        while True:
            head = _read_head(fd)
            if head.startswith(b"#!"):
                depth += 1
                if depth > MAX_INTERP_DEPTH:
                    raise KernelError(errno.ELOOP, f"{path}: too many levels of #! interpreters")
                line = head[2:].split(b"\n", 1)[0].strip(b" \t")
                if not line:
                    raise KernelError(errno.ENOEXEC, f"{path}: empty #! line")
                # The interpreter ends at the first blank; the rest is one argument.
                parts = line.replace(b"\t", b" ").split(b" ", 1)
                interp = parts[0]
                arg = line[len(interp):].strip(b" \t")
                # The script is passed by the name execve was given, as on Linux.
                argv = [interp] + ([arg] if arg else []) + [os.fsencode(path)] + argv[1:]
                os.close(fd)
                fd = -1
                fd, lk = _open_program_lookup(kernel, fs, os.fsdecode(interp), creds)
                exe = lk.path
                path = os.fsdecode(interp)
                guest_argv = list(argv)
                continue
            if not head.startswith(b"\x7fELF"):
                raise KernelError(errno.ENOEXEC, f"{path}: not an ELF file or #! script")
            interp = check_elf(fd, exe)
            _deny_write(fd, exe)
            fcaps = _file_caps(kernel, exe, lk) if opened is None or exe != opened[1] else None
            if fcaps is not None and creds is not None and fcaps.refuses(creds):
                raise KernelError(errno.EPERM, f"{exe}: its file capabilities exceed the bounding set")
            break
        if interp is None:
            host_argv = argv
        else:
            try:
                lfd, lpath = _open_program(kernel, fs, interp)
            except KernelError as e:
                # Linux fails the execve with the interpreter's errno (ENOENT
                # for a missing one, the "not found" of shells); the reason
                # names the interpreter, which the guest path alone does not.
                what = "not found" if e.errno == errno.ENOENT else (e.why or os.strerror(e.errno))
                raise KernelError(e.errno, f"{exe}: ELF interpreter {interp}: {what}") from None
            try:
                if check_elf(lfd, lpath) is not None:
                    raise KernelError(errno.ELIBBAD, f"{lpath}: interpreter has an interpreter")
            except KernelError:
                os.close(lfd)
                raise
            os.close(fd)
            fd = lfd
            host_argv = [os.fsencode(lpath), b"--argv0", argv[0] if argv else os.fsencode(exe),
                         os.fsencode(exe)] + argv[1:]
        if not _executable_by_host(fd, kernel.host_uid):
            fd = _memfd_copy(fd, os.path.basename(exe))
        try:
            st = lk.st if lk is not None else kernel.vfs.lstat(exe)   # exe: lk's path, no symlink
            ident = (st.dev, st.ino)
        except KernelError:
            ident = None
        return ExecPlan(fd, host_argv, exe, guest_argv, name, ident=ident, fcaps=fcaps)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise
