/* prctl(PR_SET_CHILD_SUBREAPER): a process that sets it adopts its orphaned
 * descendants instead of pid 1: after the middle process exits, the
 * grandchild's getppid() is the subreaper's pid, and the subreaper reaps it.
 * PR_GET_CHILD_SUBREAPER reads the flag.
 */
#include "case.h"
#include <sys/prctl.h>

int main(void)
{
    int p[2], q[2];
    pipe(p); pipe(q);
    pid_t sr = fork();
    if (sr == 0) {
        int v = -1;
        prctl(PR_GET_CHILD_SUBREAPER, &v);
        SAY("initially=%d", v);
        SHOW("set", prctl(PR_SET_CHILD_SUBREAPER, 1));
        prctl(PR_GET_CHILD_SUBREAPER, &v);
        SAY("now=%d", v);
        pid_t mid = fork();
        if (mid == 0) {
            if (fork() == 0) {
                char c;
                read(p[0], &c, 1);
                int pp = getppid();
                write(q[1], &pp, sizeof pp);
                _exit(6);
            }
            _exit(0);
        }
        int st;
        waitpid(mid, &st, 0);
        write(p[1], "x", 1);
        int pp;
        read(q[0], &pp, sizeof pp);
        SAY("orphan's parent is the subreaper=%d", pp == getpid());
        pid_t w = wait(&st);
        SAY("subreaper reaped it=%d code=%d", w > 0, WEXITSTATUS(st));
        _exit(0);
    }
    waitpid(sr, 0, 0);
    return 0;
}
