/* family: files
 * Directory permissions for an ordinary user: listing needs r (open with
 * O_RDONLY is EACCES without it), looking names up needs x, creating and
 * removing names needs w and x; without x even stat of a known name is EACCES;
 * with x but not r, known names work and listing is refused.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    struct stat st;
    mkdir("/tmp/dir_perm_user", 0755);
    chdir("/tmp/dir_perm_user");
    mkdir("rx", 0755);
    mkdir("x", 0711);
    mkdir("r", 0744);
    mkdir("wx", 0733);
    close(open("rx/f", O_CREAT | O_WRONLY, 0666));
    close(open("x/f", O_CREAT | O_WRONLY, 0666));
    close(open("r/f", O_CREAT | O_WRONLY, 0666));
    close(open("wx/f", O_CREAT | O_WRONLY, 0666));
    SHOW("setresuid", setresuid(1000, 1000, 1000));
    SHOW("list rx", open("rx", O_RDONLY | O_DIRECTORY) >= 0);
    SHOW("list x", open("x", O_RDONLY | O_DIRECTORY));
    SHOW("stat x/f", stat("x/f", &st));
    SHOW("list r", open("r", O_RDONLY | O_DIRECTORY) >= 0);
    SHOW("stat r/f", stat("r/f", &st));
    SHOW("create in rx", open("rx/new", O_CREAT | O_WRONLY, 0644));
    SHOW("unlink in rx", unlink("rx/f"));
    SHOW("create in wx", open("wx/new", O_CREAT | O_WRONLY, 0644) >= 0);
    SHOW("unlink in wx", unlink("wx/f"));
    SHOW("mkdir in rx", mkdir("rx/d", 0755));
    SHOW("rename within rx", rename("rx/f", "rx/g"));
    SHOW("rename rx to wx", rename("rx/f", "wx/g"));
    SHOW("open O_PATH x", open("x", O_PATH) >= 0);
    return 0;
}
