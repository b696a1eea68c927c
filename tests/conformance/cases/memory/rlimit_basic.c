/* getrlimit(2)/setrlimit(2)/prlimit(2): a soft limit above the hard one is
 * EINVAL; an unknown resource is EINVAL; lowering and raising the soft limit
 * up to the hard one works; RLIMIT_NOFILE limits new descriptors (EMFILE) and
 * dup2 above it (EBADF); prlimit of pid 0 is the caller, of a child works, of an
 * unknown pid ESRCH; limits are inherited by fork.
 */
#include "case.h"

int main(void)
{
    struct rlimit rl, old;
    getrlimit(RLIMIT_NOFILE, &old);
    rl.rlim_cur = old.rlim_max;
    rl.rlim_max = old.rlim_max;
    SHOW("soft to hard", setrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_cur = 20;
    SHOW("soft down", setrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_cur = old.rlim_max + 1 > old.rlim_max ? old.rlim_max + 1 : old.rlim_max;
    SHOW("soft above hard", rl.rlim_cur > rl.rlim_max ? setrlimit(RLIMIT_NOFILE, &rl) : -2);
    SHOW("unknown resource", setrlimit(99, &rl));
    SHOW("get unknown", getrlimit(99, &rl));
    rl.rlim_cur = 20;
    rl.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int last = 0, fd;
    while ((fd = open("/", O_RDONLY)) >= 0)
        last = fd;
    SAY("open stops at limit: last=%d errno=%s", last, errname(errno));
    SHOW("dup2 above", dup2(0, 25));
    struct rlimit p;
    SHOW("prlimit self", prlimit(0, RLIMIT_NOFILE, 0, &p));
    SAY("soft=%ld", (long)p.rlim_cur);
    pid_t c = fork();
    if (c == 0) { pause(); _exit(0); }
    SHOW("prlimit child", prlimit(c, RLIMIT_NOFILE, 0, &p));
    SAY("inherited soft=%ld", (long)p.rlim_cur);
    struct rlimit n = {10, p.rlim_max};
    SHOW("prlimit set child", prlimit(c, RLIMIT_NOFILE, &n, 0));
    prlimit(c, RLIMIT_NOFILE, 0, &p);
    SAY("child soft now=%ld", (long)p.rlim_cur);
    kill(c, SIGKILL);
    waitpid(c, 0, 0);
    SHOW("prlimit unknown", prlimit(99999, RLIMIT_NOFILE, 0, &p));
    return 0;
}
