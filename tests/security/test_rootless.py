"""The two walls between a guest and its supervisor when they could share a host uid
(rootless mode, docs/security.md item 1): the guest is in a PID namespace of its
own, whose ids are the ones it sees, and the supervisor is not dumpable.  Each
test runs in both passes: as root the guest's host uid is nobody, rootless it is
the user's own, and the attacks are made from a host process of that uid.
"""
from __future__ import annotations

import ctypes
import errno
import os
import threading
import time

import pytest
from conftest import builder, kv, run

from umlpy.kernel.kernel import NOBODY

PTRACE_ATTACH = 16
_libc = ctypes.CDLL(None, use_errno=True)


@pytest.fixture
def build(cc):
    return builder(cc, "sec_rootless_")


def guest_uid() -> int:
    return NOBODY if os.geteuid() == 0 else os.geteuid()


def as_guest_uid(work) -> int:
    """Run `work()` in a forked child with the guest's host uid; the child's exit code."""
    pid = os.fork()
    if pid == 0:                                            # pragma: no cover (the child)
        code = 255
        try:
            uid = guest_uid()
            if os.geteuid() != uid:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            code = work()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_the_supervisor_cannot_be_ptraced_or_read_by_the_guests_uid(sandbox):
    """While a guest runs, a host process with the guest's uid gets EPERM from
    PTRACE_ATTACH on the supervisor and EACCES opening its /proc/PID/mem."""
    supervisor = os.getpid()
    result = {}

    def attack() -> None:
        time.sleep(0.3)                                     # the guest is running by then
        def work() -> int:
            try:
                os.open(f"/proc/{supervisor}/mem", os.O_RDONLY)
                return 1
            except PermissionError:
                pass
            if _libc.ptrace(PTRACE_ATTACH, supervisor, None, None) == 0:
                return 2
            return 0 if ctypes.get_errno() == errno.EPERM else 3
        result["code"] = as_guest_uid(work)

    t = threading.Thread(target=attack)
    t.start()
    r = run(sandbox, ["sh", "-c", "sleep 1; echo done"])
    t.join()
    assert r.stdout == "done\n", r
    assert result["code"] == 0, "1: /proc/PID/mem opened, 2: ptrace attached, 3: other error"


PEERPID = r"""
int main(void) {
    int sv[2], on = 1;
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) return 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    send(sv[0], "x", 1, 0);                         /* the host kernel attaches our creds */
    char byte, ctl[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = { &byte, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                        .msg_controllen = sizeof ctl };
    if (recvmsg(sv[1], &m, 0) != 1) return 2;
    struct ucred *c = (struct ucred *)CMSG_DATA(CMSG_FIRSTHDR(&m));
    pid_t child = fork();
    if (child == 0) _exit(7);
    int st;
    pid_t waited = waitpid(-1, &st, 0);             /* native: the host's answer, untranslated */
    printf("getpid=%d\ncred_pid=%d\nchild=%d\nwaited=%d\n", getpid(), c->pid, child, waited);
    return 0;
}
"""


def test_native_pids_are_the_guests_own(build, sandbox):
    """The host kernel's own answers carry guest pids: the pid SCM_CREDENTIALS attaches
    (never translated by us) equals getpid(), as a fork's result equals waitpid's."""
    prog = build("peerpid", "#include <sys/socket.h>\n" + PEERPID, static=True)
    r = run(sandbox, ["sh", "-c", f"{prog}; true"])
    out = kv(r.stdout)
    assert out["cred_pid"] == out["getpid"], r.stdout
    assert out["waited"] == out["child"] and int(out["child"]) > int(out["getpid"]), r.stdout
    assert int(out["getpid"]) < 100, r.stdout           # a guest pid, not a host one
