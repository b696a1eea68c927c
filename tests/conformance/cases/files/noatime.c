/* family: files
 * O_NOATIME (open(2), fcntl F_SETFL) is allowed only to the file's owner (or a
 * process with CAP_FOWNER): as uid 1000, opening root's file with it is EPERM,
 * its own file works; fcntl(F_SETFL, O_NOATIME) on root's file is EPERM too.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/noatime", 0777);
    chdir("/tmp/noatime");
    close(open("roots", O_CREAT | O_WRONLY, 0644));
    close(open("users", O_CREAT | O_WRONLY, 0644));
    chown("users", 1000, 1000);
    int fd = open("roots", O_RDONLY | O_NOATIME);
    SHOW("root noatime", fd >= 0);
    close(fd);
    int pre = open("roots", O_RDONLY);
    SHOW("setresuid", setresuid(1000, 1000, 1000));
    SHOW("user noatime on root's", open("roots", O_RDONLY | O_NOATIME));
    fd = open("users", O_RDONLY | O_NOATIME);
    SHOW("user noatime on own", fd >= 0);
    SHOWX("flag kept", fcntl(fd, F_GETFL) & O_NOATIME);
    SHOW("setfl noatime on root's", fcntl(pre, F_SETFL, O_NOATIME));
    SHOW("plain open root's", open("roots", O_RDONLY) >= 0);
    return 0;
}
