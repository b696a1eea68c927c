/* Capabilities across set*uid (security/commoncap.c cap_task_fix_setuid): when no
 * uid stays 0 the permitted and effective sets are emptied (unless
 * SECBIT_KEEP_CAPS, PR_SET_KEEPCAPS, keeps the permitted set) and so is the
 * ambient set; an effective uid leaving 0 empties the effective set, one coming
 * back to 0 refills it from the permitted set.  setfsuid away from 0 drops the
 * file-system capabilities (CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER,
 * FSETID, MKNOD) from the effective set and setfsuid(0) brings them back; other
 * capabilities (KILL) stay.  setgid changes no capability.  A change of
 * effective or file-system ids makes the process non-dumpable.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>

static struct __user_cap_data_struct d[2];

static void caps(const char *l)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    syscall(SYS_capget, &h, d);
    unsigned e = d[0].effective, p = d[0].permitted;
    SAY("%s: eff chown=%d dac=%d fowner=%d mknod=%d kill=%d setuid=%d any=%d; prm setuid=%d any=%d; eff==prm=%d; dumpable=%d",
        l, e & 1, (e >> CAP_DAC_OVERRIDE) & 1, (e >> CAP_FOWNER) & 1, (e >> CAP_MKNOD) & 1,
        (e >> CAP_KILL) & 1, (e >> CAP_SETUID) & 1, (e | d[1].effective) != 0, (p >> CAP_SETUID) & 1,
        (p | d[1].permitted) != 0, e == p && d[1].effective == d[1].permitted, prctl(PR_GET_DUMPABLE));
}

static void run(const char *l, void (*f)(void))
{
    pid_t c = fork();
    if (c == 0) {
        SAY("-- %s", l);
        f();
        _exit(0);
    }
    waitpid(c, 0, 0);
}

static void plain(void)
{
    caps("root");
    SHOW("setgid(1000)", setgid(1000));
    caps("after setgid");
    SHOW("setuid(1000)", setuid(1000));
    caps("after setuid");
    SHOW("setuid(0) again", setuid(0));
    SHOW("setreuid(0, 0)", setreuid(0, 0));
}

static void keep(void)
{
    SHOW("PR_SET_KEEPCAPS", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    SHOW("setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
    caps("kept");
    /* the permitted set is kept: raise an effective capability from it */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    d[0].effective = 1u << CAP_SETUID;
    d[1].effective = 0;
    SHOW("capset effective setuid", syscall(SYS_capset, &h, d));
    caps("raised");
    SHOW("setuid(0) with CAP_SETUID", setuid(0));
    caps("root again");
}

static void euid(void)
{
    SHOW("seteuid(1000)", seteuid(1000));
    caps("euid 1000");
    SHOW("setfsuid to 0 without caps", setfsuid(0));
    SHOW("seteuid(0)", seteuid(0));
    caps("euid 0");
}

static void fsuid(void)
{
    SHOW("setfsuid(1000) returns the old", setfsuid(1000));
    caps("fsuid 1000");
    SHOW("setfsuid(0) returns the old", setfsuid(0));
    caps("fsuid 0");
}

static void ambient(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    syscall(SYS_capget, &h, d);
    d[0].inheritable = 1u << CAP_KILL;
    SHOW("capset inheritable kill", syscall(SYS_capset, &h, d));
    SHOW("raise ambient kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    SHOW("PR_SET_KEEPCAPS", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    SHOW("seteuid(1000)", seteuid(1000));
    SHOW("ambient kept while a uid is 0", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    SHOW("setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
    SHOW("ambient gone once none is", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
}

int main(void)
{
    run("setuid", plain);
    run("keepcaps", keep);
    run("effective uid", euid);
    run("fsuid", fsuid);
    run("ambient", ambient);
    return 0;
}
