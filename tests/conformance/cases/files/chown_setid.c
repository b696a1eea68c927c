/* family: files
 * chown(2) on a non-directory clears set-user-ID, and set-group-ID when
 * group-execute is set (a set-group-ID bit without group-execute marks
 * mandatory locking and stays), even for root and even when the ids do not
 * change; chown(-1, -1) clears them too; a directory keeps its bits.
 */
#include "case.h"

static void mode(const char *p)
{
    struct stat st;
    if (lstat(p, &st)) SAY("%s: %s", p, errname(errno));
    else SAY("%s: %o uid=%u gid=%u", p, st.st_mode, st.st_uid, st.st_gid);
}

int main(void)
{
    mkdir("/tmp/chown_setid", 0755);
    chdir("/tmp/chown_setid");
    close(open("a", O_CREAT | O_WRONLY, 0644));
    close(open("b", O_CREAT | O_WRONLY, 0644));
    close(open("c", O_CREAT | O_WRONLY, 0644));
    mkdir("d", 0755);
    chmod("a", 06755);
    chmod("b", 06745);
    chmod("c", 06755);
    chmod("d", 06755);
    mode("a");
    SHOW("chown same ids", chown("a", 0, 0));
    mode("a");
    SHOW("chown no group exec", chown("b", 0, 0));
    mode("b");
    SHOW("chown -1 -1", chown("c", -1, -1));
    mode("c");
    SHOW("chown dir", chown("d", 0, 0));
    mode("d");
    chmod("a", 06755);
    int fd = open("a", O_RDONLY);
    SHOW("fchown", fchown(fd, 0, -1));
    mode("a");
    return 0;
}
