/* family: misc
 * seccomp(2) filters of a process's own: installing one needs no_new_privs or
 * CAP_SYS_ADMIN (EACCES otherwise, checked after the filter's length: 0
 * instructions is EINVAL); once one is in, PR_GET_SECCOMP and /proc/self/status
 * say mode 2, the filter's SECCOMP_RET_ERRNO answers the calls it names (one
 * the kernel serves itself, one it does not), other calls are unaffected, and
 * a child made after it inherits the filter and the mode.
 * root: the unprivileged half needs setuid to another user (a user namespace maps one id only)
 */
#include "case.h"
#include <stddef.h>
#include <sys/prctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static void status(const char *who)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "Seccomp:", 8))
            printf("%s %s", who, line);
    if (f)
        fclose(f);
    fflush(stdout);
}

int main(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 42),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sched_yield, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 43),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof code / sizeof code[0], code };
    struct sock_fprog empty = { 0, code };
    status("start");
    pid_t c = fork();
    if (c == 0) {
        /* not root any more: no CAP_SYS_ADMIN, and no no_new_privs yet */
        SHOW("setuid", setuid(65534));
        SHOW("empty filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &empty));
        SHOW("no nnp, no cap", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
        SHOW("bad flags", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0x4000, &prog));
        SHOW("bad pointer", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8));
        SHOW("nnp", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
        SHOW("install", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
        SHOW("get_seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
        status("filtered");
        errno = 0;
        SHOW("getppid", getppid());
        SHOW("sched_yield", sched_yield());
        SHOW("getuid", getuid());
        pid_t g = fork();
        if (g == 0) {
            SHOW("grandchild get_seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
            SHOW("grandchild getppid", getppid());
            _exit(0);
        }
        waitpid(g, NULL, 0);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("child exit=%d", WEXITSTATUS(st));
    /* root: CAP_SYS_ADMIN is enough, without no_new_privs */
    c = fork();
    if (c == 0) {
        SHOW("root install", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0));
        SHOW("root get_no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        SHOW("root sched_yield", sched_yield());
        _exit(0);
    }
    waitpid(c, &st, 0);
    SHOW("parent get_seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    return 0;
}
