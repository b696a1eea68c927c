/* family: files
 * trusted.* and security.* extended attributes, as root (CAP_SYS_ADMIN):
 * set, get and list them beside user.* ones; trusted.* is allowed on a
 * symlink itself (user.* is not); security.capability must be a valid
 * capability value (EINVAL for one of the wrong size).  None of them means
 * anything to the kernel here: a file with a security.capability still runs
 * with no extra privilege.
 * root: trusted.* needs CAP_SYS_ADMIN in the initial user namespace
 */
#include "case.h"
#include <sys/xattr.h>

int main(void)
{
    char buf[128];
    mkdir("/tmp/xattr_trusted", 0755);
    chdir("/tmp/xattr_trusted");
    close(open("f", O_CREAT | O_WRONLY, 0644));
    symlink("f", "l");
    SHOW("trusted", setxattr("f", "trusted.overlay.x", "t", 1, 0));
    SHOW("security", setxattr("f", "security.test", "s", 1, 0));
    SHOW("user", setxattr("f", "user.u", "u", 1, 0));
    SHOW("get trusted", getxattr("f", "trusted.overlay.x", buf, sizeof buf));
    SHOW("get security", getxattr("f", "security.test", buf, sizeof buf));
    long n = listxattr("f", buf, sizeof buf);
    int t = 0, s = 0, u = 0;
    for (char *p = buf; n > 0 && p < buf + n; p += strlen(p) + 1) {
        t += !strcmp(p, "trusted.overlay.x");
        s += !strcmp(p, "security.test");
        u += !strcmp(p, "user.u");
    }
    SAY("listed trusted=%d security=%d user=%d", t, s, u);
    SHOW("trusted on symlink", lsetxattr("l", "trusted.l", "x", 1, 0));
    SHOW("get trusted on symlink", lgetxattr("l", "trusted.l", buf, sizeof buf));
    SHOW("user on symlink", lsetxattr("l", "user.l", "x", 1, 0));
    SHOW("bad capability", setxattr("f", "security.capability", "xx", 2, 0));
    SHOW("remove trusted", removexattr("f", "trusted.overlay.x"));
    SHOW("get removed", getxattr("f", "trusted.overlay.x", buf, sizeof buf));
    return 0;
}
