/* family: files
 * mknod(2) of device nodes, as root: a character device node takes its major
 * and minor; opening 1:3 (null) reads end-of-file and swallows writes; a
 * block device node is made too.
 * root: device nodes need CAP_MKNOD in the initial user namespace
 */
#include "case.h"
#include <sys/sysmacros.h>

int main(void)
{
    struct stat st;
    mkdir("/tmp/mknod_dev", 0755);
    chdir("/tmp/mknod_dev");
    SHOW("chr", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
    SHOW("stat", stat("null", &st));
    SAY("chr=%d rdev=%u:%u", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    int fd = open("null", O_RDWR);
    SHOW("open", fd >= 0);
    char c;
    SHOW("read", read(fd, &c, 1));
    SHOW("write", write(fd, "abc", 3));
    SHOW("blk", mknod("blk", S_IFBLK | 0600, makedev(7, 0)));
    return 0;
}
