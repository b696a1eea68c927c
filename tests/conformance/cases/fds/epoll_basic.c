/* family: fds
 * epoll(7): epoll_create's size must be positive (EINVAL) and epoll_create1
 * takes only EPOLL_CLOEXEC; EPOLL_CTL_ADD twice is EEXIST, MOD or DEL of an
 * fd not in the set is ENOENT, adding the epoll fd to itself is EINVAL, a
 * regular file is EPERM; epoll_wait's maxevents must be positive (EINVAL);
 * ready fds are reported with their data; edge-triggered fires once per edge.
 */
#include "case.h"
#include <sys/epoll.h>

int main(void)
{
    SHOW("create 0", epoll_create(0));
    SHOW("create1 bad flag", epoll_create1(1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    SHOW("create1 cloexec", fcntl(ep, F_GETFD));
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
    SHOW("add", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    SHOW("add again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    SHOW("mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    SHOW("del missing", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &ev));
    SHOW("add self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    int f = open("/etc/hostname", O_RDONLY);
    SHOW("add regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
    SHOW("add closed", epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev));
    SHOW("bad op", epoll_ctl(ep, 9, p[0], &ev));
    struct epoll_event out[4];
    SHOW("wait maxevents 0", epoll_wait(ep, out, 0, 0));
    SHOW("wait empty", epoll_wait(ep, out, 4, 0));
    write(p[1], "x", 1);
    SHOW("wait ready", epoll_wait(ep, out, 4, 0));
    SAY("data=%lu events=%#x", (unsigned long)out[0].data.u64, out[0].events);
    ev.events = EPOLLIN | EPOLLET;
    SHOW("mod et", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    SHOW("wait et first", epoll_wait(ep, out, 4, 0));
    SHOW("wait et again", epoll_wait(ep, out, 4, 0));
    write(p[1], "y", 1);
    SHOW("wait et new edge", epoll_wait(ep, out, 4, 0));
    SHOW("del", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    SHOW("wait after del", epoll_wait(ep, out, 4, 0));
    SHOW("wait on non-epoll", epoll_wait(p[0], out, 4, 0));
    return 0;
}
