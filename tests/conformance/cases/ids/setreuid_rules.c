/* setreuid(2), Linux's rules: an unprivileged process may set the real uid to
 * its real or effective uid, and the effective uid to its real, effective or
 * saved uid; the saved uid becomes the new effective uid whenever the real uid
 * is set, or the effective uid is set to something other than the old real uid;
 * -1 leaves an id alone.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

static void ids(const char *l)
{
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    SAY("%s: %u,%u,%u", l, r, e, s);
}

static void run(const char *l, uid_t r0, uid_t e0, uid_t s0, uid_t r, uid_t e)
{
    pid_t c = fork();
    if (c == 0) {
        setresuid(r0, e0, s0);
        char b[80];
        snprintf(b, sizeof b, "%s setreuid(%d,%d)", l, (int)r, (int)e);
        SHOW(b, setreuid(r, e));
        ids(l);
        _exit(0);
    }
    waitpid(c, 0, 0);
}

int main(void)
{
    run("swap", 1000, 2000, 3000, 2000, 1000);
    run("real to saved", 1000, 2000, 3000, 3000, -1);
    run("eff to saved", 1000, 2000, 3000, -1, 3000);
    run("eff to real", 1000, 2000, 3000, -1, 1000);
    run("eff to other", 1000, 2000, 3000, -1, 4000);
    run("real only", 1000, 2000, 3000, 2000, -1);
    run("nothing", 1000, 2000, 3000, -1, -1);
    run("eff same as real", 1000, 1000, 3000, -1, 1000);
    run("real to real", 1000, 2000, 3000, 1000, -1);
    run("root drops", 0, 0, 0, 1000, 2000);
    run("root eff only", 0, 0, 0, -1, 2000);
    run("root real only", 0, 0, 0, 1000, -1);
    run("saved root back", 1000, 1000, 0, -1, 0);
    return 0;
}
