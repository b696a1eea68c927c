/* timer_create(2)/timer_settime(2): a timer with SIGEV_SIGNAL sends its signal
 * with si_code SI_TIMER and the sigev_value on expiry; timer_gettime shows a
 * one-shot timer disarmed after it fired and an interval timer's interval;
 * an unknown clock is EINVAL, so is an unknown notify kind, a tv_nsec of a
 * billion, and a deleted or made-up timer id; SIGEV_THREAD_ID names a thread of
 * the caller.
 */
#include "case.h"

int main(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, 0);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 99;
    timer_t t;
    SHOW("create", timer_create(CLOCK_MONOTONIC, &ev, &t));
    struct itimerspec its = {{0, 0}, {0, 20000000}}, g;
    SHOW("settime", timer_settime(t, 0, &its, 0));
    siginfo_t si;
    SHOW("signal", sigwaitinfo(&s, &si) == SIGRTMIN);
    SAY("code=%d value=%d", si.si_code, si.si_value.sival_int);
    timer_gettime(t, &g);
    SAY("disarmed=%d", g.it_value.tv_sec == 0 && g.it_value.tv_nsec == 0);
    its = (struct itimerspec){{5, 0}, {10, 0}};
    timer_settime(t, 0, &its, 0);
    timer_gettime(t, &g);
    SAY("interval=%ld armed=%d", (long)g.it_interval.tv_sec, g.it_value.tv_sec > 0);
    its.it_value.tv_nsec = 1000000000;
    SHOW("nsec 1e9", timer_settime(t, 0, &its, 0));
    SHOW("overrun", timer_getoverrun(t));
    SHOW("delete", timer_delete(t));
    SHOW("delete again", timer_delete(t));
    SHOW("bad clock", timer_create(42, &ev, &t));
    ev.sigev_notify = 42;
    SHOW("bad notify", timer_create(CLOCK_MONOTONIC, &ev, &t));
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev._sigev_un._tid = gettid();
    SHOW("thread id self", timer_create(CLOCK_MONOTONIC, &ev, &t));
    ev._sigev_un._tid = 99999;
    SHOW("thread id unknown", timer_create(CLOCK_MONOTONIC, &ev, &t));
    SHOW("null sevp", timer_create(CLOCK_REALTIME, 0, &t));
    return 0;
}
