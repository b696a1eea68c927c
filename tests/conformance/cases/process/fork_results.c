/* fork(2): returns 0 in the child and the child's pid (> 0) in the parent; the
 * child's getppid() is the parent's pid; memory is copied, not shared, so a
 * child's write is not seen by the parent; the child's pid is new (not the
 * parent's).
 */
#include "case.h"

static int shared_var = 1;

int main(void)
{
    int fds[2];
    pipe(fds);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        shared_var = 2;
        char b[3] = {getppid() == parent, getpid() != parent, 0};
        write(fds[1], b, 2);
        _exit(0);
    }
    char b[2];
    read(fds[0], b, 2);
    SAY("child saw ppid==parent=%d own pid new=%d", b[0], b[1]);
    SAY("fork result positive=%d", c > 0);
    int st;
    SAY("wait same=%d", waitpid(c, &st, 0) == c);
    SAY("parent var unchanged=%d", shared_var == 1);
    return 0;
}
