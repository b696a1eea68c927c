/* Credentials are inherited by fork(2) and kept across execve(2) (no set-id
 * bits here); the supplementary groups too.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

static void ids(const char *l)
{
    uid_t r, e, s;
    gid_t gr, ge, gs, g[4];
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    int n = getgroups(4, g);
    SAY("%s: uid=%u,%u,%u gid=%u,%u,%u groups=%d first=%u", l, r, e, s, gr, ge, gs, n, n > 0 ? g[0] : 0);
}

int main(int argc, char **argv)
{
    if (argc > 1) { ids("after exec"); return 0; }
    gid_t g[1] = {77};
    setgroups(1, g);
    setresgid(11, 12, 13);
    setresuid(21, 22, 0);
    pid_t c = fork();
    if (c == 0) {
        ids("child");
        char *a[] = {argv[0], "x", 0};
        execv(argv[0], a);
        _exit(1);
    }
    waitpid(c, 0, 0);
    return 0;
}
