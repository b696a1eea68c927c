"""Resource limits: what a test suite running untrusted code caps, as the guest feels them."""
from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from umlpy import Sandbox

MEMORY_HOG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    size_t mb = 0;
    for (; mb < 1024; mb++) {
        char *p = malloc(1 << 20);
        if (!p) break;
        memset(p, 1, 1 << 20);
    }
    printf("got %zu MiB\n", mb);
    return 0;
}
"""

FORKER = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int made = 0, err = 0;
    for (int i = 0; i < 20; i++) {
        pid_t c = fork();
        if (c == 0) { pause(); _exit(0); }
        if (c < 0) { err = errno; break; }
        made++;
    }
    printf("made=%d err=%s\n", made, err ? strerrorname_np(err) : "none");
    fflush(stdout);
    return 0;                        /* init's exit ends the children too */
}
"""


def _sb(rootfs, progs, **limits):
    return Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], limits=limits)


def test_memory_limit(rootfs, progs, cc):
    prog = cc("memory_hog", MEMORY_HOG)
    with _sb(rootfs, progs, memory="64M") as sb:
        r = sb.run([prog], text=True, timeout=30)
    got = int(r.stdout.split()[1])
    assert 10 < got < 64, r.stdout


def test_cpu_limit_ends_a_busy_loop_with_sigxcpu(rootfs, progs):
    with _sb(rootfs, progs, cpu=1) as sb:
        r = sb.run(["sh", "-c", "while :; do :; done"], timeout=30)
    assert r.returncode == -signal.SIGXCPU


def test_process_limit_is_eagain(rootfs, progs, cc):
    prog = cc("forker", "#define _GNU_SOURCE\n#include <signal.h>\n" + FORKER)
    with _sb(rootfs, progs, processes=5) as sb:
        r = sb.run([prog], text=True, timeout=30)
    assert r.stdout.strip() == "made=4 err=EAGAIN"          # init + 4 children


def test_file_size_limit(rootfs, progs):
    with _sb(rootfs, progs, file_size="1K") as sb:
        r = sb.run(["sh", "-c", "head -c 5000 /dev/zero > /tmp/big; wc -c < /tmp/big"],
                   text=True, timeout=30)
    assert r.stdout == "1024\n"


OPENER = r"""
#include <fcntl.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    while (n < 100 && open("/etc/passwd", O_RDONLY) >= 0) n++;
    printf("opened=%d\n", n);
    return 0;
}
"""


def test_open_files_limit(rootfs, progs, cc):
    prog = cc("opener", OPENER)
    with _sb(rootfs, progs, open_files=16) as sb:
        r = sb.run([prog], text=True, timeout=30)
    assert r.stdout == "opened=13\n"                     # 16 minus stdin, stdout, stderr


def test_bad_limits_are_clear_errors(rootfs):
    with pytest.raises(ValueError, match="unknown limit 'bogus'"):
        Sandbox(rootfs=rootfs, limits={"bogus": 1})
    with pytest.raises(ValueError, match="bad limit value"):
        Sandbox(rootfs=rootfs, limits={"memory": "lots"})
    r = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs),
                        "--limit", "memory=-1", "--", "true"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "umlpy: error:" in r.stderr
