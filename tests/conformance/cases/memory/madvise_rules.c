/* madvise(2): MADV_DONTNEED on private anonymous memory makes it read back as
 * zeros; an unknown advice is EINVAL; an unaligned address EINVAL; a range
 * with unmapped pages ENOMEM; length 0 succeeds; MADV_NORMAL, SEQUENTIAL,
 * WILLNEED and DONTFORK are accepted.
 */
#include "case.h"

int main(void)
{
    char *p = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 7, 4 * 4096);
    SHOW("dontneed", madvise(p, 4096, MADV_DONTNEED));
    SAY("zeros after=%d kept next=%d", p[0] == 0, p[4096] == 7);
    SHOW("unknown advice", madvise(p, 4096, 999));
    SHOW("unaligned", madvise(p + 1, 4096, MADV_NORMAL));
    SHOW("length 0", madvise(p, 0, MADV_NORMAL));
    SHOW("normal", madvise(p, 4096, MADV_NORMAL));
    SHOW("sequential", madvise(p, 4096, MADV_SEQUENTIAL));
    SHOW("willneed", madvise(p, 4096, MADV_WILLNEED));
    SHOW("dontfork", madvise(p, 4096, MADV_DONTFORK));
    munmap(p + 2 * 4096, 4096);
    SHOW("hole", madvise(p, 4 * 4096, MADV_NORMAL));
    return 0;
}
