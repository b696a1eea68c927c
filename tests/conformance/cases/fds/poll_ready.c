/* family: fds
 * poll(2)/ppoll(2): an empty pipe's read end is not ready and its write end
 * is POLLOUT; after a write the read end is POLLIN; a timeout of 0 returns at
 * once with 0; a closed fd gives POLLNVAL (and counts as ready); a negative
 * fd is skipped (revents 0); more fds than RLIMIT_NOFILE is EINVAL; ppoll's
 * timeout must be valid (EINVAL).
 */
#include "case.h"
#include <poll.h>

int main(void)
{
    int p[2];
    pipe(p);
    struct pollfd f[4] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}, {-1, POLLIN, 0}};
    SHOW("poll 0", poll(f, 2, 0));
    SAY("revents r=%#x w=%#x", f[0].revents, f[1].revents);
    write(p[1], "x", 1);
    SHOW("poll after write", poll(f, 2, 0));
    SAY("revents r=%#x w=%#x", f[0].revents, f[1].revents);
    SHOW("poll closed+negative", poll(f + 2, 2, 0));
    SAY("revents closed=%#x negative=%#x", f[2].revents, f[3].revents);
    SHOW("poll nothing", poll(NULL, 0, 0));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    SHOW("poll too many", poll(f, rl.rlim_cur + 1, 0));
    struct timespec ts = {0, 0};
    SHOW("ppoll 0", ppoll(f, 2, &ts, NULL));
    struct timespec bad = {0, 2000000000};
    SHOW("ppoll bad timeout", ppoll(f, 2, &bad, NULL));
    struct timespec neg = {-1, 0};
    SHOW("ppoll negative timeout", ppoll(f, 2, &neg, NULL));
    close(p[1]);
    char c;
    read(p[0], &c, 1);
    SHOW("poll writer gone", poll(f, 1, 0));
    SAY("revents r=%#x", f[0].revents);
    SHOW("poll bad address", poll((void *)8, 1, 0));
    return 0;
}
