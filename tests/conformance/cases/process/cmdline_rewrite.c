/* family: process
 * /proc/PID/cmdline is read from the process's memory (the argument area), so a
 * program that rewrites its argv strings in place (setproctitle, as servers do
 * to name their workers) shows the new text there, to itself and to ps; a
 * child forked after the rewrite shows it too.
 */
#include "case.h"

static void show(const char *who, pid_t pid)
{
    char p[64], buf[256];
    snprintf(p, sizeof p, "/proc/%d/cmdline", pid);
    int fd = open(p, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    for (ssize_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = '|';
    buf[n > 0 ? n : 0] = 0;
    SAY("%s: %s", who, buf);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        char *a[] = {"cmdline_rewrite", "first-argument", "second", 0};
        execv("/proc/self/exe", a);
        return 1;
    }
    show("before", getpid());
    size_t room = strlen(argv[0]);
    memset(argv[0], 0, room);
    memcpy(argv[0], "worker: idle", room < 12 ? room : 12);   /* within argv[0]'s own bytes */
    show("after", getpid());
    strcpy(argv[1], "changed");
    show("argv1", getpid());
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    usleep(100000);
    show("child", c);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    return 0;
}
