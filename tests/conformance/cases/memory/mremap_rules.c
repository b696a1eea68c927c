/* mremap(2): growing in place fails with ENOMEM when the next page is taken and
 * MREMAP_MAYMOVE is not given; with it the mapping moves and keeps its contents;
 * shrinking works in place; unknown flags, MREMAP_FIXED without MREMAP_MAYMOVE,
 * an unaligned old address and a new size 0 are EINVAL; an unmapped old address
 * is EFAULT.
 */
#include "case.h"

int main(void)
{
    char *p = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(p, "contents");
    munmap(p + 4096, 4096);
    mmap(p + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);   /* a neighbour */
    void *q = mremap(p, 4096, 8192, 0);
    SAY("grow blocked: failed=%d errno=%s", q == MAP_FAILED, errname(errno));
    q = mremap(p, 4096, 3 * 4096, MREMAP_MAYMOVE);
    SAY("grow maymove: moved=%d contents=%s", q != p, (char *)q);
    char *r = mremap(q, 3 * 4096, 4096, 0);
    SAY("shrink in place=%d", r == q);
    SHOW("unknown flags", (long)mremap(r, 4096, 4096, 0x80) == -1 ? -1 : 0);
    SHOW("fixed without maymove", (long)mremap(r, 4096, 4096, MREMAP_FIXED, p) == -1 ? -1 : 0);
    SHOW("unaligned", (long)mremap(r + 1, 4096, 4096, 0) == -1 ? -1 : 0);
    SHOW("new size 0", (long)mremap(r, 4096, 0, 0) == -1 ? -1 : 0);
    munmap(r, 4096);
    SHOW("unmapped", (long)mremap(r, 4096, 4096, 0) == -1 ? -1 : 0);
    return 0;
}
