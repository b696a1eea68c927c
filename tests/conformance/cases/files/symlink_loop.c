/* family: files
 * Symlink resolution limits: two links pointing at each other, or one at
 * itself, give ELOOP on open and stat (lstat still describes the link); a
 * chain of 40 links resolves, 41 is ELOOP; a loop in a middle component is
 * ELOOP too.
 */
#include "case.h"

int main(void)
{
    struct stat st;
    char a[64], b[64];
    mkdir("/tmp/symlink_loop", 0755);
    chdir("/tmp/symlink_loop");
    symlink("b", "a");
    symlink("a", "b");
    symlink("self", "self");
    SHOW("open a", open("a", O_RDONLY));
    SHOW("stat a", stat("a", &st));
    SHOW("lstat a", lstat("a", &st));
    SHOW("open self", open("self", O_RDONLY));
    SHOW("creat self", open("self", O_CREAT | O_WRONLY, 0644));
    SHOW("middle", stat("a/x", &st));
    SHOW("access", access("self", F_OK));
    SHOW("chdir", chdir("self"));
    close(open("target", O_CREAT | O_WRONLY, 0644));
    symlink("target", "c0");
    for (int i = 1; i <= 41; i++) {
        snprintf(a, sizeof a, "c%d", i);
        snprintf(b, sizeof b, "c%d", i - 1);
        symlink(b, a);
    }
    SHOW("chain 40", stat("c39", &st));
    SHOW("chain 40b", stat("c40", &st));
    SHOW("chain 41", stat("c41", &st));
    SHOW("chain 41 lstat", lstat("c41", &st));
    return 0;
}
