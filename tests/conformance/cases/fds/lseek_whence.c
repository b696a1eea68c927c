/* family: fds
 * lseek(2): an unknown whence is EINVAL, a resulting negative offset is
 * EINVAL, a pipe or socket is ESPIPE; SEEK_END counts from the size; seeking
 * past the end is allowed (a later write leaves a hole that reads as zeros);
 * SEEK_DATA past the end is ENXIO.
 */
#include "case.h"

int main(void)
{
    int fd = open("/tmp/seek", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "0123456789", 10);
    SHOW("seek_end", lseek(fd, 0, SEEK_END));
    SHOW("seek_end -3", lseek(fd, -3, SEEK_END));
    SHOW("seek_cur +1", lseek(fd, 1, SEEK_CUR));
    SHOW("bad whence", lseek(fd, 0, 5));
    SHOW("negative", lseek(fd, -1, SEEK_SET));
    SHOW("negative cur", lseek(fd, -100, SEEK_CUR));
    SHOW("offset kept", lseek(fd, 0, SEEK_CUR));
    SHOW("past end", lseek(fd, 20, SEEK_SET));
    SHOW("write", write(fd, "x", 1));
    char b[21];
    SHOW("pread hole", pread(fd, b, 21, 0));
    SAY("hole byte=%d last=%c", b[15], b[20]);
    SHOW("seek_data 0", lseek(fd, 0, SEEK_DATA));
    SHOW("seek_data past end", lseek(fd, 30, SEEK_DATA));
    SHOW("seek_hole past end", lseek(fd, 30, SEEK_HOLE));
    int p[2];
    pipe(p);
    SHOW("pipe", lseek(p[0], 0, SEEK_SET));
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    SHOW("socket", lseek(sv[0], 0, SEEK_CUR));
    unlink("/tmp/seek");
    return 0;
}
