"""Attacks with odd ids and names: each must fail cleanly (an errno, never an
internal error of the supervisor) and leave the host as it was.

Issue 6, hole 2: chown to uid 2**31 was stored as a negative id and broke
every later stat; bind() to a non-UTF-8 unix path raised UnicodeEncodeError.
"""
from __future__ import annotations

import pytest
from conftest import builder, kv, run


@pytest.fixture
def build(cc):
    return builder(cc, "sec_ids_")


def test_chown_to_ids_above_2_31_is_stored_unsigned(sandbox, build):
    """chown to 2**31 and 2**32-2 keeps the ids as Linux's unsigned values; stat still works."""
    prog = build("bigids", r"""
    int main(void) {
        int fd = open("/home/f", O_CREAT | O_WRONLY, 0644);
        struct stat st;
        printf("fchown=%s\n", ERR(fchown(fd, 1u << 31, 1u << 31)));
        const char *r = ERR(fstat(fd, &st));
        printf("fstat=%s uid=%u gid=%u\n", r, st.st_uid, st.st_gid);
        printf("chown=%s\n", ERR(chown("/home/f", 4294967294u, -1)));
        r = ERR(stat("/home/f", &st));
        printf("stat=%s uid=%u gid=%u\n", r, st.st_uid, st.st_gid);
        printf("unchanged=%s\n", ERR(chown("/home/f", -1, -1)));
        stat("/home/f", &st);
        printf("after=%u,%u\n", st.st_uid, st.st_gid);
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out["fchown"] == "OK" and out["fstat"] == "OK uid=2147483648 gid=2147483648"
    assert out["chown"] == "OK" and out["stat"] == "OK uid=4294967294 gid=2147483648"
    assert out["unchanged"] == "OK" and out["after"] == "4294967294,2147483648"


def test_setuid_minus_one_is_einval(sandbox, build):
    """setuid((uid_t)-1) and setgid((gid_t)-1) are EINVAL, not a silent no-op."""
    prog = build("setuid_m1", r"""
    int main(void) {
        printf("setuid=%s\n", ERR(syscall(SYS_setuid, -1)));
        printf("setgid=%s\n", ERR(syscall(SYS_setgid, -1)));
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"setuid": "EINVAL", "setgid": "EINVAL"}


def test_chown_by_a_user_follows_linux(sandbox, build):
    """A non-root owner may change only the group, to one of its own; chown clears set-id bits."""
    prog = build("userchown", r"""
    #include <grp.h>
    int main(void) {
        struct stat st;
        int fd = open("/home/g", O_CREAT | O_WRONLY, 0755);
        fchmod(fd, 06755);
        gid_t groups[] = {100};
        setgroups(1, groups);
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        printf("give_away=%s\n", ERR(fchown(fd, 0, -1)));         /* not the owner */
        close(fd);
        fd = open("/tmp/mine", O_CREAT | O_WRONLY, 0755);
        fchmod(fd, 06755);
        fstat(fd, &st);
        printf("mode_before=%o\n", st.st_mode & 07777);
        printf("to_other_user=%s\n", ERR(fchown(fd, 0, -1)));
        printf("to_foreign_group=%s\n", ERR(fchown(fd, -1, 0)));
        printf("to_own_group=%s\n", ERR(fchown(fd, -1, 100)));
        fstat(fd, &st);
        printf("after=%u,%u,%o\n", st.st_uid, st.st_gid, st.st_mode & 07777);
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out["give_away"] == "EPERM"
    assert out["mode_before"] == "6755"
    assert out["to_other_user"] == "EPERM" and out["to_foreign_group"] == "EPERM"
    assert out["to_own_group"] == "OK" and out["after"] == "1000,100,755"


def test_unix_socket_paths_that_are_not_utf8(sandbox, build):
    """bind/connect/stat of a unix socket named with bytes that are not UTF-8."""
    prog = build("sock_bytes", r"""
    #include <sys/un.h>
    int main(void) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strcpy(a.sun_path, "/home/s\xff\xfe");
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        printf("bind=%s\n", ERR(bind(s, (void *)&a, sizeof a)));
        listen(s, 1);
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        printf("connect=%s\n", ERR(connect(c, (void *)&a, sizeof a)));
        struct sockaddr_un b;
        socklen_t len = sizeof b;
        getsockname(s, (void *)&b, &len);
        printf("name_matches=%d\n", strcmp(b.sun_path, a.sun_path) == 0);
        struct stat st;
        const char *r = ERR(stat(a.sun_path, &st));
        printf("stat=%s sock=%d\n", r, S_ISSOCK(st.st_mode));
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"bind": "OK", "connect": "OK", "name_matches": "1", "stat": "OK sock=1"}


def test_hostname_that_is_not_utf8(sandbox, build):
    """sethostname with bytes that are not UTF-8: uname and /proc show the same bytes."""
    prog = build("host_bytes", r"""
    int main(void) {
        printf("set=%s\n", ERR(sethostname("h\xff", 2)));
        struct utsname u;
        uname(&u);
        printf("uname_ok=%d\n", strcmp(u.nodename, "h\xff") == 0);
        char buf[64] = {0};
        int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
        read(fd, buf, sizeof buf - 1);
        printf("proc_ok=%d\n", strcmp(buf, "h\xff\n") == 0);
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"set": "OK", "uname_ok": "1", "proc_ok": "1"}


def test_exec_of_programs_at_paths_that_are_not_utf8(sandbox, build):
    """A #! script and a dynamic program named with non-UTF-8 bytes run (comm, argv kept as bytes)."""
    dyn = build("hello_dyn", r"""int main(int c, char **v) { printf("argv0_len=%zu\n", strlen(v[0])); return 0; }""")
    prog = build("exec_bytes", r"""
    int main(void) {
        int fd = open("/home/s\xff", O_CREAT | O_WRONLY, 0755);
        dprintf(fd, "#!/bin/sh\necho script-ran\n");
        close(fd);
        char *args[] = {"/home/s\xff", NULL};
        pid_t p = fork();
        if (p == 0) { execv(args[0], args); _exit(127); }
        int st;
        waitpid(p, &st, 0);
        symlink(""" + f'"{dyn}"' + r""", "/home/d\xfe");
        char *args2[] = {"/home/d\xfe", NULL};
        p = fork();
        if (p == 0) { execv(args2[0], args2); _exit(127); }
        waitpid(p, &st, 0);
        printf("status=%d\n", WEXITSTATUS(st));
        return 0;
    }""")
    r = run(sandbox, [prog])
    assert r.stdout == "script-ran\nargv0_len=8\nstatus=0\n", r.stdout + r.stderr


def test_capget_v1_and_statfs_write_exactly_their_structs(sandbox, build):
    """capget with version 1 writes one 12-byte set; statfs fills all 120 bytes and no more."""
    prog = build("struct_sizes", r"""
    #include <linux/capability.h>
    #include <sys/statfs.h>
    int main(void) {
        unsigned char buf[64];
        memset(buf, 0xAA, sizeof buf);
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_1, 0};
        printf("capget=%s\n", ERR(syscall(SYS_capget, &h, buf)));
        int n = 0;
        while (n < 64 && buf[n] != 0xAA) n++;
        printf("cap_bytes_changed_upto=%d guard=%d\n", n <= 12, buf[12] == 0xAA && buf[40] == 0xAA);
        unsigned char sb[160];
        memset(sb, 0xAA, sizeof sb);
        printf("statfs=%s\n", ERR(statfs("/", (struct statfs *)sb)));
        printf("spare_written=%d guard=%d\n", sb[119] == 0 && sb[112] == 0, sb[120] == 0xAA);
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"capget": "OK", "cap_bytes_changed_upto": "1 guard=1", "statfs": "OK",
                   "spare_written": "1 guard=1"}


def test_the_report_is_bounded(sandbox, build):
    """A guest refused 3000 times keeps 1000 lines in the report and counts the rest
    (the supervisor's memory does not grow with what the guest does)."""
    prog = build("refused_loop", r"""
    int main(void) {
        for (int i = 0; i < 3000; i++) syscall(SYS_kexec_load, 0, 0, 0, 0);
        return 0;
    }""")
    r = run(sandbox, [prog])
    assert len(r.report.denied) == 1000 and r.report.more["denied"] == 2000


def test_clone_untraced_cannot_escape_the_supervisor(sandbox, build):
    """clone(CLONE_UNTRACED): the child is still traced (guest pid, TracerPid set), and
    clone3 is refused, since its flags could be changed after the check by another thread."""
    prog = build("untraced", r"""
    int main(void) {
        long c = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
        if (c == 0) {
            char buf[4096] = {0};
            int fd = open("/proc/self/status", O_RDONLY);
            read(fd, buf, sizeof buf - 1);
            char *t = strstr(buf, "TracerPid:");
            printf("child_pid=%d traced=%d\n", getpid(), t && atoi(t + 10) != 0);
            fflush(stdout);
            _exit(7);
        }
        int st;
        waitpid(c, &st, 0);
        printf("parent_sees=%ld status=%d\n", c, WEXITSTATUS(st));
        struct clone_args ca = {.flags = CLONE_UNTRACED, .exit_signal = SIGCHLD};
        long r = syscall(SYS_clone3, &ca, sizeof ca);
        if (r == 0) _exit(0);
        printf("clone3=%s\n", ERR(r));
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out["parent_sees"] == "2 status=7" and out["clone3"] == "ENOSYS", out
    assert out["child_pid"].startswith("2 ")


def test_setpriority_prio_user_reaches_only_the_guest(sandbox, build):
    """setpriority(PRIO_USER, 0, 19) renices the guest's processes, never the host's
    processes of the same host uid (every guest runs as nobody on the host)."""
    import os
    import subprocess
    if os.geteuid() != 0:
        pytest.skip("needs root: to start a host process as nobody beside the sandbox")
    bystander = subprocess.Popen(["sleep", "30"], preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
    try:
        prog = build("prio_user", r"""
        #include <sys/resource.h>
        int main(void) {
            printf("set=%s\n", ERR(setpriority(PRIO_USER, 0, 19)));
            printf("mine=%d\n", getpriority(PRIO_PROCESS, 0));
            errno = 0;
            int u = getpriority(PRIO_USER, 0);
            printf("user=%d %s\n", u, errno ? strerrorname_np(errno) : "OK");
            printf("pgrp=%s\n", ERR(setpriority(PRIO_PGRP, 0, 19)));
            printf("other_pgrp=%s\n", ERR(setpriority(PRIO_PGRP, 12345, 19)));
            return 0;
        }""")
        out = kv(run(sandbox, [prog]).stdout)
        assert out == {"set": "OK", "mine": "19", "user": "19 OK", "pgrp": "OK", "other_pgrp": "ESRCH"}
        assert os.getpriority(os.PRIO_PROCESS, bystander.pid) == 0
    finally:
        bystander.kill()
        bystander.wait()


def test_truncate_of_a_fifo_is_einval_not_a_hang(sandbox, build):
    """truncate(2) of a FIFO: EINVAL at once (the supervisor used to open it and wait forever)."""
    prog = build("truncate_fifo", r"""
    int main(void) {
        mkfifo("/tmp/f", 0600);
        printf("truncate=%s\n", ERR(truncate("/tmp/f", 0)));
        return 0;
    }""")
    r = run(sandbox, [prog], timeout=10)
    assert r.stdout == "truncate=EINVAL\n"


def test_mount_point_that_is_not_utf8(sandbox, build):
    """A tmpfs mounted at a non-UTF-8 path: /proc/self/mountinfo and mounts still read (fuzzer)."""
    prog = build("mount_bytes", r"""
    #include <sys/mount.h>
    int main(void) {
        mkdir("/home/m\xc3", 0755);
        printf("mount=%s\n", ERR(mount("none", "/home/m\xc3", "tmpfs", 0, NULL)));
        char buf[8192];
        int fd = open("/proc/self/mountinfo", O_RDONLY);
        long n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        printf("mountinfo=%d\n", n > 0 && strstr(buf, "/home/m\xc3") != NULL);
        fd = open("/proc/mounts", O_RDONLY);
        n = read(fd, buf, sizeof buf - 1);
        printf("mounts=%d\n", n > 0);
        return 0;
    }""")
    out = kv(run(sandbox, [prog]).stdout)
    assert out == {"mount": "OK", "mountinfo": "1", "mounts": "1"}
