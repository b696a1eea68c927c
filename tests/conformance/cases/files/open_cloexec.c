/* family: files
 * O_CLOEXEC and the fd flags: open with O_CLOEXEC sets FD_CLOEXEC, without it
 * not; dup() never copies it, dup3(O_CLOEXEC) and F_DUPFD_CLOEXEC set it;
 * F_GETFL shows the access mode and status flags, never O_CLOEXEC; O_CREAT,
 * O_EXCL and O_TRUNC are not kept; dup3 with the same fd twice is EINVAL.
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/open_cloexec", 0755);
    int a = open("/tmp/open_cloexec/f", O_CREAT | O_RDWR | O_CLOEXEC | O_TRUNC | O_EXCL, 0644);
    int b = open("/tmp/open_cloexec/f", O_WRONLY | O_APPEND | O_NONBLOCK);
    SHOW("getfd cloexec", fcntl(a, F_GETFD));
    SHOW("getfd plain", fcntl(b, F_GETFD));
    SHOWX("getfl a", fcntl(a, F_GETFL) & ~0100000);          /* O_LARGEFILE aside */
    SHOWX("getfl b", fcntl(b, F_GETFL) & ~0100000);
    int c = dup(a);
    SHOW("dup getfd", fcntl(c, F_GETFD));
    int d = dup3(b, 20, O_CLOEXEC);
    SHOW("dup3 fd", d);
    SHOW("dup3 getfd", fcntl(d, F_GETFD));
    SHOW("dup3 same", dup3(b, b, 0));
    SHOW("dup3 bad flag", dup3(b, 21, O_APPEND));
    int e = fcntl(b, F_DUPFD_CLOEXEC, 30);
    SHOW("dupfd_cloexec fd", e);
    SHOW("dupfd_cloexec getfd", fcntl(e, F_GETFD));
    SHOW("setfd 0", fcntl(a, F_SETFD, 0));
    SHOW("getfd after", fcntl(a, F_GETFD));
    SHOW("rdonly cloexec getfd", fcntl(open("/tmp/open_cloexec/f", O_RDONLY | O_CLOEXEC), F_GETFD));
    return 0;
}
