/* family: files
 * O_PATH on a file of the root file system (/etc/passwd): read and pread are
 * EBADF, as on any O_PATH descriptor; fstat works.
 */
#include "case.h"

int main(void)
{
    char buf[8];
    struct stat st;
    int fd = open("/etc/passwd", O_PATH);
    SHOW("opened", fd >= 0);
    SHOW("read", read(fd, buf, sizeof buf));
    SHOW("pread", pread(fd, buf, sizeof buf, 0));
    SHOW("fstat", fstat(fd, &st));
    SAY("isreg=%d", S_ISREG(st.st_mode));
    SHOW("fchmod", fchmod(fd, 0644));
    return 0;
}
