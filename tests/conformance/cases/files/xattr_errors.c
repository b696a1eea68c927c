/* family: files
 * The errors of the xattr calls, in Linux's order: unknown flags are EINVAL,
 * an empty or 256-byte name ERANGE, a value over 64 KiB E2BIG, all before the
 * path is looked up (so even for a missing file); a missing file is then
 * ENOENT; a name with no namespace or an unknown one is EOPNOTSUPP, "user."
 * alone EINVAL; a bad value pointer EFAULT.  As uid 1000: user.* needs write
 * permission to set (EACCES) and read permission to get; in a sticky
 * directory only its owner sets user.*; trusted.* is EPERM to set and
 * ENODATA to get; security.* is EPERM to set.  O_PATH fds are EBADF.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <sys/xattr.h>

int main(void)
{
    char big[300];
    char buf[16];
    static char huge[70000];
    mkdir("/tmp/xattr_errors", 0755);
    chdir("/tmp/xattr_errors");
    close(open("f", O_CREAT | O_WRONLY, 0644));
    memset(big, 'a', sizeof big);
    memcpy(big, "user.", 5);
    big[256] = 0;
    SHOW("bad flags", setxattr("missing", "user.a", "v", 1, 4));
    SHOW("empty name", setxattr("missing", "", "v", 1, 0));
    SHOW("long name", setxattr("missing", big, "v", 1, 0));
    big[255] = 0;
    SHOW("255 name", setxattr("f", big, "v", 1, 0));
    SHOW("get 255", getxattr("f", big, buf, sizeof buf));
    SHOW("too big", setxattr("missing", "user.a", huge, sizeof huge, 0));
    SHOW("missing", setxattr("missing", "user.a", "v", 1, 0));
    SHOW("get missing file", getxattr("missing", "user.a", buf, sizeof buf));
    SHOW("get empty name", getxattr("f", "", buf, sizeof buf));
    SHOW("no namespace", setxattr("f", "plain", "v", 1, 0));
    SHOW("unknown namespace", setxattr("f", "foo.bar", "v", 1, 0));
    SHOW("get unknown namespace", getxattr("f", "foo.bar", buf, sizeof buf));
    SHOW("bare user.", setxattr("f", "user.", "v", 1, 0));
    SHOW("bad value", setxattr("f", "user.a", (void *)8, 4, 0));
    SHOW("bad name ptr", setxattr("f", (void *)8, "v", 1, 0));
    SHOW("remove missing", removexattr("f", "user.none"));
    int pfd = open("f", O_PATH);
    SHOW("O_PATH fget", fgetxattr(pfd, "user.a", buf, sizeof buf));
    SHOW("O_PATH fset", fsetxattr(pfd, "user.a", "v", 1, 0));
    close(pfd);
    SHOW("bad fd", fgetxattr(99, "user.a", buf, sizeof buf));
    close(open("ro", O_CREAT | O_WRONLY, 0644));
    close(open("secret", O_CREAT | O_WRONLY, 0600));
    SHOW("set secret", setxattr("secret", "user.s", "v", 1, 0));
    mkdir("sticky", 01777);
    chmod("sticky", 01777);
    mkdir("open", 0777);
    chmod("open", 0777);
    SHOW("root trusted", setxattr("f", "trusted.t", "v", 1, 0));
    SHOW("setuid 1000", setresuid(1000, 1000, 1000));
    SHOW("user set ro", setxattr("ro", "user.a", "v", 1, 0));
    SHOW("user get ro", getxattr("ro", "user.nothing", buf, sizeof buf));
    SHOW("user get secret", getxattr("secret", "user.s", buf, sizeof buf));
    SHOW("user list secret", listxattr("secret", buf, sizeof buf));
    SHOW("user sticky", setxattr("sticky", "user.a", "v", 1, 0));
    SHOW("user open dir", setxattr("open", "user.a", "v", 1, 0));
    SHOW("user trusted set", setxattr("open", "trusted.a", "v", 1, 0));
    SHOW("user trusted get", getxattr("f", "trusted.t", buf, sizeof buf));
    SHOW("user trusted list", listxattr("f", buf, sizeof buf));
    SHOW("user security set", setxattr("open", "security.a", "v", 1, 0));
    return 0;
}
