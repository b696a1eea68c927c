/* family: process
 * readlink("/proc/self/exe") and prctl(PR_GET_NAME) of a program just exec'd,
 * many times in a row, report what is true now: the program's name after the
 * exec, a thread name set with PR_SET_NAME or by writing /proc/self/comm,
 * readlinkat(AT_FDCWD) as readlink, a buffer shorter than the path (cut, no
 * NUL), and /proc with something mounted over it.  umlpy answers both calls
 * in C right after an exec (csrc/answer.c, primed by kernel/answers.py) and
 * must drop the answer at each of these changes.
 * root: mount(2)
 */
#include "case.h"
#include <sys/mount.h>
#include <sys/prctl.h>

static void names(const char *when)
{
    char exe[256] = "", name[17] = "";
    long n = 0;
    for (int i = 0; i < 30; i++) {           /* the later ones are kept answers */
        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        prctl(PR_GET_NAME, name);
    }
    if (n < 0) {
        SAY("%s: exe %s, name %s", when, errname(errno), name);
        return;
    }
    exe[n] = 0;
    const char *base = strrchr(exe, '/');
    SAY("%s: exe .../%s, name %s", when, base ? base + 1 : exe, name);
}

static void copy_self(const char *to)
{
    char buf[65536];
    int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in);
    close(out);
}

int main(int argc, char **argv)
{
    if (argc > 1) {                           /* exec'd under another name */
        names("after exec");
        char cut[8] = "";
        for (int i = 0; i < 30; i++)
            if (readlink("/proc/self/exe", cut, 4) < 0) break;
        SAY("cut to 4: %.4s", cut);
        char exe[256] = "";
        long n = 0;
        for (int i = 0; i < 30; i++)
            n = readlinkat(AT_FDCWD, "/proc/self/exe", exe, sizeof exe - 1);
        SAY("readlinkat: %s", n > 0 && strstr(exe, "renamed-prog") ? "renamed-prog" : errname(errno));
        SHOW("PR_SET_NAME", prctl(PR_SET_NAME, "by-prctl"));
        names("after PR_SET_NAME");
        int fd = open("/proc/self/comm", O_WRONLY);
        SHOW("write comm", write(fd, "by-proc", 7));
        close(fd);
        names("after /proc/self/comm");
        SHOW("mount tmpfs on /proc", mount("none", "/proc", "tmpfs", 0, NULL));
        names("/proc covered");
        SHOW("mount proc on /proc", mount("proc", "/proc", "proc", 0, NULL));
        names("/proc back");
        return 0;
    }
    names("start");
    copy_self("/tmp/renamed-prog");
    pid_t c = fork();
    if (c == 0) {
        execl("/tmp/renamed-prog", "renamed-prog", "child", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("child status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    unlink("/tmp/renamed-prog");
    return 0;
}
