/* alarm(2) returns the seconds left on the previous alarm (0 if none) and
 * alarm(0) cancels; setitimer(ITIMER_REAL) sends SIGALRM when it expires, and
 * getitimer shows it disarmed after a one-shot; an unknown timer is EINVAL, as
 * is a tv_usec of a million; ITIMER_VIRTUAL and ITIMER_PROF count CPU time.
 */
#include "case.h"
#include <sys/time.h>

static volatile int alrm, vt;
static void h(int s) { if (s == SIGALRM) alrm++; else vt++; }

int main(void)
{
    signal(SIGALRM, h);
    signal(SIGVTALRM, h);
    SHOW("alarm first", alarm(100));
    SHOW("alarm again (left)", alarm(50));
    SHOW("cancel (left)", alarm(0));
    SHOW("after cancel", alarm(0));
    struct itimerval it = {{0, 0}, {0, 30000}}, g;
    SHOW("setitimer", setitimer(ITIMER_REAL, &it, 0));
    while (!alrm)
        pause();
    SAY("SIGALRM=%d", alrm);
    getitimer(ITIMER_REAL, &g);
    SAY("disarmed=%d", g.it_value.tv_sec == 0 && g.it_value.tv_usec == 0);
    SHOW("bad which", setitimer(42, &it, 0));
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    SHOW("usec 1e6", setitimer(ITIMER_REAL, &bad, 0));
    SHOW("getitimer bad", getitimer(42, &g));
    struct itimerval v = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_VIRTUAL, &v, 0);
    for (volatile long i = 0; !vt; i++)
        ;
    SAY("SIGVTALRM after cpu time=%d", vt);
    return 0;
}
