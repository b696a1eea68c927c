/* family: files
 * chmod(2), fchmod(2), fchmodat(2), fchmodat2(2): set the permission, sticky
 * and set-id bits (root keeps them all); the file type bits of the argument are
 * ignored; chmod follows a symlink; fchmodat2(AT_SYMLINK_NOFOLLOW) on a symlink
 * is EOPNOTSUPP and on a regular file works; a missing file is ENOENT.
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
    mkdir("/tmp/chmod_basic", 0755);
    chdir("/tmp/chmod_basic");
    close(open("f", O_CREAT | O_WRONLY, 0644));
    mkdir("d", 0755);
    symlink("f", "l");
    SHOW("chmod 0600", chmod("f", 0600));
    mode("f");
    SHOW("chmod 07777", chmod("f", 07777));
    mode("f");
    SHOW("chmod with type bits", chmod("f", S_IFDIR | 0640));
    mode("f");
    SHOW("chmod dir 01777", chmod("d", 01777));
    mode("d");
    SHOW("chmod dir 02755", chmod("d", 02755));
    mode("d");
    SHOW("chmod via symlink", chmod("l", 0604));
    mode("f");
    mode("l");
    int fd = open("f", O_RDONLY);
    SHOW("fchmod", fchmod(fd, 04711));
    mode("f");
    SHOW("fchmodat", fchmodat(AT_FDCWD, "f", 0644, 0));
    mode("f");
    SHOW("fchmodat2 nofollow link", syscall(452, AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW));
    SHOW("fchmodat2 nofollow file", syscall(452, AT_FDCWD, "f", 0640, AT_SYMLINK_NOFOLLOW));
    mode("f");
    SHOW("fchmodat2 empty path", syscall(452, fd, "", 0600, AT_EMPTY_PATH));
    mode("f");
    SHOW("missing", chmod("missing", 0644));
    SHOW("fchmod bad fd", fchmod(99, 0644));
    return 0;
}
