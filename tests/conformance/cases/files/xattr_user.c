/* family: files
 * user.* extended attributes on a regular file and a directory: setxattr then
 * getxattr gives the value back (size 0 asks for its length, a small buffer is
 * ERANGE); XATTR_CREATE on an existing name is EEXIST, XATTR_REPLACE on a
 * missing one ENODATA; an empty value is allowed; removexattr removes (twice:
 * ENODATA).  Attributes belong to the inode: a hard link shows them, rename
 * keeps them, fsetxattr/fgetxattr on an open fd see the same ones, and a new
 * file with the old name has none.  lgetxattr of a symlink's user.* is
 * ENODATA and lsetxattr EPERM (user.* is for files and directories only).
 */
#include "case.h"
#include <sys/xattr.h>

static void get(const char *label, const char *path, const char *name)
{
    char buf[64] = {0};
    long n = getxattr(path, name, buf, sizeof buf - 1);
    if (n < 0) SAY("%s=-1 %s", label, errname(errno));
    else SAY("%s=%ld '%s'", label, n, buf);
}

int main(void)
{
    char buf[8];
    mkdir("/tmp/xattr_user", 0755);
    chdir("/tmp/xattr_user");
    close(open("f", O_CREAT | O_WRONLY, 0644));
    mkdir("d", 0755);
    symlink("f", "l");
    SHOW("set", setxattr("f", "user.color", "blue", 4, 0));
    get("get", "f", "user.color");
    SHOW("get len", getxattr("f", "user.color", NULL, 0));
    SHOW("get small", getxattr("f", "user.color", buf, 2));
    get("get missing", "f", "user.nothing");
    SHOW("create existing", setxattr("f", "user.color", "red", 3, XATTR_CREATE));
    SHOW("replace missing", setxattr("f", "user.shape", "round", 5, XATTR_REPLACE));
    SHOW("replace", setxattr("f", "user.color", "green", 5, XATTR_REPLACE));
    get("get replaced", "f", "user.color");
    SHOW("create", setxattr("f", "user.shape", "round", 5, XATTR_CREATE));
    SHOW("empty value", setxattr("f", "user.empty", "", 0, 0));
    SHOW("get empty", getxattr("f", "user.empty", buf, sizeof buf));
    SHOW("dir set", setxattr("d", "user.dir", "yes", 3, 0));
    get("dir get", "d", "user.dir");
    get("follow symlink", "l", "user.color");
    SHOW("lget symlink", lgetxattr("l", "user.color", buf, sizeof buf));
    SHOW("lset symlink", lsetxattr("l", "user.color", "x", 1, 0));
    SHOW("link", link("f", "f2"));
    get("via link", "f2", "user.shape");
    SHOW("rename", rename("f", "g"));
    get("after rename", "g", "user.color");
    int fd = open("g", O_RDONLY);
    SHOW("fset", fsetxattr(fd, "user.fd", "open", 4, 0));
    char fb[16] = {0};
    SHOW("fget", fgetxattr(fd, "user.color", fb, sizeof fb));
    SAY("fget value '%s'", fb);
    close(fd);
    get("via path", "f2", "user.fd");
    SHOW("remove", removexattr("g", "user.shape"));
    SHOW("remove again", removexattr("g", "user.shape"));
    get("removed via link", "f2", "user.shape");
    SHOW("unlink g", unlink("g"));
    get("last link keeps", "f2", "user.color");
    SHOW("unlink f2", unlink("f2"));
    close(open("f2", O_CREAT | O_WRONLY, 0644));
    get("new file", "f2", "user.color");
    SHOW("new file list", listxattr("f2", NULL, 0));
    return 0;
}
