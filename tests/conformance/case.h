/* The conformance cases' common header: each case is a small C program that
 * prints what it observes, one `name=value` line at a time, so that the runner
 * (tests/conformance/runner.py) can compare its output under umlpy with its
 * output on the host's own kernel, line by line.
 *
 *   SHOW("open missing", open("/nope", O_RDONLY));
 *       prints "open missing=-1 ENOENT" (or "=3 OK"): the result and errno's name
 *   SHOWX("flags", value)  prints "flags=0x..."
 *   SAY("text %d", n)      prints a line of its own
 *
 * Results that depend on the machine (inode numbers, times, pids beyond "is it
 * the caller's") are not printed, or printed in a form both runs share, or the
 * case declares the line as differing, with the reason (see runner.py).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

static const char *errname(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

/* "label=result OK" or "label=-1 ERRNO"; returns the result. */
#define SHOW(label, expr) ({                                             \
    errno = 0;                                                           \
    long _r = (long)(expr);                                              \
    int _e = errno;                                                      \
    printf("%s=%ld %s\n", label, _r, _r < 0 ? errname(_e) : "OK");      \
    fflush(stdout);                                                      \
    _r; })
#define SHOWX(label, value) (printf("%s=%#lx\n", label, (unsigned long)(value)), fflush(stdout))
#define SAY(...) (printf(__VA_ARGS__), printf("\n"), fflush(stdout))

/* A child that takes uid and gid `uid` (real, effective and saved; 0: it keeps
 * the caller's ids) and then waits in pause(), to be looked at, signalled or
 * killed by the caller; returned once it has its ids. */
static __attribute__((unused)) pid_t idle_child(uid_t uid)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t c = fork();
    if (c == 0) {
        if (uid) {
            setresgid(uid, uid, uid);
            setresuid(uid, uid, uid);
        }
        write(p[1], "x", 1);
        for (;;)
            pause();
    }
    char x;
    read(p[0], &x, 1);
    close(p[0]);
    close(p[1]);
    return c;
}

/* Make (or truncate) file `path` holding `text`, mode 0644. */
static __attribute__((unused)) void put_file(const char *path, const char *text)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, text, strlen(text));
    close(fd);
}

/* Print a small file's size and first line, or the errno of its open. */
static __attribute__((unused)) void show_file(const char *path)
{
    char b[128] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        SAY("%s: %s", path, errname(errno));
        return;
    }
    ssize_t n = read(fd, b, sizeof b - 1);
    SAY("%s: n=%zd text=%s", path, n, strtok(b, "\n"));
    close(fd);
}

/* Print every inotify event waiting on non-blocking `in`, or "none (EAGAIN)". */
static __attribute__((unused)) void inotify_drain(int in, const char *when)
{
    char buf[4096] __attribute__((aligned(8)));
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) {
        SAY("%s: none (%s)", when, errname(errno));
        return;
    }
    for (char *p = buf; p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        SAY("%s: mask=%#x name=%s", when, e->mask, e->len ? e->name : "");
        p += sizeof *e + e->len;
    }
}
