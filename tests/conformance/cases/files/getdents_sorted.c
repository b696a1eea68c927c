/* family: files
 * getdents64(2): a directory lists "." and "..", and every name in it once,
 * with its type (d_type); an unlinked name is gone from a new listing; a
 * rewind (lseek 0) lists again; getdents on a file is ENOTDIR, with a buffer
 * too small for one entry EINVAL.  (Sorted here: the order is the file
 * system's.)
 */
#include "case.h"
#include <dirent.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(int fd, const char *label)
{
    char buf[4096], *names[64];
    int n = 0;
    long r;
    while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < r; ) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            names[n] = malloc(300);
            snprintf(names[n++], 300, "%s:%d", d->d_name, d->d_type);
            off += d->d_reclen;
        }
    }
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", label);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
    fflush(stdout);
}

int main(void)
{
    mkdir("/tmp/getdents_sorted", 0755);
    chdir("/tmp/getdents_sorted");
    close(open("file", O_CREAT | O_WRONLY, 0644));
    mkdir("dir", 0755);
    symlink("file", "link");
    mkfifo("fifo", 0644);
    close(open("gone", O_CREAT | O_WRONLY, 0644));
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    list(fd, "first");
    unlink("gone");
    int fd2 = open(".", O_RDONLY | O_DIRECTORY);
    list(fd2, "after unlink");
    SHOW("lseek 0", lseek(fd2, 0, SEEK_SET));
    list(fd2, "rewound");
    list(fd2, "at end");
    int f = open("file", O_RDONLY);
    char buf[512];
    SHOW("on file", syscall(SYS_getdents64, f, buf, sizeof buf));
    lseek(fd2, 0, SEEK_SET);
    SHOW("tiny buffer", syscall(SYS_getdents64, fd2, buf, 8));
    SHOW("bad fd", syscall(SYS_getdents64, 99, buf, sizeof buf));
    mkdir("empty", 0755);
    int e = open("empty", O_RDONLY | O_DIRECTORY);
    list(e, "empty");
    return 0;
}
