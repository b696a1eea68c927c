/*
 * Host-call layer: syscalls the supervisor makes for itself, not on a guest's
 * behalf, where Python's os module has no wrapper (umlpy/platform/host.py).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "helper.h"

/* openat2 confined to the directory `rootfd`: the host kernel itself refuses
 * to leave it through "..", absolute symlinks or magic links. */
int uh_openat2(int rootfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    long r = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    return r < 0 ? -errno : (int)r;
}

/* A duplicate of a guest's descriptor `fd`, through its pidfd. */
int uh_pidfd_getfd(int pidfd, int fd)
{
    long r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    return r < 0 ? -errno : (int)r;
}

int uh_kill_tid(int tgid, int tid, int sig)
{
    long r = syscall(SYS_tgkill, tgid, tid, sig);
    return r < 0 ? -errno : 0;
}

/* inotify_add_watch on the supervisor's duplicate of a guest inotify fd. */
int uh_inotify_add_watch(int fd, const char *path, uint32_t mask)
{
    long r = syscall(SYS_inotify_add_watch, fd, path, mask);
    return r < 0 ? -errno : (int)r;
}

/* A tmpfs that is mounted nowhere: fsopen + fsconfig + fsmount give a
 * descriptor of its root and no mount-table entry.  It lives while some
 * descriptor of it is open, so it dies with the supervisor (no leftover in
 * /dev/shm, no unmount to forget).  `options` is a comma-separated list
 * of key=value tmpfs options (size=, nr_inodes=, mode=); nosuid, nodev and
 * noexec-free: guests run programs from it.  Returns the fd or -errno. */
int uh_detached_tmpfs(const char *options)
{
    char buf[256], *save = NULL;
    int fs = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
    if (fs < 0)
        return -errno;
    if (strlen(options) >= sizeof buf) {
        close(fs);
        return -EINVAL;
    }
    strcpy(buf, options);
    for (char *opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(opt, '=');
        if (eq)
            *eq++ = 0;
        if (syscall(SYS_fsconfig, fs, eq ? 1 /* SET_STRING */ : 0 /* SET_FLAG */, opt, eq, 0) < 0) {
            int e = errno;
            close(fs);
            return -e;
        }
    }
    if (syscall(SYS_fsconfig, fs, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0) < 0) {
        int e = errno;
        close(fs);
        return -e;
    }
    int mnt = syscall(SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */,
                      0x2 | 0x4 /* MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV */);
    int e = errno;
    close(fs);
    return mnt < 0 ? -e : mnt;
}
