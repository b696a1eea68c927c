/* family: files
 * umask(2): returns the previous mask and keeps only 0777 of the new one; it
 * masks the mode of open(O_CREAT), mknod and mkfifo, but not of a later
 * chmod; the set-id and sticky bits given to open(O_CREAT) are kept (root).
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
    mkdir("/tmp/umask_create", 0755);
    chdir("/tmp/umask_create");
    SHOWX("first", umask(027));
    SHOWX("second", umask(07777));
    SHOWX("kept 0777", umask(027));
    close(open("f", O_CREAT | O_WRONLY, 0666));
    mode("f");
    close(open("setid", O_CREAT | O_WRONLY, 07777));
    mode("setid");
    mknod("node", S_IFREG | 0666, 0);
    mode("node");
    mkfifo("fifo", 0666);
    mode("fifo");
    chmod("f", 0666);
    mode("f");
    umask(0777);
    close(open("none", O_CREAT | O_WRONLY, 0666));
    mode("none");
    SHOW("open none rdwr as root", open("none", O_RDWR) >= 0);
    SHOWX("restore", umask(022));
    return 0;
}
