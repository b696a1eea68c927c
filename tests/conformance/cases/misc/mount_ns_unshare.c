/* family: misc
 * A new mount namespace (root may make one): a child that calls
 * unshare(CLONE_NEWNS), makes /tmp private (MS_REC|MS_PRIVATE, as
 * `unshare -m` does for "/"), and mounts a tmpfs on a directory sees its
 * mount and its files; the parent sees neither, before or after the child
 * exits.  An umount in the child leaves the parent's /tmp where it was, and a
 * propagation change on a path that is not a mount point is EINVAL.
 */
#include "case.h"
#include <sched.h>
#include <sys/mount.h>

static int mounted(const char *point)
{
    char line[512];
    int n = 0;
    FILE *f = fopen("/proc/self/mountinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        char *p = strchr(line, ' ');
        for (int i = 0; p && i < 3; i++)
            p = strchr(p + 1, ' ');
        if (p && strncmp(p + 1, point, strlen(point)) == 0 && p[1 + strlen(point)] == ' ')
            n++;
    }
    if (f)
        fclose(f);
    return n;
}

int main(void)
{
    mkdir("/tmp/mp", 0755);
    mkdir("/tmp/keep", 0755);
    int up[2], down[2];                     /* child -> parent, parent -> child */
    pipe(up);
    pipe(down);
    pid_t pid = fork();
    if (pid == 0) {
        SHOW("unshare newns", unshare(CLONE_NEWNS));
        SHOW("make /tmp private", mount("none", "/tmp", NULL, MS_REC | MS_PRIVATE, NULL));
        SHOW("private on a plain directory", mount("none", "/tmp/keep", NULL, MS_PRIVATE, NULL));
        SHOW("two propagation types", mount("none", "/tmp", NULL, MS_PRIVATE | MS_SHARED, NULL));
        SHOW("mount tmpfs", mount("t", "/tmp/mp", "tmpfs", 0, NULL));
        int fd = open("/tmp/mp/inside", O_CREAT | O_WRONLY, 0644);
        SAY("create in the new mount ok=%d", fd >= 0);
        close(fd);
        SAY("child sees /tmp/mp mounted=%d", mounted("/tmp/mp"));
        char c = 'x';
        write(up[1], &c, 1);                /* the parent looks while the mount exists */
        read(down[0], &c, 1);
        SHOW("umount /tmp in the child", umount2("/tmp", MNT_DETACH));
        SAY("child: /tmp mounted=%d", mounted("/tmp"));
        _exit(0);
    }
    char c;
    read(up[0], &c, 1);
    SAY("parent sees /tmp/mp mounted=%d", mounted("/tmp/mp"));
    SAY("parent sees the file=%d", access("/tmp/mp/inside", F_OK) == 0);
    write(down[1], &c, 1);
    int st;
    waitpid(pid, &st, 0);
    SAY("parent after the child: /tmp mounted=%d /tmp/mp mounted=%d", mounted("/tmp"), mounted("/tmp/mp"));
    rmdir("/tmp/mp");
    rmdir("/tmp/keep");
    return 0;
}
