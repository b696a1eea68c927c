/* setfsuid(2)/setfsgid(2) return the previous file-system id whether or not they
 * change it; root may set any; a file created after setfsuid belongs to the
 * file-system uid and gid, not the effective ones; setresuid resets the
 * file-system uid to the new effective uid; an unprivileged process may set it
 * only to its real, effective, saved or current fs uid (else nothing changes).
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <sys/fsuid.h>

int main(void)
{
    SAY("setfsuid(1000) old=%d", setfsuid(1000));
    SAY("setfsuid(-1) current=%d", setfsuid(-1));
    SAY("setfsgid(2000) old=%d", setfsgid(2000));
    SAY("setfsgid(-1) current=%d", setfsgid(-1));
    int fd = open("/tmp/fsfile", O_CREAT | O_WRONLY, 0644);
    struct stat st;
    fstat(fd, &st);
    SAY("new file owner=%u:%u", st.st_uid, st.st_gid);
    SAY("euid still=%d", geteuid());
    setfsuid(0);
    setfsgid(0);
    setresuid(1000, 1000, 1000);
    SAY("after setresuid fsuid=%d", setfsuid(-1));
    SAY("user setfsuid(5) old=%d", setfsuid(5));
    SAY("then current=%d", setfsuid(-1));
    return 0;
}
