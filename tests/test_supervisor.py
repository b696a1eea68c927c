"""The supervisor itself: it never leaves a guest running without it, and
nothing a guest does to its private machinery (the magic fd hand-over
syscall, signals racing an open) breaks it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from conftest import sh


def _guest_sleeps(marks: set[str]) -> list[psutil.Process]:
    """The guest's sleeps, found by their unique arguments: with the warm server
    (warm.py) the supervisor is no child of the process the test started."""
    found = []
    for p in psutil.process_iter(["cmdline", "username"]):
        cmd = p.info["cmdline"] or []
        if p.info["username"] == "nobody" and cmd[:1] == ["sleep"] and set(cmd[1:]) & marks:
            found.append(p)
    return found


@pytest.mark.parametrize("server", ["wait", "0"], ids=["warm", "direct"])
def test_killing_the_supervisor_kills_every_guest_process(rootfs, server):
    marks = {f"{3000 + os.getpid() % 1000}.{i}" for i in range(3)}
    cmd = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--",
           "sh", "-c", " & ".join(f"sleep {m}" for m in sorted(marks))]
    env = dict(os.environ, UMLPY_SERVER=server)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.time() + 10
        guests: list[psutil.Process] = []
        while time.time() < deadline:
            guests = _guest_sleeps(marks)
            if len(guests) >= 3:          # three sleeps (sh execs the last one)
                break
            time.sleep(0.05)
        assert len(guests) >= 3, guests
        served = psutil.Process(proc.pid).children() == []
        assert served == (server == "wait"), "the warm server's run is not the command's child"
        os.kill(proc.pid, signal.SIGKILL)  # the umlpy command: in warm mode a client
        proc.wait(timeout=5)
        gone, alive = psutil.wait_procs(guests, timeout=5)
        assert alive == [], f"guest processes outlived the supervisor: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()


FORGE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static void *forger(void *arg) {
    long r = syscall(0x3FFF0000L, 1, 2, 3);          /* the supervisor's magic number */
    printf("forged=%ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t t;
    pthread_create(&t, NULL, forger, NULL);
    usleep(100000);                                    /* let it park in the listener */
    int ok = 0;
    for (int i = 0; i < 200; i++) {                    /* real hand-overs meanwhile */
        int fd = open("/etc/hostname", O_RDONLY);
        char buf[16] = {0};
        if (fd >= 0 && read(fd, buf, sizeof buf) > 0 && strncmp(buf, "umlpy", 5) == 0) ok++;
        close(fd);
    }
    pthread_join(t, NULL);
    printf("opens=%d\n", ok);
    return 0;
}
"""


def test_a_forged_magic_syscall_gets_enosys_and_steals_nothing(sandbox, cc):
    prog = cc("forge_magic", FORGE)
    r = sandbox.run([prog], text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert "forged=-1 ENOSYS" in r.stdout
    assert "opens=200" in r.stdout


SIGOPEN = r"""
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int hits;
static void on_alarm(int s) { hits++; }

int main(int argc, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = argc > 1 ? 0 : SA_RESTART;          /* argv[1]: no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 50}, {0, 50}};           /* faster than one open */
    setitimer(ITIMER_REAL, &it, NULL);
    int ok = 0, eintr = 0, other = 0;
    for (int i = 0; i < 1500; i++) {
        int fd = open("/etc/passwd", O_RDONLY);
        if (fd >= 0) { ok++; close(fd); }
        else if (errno == EINTR) eintr++;
        else other++;
    }
    printf("ok=%d eintr=%d other=%d signals=%d\n", ok, eintr, other, hits > 0);
    return 0;
}
"""


def test_opens_complete_under_a_signal_storm(sandbox, cc):
    """A timer firing faster than an open takes must neither livelock nor fail opens."""
    prog = cc("sigopen", SIGOPEN, static=True)
    for args in ([prog], [prog, "no-restart"]):
        r = sandbox.run(args, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "ok=1500 eintr=0 other=0 signals=1", args


def test_signal_racing_an_open_in_a_shell(sandbox):
    """`sleep & kill $!` kills the child while it opens its libraries: no stall."""
    t0 = time.time()
    for _ in range(30):
        r = sh(sandbox, "/usr/bin/sleep 5 & kill $!; wait $!; echo status=$?")
        assert r.stdout == "status=143\n", r
    assert time.time() - t0 < 20


def test_a_signal_arriving_during_execve_waits_for_it(sandbox):
    """SIGCHLD from a just-exited child must not run the shell's handler in the
    middle of the exec's injected syscalls (it used to make execve "succeed"
    with errno 0)."""
    for _ in range(10):
        r = sh(sandbox, "(sleep 0 & exec /bin/echo hi); echo st=$?")
        assert r.stdout == "hi\nst=0\n", r


BACKLOG = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, "/tmp/full.sock");
    bind(srv, (struct sockaddr *)&a, sizeof a);
    listen(srv, 0);
    int eagain = 0;
    for (int i = 0; i < 4; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) < 0 && errno == EAGAIN) eagain++;
    }
    printf("nonblocking_eagain=%d\n", eagain > 0);
    if (fork() == 0) { usleep(300000); printf("accepted=%d\n", accept(srv, NULL, NULL) >= 0); _exit(0); }
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("blocking_connect=%d\n", connect(c, (struct sockaddr *)&a, sizeof a));
    printf("still_blocking=%d\n", !(fcntl(c, F_GETFL) & O_NONBLOCK));
    wait(NULL);
    return 0;
}
"""


def test_a_full_listen_backlog_blocks_the_guest_not_the_supervisor(sandbox, cc):
    """connect() to a full backlog waits in the guest while others (the
    accepting child) keep running; a non-blocking socket gets EAGAIN."""
    r = sandbox.run([cc("full_backlog", BACKLOG)], text=True, timeout=20)
    assert r.stdout.splitlines() == ["nonblocking_eagain=1", "accepted=1", "blocking_connect=0",
                                     "still_blocking=1"], r.stderr
