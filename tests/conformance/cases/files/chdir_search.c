/* family: files
 * chdir(2)/fchdir(2) need search (x) permission on the directory: as uid 1000,
 * chdir and fchdir (on an fd opened earlier, by root) to a 0700 root directory
 * are EACCES; a file is ENOTDIR either way; fchdir on an O_PATH directory fd
 * works when searchable.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    char buf[256];
    mkdir("/tmp/chdir_search", 0755);
    mkdir("/tmp/chdir_search/private", 0700);
    mkdir("/tmp/chdir_search/open", 0755);
    close(open("/tmp/chdir_search/f", O_CREAT | O_WRONLY, 0644));
    int priv = open("/tmp/chdir_search/private", O_RDONLY | O_DIRECTORY);
    int op = open("/tmp/chdir_search/open", O_PATH | O_DIRECTORY);
    int f = open("/tmp/chdir_search/f", O_RDONLY);
    SHOW("setresuid", setresuid(1000, 1000, 1000));
    SHOW("chdir private", chdir("/tmp/chdir_search/private"));
    SHOW("fchdir private", fchdir(priv));
    SHOW("chdir file", chdir("/tmp/chdir_search/f"));
    SHOW("fchdir file", fchdir(f));
    SHOW("fchdir bad fd", fchdir(99));
    SHOW("fchdir O_PATH dir", fchdir(op));
    SAY("cwd=%s", getcwd(buf, sizeof buf));
    SHOW("chdir open", chdir("/tmp/chdir_search/open"));
    SHOW("chdir missing", chdir("/tmp/chdir_search/missing"));
    return 0;
}
