/* family: files
 * readlink(2): returns the target's bytes without a NUL, truncated silently to
 * the buffer's size; a size of 0 (or negative) is EINVAL; a name that is not a
 * symlink is EINVAL; a missing name ENOENT; readlinkat works relative to a
 * dirfd; a trailing slash follows the link (and then it is not a symlink).
 */
#include "case.h"

int main(void)
{
    char buf[64];
    mkdir("/tmp/readlink_trunc", 0755);
    chdir("/tmp/readlink_trunc");
    mkdir("d", 0755);
    symlink("some/target", "l");
    symlink("d", "ld");
    memset(buf, '#', sizeof buf);
    SHOW("full", readlink("l", buf, sizeof buf));
    SAY("buf=%.12s", buf);
    memset(buf, '#', sizeof buf);
    SHOW("size 4", readlink("l", buf, 4));
    SAY("buf=%.8s", buf);
    SHOW("size 0", syscall(SYS_readlink, "l", buf, 0));
    SHOW("size -1", syscall(SYS_readlink, "l", buf, -1));
    SHOW("not a link", readlink("d", buf, sizeof buf));
    SHOW("missing", readlink("missing", buf, sizeof buf));
    SHOW("trailing slash", readlink("ld/", buf, sizeof buf));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    SHOW("readlinkat", readlinkat(dfd, "l", buf, sizeof buf));
    SHOW("empty", readlink("", buf, sizeof buf));
    return 0;
}
