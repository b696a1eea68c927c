"""CPU placement (kernel/placement.py): by default the supervisor and the guest start
pinned to one CPU, and a guest thread that computes while waiting for that CPU is
given every CPU the sandbox started with; a thread that stops often stays beside
the supervisor; `--cpu N` pins everything and moves nothing."""
import os

import pytest

from umlpy.api import Sandbox

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to move a thread to")

PROG = r"""
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int cpus(void)
{
    cpu_set_t s;
    sched_getaffinity(0, sizeof s, &s);
    return CPU_COUNT(&s);
}

int main(void)
{
    int p[2];
    pipe(p);
    for (int k = 0; k < 3; k++) {
        if (fork() == 0) {
            char line[64];
            volatile unsigned long x = 1;
            if (k < 2) {                      /* computes: 0.6 s of its own CPU time */
                while (cpu_seconds() < 0.6)
                    for (int i = 0; i < 100000; i++)
                        x = x * 6364136223846793005UL + 1;
            } else {                          /* stops often, all along */
                struct timespec end;
                clock_gettime(CLOCK_MONOTONIC, &end);
                end.tv_sec += 1;
                for (struct timespec now = {0}; now.tv_sec < end.tv_sec ||
                     (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec);
                     clock_gettime(CLOCK_MONOTONIC, &now))
                    syscall(SYS_getppid);
            }
            int n = snprintf(line, sizeof line, "%s %d\n", k < 2 ? "computer" : "stopper", cpus());
            write(p[1], line, n);
            _exit(0);
        }
    }
    close(p[1]);
    while (wait(NULL) > 0)
        ;
    char buf[256];
    int n = read(p[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("%sparent %d\n", buf, cpus());
    return 0;
}
"""


def run_placed(rootfs, progs, cc, cpu):
    prog = cc("placement", PROG)
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], cpu=cpu) as sb:
        r = sb.run([prog], text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return sorted(r.stdout.split("\n")[:-1])


def test_computing_threads_get_every_cpu_by_default(rootfs, progs, cc):
    every = len(os.sched_getaffinity(0))
    lines = run_placed(rootfs, progs, cc, "auto")
    computers = [int(line.split()[1]) for line in lines if line.startswith("computer")]
    assert max(computers) == every, lines             # at least one was moved off our CPU
    assert f"stopper 1" in lines, lines              # the one that stops stayed beside us
    assert "parent 1" in lines, lines                # and so did the one that waits


def test_an_explicit_cpu_moves_nothing(rootfs, progs, cc):
    lines = run_placed(rootfs, progs, cc, 0)
    assert lines == ["computer 1", "computer 1", "parent 1", "stopper 1"], lines
