/* family: files
 * O_PATH descriptors and the calls that take any fd: ftruncate, ioctl, mmap,
 * getdents64 and read are EBADF on an O_PATH fd (a file's or a directory's);
 * fcntl(F_GETFL) shows O_PATH (0x200000) and nothing else.
 * gap: these calls run natively on the host fd that stands for an O_PATH one (a file opened with access mode 3, or the directory itself), so the host answers EINVAL, EACCES or EISDIR and F_GETFL shows 3 (issue 8)
 */
#include "case.h"
#include <sys/ioctl.h>

int main(void)
{
    char buf[64];
    int n;
    mkdir("/tmp/open_path_native", 0755);
    close(open("/tmp/open_path_native/f", O_CREAT | O_WRONLY, 0644));
    int fd = open("/tmp/open_path_native/f", O_PATH | O_RDWR);
    SHOW("ftruncate", ftruncate(fd, 0));
    SHOW("ioctl", ioctl(fd, FIONREAD, &n));
    SHOW("mmap", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
    SHOWX("getfl", fcntl(fd, F_GETFL) & ~0100000);
    int dfd = open("/tmp/open_path_native", O_PATH | O_DIRECTORY);
    SHOW("getdents dir", syscall(SYS_getdents64, dfd, buf, sizeof buf));
    SHOW("read dir", read(dfd, buf, 1));
    return 0;
}
