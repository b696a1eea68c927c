/* family: misc
 * pivot_root(2) in a new mount namespace.  Root first makes its root a mount
 * of its own (a bind of "/" over itself, entered through "/.."; the native
 * run is a chroot into a plain directory) and everything private.  Then:
 * ENOENT and ENOTDIR for a missing or non-directory argument; EBUSY when
 * new_root or put_old is on the current root's mount; EINVAL when new_root
 * is not a mount point or put_old is not at or under new_root.
 * pivot_root("/nr", "/nr/old") with a tmpfs at /nr makes it "/" and the old
 * root appear at /old; the caller's cwd, which was the old root, is the new
 * root; umount2("/old") is EBUSY (the old root's own mounts are below it),
 * with MNT_DETACH it goes.  Then the runc/bwrap idiom: chdir into a mount,
 * pivot_root(".", "."), umount2(".", MNT_DETACH): the mount is the root, the
 * old one (stacked over it) is gone.  A caller without CAP_SYS_ADMIN gets
 * EPERM.  The parent, in the first mount namespace, sees none of this.
 */
#include "case.h"
#include <dirent.h>
#include <sched.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(const char *dir)
{
    char *names[256];
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        SAY("ls %s: %s", dir, errname(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("ls %s:", dir);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
    fflush(stdout);
}

static long pivot(const char *new_root, const char *put_old)
{
    return syscall(SYS_pivot_root, new_root, put_old);
}

static void cwd(void)
{
    char buf[256];
    SAY("cwd=%s", getcwd(buf, sizeof buf) ? buf : errname(errno));
}

int main(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        SHOW("unshare newns", unshare(CLONE_NEWNS));
        SHOW("bind / over itself", mount("/", "/", NULL, MS_BIND | MS_REC, NULL));
        SHOW("chdir /..", chdir("/.."));
        SHOW("chroot .", chroot("."));
        SHOW("chdir /", chdir("/"));
        SHOW("make / rprivate", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
        mkdir("/nr", 0755);
        mkdir("/side", 0755);
        SHOW("mount tmpfs /nr", mount("t", "/nr", "tmpfs", 0, NULL));
        SHOW("mount tmpfs /side", mount("t", "/side", "tmpfs", 0, NULL));
        mkdir("/nr/old", 0755);
        mkdir("/nr/sub", 0755);
        mkdir("/nr/r2", 0755);
        close(open("/nr/hello", O_CREAT | O_WRONLY, 0644));
        SHOW("missing new_root", pivot("/nope", "/nr/old"));
        SHOW("new_root a file", pivot("/nr/hello", "/nr/old"));
        SHOW("put_old a file", pivot("/nr", "/nr/hello"));
        SHOW("new_root on the root mount", pivot("/etc", "/etc"));
        SHOW("put_old on the root mount", pivot("/nr", "/"));
        SHOW("new_root not a mount point", pivot("/nr/sub", "/nr/sub"));
        SHOW("put_old not under new_root", pivot("/nr", "/side"));
        pid_t c = fork();
        if (c == 0) {
            /* no capabilities left (capset: setuid would fail in the rootless
               native run, where only root is mapped) */
            struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
            struct __user_cap_data_struct d[2] = {{0}};
            SHOW("drop capabilities", syscall(SYS_capset, &h, d));
            SHOW("unprivileged", pivot("/nr", "/nr/old"));
            _exit(0);
        }
        waitpid(c, NULL, 0);
        SHOW("pivot_root /nr /nr/old", pivot("/nr", "/nr/old"));
        cwd();
        list("/");
        SAY("old root at /old: etc=%d c=%d nr=%d", access("/old/etc", F_OK) == 0,
            access("/old/c", F_OK) == 0, access("/old/nr", F_OK) == 0);
        SHOW("umount /old", umount2("/old", 0));
        SHOW("umount /old detached", umount2("/old", MNT_DETACH));
        list("/old");
        SAY("/old/etc after: %d", access("/old/etc", F_OK) == 0);
        SHOW("mount tmpfs /r2", mount("t", "/r2", "tmpfs", 0, NULL));
        close(open("/r2/marker", O_CREAT | O_WRONLY, 0644));
        SHOW("chdir /r2", chdir("/r2"));
        SHOW("pivot_root . .", pivot(".", "."));
        SHOW("umount . detached", umount2(".", MNT_DETACH));
        SHOW("chdir /", chdir("/"));
        cwd();
        list("/");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    SAY("parent: /etc=%d /nr/hello=%d", access("/etc", F_OK) == 0, access("/nr/hello", F_OK) == 0);
    rmdir("/nr");
    rmdir("/side");
    return 0;
}
