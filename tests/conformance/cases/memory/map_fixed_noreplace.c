/* MAP_FIXED_NOREPLACE maps at exactly the address given, and fails with EEXIST
 * if anything is mapped in the range (where MAP_FIXED would replace it);
 * MAP_FIXED replaces an existing mapping (its contents are then zeros).
 */
#include "case.h"

int main(void)
{
    char *p = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 5;
    munmap(p + 2 * 4096, 2 * 4096);
    void *q = mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    SAY("over existing: failed=%d errno=%s", q == MAP_FAILED, errname(errno));
    q = mmap(p + 4096, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    SAY("overlapping: failed=%d errno=%s", q == MAP_FAILED, errname(errno));
    q = mmap(p + 2 * 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    SAY("free range: at the address=%d", q == p + 2 * 4096);
    SAY("old contents kept=%d", p[0] == 5);
    q = mmap(p, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    SAY("MAP_FIXED replaces: same=%d zeroed=%d", q == p, p[0] == 0);
    return 0;
}
