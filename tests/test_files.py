"""End-to-end tests of the guest's files: the overlay root, /tmp, /dev, bind
mounts, and the file syscalls, each with its bad case and exact errno.

Guest programs are busybox applets, host dynamic binaries copied into the
rootfs (/usr/bin/ls, /usr/bin/stat, /bin/bash) and C programs compiled by the
`cc` fixture (static and dynamic).  Every test asserts what the guest observed
and, where it matters, what the host directory looks like afterwards.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import sh
from umlpy import Sandbox

REPO = Path(__file__).resolve().parent.parent

# A prelude for the C programs: T(label, expr) prints "label=RESULT" or
# "label=ERRNONAME" when expr returned -1 (errno set), one line per check.
PRELUDE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void report(const char *label, long r) {
    if (r == -1) printf("%s=%s\n", label, strerrorname_np(errno));
    else printf("%s=%ld\n", label, r);
    fflush(stdout);
}
#define T(label, expr) do { errno = 0; long _r = (long)(expr); report(label, _r); } while (0)
#define S(label, str) do { printf("%s=%s\n", label, str); fflush(stdout); } while (0)
"""


def kv(out: str) -> dict[str, str]:
    """'a=1\\nb=ENOENT\\n' -> {'a': '1', 'b': 'ENOENT'}"""
    d = {}
    for line in out.splitlines():
        k, eq, v = line.partition("=")
        if eq:
            d[k] = v
    return d


def run_c(sb: Sandbox, cc, name: str, body: str, *args: str, static: bool = False, **kw):
    prog = cc(name + ("_static" if static else ""), PRELUDE + body, static=static)
    r = sb.run([prog, *args], text=True, timeout=kw.pop("timeout", 20), **kw)
    return r


def host_listing(d: Path) -> set[str]:
    return {p.name for p in d.iterdir()}


# ---------------------------------------------------------------- overlay root

def test_overlay_write_visible_in_same_and_later_run_not_on_host(sandbox, rootfs):
    r = sh(sandbox, "echo overlay-data > /etc/x_new && cat /etc/x_new && ls /etc")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "overlay-data"
    assert "x_new" in lines[1:]
    # a later run of the same Sandbox sees it
    r = sh(sandbox, "cat /etc/x_new")
    assert (r.returncode, r.stdout) == (0, "overlay-data\n")
    # the host's rootfs directory is untouched
    assert not (rootfs / "etc" / "x_new").exists()
    assert "/etc/x_new" in sh(sandbox, "echo more > /etc/x_new").report.files_written


def test_overlay_is_private_to_a_sandbox(sandbox, rootfs, progs):
    assert sh(sandbox, "echo mine > /etc/private").returncode == 0
    with Sandbox(rootfs=rootfs) as other:
        r = sh(other, "cat /etc/private")
    assert r.returncode == 1
    assert "No such file or directory" in r.stderr
    assert r.stdout == ""


def test_append_redirect_to_existing_file(sandbox, rootfs):
    # sh's `>>` is open(O_WRONLY|O_CREAT|O_APPEND) on a file that exists
    r = sh(sandbox, "echo a > /etc/y; echo b >> /etc/y; echo c > /tmp/z; echo d >> /tmp/z; "
                    "cat /etc/y /tmp/z")
    assert r.stderr == ""
    assert r.stdout == "a\nb\nc\nd\n"


def test_overlay_write_to_lower_file_copies_up(sandbox, rootfs, cc):
    before = (rootfs / "etc" / "hostname").read_bytes()
    out = kv(run_c(sandbox, cc, "copyup", r"""
        int main(void) { char b[32] = {0};
            int fd = open("/etc/hostname", O_WRONLY | O_APPEND);
            T("append", write(fd, "changed\n", 8)); close(fd);
            fd = open("/etc/passwd", O_RDWR);
            T("pwrite", pwrite(fd, "ROOT", 4, 0)); pread(fd, b, 10, 0); S("passwd", b);
            return 0; }""").stdout)
    assert out == {"append": "8", "pwrite": "4", "passwd": "ROOT:x:0:0"}
    r = sh(sandbox, "cat /etc/hostname; head -c 5 /etc/passwd")
    assert r.stdout == before.decode() + "changed\nROOT:"
    assert (rootfs / "etc" / "hostname").read_bytes() == before
    assert (rootfs / "etc" / "passwd").read_text().startswith("root:")


def test_overlay_delete_hides_lower_file(sandbox, rootfs, cc):
    host = rootfs / "etc" / "hostname"
    r = sh(sandbox, "rm /etc/hostname && ls /etc; cat /etc/hostname; echo cat=$?; "
                    "stat /etc/hostname; echo stat=$?")
    assert r.returncode == 0, r.stderr
    assert "hostname" not in r.stdout.split()
    assert "passwd" in r.stdout.split()         # the rest of the lower dir is still there
    assert "cat=1" in r.stdout and "stat=1" in r.stdout
    assert "can't stat '/etc/hostname': No such file or directory" in r.stderr
    out = kv(run_c(sandbox, cc, "stat_enoent", r"""
        int main(void) { struct stat st;
            T("stat", stat("/etc/hostname", &st));
            T("lstat", lstat("/etc/hostname", &st));
            T("open", open("/etc/hostname", O_RDONLY));
            T("access", access("/etc/hostname", F_OK));
            return 0; }""").stdout)
    assert out == {"stat": "ENOENT", "lstat": "ENOENT", "open": "ENOENT", "access": "ENOENT"}
    # the host file still exists with its content
    assert host.read_text() == "umlpy\n"
    # a dynamic host binary agrees
    r = sandbox.run(["/usr/bin/ls", "/etc/hostname"], text=True)
    assert r.returncode == 2 and "No such file or directory" in r.stderr


def test_overlay_recreate_deleted_file(sandbox, rootfs):
    r = sh(sandbox, "rm /etc/hostname; echo reborn > /etc/hostname; cat /etc/hostname; "
                    "ls /etc | grep -c '^hostname$'")
    assert r.stdout == "reborn\n1\n"
    assert sh(sandbox, "cat /etc/hostname").stdout == "reborn\n"
    assert (rootfs / "etc" / "hostname").read_text() == "umlpy\n"


def test_overlay_delete_lower_dir_and_recreate_is_empty(sandbox, rootfs):
    # rm -r of a lower directory hides all of it; a new dir of the same name is empty
    assert (rootfs / "etc").is_dir()
    r = sh(sandbox, "mkdir /srv_x; mkdir /srv_x/a; rm -r /var; ls -d /var; echo ls=$?; "
                    "mkdir /var && ls -A /var | wc -l")
    assert "ls=1" in r.stdout
    assert r.stdout.strip().endswith("0")
    assert (rootfs / "var").is_dir()


def test_overlay_rename(sandbox, rootfs):
    orig = (rootfs / "etc" / "passwd").read_text()
    r = sh(sandbox, "mv /etc/passwd /etc/pw2 && cat /etc/pw2 && ls /etc")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(orig)
    names = r.stdout[len(orig):].split()
    assert "pw2" in names and "passwd" not in names
    r = sh(sandbox, "cat /etc/passwd")
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    # rename an upper file over a lower one
    r = sh(sandbox, "echo new > /etc/n; mv /etc/n /etc/group; cat /etc/group; ls /etc | grep -c '^n$'")
    assert r.stdout == "new\n0\n"
    assert (rootfs / "etc" / "passwd").read_text() == orig
    assert not (rootfs / "etc" / "pw2").exists()
    # bad case: renaming something missing
    r = sh(sandbox, "mv /etc/nope /etc/nope2")
    assert r.returncode == 1 and "No such file or directory" in r.stderr


def test_overlay_mkdir_rmdir(sandbox, rootfs, cc):
    r = sh(sandbox, "mkdir /etc/d && touch /etc/d/f && ls /etc/d && rm /etc/d/f && rmdir /etc/d "
                    "&& ls -d /etc/d")
    assert r.stdout == "f\n"
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    assert not (rootfs / "etc" / "d").exists()
    out = kv(run_c(sandbox, cc, "mkdir_rmdir", r"""
        int main(void) {
            T("mkdir", mkdir("/etc/dd", 0755));
            T("mkdir_again", mkdir("/etc/dd", 0755));
            T("mkdir_over_lower_file", mkdir("/etc/passwd", 0755));
            T("mkdir_missing_parent", mkdir("/nonexistent/dd", 0755));
            T("mkdir_under_file", mkdir("/etc/passwd/dd", 0755));
            T("rmdir_lower_nonempty", rmdir("/etc"));
            T("rmdir_file", rmdir("/etc/passwd"));
            T("rmdir_missing", rmdir("/etc/nothere"));
            T("rmdir", rmdir("/etc/dd"));
            T("rmdir_lower_empty", rmdir("/mnt"));
            struct stat st;
            T("stat_after", stat("/mnt", &st));
            return 0; }""").stdout)
    assert out == {"mkdir": "0", "mkdir_again": "EEXIST", "mkdir_over_lower_file": "EEXIST",
                   "mkdir_missing_parent": "ENOENT", "mkdir_under_file": "ENOTDIR",
                   "rmdir_lower_nonempty": "ENOTEMPTY", "rmdir_file": "ENOTDIR",
                   "rmdir_missing": "ENOENT", "rmdir": "0", "rmdir_lower_empty": "0",
                   "stat_after": "ENOENT"}
    assert (rootfs / "mnt").is_dir()


def test_getdents_merges_upper_and_lower(sandbox, rootfs):
    lower = host_listing(rootfs / "etc")
    r = sh(sandbox, "touch /etc/zz_upper; rm /etc/group; echo x >> /etc/passwd; ls -a /etc")
    assert r.returncode == 0, r.stderr
    names = r.stdout.split()
    assert len(names) == len(set(names)), f"duplicates in {names}"
    assert set(names) == (lower - {"group"}) | {"zz_upper", ".", ".."}
    # the host's dynamic ls (getdents64 + statx) sees the same
    r = sandbox.run(["/usr/bin/ls", "-a", "/etc"], text=True)
    assert sorted(r.stdout.split()) == sorted(names)
    # a directory that only exists in the upper layer, inside a lower one
    r = sh(sandbox, "mkdir -p /usr/newdir/sub && touch /usr/newdir/f && ls /usr/newdir && ls /usr")
    assert r.stdout.split()[:2] == ["f", "sub"]
    assert set(r.stdout.split()[2:]) == host_listing(rootfs / "usr") | {"newdir"}


def test_persist_dir_keeps_changes_across_sandboxes(rootfs, tmp_path):
    persist = tmp_path / "upper"
    with Sandbox(rootfs=rootfs, persist=persist) as sb:
        r = sh(sb, "echo kept > /etc/kept && rm /etc/shells && mkdir /root/work")
        assert r.returncode == 0, r.stderr
    assert persist.exists()
    with Sandbox(rootfs=rootfs, persist=persist) as sb:
        r = sh(sb, "cat /etc/kept; ls /etc/shells; ls -d /root/work")
    assert r.stdout.splitlines() == ["kept", "/root/work"]
    assert "/etc/shells: No such file or directory" in r.stderr
    assert (rootfs / "etc" / "shells").exists()
    assert not (rootfs / "etc" / "kept").exists()
    # bad case: without the persist dir, a new sandbox starts clean
    with Sandbox(rootfs=rootfs) as sb:
        r = sh(sb, "cat /etc/kept; ls /etc/shells")
    assert r.stdout == "/etc/shells\n"
    assert "can't open '/etc/kept'" in r.stderr


def test_persist_dir_across_cli_runs(rootfs, tmp_path):
    persist = tmp_path / "p"
    base = [sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--persist", str(persist), "--"]
    r = subprocess.run(base + ["sh", "-c", "echo cli-kept > /root/note; rm /etc/profile"],
                       capture_output=True, text=True, timeout=30, cwd=REPO)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(base + ["sh", "-c", "cat /root/note; cat /etc/profile"],
                       capture_output=True, text=True, timeout=30, cwd=REPO)
    assert r.stdout == "cli-kept\n"
    assert r.returncode == 1 and "/etc/profile" in r.stderr
    assert (rootfs / "etc" / "profile").exists()
    # without --persist, nothing of it
    r = subprocess.run(base[:6] + ["--", "cat", "/root/note"], capture_output=True, text=True,
                       timeout=30, cwd=REPO)
    assert r.returncode == 1 and r.stdout == ""


def test_chmod_chown_recorded_in_overlay_not_on_host(sandbox, rootfs, cc):
    host = rootfs / "etc" / "hostname"
    st0 = host.stat()
    r = sh(sandbox, "chmod 600 /etc/hostname && chown 123:456 /etc/hostname && "
                    "stat -c '%a %u %g' /etc/hostname")
    assert (r.returncode, r.stdout) == (0, "600 123 456\n"), r.stderr
    # the host binary (statx) and a later run agree
    r = sandbox.run(["/usr/bin/stat", "-c", "%a %u %g %s", "/etc/hostname"], text=True)
    assert r.stdout == f"600 123 456 {st0.st_size}\n", r.stderr
    st1 = host.stat()
    assert (st1.st_mode, st1.st_uid, st1.st_gid) == (st0.st_mode, st0.st_uid, st0.st_gid)
    assert (rootfs / "etc" / "hostname").read_text() == "umlpy\n"
    # chmod on a directory, and the bad cases
    out = kv(run_c(sandbox, cc, "chmod_chown", r"""
        int main(void) { struct stat st;
            T("chmod_dir", chmod("/usr", 0700));
            stat("/usr", &st); printf("usr_mode=%o\n", st.st_mode & 07777);
            int fd = open("/etc/passwd", O_RDONLY);
            T("fchmod", fchmod(fd, 0604));
            T("fchown", fchown(fd, 7, 8));
            fstat(fd, &st); printf("passwd=%o %d %d\n", st.st_mode & 07777, st.st_uid, st.st_gid);
            T("lchown", lchown("/etc/passwd", -1, 9));
            stat("/etc/passwd", &st); printf("passwd2=%d %d\n", st.st_uid, st.st_gid);
            T("chmod_missing", chmod("/etc/nope", 0600));
            T("chown_missing", chown("/nope/x", 0, 0));
            T("chmod_efault", chmod((char *)1, 0600));
            return 0; }""").stdout)
    assert out == {"chmod_dir": "0", "usr_mode": "700", "fchmod": "0", "fchown": "0",
                   "passwd": "604 7 8", "lchown": "0", "passwd2": "7 9",
                   "chmod_missing": "ENOENT", "chown_missing": "ENOENT", "chmod_efault": "EFAULT"}
    assert stat.S_IMODE((rootfs / "usr").stat().st_mode) == 0o755
    assert stat.S_IMODE((rootfs / "etc" / "passwd").stat().st_mode) == 0o644


# ---------------------------------------------------------------- /tmp tmpfs

def test_tmp_is_a_fresh_tmpfs(rootfs, tmp_path):
    marker = Path("/tmp") / f"umlpy-host-marker-{os.getpid()}"
    marker.write_text("host")
    try:
        with Sandbox(rootfs=rootfs) as sb:
            r = sh(sb, "ls -A /tmp | wc -l; stat -f -c %T /tmp; echo hi > /tmp/f; cat /tmp/f; "
                       f"cat {marker}")
            assert r.stdout.splitlines() == ["0", "tmpfs", "hi"]
            assert "No such file or directory" in r.stderr
            assert not (Path("/tmp") / "f").exists() or (Path("/tmp") / "f").read_text() != "hi\n"
            assert not (rootfs / "tmp" / "f").exists()
        with Sandbox(rootfs=rootfs) as sb:
            r = sh(sb, "ls -A /tmp; cat /tmp/f")
        assert r.stdout == ""
        assert "No such file or directory" in r.stderr
    finally:
        marker.unlink()


def test_tmp_is_sticky_world_writable_and_mmapable(sandbox, cc):
    out = kv(run_c(sandbox, cc, "tmp_mmap", r"""
        #include <sys/mman.h>
        int main(void) { struct stat st;
            stat("/tmp", &st); printf("mode=%o\n", st.st_mode & 07777);
            int fd = open("/tmp/m", O_RDWR | O_CREAT, 0600);
            T("ftruncate", ftruncate(fd, 4096));
            char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            S("mmap", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
            strcpy(p, "via-mmap"); munmap(p, 4096);
            char buf[16] = {0}; T("pread", pread(fd, buf, 8, 0)); S("data", buf);
            return 0; }""").stdout)
    assert out == {"mode": "1777", "ftruncate": "0", "mmap": "ok", "pread": "8", "data": "via-mmap"}


# ---------------------------------------------------------------- /dev

def test_dev_null_zero_urandom(sandbox):
    r = sh(sandbox, "echo gone > /dev/null; echo null=$?; cat /dev/null | wc -c; "
                    "head -c 8 /dev/zero | od -An -tx1; head -c 16 /dev/urandom | od -An -tx1; "
                    "head -c 16 /dev/urandom | od -An -tx1")
    lines = r.stdout.splitlines()
    assert lines[0] == "null=0"
    assert lines[1].strip() == "0"
    assert lines[2].split() == ["00"] * 8
    assert len(lines[3].split()) == 16 and lines[3] != lines[4]
    assert lines[3].split() != ["00"] * 16


def test_dev_full_write_is_enospc(sandbox, cc):
    r = sh(sandbox, "echo x > /dev/full")
    assert r.returncode == 1 and "No space left on device" in r.stderr
    out = kv(run_c(sandbox, cc, "devfull", r"""
        int main(void) { char b[4] = "abc";
            int fd = open("/dev/full", O_RDWR);
            T("write", write(fd, b, 3));
            T("read", read(fd, b, 4));
            printf("zero=%d\n", b[0] == 0 && b[3] == 0);
            return 0; }""").stdout)
    assert out == {"write": "ENOSPC", "read": "4", "zero": "1"}


def test_dev_listing_and_no_host_devices(sandbox, cc):
    r = sh(sandbox, "ls /dev")
    assert r.returncode == 0, r.stderr
    names = set(r.stdout.split())
    assert {"null", "zero", "full", "urandom", "random", "tty", "fd", "stdin"} <= names
    assert not names & {"sda", "vda", "mem", "kmem", "port", "kmsg"}
    out = kv(run_c(sandbox, cc, "devbad", r"""
        int main(void) {
            T("mem", open("/dev/mem", O_RDONLY));
            T("sda", open("/dev/sda", O_RDONLY));
            T("mknod_chr", mknod("/tmp/mem", S_IFCHR | 0600, makedev(1, 1)));
            T("open_mknod_chr", open("/tmp/mem", O_RDONLY));
            T("mknod_root", mknod("/root/kmsg", S_IFCHR | 0600, makedev(1, 11)));
            T("open_mknod_root", open("/root/kmsg", O_RDONLY));
            T("create_in_dev", open("/dev/newfile", O_CREAT | O_WRONLY, 0600));
            return 0; }""").stdout)
    assert out["mem"] == "ENOENT" and out["sda"] == "ENOENT"
    # Guest root may make device nodes (virtual records): one the guest kernel does not serve is ENXIO.
    assert out["mknod_chr"] == "0" and out["mknod_root"] == "0"
    assert out["open_mknod_chr"] == "ENXIO" and out["open_mknod_root"] == "ENXIO"
    assert out["create_in_dev"] in ("EROFS", "EACCES", "EPERM")


def test_dev_fd_and_stdin(sandbox):
    r = sh(sandbox, "exec 3</etc/hostname; cat /dev/fd/3; echo piped | cat /dev/stdin; "
                    "readlink /dev/stdin")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["umlpy", "piped"]
    r = sh(sandbox, "cat /dev/fd/9")
    assert r.returncode == 1 and "No such file or directory" in r.stderr


def test_dev_tty_without_terminal_is_enxio(sandbox, cc):
    r = sh(sandbox, "cat /dev/tty")
    assert r.returncode == 1 and "No such device or address" in r.stderr
    out = kv(run_c(sandbox, cc, "devtty", r"""
        int main(void) { T("tty", open("/dev/tty", O_RDWR)); T("isatty0", isatty(0) ? 1 : -1);
                         return 0; }""", input="").stdout)
    assert out == {"tty": "ENXIO", "isatty0": "ENOTTY"}


# ---------------------------------------------------------------- bind mounts

def test_bind_mount_rw_reaches_host(rootfs, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / "in").write_text("from-host\n")
    with Sandbox(rootfs=rootfs, mounts=[(str(share), "/data", "rw")]) as sb:
        r = sh(sb, "cat /data/in; echo from-guest > /data/out; mkdir /data/sub; "
                   "mv /data/in /data/sub/moved; ls /data")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["from-host", "out", "sub"]
    assert (share / "out").read_text() == "from-guest\n"
    assert (share / "sub" / "moved").read_text() == "from-host\n"
    assert not (share / "in").exists()
    # and it never went to the rootfs
    assert not (rootfs / "data").exists()


def test_bind_mount_ro_is_erofs(rootfs, tmp_path, cc, progs):
    share = tmp_path / "ro"
    share.mkdir()
    (share / "f").write_text("keep\n")
    prog = cc("erofs", PRELUDE + r"""
        int main(void) {
            T("open_w", open("/ro/f", O_WRONLY));
            T("creat", open("/ro/new", O_CREAT | O_WRONLY, 0644));
            T("unlink", unlink("/ro/f"));
            T("mkdir", mkdir("/ro/d", 0755));
            T("rename", rename("/ro/f", "/ro/g"));
            T("chmod", chmod("/ro/f", 0600));
            T("truncate", truncate("/ro/f", 0));
            T("symlink", symlink("x", "/ro/l"));
            T("open_r", open("/ro/f", O_RDONLY) >= 0 ? 0 : -1);
            return 0; }""")
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro"), (str(share), "/ro", "ro")]) as sb:
        out = kv(sb.run([prog], text=True, timeout=20).stdout)
        r = sh(sb, "echo x > /ro/f")
    assert out == {"open_w": "EROFS", "creat": "EROFS", "unlink": "EROFS", "mkdir": "EROFS",
                   "rename": "EROFS", "chmod": "EROFS", "truncate": "EROFS", "symlink": "EROFS",
                   "open_r": "0"}
    assert "Read-only file system" in r.stderr
    assert sorted(p.name for p in share.iterdir()) == ["f"]
    assert (share / "f").read_text() == "keep\n"


def test_rename_and_link_across_mounts_is_exdev(rootfs, tmp_path, cc, progs):
    share = tmp_path / "x"
    share.mkdir()
    (share / "f").write_text("f\n")
    prog = cc("exdev", PRELUDE + r"""
        int main(void) {
            T("rename_out", rename("/x/f", "/tmp/f"));
            T("rename_in", rename("/etc/hostname", "/x/h"));
            T("link_out", link("/x/f", "/root/f"));
            return 0; }""")
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro"), (str(share), "/x")]) as sb:
        out = kv(sb.run([prog], text=True, timeout=20).stdout)
        r = sh(sb, "mv /x/f /tmp/f && cat /tmp/f && ls /x")   # mv falls back to copy+unlink
    assert out == {"rename_out": "EXDEV", "rename_in": "EXDEV", "link_out": "EXDEV"}
    assert r.stdout == "f\n" and not (share / "f").exists()


# ---------------------------------------------------------------- file syscalls

OPEN_C = r"""
int main(void) { char buf[64] = {0}; struct stat st;
    int fd = open("/tmp/f", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    printf("open_fd=%d\n", fd);
    T("write", write(fd, "hello", 5));
    T("read_wronly", read(fd, buf, 5));
    T("close", close(fd));
    T("close_again", close(fd));
    fd = openat(AT_FDCWD, "/tmp/f", O_RDONLY);
    T("read", read(fd, buf, sizeof buf)); S("data", buf);
    T("write_rdonly", write(fd, "x", 1));
    int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
    T("openat_rel", openat(dfd, "f", O_RDONLY) > 0 ? 0 : -1);
    T("openat_badfd", openat(99, "f", O_RDONLY));
    T("openat_filefd", openat(fd, "f", O_RDONLY));
    T("creat", creat("/tmp/g", 0600) > 0 ? 0 : -1);
    stat("/tmp/g", &st); printf("creat_mode=%o\n", st.st_mode & 0777);
    T("creat_existing", open("/tmp/f", O_CREAT | O_WRONLY, 0644) > 0 ? 0 : -1);
    T("creat_existing_lower", open("/etc/passwd", O_CREAT | O_RDWR | O_APPEND, 0644) > 0 ? 0 : -1);
    T("excl", open("/tmp/f", O_CREAT | O_EXCL | O_WRONLY, 0644));
    T("excl_lower", open("/etc/passwd", O_CREAT | O_EXCL | O_WRONLY, 0644));
    T("missing", open("/tmp/missing", O_RDONLY));
    T("missing_dir", open("/nodir/x", O_CREAT | O_WRONLY, 0644));
    T("dir_wr", open("/etc", O_WRONLY));
    T("notdir", open("/etc/passwd/x", O_RDONLY));
    T("o_directory_file", open("/etc/passwd", O_RDONLY | O_DIRECTORY));
    T("trunc", open("/tmp/f", O_WRONLY | O_TRUNC) > 0 ? 0 : -1);
    stat("/tmp/f", &st); printf("size_after_trunc=%ld\n", (long)st.st_size);
    int a = open("/tmp/f", O_WRONLY | O_APPEND);
    write(a, "12", 2); lseek(a, 0, SEEK_SET); write(a, "34", 2);
    fd = open("/tmp/f", O_RDONLY); memset(buf, 0, sizeof buf); read(fd, buf, 63); S("append", buf);
    T("empty_path", open("", O_RDONLY));
    T("efault", open((char *)1, O_RDONLY));
    char longname[300]; memset(longname, 'a', 299); longname[0] = '/'; longname[299] = 0;
    T("toolong", open(longname, O_RDONLY));
    return 0; }
"""


@pytest.mark.parametrize("static", [False, True], ids=["dynamic", "static"])
def test_open_openat_creat(sandbox, cc, static):
    out = kv(run_c(sandbox, cc, "open", OPEN_C, static=static).stdout)
    assert out == {
        "open_fd": "3", "write": "5", "read_wronly": "EBADF", "close": "0", "close_again": "EBADF",
        "read": "5", "data": "hello", "write_rdonly": "EBADF", "openat_rel": "0",
        "openat_badfd": "EBADF", "openat_filefd": "ENOTDIR", "creat": "0", "creat_mode": "600",
        "creat_existing": "0", "creat_existing_lower": "0", "excl": "EEXIST", "excl_lower": "EEXIST", "missing": "ENOENT", "missing_dir": "ENOENT",
        "dir_wr": "EISDIR", "notdir": "ENOTDIR", "o_directory_file": "ENOTDIR", "trunc": "0",
        "size_after_trunc": "0", "append": "1234", "empty_path": "ENOENT", "efault": "EFAULT",
        "toolong": "ENAMETOOLONG"}


def test_read_write_lseek_pread(sandbox, cc):
    out = kv(run_c(sandbox, cc, "rwseek", r"""
        int main(void) { char b[16] = {0};
            int fd = open("/root/data", O_CREAT | O_RDWR, 0644);
            T("write", write(fd, "0123456789", 10));
            T("seek_set", lseek(fd, 3, SEEK_SET));
            T("read", read(fd, b, 3)); S("got", b);
            memset(b, 0, sizeof b);
            T("pread", pread(fd, b, 2, 8)); S("pgot", b);
            T("cur", lseek(fd, 0, SEEK_CUR));
            T("pwrite", pwrite(fd, "AB", 2, 0));
            T("end", lseek(fd, 0, SEEK_END));
            T("seek_hole", lseek(fd, 100, SEEK_SET));
            T("write_at_100", write(fd, "Z", 1));
            struct stat st; fstat(fd, &st); printf("size=%ld\n", (long)st.st_size);
            memset(b, 0, sizeof b); pread(fd, b, 4, 0); S("head", b);
            T("eof", read(fd, b, 4));
            T("bad_whence", lseek(fd, 0, 42));
            T("neg", lseek(fd, -5, SEEK_SET));
            T("read_badfd", read(77, b, 1));
            int p[2]; pipe(p);
            T("seek_pipe", lseek(p[0], 0, SEEK_SET));
            T("pread_pipe", pread(p[0], b, 1, 0));
            T("read_efault", read(fd, (char *)1, 1) == -1 ? -1 : 0);
            lseek(fd, 0, SEEK_SET);
            T("read_efault2", read(fd, (char *)1, 1));
            return 0; }""").stdout)
    assert out == {"write": "10", "seek_set": "3", "read": "3", "got": "345", "pread": "2",
                   "pgot": "89", "cur": "6", "pwrite": "2", "end": "10", "seek_hole": "100",
                   "write_at_100": "1", "size": "101", "head": "AB23", "eof": "0",
                   "bad_whence": "EINVAL", "neg": "EINVAL", "read_badfd": "EBADF",
                   "seek_pipe": "ESPIPE", "pread_pipe": "ESPIPE", "read_efault": "0",
                   "read_efault2": "EFAULT"}


STAT_C = r"""
int main(void) { struct stat st; struct statx sx;
    T("stat", stat("/etc/hostname", &st));
    printf("st=%ld %o %d\n", (long)st.st_size, st.st_mode & 07777, S_ISREG(st.st_mode));
    int fd = open("/etc/hostname", O_RDONLY);
    struct stat st2; fstat(fd, &st2);
    printf("same_ino=%d\n", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    symlink("/etc/hostname", "/tmp/ln");
    T("lstat", lstat("/tmp/ln", &st)); printf("lnk=%d %ld\n", S_ISLNK(st.st_mode), (long)st.st_size);
    T("fstatat_nofollow", fstatat(AT_FDCWD, "/tmp/ln", &st, AT_SYMLINK_NOFOLLOW));
    printf("nofollow_lnk=%d\n", S_ISLNK(st.st_mode));
    int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
    T("fstatat_rel", fstatat(dfd, "hostname", &st, 0)); printf("rel_size=%ld\n", (long)st.st_size);
    T("fstatat_empty", fstatat(fd, "", &st, AT_EMPTY_PATH)); printf("empty_size=%ld\n", (long)st.st_size);
    T("statx", statx(AT_FDCWD, "/etc/hostname", 0, STATX_ALL, &sx));
    printf("sx=%llu %o %d mask_basic=%d\n", (unsigned long long)sx.stx_size, sx.stx_mode & 07777,
           S_ISREG(sx.stx_mode), (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    T("statx_dir", statx(AT_FDCWD, "/usr", 0, STATX_TYPE | STATX_MODE, &sx));
    printf("sx_dir=%d\n", S_ISDIR(sx.stx_mode));
    T("statx_link", statx(AT_FDCWD, "/tmp/ln", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
    printf("sx_lnk=%d\n", S_ISLNK(sx.stx_mode));
    T("statx_fd", statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx)); printf("sx_fd=%llu\n", (unsigned long long)sx.stx_size);
    T("statx_missing", statx(AT_FDCWD, "/etc/none", 0, STATX_ALL, &sx));
    T("statx_efault_buf", statx(AT_FDCWD, "/etc/hostname", 0, STATX_ALL, (struct statx *)1));
    T("statx_efault_path", statx(AT_FDCWD, (char *)1, 0, STATX_ALL, &sx));
    T("statx_badflags", statx(AT_FDCWD, "/etc/hostname", 0x7fff0000, STATX_ALL, &sx));
    T("stat_efault", stat((char *)1, &st));
    T("stat_efault_buf", stat("/etc/hostname", (struct stat *)1));
    T("stat_missing", stat("/etc/none", &st));
    T("stat_notdir", stat("/etc/hostname/x", &st));
    T("stat_empty", stat("", &st));
    T("fstat_badfd", fstat(55, &st));
    return 0; }
"""


@pytest.mark.parametrize("static", [False, True], ids=["dynamic", "static"])
def test_stat_family_and_statx(sandbox, cc, static):
    out = kv(run_c(sandbox, cc, "statx", STAT_C, static=static).stdout)
    assert out == {
        "stat": "0", "st": "6 644 1", "same_ino": "1", "lstat": "0", "lnk": "1 13",
        "fstatat_nofollow": "0", "nofollow_lnk": "1", "fstatat_rel": "0", "rel_size": "6",
        "fstatat_empty": "0", "empty_size": "6", "statx": "0", "sx": "6 644 1 mask_basic=1",
        "statx_dir": "0", "sx_dir": "1", "statx_link": "0", "sx_lnk": "1", "statx_fd": "0",
        "sx_fd": "6", "statx_missing": "ENOENT", "statx_efault_buf": "EFAULT",
        "statx_efault_path": "EFAULT", "statx_badflags": "EINVAL", "stat_efault": "EFAULT",
        "stat_efault_buf": "EFAULT", "stat_missing": "ENOENT", "stat_notdir": "ENOTDIR",
        "stat_empty": "ENOENT", "fstat_badfd": "EBADF"}


def test_host_stat_binary_uses_statx(sandbox):
    r = sandbox.run(["/usr/bin/stat", "-c", "%s %a %F", "/etc/hostname", "/usr", "/nonexistent"],
                    text=True)
    lines = r.stdout.splitlines()
    assert lines[0] == "6 644 regular file"
    assert lines[1].endswith(" 755 directory")
    assert r.returncode == 1
    assert "cannot statx '/nonexistent': No such file or directory" in r.stderr


def test_access_faccessat2(sandbox, cc):
    out = kv(run_c(sandbox, cc, "access", r"""
        int main(void) {
            int fd = creat("/tmp/nx", 0644); close(fd);
            T("r_ok", access("/etc/hostname", R_OK));
            T("w_ok", access("/etc/hostname", W_OK));
            T("x_ok_dir", access("/usr", X_OK));
            T("x_ok_bin", access("/bin/busybox", X_OK));
            T("x_ok_noexec", access("/tmp/nx", X_OK));
            T("missing", access("/etc/none", F_OK));
            T("notdir", access("/etc/hostname/x", F_OK));
            T("badmode", access("/etc/hostname", 0x40));
            T("efault", access((char *)1, F_OK));
            T("fa2", syscall(439, AT_FDCWD, "/etc/hostname", R_OK, AT_EACCESS));
            T("fa2_noexec", syscall(439, AT_FDCWD, "/tmp/nx", X_OK, AT_EACCESS));
            symlink("/nonexistent", "/tmp/dangling");
            T("fa2_dangling", syscall(439, AT_FDCWD, "/tmp/dangling", F_OK, 0));
            T("fa2_nofollow", syscall(439, AT_FDCWD, "/tmp/dangling", F_OK, AT_SYMLINK_NOFOLLOW));
            int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
            T("fa2_dirfd", syscall(439, dfd, "passwd", R_OK, 0));
            T("fa2_badflags", syscall(439, AT_FDCWD, "/etc/hostname", R_OK, 0x4));
            T("faccessat", faccessat(AT_FDCWD, "/etc/passwd", R_OK | W_OK, 0));
            return 0; }""").stdout)
    assert out == {"r_ok": "0", "w_ok": "0", "x_ok_dir": "0", "x_ok_bin": "0",
                   "x_ok_noexec": "EACCES", "missing": "ENOENT", "notdir": "ENOTDIR",
                   "badmode": "EINVAL", "efault": "EFAULT", "fa2": "0", "fa2_noexec": "EACCES",
                   "fa2_dangling": "ENOENT", "fa2_nofollow": "0", "fa2_dirfd": "0",
                   "fa2_badflags": "EINVAL", "faccessat": "0"}


def test_symlink_readlink_link_unlink_rename(sandbox, cc):
    out = kv(run_c(sandbox, cc, "links", r"""
        static char buf[256];
        static const char *rl(const char *p) {
            memset(buf, 0, sizeof buf);
            ssize_t n = readlink(p, buf, sizeof buf - 1);
            return n < 0 ? strerrorname_np(errno) : buf; }
        static const char *cat(const char *p) {
            static char c[64]; memset(c, 0, sizeof c);
            int fd = open(p, O_RDONLY); if (fd < 0) return strerrorname_np(errno);
            read(fd, c, 63); close(fd); c[strcspn(c, "\n")] = 0; return c; }
        int main(void) { struct stat st;
            T("symlink_rel", symlink("hostname", "/etc/rel"));
            S("readlink_rel", rl("/etc/rel")); S("cat_rel", cat("/etc/rel"));
            T("symlink_abs", symlink("/etc/hostname", "/tmp/abs"));
            S("readlink_abs", rl("/tmp/abs")); S("cat_abs", cat("/tmp/abs"));
            T("symlink_dotdot", symlink("../etc/./passwd", "/root/pw"));
            S("cat_dotdot", cat("/root/pw") == NULL ? "" : strncmp(cat("/root/pw"), "root:", 5) == 0 ? "root" : "bad");
            T("symlink_exists", symlink("x", "/etc/passwd"));
            T("symlink_dangling", symlink("/no/where", "/tmp/dang"));
            S("cat_dangling", cat("/tmp/dang"));
            S("readlink_notlink", rl("/etc/passwd"));
            S("readlink_missing", rl("/etc/none"));
            T("readlink_efault", readlink((char *)1, buf, 10));
            char small[4] = {0};
            T("readlink_trunc", readlink("/tmp/abs", small, 4)); printf("small=%.4s\n", small);
            int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
            T("readlinkat", readlinkat(dfd, "abs", buf, sizeof buf));
            T("symlinkat", symlinkat("abs", dfd, "abs2")); S("cat_chain", cat("/tmp/abs2"));
            int fd = open("/tmp/a", O_CREAT | O_WRONLY, 0644); write(fd, "A\n", 2); close(fd);
            T("link", link("/tmp/a", "/tmp/b"));
            stat("/tmp/a", &st); struct stat st2; stat("/tmp/b", &st2);
            printf("nlink=%ld same=%d\n", (long)st.st_nlink, st.st_ino == st2.st_ino);
            T("link_exists", link("/tmp/a", "/tmp/b"));
            T("link_missing", link("/tmp/zz", "/tmp/c"));
            T("link_dir", link("/tmp", "/root/tmp2"));
            T("unlink", unlink("/tmp/a")); S("cat_b", cat("/tmp/b"));
            stat("/tmp/b", &st); printf("nlink_after=%ld\n", (long)st.st_nlink);
            T("unlink_missing", unlink("/tmp/a"));
            T("unlink_dir", unlink("/etc"));
            T("unlink_symlink", unlink("/tmp/abs")); S("target_kept", cat("/etc/hostname"));
            T("rename", rename("/tmp/b", "/tmp/c")); S("cat_c", cat("/tmp/c"));
            T("rename_missing", rename("/tmp/b", "/tmp/d"));
            mkdir("/tmp/dir", 0755); mkdir("/tmp/dir/sub", 0755);
            T("rename_into_self", rename("/tmp/dir", "/tmp/dir/sub/x"));
            T("rename_file_over_dir", rename("/tmp/c", "/tmp/dir"));
            T("rename_dir_over_file", rename("/tmp/dir", "/tmp/c"));
            T("rename_dir", rename("/tmp/dir", "/tmp/dir2"));
            T("stat_moved_sub", stat("/tmp/dir2/sub", &st));
            close(creat("/tmp/e", 0644));
            T("renameat2_noreplace", syscall(SYS_renameat2, AT_FDCWD, "/tmp/c", AT_FDCWD, "/tmp/e", 1));
            T("renameat2_free", syscall(SYS_renameat2, AT_FDCWD, "/tmp/c", AT_FDCWD, "/tmp/f", 1));
            T("rename_cross_mount", rename("/tmp/f", "/root/f"));
            return 0; }""").stdout)
    assert out == {
        "symlink_rel": "0", "readlink_rel": "hostname", "cat_rel": "umlpy",
        "symlink_abs": "0", "readlink_abs": "/etc/hostname", "cat_abs": "umlpy",
        "symlink_dotdot": "0", "cat_dotdot": "root", "symlink_exists": "EEXIST",
        "symlink_dangling": "0", "cat_dangling": "ENOENT", "readlink_notlink": "EINVAL",
        "readlink_missing": "ENOENT", "readlink_efault": "EFAULT", "readlink_trunc": "4",
        "small": "/etc", "readlinkat": "13", "symlinkat": "0", "cat_chain": "umlpy",
        "link": "0", "nlink": "2 same=1", "link_exists": "EEXIST", "link_missing": "ENOENT",
        "link_dir": "EPERM", "unlink": "0", "cat_b": "A", "nlink_after": "1",
        "unlink_missing": "ENOENT", "unlink_dir": "EISDIR", "unlink_symlink": "0",
        "target_kept": "umlpy", "rename": "0", "cat_c": "A", "rename_missing": "ENOENT",
        "rename_into_self": "EINVAL", "rename_file_over_dir": "EISDIR",
        "rename_dir_over_file": "ENOTDIR", "rename_dir": "0", "stat_moved_sub": "0",
        "renameat2_noreplace": "EEXIST", "renameat2_free": "0", "rename_cross_mount": "EXDEV"}


def test_shell_symlinks_with_busybox_and_host_ls(sandbox):
    r = sh(sandbox, "ln -s /etc /root/etclink && ln -s ../usr/bin /root/ub && "
                    "readlink /root/etclink && readlink /root/ub && cat /root/etclink/hostname && "
                    "ls /root/ub/ | grep -c '^ls$'")
    assert r.stdout == "/etc\n../usr/bin\numlpy\n1\n", r.stderr
    r = sandbox.run(["/usr/bin/ls", "-l", "/root"], text=True)   # the links are per-sandbox
    assert "etclink -> /etc" in r.stdout and "ub -> ../usr/bin" in r.stdout


def test_truncate(sandbox, cc):
    out = kv(run_c(sandbox, cc, "trunc", r"""
        int main(void) { struct stat st; char b[8] = {1,1,1,1,1,1,1,1};
            int fd = open("/tmp/t", O_CREAT | O_RDWR, 0644); write(fd, "abcdef", 6);
            T("truncate", truncate("/tmp/t", 3)); stat("/tmp/t", &st); printf("size=%ld\n", (long)st.st_size);
            T("ftruncate", ftruncate(fd, 100)); fstat(fd, &st); printf("fsize=%ld\n", (long)st.st_size);
            pread(fd, b, 8, 2); printf("bytes=%d%d%d\n", b[0] == 'c', b[1] == 0, b[7] == 0);
            T("truncate_lower", truncate("/etc/passwd", 4)); stat("/etc/passwd", &st);
            printf("lower_size=%ld\n", (long)st.st_size);
            T("truncate_missing", truncate("/tmp/none", 0));
            T("truncate_dir", truncate("/tmp", 0));
            T("truncate_neg", truncate("/tmp/t", -1));
            T("ftruncate_rdonly", ftruncate(open("/tmp/t", O_RDONLY), 0));
            T("truncate_efault", truncate((char *)1, 0));
            return 0; }""").stdout)
    assert out == {"truncate": "0", "size": "3", "ftruncate": "0", "fsize": "100", "bytes": "111",
                   "truncate_lower": "0", "lower_size": "4", "truncate_missing": "ENOENT",
                   "truncate_dir": "EISDIR", "truncate_neg": "EINVAL", "ftruncate_rdonly": "EINVAL",
                   "truncate_efault": "EFAULT"}


def test_umask_applies_to_created_modes(sandbox, cc):
    out = kv(run_c(sandbox, cc, "umask", r"""
        static int mode(const char *p) { struct stat st; stat(p, &st); return st.st_mode & 07777; }
        int main(void) {
            printf("initial=%o\n", umask(027));
            close(open("/tmp/f", O_CREAT | O_WRONLY, 0777)); printf("file=%o\n", mode("/tmp/f"));
            mkdir("/tmp/d", 0777); printf("dir=%o\n", mode("/tmp/d"));
            close(creat("/root/c", 0666)); printf("creat=%o\n", mode("/root/c"));
            printf("prev=%o\n", umask(0));
            close(open("/tmp/g", O_CREAT | O_WRONLY, 0666)); printf("zero=%o\n", mode("/tmp/g"));
            umask(0777);
            mkfifo("/tmp/fifo", 0666); printf("fifo=%o\n", mode("/tmp/fifo"));
            return 0; }""").stdout)
    assert out == {"initial": "22", "file": "750", "dir": "750", "creat": "640", "prev": "27",
                   "zero": "666", "fifo": "0"}
    r = sh(sandbox, "umask 077; touch /root/u; mkdir /root/ud; stat -c '%a' /root/u /root/ud")
    assert r.stdout == "600\n700\n"


def test_host_umask_does_not_leak_into_guest(sandbox):
    old = os.umask(0o077)          # the supervisor's umask must not apply to guest files
    try:
        r = sh(sandbox, "umask 0; touch /tmp/a /root/b; mkdir /root/d; stat -c '%a' /tmp/a /root/b /root/d")
    finally:
        os.umask(old)
    assert r.stdout == "666\n666\n777\n"


def test_pipes(sandbox, cc):
    out = kv(run_c(sandbox, cc, "pipes", r"""
        int main(void) { int p[2]; char b[8] = {0};
            signal(SIGPIPE, SIG_IGN);
            T("pipe", pipe(p));
            T("write", write(p[1], "ping", 4)); T("read", read(p[0], b, 8)); S("got", b);
            T("pipe2", pipe2(p, O_CLOEXEC | O_NONBLOCK));
            T("cloexec", fcntl(p[0], F_GETFD)); T("nonblock", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
            T("read_empty", read(p[0], b, 8));
            T("write_rdend", write(p[0], "x", 1));
            close(p[0]);
            T("epipe", write(p[1], "x", 1));
            T("pipe2_badflags", pipe2(p, 0x1234567));
            T("pipe_efault", pipe((int *)1));
            pipe(p);
            pid_t pid = fork();
            if (pid == 0) { close(p[0]); dup2(p[1], 1); execl("/bin/echo", "echo", "from-child", NULL); _exit(9); }
            close(p[1]); memset(b, 0, 8);
            T("child_read", read(p[0], b, 7)); S("child", b);
            int status; waitpid(pid, &status, 0); printf("child_status=%d\n", WEXITSTATUS(status));
            return 0; }""").stdout)
    assert out == {"pipe": "0", "write": "4", "read": "4", "got": "ping", "pipe2": "0",
                   "cloexec": "1", "nonblock": "1", "read_empty": "EAGAIN", "write_rdend": "EBADF",
                   "epipe": "EPIPE", "pipe2_badflags": "EINVAL", "pipe_efault": "EFAULT",
                   "child_read": "7", "child": "from-ch", "child_status": "0"}
    r = sh(sandbox, "echo abc | tr a-z A-Z | /usr/bin/cat")
    assert r.stdout == "ABC\n"


def test_dup_dup2_dup3_and_cloexec_at_exec(sandbox, cc):
    out = kv(run_c(sandbox, cc, "dups", r"""
        int main(int argc, char **argv) {
            if (argc > 1) {   /* re-executed: which fds survived? */
                T("fd10_after_exec", fcntl(10, F_GETFD)); T("fd11_after_exec", fcntl(11, F_GETFD));
                return 0; }
            int fd = open("/etc/passwd", O_RDONLY);
            T("dup", dup(fd));
            T("dup2", dup2(fd, 10)); T("dup2_flags", fcntl(10, F_GETFD));
            T("dup3", dup3(fd, 11, O_CLOEXEC)); T("dup3_flags", fcntl(11, F_GETFD));
            char b[5] = {0}; read(fd, b, 4);
            T("shared_offset", lseek(10, 0, SEEK_CUR));
            T("dup2_same", dup2(fd, fd));
            T("dup3_same", dup3(fd, fd, 0));
            T("dup3_badflags", dup3(fd, 12, 0x1));
            T("dup2_badfd", dup2(99, 12));
            T("dup_badfd", dup(99));
            T("dup2_toobig", dup2(fd, 1 << 30));
            fflush(stdout);
            execl(argv[0], argv[0], "child", NULL);
            return 1; }""").stdout)
    assert out == {"dup": "4", "dup2": "10", "dup2_flags": "0", "dup3": "11", "dup3_flags": "1",
                   "shared_offset": "4", "dup2_same": "3", "dup3_same": "EINVAL",
                   "dup3_badflags": "EINVAL", "dup2_badfd": "EBADF", "dup_badfd": "EBADF",
                   "dup2_toobig": "EBADF", "fd10_after_exec": "0", "fd11_after_exec": "EBADF"}


def test_fcntl(sandbox, cc):
    out = kv(run_c(sandbox, cc, "fcntl", r"""
        int main(void) { int p[2]; char b[4];
            int fd = open("/tmp/f", O_CREAT | O_RDWR | O_APPEND, 0644);
            T("dupfd_cloexec", fcntl(fd, F_DUPFD_CLOEXEC, 20));
            T("dupfd_cloexec_flags", fcntl(20, F_GETFD));
            T("dupfd", fcntl(fd, F_DUPFD, 20)); T("dupfd_flags", fcntl(21, F_GETFD));
            int fl = fcntl(fd, F_GETFL);
            printf("getfl=%d %d\n", (fl & O_ACCMODE) == O_RDWR, (fl & O_APPEND) != 0);
            pipe(p);
            T("setfl", fcntl(p[0], F_SETFL, O_NONBLOCK));
            T("getfl_nb", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
            T("read_nb", read(p[0], b, 4));
            T("setfl_clear", fcntl(p[0], F_SETFL, 0));
            T("getfl_cleared", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
            T("setfd", fcntl(fd, F_SETFD, FD_CLOEXEC)); T("getfd", fcntl(fd, F_GETFD));
            T("getfl_badfd", fcntl(99, F_GETFL));
            T("dupfd_neg", fcntl(fd, F_DUPFD, -1));
            T("badcmd", fcntl(fd, 9999));
            return 0; }""").stdout)
    assert out == {"dupfd_cloexec": "20", "dupfd_cloexec_flags": "1", "dupfd": "21",
                   "dupfd_flags": "0", "getfl": "1 1", "setfl": "0", "getfl_nb": "1",
                   "read_nb": "EAGAIN", "setfl_clear": "0", "getfl_cleared": "0", "setfd": "0",
                   "getfd": "1", "getfl_badfd": "EBADF", "dupfd_neg": "EINVAL", "badcmd": "EINVAL"}


def test_getcwd_chdir_fchdir(sandbox, cc):
    out = kv(run_c(sandbox, cc, "cwd", r"""
        int main(void) { char b[256];
            S("start", getcwd(b, sizeof b));
            T("chdir", chdir("/etc")); S("cwd1", getcwd(b, sizeof b));
            T("open_rel", open("hostname", O_RDONLY) > 0 ? 0 : -1);
            T("chdir_dotdot", chdir("../usr/./bin/..")); S("cwd2", getcwd(b, sizeof b));
            int d = open("/root", O_RDONLY | O_DIRECTORY);
            T("fchdir", fchdir(d)); S("cwd3", getcwd(b, sizeof b));
            symlink("/usr/bin", "/tmp/ub"); chdir("/tmp/ub"); S("cwd_via_link", getcwd(b, sizeof b));
            T("chdir_missing", chdir("/nope"));
            T("chdir_file", chdir("/etc/passwd"));
            T("fchdir_file", fchdir(open("/etc/passwd", O_RDONLY)));
            T("fchdir_badfd", fchdir(99));
            T("chdir_efault", chdir((char *)1));
            T("getcwd_small", syscall(SYS_getcwd, b, 3));
            T("getcwd_efault", syscall(SYS_getcwd, (char *)1, 100));
            S("cwd_unchanged", getcwd(b, sizeof b));
            return 0; }""").stdout)
    assert out == {"start": "/", "chdir": "0", "cwd1": "/etc", "open_rel": "0", "chdir_dotdot": "0",
                   "cwd2": "/usr", "fchdir": "0", "cwd3": "/root", "cwd_via_link": "/usr/bin",
                   "chdir_missing": "ENOENT", "chdir_file": "ENOTDIR", "fchdir_file": "ENOTDIR",
                   "fchdir_badfd": "EBADF", "chdir_efault": "EFAULT", "getcwd_small": "ERANGE",
                   "getcwd_efault": "EFAULT", "cwd_unchanged": "/usr/bin"}
    r = sh(sandbox, "cd /usr/bin && pwd && /bin/pwd && cd /nope; echo rc=$?")
    assert r.stdout == "/usr/bin\n/usr/bin\nrc=2\n"


def test_errnos_eloop_enotdir_eisdir_enoent(sandbox, cc):
    out = kv(run_c(sandbox, cc, "errnos", r"""
        int main(void) { struct stat st;
            symlink("/tmp/l2", "/tmp/l1"); symlink("/tmp/l1", "/tmp/l2");
            symlink("self", "/tmp/self");
            T("loop_open", open("/tmp/l1", O_RDONLY));
            T("loop_stat", stat("/tmp/l1", &st));
            T("loop_lstat", lstat("/tmp/l1", &st));
            T("loop_self", open("/tmp/self", O_RDONLY));
            T("loop_in_path", open("/tmp/l1/x", O_RDONLY));
            T("loop_creat", open("/tmp/l1", O_CREAT | O_WRONLY, 0644));
            T("loop_chdir", chdir("/tmp/self"));
            T("nofollow", open("/tmp/self", O_RDONLY | O_NOFOLLOW));
            symlink("/etc/hostname", "/tmp/ok");
            T("nofollow_link", open("/tmp/ok", O_RDONLY | O_NOFOLLOW));
            /* 40 links deep is fine, 41 is not */
            char a[32], b[32];
            for (int i = 1; i <= 41; i++) { sprintf(a, "/tmp/c%d", i); sprintf(b, "/tmp/c%d", i - 1); symlink(b, a); }
            close(creat("/tmp/c0", 0644));
            T("chain40", open("/tmp/c40", O_RDONLY) > 0 ? 0 : -1);
            T("chain41", open("/tmp/c41", O_RDONLY));
            T("enotdir", open("/etc/passwd/", O_RDONLY));
            T("enotdir_mid", stat("/etc/passwd/x/y", &st));
            T("eisdir", open("/usr", O_RDWR));
            T("eisdir_creat", open("/usr/", O_CREAT | O_WRONLY, 0644));
            T("enoent", open("/usr/nothing/here", O_RDONLY));
            T("enoent_creat_dangling_dir", open("/nothing/x", O_CREAT | O_WRONLY, 0644));
            return 0; }""").stdout)
    assert out == {"loop_open": "ELOOP", "loop_stat": "ELOOP", "loop_lstat": "0", "loop_self": "ELOOP",
                   "loop_in_path": "ELOOP", "loop_creat": "ELOOP", "loop_chdir": "ELOOP",
                   "nofollow": "ELOOP", "nofollow_link": "ELOOP", "chain40": "0", "chain41": "ELOOP",
                   "enotdir": "ENOTDIR", "enotdir_mid": "ENOTDIR", "eisdir": "EISDIR",
                   "eisdir_creat": "EISDIR", "enoent": "ENOENT", "enoent_creat_dangling_dir": "ENOENT"}
    r = sh(sandbox, "ln -s loop /tmp/loop; cat /tmp/loop")
    assert "Symbolic link loop" in r.stderr or "Too many levels of symbolic links" in r.stderr


def test_efault_for_bad_pointers(sandbox, cc):
    out = kv(run_c(sandbox, cc, "efault", r"""
        int main(void) { struct stat st;
            T("stat_path", stat((char *)1, &st));
            T("stat_kernel_ptr", stat((char *)0xffffffff81000000UL, &st));
            T("lstat_path", lstat((char *)1, &st));
            T("open_path", open((char *)1, O_RDONLY));
            T("uname", syscall(SYS_uname, (void *)1));
            T("mkdir", mkdir((char *)8, 0755));
            T("unlink", unlink((char *)8));
            T("rename", rename("/etc/passwd", (char *)8));
            T("symlink", symlink((char *)8, "/tmp/x"));
            T("execve", syscall(SYS_execve, (char *)8, NULL, NULL));
            T("fstat_buf", fstat(0, (struct stat *)1));
            T("getdents", syscall(SYS_getdents64, open("/etc", O_RDONLY | O_DIRECTORY), (void *)1, 4096));
            T("still_alive", 0);
            return 0; }""", input="").stdout)
    assert out == {k: "EFAULT" for k in ("stat_path", "stat_kernel_ptr", "lstat_path", "open_path",
                                         "uname", "mkdir", "unlink", "rename", "symlink", "execve",
                                         "fstat_buf", "getdents")} | {"still_alive": "0"}


def test_o_path_descriptors(sandbox, cc):
    out = kv(run_c(sandbox, cc, "opath", r"""
        int main(void) { char p[64], l[128] = {0}, b[16] = {0}; struct stat st;
            int op = open("/etc/hostname", O_PATH);
            T("fstat", fstat(op, &st)); printf("size=%ld\n", (long)st.st_size);
            T("read", read(op, b, 4));
            sprintf(p, "/proc/self/fd/%d", op);
            T("readlink", readlink(p, l, sizeof l)); S("link", l);
            int fd = open(p, O_RDONLY);
            T("reopen", fd >= 0 ? 0 : -1);
            read(fd, b, 15); S("data", strtok(b, "\n"));
            int d = open("/etc", O_PATH | O_DIRECTORY);
            T("openat_via_opath_dir", openat(d, "passwd", O_RDONLY) >= 0 ? 0 : -1);
            return 0; }""").stdout)
    assert out == {"fstat": "0", "size": "6", "read": "EBADF", "readlink": "13", "link": "/etc/hostname",
                   "reopen": "0", "data": "umlpy", "openat_via_opath_dir": "0"}


def test_xattrs_errnos(sandbox, cc):
    out = kv(run_c(sandbox, cc, "xattrs", r"""
        #include <sys/xattr.h>
        int main(void) { char b[64];
            T("get_missing_path", getxattr("/etc/none", "user.x", b, sizeof b));
            T("get_missing_dir", getxattr("/nodir/x", "user.x", b, sizeof b));
            T("get_no_attr", getxattr("/etc/passwd", "user.x", b, sizeof b));
            T("list_missing", listxattr("/etc/none", b, sizeof b));
            T("set_missing", setxattr("/etc/none", "user.x", "v", 1, 0));
            T("get_efault", getxattr((char *)1, "user.x", b, sizeof b));
            return 0; }""").stdout)
    assert out == {"get_missing_path": "ENOENT", "get_missing_dir": "ENOENT", "get_no_attr": "ENODATA",
                   "list_missing": "ENOENT", "set_missing": "ENOENT", "get_efault": "EFAULT"}


def test_uname_hostname(rootfs, progs, cc):
    prog = cc("uname", PRELUDE + r"""
        int main(void) { struct utsname u; char h[65] = {0};
            T("uname", uname(&u)); S("sysname", u.sysname); S("nodename", u.nodename);
            S("machine", u.machine);
            T("gethostname", gethostname(h, sizeof h)); S("hostname", h);
            T("sethostname", sethostname("renamed", 7));
            uname(&u); S("after", u.nodename);
            T("sethostname_toolong", sethostname(h, 100));
            return 0; }""")
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], hostname="box-42") as sb:
        out = kv(sb.run([prog], text=True, timeout=20).stdout)
        r = sh(sb, "hostname; uname -n; /usr/bin/uname -n")
    assert out == {"uname": "0", "sysname": "Linux", "nodename": "box-42", "machine": "x86_64",
                   "gethostname": "0", "hostname": "box-42", "sethostname": "0", "after": "renamed",
                   "sethostname_toolong": "EINVAL"}
    assert r.stdout == "box-42\nbox-42\nbox-42\n"
    assert os.uname().nodename != "renamed"


def test_ioctl_tiocgwinsz_enotty_and_tiocsti_eperm(sandbox, cc):
    out = kv(run_c(sandbox, cc, "ioctl", r"""
        int main(void) { struct winsize ws; struct termios t; char c = 'x';
            int fd = open("/etc/hostname", O_RDONLY);
            T("winsz_file", ioctl(fd, TIOCGWINSZ, &ws));
            T("winsz_pipe", ioctl(0, TIOCGWINSZ, &ws));
            T("tcgets_pipe", ioctl(1, TCGETS, &t));
            T("winsz_badfd", ioctl(77, TIOCGWINSZ, &ws));
            T("tiocsti", ioctl(0, TIOCSTI, &c));
            T("tiocsti_file", ioctl(fd, TIOCSTI, &c));
            T("fionread", ioctl(fd, FIONREAD, &fd)); printf("avail=%d\n", fd);
            return 0; }""", input="").stdout)
    assert out == {"winsz_file": "ENOTTY", "winsz_pipe": "ENOTTY", "tcgets_pipe": "ENOTTY",
                   "winsz_badfd": "EBADF", "tiocsti": "EPERM", "tiocsti_file": "EPERM",
                   "fionread": "0", "avail": "6"}
    r = sh(sandbox, "stty size", input="")
    assert r.returncode == 1 and r.stdout == ""
    assert "Inappropriate ioctl for device" in r.stderr or "not a tty" in r.stderr


UTIMES = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <utime.h>

static void show(const char *what, long r) {
    struct stat st;
    stat("/tmp/f", &st);
    printf("%s=%ld %s %ld %ld\n", what, r, r < 0 ? strerrorname_np(errno) : "OK",
           (long)st.st_atime, (long)st.st_mtime);
}

int main(void) {
    close(open("/tmp/f", O_CREAT | O_WRONLY, 0644));
    struct utimbuf u = {1000, 2000};
    show("utime", syscall(SYS_utime, "/tmp/f", &u));
    struct timeval tv[2] = {{3000, 5}, {4000, 7}};
    show("utimes", syscall(SYS_utimes, "/tmp/f", tv));
    struct timeval bad[2] = {{1, 2000000}, {1, 0}};
    show("utimes_bad", syscall(SYS_utimes, "/tmp/f", bad));
    show("futimesat", syscall(SYS_futimesat, AT_FDCWD, "/tmp/f", tv));
    show("missing", syscall(SYS_utimes, "/tmp/none", tv));
    return 0;
}
"""


def test_old_time_setting_syscalls(sandbox, cc):
    prog = cc("utimes_old", UTIMES, static=True)
    lines = sandbox.run([prog], text=True, timeout=10).stdout.splitlines()
    assert lines == ["utime=0 OK 1000 2000", "utimes=0 OK 3000 4000",
                     "utimes_bad=-1 EINVAL 3000 4000", "futimesat=0 OK 3000 4000",
                     "missing=-1 ENOENT 3000 4000"]


INOTIFY = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>

int main(void) {
    int in = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(in, "/tmp", IN_CREATE | IN_MODIFY);
    printf("wd=%s\n", wd > 0 ? "OK" : strerrorname_np(errno));
    int fd = open("/tmp/seen", O_CREAT | O_WRONLY, 0644);
    write(fd, "x", 1);
    close(fd);
    char buf[4096];
    int n = read(in, buf, sizeof buf), creates = 0, modifies = 0;
    for (char *p = buf; n > 0 && p < buf + n; ) {
        struct inotify_event *e = (struct inotify_event *)p;
        if (e->len && strcmp(e->name, "seen") == 0) {
            creates += !!(e->mask & IN_CREATE);
            modifies += !!(e->mask & IN_MODIFY);
        }
        p += sizeof *e + e->len;
    }
    printf("create=%d modify=%d\n", creates, modifies);
    printf("missing=%s\n", inotify_add_watch(in, "/nope", IN_CREATE) < 0 ? strerrorname_np(errno) : "OK");
    printf("onlydir=%s\n", inotify_add_watch(in, "/etc/hostname", IN_ONLYDIR | IN_OPEN) < 0 ? strerrorname_np(errno) : "OK");
    return 0;
}
"""


def test_inotify_watches_guest_paths(sandbox, cc):
    prog = cc("inotify_tmp", INOTIFY)
    r = sandbox.run([prog], text=True, timeout=10)
    assert r.stdout.splitlines() == ["wd=OK", "create=1 modify=1", "missing=ENOENT", "onlydir=ENOTDIR"]


def test_o_tmpfile_then_linkat(sandbox, cc):
    """open(dir, O_TMPFILE), write, fchmod, then linkat(/proc/self/fd/N, AT_SYMLINK_FOLLOW) names it."""
    prog = cc("tmpfile_link", r"""
    #define _GNU_SOURCE
    #include <errno.h>
    #include <fcntl.h>
    #include <stdio.h>
    #include <string.h>
    #include <sys/stat.h>
    #include <unistd.h>
    int main(void) {
        int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
        write(fd, "kept\n", 5);
        int r1 = fchmod(fd, 0640);
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        int r2 = linkat(AT_FDCWD, p, AT_FDCWD, "/tmp/named", AT_SYMLINK_FOLLOW);
        struct stat st;
        int r3 = stat("/tmp/named", &st);
        printf("%d %d %d %o %ld\n", r1, r2, r3, st.st_mode & 07777, (long)st.st_size);
        return 0;
    }""")
    r = sandbox.run([prog], text=True, timeout=20)
    assert r.stdout == "0 0 0 640 5\n"


def test_statfs_reports_the_backing_file_system(rootfs, progs, tmp_path):
    """statfs of a bind gives the host file system's real block counts (df in the guest is true)."""
    d = tmp_path / "vol"
    d.mkdir()
    with Sandbox(rootfs=rootfs, mounts=[(str(d), "/vol", "rw"), (str(progs), "/t", "ro")]) as sb:
        r = sb.run(["/bin/sh", "-c", "stat -f -c '%b %S %l' /vol; stat -f -c '%b' /t"], text=True, timeout=20)
    host = os.statvfs(d)
    lines = r.stdout.split("\n")
    assert lines[0] == f"{host.f_blocks} {host.f_frsize} {host.f_namemax}", r.stdout + r.stderr
    assert int(lines[1]) == os.statvfs(progs).f_blocks


def test_rm_rf_of_a_big_directory(sandbox):
    """rm -rf deletes as it reads: the directory stream must not skip entries (2000 files)."""
    r = sh(sandbox, "mkdir /usr/big && cd /usr/big && i=0; while [ $i -lt 2000 ]; do : > f$i; i=$((i+1)); done; "
                    "cd / && rm -rf /usr/big; echo rc=$?; ls /usr/big 2>&1", timeout=60)
    assert r.stdout == "rc=0\nls: /usr/big: No such file or directory\n", r.stdout + r.stderr


def test_readdir_offsets_survive_changes(sandbox, cc):
    """telldir/seekdir and rewinddir on a directory that changes while it is read."""
    prog = cc("readdir_changes", r"""
    #include <dirent.h>
    #include <fcntl.h>
    #include <stdio.h>
    #include <string.h>
    #include <sys/stat.h>
    #include <unistd.h>
    int main(void) {
        mkdir("/home/d", 0755);
        char p[64];
        for (int i = 0; i < 300; i++) { snprintf(p, sizeof p, "/home/d/f%d", i); close(open(p, O_CREAT | O_WRONLY, 0644)); }
        DIR *d = opendir("/home/d");
        int seen = 0; struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "/home/d/%s", e->d_name);
            unlink(p);
            seen++;
        }
        rewinddir(d);
        int left = 0;
        while ((e = readdir(d))) if (e->d_name[0] != '.') left++;
        printf("seen=%d left=%d\n", seen, left);
        return 0;
    }""")
    r = sandbox.run([prog], text=True, timeout=20)
    assert r.stdout == "seen=300 left=0\n"
