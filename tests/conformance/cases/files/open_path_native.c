/* family: files
 * O_PATH descriptors and the calls that take any fd: ftruncate, ioctl, mmap,
 * getdents64 and read are EBADF on an O_PATH fd (a file's or a directory's);
 * fcntl(F_GETFL) shows O_PATH (0x200000) and the O_DIRECTORY or O_NOFOLLOW
 * given with it, nothing else.  The fd is the lowest free number, close-on-exec
 * only if O_CLOEXEC was given; a virtual file's (/proc) and a device's
 * (/dev/null) O_PATH fds are no different.  pidfd_getfd(2) duplicates an O_PATH
 * fd as any other (close-on-exec, the lowest free number).
 */
#include "case.h"
#include <sys/ioctl.h>

int main(void)
{
    char buf[64];
    int n;
    mkdir("/tmp/open_path_native", 0755);
    close(open("/tmp/open_path_native/f", O_CREAT | O_WRONLY, 0644));
    symlink("f", "/tmp/open_path_native/l");
    int fd = open("/tmp/open_path_native/f", O_PATH | O_RDWR);
    SHOW("ftruncate", ftruncate(fd, 0));
    SHOW("ioctl", ioctl(fd, FIONREAD, &n));
    SHOW("mmap", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
    SHOWX("getfl", fcntl(fd, F_GETFL) & ~0100000);
    SHOW("getfd", fcntl(fd, F_GETFD));
    int dfd = open("/tmp/open_path_native", O_PATH | O_DIRECTORY | O_CLOEXEC);
    SHOW("getdents dir", syscall(SYS_getdents64, dfd, buf, sizeof buf));
    SHOW("read dir", read(dfd, buf, 1));
    SHOWX("getfl dir", fcntl(dfd, F_GETFL) & ~0100000);
    SHOW("getfd dir", fcntl(dfd, F_GETFD));
    SHOW("next is lowest", dfd == fd + 1);
    int lfd = open("/tmp/open_path_native/l", O_PATH | O_NOFOLLOW);
    SHOWX("getfl link", fcntl(lfd, F_GETFL) & ~0100000);
    SHOW("read link", read(lfd, buf, 1));
    close(fd);
    int pfd = open("/proc/self/status", O_PATH);
    SHOW("reuses the freed number", pfd == fd);
    SHOW("read proc", read(pfd, buf, 1));
    SHOWX("getfl proc", fcntl(pfd, F_GETFL) & ~0100000);
    int nfd = open("/dev/null", O_PATH);
    SHOW("read dev", read(nfd, buf, 1));
    SHOW("write dev", write(nfd, "x", 1));
    struct stat st;
    SHOW("fstat dev", fstat(nfd, &st));
    SAY("chr=%d", S_ISCHR(st.st_mode));
    int pidfd = syscall(SYS_pidfd_open, getpid(), 0);
    int before = dup(0);
    close(before);
    int got = syscall(SYS_pidfd_getfd, pidfd, dfd, 0);
    SHOW("pidfd_getfd lowest", got == before);
    SHOWX("pidfd_getfd getfl", fcntl(got, F_GETFL) & ~0100000);
    SHOW("pidfd_getfd getfd", fcntl(got, F_GETFD));
    SHOW("pidfd_getfd read", read(got, buf, 1));
    SHOW("fstatat via the copy", fstatat(got, "f", &st, 0));
    return 0;
}
