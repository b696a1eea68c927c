/* family: files
 * The sticky bit on a directory (/tmp's 1777): anyone may create, but only the
 * owner of a file (or of the directory, or root) may unlink or rename it
 * away (EPERM otherwise); without the sticky bit write permission is enough.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/sticky_tmp", 01777);
    chmod("/tmp/sticky_tmp", 01777);
    mkdir("/tmp/sticky_tmp/open", 0777);
    chmod("/tmp/sticky_tmp/open", 0777);
    chdir("/tmp/sticky_tmp");
    if (fork() == 0) {
        setresuid(1000, 1000, 1000);
        close(open("a", O_CREAT | O_WRONLY, 0666));
        close(open("open/a", O_CREAT | O_WRONLY, 0666));
        exit(0);
    }
    wait(NULL);
    SHOW("setresuid 2000", setresuid(2000, 2000, 2000));
    SHOW("create", open("b", O_CREAT | O_WRONLY, 0644) >= 0);
    SHOW("unlink other's", unlink("a"));
    SHOW("rename other's", rename("a", "c"));
    SHOW("rename onto other's", rename("b", "a"));
    SHOW("write other's", open("a", O_WRONLY) >= 0);
    SHOW("unlink own", unlink("b"));
    SHOW("unlink in plain dir", unlink("open/a"));
    return 0;
}
