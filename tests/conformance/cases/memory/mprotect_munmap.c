/* mprotect(2): an unaligned address is EINVAL, an unknown protection bit
 * EINVAL, a range with an unmapped hole ENOMEM; after PROT_READ a write faults
 * (SIGSEGV in a child).  munmap(2): an unaligned address or length 0 is EINVAL;
 * unmapping a range with nothing mapped succeeds; after munmap an access faults.
 */
#include "case.h"

static void fault(const char *l, volatile char *p, int write)
{
    pid_t c = fork();
    if (c == 0) {
        if (write) *p = 1; else (void)*p;
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("%s: signaled=%d sig=%d", l, WIFSIGNALED(st), WTERMSIG(st));
}

int main(void)
{
    char *p = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("unaligned", mprotect(p + 1, 4096, PROT_READ));
    SHOW("bad prot", mprotect(p, 4096, 0x100));
    SHOW("read only", mprotect(p, 4096, PROT_READ));
    fault("write to read-only", p, 1);
    fault("read read-only", p, 0);
    munmap(p + 4096, 4096);
    SHOW("over a hole", mprotect(p, 3 * 4096, PROT_READ));
    SHOW("munmap unaligned", munmap(p + 1, 4096));
    SHOW("munmap length 0", munmap(p, 0));
    SHOW("munmap nothing there", munmap(p + 4096, 4096));
    fault("read unmapped", p + 4096, 0);
    SHOW("prot none", mprotect(p + 8192, 4096, PROT_NONE));
    fault("read PROT_NONE", p + 8192, 0);
    return 0;
}
