/* family: files
 * mkdir(2)/mkdirat(2): the mode is masked by the umask; of the mode Linux keeps
 * the permission and sticky bits (set-user-ID and set-group-ID are dropped in a
 * parent without set-group-ID); an existing name is EEXIST (even a dangling
 * symlink, not followed); a trailing slash is allowed; a missing parent is
 * ENOENT, a file as parent ENOTDIR; mkdirat works relative to a dirfd.
 */
#include "case.h"

static void mode(const char *p)
{
    struct stat st;
    if (lstat(p, &st)) SAY("%s: %s", p, errname(errno));
    else SAY("%s: %o", p, st.st_mode);
}

int main(void)
{
    mkdir("/tmp/mkdir_modes", 0755);
    chdir("/tmp/mkdir_modes");
    umask(022);
    SHOW("mkdir 0777", mkdir("a", 0777));
    mode("a");
    umask(0);
    SHOW("mkdir 0777 umask 0", mkdir("b", 0777));
    mode("b");
    SHOW("mkdir 07777", mkdir("c", 07777));
    mode("c");
    umask(077);
    SHOW("mkdir 0755 umask 077", mkdir("d", 0755));
    mode("d");
    SHOW("mkdir 01777 umask 077", mkdir("e", 01777));
    mode("e");
    umask(022);
    SHOW("existing", mkdir("a", 0755));
    symlink("nowhere", "dangling");
    SHOW("dangling symlink", mkdir("dangling", 0755));
    SHOW("nowhere created", access("nowhere", F_OK));
    SHOW("trailing slash", mkdir("f/", 0755));
    mode("f");
    SHOW("two trailing slashes", mkdir("g//", 0755));
    SHOW("missing parent", mkdir("nodir/x", 0755));
    close(open("file", O_CREAT | O_WRONLY, 0644));
    SHOW("file parent", mkdir("file/x", 0755));
    SHOW("existing file", mkdir("file", 0755));
    int dfd = open("a", O_RDONLY | O_DIRECTORY);
    SHOW("mkdirat", mkdirat(dfd, "sub", 0700));
    mode("a/sub");
    SHOW("mkdir dot", mkdir(".", 0755));
    SHOW("mkdir dotdot", mkdir("a/..", 0755));
    return 0;
}
