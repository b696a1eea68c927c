"""Core dumps (issue 8): a guest process killed by a core-dumping signal, with a guest
RLIMIT_CORE above 0, leaves an ELF core file that the guest kernel wrote
(kernel/coredump.py), named by the guest's /proc/sys/kernel/core_pattern, and
its wait status says WCOREDUMP.  The host never dumps a guest's core: the
host RLIMIT_CORE of guest processes is 0, whatever the guest sets.
"""
from __future__ import annotations

import io
import struct
import threading
import time

import psutil
import pytest
from conftest import builder, kv, run, sh
from elftools.elf.elffile import ELFFile

from umlpy import Sandbox
from umlpy.image import importer

CRASH = r"""
static int global_counter = 42;
static void crash(volatile int *p) { *p = global_counter; }
int main(int argc, char **argv) {
    char *heap = malloc(1 << 16);
    heap[0] = 'x';
    printf("pid=%d\n", getpid());
    fflush(stdout);
    if (argc > 1 && argv[1][0] == 'a') abort();
    crash(NULL);
    return 0;
}
"""

WAITER = r"""
static volatile int chld_code;
static void on_chld(int sig, siginfo_t *si, void *ctx) { chld_code = si->si_code; }
int main(int argc, char **argv) {
    struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO};
    sigaction(SIGCHLD, &sa, NULL);
    pid_t p = fork();
    if (p == 0) { execv(argv[1], argv + 1); _exit(127); }
    int st;
    waitpid(p, &st, 0);
    printf("signaled=%d sig=%d coredump=%d\n", WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
    printf("sigchld=%s\n", chld_code == CLD_DUMPED ? "CLD_DUMPED" : chld_code == CLD_KILLED ? "CLD_KILLED" : "?");
    p = fork();
    if (p == 0) { execv(argv[1], argv + 1); _exit(127); }
    siginfo_t si;
    waitid(P_PID, p, &si, WEXITED);
    printf("code=%s status=%d\n", si.si_code == CLD_DUMPED ? "CLD_DUMPED" :
           si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);
    return 0;
}
"""


@pytest.fixture
def build(cc):
    return builder(cc, "core_")


@pytest.fixture
def sb(rootfs, progs):
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")]) as sandbox:
        yield sandbox


def _read_core(sb, path: str) -> bytes:
    r = sb.run(["/bin/cat", path], timeout=20)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _prstatus(core: bytes) -> tuple[int, int, int]:
    """(e_type, pr_pid, pr_cursig) from a core file."""
    elf = ELFFile(io.BytesIO(core))
    for seg in elf.iter_segments():
        if seg.header.p_type == "PT_NOTE":
            for note in seg.iter_notes():
                if note["n_type"] == "NT_PRSTATUS":
                    desc = note["n_desc"]           # struct elf_prstatus: raw bytes here
                    desc = desc if isinstance(desc, bytes) else desc.encode("latin-1")
                    cursig, = struct.unpack_from("<h", desc, 12)
                    pid, = struct.unpack_from("<i", desc, 32)
                    return elf.header.e_type, pid, cursig
    raise AssertionError("no NT_PRSTATUS")


@pytest.mark.parametrize("static", [True, False], ids=["static", "dynamic"])
def test_segfault_leaves_a_core_in_the_cwd(sb, build, static):
    prog = build("crash", CRASH, static=static)
    r = sh(sb, f"mkdir -p /root/w && cd /root/w && ulimit -c unlimited && {prog}; echo status=$?; ls")
    assert "Segmentation fault (core dumped)" in r.stderr, r.stderr
    out = kv(r.stdout)
    assert out["status"] == "139"
    assert r.stdout.splitlines()[-1] == "core"
    core = _read_core(sb, "/root/w/core")
    e_type, pid, sig = _prstatus(core)
    assert (e_type, pid, sig) == ("ET_CORE", int(out["pid"]), 11)
    elf = ELFFile(io.BytesIO(core))
    notes = {n["n_type"] for s in elf.iter_segments() if s.header.p_type == "PT_NOTE" for n in s.iter_notes()}
    assert {"NT_PRSTATUS", "NT_PRPSINFO", "NT_AUXV", "NT_FILE"} <= notes
    loads = [s for s in elf.iter_segments() if s.header.p_type == "PT_LOAD"]
    assert loads and any(s.header.p_filesz for s in loads)
    # The guest sees the file as its own: root's, mode 0600.
    r = sh(sb, "stat -c '%U %a %s' /root/w/core")
    owner, mode, size = r.stdout.split()
    assert (owner, mode, int(size)) == ("root", "600", len(core))


def test_wait_status_says_core_dumped(sb, build):
    prog, waiter = build("crash", CRASH), build("waiter", WAITER)
    r = sh(sb, f"cd /tmp && ulimit -c unlimited && {waiter} {prog} && {waiter} {prog} abort")
    lines = r.stdout.splitlines()
    assert "signaled=1 sig=11 coredump=1" in lines, r.stdout
    assert "sigchld=CLD_DUMPED" in lines                     # the parent's SIGCHLD says so too
    assert "code=CLD_DUMPED status=11" in lines
    assert "signaled=1 sig=6 coredump=1" in lines
    assert "code=CLD_DUMPED status=6" in lines
    # Without a core limit: no file, no WCOREDUMP.
    r = sh(sb, f"mkdir /tmp/none && cd /tmp/none && ulimit -c 0 && {waiter} {prog}; ls -A")
    assert "signaled=1 sig=11 coredump=0" in r.stdout and "code=CLD_KILLED status=11" in r.stdout
    assert "sigchld=CLD_KILLED" in r.stdout
    assert "core" not in r.stdout.splitlines()


def test_rlimit_core_is_virtual(sb, build):
    prog = build("rlim", r"""
    int main(void) {
        struct rlimit r;
        getrlimit(RLIMIT_CORE, &r);
        printf("start=%lld,%lld\n", (long long)r.rlim_cur, (long long)r.rlim_max);
        r.rlim_cur = 8192; r.rlim_max = 1 << 20;
        printf("set=%d\n", setrlimit(RLIMIT_CORE, &r));
        struct rlimit o;
        prlimit(0, RLIMIT_CORE, NULL, &o);
        printf("now=%lld,%lld\n", (long long)o.rlim_cur, (long long)o.rlim_max);
        r.rlim_cur = 1 << 21;
        printf("soft_above=%s\n", setrlimit(RLIMIT_CORE, &r) ? strerrorname_np(errno) : "OK");
        pid_t p = fork();
        if (p == 0) { getrlimit(RLIMIT_CORE, &o); printf("child=%lld\n", (long long)o.rlim_cur); fflush(stdout); _exit(0); }
        waitpid(p, NULL, 0);
        setresuid(1000, 1000, 1000);
        r.rlim_cur = r.rlim_max = 1 << 21;
        printf("user_raise=%s\n", setrlimit(RLIMIT_CORE, &r) ? strerrorname_np(errno) : "OK");
        r.rlim_cur = r.rlim_max = 4096;
        printf("user_lower=%s\n", setrlimit(RLIMIT_CORE, &r) ? strerrorname_np(errno) : "OK");
        return 0;
    }""")
    out = kv(run(sb, [prog]).stdout)
    assert out["set"] == "0" and out["now"] == "8192,1048576" and out["soft_above"] == "EINVAL"
    assert out["child"] == "8192" and out["user_raise"] == "EPERM" and out["user_lower"] == "OK"


def test_host_rlimit_core_stays_zero(rootfs, progs):
    """The guest raises its RLIMIT_CORE; the host's limit of that process stays 0, soft and hard."""
    mark = "987.61"
    done = threading.Event()
    result = {}

    def guest():
        with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")]) as sb:
            result["r"] = sb.run(["/bin/sh", "-c", f"ulimit -c unlimited; ulimit -c; sleep {mark}"],
                                 text=True, timeout=30)
        done.set()
    t = threading.Thread(target=guest)
    t.start()
    found = None
    deadline = time.monotonic() + 15
    while found is None and time.monotonic() < deadline:
        for p in psutil.Process().children(recursive=True):
            try:
                if mark in " ".join(p.cmdline()):
                    found = p
            except psutil.Error:
                pass
        time.sleep(0.05)
    assert found is not None
    with open(f"/proc/{found.pid}/limits") as f:
        line = next(x for x in f if x.startswith("Max core file size"))
    found.kill()
    t.join(30)
    assert line.split()[4:6] == ["0", "0"], line
    assert result["r"].stdout == "unlimited\n"


def test_core_pattern(sb, build):
    prog = build("crash", CRASH)
    r = sh(sb, "cat /proc/sys/kernel/core_pattern /proc/sys/kernel/core_uses_pid")
    assert r.stdout == "core\n0\n"
    r = sh(sb, "echo 'dumps/%e.%p.%s.%u.%%' > /proc/sys/kernel/core_pattern && "
               f"mkdir -p /tmp/c/dumps && cd /tmp/c && ulimit -c unlimited && {prog}; ls dumps; "
               "cat /proc/sys/kernel/core_pattern")
    out = kv(r.stdout)
    comm = prog.rsplit("/", 1)[1][:15]
    assert r.stdout.splitlines()[-2] == f"{comm}.{out['pid']}.11.0.%"
    assert r.stdout.splitlines()[-1] == "dumps/%e.%p.%s.%u.%%"
    # core_uses_pid appends the pid when the pattern has no %p.
    r = sh(sb, "echo core > /proc/sys/kernel/core_pattern && echo 1 > /proc/sys/kernel/core_uses_pid && "
               f"mkdir /tmp/d && cd /tmp/d && ulimit -c unlimited && {prog}; ls")
    assert r.stdout.splitlines()[-1] == f"core.{kv(r.stdout)['pid']}"
    # A pipe pattern dumps nothing (there is no helper to run), and says so in the status.
    r = sh(sb, "echo '|/bin/cat' > /proc/sys/kernel/core_pattern && echo 0 > /proc/sys/kernel/core_uses_pid && "
               f"mkdir /tmp/e && cd /tmp/e && ulimit -c unlimited && {prog}; ls -A; "
               "cat /proc/sys/kernel/core_pattern")
    assert "(core dumped)" not in r.stderr and r.stdout.splitlines()[-1] == "|/bin/cat"
    assert "core" not in r.stdout.splitlines()[-2]
    # Only guest root writes them.
    user = build("pattern_user", r"""
    int main(void) {
        setresuid(65534, 65534, 65534);
        int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY);
        printf("open=%s\n", fd < 0 ? strerrorname_np(errno) : "OK");
        return 0;
    }""")
    assert kv(run(sb, [user]).stdout)["open"] == "EACCES"


def test_core_never_follows_a_symlink_out(sb, build, tmp_path):
    """A `core` symlink in the cwd is replaced, never written through (Linux unlinks it first)."""
    prog = build("crash", CRASH)
    r = sh(sb, f"mkdir /tmp/s && cd /tmp/s && ln -s /etc/passwd core && ulimit -c unlimited && {prog}; "
               "ls -l core | cut -c1; head -c 4 core | od -c | head -1; grep -c root /etc/passwd")
    lines = r.stdout.splitlines()
    assert lines[-3] == "-" and "E   L   F" in lines[-2] and lines[-1] != "0"


def test_core_limit_bounds_the_file(sb, build):
    """A dump larger than RLIMIT_CORE is cut there, and does not count as dumped."""
    prog = build("big", r"""
    int main(void) {
        struct rlimit r = {65536, 65536};
        setrlimit(RLIMIT_CORE, &r);
        char *p = malloc(8 << 20);
        memset(p, 7, 8 << 20);
        raise(SIGSEGV);
        return 0;
    }""")
    r = sh(sb, f"mkdir /tmp/b && cd /tmp/b && {prog}; stat -c %s core")
    assert "(core dumped)" not in r.stderr
    assert int(r.stdout.split()[-1]) == 65536


def test_gdb_backtrace_of_a_core_in_debian():
    root = importer.lookup("debian")
    if root is None or not (root / "usr/bin/gdb").exists():
        pytest.skip("no Debian rootfs with gdb: run .ci/debian-rootfs")
    with Sandbox(rootfs=root) as sb:
        src = "#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n" + CRASH
        script = (f"cd /root && cat > c.c <<'EOF'\n{src}\nEOF\n"
                  "gcc -g -O0 -o crash c.c && ulimit -c unlimited && ./crash; "
                  "gdb -batch -ex bt ./crash core 2>&1")
        r = sb.run(["/bin/bash", "-c", script], text=True, timeout=120)
    assert "Program terminated with signal SIGSEGV" in r.stdout, r.stdout
    assert "in crash" in r.stdout and "in main" in r.stdout, r.stdout
