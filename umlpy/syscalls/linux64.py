"""The x86-64 syscall table: every number, its class, its support level, and its handler.

Like gVisor's linux64.go, this is the one place to read what the sandbox does
with each system call, in number order.  A row is one of:

  native(nr, name, note)           runs with no stop (seccomp allows it); `note` says why that is safe
  serve(nr, name, handler)         a `@syscall` handler emulates or rewrites it (the handler's
                                   decorator gives the class and any argument rule)
  serve(..., partial="...")        served, with a documented difference from Linux
  deny(nr, name, errno, why)       refused: `errno` and one trace line saying `why`

The table drives dispatch, the seccomp allowlist, `umlpy syscalls`, the trace's
names and the run report.  A number the ABI does not have is denied with ENOSYS.
"""
from __future__ import annotations

from errno import ENOSYS, EOPNOTSUPP, EPERM

from umlpy.kernel.table import SyscallTable, deny, native, serve
from umlpy.syscalls import attrs, fanotify, fd, fileattr, identity, inotify, ioprio, keys, mm, mount, names, net, sysvipc, thread, uts, xattr
from umlpy.syscalls import rlimit
from umlpy.syscalls import exec as exec_
from umlpy.syscalls import open as open_
from umlpy.syscalls import ptrace as ptrace_
from umlpy.syscalls import signal as signal_
from umlpy.syscalls import stat as stat_
from umlpy.syscalls import time as time_
from umlpy.syscalls import mqueue, namespace
from umlpy.syscalls import procattr
from umlpy.syscalls import admin
from umlpy.syscalls import rtnetlink, signalfd

# Why a native call is safe to run with no stop: it acts only on what the caller already owns.
OWN_FDS = "works on descriptors the guest already owns"
SIGNALFD_READ = ("works on descriptors the guest already owns; on a signalfd it stops (a filter on that fd "
                 "number only, syscalls/signalfd.py) so that each record names its sender's guest uid")
SIGNALFD_DUP = ("works on descriptors the guest already owns; of a signalfd it stops (a filter on that fd "
                "number only), and the copy's reads stop too (syscalls/signalfd.py)")
OWN_SOCKETS = "works on sockets the guest already owns"
RTNL_SEND = ("works on descriptors the guest already owns; on a route netlink socket opened with (virtual) "
             "CAP_NET_ADMIN it stops (a filter on that fd number only), and changes to the sandbox's own "
             "network are sent by the supervisor (syscalls/rtnetlink.py)")
UNIX_RECV = ("works on sockets the guest already owns; on a unix socket that may receive a pathname "
             "sender's name or credentials (bound datagram, connected or sent to a path, SO_PASSCRED) it "
             "stops (a filter on that fd number, syscalls/net.py), and the name and ids are the guest's")
UNIX_LISTEN = ("works on sockets the guest already owns; on a unix stream socket with SO_PASSCRED it stops "
               "(a filter on that fd number), and every recvmsg of the process stops from then on (syscalls/net.py)")
OWN_MEMORY = "the guest's own address space"
OWN_CLOCKS = "clocks and timers of the calling process"
OWN_PROCESS = "affects only the calling process"
OWN_SIGNALS = "signal state of the calling thread"
OWN_LIMITS = "limits and usage of the caller"
OWN_RANDOM = "randomness for the caller"
OWN_PIDS = ("the guest runs in a PID namespace of its own on the host (csrc/spawn.c), whose ids "
            "are the guest's ids (kernel/pidns.py): the host kernel's answer is the guest kernel's")
OWN_IPC = ("POSIX message queues live in the sandbox's own IPC namespace: a queue's name is "
           "looked up there, never in a file system; in a task that entered a guest IPC namespace "
           "it stops and names that namespace's queue (syscalls/mqueue.py)")
OWN_SYSV = ("SysV IPC objects live in the sandbox's own IPC namespace; the id's access was checked "
            "by the guest kernel when the caller got it (*get, shmat), not again at each operation "
            "(a stop costs ~15 us, the call ~0.5 us: docs/design.md); in a task that entered a guest "
            "IPC namespace it stops, and an id of another namespace is EINVAL (a task that never "
            "entered one can still use a guessed id of a nested namespace's object)")
# Features refused with ENOSYS, "not supported", so that programs fall back (the still-denied list):
IO_URING = ("io_uring is not supported: its submissions would run syscalls the interception never "
            "sees; programs fall back to ordinary calls")
LANDLOCK = "Landlock is not supported, as on a kernel built without it; programs run without its rules"
OWN_AIO = ("Linux AIO acts on descriptors and memory the guest already owns, as pread/pwrite/fsync/poll do: "
           "the context is a mapping in the caller's own address space, found by id in its own mm only, and "
           "IOCB_FLAG_RESFD names one of its own eventfds; the events reserved count against the host's "
           "fs.aio-max-nr, shared with the host")

MKNOD_NOTE = ("a device node is the guest kernel's record over an empty host file (fsimpl/vmeta.py): it opens as "
              "the device /dev serves under its number (1:3 1:5 1:7 1:8 1:9 5:0 5:1), any other is ENXIO; none in /dev")
XATTR_NOTE = ("virtual: the guest kernel's records (fsimpl/vmeta.py), never on a host file; user.*, "
              "trusted.* and security.*, not system.* (no POSIX ACLs); none on proc, sys and /dev")

TABLE = SyscallTable([
    native(0, "read", SIGNALFD_READ, checked=signalfd.read),
    native(1, "write", RTNL_SEND, checked=rtnetlink.write),
    serve(2, "open", open_.open_),
    native(3, "close", OWN_FDS),
    serve(4, "stat", stat_.stat_),
    serve(5, "fstat", stat_.fstat),
    serve(6, "lstat", stat_.lstat),
    native(7, "poll", OWN_FDS),
    native(8, "lseek", OWN_FDS),
    native(9, "mmap", OWN_MEMORY),
    native(10, "mprotect", OWN_MEMORY),
    native(11, "munmap", OWN_MEMORY),
    native(12, "brk", OWN_MEMORY),
    native(13, "rt_sigaction", OWN_SIGNALS),
    native(14, "rt_sigprocmask", OWN_SIGNALS),
    native(15, "rt_sigreturn", OWN_SIGNALS),
    serve(16, "ioctl", fd.ioctl),
    native(17, "pread64", OWN_FDS),
    native(18, "pwrite64", OWN_FDS),
    native(19, "readv", SIGNALFD_READ, checked=signalfd.readv),
    native(20, "writev", RTNL_SEND, checked=rtnetlink.writev),
    serve(21, "access", stat_.access),
    native(22, "pipe", OWN_FDS),
    native(23, "select", OWN_FDS),
    native(24, "sched_yield", OWN_PROCESS),
    native(25, "mremap", OWN_MEMORY),
    native(26, "msync", OWN_MEMORY),
    native(27, "mincore", OWN_MEMORY),
    native(28, "madvise", OWN_MEMORY),
    serve(29, "shmget", sysvipc.shmget),
    serve(30, "shmat", sysvipc.shmat),
    serve(31, "shmctl", sysvipc.shmctl),
    native(32, "dup", SIGNALFD_DUP, checked=signalfd.dup),
    native(33, "dup2", SIGNALFD_DUP, checked=signalfd.dup),
    native(34, "pause", OWN_SIGNALS),
    native(35, "nanosleep", OWN_CLOCKS),
    native(36, "getitimer", OWN_CLOCKS),
    native(37, "alarm", OWN_CLOCKS),
    native(38, "setitimer", OWN_CLOCKS),
    native(39, "getpid", OWN_PIDS),
    native(40, "sendfile", OWN_FDS),
    serve(41, "socket", net.socket_),
    serve(42, "connect", net.connect),
    serve(43, "accept", net.accept),
    serve(44, "sendto", net.sendto),
    serve(45, "recvfrom", net.recvfrom),
    serve(46, "sendmsg", net.sendmsg,
          partial="a unix pathname in msg_name is resolved in the guest; every sendmsg stops to look"),
    native(47, "recvmsg", UNIX_RECV, checked=net.recvmsg),
    native(48, "shutdown", OWN_SOCKETS),
    serve(49, "bind", net.bind),
    native(50, "listen", UNIX_LISTEN, checked=net.listen),
    serve(51, "getsockname", net.getsockname),
    serve(52, "getpeername", net.getpeername),
    serve(53, "socketpair", net.socketpair),
    serve(54, "setsockopt", net.setsockopt),
    serve(55, "getsockopt", net.getsockopt),
    serve(56, "clone", thread.clone),
    serve(57, "fork", thread.fork),
    serve(58, "vfork", thread.vfork),
    serve(59, "execve", exec_.execve),
    native(60, "exit", OWN_PROCESS),
    serve(61, "wait4", ptrace_.wait4),
    serve(62, "kill", signal_.kill),
    serve(63, "uname", uts.uname),
    serve(64, "semget", sysvipc.semget),
    native(65, "semop", OWN_SYSV, checked=sysvipc.sem_op),
    serve(66, "semctl", sysvipc.semctl),
    native(67, "shmdt", OWN_MEMORY),
    serve(68, "msgget", sysvipc.msgget),
    native(69, "msgsnd", OWN_SYSV, checked=sysvipc.msg_op),
    native(70, "msgrcv", OWN_SYSV, checked=sysvipc.msg_op),
    serve(71, "msgctl", sysvipc.msgctl),
    serve(72, "fcntl", fd.fcntl),
    native(73, "flock", OWN_FDS),
    native(74, "fsync", OWN_FDS),
    native(75, "fdatasync", OWN_FDS),
    serve(76, "truncate", attrs.truncate),
    native(77, "ftruncate", OWN_FDS),
    serve(78, "getdents", fd.getdents),
    serve(79, "getcwd", names.getcwd),
    serve(80, "chdir", names.chdir),
    serve(81, "fchdir", names.fchdir),
    serve(82, "rename", names.rename),
    serve(83, "mkdir", names.mkdir),
    serve(84, "rmdir", names.rmdir),
    serve(85, "creat", open_.creat),
    serve(86, "link", names.link),
    serve(87, "unlink", names.unlink),
    serve(88, "symlink", names.symlink),
    serve(89, "readlink", names.readlink),
    serve(90, "chmod", attrs.chmod),
    serve(91, "fchmod", attrs.fchmod),
    serve(92, "chown", attrs.chown),
    serve(93, "fchown", attrs.fchown),
    serve(94, "lchown", attrs.lchown),
    serve(95, "umask", names.umask),
    native(96, "gettimeofday", OWN_CLOCKS),
    serve(97, "getrlimit", rlimit.getrlimit),
    native(98, "getrusage", OWN_LIMITS),
    serve(99, "sysinfo", uts.sysinfo, partial="load averages are the host's"),
    native(100, "times", OWN_LIMITS),
    serve(101, "ptrace", ptrace_.ptrace, partial="emulated for guest tracers on guest tracees "
          "(kernel/ptrace.py); PTRACE_O_TRACEVFORKDONE and TRACESECCOMP give no event; "
          "SYSCALL_EMU, PEEKSIGINFO and the seccomp-filter requests are EIO"),
    serve(102, "getuid", identity.getuid),
    serve(103, "syslog", admin.syslog,
          partial="Linux's checks (CAP_SYSLOG, the action, its arguments), then EPERM: the host's log is not the sandbox's"),
    serve(104, "getgid", identity.getgid),
    serve(105, "setuid", identity.setuid),
    serve(106, "setgid", identity.setgid),
    serve(107, "geteuid", identity.geteuid),
    serve(108, "getegid", identity.getegid),
    serve(109, "setpgid", thread.setpgid),
    serve(110, "getppid", thread.getppid),
    serve(111, "getpgrp", thread.getpgrp),
    serve(112, "setsid", thread.setsid),
    serve(113, "setreuid", identity.setreuid),
    serve(114, "setregid", identity.setregid),
    serve(115, "getgroups", identity.getgroups),
    serve(116, "setgroups", identity.setgroups),
    serve(117, "setresuid", identity.setresuid),
    serve(118, "getresuid", identity.getresuid),
    serve(119, "setresgid", identity.setresgid),
    serve(120, "getresgid", identity.getresgid),
    serve(121, "getpgid", thread.getpgid),
    serve(122, "setfsuid", identity.setfsuid),
    serve(123, "setfsgid", identity.setfsgid),
    serve(124, "getsid", thread.getsid),
    serve(125, "capget", identity.capget),
    serve(126, "capset", identity.capset,
          partial="capabilities are the guest kernel's: its own checks use them, the host's never "
                  "see them; the sets are per process, not per thread"),
    native(127, "rt_sigpending", OWN_SIGNALS),
    serve(128, "rt_sigtimedwait", signal_.rt_sigtimedwait),
    serve(129, "rt_sigqueueinfo", signal_.rt_sigqueueinfo),
    native(130, "rt_sigsuspend", OWN_SIGNALS),
    native(131, "sigaltstack", OWN_SIGNALS),
    serve(132, "utime", attrs.utime),
    serve(133, "mknod", names.mknod, partial=MKNOD_NOTE),
    deny(134, "uselib", ENOSYS, "obsolete"),
    native(135, "personality", OWN_PROCESS),
    serve(136, "ustat", fileattr.ustat),
    serve(137, "statfs", stat_.statfs, partial="the backing host file system's figures; fixed for virtual ones"),
    serve(138, "fstatfs", stat_.fstatfs, partial="the backing host file system's figures; fixed for virtual ones"),
    serve(139, "sysfs", fileattr.sysfs),
    serve(140, "getpriority", thread.getpriority,
          partial="PRIO_PROCESS nice values are virtual (the host's only go up); "
                  "PRIO_PGRP only for the caller's group, and PRIO_USER over guest processes, read the host's"),
    serve(141, "setpriority", thread.setpriority,
          partial="PRIO_PROCESS nice values are virtual (guest root may lower them; the host's only go up); "
                  "PRIO_PGRP only for the caller's group; PRIO_USER over guest processes"),
    serve(142, "sched_setparam", thread.sched_setparam),
    serve(143, "sched_getparam", thread.sched_getparam),
    serve(144, "sched_setscheduler", thread.sched_setscheduler,
          partial="SCHED_FIFO and SCHED_RR are virtual: read back, never given to the host's scheduler"),
    serve(145, "sched_getscheduler", thread.sched_getscheduler),
    serve(146, "sched_get_priority_max", thread.sched_get_priority_max),
    serve(147, "sched_get_priority_min", thread.sched_get_priority_min),
    serve(148, "sched_rr_get_interval", thread.sched_of_pid),
    serve(149, "mlock", mm.mlock,
          partial="guest root's locks past the host's RLIMIT_MEMLOCK are accepted but not made"),
    native(150, "munlock", OWN_MEMORY),
    serve(151, "mlockall", mm.mlockall,
          partial="guest root's locks past the host's RLIMIT_MEMLOCK are accepted but not made"),
    native(152, "munlockall", OWN_MEMORY),
    deny(153, "vhangup", EPERM, "host administration is not allowed"),
    deny(154, "modify_ldt", ENOSYS, "16-bit segments are not supported"),
    serve(155, "pivot_root", mount.pivot_root, partial="the guest's own mount table only"),
    deny(156, "_sysctl", ENOSYS, "obsolete"),
    serve(157, "prctl", identity.prctl),
    native(158, "arch_prctl", OWN_MEMORY),
    deny(159, "adjtimex", EPERM, "the sandbox may not set the host's clocks"),
    serve(160, "setrlimit", rlimit.setrlimit),
    serve(161, "chroot", names.chroot),
    native(162, "sync", OWN_FDS),
    deny(163, "acct", EPERM, "process accounting writes records through the host kernel; refused as "
         "Linux refuses a caller without CAP_SYS_PACCT"),
    deny(164, "settimeofday", EPERM, "the sandbox may not set the host's clocks"),
    serve(165, "mount", mount.mount,
          partial="tmpfs, proc, devtmpfs, devpts (the sandbox's one instance), binds of guest "
          "directories and read-only remounts only"),
    serve(166, "umount2", mount.umount2, partial="the guest's own mount table only"),
    deny(167, "swapon", EPERM, "swap is the host's"),
    deny(168, "swapoff", EPERM, "swap is the host's"),
    serve(169, "reboot", admin.reboot,
          partial="Linux's checks (CAP_SYS_BOOT, magic, the command as in a PID namespace), then EPERM"),
    serve(170, "sethostname", uts.sethostname),
    serve(171, "setdomainname", uts.setdomainname),
    deny(172, "iopl", EPERM, "host administration is not allowed"),
    deny(173, "ioperm", EPERM, "host administration is not allowed"),
    deny(174, "create_module", EPERM, "kernel modules are not allowed"),
    deny(175, "init_module", EPERM, "kernel modules are not allowed"),
    deny(176, "delete_module", EPERM, "kernel modules are not allowed"),
    deny(177, "get_kernel_syms", ENOSYS, "obsolete"),
    deny(178, "query_module", EPERM, "kernel modules are not allowed"),
    deny(179, "quotactl", EPERM, "host administration is not allowed"),
    deny(180, "nfsservctl", ENOSYS, "obsolete"),
    deny(181, "getpmsg", ENOSYS, "obsolete"),
    deny(182, "putpmsg", ENOSYS, "obsolete"),
    deny(183, "afs_syscall", ENOSYS, "obsolete"),
    deny(184, "tuxcall", ENOSYS, "obsolete"),
    deny(185, "security", ENOSYS, "obsolete"),
    native(186, "gettid", OWN_PIDS),
    native(187, "readahead", OWN_FDS),
    serve(188, "setxattr", xattr.setxattr, partial=XATTR_NOTE),
    serve(189, "lsetxattr", xattr.lsetxattr, partial=XATTR_NOTE),
    serve(190, "fsetxattr", xattr.fsetxattr, partial=XATTR_NOTE),
    serve(191, "getxattr", xattr.getxattr, partial=XATTR_NOTE),
    serve(192, "lgetxattr", xattr.lgetxattr, partial=XATTR_NOTE),
    serve(193, "fgetxattr", xattr.fgetxattr, partial=XATTR_NOTE),
    serve(194, "listxattr", xattr.listxattr, partial=XATTR_NOTE),
    serve(195, "llistxattr", xattr.llistxattr, partial=XATTR_NOTE),
    serve(196, "flistxattr", xattr.flistxattr, partial=XATTR_NOTE),
    serve(197, "removexattr", xattr.removexattr, partial=XATTR_NOTE),
    serve(198, "lremovexattr", xattr.lremovexattr, partial=XATTR_NOTE),
    serve(199, "fremovexattr", xattr.fremovexattr, partial=XATTR_NOTE),
    serve(200, "tkill", signal_.tkill),
    native(201, "time", OWN_CLOCKS),
    native(202, "futex", OWN_MEMORY),
    serve(203, "sched_setaffinity", thread.sched_set_of_pid),
    serve(204, "sched_getaffinity", thread.sched_of_pid),
    deny(205, "set_thread_area", ENOSYS, "obsolete"),
    native(206, "io_setup", OWN_AIO),
    native(207, "io_destroy", OWN_AIO),
    native(208, "io_getevents", OWN_AIO),
    native(209, "io_submit", OWN_AIO),
    native(210, "io_cancel", OWN_AIO),
    deny(211, "get_thread_area", ENOSYS, "obsolete"),
    deny(212, "lookup_dcookie", EPERM, "host administration is not allowed"),
    native(213, "epoll_create", OWN_FDS),
    deny(214, "epoll_ctl_old", ENOSYS, "obsolete"),
    deny(215, "epoll_wait_old", ENOSYS, "obsolete"),
    native(216, "remap_file_pages", OWN_MEMORY),
    serve(217, "getdents64", fd.getdents64),
    serve(218, "set_tid_address", thread.set_tid_address),
    native(219, "restart_syscall", OWN_PROCESS),
    native(220, "semtimedop", OWN_SYSV, checked=sysvipc.sem_op),
    native(221, "fadvise64", OWN_FDS),
    serve(222, "timer_create", time_.timer_create),
    native(223, "timer_settime", OWN_CLOCKS),
    native(224, "timer_gettime", OWN_CLOCKS),
    native(225, "timer_getoverrun", OWN_CLOCKS),
    native(226, "timer_delete", OWN_CLOCKS),
    serve(227, "clock_settime", time_.clock_settime,
          partial="the sandbox may not set the host's clocks: EPERM where Linux would set one"),
    native(228, "clock_gettime", OWN_CLOCKS),
    native(229, "clock_getres", OWN_CLOCKS),
    native(230, "clock_nanosleep", OWN_CLOCKS),
    native(231, "exit_group", OWN_PROCESS),
    native(232, "epoll_wait", OWN_FDS),
    native(233, "epoll_ctl", OWN_FDS),
    serve(234, "tgkill", signal_.tgkill),
    serve(235, "utimes", attrs.utimes),
    deny(236, "vserver", ENOSYS, "obsolete"),
    native(237, "mbind", OWN_MEMORY),
    native(238, "set_mempolicy", OWN_MEMORY),
    native(239, "get_mempolicy", OWN_MEMORY),
    native(240, "mq_open", OWN_IPC, checked=mqueue.mq_open),
    native(241, "mq_unlink", OWN_IPC, checked=mqueue.mq_unlink),
    native(242, "mq_timedsend", OWN_FDS),
    native(243, "mq_timedreceive", OWN_FDS),
    native(244, "mq_notify", OWN_FDS),
    native(245, "mq_getsetattr", OWN_FDS),
    deny(246, "kexec_load", EPERM, "the sandbox cannot replace the kernel"),
    serve(247, "waitid", ptrace_.waitid),
    serve(248, "add_key", keys.add_key,
          partial="the sandbox's own keyrings, user and keyring types; no quotas"),
    serve(249, "request_key", keys.request_key, partial="no upcall to /sbin/request-key: a missing key is ENOKEY"),
    serve(250, "keyctl", keys.keyctl,
          partial="common operations (syscalls/keys.py); instantiation, request-key authority, DH, "
                  "pkey, persistent keyrings, MOVE and RESTRICT_KEYRING are EOPNOTSUPP"),
    serve(251, "ioprio_set", ioprio.ioprio_set, partial="virtual, per process (Linux: per thread)"),
    serve(252, "ioprio_get", ioprio.ioprio_get, partial="virtual, per process (Linux: per thread)"),
    native(253, "inotify_init", OWN_FDS),
    serve(254, "inotify_add_watch", inotify.inotify_add_watch,
          partial="a watch on a rootfs file that is later copied up keeps watching the lower copy"),
    native(255, "inotify_rm_watch", OWN_FDS),
    deny(256, "migrate_pages", EPERM, "NUMA page moves are not supported"),
    serve(257, "openat", open_.openat),
    serve(258, "mkdirat", names.mkdirat),
    serve(259, "mknodat", names.mknodat, partial=MKNOD_NOTE),
    serve(260, "fchownat", attrs.fchownat),
    serve(261, "futimesat", attrs.futimesat),
    serve(262, "newfstatat", stat_.newfstatat),
    serve(263, "unlinkat", names.unlinkat),
    serve(264, "renameat", names.renameat),
    serve(265, "linkat", names.linkat),
    serve(266, "symlinkat", names.symlinkat),
    serve(267, "readlinkat", names.readlinkat),
    serve(268, "fchmodat", attrs.fchmodat),
    serve(269, "faccessat", stat_.faccessat),
    native(270, "pselect6", OWN_FDS),
    native(271, "ppoll", OWN_FDS),
    serve(272, "unshare", thread.unshare,
          partial="new UTS, mount and IPC namespaces are the guest kernel's; new net, pid, user, "
                  "cgroup and time namespaces are refused (EPERM, as for an unprivileged caller)"),
    native(273, "set_robust_list", OWN_MEMORY),
    serve(274, "get_robust_list", mm.get_robust_list),
    native(275, "splice", OWN_FDS),
    native(276, "tee", OWN_FDS),
    native(277, "sync_file_range", OWN_FDS),
    native(278, "vmsplice", OWN_FDS),
    deny(279, "move_pages", EPERM, "NUMA page moves are not supported"),
    serve(280, "utimensat", attrs.utimensat),
    native(281, "epoll_pwait", OWN_FDS),
    serve(282, "signalfd", signalfd.signalfd4),
    native(283, "timerfd_create", OWN_FDS),
    native(284, "eventfd", OWN_FDS),
    native(285, "fallocate", OWN_FDS),
    native(286, "timerfd_settime", OWN_FDS),
    native(287, "timerfd_gettime", OWN_FDS),
    serve(288, "accept4", net.accept4),
    serve(289, "signalfd4", signalfd.signalfd4),
    native(290, "eventfd2", OWN_FDS),
    native(291, "epoll_create1", OWN_FDS),
    native(292, "dup3", SIGNALFD_DUP, checked=signalfd.dup),
    native(293, "pipe2", OWN_FDS),
    native(294, "inotify_init1", OWN_FDS),
    native(295, "preadv", OWN_FDS),
    native(296, "pwritev", OWN_FDS),
    serve(297, "rt_tgsigqueueinfo", signal_.rt_tgsigqueueinfo),
    deny(298, "perf_event_open", EPERM, "perf events observe the host's CPUs and kernel; refused as Linux "
         "refuses an unprivileged caller (kernel.perf_event_paranoid)"),
    native(299, "recvmmsg", UNIX_RECV, checked=net.recvmmsg),
    deny(300, "fanotify_init", EPERM, "an fanotify group watches whole host mounts; refused as Linux "
         "refuses a caller without CAP_SYS_ADMIN"),
    serve(301, "fanotify_mark", fanotify.fanotify_mark,
          partial="no descriptor can be an fanotify group: EBADF for a closed fd, else EINVAL"),
    serve(302, "prlimit64", thread.prlimit64),
    deny(303, "name_to_handle_at", EOPNOTSUPP, "a file handle names a host inode; the sandbox's file "
         "systems give none, as a file system without export operations"),
    deny(304, "open_by_handle_at", EPERM, "a file handle would open a host inode outside the guest VFS; "
         "refused as Linux refuses a caller without CAP_DAC_READ_SEARCH"),
    deny(305, "clock_adjtime", EPERM, "the sandbox may not set the host's clocks"),
    native(306, "syncfs", OWN_FDS),
    native(307, "sendmmsg", RTNL_SEND, checked=rtnetlink.sendmmsg),
    serve(308, "setns", namespace.setns,
          partial="UTS, mount and IPC namespaces; the other kinds' fds name the caller's own (a no-op); "
                  "pidfds are EINVAL"),
    native(309, "getcpu", OWN_PROCESS),
    serve(310, "process_vm_readv", thread.process_vm_readv),
    serve(311, "process_vm_writev", thread.process_vm_readv),
    serve(312, "kcmp", thread.kcmp),
    deny(313, "finit_module", EPERM, "kernel modules are not allowed"),
    serve(314, "sched_setattr", thread.sched_set_of_pid),
    serve(315, "sched_getattr", thread.sched_of_pid),
    serve(316, "renameat2", names.renameat2,
          partial="RENAME_WHITEOUT leaves the whiteout just after the move, not atomically; RENAME_EXCHANGE not of names from the image"),
    serve(317, "seccomp", procattr.seccomp,
          partial="filters install on top of the supervisor's; strict mode is EINVAL and "
                  "SECCOMP_FILTER_FLAG_NEW_LISTENER EBUSY (a listener could let calls past the supervisor)"),
    native(318, "getrandom", OWN_RANDOM),
    native(319, "memfd_create", OWN_FDS),
    deny(320, "kexec_file_load", EPERM, "the sandbox cannot replace the kernel"),
    deny(321, "bpf", EPERM, "bpf programs are not allowed"),
    serve(322, "execveat", exec_.execveat),
    deny(323, "userfaultfd", EPERM, "user-space page-fault handling is not offered; refused as Linux "
         "refuses an unprivileged caller (vm.unprivileged_userfaultfd=0)"),
    native(324, "membarrier", OWN_MEMORY),
    serve(325, "mlock2", mm.mlock2,
          partial="guest root's locks past the host's RLIMIT_MEMLOCK are accepted but not made"),
    native(326, "copy_file_range", OWN_FDS),
    native(327, "preadv2", SIGNALFD_READ, checked=signalfd.preadv2),
    native(328, "pwritev2", RTNL_SEND, checked=rtnetlink.pwritev2),
    native(329, "pkey_mprotect", OWN_MEMORY),
    native(330, "pkey_alloc", OWN_MEMORY),
    native(331, "pkey_free", OWN_MEMORY),
    serve(332, "statx", stat_.statx),
    native(333, "io_pgetevents", OWN_AIO),
    native(334, "rseq", OWN_MEMORY),
    serve(424, "pidfd_send_signal", signal_.pidfd_send_signal),
    deny(425, "io_uring_setup", ENOSYS, IO_URING, probed=True),
    deny(426, "io_uring_enter", ENOSYS, IO_URING),
    deny(427, "io_uring_register", ENOSYS, IO_URING),
    deny(428, "open_tree", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(429, "move_mount", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(430, "fsopen", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(431, "fsconfig", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(432, "fsmount", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(433, "fspick", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    serve(434, "pidfd_open", thread.pidfd_open),
    # Its flags (CLONE_UNTRACED, CLONE_NEW*, CLONE_INTO_CGROUP) are in guest
    # memory that another thread can change between our check and the
    # host's read; clone's are in registers.  libc falls back to clone, as
    # under Docker's default seccomp profile, which refuses clone3 alike.
    deny(435, "clone3", ENOSYS, "flags in guest memory cannot be checked safely: use clone", probed=True),
    native(436, "close_range", OWN_FDS),
    serve(437, "openat2", open_.openat2),
    serve(438, "pidfd_getfd", thread.pidfd_getfd),
    serve(439, "faccessat2", stat_.faccessat2),
    deny(440, "process_madvise", EPERM, "not supported"),
    native(441, "epoll_pwait2", OWN_FDS),
    deny(442, "mount_setattr", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(443, "quotactl_fd", EPERM, "host administration is not allowed"),
    deny(444, "landlock_create_ruleset", ENOSYS, LANDLOCK, probed=True),
    deny(445, "landlock_add_rule", ENOSYS, LANDLOCK),
    deny(446, "landlock_restrict_self", ENOSYS, LANDLOCK),
    native(447, "memfd_secret", OWN_MEMORY),
    deny(448, "process_mrelease", EPERM, "not supported"),
    native(449, "futex_waitv", OWN_MEMORY),
    native(450, "set_mempolicy_home_node", OWN_MEMORY),
    native(451, "cachestat", OWN_FDS),
    serve(452, "fchmodat2", attrs.fchmodat2),
    native(453, "map_shadow_stack", OWN_MEMORY),
    native(454, "futex_wake", OWN_MEMORY),
    native(455, "futex_wait", OWN_MEMORY),
    native(456, "futex_requeue", OWN_MEMORY),
    deny(457, "statmount", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(458, "listmount", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    deny(459, "lsm_get_self_attr", ENOSYS, "LSM attributes are not supported"),
    deny(460, "lsm_set_self_attr", ENOSYS, "LSM attributes are not supported"),
    deny(461, "lsm_list_modules", ENOSYS, "LSM attributes are not supported"),
    native(462, "mseal", OWN_MEMORY),
    deny(463, "setxattrat", ENOSYS, "not implemented yet"),
    deny(464, "getxattrat", ENOSYS, "not implemented yet"),
    deny(465, "listxattrat", ENOSYS, "not implemented yet"),
    deny(466, "removexattrat", ENOSYS, "not implemented yet"),
    deny(467, "open_tree_attr", EPERM, "only mount(2) and umount2(2) are supported inside the sandbox"),
    serve(468, "file_getattr", fileattr.file_getattr,
          partial="no inode attribute flags on the sandbox's file systems: EOPNOTSUPP after Linux's checks"),
    serve(469, "file_setattr", fileattr.file_setattr,
          partial="no inode attribute flags on the sandbox's file systems: EOPNOTSUPP after Linux's checks"),
])

lookup = TABLE.lookup
native_numbers = TABLE.native_numbers
