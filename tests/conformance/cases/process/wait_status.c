/* family: process
 * fork(2) and wait4(2): the parent gets the child's pid from both, the status
 * says how it ended (exit code, signal), and WNOHANG with no child ready is 0;
 * with no children left, ECHILD.
 */
#include "case.h"

int main(void)
{
    int st;
    pid_t c = fork();
    if (c == 0)
        _exit(42);
    pid_t w = waitpid(c, &st, 0);
    SAY("same pid=%d exited=%d code=%d", w == c, WIFEXITED(st), WEXITSTATUS(st));
    c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    SHOW("wnohang", waitpid(c, &st, WNOHANG));
    kill(c, SIGTERM);
    w = waitpid(c, &st, 0);
    SAY("same pid=%d signaled=%d sig=%d", w == c, WIFSIGNALED(st), WTERMSIG(st));
    SHOW("no child", waitpid(-1, &st, 0));
    SAY("getppid of init=%d pid=%d", getppid(), getpid());
    return 0;
}
