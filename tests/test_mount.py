"""mount(2)/umount2(2) inside the guest: the guest's own mount table, never the host's."""
from __future__ import annotations

from conftest import sh


def test_tmpfs_mount_and_umount(sandbox):
    r = sh(sandbox, "mount -t tmpfs scratch /mnt && echo hi > /mnt/x && cat /mnt/x; "
                    "grep ' /mnt ' /proc/mounts; umount /mnt; ls -A /mnt; echo end")
    assert r.stdout == "hi\nscratch /mnt tmpfs rw,nosuid,nodev 0 0\nend\n", r.stderr


def test_bind_mount_and_read_only_remount(sandbox, rootfs):
    r = sh(sandbox, "mkdir -p /srv/etc2 && mount --bind /etc /srv/etc2 && cat /srv/etc2/hostname; "
                    "echo new > /srv/etc2/through-bind; cat /etc/through-bind; "
                    "mount -o remount,ro /srv/etc2; echo x > /srv/etc2/ro 2>/dev/null || echo EROFS; "
                    "umount /srv/etc2; ls /srv/etc2 | wc -l")
    assert r.stdout == "umlpy\nnew\nEROFS\n0\n", r.stderr
    assert not (rootfs / "etc" / "through-bind").exists()      # the overlay took the write


def test_proc_mounted_elsewhere(sandbox):
    r = sh(sandbox, "mkdir /tmp/p && mount -t proc proc /tmp/p && cat /tmp/p/self/status | grep ^Pid")
    assert r.stdout.startswith("Pid:\t")
    assert int(r.stdout.split()[1]) < 100


def test_mount_errors(sandbox):
    r = sh(sandbox, "mount -t ext4 /dev/sda /mnt 2>&1; umount / 2>&1; umount /etc 2>&1; "
                    "mount -t tmpfs x /etc/hostname 2>&1; true")
    out = r.stdout
    assert "No such device" in out                       # ENODEV: no such fs type here
    assert out.count("Invalid argument") == 2            # "/" and a non-mount point: EINVAL
    assert "Not a directory" in out


MOUNT_AS_USER = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
int main(void) {
    setuid(1000);
    printf("mount=%s\n", mount("none", "/mnt", "tmpfs", 0, NULL) < 0 ? strerrorname_np(errno) : "OK");
    printf("umount=%s\n", umount("/proc") < 0 ? strerrorname_np(errno) : "OK");
    return 0;
}
"""


def test_only_guest_root_mounts(sandbox, cc):
    r = sandbox.run([cc("mount_as_user", MOUNT_AS_USER)], text=True, timeout=10)
    assert r.stdout == "mount=EPERM\numount=EPERM\n"
