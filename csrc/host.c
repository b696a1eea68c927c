/*
 * Host-call layer: syscalls the supervisor makes for itself, not on a guest's
 * behalf, where Python's os module has no wrapper (umlpy/platform/host.py).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

/* A file system that is mounted nowhere: fsopen + fsconfig + fsmount give a
 * descriptor of its root and no mount-table entry.  It lives while some
 * descriptor of it is open, so it dies with the supervisor (no leftover in
 * /dev/shm, no unmount to forget).  `options` is a comma-separated list of
 * key=value options (tmpfs: size=, nr_inodes=, mode=; devpts: mode=,
 * ptmxmode=).  A tmpfs is nosuid and nodev, and noexec-free: guests run
 * programs from it.  A devpts instance holds nothing but its own ptmx and
 * pty slaves, so it is nosuid and noexec, and must allow devices.
 * Returns the fd or -errno. */
static int make_fs(const char *fstype, const char *options)
{
    char buf[256], *save = NULL;
    int fs = syscall(SYS_fsopen, fstype, 1 /* FSOPEN_CLOEXEC */);
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
    unsigned attrs = strcmp(fstype, "devpts") == 0
        ? 0x2 | 0x8      /* MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC */
        : 0x2 | 0x4;     /* MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV */
    int mnt = syscall(SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, attrs);
    int e = errno;
    close(fs);
    return mnt < 0 ? -e : mnt;
}

static int write_proc_self(const char *file, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/%s", file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return ok ? 0 : -1;
}

/* Send fd over a unix socket (SCM_RIGHTS). */
static int send_fd(int sock, int fd)
{
    char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { &byte, 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl, .msg_controllen = sizeof ctl };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* The fd send_fd sent, or -errno: the byte that came instead (or EIO). */
static int recv_fd(int sock)
{
    unsigned char byte = EIO;
    char ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { &byte, 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl, .msg_controllen = sizeof ctl };
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -EIO;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        return -(byte ? byte : EIO);
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

/* Run `make(arg)` in a short-lived child and return the fd it made, or
 * -errno: what takes a namespace the multithreaded supervisor cannot enter
 * itself.  The child sends the fd back over SCM_RIGHTS, or an errno byte. */
static int fd_from_child(int (*make)(void *), void *arg)
{
    int sv[2], status, fd;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]); close(sv[1]);
        return -e;
    }
    if (pid == 0) {
        close(sv[0]);
        int r = make(arg);
        if (r >= 0 && send_fd(sv[1], r) == 0)
            _exit(0);
        unsigned char e = r < 0 && -r < 256 ? -r : EIO;
        if (write(sv[1], &e, 1) != 1) { /* the parent sees EOF */ }
        _exit(1);
    }
    close(sv[1]);
    fd = recv_fd(sv[0]);
    close(sv[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return fd;
}

struct fs_spec { const char *fstype, *options; };

/* In the child of fs_via_userns: a user namespace where our ids map to
 * themselves (so that the supervisor, outside, may create files in the
 * tmpfs: their owner must be mapped in the tmpfs's namespace), a mount
 * namespace it owns, the tmpfs. */
static int fs_in_userns(void *arg)
{
    const struct fs_spec *fs = arg;
    unsigned uid = geteuid(), gid = getegid();
    char line[64];
    /* A non-dumpable supervisor's child's /proc/self files are root's. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return -errno;
    snprintf(line, sizeof line, "%u %u 1\n", uid, uid);
    if (write_proc_self("uid_map", line) < 0 || write_proc_self("setgroups", "deny") < 0)
        return -errno;
    snprintf(line, sizeof line, "%u %u 1\n", gid, gid);
    if (write_proc_self("gid_map", line) < 0)
        return -errno;
    return make_fs(fs->fstype, fs->options);
}

/* The same for a supervisor without privilege (rootless mode): made
 * by a short-lived child in a user namespace of its own.  A detached mount
 * is in no mount table, so it outlives that namespace as long as its fd. */
static int fs_via_userns(const char *fstype, const char *options)
{
    struct fs_spec fs = { fstype, options };
    return fd_from_child(fs_in_userns, &fs);
}

/* A file system of type `fstype` (tmpfs, devpts) mounted nowhere; see make_fs. */
int uh_detached_mount(const char *fstype, const char *options, int userns)
{
    return userns ? fs_via_userns(fstype, options) : make_fs(fstype, options);
}

struct netns_spec { int userns_fd, netns_fd, domain, type, protocol; };

/* In the child of uh_netns_socket: enter the namespaces, make the socket. */
static int socket_in_netns(void *arg)
{
    const struct netns_spec *n = arg;
    if (n->userns_fd >= 0 && setns(n->userns_fd, CLONE_NEWUSER) < 0)
        return -errno;
    if (setns(n->netns_fd, CLONE_NEWNET) < 0)
        return -errno;
    int fd = socket(n->domain, n->type | SOCK_CLOEXEC, n->protocol);
    return fd < 0 ? -errno : fd;
}

/* A socket in the network namespace `netns_fd` (a /proc/PID/ns/net fd),
 * made by a short-lived child that enters it: first, if `userns_fd` >= 0,
 * the user namespace owning it (rootless mode: the supervisor's uid owns
 * that namespace, so the child gains its capabilities there).  The socket
 * keeps its namespace and its maker's credentials, so the supervisor may
 * configure the guest's own interfaces through it (SIOCSIF*), and only
 * those.  Returns the fd or -errno. */
int uh_netns_socket(int userns_fd, int netns_fd, int domain, int type, int protocol)
{
    struct netns_spec n = { userns_fd, netns_fd, domain, type, protocol };
    return fd_from_child(socket_in_netns, &n);
}
