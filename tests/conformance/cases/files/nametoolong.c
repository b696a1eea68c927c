/* family: files
 * Name limits: a component of 255 bytes is fine (ENOENT when missing), 256 is
 * ENAMETOOLONG, in any position; a whole path of 4096 bytes or more is
 * ENAMETOOLONG, 4095 is looked up; a symlink target of 4095 bytes may be
 * stored and read back, 4096 is ENAMETOOLONG.
 */
#include "case.h"

int main(void)
{
    static char p[8192], name[300];
    struct stat st;
    mkdir("/tmp/nametoolong", 0755);
    chdir("/tmp/nametoolong");
    memset(name, 'n', 255);
    name[255] = 0;
    SHOW("255 missing", stat(name, &st));
    SHOW("255 create", open(name, O_CREAT | O_WRONLY, 0644) >= 0);
    SHOW("255 stat", stat(name, &st));
    name[255] = 'n'; name[256] = 0;
    SHOW("256", stat(name, &st));
    SHOW("256 create", open(name, O_CREAT | O_WRONLY, 0644));
    SHOW("256 mkdir", mkdir(name, 0755));
    snprintf(p, sizeof p, "%s/x", name);
    SHOW("256 middle", stat(p, &st));
    memset(p, 0, sizeof p);
    for (int i = 0; i < 4094; i += 2) memcpy(p + i, "./", 2);
    p[4094] = 'x';
    SAY("len=%zu", strlen(p));
    SHOW("4095 path", stat(p, &st));
    p[4095] = 'x';
    SHOW("4096 path", stat(p, &st));
    memset(p, 0, sizeof p);
    memset(p, 'a', 4095);
    SHOW("symlink 4095", symlink(p, "long"));
    static char back[8192];
    SHOW("readlink 4095", readlink("long", back, sizeof back));
    SHOW("lstat size", lstat("long", &st) == 0 ? st.st_size : -1);
    p[4095] = 'a';
    SHOW("symlink 4096", symlink(p, "long2"));
    return 0;
}
