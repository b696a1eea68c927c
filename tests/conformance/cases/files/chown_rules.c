/* family: files
 * chown(2) rules for an ordinary user: the owner may change the group to one
 * of its own groups (primary or supplementary), not to another (EPERM), and
 * may name its own uid; it may not give the file away (EPERM); a non-owner
 * may change nothing, not even to the same ids, but chown(-1, -1) asks for no
 * change and succeeds; root may set any ids.
 * root: uids and gids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <grp.h>

static void own(const char *p)
{
    struct stat st;
    if (lstat(p, &st)) SAY("%s: %s", p, errname(errno));
    else SAY("%s: uid=%u gid=%u mode=%o", p, st.st_uid, st.st_gid, st.st_mode);
}

int main(void)
{
    mkdir("/tmp/chown_rules", 0777);
    chdir("/tmp/chown_rules");
    close(open("mine", O_CREAT | O_WRONLY, 0644));
    close(open("theirs", O_CREAT | O_WRONLY, 0644));
    SHOW("root chown", chown("mine", 1000, 1000));
    own("mine");
    SHOW("root chown other", chown("theirs", 2000, 2000));
    gid_t groups[] = { 1000, 3000 };
    setgroups(2, groups);
    setresgid(1000, 1000, 1000);
    SHOW("setresuid", setresuid(1000, 1000, 1000));
    SHOW("chgrp to supplementary", chown("mine", -1, 3000));
    own("mine");
    SHOW("chgrp to primary", chown("mine", 1000, 1000));
    own("mine");
    SHOW("chgrp to other group", chown("mine", -1, 4000));
    SHOW("give away", chown("mine", 2000, -1));
    SHOW("non-owner chgrp", chown("theirs", -1, 1000));
    SHOW("non-owner same ids", chown("theirs", 2000, 2000));
    SHOW("non-owner -1 -1", chown("theirs", -1, -1));
    own("mine");
    return 0;
}
