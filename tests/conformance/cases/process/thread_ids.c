/* In a thread made by pthread_create (clone with CLONE_THREAD), getpid() is the
 * process's pid and getppid() its parent's, while gettid() is a new id of its
 * own; the main thread's tid is the pid.
 */
#include "case.h"
#include <pthread.h>

static pid_t tpid, tppid, ttid;

static void *th(void *a) { tpid = getpid(); tppid = getppid(); ttid = gettid(); return 0; }

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, 0, th, 0);
        pthread_join(t, 0);
        SAY("main tid==pid=%d", gettid() == getpid());
        SAY("thread pid same=%d ppid same=%d tid differs=%d tid>pid=%d", tpid == getpid(), tppid == getppid(),
            ttid != getpid(), ttid > getpid());
        _exit(0);
    }
    wait(0);
    return 0;
}
