/* family: process
 * RLIMIT_CORE through getrlimit, setrlimit and prlimit: a value set reads
 * back; a soft limit above the hard one is EINVAL; fork inherits it and execve
 * keeps it; an unknown resource is EINVAL; as uid 1000 (no CAP_SYS_RESOURCE)
 * raising the hard limit is EPERM, lowering it and moving the soft limit under
 * it are allowed, and another user's process is EPERM.  A process killed by
 * SIGSEGV with a soft RLIMIT_CORE of 0 says WCOREDUMP=0 and leaves no core file.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

static void show(const char *label, int resource)
{
    struct rlimit r;
    if (getrlimit(resource, &r)) { SAY("%s=-1 %s", label, errname(errno)); return; }
    SAY("%s=%lld,%lld", label, (long long)r.rlim_cur, (long long)r.rlim_max);
}

int main(int argc, char **argv)
{
    struct rlimit r, o;
    if (argc > 1) { show("after exec", RLIMIT_CORE); return 0; }
    mkdir("/tmp/rlimit_core", 0777);
    chdir("/tmp/rlimit_core");
    r.rlim_cur = 8192; r.rlim_max = 1 << 20;
    SHOW("set", setrlimit(RLIMIT_CORE, &r));
    show("get", RLIMIT_CORE);
    SHOW("prlimit old", prlimit(0, RLIMIT_CORE, NULL, &o));
    SAY("old=%lld,%lld", (long long)o.rlim_cur, (long long)o.rlim_max);
    r.rlim_cur = 1 << 21;
    SHOW("soft above hard", setrlimit(RLIMIT_CORE, &r));
    SHOW("unknown resource", syscall(SYS_prlimit64, 0, 99, NULL, &o));
    SHOW("bad pointer", setrlimit(RLIMIT_CORE, (void *)8));
    pid_t p = fork();
    if (p == 0) { show("child", RLIMIT_CORE); execl("/proc/self/exe", "x", "exec", NULL); _exit(1); }
    waitpid(p, NULL, 0);
    p = fork();
    if (p == 0) {
        r.rlim_cur = 0;                  /* only the soft limit: the hard one stays */
        setrlimit(RLIMIT_CORE, &r);
        *(volatile int *)0 = 1;
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    SAY("signaled=%d sig=%d coredump=%d", WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
    SHOW("core file", access("core", F_OK));
    pid_t other = fork();
    if (other == 0) { pause(); _exit(0); }
    SHOW("setuid 1000", setresuid(1000, 1000, 1000));
    r.rlim_cur = 4096; r.rlim_max = 1 << 21;
    SHOW("user raises hard", setrlimit(RLIMIT_CORE, &r));
    r.rlim_max = 1 << 19;
    SHOW("user lowers hard", setrlimit(RLIMIT_CORE, &r));
    r.rlim_cur = 1 << 19;
    SHOW("user raises soft", setrlimit(RLIMIT_CORE, &r));
    show("user get", RLIMIT_CORE);
    SHOW("other user's", prlimit(other, RLIMIT_CORE, NULL, &o));
    kill(other, SIGKILL);
    return 0;
}
