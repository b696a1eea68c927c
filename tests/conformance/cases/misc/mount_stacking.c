/* family: misc
 * Mounts stack: a mount over a mount point covers what was there (the mount
 * and the mounts below it), and unmounting it brings all of it back, as it
 * was; a lazy unmount of a mount with mounts below it takes those too; a bind
 * mount over a directory covers it the same way.  (mount(2), umount(2):
 * "the previous contents ... become visible again".)
 * root: mount(2)
 */
#include "case.h"
#include <sys/mount.h>

static void look(const char *when)
{
    char buf[64] = "";
    int fd = open("/mnt/a/mark", O_RDONLY);
    if (fd >= 0) {
        buf[read(fd, buf, sizeof buf - 1) > 0 ? strcspn(buf, "\n") : 0] = 0;
        close(fd);
    }
    struct stat st;
    SAY("%s: mark=%s sub=%s top=%s", when, fd >= 0 ? buf : errname(errno),
        stat("/mnt/a/sub/inner", &st) == 0 ? "yes" : errname(errno),
        stat("/mnt/a/top", &st) == 0 ? "yes" : errname(errno));
}

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, text, strlen(text));
    close(fd);
}

int main(void)
{
    SHOW("unshare mount ns", unshare(CLONE_NEWNS));
    SHOW("tmpfs on /mnt", mount("none", "/mnt", "tmpfs", 0, NULL));
    mkdir("/mnt/a", 0755);
    SHOW("first tmpfs on /mnt/a", mount("first", "/mnt/a", "tmpfs", 0, NULL));
    put("/mnt/a/mark", "first\n");
    mkdir("/mnt/a/sub", 0755);
    SHOW("tmpfs on /mnt/a/sub", mount("inner", "/mnt/a/sub", "tmpfs", 0, NULL));
    put("/mnt/a/sub/inner", "x");
    look("one");
    SHOW("second tmpfs on /mnt/a", mount("second", "/mnt/a", "tmpfs", 0, NULL));
    put("/mnt/a/top", "y");
    look("covered");
    SHOW("umount the second", umount("/mnt/a"));
    look("uncovered");
    SHOW("third tmpfs on /mnt/a", mount("third", "/mnt/a", "tmpfs", 0, NULL));
    mkdir("/mnt/a/sub", 0755);
    SHOW("tmpfs on the third's sub", mount("inner2", "/mnt/a/sub", "tmpfs", 0, NULL));
    SHOW("umount the third, busy", umount("/mnt/a"));
    SHOW("umount2 the third, lazy", umount2("/mnt/a", MNT_DETACH));
    look("after lazy");
    mkdir("/mnt/b", 0755);
    put("/mnt/b/mark", "bound\n");
    SHOW("bind /mnt/b on /mnt/a", mount("/mnt/b", "/mnt/a", NULL, MS_BIND, NULL));
    look("bind");
    SHOW("umount the bind", umount("/mnt/a"));
    look("back");
    SHOW("umount first's sub", umount("/mnt/a/sub"));
    SHOW("umount the first", umount("/mnt/a"));
    look("bare");
    return 0;
}
