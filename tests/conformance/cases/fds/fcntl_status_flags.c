/* family: fds
 * fcntl(2) F_GETFL shows the access mode and status flags; F_SETFL changes
 * only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and O_NOATIME, silently ignoring
 * the access mode and creation flags; the flags belong to the open file
 * description, so a dup sees them; O_APPEND makes every write go to the end.
 */
#include "case.h"

int main(void)
{
    int fd = open("/tmp/fl", O_CREAT | O_RDWR | O_TRUNC, 0644);
    SHOWX("getfl rdwr", fcntl(fd, F_GETFL) & ~0x8000);   /* O_LARGEFILE is an ABI detail */
    SHOW("setfl append|nonblock", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
    SHOWX("getfl", fcntl(fd, F_GETFL) & ~0x8000);
    SHOW("setfl rdonly|trunc|creat", fcntl(fd, F_SETFL, O_RDONLY | O_TRUNC | O_CREAT | O_APPEND));
    SHOWX("getfl kept mode", fcntl(fd, F_GETFL) & ~0x8000);
    int d = dup(fd);
    SHOWX("dup sees", fcntl(d, F_GETFL) & ~0x8000);
    write(fd, "abc", 3);
    lseek(fd, 0, SEEK_SET);
    write(fd, "de", 2);
    SHOW("append offset", lseek(fd, 0, SEEK_CUR));
    int r = open("/tmp/fl", O_RDONLY);
    SHOWX("rdonly", fcntl(r, F_GETFL) & ~0x8000);
    int w = open("/tmp/fl", O_WRONLY);
    SHOWX("wronly", fcntl(w, F_GETFL) & ~0x8000);
    SHOW("setfl closed", fcntl(999, F_SETFL, 0));
    unlink("/tmp/fl");
    return 0;
}
