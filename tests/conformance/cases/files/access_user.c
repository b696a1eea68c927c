/* family: files
 * access(2) checks the real uid and gid, faccessat(AT_EACCESS) the effective
 * ones: with real uid 1000 and effective 0, access(R_OK) on a root-only file is
 * EACCES and faccessat(..., AT_EACCESS) allows it; as uid 1000 throughout,
 * owner, group and other bits apply in that order (the owner's bits alone,
 * even if "other" would allow more); search permission on every directory.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/access_user", 0755);
    chdir("/tmp/access_user");
    close(open("rootonly", O_CREAT | O_WRONLY, 0600));
    close(open("world", O_CREAT | O_WRONLY, 0644));
    close(open("owner_none", O_CREAT | O_WRONLY, 0007));
    chown("owner_none", 1000, 0);
    close(open("group_r", O_CREAT | O_WRONLY, 0040));
    chown("group_r", 0, 1000);
    mkdir("noexec", 0700);
    close(open("noexec/f", O_CREAT | O_WRONLY, 0644));
    SHOW("setreuid 1000,0", setreuid(1000, 0));
    SHOW("access R rootonly", access("rootonly", R_OK));
    SHOW("eaccess R rootonly", faccessat(AT_FDCWD, "rootonly", R_OK, AT_EACCESS));
    SHOW("raw faccessat2 eaccess", syscall(SYS_faccessat2, AT_FDCWD, "rootonly", R_OK, AT_EACCESS));
    setresgid(1000, 1000, 1000);
    SHOW("setresuid 1000", setresuid(1000, 1000, 1000));
    SHOW("R world", access("world", R_OK));
    SHOW("W world", access("world", W_OK));
    SHOW("R owner_none (other rwx)", access("owner_none", R_OK));
    SHOW("R group_r", access("group_r", R_OK));
    SHOW("W group_r", access("group_r", W_OK));
    SHOW("F through noexec", access("noexec/f", F_OK));
    SHOW("R rootonly", access("rootonly", R_OK));
    SHOW("F rootonly", access("rootonly", F_OK));
    return 0;
}
