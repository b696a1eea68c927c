/* family: files
 * unlink(2), rmdir(2), unlinkat(2): unlink of a directory is EISDIR; rmdir of a
 * file ENOTDIR; of a non-empty directory ENOTEMPTY; of "." EINVAL and of ".."
 * ENOTEMPTY; a trailing slash on a file is ENOTDIR; unlink removes a symlink,
 * not its target; unlinkat(AT_REMOVEDIR) is rmdir.
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/unlink_errors", 0755);
    chdir("/tmp/unlink_errors");
    mkdir("d", 0755);
    mkdir("full", 0755);
    mkdir("full/sub", 0755);
    close(open("f", O_CREAT | O_WRONLY, 0644));
    symlink("f", "l");
    symlink("d", "ld");
    SHOW("unlink dir", unlink("d"));
    SHOW("rmdir file", rmdir("f"));
    SHOW("rmdir nonempty", rmdir("full"));
    SHOW("rmdir dot", rmdir("full/sub/."));
    SHOW("rmdir dotdot", rmdir("full/sub/.."));
    SHOW("rmdir missing", rmdir("missing"));
    SHOW("unlink missing", unlink("missing"));
    SHOW("unlink trailing slash", unlink("f/"));
    SHOW("rmdir symlink to dir", rmdir("ld"));
    SHOW("rmdir symlink to dir slash", rmdir("ld/"));
    SHOW("unlink symlink", unlink("l"));
    SHOW("target stays", access("f", F_OK));
    SHOW("unlinkat removedir file", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR));
    SHOW("unlinkat file", unlinkat(AT_FDCWD, "f", 0));
    SHOW("unlinkat dir", unlinkat(AT_FDCWD, "d", 0));
    SHOW("unlinkat removedir", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
    SHOW("rmdir sub trailing slash", rmdir("full/sub/"));
    SHOW("rmdir now empty", rmdir("full"));
    SHOW("unlink empty", unlink(""));
    SHOW("rmdir root", rmdir("/"));
    return 0;
}
