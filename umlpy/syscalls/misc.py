"""System-wide syscalls: names of the machine, system information, and what is denied.

The sandbox has its own hostname and domain name (uname, sethostname) and
its own view of system information (sysinfo counts guest processes).  What
would change the host (modules, reboot, swap, clocks, kexec, bpf, io_uring,
perf) is denied with a clear errno and a trace line.
"""
from __future__ import annotations

import errno
import os
import struct
import time

from umlpy.syscalls.table import EMULATE, KernelError, Ptr, deny, native, syscall

UTS_LEN = 65


def _field(s: str) -> bytes:
    return s.encode()[:UTS_LEN - 1].ljust(UTS_LEN, b"\0")


@syscall("uname", EMULATE)
def uname(task, buf: Ptr):
    """uname(2): Linux on x86_64, with the sandbox's hostname and domain name."""
    host = os.uname()
    data = b"".join(_field(x) for x in ("Linux", task.kernel.hostname, host.release,
                                         host.version, "x86_64", task.kernel.domainname))
    task.write(buf, data)
    return 0


def _set_name(task, name: int, length: int) -> str:
    if task.creds.euid != 0:
        raise KernelError(errno.EPERM)
    if length < 0 or length > 64:
        raise KernelError(errno.EINVAL)
    return task.read(name, length).split(b"\0", 1)[0].decode(errors="replace")


@syscall("sethostname", EMULATE)
def sethostname(task, name: Ptr, length: int):
    """sethostname(2): rename the sandbox (never the host)."""
    task.kernel.hostname = _set_name(task, name, length)
    return 0


@syscall("setdomainname", EMULATE)
def setdomainname(task, name: Ptr, length: int):
    """setdomainname(2): the sandbox's NIS domain name."""
    task.kernel.domainname = _set_name(task, name, length)
    return 0


@syscall("sysinfo", EMULATE)
def sysinfo(task, info: Ptr):
    """sysinfo(2): uptime of the sandbox, host memory, and the number of guest processes."""
    k = task.kernel
    uptime = int(time.time() - k.boot_time)
    load = [int(x * 65536) for x in os.getloadavg()]
    pages = os.sysconf("SC_PHYS_PAGES")
    avail = os.sysconf("SC_AVPHYS_PAGES")
    psize = os.sysconf("SC_PAGE_SIZE")
    nprocs = sum(1 for p in k.pidns.processes.values() if p.alive)
    data = struct.pack("<q3Q6QH6xQQI", uptime, *load, pages * psize, avail * psize,
                       0, 0, 0, 0, nprocs, 0, 0, 1)
    task.write(info, data.ljust(112, b"\0"))
    return 0


native("getrandom", why="randomness for the caller")

deny("io_uring_setup", "io_uring_enter", "io_uring_register", err=errno.ENOSYS,
     why="io_uring bypasses syscall interception")
deny("bpf", err=errno.EPERM, why="bpf programs are not allowed")
deny("open_by_handle_at", "name_to_handle_at", err=errno.EPERM,
     why="file handles name host files outside the guest VFS")
deny("kexec_load", "kexec_file_load", err=errno.EPERM, why="the sandbox cannot replace the kernel")
deny("init_module", "finit_module", "delete_module", "create_module", "query_module",
     err=errno.EPERM, why="kernel modules are not allowed")
deny("perf_event_open", err=errno.EPERM, why="perf events are not allowed")
deny("userfaultfd", err=errno.EPERM, why="userfaultfd is not allowed")
deny("reboot", err=errno.EPERM, why="the sandbox cannot reboot the host")
deny("swapon", "swapoff", err=errno.EPERM, why="swap is the host's")
deny("acct", "quotactl", "quotactl_fd", "syslog", "vhangup", "iopl", "ioperm", "lookup_dcookie",
     err=errno.EPERM, why="host administration is not allowed")
deny("add_key", "request_key", "keyctl", err=errno.ENOSYS, why="kernel keyrings are not supported")
deny("fanotify_init", "fanotify_mark", err=errno.EPERM, why="fanotify is not supported")
deny("modify_ldt", err=errno.ENOSYS, why="16-bit segments are not supported")
deny("io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
     err=errno.ENOSYS, why="Linux AIO is not supported")
deny("lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", err=errno.ENOSYS,
     why="LSM attributes are not supported")
deny("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", err=errno.ENOSYS,
     why="landlock is not supported")
deny("nfsservctl", "uselib", "sysfs", "ustat", "_sysctl", "get_kernel_syms", "afs_syscall",
     "tuxcall", "security", "vserver", "putpmsg", "getpmsg", "epoll_ctl_old", "epoll_wait_old",
     "set_thread_area", "get_thread_area", err=errno.ENOSYS, why="obsolete")
deny("setxattrat", "getxattrat", "listxattrat", "removexattrat", "file_getattr", "file_setattr",
     err=errno.ENOSYS, why="not implemented yet")
