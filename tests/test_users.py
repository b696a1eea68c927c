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
