/* brk(2): brk(0) returns the current break; raising it returns the new break
 * and the memory reads as zeros; asking for a break below the start of the
 * heap leaves it unchanged (the raw call returns the current break, not an
 * error); sbrk(3) returns the old break.
 */
#include "case.h"

int main(void)
{
    long b0 = syscall(SYS_brk, 0);
    SAY("brk(0) nonzero=%d", b0 != 0);
    long b1 = syscall(SYS_brk, b0 + 65536);
    SAY("raised=%d", b1 == b0 + 65536);
    SAY("zeros=%d", ((char *)b0)[100] == 0 && ((char *)b1)[-1] == 0);
    ((char *)b0)[0] = 1;
    long b2 = syscall(SYS_brk, 4096);
    SAY("below start: unchanged=%d", b2 == b1);
    long b3 = syscall(SYS_brk, b0 + 4096);
    SAY("lowered=%d", b3 == b0 + 4096);
    SAY("still there=%d", ((char *)b0)[0] == 1);
    return 0;
}
