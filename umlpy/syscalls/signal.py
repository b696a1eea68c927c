"""Signal syscalls: dispositions, masks and waiting run natively.

Signal delivery is the host kernel's: handlers, masks, alternate stacks and
sigreturn need no translation.  Sending a signal names a pid, so kill,
tgkill, tkill and rt_*sigqueueinfo live with the process syscalls, where
pids are translated.  The one waiting call that reports a sender,
rt_sigtimedwait, has that sender's pid translated in its result.
"""
from umlpy.kernel.dispatch import Native
from umlpy.syscalls.table import REWRITE, KernelError, Ptr, native, syscall

native("rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigpending",
       "rt_sigsuspend", "pause",
       why="signal state of the calling thread")

SIGCHLD = 17


@syscall("rt_sigtimedwait", REWRITE)
def rt_sigtimedwait(task, set_: Ptr, info: Ptr, timeout: Ptr, size: Ptr):
    """rt_sigtimedwait(2): wait natively; the sender's pid in the siginfo becomes a guest pid."""
    if info == 0:
        return Native()

    def back(r: int) -> int:
        if r > 0:
            try:
                raw = bytearray(task.read(info, 24))
                code = int.from_bytes(raw[8:12], "little", signed=True)
                if code in (0, -6) or (r == SIGCHLD and 1 <= code <= 6):
                    host = int.from_bytes(raw[16:20], "little", signed=True)
                    task.write(info + 16, task.kernel.pidns.to_guest(host).to_bytes(4, "little", signed=True))
            except KernelError:
                pass
        return r
    return Native(then=back)
