"""What the syscall fuzzer (python3 -m umlpy.fuzz, docs/fuzzing.md) found, one
regression test per finding: each call gets Linux's answer, and the
supervisor raises no internal error and the host is unchanged (the autouse
no_supervisor_errors and host_unchanged checks of tests/conftest.py).
"""
from __future__ import annotations

import pytest
from conftest import builder, kv, run


@pytest.fixture
def build(cc):
    return builder(cc, "sec_fz_")


def test_unix_addresses_on_sockets_of_other_kinds(sandbox, build):
    """connect/bind/sendto with a unix path on a file or an inet socket: ENOTSOCK, EAFNOSUPPORT."""
    prog = build("unix_on_other", r"""
    #include <netinet/in.h>
    #include <sys/un.h>
    int main(void) {
        struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "/tmp/s"};
        int l = socket(AF_UNIX, SOCK_STREAM, 0);
        bind(l, (void *)&a, sizeof a);
        listen(l, 1);
        int file = open("/etc/passwd", O_RDONLY);
        printf("connect_file=%s\n", ERR(connect(file, (void *)&a, sizeof a)));
        printf("bind_file=%s\n", ERR(bind(file, (void *)&a, sizeof a)));
        printf("sendto_file=%s\n", ERR(sendto(file, "x", 1, 0, (void *)&a, sizeof a)));
        int in = socket(AF_INET, SOCK_STREAM, 0);
        printf("connect_inet=%s\n", ERR(connect(in, (void *)&a, sizeof a)));
        printf("bind_inet=%s\n", ERR(bind(in, (void *)&a, sizeof a)));
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        printf("sendto_udp=%s\n", ERR(sendto(u, "x", 1, 0, (void *)&a, sizeof a)));
        printf("connect_badfd=%s\n", ERR(connect(999, (void *)&a, sizeof a)));
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"connect_file": "ENOTSOCK", "bind_file": "ENOTSOCK", "sendto_file": "ENOTSOCK",
                   "connect_inet": "EAFNOSUPPORT", "bind_inet": "EAFNOSUPPORT",
                   "sendto_udp": "EAFNOSUPPORT", "connect_badfd": "EBADF"}


def test_open_flags_with_unknown_bits(sandbox, build):
    """open ignores unknown flag bits (bit 31 too); openat2 refuses them with EINVAL."""
    prog = build("open_bits", r"""
    #include <linux/openat2.h>
    int main(void) {
        long fd = syscall(SYS_openat, AT_FDCWD, "/etc/passwd", 0x80000000UL | 0x10, 0);
        printf("openat=%s\n", fd >= 0 ? "OK" : strerrorname_np(errno));
        struct open_how how = {.flags = 0x80000000UL};
        printf("openat2=%s\n", ERR(syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, sizeof how)));
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"openat": "OK", "openat2": "EINVAL"}


def test_so_peercred_writes_no_more_than_optlen(sandbox, build):
    """getsockopt(SO_PEERCRED) with a short optlen writes that many bytes, no more."""
    prog = build("peercred_len", r"""
    int main(void) {
        int sv[2];
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        unsigned char buf[16];
        memset(buf, 0xAA, sizeof buf);
        socklen_t len = 4;
        printf("short=%s len=%u\n", ERR(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, buf, &len)), len);
        printf("guard=%d pid_ok=%d\n", buf[4] == 0xAA && buf[11] == 0xAA, *(int *)buf == getpid());
        len = 0;
        printf("zero=%s len=%u\n", ERR(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, (void *)0x1000, &len)), len);
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"short": "OK len=4", "guard": "1 pid_ok=1", "zero": "OK len=0"}


def test_clone_ptrace_untraced_child_is_not_lost(rootfs, progs, build, no_supervisor_errors):
    """clone(CLONE_PTRACE|CLONE_UNTRACED) from a child: the grandchild is known and the run ends,
    even with no limits (no cgroup kill to hide a task the guest kernel lost)."""
    from umlpy import Sandbox
    prog = build("ptrace_untraced", r"""
    int main(void) {
        pid_t c = fork();
        if (c == 0) {
            long g = syscall(SYS_clone, SIGCHLD | 0x2000 | 0x800000, 0, 0, 0, 0);
            if (g == 0) _exit(3);
            int st;
            waitpid(g, &st, 0);
            printf("grandchild=%ld status=%d\n", g, WEXITSTATUS(st));
            fflush(stdout);
            _exit(0);
        }
        waitpid(c, NULL, 0);
        return 0;
    }""")
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")],
                 limits={"memory": None, "processes": None, "cpu": None}) as sb:
        r = run(sb, [prog], timeout=20)
    assert r.stdout == "grandchild=3 status=3\n", r.stdout + r.stderr
