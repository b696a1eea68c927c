/* family: pipes
 * poll(2) on pipe ends: the read end shows POLLHUP once every writer is gone
 * (with POLLIN too while data remains); the write end shows POLLERR once every
 * reader is gone.
 */
#include "case.h"
#include <poll.h>

int main(void)
{
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    close(p[1]);
    struct pollfd f = {p[0], POLLIN, 0};
    SHOW("poll data+hup", poll(&f, 1, 0));
    SAY("revents=%#x", f.revents);
    char c;
    read(p[0], &c, 1);
    SHOW("poll hup", poll(&f, 1, 0));
    SAY("revents=%#x", f.revents);
    int q[2];
    pipe(q);
    close(q[0]);
    struct pollfd g = {q[1], POLLOUT, 0};
    SHOW("poll no reader", poll(&g, 1, 0));
    SAY("revents=%#x", g.revents);
    return 0;
}
