/* family: files
 * O_PATH (open(2)): the descriptor only names the object.  read, write,
 * pread, fchmod and fchown are EBADF on it (on a dup of it too); fstat,
 * fstatfs, fchdir (on a directory), dup, F_GETFD and use as a dirfd work; the
 * access mode and flags given with O_PATH (but O_CLOEXEC, O_DIRECTORY,
 * O_NOFOLLOW) are dropped.  (open_path_native: the calls umlpy runs natively.)
 */
#include "case.h"
#include <sys/statfs.h>

int main(void)
{
    mkdir("/tmp/open_path", 0755);
    mkdir("/tmp/open_path/d", 0755);
    int w = open("/tmp/open_path/d/f", O_CREAT | O_WRONLY, 0640);
    write(w, "data", 4);
    close(w);
    int fd = open("/tmp/open_path/d/f", O_PATH | O_RDWR | O_APPEND);
    SHOW("opened", fd >= 0);
    char buf[8];
    SHOW("read", read(fd, buf, sizeof buf));
    SHOW("write", write(fd, "x", 1));
    SHOW("pread", pread(fd, buf, sizeof buf, 0));
    SHOW("fchmod", fchmod(fd, 0600));
    SHOW("fchown", fchown(fd, 0, 0));
    struct stat st;
    SHOW("fstat", fstat(fd, &st));
    SAY("mode=%o size=%ld nlink=%ld", st.st_mode, (long)st.st_size, (long)st.st_nlink);
    struct statfs sfs;
    SHOW("fstatfs", fstatfs(fd, &sfs));
    SHOW("getfd", fcntl(fd, F_GETFD));
    int d2 = dup(fd);
    SHOW("dup read", read(d2, buf, sizeof buf));
    SHOW("fchdir file", fchdir(fd));
    int dfd = open("/tmp/open_path/d", O_PATH | O_DIRECTORY | O_CLOEXEC);
    SHOW("getfd dir", fcntl(dfd, F_GETFD));
    SHOW("fstatat via dirfd", fstatat(dfd, "f", &st, 0));
    SAY("mode=%o", st.st_mode);
    int rfd = openat(dfd, "f", O_RDONLY);
    memset(buf, 0, sizeof buf);
    SHOW("read via dirfd", read(rfd, buf, 4));
    SAY("data=%.4s", buf);
    SHOW("fchdir dir", fchdir(dfd));
    SHOW("relative stat", stat("f", &st));
    return 0;
}
