/* Root (CAP_IPC_LOCK) may mlock beyond RLIMIT_MEMLOCK: 10 MB with a limit of
 * 64 KiB succeeds, as does mlockall(MCL_CURRENT); an unmapped range is still
 * ENOMEM.
 * root: CAP_IPC_LOCK over the host's memory
 */
#include "case.h"

int main(void)
{
    struct rlimit rl = {65536, 65536};
    setrlimit(RLIMIT_MEMLOCK, &rl);
    size_t n = 10 << 20;
    char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("mlock 10MB", mlock(p, n));
    SHOW("munlock", munlock(p, n));
    munmap(p + 4096, 4096);
    SHOW("range with a hole", mlock(p, 3 * 4096));
    SHOW("mlockall current", mlockall(MCL_CURRENT));
    SHOW("munlockall", munlockall());
    return 0;
}
