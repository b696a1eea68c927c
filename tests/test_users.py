"""The guest's users: virtual credentials, enforced by the guest kernel's permission checks.

The guest starts as root in its own world; after setuid() the usual Unix
rules apply to what it opens, creates, removes and executes, and what it
creates belongs to it (virtual ownership, never applied on the host).
"""
from __future__ import annotations

import subprocess
import sys

from umlpy import Sandbox

PERM = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#define T(n, e) printf("%s=%s\n", n, (e) < 0 ? strerrorname_np(errno) : "OK")
int main(void) {
    close(open("/tmp/rootfile", O_CREAT | O_WRONLY, 0644));
    mkdir("/tmp/rootdir", 0755);
    T("setgid", setgid(1000));
    T("setuid", setuid(1000));
    T("setuid_back", setuid(0));
    T("read_shadow", open("/etc/shadow", O_RDONLY));
    T("read_passwd", open("/etc/passwd", O_RDONLY));
    T("write_passwd", open("/etc/passwd", O_WRONLY));
    T("truncate_passwd", truncate("/etc/passwd", 0));
    T("create_in_etc", open("/etc/evil", O_CREAT | O_WRONLY, 0644));
    T("mkdir_in_etc", mkdir("/etc/evil.d", 0755));
    T("create_in_tmp", open("/tmp/mine", O_CREAT | O_WRONLY, 0600));
    struct stat st;
    stat("/tmp/mine", &st);
    printf("mine_owner=%d:%d\n", st.st_uid, st.st_gid);
    T("reopen_mine", open("/tmp/mine", O_RDWR));
    T("unlink_root_file_sticky", unlink("/tmp/rootfile"));
    T("rename_root_file_sticky", rename("/tmp/rootfile", "/tmp/stolen"));
    T("mkdir_in_rootdir", mkdir("/tmp/rootdir/x", 0755));
    T("exec_shadow", execl("/etc/shadow", "x", (char *)NULL));
    T("chmod_passwd", chmod("/etc/passwd", 0777));
    T("chown_mine", chown("/tmp/mine", 0, 0));
    T("unlink_mine", unlink("/tmp/mine"));
    T("search_root_home", open("/root/.profile", O_RDONLY));
    T("stat_in_root_home", stat("/root/x", &st));
    return 0;
}
"""


def test_a_non_root_guest_user_gets_unix_permissions(sandbox, cc, rootfs):
    r = sandbox.run([cc("perm_user", PERM)], text=True, timeout=10)
    got = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert got == {
        "setgid": "OK", "setuid": "OK", "setuid_back": "EPERM",
        "read_shadow": "EACCES", "read_passwd": "OK", "write_passwd": "EACCES",
        "truncate_passwd": "EACCES", "create_in_etc": "EACCES", "mkdir_in_etc": "EACCES",
        "create_in_tmp": "OK", "mine_owner": "1000:1000", "reopen_mine": "OK",
        "unlink_root_file_sticky": "EPERM", "rename_root_file_sticky": "EPERM",
        "mkdir_in_rootdir": "EACCES", "exec_shadow": "EACCES", "chmod_passwd": "EPERM",
        "chown_mine": "EPERM", "unlink_mine": "OK",
        "search_root_home": "EACCES", "stat_in_root_home": "EACCES",   # /root is 0700
    }
    assert (rootfs / "etc" / "passwd").stat().st_size > 0


def test_files_made_by_a_user_belong_to_it_in_the_guest_only(sandbox):
    r = sandbox.run(["sh", "-c", "su nobody -s /bin/sh -c 'echo x > /tmp/n; mkdir /tmp/d; id -u'; "
                                 "stat -c '%u %U' /tmp/n /tmp/d"], text=True, timeout=10)
    assert r.stdout == "65534\n65534 nobody\n65534 nobody\n", r.stderr


def test_run_as_a_guest_user_from_the_rootfs(rootfs):
    """Sandbox(user=NAME) starts init as that guest user, with the rootfs's ids and home;
    a root-only file is then EACCES, as for any user."""
    with Sandbox(rootfs=rootfs, user="nobody") as sb:
        r = sb.run(["/bin/sh", "-c", "id -u; id -g; echo $HOME; cat /root/.profile 2>&1; "
                                     "touch /etc/x 2>&1; echo done"], text=True, timeout=20)
    lines = r.stdout.splitlines()
    assert lines[:3] == ["65534", "65534", "/nonexistent"], r.stdout
    assert "Permission denied" in lines[4] and lines[-1] == "done", r.stdout


def test_user_option_numbers_and_errors(rootfs):
    """-u UID:GID needs no passwd entry; an unknown name is one error line and status 2."""
    base = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs)]
    r = subprocess.run(base + ["-u", "1000:100", "--", "sh", "-c", "id -u; id -g"],
                       capture_output=True, text=True, timeout=30, check=False)
    assert r.stdout == "1000\n100\n", r.stdout + r.stderr
    r = subprocess.run(base + ["-u", "nosuchuser", "--", "true"], capture_output=True, text=True,
                       timeout=30, check=False)
    assert r.returncode == 2 and r.stderr == "umlpy: error: unknown user 'nosuchuser': not in the rootfs's /etc/passwd\n"


CAPS = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/capability.h>
#define T(n, e) printf("%s=%s\n", n, (e) < 0 ? strerrorname_np(errno) : "OK")
static struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
static struct __user_cap_data_struct d[2];
static void drop(int cap) {
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << cap);
    d[0].permitted &= ~(1u << cap);
    syscall(SYS_capset, &h, d);
}
int main(void) {
    close(open("/tmp/theirs", O_CREAT | O_WRONLY, 0644));
    chown("/tmp/theirs", 1000, 1000);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) { setresuid(2000, 2000, 2000); write(p[1], "x", 1); pause(); _exit(0); }
    char x;
    read(p[0], &x, 1);
    T("chown_with_cap", chown("/tmp/theirs", 1001, -1));
    T("kill_with_cap", kill(c, 0));
    drop(CAP_CHOWN);
    drop(CAP_MKNOD);
    drop(CAP_KILL);
    T("chown_dropped", chown("/tmp/theirs", 1000, -1));
    T("mknod_dropped", mknod("/tmp/null2", S_IFCHR | 0666, makedev(1, 3)));
    T("kill_dropped", kill(c, SIGKILL));
    T("regain", (syscall(SYS_capget, &h, d), d[0].effective |= 1u << CAP_KILL, syscall(SYS_capset, &h, d)));
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "Cap", 3)) { line[strcspn(line, "\n")] = 0; char *v = strchr(line, '\t'); *strchr(line, ':') = 0; printf("%s=%s\n", line, v + 1); }
    printf("bset_chown=%d\n", prctl(PR_CAPBSET_READ, CAP_CHOWN));
    struct stat st;
    stat("/tmp/theirs", &st);
    printf("owner=%d\n", st.st_uid);
    return 0;
}
"""


def test_root_is_its_capabilities(sandbox, cc):
    """Guest root that dropped CAP_CHOWN, CAP_MKNOD and CAP_KILL can no longer give a
    file away, make a device node or signal another user's process; /proc/self/status
    shows the sets the guest kernel keeps (capset cannot raise what it dropped)."""
    r = sandbox.run([cc("caps_root", CAPS)], text=True, timeout=10)
    got = dict(line.split("=", 1) for line in r.stdout.splitlines())
    full = (1 << (int(open("/proc/sys/kernel/cap_last_cap").read()) + 1)) - 1
    dropped = full & ~((1 << 0) | (1 << 27) | (1 << 5))
    assert got == {
        "chown_with_cap": "OK", "kill_with_cap": "OK",
        "chown_dropped": "EPERM", "mknod_dropped": "EPERM", "kill_dropped": "EPERM", "regain": "EPERM",
        "CapInh": "0" * 16, "CapPrm": f"{dropped:016x}", "CapEff": f"{dropped:016x}",
        "CapBnd": f"{full:016x}", "CapAmb": "0" * 16, "bset_chown": "1", "owner": "1001",
    }, r.stdout + r.stderr


def test_a_guest_user_has_no_capabilities(rootfs):
    """Sandbox(user=...) starts a process with no capability (as after login)."""
    with Sandbox(rootfs=rootfs, user="nobody") as sb:
        r = sb.run(["/bin/sh", "-c", "grep -E '^Cap(Prm|Eff)' /proc/self/status"], text=True, timeout=20)
    assert r.stdout == "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n", r.stdout + r.stderr
