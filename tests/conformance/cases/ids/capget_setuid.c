/* capget(2): root holds every capability in its effective and permitted sets;
 * setresuid to non-zero effective uid with a root saved uid clears the effective
 * set but keeps the permitted one; once no uid is 0 both are empty; a bad
 * version is EINVAL and the kernel writes its preferred version back; pid 0 is
 * the caller.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <linux/capability.h>

static void caps(const char *l)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    /* The full set depends on the kernel and on what the host's root was given,
     * so a few capabilities are named and the rest compared as a relation. */
    unsigned e = d[0].effective, p = d[0].permitted;
    SAY("%s: eff chown=%d setuid=%d sys_admin=%d any=%d; perm setuid=%d any=%d; eff==perm=%d inh=%#x", l,
        e & 1, (e >> 7) & 1, (e >> 21) & 1, (e | d[1].effective) != 0, (p >> 7) & 1, (p | d[1].permitted) != 0,
        e == p && d[1].effective == d[1].permitted, d[0].inheritable);
}

int main(void)
{
    caps("root");
    struct __user_cap_header_struct h = {0x12345678, 0};
    struct __user_cap_data_struct d[2];
    SHOW("bad version", syscall(SYS_capget, &h, d));
    SAY("version written=%#x", h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    SHOW("null data probes", syscall(SYS_capget, &h, 0));
    setresuid(1000, 1000, 0);
    caps("euid 1000 saved 0");
    setresuid(-1, 0, -1);
    caps("euid back to 0");
    setresuid(1000, 1000, 1000);
    caps("no root id");
    return 0;
}
