/* family: misc
 * sysinfo(2): succeeds, with mem_unit 1, total RAM above free RAM, at least
 * one process, and a bad address is EFAULT. (The figures themselves are the
 * machine's, or the sandbox's, and are not printed.)
 */
#include "case.h"
#include <sys/sysinfo.h>

int main(void)
{
    struct sysinfo si;
    SHOW("sysinfo", sysinfo(&si));
    SAY("mem_unit=%u total>=free=%d procs>0=%d total>0=%d", si.mem_unit, si.totalram >= si.freeram, si.procs > 0,
        si.totalram > 0);
    SHOW("bad address", syscall(SYS_sysinfo, (void *)8));
    return 0;
}
