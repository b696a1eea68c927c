/* prctl(PR_SET_PDEATHSIG): when the parent (thread) that forked the caller dies,
 * the caller gets the signal; PR_GET_PDEATHSIG reads it back; an invalid signal
 * is EINVAL; fork clears the setting in the child.
 */
#include "case.h"
#include <sys/prctl.h>

int main(void)
{
    int sig = -1;
    SHOW("bad signal", prctl(PR_SET_PDEATHSIG, 99));
    int p[2];
    pipe(p);
    pid_t mid = fork();
    if (mid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGUSR2);
        pid_t g = fork();
        if (g == 0) {
            int s = -1;
            prctl(PR_GET_PDEATHSIG, &s);
            SAY("grandchild inherits setting=%d", s);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            prctl(PR_GET_PDEATHSIG, &s);
            SAY("grandchild set=%d", s);
            write(p[1], "r", 1);
            pause();
            _exit(0);
        }
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    int st;
    waitpid(mid, &st, 0);
    pid_t w = wait(&st);
    SAY("orphan reaped=%d signaled=%d sig=%d", w > 0, WIFSIGNALED(st), WTERMSIG(st));
    return 0;
}
