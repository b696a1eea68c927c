/* waitpid(2)/wait4(2): unknown option bits are EINVAL; a pid that is not a
 * child is ECHILD (even the caller's own); WNOHANG with a running child is 0;
 * -1 waits for any child, 0 for any child in the caller's group, -pgid for any
 * in that group (ECHILD when the group has no child of ours).
 */
#include "case.h"

int main(void)
{
    int st;
    SHOW("bad options", waitpid(-1, &st, 0x1000000));
    SHOW("not a child (self)", waitpid(getpid(), &st, 0));
    SHOW("no such pid", waitpid(99999, &st, 0));
    pid_t c = fork();
    if (c == 0) { pause(); _exit(0); }
    SHOW("wnohang running", waitpid(c, &st, WNOHANG));
    SHOW("wnohang any", waitpid(-1, &st, WNOHANG));
    SHOW("wrong group", waitpid(-99998, &st, WNOHANG));
    kill(c, SIGKILL);
    SAY("wait group 0 same=%d", waitpid(0, &st, 0) == c);
    SAY("killed=%d sig=%d", WIFSIGNALED(st), WTERMSIG(st));
    c = fork();
    if (c == 0) { setpgid(0, 0); _exit(3); }
    usleep(100000);
    SAY("wait -pgid same=%d", waitpid(-c, &st, 0) == c);
    SAY("code=%d", WEXITSTATUS(st));
    SHOW("none left", wait(&st));
    return 0;
}
