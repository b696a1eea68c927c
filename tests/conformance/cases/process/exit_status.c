/* _exit(2): only the low 8 bits of the status reach the parent (256 is 0, -1 is
 * 255); exit_group ends every thread; returning from main is exit(); a child
 * that exits from a thread other than the main one with exit_group still
 * reports the code.
 */
#include "case.h"
#include <pthread.h>

static void *th(void *a) { syscall(SYS_exit_group, 77); return 0; }

static void run(const char *l, int how)
{
    pid_t c = fork();
    if (c == 0) {
        if (how == 0) _exit(0);
        if (how == 1) _exit(255);
        if (how == 2) _exit(256);
        if (how == 3) _exit(-1);
        if (how == 4) { pthread_t t; pthread_create(&t, 0, th, 0); for (;;) pause(); }
        if (how == 5) exit(300 + 1);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("%s: exited=%d code=%d", l, WIFEXITED(st), WEXITSTATUS(st));
}

int main(void)
{
    run("0", 0);
    run("255", 1);
    run("256", 2);
    run("-1", 3);
    run("exit_group from thread", 4);
    run("exit(301)", 5);
    return 0;
}
