/* family: fds
 * Open file description locks (F_OFD_SETLK/F_OFD_GETLK): owned by the open
 * file, not the process, so two opens of one file in one process conflict;
 * F_OFD_GETLK reports l_pid -1; l_pid must be 0 when setting (EINVAL);
 * a dup shares the lock; closing the last fd of the description drops it.
 */
#include "case.h"

static struct flock lk(short type)
{
    struct flock f = {0};
    f.l_type = type;
    f.l_whence = SEEK_SET;
    return f;
}

int main(void)
{
    int a = open("/tmp/ofd", O_CREAT | O_RDWR | O_TRUNC, 0644);
    int b = open("/tmp/ofd", O_RDWR);
    struct flock f = lk(F_WRLCK);
    SHOW("a ofd_setlk", fcntl(a, F_OFD_SETLK, &f));
    f = lk(F_WRLCK);
    SHOW("b ofd_setlk", fcntl(b, F_OFD_SETLK, &f));
    f = lk(F_RDLCK);
    SHOW("b ofd_getlk", fcntl(b, F_OFD_GETLK, &f));
    SAY("b sees type wr=%d pid=%d", f.l_type == F_WRLCK, f.l_pid);
    int d = dup(a);
    f = lk(F_WRLCK);
    SHOW("dup ofd_setlk", fcntl(d, F_OFD_SETLK, &f));
    f = lk(F_WRLCK);
    f.l_pid = 1;
    SHOW("l_pid nonzero", fcntl(b, F_OFD_SETLK, &f));
    f = lk(F_WRLCK);
    SHOW("posix lock vs ofd", fcntl(b, F_SETLK, &f));
    close(a);
    close(d);
    f = lk(F_WRLCK);
    SHOW("b after close", fcntl(b, F_OFD_SETLK, &f));
    unlink("/tmp/ofd");
    return 0;
}
