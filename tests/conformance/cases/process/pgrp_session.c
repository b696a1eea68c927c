/* Process groups and sessions: setpgid(2) with a negative pgid is EINVAL, with an
 * unknown pid ESRCH, into a group of another session EPERM, and a process may
 * not change a child's group after the child has exec'd (EACCES) -- not tested
 * here; setsid(2) by a group leader is EPERM, by anyone else makes a new session
 * and group with the caller's pid; getsid/getpgid of an unknown pid are ESRCH;
 * a session leader may not setpgid itself (EPERM).
 */
#include "case.h"

int main(void)
{
    SHOW("setpgid negative", setpgid(0, -1));
    SHOW("setpgid unknown pid", setpgid(99999, 0));
    SHOW("getpgid unknown", getpgid(99999));
    SHOW("getsid unknown", getsid(99999));
    pid_t l = fork();
    if (l == 0) {
        setpgid(0, 0);                       /* a group leader ... */
        SHOW("setsid as group leader", setsid());
        _exit(0);
    }
    waitpid(l, 0, 0);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        pid_t s = setsid();
        int ok = s == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
        pid_t s2 = setsid();
        int e = errno;
        int r3 = setpgid(0, 0);              /* a session leader may not move */
        char b[3] = {ok, s2 == -1 && e == EPERM, r3 == -1 && errno == EPERM};
        write(p[1], b, 3);
        pause();
        _exit(0);
    }
    char b[3];
    read(p[0], b, 3);
    SAY("child setsid: new session=%d second EPERM=%d setpgid EPERM=%d", b[0], b[1], b[2]);
    SAY("child's sid from parent same=%d", getsid(c) == c);
    SHOW("setpgid child in other session", setpgid(c, c));
    pid_t d = fork();
    if (d == 0) { pause(); _exit(0); }
    SHOW("setpgid into other session's group", setpgid(d, c));
    SHOW("setpgid child own group", setpgid(d, d));
    SAY("child pgid now its pid=%d", getpgid(d) == d);
    SHOW("setpgid back to ours", setpgid(d, getpgrp()));
    kill(c, SIGKILL); kill(d, SIGKILL);
    while (wait(0) > 0);
    return 0;
}
