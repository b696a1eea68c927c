/* family: misc
 * uname(2): sysname "Linux", machine "x86_64", nodename the UTS namespace's
 * hostname (both runs name it "umlpy"); the release looks like N.N; a bad
 * address is EFAULT.
 */
#include "case.h"
#include <sys/utsname.h>

int main(void)
{
    struct utsname u;
    SHOW("uname", uname(&u));
    SAY("sysname=%s machine=%s nodename=%s", u.sysname, u.machine, u.nodename);
    int a, b;
    SAY("release N.N=%d", sscanf(u.release, "%d.%d", &a, &b) == 2);
    SHOW("bad address", syscall(SYS_uname, (void *)8));
    return 0;
}
