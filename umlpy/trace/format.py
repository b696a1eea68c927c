"""Strace-style formatting of guest syscalls for ``umlpy run --trace``.

One line per syscall, as the *guest* sees it: the caller passes the guest pid and,
through ``strings``, the guest path it resolved, so nothing of the host leaks into
the trace. Syscall names come from the one syscall table (umlpy/syscalls/linux64.py,
numbered by umlpy/abi/numbers.py); argument names and types from python-ptrace's
``SYSCALL_PROTOTYPES`` and, for calls it does not describe, from the annotations of
the table's handlers (Path, int, UInt, Ptr, ...). python-ptrace also gives the
flag and constant tables it already has (open flags, mmap prot, access mode, clone
flags, fcntl/futex/lseek/rlimit/sigprocmask/socket constants, signal names); this
module fixes the few x86-64 prototypes that differ from the generic kernel ones
(mmap, clone), adds the syscalls python-ptrace does not describe (arch_prctl, rseq,
clone3, openat2, io_uring_*, ...) and fills the gaps with small tables of its own
(AT_*, MAP_*, wait options, tty ioctls, ...). Everything is resolved into one
formatter per argument at import, so formatting a call is a dict lookup and one
small function call per argument. Pure Python, no I/O: guest memory is read only
through the ``read_string`` / ``read_bytes`` callables the caller passes; a reader
that returns None (or raises) means a bad pointer, shown as a hex address.
"""

from __future__ import annotations

import errno as _errno
import os
from typing import Callable, Mapping, Sequence

from ptrace.signames import SIGNAMES as _PTRACE_SIGNAMES
from ptrace.syscall.linux_constants import RLIMIT_RESOURCE as _PT_RLIMIT
from ptrace.syscall.linux_constants import SIGPROCMASK_HOW as _PT_SIGPROCMASK_HOW
from ptrace.syscall.linux_constants import SYSCALL_ARG_DICT as _PT_ARG_DICT
from ptrace.syscall.posix_arg import ACCESS_MODE_BITMASK as _PT_ACCESS_MODE
from ptrace.syscall.posix_arg import CLONE_FLAGS_BITMASK as _PT_CLONE_FLAGS
from ptrace.syscall.posix_arg import MMAP_PROT_BITMASK as _PT_MMAP_PROT
from ptrace.syscall.posix_arg import OPEN_FLAGS_BITMASK as _PT_OPEN_FLAGS
from ptrace.syscall.prototypes import SYSCALL_PROTOTYPES as _PT_PROTOTYPES
from ptrace.syscall.socketcall_constants import SOCKET_FAMILY as _PT_SOCKET_FAMILY
from ptrace.syscall.socketcall_constants import SOCKET_TYPE as _PT_SOCKET_TYPE

from umlpy.syscalls.linux64 import TABLE

__all__ = ["syscall_name", "format_call", "format_result", "format_line", "STRING_LIMIT"]

ReadString = Callable[[int], "bytes | None"]
ReadBytes = Callable[[int, int], "bytes | None"]

STRING_LIMIT = 64  # bytes of a string shown before '"...' (strace -s)
ARGV_LIMIT = 32  # argv elements shown before '...'
ENVP_COUNT_LIMIT = 4096  # envp pointers counted for the /* N vars */ comment

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF


def _s32(v: int) -> int:
    v &= _M32
    return v - 0x100000000 if v & 0x80000000 else v


def _s64(v: int) -> int:
    v &= _M64
    return v - 0x10000000000000000 if v >> 63 else v


# --------------------------------------------------------------------------- names

_NAMES: dict[int, str] = {row.nr: row.name for row in TABLE}


def syscall_name(nr: int) -> str:
    """x86-64 syscall name for `nr` ("openat"), or "syscall_NNN" when unknown."""
    name = _NAMES.get(nr)
    return name if name is not None else "syscall_%d" % nr


# --------------------------------------------------------------- prototypes (x86-64)

_PTR = "void *"
_PROTOS: dict[str, tuple] = dict(_PT_PROTOTYPES)
_PROTOS.update({
    # x86-64 differs from the generic prototypes python-ptrace carries
    "mmap": ("long", (("unsigned long", "addr"), ("unsigned long", "len"),
                      ("unsigned long", "prot"), ("unsigned long", "flags"),
                      ("int", "fd"), ("off_t", "off"))),
    "clone": ("long", (("unsigned long", "flags"), (_PTR, "newsp"), ("int *", "parent_tid"),
                       ("int *", "child_tid"), ("unsigned long", "tls"))),
    "lseek": ("long", (("unsigned int", "fd"), ("off_t", "offset"), ("unsigned int", "whence"))),
    "utime": ("long", (("const char *", "filename"), ("struct utimbuf *", "times"))),
    "utimes": ("long", (("const char *", "filename"), ("struct timeval *", "utimes"))),
    "mount": ("long", (("const char *", "dev_name"), ("const char *", "dir_name"),
                       ("const char *", "type"), ("unsigned long", "flags"), (_PTR, "data"))),
    # syscalls python-ptrace does not describe
    "rt_sigreturn": ("long", ()),
    "arch_prctl": ("long", (("int", "option"), ("unsigned long", "addr"))),
    "modify_ldt": ("long", (("int", "func"), (_PTR, "ptr"), ("unsigned long", "bytecount"))),
    "set_thread_area": ("long", (("struct user_desc *", "u_info"),)),
    "get_thread_area": ("long", (("struct user_desc *", "u_info"),)),
    "umount2": ("long", (("const char *", "target"), ("int", "flags"))),
    "iopl": ("long", (("int", "level"),)),
    "rseq": ("long", (("struct rseq *", "rseq"), ("u32", "rseq_len"), ("int", "flags"),
                      ("u32", "sig"))),
    "clone3": ("long", (("struct clone_args *", "uargs"), ("size_t", "size"))),
    "openat2": ("long", (("int", "dfd"), ("const char *", "filename"),
                         ("struct open_how *", "how"), ("size_t", "usize"))),
    "faccessat2": ("long", (("int", "dfd"), ("const char *", "filename"), ("int", "mode"),
                            ("int", "flags"))),
    "fchmodat2": ("long", (("int", "dfd"), ("const char *", "filename"), ("umode_t", "mode"),
                           ("unsigned int", "flags"))),
    "close_range": ("long", (("unsigned int", "fd"), ("unsigned int", "max_fd"),
                             ("unsigned int", "flags"))),
    "pidfd_open": ("long", (("pid_t", "pid"), ("unsigned int", "flags"))),
    "pidfd_getfd": ("long", (("int", "pidfd"), ("int", "fd"), ("unsigned int", "flags"))),
    "pidfd_send_signal": ("long", (("int", "pidfd"), ("int", "sig"), ("siginfo_t *", "info"),
                                   ("unsigned int", "flags"))),
    "io_uring_setup": ("long", (("u32", "entries"), ("struct io_uring_params *", "p"))),
    "io_uring_enter": ("long", (("unsigned int", "fd"), ("u32", "to_submit"),
                                ("u32", "min_complete"), ("u32", "flags"),
                                ("const void *", "argp"), ("size_t", "argsz"))),
    "io_uring_register": ("long", (("unsigned int", "fd"), ("unsigned int", "opcode"),
                                   (_PTR, "arg"), ("unsigned int", "nr_args"))),
    "preadv2": ("long", (("unsigned long", "fd"), ("const struct iovec *", "vec"),
                         ("unsigned long", "vlen"), ("unsigned long", "pos_l"),
                         ("unsigned long", "pos_h"), ("int", "flags"))),
    "pwritev2": ("long", (("unsigned long", "fd"), ("const struct iovec *", "vec"),
                          ("unsigned long", "vlen"), ("unsigned long", "pos_l"),
                          ("unsigned long", "pos_h"), ("int", "flags"))),
    "pkey_mprotect": ("long", (("unsigned long", "start"), ("size_t", "len"),
                               ("unsigned long", "prot"), ("int", "pkey"))),
    "pkey_alloc": ("long", (("unsigned long", "flags"), ("unsigned long", "init_val"))),
    "pkey_free": ("long", (("int", "pkey"),)),
    "io_pgetevents": ("long", (("aio_context_t", "ctx_id"), ("long", "min_nr"), ("long", "nr"),
                               ("struct io_event *", "events"), ("struct timespec *", "timeout"),
                               ("const void *", "usig"))),
    "process_madvise": ("long", (("int", "pidfd"), ("const struct iovec *", "vec"),
                                 ("size_t", "vlen"), ("int", "behavior"),
                                 ("unsigned int", "flags"))),
    "open_tree": ("long", (("int", "dfd"), ("const char *", "filename"), ("unsigned", "flags"))),
    "move_mount": ("long", (("int", "from_dfd"), ("const char *", "from_pathname"),
                            ("int", "to_dfd"), ("const char *", "to_pathname"),
                            ("unsigned int", "flags"))),
    "fsopen": ("long", (("const char *", "fs_name"), ("unsigned int", "flags"))),
    "fsconfig": ("long", (("int", "fd"), ("unsigned int", "cmd"), ("const char *", "key"),
                          ("const void *", "value"), ("int", "aux"))),
    "fsmount": ("long", (("int", "fs_fd"), ("unsigned int", "flags"),
                         ("unsigned int", "attr_flags"))),
    "fspick": ("long", (("int", "dfd"), ("const char *", "path"), ("unsigned int", "flags"))),
    "epoll_pwait2": ("long", (("int", "epfd"), ("struct epoll_event *", "events"),
                              ("int", "maxevents"), ("const struct timespec *", "timeout"),
                              ("const sigset_t *", "sigmask"), ("size_t", "sigsetsize"))),
    "memfd_secret": ("long", (("unsigned int", "flags"),)),
    "process_mrelease": ("long", (("int", "pidfd"), ("unsigned int", "flags"))),
    "futex_waitv": ("long", (("struct futex_waitv *", "waiters"), ("unsigned int", "nr_futexes"),
                             ("unsigned int", "flags"), ("struct timespec *", "timeout"),
                             ("clockid_t", "clockid"))),
    "landlock_create_ruleset": ("long", (("const void *", "attr"), ("size_t", "size"),
                                         ("u32", "flags"))),
    "landlock_restrict_self": ("long", (("int", "ruleset_fd"), ("u32", "flags"))),
    "mseal": ("long", (("unsigned long", "start"), ("size_t", "len"), ("unsigned long", "flags"))),
})

# ------------------------------------------------------------------- value tables


def _bitmask(pairs) -> tuple:
    """(mask, name) pairs, multi-bit masks first so O_TMPFILE beats O_DIRECTORY."""
    return tuple(sorted(pairs, key=lambda p: -bin(p[0]).count("1")))


def _fmt_bits(v: int, table: tuple, zero: str = "0") -> str:
    out = []
    for mask, name in table:
        if v & mask == mask:
            out.append(name)
            v &= ~mask
    if v:
        out.append("%#x" % v)
    return "|".join(out) if out else zero


# open(2) flags: python-ptrace's table, fixed for x86-64 (0o10000 is O_DSYNC;
# O_SYNC and O_TMPFILE are multi-bit).
_OPEN_FLAGS = _bitmask(
    [(m, "O_DSYNC" if n == "O_SYNC" else n) for m, n in _PT_OPEN_FLAGS
     if n not in ("O_WRONLY", "O_RDWR")]
    + [(0o4010000, "O_SYNC")])
_O_ACCMODE = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR", 3: "O_ACCMODE"}
_O_CREAT, _O_TMPFILE = 0o100, 0o20200000
# flags-only variants (pipe2, dup3, ...): no access mode
_FD_FLAGS = _bitmask([(0o2000000, "O_CLOEXEC"), (0o4000, "O_NONBLOCK"), (0o40000, "O_DIRECT")])
_SOCK_FLAGS = ((0o2000000, "SOCK_CLOEXEC"), (0o4000, "SOCK_NONBLOCK"))

_MMAP_PROT = tuple(_PT_MMAP_PROT)
_MAP_TYPE = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}
_MAP_FLAGS = (
    (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"), (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"), (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"), (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
)
_MREMAP_FLAGS = ((1, "MREMAP_MAYMOVE"), (2, "MREMAP_FIXED"), (4, "MREMAP_DONTUNMAP"))
_MADVISE = {0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED",
            4: "MADV_DONTNEED", 8: "MADV_FREE", 9: "MADV_REMOVE", 10: "MADV_DONTFORK",
            11: "MADV_DOFORK", 12: "MADV_MERGEABLE", 13: "MADV_UNMERGEABLE",
            14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 16: "MADV_DONTDUMP", 17: "MADV_DODUMP",
            18: "MADV_WIPEONFORK", 19: "MADV_KEEPONFORK", 20: "MADV_COLD", 21: "MADV_PAGEOUT"}

# access(2): strace order R_OK|W_OK|X_OK
_ACCESS_MODE = tuple(reversed(_PT_ACCESS_MODE))

_AT_FDCWD = -100
_AT_FLAGS = ((0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"), (0x400, "AT_SYMLINK_FOLLOW"),
             (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH"),
             (0x2000, "AT_STATX_FORCE_SYNC"), (0x4000, "AT_STATX_DONT_SYNC"),
             (0x8000, "AT_RECURSIVE"))
_AT_FLAGS_EACCESS = tuple((m, "AT_EACCESS" if m == 0x200 else n) for m, n in _AT_FLAGS)
_RENAME_FLAGS = ((1, "RENAME_NOREPLACE"), (2, "RENAME_EXCHANGE"), (4, "RENAME_WHITEOUT"))

# clone(2): python-ptrace's bits; 0x02000000 is CLONE_NEWCGROUP since Linux 4.6
_CLONE_FLAGS = tuple(
    [(m, "CLONE_NEWCGROUP" if n == "CLONE_STOPPED" else n) for m, n in _PT_CLONE_FLAGS]
    + [(0x1000, "CLONE_PIDFD"), (0x10000000, "CLONE_NEWUSER"), (0x20000000, "CLONE_NEWPID"),
       (0x40000000, "CLONE_NEWNET"), (0x80000000, "CLONE_IO")])

# signals: python-ptrace's names for 1..31, kernel numbering for the RT ones
_SIGNALS: dict[int, str] = {int(k): v for k, v in _PTRACE_SIGNAMES.items() if 0 < int(k) < 32}
_SIGNALS[29] = "SIGIO"  # strace's name (SIGPOLL is the same number)
for _n in range(32, 65):
    _SIGNALS[_n] = "SIGRTMIN" if _n == 32 else "SIGRT_%d" % (_n - 32)

_WAIT_OPTIONS = ((1, "WNOHANG"), (2, "WUNTRACED"), (4, "WEXITED"), (8, "WCONTINUED"),
                 (0x01000000, "WNOWAIT"), (0x20000000, "__WNOTHREAD"), (0x40000000, "__WALL"),
                 (0x80000000, "__WCLONE"))
_WAITID_WHICH = {0: "P_ALL", 1: "P_PID", 2: "P_PGID", 3: "P_PIDFD"}

_FCNTL_CMD = dict(_PT_ARG_DICT["fcntl"]["cmd"])
_FCNTL_CMD.update({10: "F_SETSIG", 11: "F_GETSIG", 15: "F_SETOWN_EX", 16: "F_GETOWN_EX",
                   17: "F_GETOWNER_UIDS", 36: "F_OFD_GETLK", 37: "F_OFD_SETLK",
                   38: "F_OFD_SETLKW", 1024: "F_SETLEASE", 1025: "F_GETLEASE",
                   1026: "F_NOTIFY", 1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ",
                   1032: "F_GETPIPE_SZ", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS"})
# commands that take no third argument (strace omits it): F_GETFD F_GETFL F_GETOWN ...
_FCNTL_NOARG = frozenset((1, 3, 5, 11, 16, 1025, 1032, 1034))

_IOCTL_REQ = {
    0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x5404: "TCSETSF",
    0x5409: "TCSBRK", 0x540A: "TCXONC", 0x540B: "TCFLSH", 0x540C: "TIOCEXCL",
    0x540D: "TIOCNXCL", 0x540E: "TIOCSCTTY", 0x540F: "TIOCGPGRP", 0x5410: "TIOCSPGRP",
    0x5411: "TIOCOUTQ", 0x5412: "TIOCSTI", 0x5413: "TIOCGWINSZ", 0x5414: "TIOCSWINSZ",
    0x541B: "FIONREAD", 0x5421: "FIONBIO", 0x5422: "TIOCNOTTY", 0x5429: "TIOCGSID",
    0x5450: "FIONCLEX", 0x5451: "FIOCLEX", 0x5452: "FIOASYNC",
    0x80045430: "TIOCGPTN", 0x40045431: "TIOCSPTLCK",
}

_SEEK_WHENCE = dict(_PT_ARG_DICT["lseek"]["origin"])
_SEEK_WHENCE.update({3: "SEEK_DATA", 4: "SEEK_HOLE"})

_FUTEX_OPS = dict(_PT_ARG_DICT["futex"]["op"])
_FUTEX_OPS.update({9: "FUTEX_WAIT_BITSET", 10: "FUTEX_WAKE_BITSET", 11: "FUTEX_WAIT_REQUEUE_PI",
                   12: "FUTEX_CMP_REQUEUE_PI", 13: "FUTEX_LOCK_PI2"})

_RLIMIT = dict(_PT_RLIMIT)
_RLIMIT[15] = "RLIMIT_RTTIME"  # python-ptrace calls it RLIMIT_NLIMITS

_SOCKET_FAMILY = dict(_PT_SOCKET_FAMILY)
_SOCKET_FAMILY[1] = "AF_UNIX"
_SOCKET_FAMILY.update({38: "AF_ALG", 40: "AF_VSOCK"})
_SOCKOPT_LEVEL = {0: "SOL_IP", 1: "SOL_SOCKET", 6: "SOL_TCP", 17: "SOL_UDP", 41: "SOL_IPV6"}
_SOCKOPT_NAME = {
    1: {1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE",
        6: "SO_BROADCAST", 7: "SO_SNDBUF", 8: "SO_RCVBUF", 9: "SO_KEEPALIVE",
        10: "SO_OOBINLINE", 12: "SO_PRIORITY", 13: "SO_LINGER", 15: "SO_REUSEPORT",
        16: "SO_PASSCRED", 17: "SO_PEERCRED", 18: "SO_RCVLOWAT", 19: "SO_SNDLOWAT",
        20: "SO_RCVTIMEO_OLD", 21: "SO_SNDTIMEO_OLD", 30: "SO_ACCEPTCONN", 38: "SO_PROTOCOL",
        39: "SO_DOMAIN"},
    0: {1: "IP_TOS", 2: "IP_TTL", 3: "IP_HDRINCL", 4: "IP_OPTIONS", 8: "IP_RECVOPTS",
        11: "IP_MTU_DISCOVER", 32: "IP_MULTICAST_IF", 33: "IP_MULTICAST_TTL",
        34: "IP_MULTICAST_LOOP", 35: "IP_ADD_MEMBERSHIP"},
    6: {1: "TCP_NODELAY", 2: "TCP_MAXSEG", 3: "TCP_CORK", 4: "TCP_KEEPIDLE",
        5: "TCP_KEEPINTVL", 6: "TCP_KEEPCNT", 9: "TCP_DEFER_ACCEPT", 11: "TCP_INFO",
        12: "TCP_QUICKACK", 13: "TCP_CONGESTION", 23: "TCP_FASTOPEN"},
    41: {16: "IPV6_UNICAST_HOPS", 26: "IPV6_V6ONLY"},
}
_SHUTDOWN_HOW = {0: "SHUT_RD", 1: "SHUT_WR", 2: "SHUT_RDWR"}
_MSG_FLAGS = ((1, "MSG_OOB"), (2, "MSG_PEEK"), (4, "MSG_DONTROUTE"), (0x20, "MSG_TRUNC"),
              (0x40, "MSG_DONTWAIT"), (0x80, "MSG_EOR"), (0x100, "MSG_WAITALL"),
              (0x4000, "MSG_NOSIGNAL"), (0x8000, "MSG_MORE"), (0x40000000, "MSG_CMSG_CLOEXEC"))

_CLOCKS = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID",
           3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE",
           6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME", 8: "CLOCK_REALTIME_ALARM",
           9: "CLOCK_BOOTTIME_ALARM", 11: "CLOCK_TAI"}
_TIMER_FLAGS = ((1, "TIMER_ABSTIME"),)
_ARCH_PRCTL = {0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS",
               0x1004: "ARCH_GET_GS", 0x1011: "ARCH_GET_CPUID", 0x1012: "ARCH_SET_CPUID"}
_PRCTL = {1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 3: "PR_GET_DUMPABLE",
          4: "PR_SET_DUMPABLE", 8: "PR_SET_KEEPCAPS", 15: "PR_SET_NAME", 16: "PR_GET_NAME",
          21: "PR_GET_SECCOMP", 22: "PR_SET_SECCOMP", 23: "PR_CAPBSET_READ",
          29: "PR_SET_TIMERSLACK", 35: "PR_SET_MM", 36: "PR_SET_CHILD_SUBREAPER",
          37: "PR_GET_CHILD_SUBREAPER", 38: "PR_SET_NO_NEW_PRIVS", 39: "PR_GET_NO_NEW_PRIVS",
          47: "PR_CAP_AMBIENT", 0x59616D61: "PR_SET_PTRACER", 0x53564D41: "PR_SET_VMA"}
_SECCOMP_OP = {0: "SECCOMP_SET_MODE_STRICT", 1: "SECCOMP_SET_MODE_FILTER",
               2: "SECCOMP_GET_ACTION_AVAIL", 3: "SECCOMP_GET_NOTIF_SIZES"}
_EPOLL_CTL = {1: "EPOLL_CTL_ADD", 2: "EPOLL_CTL_DEL", 3: "EPOLL_CTL_MOD"}
_FLOCK_OP = ((1, "LOCK_SH"), (2, "LOCK_EX"), (4, "LOCK_NB"), (8, "LOCK_UN"))
_GETRANDOM_FLAGS = ((1, "GRND_NONBLOCK"), (2, "GRND_RANDOM"), (4, "GRND_INSECURE"))
_MFD_FLAGS = ((1, "MFD_CLOEXEC"), (2, "MFD_ALLOW_SEALING"), (4, "MFD_HUGETLB"),
              (8, "MFD_NOEXEC_SEAL"), (0x10, "MFD_EXEC"))
_CLOSE_RANGE_FLAGS = ((2, "CLOSE_RANGE_UNSHARE"), (4, "CLOSE_RANGE_CLOEXEC"))
_ITIMER = {0: "ITIMER_REAL", 1: "ITIMER_VIRTUAL", 2: "ITIMER_PROF"}
_RUSAGE_WHO = {0: "RUSAGE_SELF", -1: "RUSAGE_CHILDREN", 1: "RUSAGE_THREAD"}
_PRIO_WHICH = {0: "PRIO_PROCESS", 1: "PRIO_PGRP", 2: "PRIO_USER"}
_SCHED_POLICY = {0: "SCHED_OTHER", 1: "SCHED_FIFO", 2: "SCHED_RR", 3: "SCHED_BATCH",
                 5: "SCHED_IDLE", 6: "SCHED_DEADLINE"}
_S_IFMT = {0o140000: "S_IFSOCK", 0o120000: "S_IFLNK", 0o100000: "S_IFREG", 0o060000: "S_IFBLK",
           0o040000: "S_IFDIR", 0o020000: "S_IFCHR", 0o010000: "S_IFIFO"}

# ------------------------------------------------------------------ string quoting

_ESCAPES = []
for _b in range(256):
    if _b == 0x22:
        _ESCAPES.append('\\"')
    elif _b == 0x5C:
        _ESCAPES.append("\\\\")
    elif 0x20 <= _b < 0x7F:
        _ESCAPES.append(chr(_b))
    else:
        _ESCAPES.append({9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}.get(_b, "\\x%02x" % _b))
_ESCAPES = tuple(_ESCAPES)
_PLAIN = bytes(b for b in range(0x20, 0x7F) if b not in (0x22, 0x5C))


def _quote(data: bytes, limit: int = STRING_LIMIT, more: bool = False) -> str:
    """strace quoting: '"text"', '"first 64 bytes"...' when cut (or `more`)."""
    if len(data) > limit:
        data, more = data[:limit], True
    if not data.translate(None, _PLAIN):
        text = data.decode("ascii")
    else:
        esc = _ESCAPES
        text = "".join([esc[b] for b in data])
    return '"%s"...' % text if more else '"%s"' % text


def _quote_str(s: str) -> str:
    return _quote(os.fsencode(s))


def _read_cstring(rs, addr: int):
    if rs is None:
        return None
    try:
        data = rs(addr)
    except Exception:  # a failing reader is a bad pointer
        return None
    if data is None:
        return None
    nul = data.find(b"\0")
    return data[:nul] if nul >= 0 else data


def _read_mem(rb, addr: int, size: int):
    if rb is None:
        return None
    try:
        data = rb(addr, size)
    except Exception:
        return None
    if data is None or len(data) < size:
        return None
    return data


# -------------------------------------------------------------- argument formatters
# Each formatter: f(value, args, read_string, read_bytes) -> str


def _f_int(v, a, rs, rb):
    return str(_s32(v))


def _f_long(v, a, rs, rb):
    return str(_s64(v))


def _f_uint(v, a, rs, rb):
    return str(v & _M32)


def _f_ulong(v, a, rs, rb):
    return str(v & _M64)


def _f_hex(v, a, rs, rb):
    v &= _M64
    return "%#x" % v if v else "0"


def _f_ptr(v, a, rs, rb):
    v &= _M64
    return "%#x" % v if v else "NULL"


def _f_dirfd(v, a, rs, rb):
    v = _s32(v)
    return "AT_FDCWD" if v == _AT_FDCWD else str(v)


def _f_str(v, a, rs, rb):
    v &= _M64
    if not v:
        return "NULL"
    data = _read_cstring(rs, v)
    return "%#x" % v if data is None else _quote(data)


def _f_mode(v, a, rs, rb):
    v &= _M32
    fmt = _S_IFMT.get(v & 0o170000)
    perm = v & ~0o170000
    text = "0%o" % perm if perm else "000"
    if fmt:
        return fmt if not perm and v & 0o170000 == v else "%s|%s" % (fmt, text)
    return text


def _f_signal(v, a, rs, rb):
    v = _s32(v)
    return _SIGNALS.get(v) or str(v)


def _f_open_flags(v, a, rs, rb):
    v &= _M32
    acc = _O_ACCMODE[v & 3]
    rest = v & ~3
    return acc if not rest else acc + "|" + _fmt_bits(rest, _OPEN_FLAGS)


def _f_access(v, a, rs, rb):
    return _fmt_bits(v & _M32, _ACCESS_MODE, "F_OK")


def _f_mmap_prot(v, a, rs, rb):
    return _fmt_bits(v & _M64, _MMAP_PROT, "PROT_NONE")


def _f_mmap_flags(v, a, rs, rb):
    v &= _M64
    kind = _MAP_TYPE.get(v & 0xF)
    if kind is None:
        return _fmt_bits(v, _MAP_FLAGS)
    rest = v & ~0xF
    return kind if not rest else kind + "|" + _fmt_bits(rest, _MAP_FLAGS)


def _f_clone_flags(v, a, rs, rb):
    v &= _M64
    sig = v & 0xFF
    text = _fmt_bits(v & ~0xFF, _CLONE_FLAGS, "")
    if sig:
        signame = _SIGNALS.get(sig, str(sig))
        text = text + "|" + signame if text else signame
    return text or "0"


def _f_sock_type(v, a, rs, rb):
    v &= _M32
    base = _PT_SOCKET_TYPE.get(v & 0xF, str(v & 0xF))
    rest = v & ~0xF
    return base if not rest else base + "|" + _fmt_bits(rest, _SOCK_FLAGS)


def _f_futex_op(v, a, rs, rb):
    v &= _M32
    text = _FUTEX_OPS.get(v & 0x7F, str(v & 0x7F))
    if v & 128:
        text += "_PRIVATE"
    if v & 256:
        text += "|FUTEX_CLOCK_REALTIME"
    rest = v & ~0x1FF
    return text + "|%#x" % rest if rest else text


def _f_ioctl_req(v, a, rs, rb):
    v &= _M32
    return _IOCTL_REQ.get(v) or "%#x" % v


def _f_fcntl_cmd(v, a, rs, rb):
    v &= _M32
    return _FCNTL_CMD.get(v) or str(v)


def _f_fcntl_arg(v, a, rs, rb):
    cmd = a[1] & _M32
    if cmd == 2:  # F_SETFD
        return "FD_CLOEXEC" if v & _M32 == 1 else str(_s32(v))
    if cmd == 4:  # F_SETFL
        return _fmt_bits(v & _M32 & ~3, _OPEN_FLAGS)
    if cmd in (0, 1030, 6, 10, 1024, 1026, 1031, 1033):  # plain ints
        return str(_s32(v))
    return _f_ptr(v, a, rs, rb)


def _f_sigprocmask_set(v, a, rs, rb):
    """rt_sigprocmask's input set as strace shows it: [INT TERM] / ~[KILL STOP]."""
    v &= _M64
    if not v:
        return "NULL"
    data = _read_mem(rb, v, 8)
    if data is None:
        return "%#x" % v
    mask = int.from_bytes(data, "little")
    inverted = bin(mask).count("1") > 32
    if inverted:
        mask = ~mask & _M64
    names = [_SIGNALS[i + 1][3:] for i in range(64) if mask >> i & 1]
    return ("~[%s]" if inverted else "[%s]") % " ".join(names)


def _read_ptr_array(rb, addr: int, limit: int):
    """Pointers of a NULL-terminated array, at most `limit`; (ptrs, truncated) or None."""
    ptrs = []
    while len(ptrs) < limit:
        raw = _read_mem(rb, addr + 8 * len(ptrs), 8)
        if raw is None:
            return None
        p = int.from_bytes(raw, "little")
        if not p:
            return ptrs, False
        ptrs.append(p)
    return ptrs, True


def _f_argv(v, a, rs, rb):
    v &= _M64
    if not v:
        return "NULL"
    got = _read_ptr_array(rb, v, ARGV_LIMIT)
    if got is None:
        return "%#x" % v
    ptrs, truncated = got
    items = [_f_str(p, a, rs, rb) for p in ptrs]
    if truncated:
        items.append("...")
    return "[%s]" % ", ".join(items)


def _f_envp(v, a, rs, rb):
    v &= _M64
    if not v:
        return "NULL"
    got = _read_ptr_array(rb, v, ENVP_COUNT_LIMIT)
    if got is None:
        return "%#x" % v
    n = len(got[0])
    return "%#x /* %d%s var%s */" % (v, n, "+" if got[1] else "", "" if n == 1 else "s")


def _buffer(count_index: int):
    """Input buffer with a length argument (write, pwrite64): its bytes, quoted."""
    def f(v, a, rs, rb):
        v &= _M64
        if not v:
            return "NULL"
        count = a[count_index] & _M64
        want = min(count, STRING_LIMIT)
        data = _read_mem(rb, v, want) if want else b""
        if data is None:
            return "%#x" % v
        return _quote(data, STRING_LIMIT, count > want)
    return f


def _f_sockopt_name(v, a, rs, rb):
    names = _SOCKOPT_NAME.get(_s32(a[1]), {})
    v = _s32(v)
    return names.get(v) or str(v)


def _bits(table, zero="0", mask=_M64):
    def f(v, a, rs, rb):
        return _fmt_bits(v & mask, table, zero)
    return f


def _enum(table, signed=True):
    def f(v, a, rs, rb):
        v = _s32(v) if signed else v & _M64
        name = table.get(v)
        return name if name is not None else str(v)
    return f


def _enum_hex(table):
    def f(v, a, rs, rb):
        v &= _M64
        name = table.get(v)
        return name if name is not None else "%#x" % v
    return f


# ------------------------------------------------------- type/name -> formatter rules

_SIGNED32_TYPES = {"int", "pid_t", "__s32", "key_t", "mqd_t", "uid_t", "gid_t", "old_uid_t",
                   "old_gid_t", "qid_t", "key_serial_t", "timer_t"}
_SIGNED64_TYPES = {"long", "off_t", "loff_t"}
_UNSIGNED32_TYPES = {"unsigned int", "unsigned", "u32", "__u32"}
_UNSIGNED64_TYPES = {"unsigned long", "size_t", "u64", "aio_context_t", "socklen_t"}
_FD_NAMES = {"fd", "oldfd", "newfd", "fildes", "sockfd", "epfd", "ufd", "fd_in", "fd_out",
             "in_fd", "out_fd", "fdin", "fdout", "mount_fd", "group_fd", "kernel_fd",
             "initrd_fd", "fanotify_fd", "pidfd", "fs_fd", "ruleset_fd"}
_DIRFD_NAMES = {"dfd", "dirfd", "olddfd", "newdfd", "from_dfd", "to_dfd"}
_ADDR_NAMES = {"addr", "start", "brk", "new_addr", "entry", "newsp"}
_SIGNAL_NAMES = {"sig", "signum"}

# per syscall, per argument name
_BY_ARG: dict[str, dict[str, Callable]] = {
    "open": {"flags": _f_open_flags},
    "openat": {"flags": _f_open_flags},
    "mq_open": {"oflag": _f_open_flags},
    "open_by_handle_at": {"flags": _f_open_flags},
    "access": {"mode": _f_access},
    "faccessat": {"mode": _f_access},
    "faccessat2": {"mode": _f_access, "flags": _bits(_AT_FLAGS_EACCESS)},
    "newfstatat": {"flag": _bits(_AT_FLAGS)},
    "fstatat": {"flag": _bits(_AT_FLAGS)},
    "unlinkat": {"flag": _bits(_AT_FLAGS)},
    "fchownat": {"flag": _bits(_AT_FLAGS)},
    "utimensat": {"flags": _bits(_AT_FLAGS)},
    "statx": {"flags": _bits(_AT_FLAGS), "mask": _f_hex},
    "linkat": {"flags": _bits(_AT_FLAGS)},
    "execveat": {"flags": _bits(_AT_FLAGS), "argv": _f_argv, "envp": _f_envp},
    "name_to_handle_at": {"flag": _bits(_AT_FLAGS)},
    "fchmodat2": {"flags": _bits(_AT_FLAGS)},
    "open_tree": {"flags": _bits(_AT_FLAGS)},
    "renameat2": {"flags": _bits(_RENAME_FLAGS)},
    "execve": {"argv": _f_argv, "envp": _f_envp},
    "mmap": {"prot": _f_mmap_prot, "flags": _f_mmap_flags, "off": _f_hex},
    "mprotect": {"prot": _f_mmap_prot},
    "pkey_mprotect": {"prot": _f_mmap_prot},
    "mremap": {"flags": _bits(_MREMAP_FLAGS)},
    "madvise": {"behavior": _enum(_MADVISE)},
    "process_madvise": {"behavior": _enum(_MADVISE)},
    "clone": {"flags": _f_clone_flags},
    "unshare": {"unshare_flags": _bits(_CLONE_FLAGS)},
    "setns": {"nstype": _bits(_CLONE_FLAGS)},
    "rt_sigprocmask": {"how": _enum(_PT_SIGPROCMASK_HOW), "set": _f_sigprocmask_set},
    "wait4": {"options": _bits(_WAIT_OPTIONS, mask=_M32)},
    "waitid": {"which": _enum(_WAITID_WHICH), "options": _bits(_WAIT_OPTIONS, mask=_M32)},
    "fcntl": {"cmd": _f_fcntl_cmd, "arg": _f_fcntl_arg},
    "ioctl": {"cmd": _f_ioctl_req, "arg": _f_hex},
    "lseek": {"whence": _enum(_SEEK_WHENCE)},
    "futex": {"op": _f_futex_op},
    "getrlimit": {"resource": _enum(_RLIMIT)},
    "setrlimit": {"resource": _enum(_RLIMIT)},
    "prlimit64": {"resource": _enum(_RLIMIT)},
    "socket": {"domain": _enum(_SOCKET_FAMILY), "type": _f_sock_type},
    "socketpair": {"domain": _enum(_SOCKET_FAMILY), "type": _f_sock_type},
    "accept4": {"flags": _bits(_SOCK_FLAGS)},
    "getsockopt": {"level": _enum(_SOCKOPT_LEVEL), "optname": _f_sockopt_name},
    "setsockopt": {"level": _enum(_SOCKOPT_LEVEL), "optname": _f_sockopt_name},
    "shutdown": {"how": _enum(_SHUTDOWN_HOW)},
    "sendto": {"flags": _bits(_MSG_FLAGS)},
    "recvfrom": {"flags": _bits(_MSG_FLAGS)},
    "sendmsg": {"flags": _bits(_MSG_FLAGS)},
    "recvmsg": {"flags": _bits(_MSG_FLAGS)},
    "sendmmsg": {"flags": _bits(_MSG_FLAGS)},
    "recvmmsg": {"flags": _bits(_MSG_FLAGS)},
    "pipe2": {"flags": _bits(_FD_FLAGS)},
    "dup3": {"flags": _bits(_FD_FLAGS)},
    "eventfd2": {"flags": _bits(_FD_FLAGS)},
    "inotify_init1": {"flags": _bits(_FD_FLAGS)},
    "epoll_create1": {"flags": _bits(_FD_FLAGS)},
    "signalfd4": {"flags": _bits(_FD_FLAGS)},
    "timerfd_create": {"flags": _bits(_FD_FLAGS), "clockid": _enum(_CLOCKS)},
    "pidfd_open": {"flags": _bits(((0o4000, "PIDFD_NONBLOCK"),))},
    "memfd_create": {"flags": _bits(_MFD_FLAGS)},
    "close_range": {"flags": _bits(_CLOSE_RANGE_FLAGS)},
    "getrandom": {"flags": _bits(_GETRANDOM_FLAGS)},
    "epoll_ctl": {"op": _enum(_EPOLL_CTL)},
    "flock": {"cmd": _bits(_FLOCK_OP)},
    "clock_nanosleep": {"flags": _bits(_TIMER_FLAGS)},
    "timer_settime": {"flags": _bits(_TIMER_FLAGS)},
    "timerfd_settime": {"flags": _bits(_TIMER_FLAGS)},
    "arch_prctl": {"option": _enum_hex(_ARCH_PRCTL), "addr": _f_hex},
    "prctl": {"option": _enum(_PRCTL), "arg2": _f_hex, "arg3": _f_hex, "arg4": _f_hex,
              "arg5": _f_hex},
    "seccomp": {"op": _enum(_SECCOMP_OP), "flags": _f_hex},
    "getitimer": {"which": _enum(_ITIMER)},
    "setitimer": {"which": _enum(_ITIMER)},
    "getrusage": {"who": _enum(_RUSAGE_WHO)},
    "getpriority": {"which": _enum(_PRIO_WHICH)},
    "setpriority": {"which": _enum(_PRIO_WHICH)},
    "sched_setscheduler": {"policy": _enum(_SCHED_POLICY)},
    "sched_get_priority_max": {"policy": _enum(_SCHED_POLICY)},
    "sched_get_priority_min": {"policy": _enum(_SCHED_POLICY)},
    "umask": {"mask": _f_mode},
    "write": {"buf": _buffer(2)},
    "pwrite64": {"buf": _buffer(2)},
    "mq_timedsend": {"msg_ptr": _buffer(2)},
    "rseq": {"sig": _f_hex},
    "personality": {"personality": _f_hex},
}


def _arg_formatter(sysname: str, argtype: str, argname: str) -> Callable:
    special = _BY_ARG.get(sysname)
    if special is not None and argname in special:
        return special[argname]
    t = argtype[6:] if argtype.startswith("const ") else argtype
    if argname in _SIGNAL_NAMES and t == "int":
        return _f_signal
    if argname in _DIRFD_NAMES:
        return _f_dirfd
    if argname in _FD_NAMES:
        return _f_int
    if t == "char *" and argtype.startswith("const "):
        return _f_str
    if argtype.rstrip().endswith("*") or t in ("cap_user_header_t", "cap_user_data_t",
                                                "__sighandler_t"):
        return _f_ptr
    if argname in _ADDR_NAMES:
        return _f_ptr
    if t == "umode_t":
        return _f_mode
    if t == "clockid_t":
        return _enum(_CLOCKS)
    if t in _SIGNED32_TYPES:
        return _f_int
    if t in _SIGNED64_TYPES:
        return _f_long
    if t in _UNSIGNED32_TYPES:
        return _f_uint
    if t in _UNSIGNED64_TYPES:
        return _f_ulong
    return _f_hex


# how many arguments strace shows when it depends on the others
def _nargs_open(flag_index: int):
    def n(args):
        return flag_index + 2 if args[flag_index] & (_O_CREAT | _O_TMPFILE) else flag_index + 1
    return n


def _nargs_fcntl(args):
    return 2 if (args[1] & _M32) in _FCNTL_NOARG else 3


_NARGS = {"open": _nargs_open(1), "openat": _nargs_open(2), "fcntl": _nargs_fcntl}

_HEX_RESULT = {"mmap", "mremap", "brk", "shmat"}
_NO_RETURN = {"exit", "exit_group"}

def _from_annotations(params) -> tuple:
    """Formatters from a handler's parameter annotations (python-ptrace has no prototype)."""
    if not params:
        return (_f_hex,) * 6
    kinds = {"Path": _f_str, "int": _f_int, "UInt": _f_uint, "Long": _f_long, "ULong": _f_ulong,
             "Ptr": _f_ptr}
    return tuple(kinds.get(ann, _f_hex) for _, ann in params)


# nr -> (name, formatters, nargs function or None)
_ENTRIES: dict[int, tuple] = {}
for _nr, _name in _NAMES.items():
    _proto = _PROTOS.get(_name)
    if _proto is None:
        _fmts = _from_annotations(TABLE.lookup(_nr).params)
    else:
        _fmts = tuple(_arg_formatter(_name, t, n) for t, n in _proto[1])[:6]
    _ENTRIES[_nr] = (_name, _fmts, _NARGS.get(_name))
_HEX_RESULT_NRS = frozenset(nr for nr, n in _NAMES.items() if n in _HEX_RESULT)
_NO_RETURN_NRS = frozenset(nr for nr, n in _NAMES.items() if n in _NO_RETURN)

# ----------------------------------------------------------------------- results

_ERRNO_NAME_FIX = {35: "EDEADLK", 95: "EOPNOTSUPP", 11: "EAGAIN"}
_ERRORS: dict[int, str] = {}
for _e, _ename in _errno.errorcode.items():
    _ERRORS[_e] = " = -1 %s (%s)" % (_ERRNO_NAME_FIX.get(_e, _ename), os.strerror(_e))
# kernel-internal restart codes: the syscall is restarted, the guest never sees them
for _e, _ename, _etext in ((512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"),
                           (513, "ERESTARTNOINTR", "To be restarted"),
                           (514, "ERESTARTNOHAND", "To be restarted if no handler"),
                           (515, "ENOIOCTLCMD", "Unknown ioctl"),
                           (516, "ERESTART_RESTARTBLOCK", "Interrupted by signal")):
    _ERRORS[_e] = " = ? %s (%s)" % (_ename, _etext)


def format_result(nr: int, result: int | None) -> str:
    """' = 3', ' = -1 ENOENT (No such file or directory)', ' = 0x7f..' for mmap/brk/...,
    ' = ?' for exit/exit_group (and when `result` is None). `result` is rax, raw
    (unsigned 64-bit) or already signed."""
    if result is None or nr in _NO_RETURN_NRS:
        return " = ?"
    r = _s64(result)
    if -4096 < r < 0:
        text = _ERRORS.get(-r)
        return text if text is not None else " = -1 E%d (Unknown error %d)" % (-r, -r)
    if nr in _HEX_RESULT_NRS:
        return " = %#x" % (r & _M64)
    return " = %d" % r


# -------------------------------------------------------------------------- calls


def format_call(pid: int, nr: int, args: Sequence[int], *,
                read_string: ReadString | None = None,
                strings: Mapping[int, str] | None = None,
                read_bytes: ReadBytes | None = None) -> str:
    """'[pid 3] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)', without the result.

    `args` are the six raw argument registers. `read_string(addr)` returns the guest
    NUL-terminated string at addr (None on a bad pointer); `strings` maps an argument
    index to an already-resolved guest string shown instead of reading memory;
    `read_bytes(addr, n)` reads guest memory for execve's argv, write's buffer and
    sigsets (without it those show as hex pointers)."""
    if len(args) < 6:
        args = tuple(args) + (0,) * (6 - len(args))
    entry = _ENTRIES.get(nr)
    if entry is None:
        return "[pid %d] syscall_%d(%s)" % (pid, nr, ", ".join(["%#x" % (v & _M64) for v in args[:6]]))
    name, fmts, nargs = entry
    n = len(fmts) if nargs is None else nargs(args)
    if strings:
        parts = [_quote_str(strings[i]) if i in strings else fmts[i](args[i], args, read_string, read_bytes)
                 for i in range(n)]
    else:
        parts = [fmts[i](args[i], args, read_string, read_bytes) for i in range(n)]
    return "[pid %d] %s(%s)" % (pid, name, ", ".join(parts))


def format_line(pid: int, nr: int, args: Sequence[int], result: int | None, *,
                read_string: ReadString | None = None,
                strings: Mapping[int, str] | None = None,
                read_bytes: ReadBytes | None = None,
                note: str | None = None) -> str:
    """The whole trace line: call, result (None -> ' = ?') and, if given, '  ' + note
    (e.g. note='(denied: io_uring_setup is not supported)')."""
    line = format_call(pid, nr, args, read_string=read_string, strings=strings,
                       read_bytes=read_bytes) + format_result(nr, result)
    return line + "  " + note if note else line
