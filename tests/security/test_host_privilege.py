"""Privilege planted on the host (issue 6, hole 3): whatever a guest does in a
read-write bind or the writable layer, no host file gains set-user-ID or
set-group-ID, and new files in a user's bind belong to that user, not to
the supervisor.  The guest still sees the bits and owners it set.

These tests need root: they give the bind directory to another host user to
check that new files go to it (as an ordinary user, that is the only user).
"""
from __future__ import annotations

import os
import stat as S

import pytest
from conftest import builder, kv, run
from hostcheck import HostState

from umlpy import Sandbox

OWNER = 12345       # the bind directory's host owner

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: a bind owned by another user")


@pytest.fixture
def build(cc):
    return builder(cc, "sec_priv_")


@pytest.fixture
def out(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    os.chown(d, OWNER, OWNER)
    return d


@pytest.fixture
def host(out, progs, no_supervisor_errors):
    before = HostState.take(out, progs)
    yield before
    assert before.changes() == []


def sandbox_with(rootfs, progs, out, **kw):
    return Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro"), (str(out), "/out", "rw")], **kw)


ROUTES = r"""
#include <sys/un.h>
static void show(const char *what, const char *path) {
    struct stat st;
    if (lstat(path, &st)) { printf("%s=%s\n", what, strerrorname_np(errno)); return; }
    printf("%s=%o,%u\n", what, st.st_mode & 07777, st.st_uid);
}
int main(void) {
    int fd = open("/out/creat", O_CREAT | O_WRONLY, 04755);          /* open(O_CREAT, set-id mode) */
    close(fd);
    show("creat", "/out/creat");
    close(open("/out/chmod", O_CREAT | O_WRONLY, 0755));
    chmod("/out/chmod", 04755);                                        /* chmod */
    show("chmod", "/out/chmod");
    fd = open("/out/fchmod", O_CREAT | O_WRONLY, 0755);
    fchmod(fd, 02755);                                                 /* fchmod */
    close(fd);
    show("fchmod", "/out/fchmod");
    close(open("/out/fchmodat", O_CREAT | O_WRONLY, 0755));
    fchmodat(AT_FDCWD, "/out/fchmodat", 06755, 0);                     /* fchmodat */
    show("fchmodat", "/out/fchmodat");
    mkdir("/out/dir", 02775);                                          /* mkdir drops S_ISGID */
    show("mkdir", "/out/dir");
    chmod("/out/dir", 02775);                                          /* chmod of a directory */
    show("dirchmod", "/out/dir");
    mknod("/out/fifo", S_IFIFO | 04644, 0);                            /* mknod FIFO */
    show("fifo", "/out/fifo");
    mknod("/out/node", S_IFREG | 06755, 0);                            /* mknod regular */
    show("node", "/out/node");
    fd = open("/out", O_TMPFILE | O_WRONLY, 0700);                     /* O_TMPFILE + linkat */
    fchmod(fd, 04755);
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    printf("linkat=%s\n", ERR(linkat(AT_FDCWD, p, AT_FDCWD, "/out/tmpfile", AT_SYMLINK_FOLLOW)));
    show("tmpfile", "/out/tmpfile");
    link("/out/chmod", "/out/hardlink");                               /* link */
    show("hardlink", "/out/hardlink");
    rename("/out/fchmodat", "/out/renamed");                           /* rename */
    show("renamed", "/out/renamed");
    fchownat(AT_FDCWD, "/out/renamed", 0, 0, 0);                       /* fchownat clears set-id */
    show("chowned", "/out/renamed");
    symlink("creat", "/out/symlink");
    struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "/out/sock"};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind=%s\n", ERR(bind(s, (void *)&a, sizeof a)));
    return 0;
}
"""


def test_every_route_to_a_set_id_host_file_is_closed(rootfs, progs, out, build, host):
    """open, chmod, fchmod, fchmodat, mkdir, mknod, O_TMPFILE+linkat, link, rename: the bits stay virtual."""
    prog = build("routes", ROUTES)
    with sandbox_with(rootfs, progs, out) as sb:
        got = kv(run(sb, [prog]).stdout)
    # What Linux prints for the same program (run natively as root in a tmpfs).
    native = {
        "creat": "4755,0", "chmod": "4755,0", "fchmod": "2755,0", "fchmodat": "6755,0",
        "mkdir": "755,0", "dirchmod": "2775,0", "fifo": "4644,0", "node": "6755,0", "linkat": "OK",
        "tmpfile": "4755,0", "hardlink": "4755,0", "renamed": "6755,0", "chowned": "755,0", "bind": "OK"}
    # O_TMPFILE then fchmod and linkat through /proc/self/fd is not served yet
    # (test_files.py::test_o_tmpfile_then_linkat, xfail): the route stays closed.
    assert (got.pop("linkat"), got.pop("tmpfile")) in (("OK", "4755,0"), ("ENOENT", "ENOENT"))
    del native["linkat"], native["tmpfile"]
    assert got == native
    for entry in out.iterdir():
        st = os.lstat(entry)
        assert not st.st_mode & (S.S_ISUID | S.S_ISGID), f"{entry.name}: {st.st_mode:o}"
        assert (st.st_uid, st.st_gid) == (OWNER, OWNER), f"{entry.name} belongs to {st.st_uid}"


def test_the_issue_reproducer(rootfs, progs, out, build, host):
    """cp a static setuid(0) program into a rw bind and chmod 4755: on the host it is no set-id file."""
    prog = build("becomeroot", r"""
    int main(void) { setuid(0); printf("euid=%d\n", geteuid()); return 0; }""", static=True)
    with sandbox_with(rootfs, progs, out) as sb:
        r = run(sb, ["/bin/sh", "-c", f"cp {prog} /out/e && chmod 4755 /out/e && ls -l /out/e"])
    assert r.stdout.startswith("-rwsr-xr-x"), r.stdout + r.stderr
    st = os.stat(out / "e")
    assert S.S_IMODE(st.st_mode) == 0o755 and st.st_uid == OWNER


def test_persist_layer_holds_no_set_id_file(rootfs, progs, tmp_path, build, no_supervisor_errors):
    """The same in the writable layer kept with persist=: upper/ has no set-id file."""
    persist = tmp_path / "keep"
    before = HostState.take(tmp_path)
    with Sandbox(rootfs=rootfs, persist=persist) as sb:
        r = run(sb, ["/bin/sh", "-c", "cp /bin/busybox /usr/e && chmod 6755 /usr/e && "
                                      "mkdir -m 2755 /usr/d && ls -ld /usr/e /usr/d"])
    modes = sorted(line.split()[0] for line in r.stdout.splitlines())
    assert modes == ["-rwsr-sr-x", "drwxr-sr-x"], r.stdout + r.stderr
    assert before.changes() == []


def test_copy_up_of_a_set_id_rootfs_file(rootfs, tmp_path, no_supervisor_errors):
    """A setuid-root file of the rootfs, written by the guest: the upper copy is no set-id
    host file, and the guest still sees -rws and its owner (also in a later run)."""
    import shutil
    root = tmp_path / "root"
    shutil.copytree(rootfs, root, symlinks=True)
    prog = root / "usr" / "bin" / "su-like"
    prog.write_bytes(b"#!/bin/sh\necho hi\n")
    os.chown(prog, 0, 0)
    os.chmod(prog, 0o4755)
    persist = tmp_path / "keep"
    with Sandbox(rootfs=root, persist=persist) as sb:
        r = run(sb, ["/bin/sh", "-c", "echo '# more' >> /usr/bin/su-like && ls -l /usr/bin/su-like"])
        assert r.stdout.startswith("-rwsr-xr-x    1 root     root"), r.stdout + r.stderr
    with Sandbox(rootfs=root, persist=persist) as sb:
        r = run(sb, ["/bin/sh", "-c", "ls -l /usr/bin/su-like; tail -n 1 /usr/bin/su-like"])
        assert r.stdout.startswith("-rwsr-xr-x    1 root     root") and r.stdout.endswith("# more\n")
    upper = persist / "upper" / "usr" / "bin" / "su-like"
    assert S.S_IMODE(os.stat(upper).st_mode) == 0o755
    assert S.S_IMODE(os.stat(prog).st_mode) == 0o4755 and b"more" not in prog.read_bytes()
