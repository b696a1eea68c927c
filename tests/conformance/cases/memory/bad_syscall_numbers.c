/* System call numbers that name nothing fail with ENOSYS: a number past the
 * table (1000), -1, and a number with bit 30 set (the x32 range; with the x32
 * ABI compiled out, as in this kernel, every such number is ENOSYS); the
 * process is not killed.
 */
#include "case.h"

int main(void)
{
    SHOW("1000", syscall(1000));
    SHOW("-1", syscall(-1));
    SHOW("0x40000000|500", syscall(0x40000000 | 500));
    SHOW("0x40000000|39", syscall(0x40000000 | 39));
    SHOW("0x7fffffff", syscall(0x7fffffff));
    SHOW("getpid still fine", syscall(SYS_getpid) == getpid());
    return 0;
}
