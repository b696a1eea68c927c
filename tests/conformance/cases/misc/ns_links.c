/* family: misc
 * /proc/PID/ns lists every kind of namespace as a magic link "KIND:[ID]".
 * Processes in the same namespace read the same link, and stat (following it)
 * gives the same inode, the ID, on nsfs's device; after unshare the link
 * names another namespace.  setns with an fd of such a file joins that
 * namespace; an nstype that does not match the fd is EINVAL, and a file that
 * is no namespace is EINVAL too, even one named like a namespace link's target.
 * differs: ^link -- the namespace ids are the host kernel's numbers natively
 */
#include "case.h"
#include <dirent.h>
#include <sched.h>

static void link_of(const char *path, char *out, size_t n)
{
    ssize_t r = readlink(path, out, n - 1);
    out[r < 0 ? 0 : r] = 0;
}

int main(void)
{
    DIR *d = opendir("/proc/self/ns");
    struct dirent *e;
    char names[512] = "";
    const char *want[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                          "time_for_children", "user", "uts"};
    int count = 0;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            count++;
    closedir(d);
    for (unsigned i = 0; i < sizeof want / sizeof *want; i++) {
        char p[64], l[64];
        snprintf(p, sizeof p, "/proc/self/ns/%s", want[i]);
        link_of(p, l, sizeof l);
        strcat(names, l[0] ? "y" : "n");
    }
    SAY("entries=%d all present=%s", count, names);

    char mine[64], parent[64], uts[64];
    link_of("/proc/self/ns/uts", uts, sizeof uts);
    SAY("link %s", uts);
    SAY("uts link form ok=%d", strncmp(uts, "uts:[", 5) == 0 && uts[strlen(uts) - 1] == ']');
    struct stat a, b;
    stat("/proc/self/ns/uts", &a);
    SAY("inode is the id=%d regular=%d mode=%o", a.st_ino == strtoull(uts + 5, 0, 10),
        S_ISREG(a.st_mode), a.st_mode & 07777);
    stat("/proc/self/ns/mnt", &b);
    SAY("same device for two kinds=%d", a.st_dev == b.st_dev);

    int fd = open("/proc/self/ns/uts", O_RDONLY);
    SAY("open uts ok=%d", fd >= 0);
    SHOW("setns wrong type", setns(fd, CLONE_NEWNS));
    SHOW("setns bad fd", setns(-1, 0));
    int plain = open("/proc/self/status", O_RDONLY);
    SHOW("setns a plain file", setns(plain, 0));
    close(plain);
    char fake[64];
    mkdir("/tmp/ns", 0755);
    snprintf(fake, sizeof fake, "/tmp/ns/%s", uts);       /* a file named like the link's target */
    int f = open(fake, O_CREAT | O_RDONLY, 0644);
    SHOW("setns a file named uts:[ID]", setns(f, 0));
    close(f);
    unlink(fake);
    rmdir("/tmp/ns");

    pid_t ppid = getpid();
    int pipefd[2];
    pipe(pipefd);
    pid_t pid = fork();
    if (pid == 0) {
        char p[64], l[64];
        snprintf(p, sizeof p, "/proc/%d/ns/uts", ppid);
        link_of(p, parent, sizeof parent);
        link_of("/proc/self/ns/uts", mine, sizeof mine);
        SAY("child before unshare: same uts=%d", strcmp(mine, parent) == 0);
        unshare(CLONE_NEWUTS);
        sethostname("nsl", 3);
        link_of("/proc/self/ns/uts", l, sizeof l);
        SAY("child after unshare: same uts=%d", strcmp(l, parent) == 0);
        struct stat c;
        stat("/proc/self/ns/uts", &c);
        SAY("child inode differs=%d", c.st_ino != a.st_ino);
        SHOW("child setns back to the parent's", setns(fd, CLONE_NEWUTS));
        link_of("/proc/self/ns/uts", l, sizeof l);
        char host[65] = {0};
        gethostname(host, sizeof host);
        SAY("child after setns: same uts=%d hostname is nsl=%d", strcmp(l, parent) == 0,
            strcmp(host, "nsl") == 0);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return 0;
}
