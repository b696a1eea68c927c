/* family: files
 * open(O_RDONLY) of a file of the image, many times in a row, reads the file
 * as it is now: after a write through another descriptor, after a rename over
 * it, after chmod; each open gets the lowest free number, O_CLOEXEC and
 * O_NONBLOCK as asked, and /proc/self/fd names the file.  A signal handler
 * running (no SA_RESTART) while opens go on never makes one fail.  umlpy
 * serves repeated read-only opens of unchanging image files below its Python
 * guest kernel (csrc/answer.c), forgetting them on any change: this checks it
 * never opens what was there before a change.  (The native run shares the
 * image with umlpy's: it puts back what it changed.)
 */
#include "case.h"
#include <signal.h>
#include <sys/time.h>

static void show(const char *label, const char *path)
{
    char buf[256] = "";
    int n = 0;
    for (int i = 0; i < 30; i++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            SAY("%s: %s", label, errname(errno));
            return;
        }
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
    }
    buf[n > 0 ? n : 0] = 0;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
    SAY("%s: %d bytes, first line \"%s\"", label, n, buf);
}

static volatile long alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

int main(void)
{
    char saved[4096];
    int fd = open("/etc/hosts", O_RDONLY);
    ssize_t len = read(fd, saved, sizeof saved);
    close(fd);
    struct stat before;
    stat("/etc/hosts", &before);

    show("hosts", "/etc/hosts");
    fd = open("/etc/hosts", O_WRONLY | O_APPEND);
    SHOW("append", write(fd, "10.1.2.3 appended\n", 18));
    close(fd);
    fd = open("/etc/hosts", O_RDONLY);
    char big[8192];
    SAY("after append: %zd bytes", read(fd, big, sizeof big) - len);
    close(fd);
    put_file("/tmp/newhosts", "# replaced\n");
    show("tmp file", "/tmp/newhosts");
    fd = open("/tmp/newhosts", O_RDONLY);
    int out = open("/etc/hosts.new", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(out, "# replaced\n", 11);
    close(out);
    close(fd);
    show("hosts again", "/etc/hosts");
    SHOW("rename over", rename("/etc/hosts.new", "/etc/hosts"));
    show("hosts renamed over", "/etc/hosts");

    /* numbers and flags */
    show("os-release", "/etc/os-release");
    int a = open("/etc/os-release", O_RDONLY);
    int b = open("/etc/os-release", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    SAY("b is a+1: %d", b == a + 1);
    SAY("a cloexec=%d b cloexec=%d", fcntl(a, F_GETFD) & FD_CLOEXEC, fcntl(b, F_GETFD) & FD_CLOEXEC);
    SAY("b nonblock=%d", (fcntl(b, F_GETFL) & O_NONBLOCK) != 0);
    close(a);
    int c = open("/etc/os-release", O_RDONLY);
    SAY("c took a's number: %d", c == a);
    char link[256], want[64];
    snprintf(want, sizeof want, "/proc/self/fd/%d", c);
    ssize_t ln = readlink(want, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = 0;
    SAY("c names %s", link);
    struct stat fst;
    fstat(c, &fst);
    SAY("fstat size matches: %d", fst.st_size > 0);
    close(b);
    close(c);

    /* opens while a signal handler keeps running */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;                 /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
    long failures = 0;
    for (int i = 0; i < 20000; i++) {
        int f = open("/etc/os-release", O_RDONLY);
        if (f < 0) {
            failures++;
            continue;
        }
        char x;
        if (read(f, &x, 1) != 1)
            failures++;
        close(f);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    SAY("opens under signals: failures=%ld, signals came: %d", failures, alarms > 0);

    /* put the image back for the other run */
    fd = open("/etc/hosts", O_WRONLY | O_TRUNC);
    write(fd, saved, len);
    close(fd);
    chmod("/etc/hosts", before.st_mode & 07777);
    struct timespec ts[2] = {before.st_atim, before.st_mtim};
    utimensat(AT_FDCWD, "/etc/hosts", ts, 0);
    show("hosts restored", "/etc/hosts");
    return 0;
}
