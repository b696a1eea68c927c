/* family: ids
 * getuid, geteuid, getgid, getegid and getppid report the ids as they are now:
 * after setresuid/setresgid in this thread, after glibc's setuid in another
 * thread (every thread of the process changes), after an exec of a set-id
 * program's effect (here: exec of self after setuid), and after the parent
 * died (an orphan's parent is init, pid 1 of the PID namespace).  Asked many
 * times in a row, as a program polling getppid() does: umlpy answers these in
 * C once its Python handler has (csrc/answer.c), and this checks it never
 * gives an answer its guest kernel would not.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <pthread.h>

static void ids(const char *when)
{
    uid_t u = 0, eu = 0;
    gid_t g = 0, eg = 0;
    for (int i = 0; i < 50; i++) {           /* many times: the later ones are kept answers */
        u = syscall(SYS_getuid); eu = syscall(SYS_geteuid);
        g = syscall(SYS_getgid); eg = syscall(SYS_getegid);
    }
    SAY("%s: uid=%u euid=%u gid=%u egid=%u", when, u, eu, g, eg);
}

static volatile int go, done_ids;
static uid_t seen_uid;

static void *poller(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++)
        syscall(SYS_getuid);
    while (!go)
        ;
    seen_uid = syscall(SYS_getuid);
    done_ids = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {                           /* the exec'd self: ids carried over */
        ids("after exec");
        return 0;
    }
    ids("start");
    SHOW("setresgid 30,40,0", setresgid(30, 40, 0));
    ids("after setresgid");
    SHOW("setresuid 10,20,0", setresuid(10, 20, 0));
    ids("after setresuid");
    SHOW("setresuid 0,0,0", setresuid(0, 0, 0));
    SHOW("setresgid 0,0,0", setresgid(0, 0, 0));
    ids("back to root");

    pthread_t t;
    pthread_create(&t, NULL, poller, NULL);
    usleep(20000);
    SHOW("setuid 7 (all threads)", setuid(7));
    go = 1;
    pthread_join(t, NULL);
    SAY("the other thread's getuid: %u", seen_uid);
    ids("after setuid");

    /* getppid: a child polls it until its parent (a middle process) is gone */
    int p[2];
    pipe(p);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t c = fork();
        if (c == 0) {
            close(p[0]);
            pid_t first = 0, now = 0;
            for (int i = 0; i < 50; i++)
                first = syscall(SYS_getppid);
            write(p[1], "r", 1);              /* polled: let the middle one go */
            for (long i = 0; i < 100000000 && (now = syscall(SYS_getppid)) == first; i++)
                if (i % 100 == 99)
                    usleep(100);
            char line[64];
            int n = snprintf(line, sizeof line, "%d->%d\n", first == getpid() - 1, now);
            write(p[1], line, n);
            _exit(0);
        }
        char b;
        close(p[1]);
        read(p[0], &b, 1);
        _exit(0);                             /* orphan the poller */
    }
    close(p[1]);
    waitpid(middle, NULL, 0);
    char buf[64] = "";
    int n, got = 0;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    char *nl = strchr(buf + 1, '\n');
    if (nl)
        *nl = 0;
    SAY("orphan's getppid, was its parent's (1=yes) -> now: %s", buf[0] == 'r' ? buf + 1 : buf);
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "again", (char *)NULL);
    SAY("exec failed: %s", strerror(errno));
    return 1;
}
