"""Nothing a guest passes to a syscall takes the supervisor down.

Every syscall number from 0 to past the last one is made with garbage
arguments, each in a throwaway child (a bad munmap may well kill the child;
that is the guest's own business).  The supervisor must answer them all and
the sandbox must keep working afterwards.
"""
from __future__ import annotations

import io

from umlpy import Sandbox

FUZZ = r"""
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const unsigned long patterns[][6] = {
    {~0UL, ~0UL, ~0UL, ~0UL, ~0UL, ~0UL},                 /* -1 everywhere */
    {1, 1, 1, 1, 1, 1},                                   /* tiny "pointers" */
    {0x7fffdeadb000UL, 0x10000, 0x7fffdeadc000UL, 3, 0x7fffdeadd000UL, 7},  /* unmapped */
};

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int children = 0, signalled = 0;
    for (unsigned p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        for (long nr = 0; nr < 480; nr++) {
            if (nr == SYS_rt_sigreturn || nr == SYS_fork || nr == SYS_vfork ||
                nr == SYS_clone || nr == SYS_clone3)
                continue;   /* these would break this program's own logic, not the sandbox */
            pid_t c = fork();
            if (c == 0) {
                ualarm(200000, 0);        /* calls that block (pause, wait...) end here */
                const unsigned long *a = patterns[p];
                syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
                _exit(0);
            }
            int st;
            if (c < 0 || waitpid(c, &st, 0) != c) {
                printf("lost child at nr=%ld\n", nr);
                return 1;
            }
            children++;
            signalled += WIFSIGNALED(st);
        }
    }
    printf("children=%d\n", children);
    return 0;
}
"""


def test_garbage_arguments_to_every_syscall(sandbox, cc):
    prog = cc("fuzz_all_syscalls", FUZZ, static=True)
    r = sandbox.run([prog], text=True, timeout=240)
    assert r.returncode == 0, (r.stdout[-500:], r.stderr[-2000:])
    assert "children=1425" in r.stdout            # 3 patterns x (480 - 5) numbers
    assert r.report.internal_errors == []
    # ... and the sandbox still works afterwards
    after = sandbox.run(["sh", "-c", "echo $$; ls /etc/hostname"], text=True, timeout=10)
    assert after.stdout == "1\n/etc/hostname\n"


def test_garbage_arguments_in_strict_mode(rootfs, progs, cc):
    """The same in strict mode: every call also goes through the --trace formatter."""
    prog = cc("fuzz_all_syscalls", FUZZ, static=True)
    trace = io.StringIO()
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], trace=trace) as sb:
        r = sb.run([prog], text=True, timeout=240)
    assert r.returncode == 0, (r.stdout[-500:], r.stderr[-2000:])
    assert "children=1425" in r.stdout
    assert r.report.internal_errors == []
    lines = trace.getvalue().splitlines()
    assert any(l.startswith("[pid ") and "syscall_470(" in l and "ENOSYS" in l for l in lines)
