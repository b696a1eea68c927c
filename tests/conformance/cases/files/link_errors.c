/* family: files
 * link(2)/linkat(2): a directory cannot be hard-linked (EPERM); an existing
 * new name is EEXIST; a missing old name ENOENT; linkat without
 * AT_SYMLINK_FOLLOW links a symlink itself, with it the target; link's nlink
 * count shows on every name.
 */
#include "case.h"

int main(void)
{
    struct stat st;
    mkdir("/tmp/link_errors", 0755);
    chdir("/tmp/link_errors");
    mkdir("d", 0755);
    close(open("f", O_CREAT | O_WRONLY, 0644));
    close(open("other", O_CREAT | O_WRONLY, 0644));
    symlink("f", "l");
    SHOW("link dir", link("d", "d2"));
    SHOW("link onto existing", link("f", "other"));
    SHOW("link onto dir", link("f", "d"));
    SHOW("link missing", link("missing", "x"));
    SHOW("link into missing dir", link("f", "nodir/x"));
    SHOW("link ok", link("f", "f2"));
    stat("f", &st);
    SAY("nlink=%ld", (long)st.st_nlink);
    SHOW("linkat symlink nofollow", linkat(AT_FDCWD, "l", AT_FDCWD, "l2", 0));
    lstat("l2", &st);
    SAY("l2 islnk=%d", S_ISLNK(st.st_mode));
    SHOW("linkat symlink follow", linkat(AT_FDCWD, "l", AT_FDCWD, "l3", AT_SYMLINK_FOLLOW));
    lstat("l3", &st);
    SAY("l3 isreg=%d nlink=%ld", S_ISREG(st.st_mode), (long)st.st_nlink);
    SHOW("link trailing slash", link("f/", "x"));
    SHOW("link new trailing slash", link("f", "x/"));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    SHOW("linkat dirfd", linkat(AT_FDCWD, "f", dfd, "inside", 0));
    SHOW("inside exists", access("d/inside", F_OK));
    symlink("nowhere", "dangling");
    SHOW("link dangling nofollow", link("dangling", "dangling2"));
    SHOW("linkat dangling follow", linkat(AT_FDCWD, "dangling", AT_FDCWD, "dangling3", AT_SYMLINK_FOLLOW));
    return 0;
}
