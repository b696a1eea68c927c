/* family: files
 * Opening device nodes made with mknod(2): 1:3 (null) reads end-of-file and
 * swallows writes, 1:5 (zero) reads zeros, 1:7 (full) writes ENOSPC, 1:8 and
 * 1:9 (random, urandom) give bytes; fstat of the open node says it is the
 * character device; a number no driver serves (character 240:0, block 240:1)
 * opens with ENXIO, and so does 5:0 (tty) with no controlling terminal.
 * Permission bits still apply: a 0600 node is EACCES for uid 1000.
 * root: device nodes need CAP_MKNOD in the initial user namespace
 */
#include "case.h"
#include <sys/sysmacros.h>

int main(void)
{
    char buf[16];
    struct stat st;
    mkdir("/tmp/mknod_open", 0755);
    chdir("/tmp/mknod_open");
    setsid();                       /* no controlling terminal, in both runs */
    mknod("null", S_IFCHR | 0666, makedev(1, 3));
    mknod("zero", S_IFCHR | 0666, makedev(1, 5));
    mknod("full", S_IFCHR | 0666, makedev(1, 7));
    mknod("random", S_IFCHR | 0666, makedev(1, 8));
    mknod("urandom", S_IFCHR | 0600, makedev(1, 9));
    mknod("none", S_IFCHR | 0666, makedev(240, 0));
    mknod("blk", S_IFBLK | 0666, makedev(240, 1));
    mknod("tty", S_IFCHR | 0666, makedev(5, 0));
    int fd = SHOW("open null", open("null", O_RDWR) >= 0 ? 0 : -1);
    fd = open("null", O_RDWR);
    SHOW("read null", read(fd, buf, sizeof buf));
    SHOW("write null", write(fd, "hello", 5));
    SHOW("fstat", fstat(fd, &st));
    SAY("fstat chr=%d rdev=%u:%u", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    close(fd);
    fd = open("zero", O_RDONLY);
    memset(buf, 1, sizeof buf);
    SHOW("read zero", read(fd, buf, sizeof buf));
    SAY("zeros=%d", buf[0] == 0 && buf[15] == 0);
    close(fd);
    fd = open("full", O_WRONLY);
    SHOW("write full", write(fd, "x", 1));
    close(fd);
    fd = open("random", O_RDONLY);
    SHOW("read random", read(fd, buf, 8));
    close(fd);
    fd = open("urandom", O_RDONLY);
    SHOW("read urandom", read(fd, buf, 8));
    close(fd);
    SHOW("open none", open("none", O_RDONLY));
    SHOW("open blk", open("blk", O_RDONLY));
    SHOW("open tty", open("tty", O_RDWR));
    SHOW("setuid 1000", setresuid(1000, 1000, 1000));
    SHOW("user open urandom", open("urandom", O_RDONLY));
    SHOW("user open null", open("null", O_RDONLY) >= 0 ? 0 : -1);
    return 0;
}
