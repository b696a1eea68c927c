/* A traced process's exit goes to its tracer first: its real parent cannot reap it
 * (waitpid WNOHANG finds nothing) until the tracer has waited for it; then it can.
 * Here the tracer is the real parent's parent, which PTRACE_SEIZEs its grandchild.
 */
#include "case.h"
#include <sys/ptrace.h>

int main(void)
{
    int gp[2], go[2], mark[2], res[2];
    pipe(gp); pipe(go); pipe(mark); pipe(res);
    pid_t c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            char b;
            read(go[0], &b, 1);
            _exit(5);
        }
        write(gp[1], &g, sizeof g);
        fcntl(mark[0], F_SETFL, O_NONBLOCK);
        int early = 0, st = 0;
        char b;
        for (int i = 0; i < 400; i++) {          /* up to 4 s */
            int marked = read(mark[0], &b, 1) == 1;
            if (waitpid(g, &st, WNOHANG) == g) {
                early = !marked;
                break;
            }
            usleep(10000);
        }
        char out[64];
        int n = snprintf(out, sizeof out, "reaped early=%d code=%d", early, WEXITSTATUS(st));
        write(res[1], out, n);
        _exit(0);
    }
    pid_t g;
    read(gp[0], &g, sizeof g);
    SHOW("seize grandchild", ptrace(PTRACE_SEIZE, g, 0, 0));
    write(go[1], "x", 1);                          /* it exits now */
    usleep(300000);                                /* the parent polls meanwhile */
    write(mark[1], "m", 1);
    int st;
    SHOW("tracer waits", waitpid(g, &st, __WALL) == g);
    SAY("tracer sees exited=%d code=%d", WIFEXITED(st), WEXITSTATUS(st));
    char out[64] = {0};
    read(res[0], out, sizeof out - 1);
    SAY("real parent: %s", out);
    waitpid(c, &st, 0);
    return 0;
}
