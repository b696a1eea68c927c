/* CPU-time clocks: clock_getcpuclockid(3) of the caller (0 or its own pid) and
 * of a child, and pthread_getcpuclockid(3) of a thread, give clock ids that
 * clock_gettime(2) and clock_getres(2) accept; the process clock counts the
 * CPU time a busy loop used; the id of an unknown pid is ESRCH from
 * clock_getcpuclockid, and clock_gettime on a made-up one is EINVAL.
 */
#include "case.h"
#include <pthread.h>

static volatile int stop;
static void *spin(void *a) { while (!stop) ; return 0; }

static void try(const char *l, clockid_t id)
{
    struct timespec t = {0, 0};
    errno = 0;
    int r = clock_gettime(id, &t);
    SAY("%s: gettime=%d %s getres=%d", l, r, r ? errname(errno) : "OK", clock_getres(id, 0));
}

int main(void)
{
    clockid_t id;
    SHOW("self (0)", clock_getcpuclockid(0, &id));
    try("self", id);
    for (volatile long i = 0; i < 50000000; i++)
        ;
    struct timespec t;
    clock_gettime(id, &t);
    SAY("busy loop counted=%d", t.tv_sec > 0 || t.tv_nsec > 1000000);
    SHOW("own pid", clock_getcpuclockid(getpid(), &id));
    try("own pid", id);
    pid_t c = fork();
    if (c == 0) { for (;;) ; }
    SHOW("child", clock_getcpuclockid(c, &id));
    try("child", id);
    kill(c, SIGKILL);
    waitpid(c, 0, 0);
    SAY("unknown pid=%s", errname(clock_getcpuclockid(99999, &id)));
    pthread_t th;
    pthread_create(&th, 0, spin, 0);
    SAY("thread clock=%d", pthread_getcpuclockid(th, &id));
    try("thread", id);
    stop = 1;
    pthread_join(th, 0);
    SHOW("made-up id", clock_gettime(-999999, &t));
    return 0;
}
