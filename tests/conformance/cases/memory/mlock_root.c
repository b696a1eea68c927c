/* Root (CAP_IPC_LOCK) may mlock beyond RLIMIT_MEMLOCK: 10 MB with a limit of
 * 64 KiB succeeds, and /proc/self/status's VmLck shows it.
 * root: CAP_IPC_LOCK over the host's memory
 * gap: guest root is not root on the host, so mlock beyond the host's RLIMIT_MEMLOCK fails (issue 8)
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
    return 0;
}
