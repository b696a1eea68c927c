/* family: files
 * ETXTBSY: execve(2) of a file some process has open for writing fails with
 * ETXTBSY (and works once it is closed); while a program runs, opening its
 * file for writing, or truncate(2) of it, is ETXTBSY; opening it read-only
 * is fine, and once the program has exited it may be written again.
 */
#include "case.h"

int main(int argc, char **argv)
{
    if (argc > 1) {                  /* the copy, running: wait for the parent's word */
        char c;
        read(0, &c, 1);
        return 7;
    }
    int in = open("/proc/self/exe", O_RDONLY), out = open("/tmp/prog", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in);
    char *a[] = {"prog", "run", 0};
    pid_t c = fork();
    if (c == 0) {
        execv("/tmp/prog", a);
        SAY("exec while open for writing=-1 %s", errname(errno));
        _exit(1);
    }
    int st;
    waitpid(c, &st, 0);
    SHOW("close writer", close(out));
    int p[2];
    pipe(p);
    c = fork();
    if (c == 0) {
        dup2(p[0], 0);
        close(p[1]);
        execv("/tmp/prog", a);
        _exit(99);
    }
    close(p[0]);
    usleep(200000);
    SHOW("open running for writing", open("/tmp/prog", O_WRONLY));
    SHOW("open running rdwr", open("/tmp/prog", O_RDWR));
    SHOW("truncate running", truncate("/tmp/prog", 0));
    int r = open("/tmp/prog", O_RDONLY);
    SAY("open running read-only=%s", r >= 0 ? "OK" : errname(errno));
    close(r);
    write(p[1], "x", 1);
    waitpid(c, &st, 0);
    SAY("program exit=%d", WEXITSTATUS(st));
    r = open("/tmp/prog", O_WRONLY);
    SAY("open after exit=%s", r >= 0 ? "OK" : errname(errno));
    close(r);
    SHOW("unlink", unlink("/tmp/prog"));
    return 0;
}
