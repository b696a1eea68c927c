/* family: files
 * A removed working directory: rmdir of the cwd works (it is empty); getcwd is
 * then ENOENT and /proc/self/cwd reads "PATH (deleted)"; "." still stats (nlink
 * 0) and ".." is the old parent; nothing can be created in it (ENOENT); chdir
 * away works.
 */
#include "case.h"

int main(void)
{
    char buf[256];
    struct stat st;
    mkdir("/tmp/getcwd_removed", 0755);
    mkdir("/tmp/getcwd_removed/cwd", 0755);
    SHOW("chdir", chdir("/tmp/getcwd_removed/cwd"));
    SHOW("rmdir cwd", rmdir("/tmp/getcwd_removed/cwd"));
    SHOW("getcwd removed", syscall(SYS_getcwd, buf, sizeof buf));
    memset(buf, 0, sizeof buf);
    SHOW("readlink /proc/self/cwd", readlink("/proc/self/cwd", buf, sizeof buf - 1));
    SAY("cwd link=%s", buf);
    SHOW("create in removed", open("g", O_CREAT | O_WRONLY, 0644));
    SHOW("mkdir in removed", mkdir("d", 0755));
    SHOW("chdir back", chdir("/tmp"));
    SAY("cwd=%s", getcwd(buf, sizeof buf));
    SHOW("chdir", chdir("/tmp/getcwd_removed"));
    mkdir("again", 0755);
    chdir("again");
    rmdir("/tmp/getcwd_removed/again");
    SHOW("stat dot", stat(".", &st));
    SAY("nlink=%ld", (long)st.st_nlink);
    SHOW("stat dotdot", stat("..", &st));
    return 0;
}
