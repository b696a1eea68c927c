/* Capabilities across execve of a file without file capabilities
 * (security/commoncap.c cap_bprm_creds_from_file): if the real or effective uid is
 * 0, the new permitted set is the bounding set plus the inheritable set, and the
 * effective set is the permitted one if the effective uid is 0, else the ambient
 * set; anyone else keeps only the ambient set, as permitted and effective.  The
 * inheritable, bounding and ambient sets are kept; SECBIT_KEEP_CAPS is cleared.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <sys/prctl.h>
#include <linux/capability.h>

static struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
static struct __user_cap_data_struct d[2];

#define B(set, c) (((set) >> (c)) & 1)
static void show(const char *l)
{
    syscall(SYS_capget, &h, d);
    unsigned e = d[0].effective, p = d[0].permitted;
    SAY("%s: eff kill=%d chown=%d net_raw=%d any=%d; prm kill=%d chown=%d net_raw=%d any=%d; inh=%#x; "
        "amb kill=%d; bnd kill=%d chown=%d; keepcaps=%d", l, B(e, CAP_KILL), B(e, CAP_CHOWN), B(e, CAP_NET_RAW),
        (e | d[1].effective) != 0, B(p, CAP_KILL), B(p, CAP_CHOWN), B(p, CAP_NET_RAW), (p | d[1].permitted) != 0,
        d[0].inheritable, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0),
        prctl(PR_CAPBSET_READ, CAP_KILL), prctl(PR_CAPBSET_READ, CAP_CHOWN), prctl(PR_GET_KEEPCAPS));
}

static void run(char **argv, const char *stage, void (*prep)(void))
{
    pid_t c = fork();
    if (c == 0) {
        prep();
        char *a[] = {argv[0], (char *)stage, 0};
        execv(argv[0], a);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
}

static void root_dropped(void)
{
    /* effective and permitted drop chown; exec as root gives it back from the bounding set */
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_CHOWN);
    d[0].permitted &= ~(1u << CAP_CHOWN);
    syscall(SYS_capset, &h, d);
    show("root before exec, chown dropped");
    prctl(PR_SET_KEEPCAPS, 1);
}

static void root_bounded(void)
{
    prctl(PR_CAPBSET_DROP, CAP_CHOWN);
    show("root before exec, chown out of the bounding set");
}

static void user_ambient(void)
{
    prctl(PR_SET_KEEPCAPS, 1);
    setresuid(1000, 1000, 1000);
    syscall(SYS_capget, &h, d);
    d[0].inheritable = (1u << CAP_KILL) | (1u << CAP_NET_RAW);
    syscall(SYS_capset, &h, d);
    SHOW("raise ambient kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    show("uid 1000 before exec");
}

static void user_plain(void)
{
    prctl(PR_SET_KEEPCAPS, 1);
    setresuid(1000, 1000, 1000);
    show("uid 1000 with kept caps before exec");
}

static void real_root(void)
{
    setresuid(0, 1000, 1000);
    show("ruid 0, euid 1000 before exec");
}

static void eff_root(void)
{
    setresuid(1000, 0, 0);
    show("ruid 1000, euid 0 before exec");
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        show(argv[1]);
        return 0;
    }
    run(argv, "root after exec", root_dropped);
    run(argv, "root after exec", root_bounded);
    run(argv, "uid 1000 after exec", user_ambient);
    run(argv, "uid 1000 after exec", user_plain);
    run(argv, "ruid 0, euid 1000 after exec", real_root);
    run(argv, "ruid 1000, euid 0 after exec", eff_root);
    return 0;
}
