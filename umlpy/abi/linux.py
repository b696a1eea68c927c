"""Linux constants of the guest ABI (x86-64) that umlpy uses: flags, commands, limits, magics.

They are the numbers the guest's libc passes and expects, written out here rather
than taken from Python's os, signal or socket modules: they belong to the guest's
ABI, not to the host Python.  Each group names the header that defines it (uapi
headers unless marked).  What umlpy does with a value (which ioctls run natively,
which file system reports which magic) stays with the handler; only the numbers
live here.  The struct layouts are in abi/structs.py.
"""
from __future__ import annotations

# ------------------------------------------------------------ paths and opens
# <linux/fcntl.h>: the *at() calls' dirfd and flags
AT_FDCWD = -100                        # dirfd: relative to the current directory
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200                   # unlinkat
AT_EACCESS = 0x200                     # faccessat: the same bit as AT_REMOVEDIR
AT_SYMLINK_FOLLOW = 0x400              # linkat
AT_NO_AUTOMOUNT = 0x800
AT_EMPTY_PATH = 0x1000
AT_STATX_SYNC_TYPE = 0x6000            # statx: AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC

# <asm-generic/fcntl.h>: open flags and fcntl commands
O_TMPFILE = 0o20200000                 # __O_TMPFILE | O_DIRECTORY
# include/linux/fcntl.h VALID_OPEN_FLAGS on x86-64: the access mode, then O_CREAT
# (0o100) through __O_TMPFILE (0o20000000); open() ignores other bits, openat2 refuses them.
VALID_OPEN_FLAGS = 0o37777703
F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX = 8, 9, 15, 16
F_DUPFD, F_DUPFD_CLOEXEC = 0, 1030

# <linux/openat2.h>: struct open_how's resolve flags
RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT = (
    0x01, 0x02, 0x04, 0x08, 0x10)
RESOLVE_CACHED = 0x20

# <linux/stat.h>: utimensat's special tv_nsec values, statx masks
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
STATX_BASIC_STATS = 0x7FF              # STATX_TYPE ... STATX_BLOCKS
STATX__RESERVED = 0x80000000           # a mask bit reserved for a future struct statx

# ------------------------------------------------------------- file systems
NAME_MAX = 255                         # <linux/limits.h>: the longest path component
MAX_SYMLINKS = 40                      # <linux/namei.h> (kernel-internal): symlinks per walk, then ELOOP

# <linux/magic.h>: struct statfs's f_type
EXT4_SUPER_MAGIC = 0xEF53              # also EXT2_ and EXT3_SUPER_MAGIC
PROC_SUPER_MAGIC = 0x9FA0
TMPFS_MAGIC = 0x01021994
OVERLAYFS_SUPER_MAGIC = 0x794C7630

# <linux/statfs.h>: struct statfs's f_flags (the mount's flags)
ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC, ST_SYNCHRONOUS, ST_VALID = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
ST_MANDLOCK, ST_NOATIME, ST_NODIRATIME, ST_RELATIME, ST_NOSYMFOLLOW = 0x40, 0x400, 0x800, 0x1000, 0x2000
ST_FLAGS = (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_SYNCHRONOUS | ST_VALID | ST_MANDLOCK
            | ST_NOATIME | ST_NODIRATIME | ST_RELATIME | ST_NOSYMFOLLOW)

# ----------------------------------------------------------------- processes
# <linux/sched.h>: clone flags (the low byte of clone's flags is the exit signal)
CLONE_VM = 0x100
CLONE_FS = 0x200
CLONE_FILES = 0x400
CLONE_SIGHAND = 0x800
CLONE_PARENT = 0x8000
CLONE_PARENT_SETTID = 0x100000
CLONE_CHILD_SETTID = 0x1000000
CLONE_PIDFD = 0x1000
CLONE_VFORK = 0x4000
CLONE_THREAD = 0x10000
CLONE_NEWNS = 0x20000
CLONE_SETTLS = 0x80000
CLONE_UNTRACED = 0x00800000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x80                   # clone3 and unshare only (the exit-signal byte in clone)
CLONE_INTO_CGROUP = 0x200000000        # clone3 only
CLONE_SYSVSEM = 0x40000
CLONE_NAMESPACES = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                    | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)     # every new-namespace flag

# <linux/wait.h>: waitid's idtype, and its options
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3
WNOWAIT = 0x01000000

PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2   # <linux/resource.h>: getpriority/setpriority's `which`

# ------------------------------------------------------------------- signals
SIGCHLD = 17                           # <asm/signal.h>
NSIG = 64                              # <asm/signal.h> _NSIG: signals are 1 .. NSIG

# <asm-generic/siginfo.h>: si_code values, and sigevent's notify
SI_USER, SI_TKILL = 0, -6              # sent by kill(), by tkill()/tgkill()
CLD_EXITED, CLD_CONTINUED = 1, 6       # SIGCHLD's si_code: CLD_EXITED ... CLD_CONTINUED
SIGEV_THREAD_ID = 4

# ---------------------------------------------------------------- credentials
NOCHANGE = 0xFFFFFFFF                  # <unistd.h> setresuid(2): (uid_t) -1 leaves an id unchanged

# <linux/capability.h>: capget/capset header versions (_LINUX_CAPABILITY_VERSION_n)
LINUX_CAPABILITY_VERSION_1 = 0x19980330
LINUX_CAPABILITY_VERSION_2 = 0x20071026
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# <linux/capability.h>: capability numbers (bits of the five sets)
(CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
 CAP_SETUID, CAP_SETPCAP, CAP_LINUX_IMMUTABLE, CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST,
 CAP_NET_ADMIN, CAP_NET_RAW, CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_MODULE, CAP_SYS_RAWIO,
 CAP_SYS_CHROOT, CAP_SYS_PTRACE, CAP_SYS_PACCT, CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_NICE,
 CAP_SYS_RESOURCE, CAP_SYS_TIME, CAP_SYS_TTY_CONFIG, CAP_MKNOD, CAP_LEASE, CAP_AUDIT_WRITE,
 CAP_AUDIT_CONTROL, CAP_SETFCAP, CAP_MAC_OVERRIDE, CAP_MAC_ADMIN, CAP_SYSLOG, CAP_WAKE_ALARM,
 CAP_BLOCK_SUSPEND, CAP_AUDIT_READ, CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE) = range(41)
CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE
# include/linux/capability.h CAP_FS_MASK: what a file-system uid leaving 0 drops from the effective set
CAP_FS_MASK = sum(1 << c for c in (CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                   CAP_FOWNER, CAP_FSETID, CAP_MAC_OVERRIDE))

# <linux/securebits.h>: prctl(PR_SET_SECUREBITS) flags, each with a lock bit one above it
SECBIT_NOROOT, SECBIT_NOROOT_LOCKED = 1 << 0, 1 << 1
SECBIT_NO_SETUID_FIXUP, SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 2, 1 << 3
SECBIT_KEEP_CAPS, SECBIT_KEEP_CAPS_LOCKED = 1 << 4, 1 << 5
SECBIT_NO_CAP_AMBIENT_RAISE, SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 6, 1 << 7
SECURE_ALL_BITS = SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE
SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1

# <linux/prctl.h>: the options about credentials and capabilities
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4
PR_GET_KEEPCAPS, PR_SET_KEEPCAPS = 7, 8
PR_CAPBSET_READ, PR_CAPBSET_DROP = 23, 24
PR_GET_SECUREBITS, PR_SET_SECUREBITS = 27, 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER, PR_CAP_AMBIENT_CLEAR_ALL = 1, 2, 3, 4
# ... and the per-thread attributes the guest kernel keeps (syscalls/procattr.py)
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_GET_SECCOMP, PR_SET_SECCOMP = 21, 22
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
# <linux/seccomp.h>
SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER = 0, 1, 2
SECCOMP_SET_MODE_STRICT, SECCOMP_SET_MODE_FILTER = 0, 1
SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 0, 1 << 3
SECCOMP_FILTER_FLAGS = 0x3F           # TSYNC, LOG, SPEC_ALLOW, NEW_LISTENER, TSYNC_ESRCH, WAIT_KILLABLE_RECV

# include/linux/ptrace.h: ptrace_may_access modes
PTRACE_MODE_READ, PTRACE_MODE_ATTACH = 0x01, 0x02
PTRACE_MODE_NOAUDIT, PTRACE_MODE_FSCREDS, PTRACE_MODE_REALCREDS = 0x04, 0x08, 0x10
PTRACE_MODE_READ_FSCREDS = PTRACE_MODE_READ | PTRACE_MODE_FSCREDS
PTRACE_MODE_READ_REALCREDS = PTRACE_MODE_READ | PTRACE_MODE_REALCREDS
PTRACE_MODE_ATTACH_FSCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_FSCREDS
PTRACE_MODE_ATTACH_REALCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS

# ------------------------------------------------------------------- sockets
AF_UNIX, AF_INET, AF_INET6, AF_NETLINK = 1, 2, 10, 16      # <linux/socket.h>
SOL_SOCKET = 1                         # <asm-generic/socket.h>
SO_PASSCRED = 16                       # <asm-generic/socket.h>
SO_PEERCRED = 17                       # <asm-generic/socket.h>
NETLINK_ROUTE = 0                      # <linux/netlink.h>
UNIX_PATH_MAX = 108                    # <linux/un.h>: sizeof sockaddr_un's sun_path

# ------------------------------------------------------------ system identity
UTS_LEN = 65                           # <linux/utsname.h> __NEW_UTS_LEN + 1: one field of new_utsname

# --------------------------------------------------------------------- ioctls
# <asm-generic/ioctls.h>: terminals and generic file requests
TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TCSBRK, TCXONC, TCFLSH = 0x5409, 0x540A, 0x540B
TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCOUTQ, TIOCSTI = 0x540E, 0x540F, 0x5410, 0x5411, 0x5412
TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO, TIOCNOTTY = 0x5413, 0x5414, 0x541B, 0x5421, 0x5422
TIOCGSID = 0x5429
TCGETS2, TCSETS2, TCSETSW2, TCSETSF2 = 0x802C542A, 0x402C542B, 0x402C542C, 0x402C542D
TIOCGPTN, TIOCGDEV, TIOCGPKT, TIOCGEXCL = 0x80045430, 0x80045432, 0x80045438, 0x80045440
TIOCSPTLCK, TIOCGPTLCK, TIOCGPTPEER = 0x40045431, 0x80045439, 0x5441   # pty master requests
FIONCLEX, FIOCLEX, FIOASYNC, TIOCGLCKTRMIOS, FIOQSIZE = 0x5450, 0x5451, 0x5452, 0x5456, 0x5460

# <linux/sockios.h>: network interface queries
SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR = 0x8910, 0x8912, 0x8913, 0x8915
SIOCGIFDSTADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC = 0x8917, 0x8919, 0x891B, 0x891D
SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN, SIOCGIFMAP = 0x8921, 0x8927, 0x8933, 0x8942, 0x8970

FS_IOC_GETFLAGS = 0x80086601           # <linux/fs.h>
