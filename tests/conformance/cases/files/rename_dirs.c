/* family: files
 * rename(2) with directories: a directory may replace an empty directory, not
 * a non-empty one (ENOTEMPTY) nor a file (ENOTDIR); a file may not replace a
 * directory (EISDIR); a directory cannot move into its own subtree (EINVAL);
 * renaming a name onto itself, or onto another hard link of the same file, does
 * nothing and succeeds; a last component of "." or ".." is EBUSY; a trailing
 * slash on a file is ENOTDIR.
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/rename_dirs", 0755);
    chdir("/tmp/rename_dirs");
    mkdir("a", 0755);
    mkdir("a/sub", 0755);
    mkdir("empty", 0755);
    mkdir("full", 0755);
    close(open("full/x", O_CREAT | O_WRONLY, 0644));
    close(open("f", O_CREAT | O_WRONLY, 0644));
    link("f", "g");
    SHOW("dir over file", rename("a", "f"));
    SHOW("file over dir", rename("f", "empty"));
    SHOW("dir over nonempty", rename("a", "full"));
    SHOW("dir into own subdir", rename("a", "a/sub/a"));
    SHOW("dir onto own subdir", rename("a", "a/sub"));
    SHOW("dir onto itself", rename("a", "a"));
    SHOW("hard links", rename("f", "g"));
    SHOW("f still", access("f", F_OK));
    SHOW("g still", access("g", F_OK));
    SHOW("dot", rename("a/.", "b"));
    SHOW("dotdot", rename("a/sub/..", "b"));
    SHOW("onto dot", rename("empty", "a/."));
    SHOW("file trailing slash", rename("f/", "h"));
    SHOW("to trailing slash", rename("f", "h/"));
    SHOW("dir trailing slash", rename("empty/", "empty2/"));
    SHOW("dir over empty", rename("a", "empty2"));
    SHOW("a gone", access("a", F_OK));
    SHOW("sub moved", access("empty2/sub", F_OK));
    SHOW("missing parent", rename("f", "nodir/f"));
    SHOW("parent is file", rename("f", "g/f"));
    return 0;
}
