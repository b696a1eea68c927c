"""Device nodes and extended attributes stay virtual (issue 8): whatever guest
root makes with mknod or sets with setxattr, no host file becomes a device and
no host file carries an xattr the host would act on (security.capability,
trusted.*, user.*).  The guest sees what it made: the node's type and number,
the xattr's value, after a restart with --persist too.  A node for a device the
guest kernel does not serve (8:0 is sda, 1:1 is /dev/mem) opens with ENXIO.
Runs as root and as an ordinary user.
"""
from __future__ import annotations

import os
import shutil
import stat as S

from conftest import builder, kv, run

from umlpy import Sandbox

PROG = r"""
#include <sys/sysmacros.h>
#include <sys/xattr.h>
static void node(const char *tag, const char *path, mode_t type, int maj, int min) {
    printf("%s_mknod=%s\n", tag, ERR(mknod(path, type | 0666, makedev(maj, min))));
    printf("%s_open=%s\n", tag, ERR(open(path, O_RDWR)));
}
int main(void) {
    node("sda_root", "/sda", S_IFBLK, 8, 0);
    node("mem_root", "/root/mem", S_IFCHR, 1, 1);
    node("kmsg_tmp", "/tmp/kmsg", S_IFCHR, 1, 11);
    node("sda_tmp", "/tmp/sda", S_IFBLK, 8, 0);
    printf("null_mknod=%s\n", ERR(mknod("/root/null", S_IFCHR | 0666, makedev(1, 3))));
    int fd = open("/root/null", O_WRONLY);
    printf("null_write=%ld\n", (long)write(fd, "xyz", 3));
    close(open("/root/f", O_CREAT | O_WRONLY, 0755));
    static const char cap[20] = {0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff};   /* VFS_CAP_REVISION_2, all caps */
    printf("setcap=%s\n", ERR(setxattr("/root/f", "security.capability", cap, sizeof cap, 0)));
    printf("selinux=%s\n", ERR(setxattr("/root/f", "security.selinux", "system_u:object_r:x:s0", 22, 0)));
    printf("trusted=%s\n", ERR(setxattr("/root/f", "trusted.overlay.opaque", "y", 1, 0)));
    printf("user=%s\n", ERR(setxattr("/root/f", "user.mime", "text/x", 6, 0)));
    printf("tmp_user=%s\n", ERR(setxattr("/tmp/kmsg", "trusted.x", "1", 1, 0)));
    return 0;
}
"""

CHECK = r"""
#include <sys/sysmacros.h>
#include <sys/xattr.h>
int main(void) {
    struct stat st; char b[64] = {0};
    stat("/sda", &st);
    printf("sda=%d,%u:%u\n", S_ISBLK(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    stat("/root/mem", &st);
    printf("mem=%d,%u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    printf("mem_open=%s\n", ERR(open("/root/mem", O_RDONLY)));
    printf("user=%ld\n", (long)getxattr("/root/f", "user.mime", b, sizeof b));
    printf("caplen=%ld\n", (long)getxattr("/root/f", "security.capability", NULL, 0));
    return 0;
}
"""


def _host_files(top):
    for dirpath, dirs, files in os.walk(top):
        for name in dirs + files:
            yield os.path.join(dirpath, name)


def test_device_nodes_and_xattrs_never_reach_the_host(rootfs, progs, cc, tmp_path):
    build = builder(cc, "sec_devx_")
    prog, check = build("make", PROG), build("check", CHECK)
    persist = tmp_path / "persist"
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], persist=persist) as sb:
        out = kv(run(sb, [prog]).stdout)
    for tag in ("sda_root", "mem_root", "kmsg_tmp", "sda_tmp"):
        assert out[f"{tag}_mknod"] == "OK", out
        assert out[f"{tag}_open"] == "ENXIO", out
    assert out["null_mknod"] == "OK" and out["null_write"] == "3", out
    assert {out[k] for k in ("setcap", "selinux", "trusted", "user", "tmp_user")} == {"OK"}, out
    # On the host: plain files, no device, no xattr of any namespace we can list.
    upper = persist / "upper"
    for rel in ("sda", "root/mem", "root/null", "root/f"):
        st = os.lstat(upper / rel)
        assert S.S_ISREG(st.st_mode) and st.st_size == 0, rel
    for p in _host_files(persist):
        st = os.lstat(p)
        assert not (S.S_ISCHR(st.st_mode) or S.S_ISBLK(st.st_mode)), p
        assert not st.st_mode & (S.S_ISUID | S.S_ISGID), p
        if not S.S_ISLNK(st.st_mode):
            try:
                assert os.listxattr(p, follow_symlinks=False) == [], p
            except OSError:
                pass                      # a host file system with no xattrs at all
    # After a restart, the guest still sees what it made.
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], persist=persist) as sb:
        again = kv(run(sb, [check]).stdout)
    assert again == {"sda": "1,8:0", "mem": "1,1:1", "mem_open": "ENXIO", "user": "6", "caplen": "20"}, again
    # A copy of the persist directory (new inode numbers) finds them by path.
    copy = tmp_path / "copy"
    shutil.copytree(persist, copy, symlinks=True, ignore=shutil.ignore_patterns("lock"))
    assert os.lstat(copy / "upper/root/f").st_ino != os.lstat(upper / "root/f").st_ino
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], persist=copy) as sb:
        copied = kv(run(sb, [check]).stdout)
    assert copied == again, copied
