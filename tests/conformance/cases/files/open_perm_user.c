/* family: files
 * open(2) permission checks for an ordinary user: read needs r, write needs w,
 * O_TRUNC needs w even with O_RDONLY; creating needs w and x on the directory
 * (EACCES), opening an existing file in an unwritable directory does not;
 * O_CREAT on an existing unwritable file is EACCES; root bypasses them all.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); if (_r > 2) close(_r); _r; })

int main(void)
{
    mkdir("/tmp/open_perm_user", 0755);
    chdir("/tmp/open_perm_user");
    close(open("r", O_CREAT | O_WRONLY, 0444));
    close(open("w", O_CREAT | O_WRONLY, 0222));
    close(open("none", O_CREAT | O_WRONLY, 0000));
    OK("root none rdwr", open("none", O_RDWR));
    SHOW("setresuid", setresuid(1000, 1000, 1000));
    OK("read r", open("r", O_RDONLY));
    OK("write r", open("r", O_WRONLY));
    OK("trunc r", open("r", O_RDONLY | O_TRUNC));
    OK("read w", open("w", O_RDONLY));
    OK("write w", open("w", O_WRONLY));
    OK("rdwr w", open("w", O_RDWR));
    OK("none", open("none", O_RDONLY));
    OK("create in root dir", open("new", O_CREAT | O_WRONLY, 0644));
    OK("creat existing r", open("r", O_CREAT | O_WRONLY, 0644));
    OK("creat existing r rdonly", open("r", O_CREAT | O_RDONLY, 0644));
    OK("tmp create", open("/tmp/open_perm_user_mine", O_CREAT | O_WRONLY, 0644));
    OK("dir read", open(".", O_RDONLY | O_DIRECTORY));
    return 0;
}
