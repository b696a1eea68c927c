/* family: fds
 * inotify(7): a watch on a directory reports what happens to its entries,
 * in order, as the calls return: creating and writing a file is IN_CREATE,
 * IN_OPEN, IN_MODIFY, IN_CLOSE_WRITE (the last one by the time close()
 * returns); opening and closing it read-only is IN_OPEN, IN_CLOSE_NOWRITE;
 * unlinking it is IN_DELETE.
 */
#include "case.h"
#include <sys/inotify.h>

int main(void)
{
    mkdir("/tmp/w", 0755);
    int in = inotify_init1(IN_NONBLOCK);
    inotify_add_watch(in, "/tmp/w", IN_ALL_EVENTS);
    int fd = open("/tmp/w/f", O_CREAT | O_WRONLY, 0644);
    write(fd, "x", 1);
    close(fd);
    inotify_drain(in, "create+write+close");
    fd = open("/tmp/w/f", O_RDONLY);
    close(fd);
    inotify_drain(in, "open+close read-only");
    unlink("/tmp/w/f");
    inotify_drain(in, "unlink");
    return 0;
}
