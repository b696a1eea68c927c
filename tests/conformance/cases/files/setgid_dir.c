/* family: files
 * A set-group-ID directory: new files and directories in it take the
 * directory's group, not the creator's; new subdirectories inherit the
 * set-group-ID bit (even with a mode that lacks it); files do not get it.
 * root: a group other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

static void own(const char *p)
{
    struct stat st;
    if (lstat(p, &st)) SAY("%s: %s", p, errname(errno));
    else SAY("%s: gid=%u mode=%o", p, st.st_gid, st.st_mode);
}

int main(void)
{
    mkdir("/tmp/setgid_dir", 0755);
    chdir("/tmp/setgid_dir");
    mkdir("sg", 0777);
    chown("sg", 0, 100);
    chmod("sg", 02777);
    own("sg");
    close(open("sg/f", O_CREAT | O_WRONLY, 0644));
    own("sg/f");
    SHOW("mkdir 0755", mkdir("sg/sub", 0755));
    own("sg/sub");
    SHOW("mkdir nested", mkdir("sg/sub/deeper", 0700));
    own("sg/sub/deeper");
    mkfifo("sg/p", 0644);
    own("sg/p");
    symlink("f", "sg/l");
    own("sg/l");
    mkdir("plain", 0755);
    own("plain");
    setresgid(200, 200, 200);
    close(open("sg/g", O_CREAT | O_WRONLY, 0644));
    own("sg/g");
    close(open("plain/g", O_CREAT | O_WRONLY, 0644));
    own("plain/g");
    return 0;
}
