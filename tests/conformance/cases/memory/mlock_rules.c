/* mlock(2) of a few pages succeeds; munlock undoes it; mlockall(2) with no
 * flags or unknown flags is EINVAL; mlock of an unmapped range is ENOMEM;
 * an unprivileged process may lock up to RLIMIT_MEMLOCK bytes, more is
 * ENOMEM (EPERM if the limit is 0).
 * root: an unprivileged user runs as root of a user namespace, which holds no CAP_IPC_LOCK over the host's memory
 */
#include "case.h"

int main(void)
{
    char *p = mmap(0, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("mlock 2 pages", mlock(p, 8192));
    SHOW("munlock", munlock(p, 8192));
    SHOW("mlockall 0", mlockall(0));
    SHOW("mlockall bad", mlockall(0x100));
    char *q = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(q, 4096);
    SHOW("unmapped", mlock(q, 4096));
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = {16384, 16384};
        setrlimit(RLIMIT_MEMLOCK, &rl);
        setresuid(1000, 1000, 1000);
        SHOW("user within limit", mlock(p, 8192));
        SHOW("user over limit", mlock(p, 64 * 4096));
        munlock(p, 8192);
        rl.rlim_cur = rl.rlim_max = 0;
        setrlimit(RLIMIT_MEMLOCK, &rl);
        SHOW("user with limit 0", mlock(p, 4096));
        _exit(0);
    }
    waitpid(c, 0, 0);
    return 0;
}
