/* Capabilities across execve under no_new_privs (commoncap.c
 * cap_bprm_creds_from_file): root gets the bounding set as permitted at exec,
 * but with no_new_privs nothing may be gained, so the new permitted set is cut
 * to the old one.  Root that dropped chown, or all of its capabilities (as
 * bwrap --cap-drop ALL does), stays without them after exec; root that kept
 * everything keeps everything.
 */
#include "case.h"
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/capability.h>

static struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
static struct __user_cap_data_struct d[2];

static void show(const char *l)
{
    syscall(SYS_capget, &h, d);
    SAY("%s: eff chown=%d kill=%d any=%d; prm chown=%d any=%d; nnp=%d", l,
        (d[0].effective >> CAP_CHOWN) & 1, (d[0].effective >> CAP_KILL) & 1,
        (d[0].effective | d[1].effective) != 0, (d[0].permitted >> CAP_CHOWN) & 1,
        (d[0].permitted | d[1].permitted) != 0, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

static void run(char **argv, const char *stage, int drop)
{
    pid_t c = fork();
    if (c == 0) {
        syscall(SYS_capget, &h, d);
        if (drop == 1) {
            d[0].effective &= ~(1u << CAP_CHOWN);
            d[0].permitted &= ~(1u << CAP_CHOWN);
        } else if (drop == 2) {
            memset(d, 0, sizeof d);
        }
        SHOW("capset", syscall(SYS_capset, &h, d));
        SHOW("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
        char *a[] = {argv[0], (char *)stage, 0};
        execv(argv[0], a);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        show(argv[1]);
        return 0;
    }
    run(argv, "after exec, all kept", 0);
    run(argv, "after exec, chown dropped", 1);
    run(argv, "after exec, all dropped", 2);
    return 0;
}
