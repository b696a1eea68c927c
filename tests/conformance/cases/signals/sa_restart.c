/* A read(2) from an empty pipe, interrupted by a caught signal: without
 * SA_RESTART it fails with EINTR; with SA_RESTART it is restarted and returns
 * the data the handler wrote.  A caught signal always interrupts pause(2)
 * with EINTR.
 */
#include "case.h"
#include <sys/time.h>

static int fds[2];
static void h(int s) { write(fds[1], "z", 1); }

static void try(const char *l, int flags)
{
    struct sigaction sa = {0};
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
    char b[4];
    SHOW(l, read(fds[0], b, sizeof b));
    if (flags == 0)
        read(fds[0], b, 1);          /* what the handler wrote */
}

int main(void)
{
    pipe(fds);
    try("read no SA_RESTART", 0);
    try("read SA_RESTART", SA_RESTART);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
    SHOW("pause", pause());
    return 0;
}
