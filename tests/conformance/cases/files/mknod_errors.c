/* family: files
 * mknod(2) of device nodes, its errors and what a node is afterwards: a bad
 * type is EINVAL and a directory EPERM (both before the lookup); an existing
 * name is EEXIST; a missing parent ENOENT; without CAP_MKNOD (uid 1000) a
 * character or block node is EPERM, but only after the directory's write
 * permission is checked (EACCES first), while a FIFO is still allowed.  A node
 * keeps its type and rdev through chmod, rename and a hard link (one inode:
 * two links), readdir gives DT_CHR/DT_BLK, and the umask applies.
 * root: device nodes need CAP_MKNOD in the initial user namespace
 */
#include "case.h"
#include <dirent.h>
#include <sys/sysmacros.h>

static void show(const char *p)
{
    struct stat st;
    if (lstat(p, &st)) { SAY("%s: %s", p, errname(errno)); return; }
    SAY("%s: mode=%06o rdev=%u:%u nlink=%ld size=%ld", p, st.st_mode, major(st.st_rdev),
        minor(st.st_rdev), (long)st.st_nlink, (long)st.st_size);
}

int main(void)
{
    mkdir("/tmp/mknod_errors", 0755);
    chdir("/tmp/mknod_errors");
    umask(022);
    SHOW("chr", mknod("c", S_IFCHR | 0666, makedev(1, 5)));
    show("c");
    SHOW("blk", mknod("b", S_IFBLK | 0640, makedev(240, 17)));
    show("b");
    SHOW("big numbers", mknod("big", S_IFCHR | 0600, makedev(300, 70000)));
    show("big");
    SHOW("existing", mknod("c", S_IFCHR | 0666, makedev(1, 3)));
    SHOW("existing file", mknod("b", S_IFIFO | 0666, 0));
    SHOW("bad type", mknod("x", 0150000 | 0644, makedev(1, 3)));
    SHOW("dir type", mknod("x", S_IFDIR | 0755, 0));
    SHOW("missing parent", mknod("nodir/x", S_IFCHR | 0644, makedev(1, 3)));
    SHOW("chmod", chmod("c", 0600));
    show("c");
    SHOW("rename", rename("c", "c2"));
    show("c2");
    SHOW("link", link("c2", "c3"));
    show("c3");
    SHOW("unlink", unlink("c2"));
    show("c3");
    DIR *d = opendir(".");
    struct dirent *e;
    int chr = 0, blk = 0;
    while ((e = readdir(d)))
        chr += e->d_type == DT_CHR, blk += e->d_type == DT_BLK;
    closedir(d);
    SAY("readdir chr=%d blk=%d", chr, blk);
    SHOW("truncate", truncate("c3", 0));
    mkdir("ro", 0755);
    mkdir("rw", 0777);
    chmod("rw", 0777);
    SHOW("setuid 1000", setresuid(1000, 1000, 1000));
    SHOW("user chr", mknod("rw/c", S_IFCHR | 0666, makedev(1, 3)));
    SHOW("user blk", mknod("rw/b", S_IFBLK | 0666, makedev(240, 0)));
    SHOW("user chr no write", mknod("ro/c", S_IFCHR | 0666, makedev(1, 3)));
    SHOW("user chr existing", mknod("c3", S_IFCHR | 0666, makedev(1, 3)));
    SHOW("user fifo", mknod("rw/f", S_IFIFO | 0666, 0));
    show("c3");
    return 0;
}
