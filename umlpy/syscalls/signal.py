"""Signal syscalls: dispositions, masks and waiting run natively.

Signal delivery is the host kernel's: handlers, masks, alternate stacks and
sigreturn need no translation.  Sending a signal names a pid, so kill,
tgkill, tkill and rt_*sigqueueinfo live with the process syscalls, where
pids are translated.
"""
from umlpy.syscalls.table import native

native("rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigpending",
       "rt_sigtimedwait", "rt_sigsuspend", "pause",
       why="signal state of the calling thread")
