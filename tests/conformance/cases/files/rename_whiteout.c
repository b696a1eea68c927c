/* family: files
 * renameat2(2) RENAME_WHITEOUT (root, on tmpfs): the file moves, and a
 * whiteout (a character device 0:0) is left at the old name; RENAME_WHITEOUT
 * with RENAME_NOREPLACE is allowed and refuses an existing target.
 * root: RENAME_WHITEOUT needs CAP_MKNOD in the initial user namespace
 */
#include "case.h"
#include <sys/sysmacros.h>

int main(void)
{
    mkdir("/tmp/rename_whiteout", 0755);
    chdir("/tmp/rename_whiteout");
    close(open("a", O_CREAT | O_WRONLY, 0644));
    close(open("c", O_CREAT | O_WRONLY, 0644));
    SHOW("whiteout", renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_WHITEOUT));
    struct stat st;
    SHOW("lstat old", lstat("a", &st));
    SAY("old ischr=%d rdev=%u:%u", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    SHOW("lstat new", lstat("b", &st));
    SAY("new isreg=%d", S_ISREG(st.st_mode));
    SHOW("whiteout|noreplace onto existing", renameat2(AT_FDCWD, "b", AT_FDCWD, "c", RENAME_WHITEOUT | RENAME_NOREPLACE));
    SHOW("open whiteout", open("a", O_RDONLY));
    return 0;
}
