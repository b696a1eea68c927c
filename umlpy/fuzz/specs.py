"""What the fuzzer knows about each syscall: the kind of every argument, and the flag sets.

The guest program (guest.c) is a small interpreter of argument *kinds*: it knows how to
make a real descriptor of every sort, a pointer into mapped, read-only, PROT_NONE or
unmapped memory, a guest path from the corpus, a sockaddr, a timespec, ...  This module
says, for each syscall of the table, which kind each argument is, in man-page order:

    "openat": "dirfd path e:open|f:open mode"

A token is a kind (`fd`, `path`, `out`, ...), `e:SET` (one value of SET), `f:SET` (an OR
of a few values of SET) or `s:SET` (a pointer to one string of SET); `A|B` ORs two
tokens.  Every served row of the syscall table (umlpy/syscalls/linux64.py) must have a
spec here, or it is fuzzed from its handler's annotations (Path -> path, Ptr -> any,
int -> int) and the driver says so.  A few native calls are added as *filler*: they
churn the descriptors the served calls work on (dup3 over a pool fd, close, pipe2,
read of a pipe, ...), and in strict mode they stop too.

`render_spec()` writes all of it as the text file the guest reads (`/fz/spec.txt`).
"""
from __future__ import annotations

from dataclasses import dataclass

from umlpy.api import SYSCALL_TABLE

# ------------------------------------------------------------------- argument kinds
# Kinds the guest implements (guest.c, `kind_names`).  One line each, for the docs.
KINDS: dict[str, str] = {
    "fd": "a descriptor of the pool (every sort), sometimes -1, AT_FDCWD, 9999 or INT_MAX",
    "sockfd": "like fd, but a socket of the pool more often than not",
    "dirfd": "AT_FDCWD, a pool descriptor (a directory more often than not) or a bad one",
    "path": "a path of the corpus, maybe mutated; or NULL, unmapped, PROT_NONE, unterminated, too long",
    "out": "an output buffer: own RW memory, read-only, PROT_NONE, unmapped, NULL, straddling, kernel",
    "in": "an input buffer of random bytes, with the same choice of memory",
    "any": "an int or a pointer (ioctl/fcntl third argument)",
    "len": "a buffer length: 0, 1, 8, 64, 4096, 65536, huge, -1",
    "int": "an int: 0, 1, -1, small, INT_MAX, INT_MIN, random",
    "long": "a 64-bit value: 0, small, huge, negative",
    "zero": "0, rarely something else (arguments that must be 0)",
    "mode": "permission bits, sometimes setuid/setgid/sticky, sometimes a file type",
    "uid": "0, 1000, 65534, -1, 2**31, 2**32-2, ...",
    "pid": "0, -1, 1, self, parent, a sibling worker, a dead child, -pgid, 99999, INT_MIN",
    "tracee": "like pid, but never guest init (1), the fuzzer's own watchdog: a worker that attached "
              "to it would freeze the run, as it would on Linux without Yama",
    "sig": "0 or a signal the fuzzer catches or ignores (never a fatal one), or an invalid number",
    "sockaddr": "AF_UNIX (corpus path, abstract, non-UTF-8, unterminated), AF_INET/6, AF_UNSPEC, junk",
    "addrlen": "the length of the last sockaddr, sometimes 0, 1, 2, 110, 128, 1000, -1",
    "lenp": "a pointer to a socklen_t (0, 4, 16, 128, 4096, -1) or a bad pointer",
    "slen": "the length of the last string argument, sometimes off by a lot",
    "timespec": "{0,0}, {0,1ms}, {1,0}, {-1,0}, {0,10**9}; or NULL, a bad pointer",
    "timespec2": "utimensat's pair: UTIME_NOW, UTIME_OMIT, out of range nanoseconds",
    "timeval2": "utimes' pair of timevals",
    "utimbuf": "utime's {actime, modtime}",
    "rlimit": "a struct rlimit (never lowering a limit that would starve the fuzzer itself)",
    "sigset": "a 64-bit signal mask",
    "siginfo": "a siginfo_t with a safe signal and an si_code of any sort",
    "sigevent": "a sigevent (SIGEV_SIGNAL, _NONE, _THREAD_ID with some tid, junk)",
    "caphdr": "a capability header (v1, v2, v3, bad version; pid 0, self, 1, bad)",
    "capdata": "two capability data sets",
    "cpuset": "a CPU mask",
    "schedattr": "a struct sched_attr",
    "gidlist": "an array of gids",
    "iov": "an iovec array whose bases are any of the memory kinds",
    "argv": "an argv: NULL, a bad pointer, a real one, one with a bad element",
    "envp": "an envp, likewise",
    "clone_args": "a struct clone_args (random flags, pidfd/tid pointers, stack, set_tid)",
    "open_how": "a struct open_how (open flags, mode, RESOLVE_* bits)",
}

# -------------------------------------------------------------------- value sets
O = {"O_WRONLY": 1, "O_RDWR": 2, "O_CREAT": 0o100, "O_EXCL": 0o200, "O_NOCTTY": 0o400,
     "O_TRUNC": 0o1000, "O_APPEND": 0o2000, "O_NONBLOCK": 0o4000, "O_DSYNC": 0o10000,
     "O_ASYNC": 0o20000, "O_DIRECT": 0o40000, "O_LARGEFILE": 0o100000, "O_DIRECTORY": 0o200000,
     "O_NOFOLLOW": 0o400000, "O_NOATIME": 0o1000000, "O_CLOEXEC": 0o2000000, "O_SYNC": 0o4010000,
     "O_PATH": 0o10000000, "O_TMPFILE": 0o20200000}

SETS: dict[str, list[int]] = {
    "open": list(O.values()),
    "accmode": [0, 1, 2, 3],
    "access": [1, 2, 4],
    "at": [0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000],
    "statx": [1 << i for i in range(15)] + [0xFFF, 0x80000000],
    "rename": [1, 2, 4],
    "family": [0, 1, 2, 10, 16, 17, 38, 40, 45, 9999],
    "socktype": [1, 2, 3, 4, 5, 6, 10, 15],
    "sockflags": [0o4000, 0o2000000],
    "proto": [0, 1, 6, 17, 132, 255, 0x300],
    "msg": [1, 2, 4, 0x20, 0x40, 0x80, 0x100, 0x4000, 0x8000, 0x20000000, 0x40000000],
    "level": [0, 1, 6, 17, 41, 263, 999],
    "sockopt": [1, 2, 3, 4, 7, 8, 11, 13, 16, 17, 20, 30, 31, 38, 39, 57, 59, 77, 9999],
    "exitsig": [0, 17, 10, 34, 64, 65],
    "clone": [0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x20000,
              0x40000, 0x80000, 0x100000, 0x200000, 0x400000, 0x800000, 0x1000000, 0x2000000,
              0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000, 0x80000000],
    "wait": [1, 2, 4, 8, 0x1000000, 0x20000000, 0x40000000, 0x80000000],
    "idtype": [0, 1, 2, 3, 4, 0xFFFFFFFF],
    "fcntl": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17, 36, 37, 38, 1024, 1025, 1026,
              1030, 1031, 1032, 1033, 1034, 1035, 1036, 9999],
    "ioctl": [0x5401, 0x5402, 0x5403, 0x540E, 0x540F, 0x5410, 0x5411, 0x5412, 0x5413, 0x5414,
              0x541B, 0x5421, 0x5422, 0x5429, 0x5441, 0x5450, 0x5451, 0x5452, 0x80045430,
              0x40045431, 2, 0x80086601, 0x40086602, 0x8912, 0x8913, 0x8915, 0x8933, 0x8905,
              0x8901, 0x8903, 0x8902, 0x8904, 0x40049409, 0xB701, 0xC050FF0B, 0x400454CA,
              0x4B3A, 0xC0185879, 0x125D],
    "mount": [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 2048, 4096, 8192, 16384, 32768, 1 << 16,
              1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 21, 1 << 22, 1 << 23, 1 << 24, 1 << 25,
              0xC0ED0000],
    "umount": [1, 2, 4, 8, 16],
    "xattr": [1, 2, 4],
    "inotify": [1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0xFFF,
                0x1000000, 0x2000000, 0x4000000, 0x10000000, 0x20000000, 0x40000000, 0x80000000],
    "prio_which": [0, 1, 2, 3, 0xFFFFFFFF],
    "nice": [0, 1, 5, 19, 20, 100, 0xFFFFFFFF, 0xFFFFFFEC],
    "policy": [0, 1, 2, 3, 5, 6, 7, 0x40000000, 0xFFFFFFFF],
    "rlimit": list(range(17)) + [0xFFFFFFFF],
    "kcmp": [0, 1, 2, 3, 4, 5, 6, 7, 8],
    "clock": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 0xFFFFFFFA, 0xFFFFFFFE, 0xFFFFFFFF],
    "pidfd": [0, 0o4000, 0o200, 1],
    "dev": [0, 0x103, 0x105, 0x800, 0x501, 0xFFFFFFFF],
    "sigsetsize": [8, 8, 8, 0, 4, 16, 128],
    "csize": [64, 88, 88, 0, 8, 96, 4096],
    "howsize": [24, 24, 24, 0, 8, 16, 32, 4096],
    "iovcnt": [0, 1, 1, 2, 4, 1024, 1025],
    "whence": [0, 1, 2, 3, 4, 5],
    "fdflags": [0o4000, 0o2000000, 0o40000, 1],
    "efd": [1, 0o4000, 0o2000000],
    "flock": [1, 2, 4, 8],
    "how": [0, 1, 2, 3],
    "mfd": [1, 2, 4, 8, 0x10],
    "grnd": [1, 2, 4],
    "falloc": [1, 2, 4, 8, 0x10, 0x20, 0x40],
}

STRINGS: dict[str, list[bytes]] = {
    "fstype": [b"tmpfs", b"proc", b"devtmpfs", b"sysfs", b"ext4", b"bind", b"overlay", b"",
               b"none", b"cgroup2", b"mqueue", b"devpts", b"ramfs", b"9p", b"fuse", b"\xff\xfe"],
    "mntsrc": [b"none", b"tmpfs", b"proc", b"/tmp/fz/d", b"/tmp", b"/", b"/proc/self", b"",
               b"/fzr/d", b"/rw/fz/d", b"/nonexistent", b"/tmp/fz/ln_d", b"/dev/null"],
    "mntdata": [b"", b"size=1M", b"mode=1777", b"size=1G,nr_inodes=10", b"uid=0,gid=0", b"ro",
                b"size=-1", b"hidepid=2", b"mode=99999999", b"x" * 300, b"\xff=\xfe"],
    "xname": [b"user.a", b"user.fuzz", b"security.capability", b"security.selinux",
              b"trusted.overlay.opaque", b"system.posix_acl_access", b"", b"x",
              b"user." + b"n" * 255, b"user.\xff\xfe", b"user.a\x01b"],
    "host": [b"fuzz", b"", b"a" * 64, b"a" * 65, b"\xff\xfe", b"with space", b"dots.and-dash",
             b"x" * 200],
    "memfd": [b"fz", b"", b"a" * 300, b"/slash", b"\xff"],
}

# ---------------------------------------------------------------------- the specs
ISOLATE, RETURNS_FD, MOSTLY_ISOLATE = 1, 2, 4


@dataclass(frozen=True)
class Spec:
    """How to call one syscall: argument kinds, relative weight, and flags."""
    kinds: tuple[str, ...]
    weight: float = 1.0
    flags: int = 0          # ISOLATE: in a throwaway child; MOSTLY_ISOLATE: 9 times in 10; RETURNS_FD: adopt the result


def _s(kinds: str, weight: float = 1.0, flags: int = 0) -> Spec:
    return Spec(tuple(kinds.split()), weight, flags)


_PATH_AT = "dirfd path"
SERVED: dict[str, Spec] = {
    "open": _s("path e:accmode|f:open mode", flags=RETURNS_FD),
    "stat": _s("path out"),
    "fstat": _s("fd out"),
    "lstat": _s("path out"),
    "ioctl": _s("fd e:ioctl any"),
    "access": _s("path f:access"),
    "getpid": _s("", 0.3),
    "socket": _s("e:family e:socktype|f:sockflags e:proto", flags=RETURNS_FD),
    "connect": _s("sockfd sockaddr addrlen"),
    "sendto": _s("sockfd in len f:msg sockaddr addrlen"),
    "bind": _s("sockfd sockaddr addrlen"),
    "getsockname": _s("sockfd out lenp"),
    "getpeername": _s("sockfd out lenp"),
    "socketpair": _s("e:family e:socktype|f:sockflags e:proto out"),
    "getsockopt": _s("sockfd e:level e:sockopt out lenp"),
    "clone": _s("e:exitsig|f:clone out out out out", 0.15, ISOLATE),
    "fork": _s("", 0.1, ISOLATE),
    "vfork": _s("", 0.1, ISOLATE),
    "execve": _s("path argv envp", 0.15, ISOLATE),
    "wait4": _s("pid out f:wait out"),
    "kill": _s("pid sig"),
    "ptrace": _s("int tracee any any"),
    "uname": _s("out"),
    "fcntl": _s("fd e:fcntl any", flags=RETURNS_FD),
    "truncate": _s("path len"),
    "getdents": _s("fd out len"),
    "getcwd": _s("out len"),
    "chdir": _s("path"),
    "fchdir": _s("fd"),
    "rename": _s("path path"),
    "mkdir": _s("path mode"),
    "rmdir": _s("path"),
    "creat": _s("path mode", flags=RETURNS_FD),
    "link": _s("path path"),
    "unlink": _s("path"),
    "symlink": _s("path path"),
    "readlink": _s("path out len"),
    "chmod": _s("path mode"),
    "fchmod": _s("fd mode"),
    "chown": _s("path uid uid"),
    "fchown": _s("fd uid uid"),
    "lchown": _s("path uid uid"),
    "umask": _s("mode"),
    "sysinfo": _s("out"),
    "getuid": _s("", 0.3),
    "getgid": _s("", 0.3),
    "setuid": _s("uid", 0.3, MOSTLY_ISOLATE),
    "setgid": _s("uid", 0.3, MOSTLY_ISOLATE),
    "geteuid": _s("", 0.3),
    "getegid": _s("", 0.3),
    "setpgid": _s("pid pid"),
    "getppid": _s("", 0.3),
    "getpgrp": _s("", 0.3),
    "setsid": _s("", 0.5),
    "setreuid": _s("uid uid", 0.3, MOSTLY_ISOLATE),
    "setregid": _s("uid uid", 0.3, MOSTLY_ISOLATE),
    "getgroups": _s("int out"),
    "setgroups": _s("int gidlist", 0.5, MOSTLY_ISOLATE),
    "setresuid": _s("uid uid uid", 0.3, MOSTLY_ISOLATE),
    "getresuid": _s("out out out"),
    "setresgid": _s("uid uid uid", 0.3, MOSTLY_ISOLATE),
    "getresgid": _s("out out out"),
    "getpgid": _s("pid"),
    "setfsuid": _s("uid", 0.3, MOSTLY_ISOLATE),
    "setfsgid": _s("uid", 0.3, MOSTLY_ISOLATE),
    "getsid": _s("pid"),
    "capget": _s("caphdr out"),
    "capset": _s("caphdr capdata", 1.0, MOSTLY_ISOLATE),
    "rt_sigtimedwait": _s("sigset out timespec e:sigsetsize"),
    "rt_sigqueueinfo": _s("pid sig siginfo"),
    "utime": _s("path utimbuf"),
    "mknod": _s("path mode e:dev"),
    "statfs": _s("path out"),
    "fstatfs": _s("fd out"),
    "getpriority": _s("e:prio_which pid"),
    "setpriority": _s("e:prio_which pid e:nice"),
    "sched_setparam": _s("pid in"),
    "sched_getparam": _s("pid out"),
    "sched_setscheduler": _s("pid e:policy in"),
    "sched_getscheduler": _s("pid"),
    "sched_rr_get_interval": _s("pid out"),
    "chroot": _s("path", 0.3, MOSTLY_ISOLATE),
    "mount": _s("s:mntsrc path s:fstype f:mount s:mntdata"),
    "umount2": _s("path f:umount", 0.5),
    "sethostname": _s("s:host slen"),
    "setdomainname": _s("s:host slen"),
    "gettid": _s("", 0.3),
    "setxattr": _s("path s:xname in len f:xattr"),
    "lsetxattr": _s("path s:xname in len f:xattr"),
    "fsetxattr": _s("fd s:xname in len f:xattr"),
    "getxattr": _s("path s:xname out len"),
    "lgetxattr": _s("path s:xname out len"),
    "fgetxattr": _s("fd s:xname out len"),
    "listxattr": _s("path out len"),
    "llistxattr": _s("path out len"),
    "flistxattr": _s("fd out len"),
    "removexattr": _s("path s:xname"),
    "lremovexattr": _s("path s:xname"),
    "fremovexattr": _s("fd s:xname"),
    "tkill": _s("pid sig"),
    "sched_setaffinity": _s("pid len cpuset"),
    "sched_getaffinity": _s("pid len out"),
    "getdents64": _s("fd out len"),
    "set_tid_address": _s("out", 0.5),
    "timer_create": _s("e:clock sigevent out"),
    "tgkill": _s("pid pid sig"),
    "utimes": _s("path timeval2"),
    "waitid": _s("e:idtype pid out f:wait out"),
    "inotify_add_watch": _s("fd path f:inotify"),
    "openat": _s(f"{_PATH_AT} e:accmode|f:open mode", 2.0, RETURNS_FD),
    "mkdirat": _s(f"{_PATH_AT} mode"),
    "mknodat": _s(f"{_PATH_AT} mode e:dev"),
    "fchownat": _s(f"{_PATH_AT} uid uid f:at"),
    "futimesat": _s(f"{_PATH_AT} timeval2"),
    "newfstatat": _s(f"{_PATH_AT} out f:at", 2.0),
    "unlinkat": _s(f"{_PATH_AT} f:at"),
    "renameat": _s(f"{_PATH_AT} {_PATH_AT}"),
    "linkat": _s(f"{_PATH_AT} {_PATH_AT} f:at"),
    "symlinkat": _s(f"path {_PATH_AT}"),
    "readlinkat": _s(f"{_PATH_AT} out len"),
    "fchmodat": _s(f"{_PATH_AT} mode"),
    "faccessat": _s(f"{_PATH_AT} f:access"),
    "get_robust_list": _s("pid out out"),
    "utimensat": _s(f"{_PATH_AT} timespec2 f:at"),
    "rt_tgsigqueueinfo": _s("pid pid sig siginfo"),
    "prlimit64": _s("pid e:rlimit rlimit out"),
    "process_vm_readv": _s("pid iov e:iovcnt iov e:iovcnt zero"),
    "process_vm_writev": _s("pid iov e:iovcnt iov e:iovcnt zero"),
    "kcmp": _s("pid pid e:kcmp fd fd"),
    "sched_setattr": _s("pid schedattr zero"),
    "sched_getattr": _s("pid out len zero"),
    "renameat2": _s(f"{_PATH_AT} {_PATH_AT} f:rename"),
    "execveat": _s(f"{_PATH_AT} argv envp f:at", 0.15, ISOLATE),
    "statx": _s(f"{_PATH_AT} f:at f:statx out", 2.0),
    "pidfd_send_signal": _s("fd sig siginfo zero"),
    "pidfd_open": _s("pid f:pidfd", flags=RETURNS_FD),
    "clone3": _s("clone_args e:csize", 0.15, ISOLATE),
    "openat2": _s(f"{_PATH_AT} open_how e:howsize", flags=RETURNS_FD),
    "faccessat2": _s(f"{_PATH_AT} f:access f:at"),
    "fchmodat2": _s(f"{_PATH_AT} mode f:at"),
}

# Native calls used as filler: they change the state the served calls see.
FILLER: dict[str, Spec] = {
    "read": _s("fd out len", 0.2),
    "write": _s("fd in len", 0.2),
    "lseek": _s("fd long e:whence", 0.1),
    "close": _s("fd", 0.1),
    "dup": _s("fd", 0.1, RETURNS_FD),
    "dup3": _s("fd fd f:fdflags", 0.2),
    "pipe2": _s("out f:fdflags", 0.1),
    "eventfd2": _s("int f:efd", 0.1, RETURNS_FD),
    "ftruncate": _s("fd len", 0.1),
    "flock": _s("fd f:flock", 0.1),
    "listen": _s("sockfd int", 0.1),
    "accept4": _s("sockfd out lenp f:sockflags", 0.1, RETURNS_FD),
    "shutdown": _s("sockfd e:how", 0.1),
    "memfd_create": _s("s:memfd f:mfd", 0.1, RETURNS_FD),
    "fallocate": _s("fd f:falloc len len", 0.1),
    "getrandom": _s("out len f:grnd", 0.05),
}

# Calls never made from the fuzz loop: they would end or derail the fuzzer itself, not
# test the sandbox (they are native anyway, and tests/test_robustness.py calls them once).
NEVER = {"exit", "exit_group", "rt_sigreturn", "munmap", "mmap", "mprotect", "mremap", "brk",
         "rt_sigaction", "rt_sigprocmask", "sigaltstack", "arch_prctl", "prctl", "seccomp",
         "setrlimit", "set_robust_list", "rseq", "futex", "pause", "rt_sigsuspend"}

DENY_WEIGHT = 0.02


def _from_annotations(params: tuple[tuple[str, str], ...]) -> Spec:
    table = {"Path": "path", "Ptr": "any", "int": "int", "UInt": "int", "Long": "long", "ULong": "long"}
    return Spec(tuple(table.get(ann, "any") for _, ann in params), 1.0)


@dataclass(frozen=True)
class Entry:
    """One syscall the fuzzer makes: number, name, table class, spec, and whether the spec is a guess."""
    nr: int
    name: str
    cls: str
    spec: Spec
    guessed: bool = False


def entries(*, filler: bool = True, deny: bool = True, skip: frozenset[str] = frozenset(),
            only: frozenset[str] = frozenset()) -> list[Entry]:
    """Every call the fuzz loop picks from: the served rows, some native filler, the deny rows
    (less the names in `skip`; only the names in `only`, if it is not empty)."""
    out = []
    for row in SYSCALL_TABLE:
        cls = row.cls.value
        if row.name in skip or (only and row.name not in only):
            continue
        if cls in ("emulate", "rewrite"):
            spec = SERVED.get(row.name)
            out.append(Entry(row.nr, row.name, cls, spec or _from_annotations(row.params), spec is None))
        elif cls == "native" and filler and row.name in FILLER:
            out.append(Entry(row.nr, row.name, cls, FILLER[row.name]))
        elif cls == "deny" and deny:
            out.append(Entry(row.nr, row.name, cls, Spec(("any",) * 6, DENY_WEIGHT)))
    return out


def served_rows() -> dict[int, str]:
    """The rows coverage is counted on: every emulate/rewrite row of the table."""
    return {row.nr: row.name for row in SYSCALL_TABLE if row.cls.value in ("emulate", "rewrite")}


def _check_token(token: str) -> None:
    for part in token.split("|"):
        kind, _, name = part.partition(":")
        if name:
            known = SETS if kind in ("e", "f") else STRINGS if kind == "s" else None
            if known is None or name not in known:
                raise ValueError(f"unknown value set in {token!r}")
        elif part not in KINDS:
            raise ValueError(f"unknown argument kind {part!r}")


def render_spec(es: list[Entry], corpus: list[tuple]) -> str:
    """The text file guest.c reads: value sets, strings, the setup of the corpus, the calls."""
    lines = []
    for name, values in SETS.items():
        lines.append(f"set {name} " + " ".join(f"{v:x}" for v in values))
    for name, strings in STRINGS.items():
        lines.append(f"str {name} " + " ".join(s.hex() or "-" for s in strings))
    for op, *paths in corpus:
        lines.append(op.decode() + " " + " ".join(p.hex() or "-" for p in paths))
    for e in es:
        for token in e.spec.kinds:
            _check_token(token)
        weight = max(1, round(e.spec.weight * 1000))
        lines.append(f"call {e.nr} {e.name} {weight} {e.spec.flags} " + " ".join(e.spec.kinds))
    return "\n".join(lines) + "\n"
