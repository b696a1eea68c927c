/* family: files
 * The working directory is a directory, not a path: after the cwd (or one of
 * its ancestors) is renamed, getcwd(2) shows the new path and relative names
 * still resolve; a buffer too small for the path is ERANGE.
 */
#include "case.h"

int main(void)
{
    char buf[256];
    struct stat st;
    mkdir("/tmp/getcwd_rename", 0755);
    mkdir("/tmp/getcwd_rename/a", 0755);
    mkdir("/tmp/getcwd_rename/a/cwd", 0755);
    close(open("/tmp/getcwd_rename/a/cwd/f", O_CREAT | O_WRONLY, 0644));
    SHOW("chdir", chdir("/tmp/getcwd_rename/a/cwd"));
    SAY("cwd=%s", getcwd(buf, sizeof buf));
    SHOW("rename cwd", rename("/tmp/getcwd_rename/a/cwd", "/tmp/getcwd_rename/a/moved"));
    SAY("cwd=%s", getcwd(buf, sizeof buf));
    SHOW("relative open", open("f", O_RDONLY) >= 0);
    SHOW("rename parent", rename("/tmp/getcwd_rename/a", "/tmp/getcwd_rename/b"));
    SAY("cwd=%s", getcwd(buf, sizeof buf));
    SHOW("relative stat", stat("f", &st));
    SHOW("dotdot", stat("../moved", &st));
    SHOW("small buffer", syscall(SYS_getcwd, buf, 5));
    SHOW("chdir back", chdir("/tmp"));
    SAY("cwd=%s", getcwd(buf, sizeof buf));
    return 0;
}
