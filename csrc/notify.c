/*
 * Fd hand-over layer: uh_addfd gives a supervisor-owned descriptor to a guest
 * thread that is parked in the seccomp user-notification "magic" syscall,
 * through the listener the spawned child created (see docs/design.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "helper.h"

/* Has `tid` stopped or died (without reaping it)? */
static int thread_has_stopped(int tid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) == 0 &&
           si.si_pid == tid;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Complete the notified syscall with -err. */
static void reply_error(int listener, uint64_t id, int err)
{
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = id;
    resp.error = -err;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* Receive the notification of `tid`: 0, -EINTR if the thread stopped or died
 * instead (a signal came first and interrupted the magic syscall), or
 * -ETIMEDOUT.  A notification from any other thread is a guest making the
 * magic syscall itself: it is refused. */
static int recv_notif(int listener, int tid, int timeout_ms, struct seccomp_notif *notif)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (thread_has_stopped(tid))
            return -EINTR;
        if (ms_since(&t0) > timeout_ms)
            return -ETIMEDOUT;
        /* 1 ms: a signal that beats the thread to the notification is seen by
         * the next thread_has_stopped, so this bounds what such a race costs. */
        struct pollfd p = { listener, POLLIN, 0 };
        if (poll(&p, 1, 1) <= 0)
            continue;
        if (!(p.revents & POLLIN))
            return -EINTR;      /* POLLHUP: no task uses the filter any more, the thread is gone */
        memset(notif, 0, sizeof *notif);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif) < 0)
            continue;           /* EINTR, or ENOENT: it was interrupted meanwhile */
        if ((int)notif->pid == tid)
            return 0;
        reply_error(listener, notif->id, ENOSYS);
    }
}

/* Resume thread `tid` (uh_resume's `how` and `regs`, pointed at the magic
 * syscall) and hand it `srcfd` as uh_addfd does: one call from Python. */
int uh_resume_addfd(int tid, int how, const struct user_regs_struct *regs, int listener, int srcfd,
                    int cloexec, int timeout_ms)
{
    int r = uh_resume(tid, how, 0, regs);
    return r < 0 ? r : uh_addfd(listener, tid, srcfd, cloexec, timeout_ms);
}

/* The thread `tid` has been pointed at the magic syscall and resumed; it is
 * now (or will very soon be) parked in a seccomp user notification.  Install
 * `srcfd` in its fd table and make the syscall return the new number. */
int uh_addfd(int listener, int tid, int srcfd, int cloexec, int timeout_ms)
{
    struct seccomp_notif notif;
    struct seccomp_notif_addfd add;
    int r = recv_notif(listener, tid, timeout_ms, &notif);
    if (r < 0)
        return r;
    memset(&add, 0, sizeof add);
    add.id = notif.id;
    add.flags = SECCOMP_ADDFD_FLAG_SEND;
    add.srcfd = srcfd;
    add.newfd_flags = cloexec ? O_CLOEXEC : 0;
    r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    if (r < 0) {
        int e = errno;
        reply_error(listener, notif.id, e);
        return -e;
    }
    return r;
}
