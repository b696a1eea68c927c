/* prctl's capability options (security/commoncap.c cap_task_prctl):
 * PR_CAPBSET_READ of a capability is 1 or 0, of an unknown one EINVAL;
 * PR_CAPBSET_DROP needs CAP_SETPCAP (EPERM, checked first) and a known capability
 * (EINVAL), and cannot be undone.  PR_CAP_AMBIENT: IS_SET, RAISE (the capability
 * must be permitted and inheritable, and SECBIT_NO_CAP_AMBIENT_RAISE unset:
 * EPERM), LOWER and CLEAR_ALL (which takes no further arguments: EINVAL); unused
 * arguments must be 0 and the capability known (EINVAL).  Dropping a capability
 * from the permitted or inheritable set lowers it from the ambient set.
 * /proc/self/status shows CapInh and CapAmb.
 */
#include "case.h"
#include <sys/prctl.h>
#include <linux/capability.h>

static void status(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "CapInh", 6) || !strncmp(line, "CapAmb", 6))
            printf("%s", line);
    fclose(f);
    fflush(stdout);
}

int main(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    SHOW("bset read kill", prctl(PR_CAPBSET_READ, CAP_KILL));
    SHOW("bset read 99", prctl(PR_CAPBSET_READ, 99));
    SHOW("bset read -1", prctl(PR_CAPBSET_READ, -1L));
    SHOW("bset drop 99", prctl(PR_CAPBSET_DROP, 99));
    SHOW("bset drop net_raw", prctl(PR_CAPBSET_DROP, CAP_NET_RAW));
    SHOW("bset read net_raw", prctl(PR_CAPBSET_READ, CAP_NET_RAW));
    SHOW("bset drop it again", prctl(PR_CAPBSET_DROP, CAP_NET_RAW));
    SHOW("ambient is_set kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    SHOW("ambient raise kill, not inheritable", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    syscall(SYS_capget, &h, d);
    d[0].inheritable = (1u << CAP_KILL) | (1u << CAP_CHOWN);
    SHOW("capset inheritable kill, chown", syscall(SYS_capset, &h, d));
    SHOW("ambient raise kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    SHOW("ambient raise chown", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
    SHOW("ambient is_set kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    status();
    SHOW("ambient is_set 99", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 99, 0, 0));
    SHOW("ambient is_set, arg4 set", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 1, 0));
    SHOW("ambient op 9", prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0));
    SHOW("ambient lower kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 0, 0));
    SHOW("ambient is_set kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    SHOW("ambient raise kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    syscall(SYS_capget, &h, d);
    d[0].inheritable = 1u << CAP_KILL;
    SHOW("capset: chown no longer inheritable", syscall(SYS_capset, &h, d));
    SHOW("ambient is_set chown", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
    SHOW("ambient is_set kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    SHOW("clear_all with an argument", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
    SHOW("clear_all", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    SHOW("ambient is_set kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    SHOW("securebits no_cap_ambient_raise", prctl(PR_SET_SECUREBITS, 1 << 6));
    SHOW("ambient raise kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_SETPCAP);
    syscall(SYS_capset, &h, d);
    SHOW("bset drop without setpcap", prctl(PR_CAPBSET_DROP, CAP_KILL));
    SHOW("bset drop 99 without setpcap", prctl(PR_CAPBSET_DROP, 99));
    status();
    return 0;
}
