/* An orphan is reparented to the init of its PID namespace (pid 1): after its
 * parent exits, getppid() is 1, and pid 1 reaps it with wait().  This case is
 * itself pid 1 of its namespace.
 */
#include "case.h"

int main(void)
{
    SAY("I am pid 1=%d", getpid() == 1);
    int p[2], q[2];
    pipe(p); pipe(q);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t g = fork();
        if (g == 0) {
            char c;
            read(p[0], &c, 1);              /* until the middle one has exited */
            int pp = getppid();
            write(q[1], &pp, sizeof pp);
            _exit(4);
        }
        write(q[1], &g, sizeof g);
        _exit(0);
    }
    int st, g, pp;
    read(q[0], &g, sizeof g);
    waitpid(mid, &st, 0);
    write(p[1], "x", 1);
    read(q[0], &pp, sizeof pp);
    SAY("orphan's ppid=%d", pp);
    pid_t w = wait(&st);
    SAY("init reaped it=%d code=%d", w == g, WEXITSTATUS(st));
    return 0;
}
