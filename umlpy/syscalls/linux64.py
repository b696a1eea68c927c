"""The x86-64 syscall table: every number, its class, and the handler that serves it.

Importing this module imports every family module, whose `@syscall`
decorators and `native(...)` declarations fill the table; the rows below
declare what is served by no family: the calls the sandbox refuses.
"""
from __future__ import annotations

import errno

from umlpy.kernel.table import deny, full_table, lookup, native, native_numbers  # noqa: F401
from umlpy.syscalls import (  # noqa: F401
                            attrs,
                            exec,
                            fd,
                            identity,
                            inotify,
                            mm,
                            mount,
                            names,
                            net,
                            open,
                            signal,
                            stat,
                            thread,
                            time,
                            uts,
                            xattr,
)

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
