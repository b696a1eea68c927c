/* family: fds
 * /proc/self/fd/N is a symlink naming what fd N is: a file's path (with
 * " (deleted)" once unlinked), "pipe:[INODE]", "socket:[INODE]",
 * "anon_inode:[eventfd]" and the like; /proc/self/fdinfo/N gives pos and
 * flags (octal) of the open file; a closed fd has no entry (ENOENT).
 */
#include "case.h"
#include <sys/eventfd.h>
#include <sys/epoll.h>

static void link_of(const char *what, int fd)
{
    char p[64], t[256] = {0};
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, t, sizeof t - 1);
    if (n < 0) {
        SAY("%s: %s", what, errname(errno));
        return;
    }
    char *br = strchr(t, '[');
    if (br && strncmp(t, "anon_inode", 10) != 0)
        strcpy(br + 1, "INODE]");
    SAY("%s: %s", what, t);
}

int main(void)
{
    int f = open("/etc/hostname", O_RDONLY);
    link_of("file", f);
    int n = open("/dev/null", O_WRONLY);
    link_of("dev", n);
    int p[2];
    pipe(p);
    link_of("pipe", p[0]);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    link_of("socket", s);
    link_of("eventfd", eventfd(0, 0));
    link_of("epoll", epoll_create1(0));
    int d = open("/tmp/gone", O_CREAT | O_RDWR, 0600);
    unlink("/tmp/gone");
    link_of("deleted", d);
    link_of("closed", 99);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    link_of("dir", dir);
    lseek(f, 3, SEEK_SET);
    char path[64], buf[256] = {0};
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", f);
    int i = open(path, O_RDONLY);
    read(i, buf, sizeof buf - 1);
    SAY("fdinfo pos line=%.6s", strstr(buf, "pos:") ? strstr(buf, "pos:") : "none");
    char *fl = strstr(buf, "flags:");
    SAY("fdinfo has flags=%d", fl != NULL);
    return 0;
}
