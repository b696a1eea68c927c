/* family: fds
 * select(2)/pselect(2): the returned sets keep only the ready fds; a zero
 * timeout polls; a negative nfds is EINVAL, and so is a negative timeout; a
 * closed fd in a set is EBADF; select updates its timeout (Linux does).
 */
#include "case.h"
#include <sys/select.h>

int main(void)
{
    int p[2];
    pipe(p);
    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r); FD_ZERO(&w);
    FD_SET(p[0], &r); FD_SET(p[1], &w);
    SHOW("select empty pipe", select(p[1] + 1, &r, &w, NULL, &tv));
    SAY("r set=%d w set=%d", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    write(p[1], "x", 1);
    FD_ZERO(&r); FD_ZERO(&w);
    FD_SET(p[0], &r); FD_SET(p[1], &w);
    SHOW("select after write", select(p[1] + 1, &r, &w, NULL, &tv));
    SAY("r set=%d w set=%d", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    SHOW("select negative nfds", select(-1, NULL, NULL, NULL, &tv));
    struct timeval neg = {-1, 0};
    SHOW("select negative timeout", select(1, NULL, NULL, NULL, &neg));
    FD_ZERO(&r);
    FD_SET(40, &r);
    SHOW("select closed fd", select(41, &r, NULL, NULL, &tv));
    struct timeval ten = {0, 10000};
    SHOW("select times out", select(0, NULL, NULL, NULL, &ten));
    SAY("timeout updated to zero=%d", ten.tv_sec == 0 && ten.tv_usec == 0);
    struct timespec ts = {0, 0};
    sigset_t m;
    sigemptyset(&m);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    SHOW("pselect", pselect(p[0] + 1, &r, NULL, NULL, &ts, &m));
    struct timespec bad = {0, 1000000000};
    SHOW("pselect bad timeout", pselect(p[0] + 1, &r, NULL, NULL, &bad, &m));
    return 0;
}
