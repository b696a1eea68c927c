/* family: misc
 * fanotify_mark on a descriptor that is not an fanotify group fails: EBADF
 * for a closed descriptor, EINVAL for any open one (a pipe, a file).
 */
#include "case.h"
#include <sys/fanotify.h>

int main(void)
{
    int p[2];
    pipe(p);
    SHOW("closed fd", syscall(SYS_fanotify_mark, 999, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, "/"));
    SHOW("a pipe", syscall(SYS_fanotify_mark, p[0], FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, "/"));
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    SHOW("a directory", syscall(SYS_fanotify_mark, fd, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, "/"));
    return 0;
}
