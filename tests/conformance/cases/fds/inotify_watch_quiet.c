/* family: fds
 * inotify(7): adding a watch, on a directory or on a file in it, and stat()
 * cause no event; inotify_add_watch checks its mask before anything else (no
 * event bit is EINVAL, IN_MASK_ADD with IN_MASK_CREATE is EINVAL, even on a
 * bad fd), then the fd (EBADF; not an inotify fd: EINVAL), then the path
 * (ENOENT; IN_ONLYDIR on a file: ENOTDIR); IN_MASK_CREATE on a watched
 * object is EEXIST; watching one object twice gives the same wd;
 * inotify_rm_watch of an unknown wd is EINVAL, and removing a watch queues
 * only IN_IGNORED.
 */
#include "case.h"
#include <sys/inotify.h>

int main(void)
{
    mkdir("/tmp/q", 0755);
    close(open("/tmp/q/f", O_CREAT | O_WRONLY, 0644));
    int in = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(in, "/tmp/q", IN_ALL_EVENTS);
    SAY("wd positive=%d", wd > 0);
    inotify_drain(in, "add_watch on dir");
    struct stat st;
    stat("/tmp/q/f", &st);
    int wf = inotify_add_watch(in, "/tmp/q/f", IN_ALL_EVENTS);
    SAY("file wd differs=%d", wf > 0 && wf != wd);
    inotify_drain(in, "stat+add_watch on file");
    SAY("same object same wd=%d", inotify_add_watch(in, "/tmp/q/f", IN_OPEN) == wf);
    inotify_drain(in, "add_watch again");
    SHOW("mask_create on watched", inotify_add_watch(in, "/tmp/q/f", IN_OPEN | IN_MASK_CREATE));
    SHOW("zero mask", inotify_add_watch(in, "/tmp/q", 0));
    SHOW("zero mask, bad fd", inotify_add_watch(99, "/tmp/q", 0));
    SHOW("mask_add|mask_create", inotify_add_watch(in, "/tmp/q", IN_OPEN | IN_MASK_ADD | IN_MASK_CREATE));
    SHOW("bad fd", inotify_add_watch(99, "/tmp/q", IN_OPEN));
    SHOW("not inotify fd", inotify_add_watch(0, "/tmp/q", IN_OPEN));
    SHOW("not inotify fd, missing path", inotify_add_watch(0, "/tmp/nope", IN_OPEN));
    SHOW("missing", inotify_add_watch(in, "/tmp/nope", IN_ALL_EVENTS));
    SHOW("onlydir on file", inotify_add_watch(in, "/tmp/q/f", IN_ONLYDIR | IN_OPEN));
    inotify_drain(in, "after refused add_watch calls");
    SHOW("rm unknown", inotify_rm_watch(in, 12345));
    SHOW("rm", inotify_rm_watch(in, wd));
    inotify_drain(in, "rm_watch");
    return 0;
}
