"""Pseudo-terminals (pty(7)): /dev/ptmx and /dev/pts are the sandbox's own devpts
instance, so openpty, ttyname, a controlling terminal, job control and hangup work as
on Linux, numbering starts at 0, and no pty of the host or of another sandbox can be
reached."""
from __future__ import annotations

import os
import pty

from conftest import kv, run

PTY = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
int main(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    printf("openpt=%s\n", m >= 0 ? "ok" : strerrorname_np(errno));
    unsigned n = 99;
    ioctl(m, TIOCGPTN, &n);
    printf("ptn=%u\nptsname=%s\n", n, ptsname(m));
    int locked = open(ptsname(m), O_RDWR | O_NOCTTY);
    printf("open locked=%s\n", locked >= 0 ? "ok" : strerrorname_np(errno));
    grantpt(m); unlockpt(m);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    printf("ttyname=%s isatty=%d\n", ttyname(s), isatty(s));
    struct stat a, b; fstat(s, &a); stat(ptsname(m), &b);
    printf("same=%d chr=%d\n", a.st_rdev == b.st_rdev && a.st_ino == b.st_ino, S_ISCHR(a.st_mode));
    pid_t c = fork();
    if (c == 0) {                                   /* login_tty: a session on the pty */
        setsid();
        printf("sctty=%d\n", ioctl(s, TIOCSCTTY, 0)); fflush(stdout);
        dup2(s, 0); dup2(s, 1);
        printf("child ttyname=%s fg=%d\n", ttyname(0), tcgetpgrp(0) == getpgrp());
        fflush(stdout);
        _exit(0);
    }
    int st; waitpid(c, &st, 0);
    char buf[256] = {0}; int got = 0, r;
    while ((r = read(m, buf + got, sizeof buf - 1 - got)) > 0) {
        got += r;
        if (strstr(buf, "fg=")) break;
    }
    for (char *p = buf; *p; p++) if (*p == '\r') *p = ' ';
    printf("master read: %s", buf);
    close(s);
    close(m);                                       /* the master goes: the slave hangs up */
    printf("reopen after close=%s\n", open("/dev/pts/0", O_RDWR) >= 0 ? "ok" : strerrorname_np(errno));
    return 0;
}
"""


def test_a_pty_from_ptmx(sandbox, cc):
    prog = cc("pty", PTY)
    r = run(sandbox, [prog])
    out = kv(r.stdout)
    assert out["openpt"] == "ok" and out["ptn"] == "0" and out["ptsname"] == "/dev/pts/0", r
    assert out["open locked"] == "EIO", r               # unlockpt() not called yet
    assert out["ttyname"] == "/dev/pts/0 isatty=1" and out["same"] == "1 chr=1", r
    assert "child ttyname=/dev/pts/0 fg=1" in r.stdout, r     # a controlling terminal, foreground
    assert out["reopen after close"] == "ENOENT", r     # the pty went with its master


def test_the_hosts_ptys_are_not_there(sandbox):
    """The host has a pty open (this test makes one): the guest's /dev/pts has only its
    own instance's entries, and the host's numbers name nothing there."""
    m, s = pty.openpty()
    try:
        host_n = os.ttyname(s).rsplit("/", 1)[1]
        r = run(sandbox, ["sh", "-c", f"ls /dev/pts; cat /dev/pts/{host_n} </dev/null; "
                          f"echo > /dev/pts/{int(host_n) + 1}"])
    finally:
        os.close(m)
        os.close(s)
    assert r.stdout == "ptmx\n", r
    assert r.stderr.count("No such file or directory") == 2 or "can't create" in r.stderr, r
