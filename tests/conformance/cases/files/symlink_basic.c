/* family: files
 * symlink(2): the target is stored as given, never resolved (it may dangle, be
 * relative, or contain ".."); relative targets resolve from the link's own
 * directory; lstat's size is the target's length; an empty target is ENOENT;
 * an existing name is EEXIST (even a dangling link); symlinkat works relative
 * to a dirfd.
 */
#include "case.h"

int main(void)
{
    char buf[64];
    struct stat st;
    mkdir("/tmp/symlink_basic", 0755);
    mkdir("/tmp/symlink_basic/d", 0755);
    chdir("/tmp/symlink_basic");
    int fd = open("d/f", O_CREAT | O_WRONLY, 0644);
    write(fd, "content", 7);
    close(fd);
    SHOW("relative", symlink("f", "d/l"));
    SHOW("open relative", open("d/l", O_RDONLY) >= 0);
    SHOW("dotdot", symlink("../d/f", "d/up"));
    SHOW("stat dotdot", stat("d/up", &st));
    SAY("size=%ld", (long)st.st_size);
    SHOW("dangling", symlink("no/such/thing", "dl"));
    memset(buf, 0, sizeof buf);
    readlink("dl", buf, sizeof buf);
    SAY("target=%s", buf);
    lstat("dl", &st);
    SAY("lsize=%ld mode=%o", (long)st.st_size, st.st_mode);
    SHOW("empty target", symlink("", "empty"));
    SHOW("existing", symlink("x", "d/l"));
    SHOW("existing dangling", symlink("x", "dl"));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    SHOW("symlinkat", symlinkat("f", dfd, "at"));
    SHOW("open at", open("d/at", O_RDONLY) >= 0);
    SHOW("missing dir", symlink("x", "nodir/l"));
    SHOW("absolute", symlink("/tmp/symlink_basic/d", "abs"));
    SHOW("through abs", stat("abs/f", &st));
    return 0;
}
