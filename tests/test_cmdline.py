"""/proc/PID/cmdline follows what a program writes into its argument area
(setproctitle), also for a dynamic program, which the host runs as
`ld.so --argv0 ARGV0 PROGRAM ARGS` (syscalls/exec.py cmdline_layout); and ps
shows it.  Static programs: conformance process/cmdline_rewrite."""
from __future__ import annotations

import pytest

from conftest import LINKS, builder, sh

TITLE = r"""
int main(int argc, char **argv) {
    char buf[256];
    int fd = open("/proc/self/cmdline", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf); close(fd);
    for (ssize_t i = 0; i < n; i++) if (!buf[i]) buf[i] = '|';
    printf("before=%.*s\n", (int)n, buf);
    memset(argv[0], 0, strlen(argv[0]));
    memcpy(argv[0], "worker", 6);
    fd = open("/proc/self/cmdline", O_RDONLY);
    n = read(fd, buf, sizeof buf); close(fd);
    for (ssize_t i = 0; i < n; i++) if (!buf[i]) buf[i] = '|';
    printf("after=%.*s\n", (int)n, buf);
    fflush(stdout);
    if (argc > 2) pause();
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_rewritten_argv_shows_in_cmdline_and_ps(sandbox, cc, static):
    prog = builder(cc, "cmdl_")("title", TITLE, static)
    r = sh(sandbox, f"cp {prog} /tmp/longprogramname; /tmp/longprogramname one")
    assert r.stdout.splitlines() == ["before=/tmp/longprogramname|one|",
                                     "after=worker" + "|" * 15 + "one|"], r.stdout + r.stderr
    r = sh(sandbox, f"cp {prog} /tmp/longprogramname; /tmp/longprogramname one two > /dev/null & "
                    "sleep 0.3; ps -o args | grep -v grep | grep worker; kill $!")
    # busybox ps shows "{comm} args" when args no longer start with the program's name
    assert r.stdout.split() == ["{longprogramname}", "worker", "one", "two"], r.stdout + r.stderr
