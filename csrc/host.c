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
