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


STRESS = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop, signals;
static void on_usr1(int s) { signals++; }

static void *worker(void *arg) {
    long n = 0;
    while (!stop) {
        int fd = open("/etc/passwd", O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0) { printf("worker failed\n"); exit(1); }
        close(fd);
        if (getpid() != 1) { printf("bad pid\n"); exit(1); }
        n++;
    }
    return (void *)n;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, NULL);
    int execs = 0;
    for (int i = 0; i < 40; i++) {
        pid_t c = fork();
        if (c == 0) { execl("/bin/true", "true", NULL); _exit(127); }
        kill(getpid(), SIGUSR1);                      /* signals racing everything */
        pthread_kill(t[i % 4], SIGUSR1);
        int st;
        if (waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0) execs++;
    }
    stop = 1;
    long total = 0;
    for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); total += (long)r; }
    printf("execs=%d opens>0=%d signals>0=%d\n", execs, total > 0, signals > 0);
    return 0;
}
"""


def test_threads_forks_execs_and_signals_at_once(sandbox, cc):
    """Four threads opening files while the main thread forks, execs and signals."""
    for static in (True, False):
        prog = cc(f"stress_{'s' if static else 'd'}", STRESS, static=static)
        r = sandbox.run([prog], text=True, timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert r.stdout.strip() == "execs=40 opens>0=1 signals>0=1"
        assert r.report.internal_errors == []
