/* family: files
 * listxattr(2): the names, each NUL-terminated; size 0 asks for the length, a
 * buffer too small is ERANGE; a file with none lists nothing (0); after a
 * removexattr the name is gone from the list; llistxattr of a symlink lists
 * the link's own (none), listxattr follows it; flistxattr on an fd.  The names
 * are printed sorted, so the order a file system keeps them in does not matter.
 */
#include "case.h"
#include <sys/xattr.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(const char *label, long n, char *buf)
{
    if (n < 0) { SAY("%s=-1 %s", label, errname(errno)); return; }
    char *names[32];
    int k = 0;
    for (char *p = buf; p < buf + n && k < 32; p += strlen(p) + 1) names[k++] = p;
    qsort(names, k, sizeof *names, cmp);
    printf("%s=%ld:", label, n);
    for (int i = 0; i < k; i++) printf(" %s", names[i]);
    printf("\n");
    fflush(stdout);
}

int main(void)
{
    char buf[256];
    mkdir("/tmp/xattr_list", 0755);
    chdir("/tmp/xattr_list");
    close(open("f", O_CREAT | O_WRONLY, 0644));
    symlink("f", "l");
    list("none", listxattr("f", buf, sizeof buf), buf);
    setxattr("f", "user.b", "2", 1, 0);
    setxattr("f", "user.a", "1", 1, 0);
    setxattr("f", "user.long.name.here", "3", 1, 0);
    SHOW("size query", listxattr("f", NULL, 0));
    SHOW("small", listxattr("f", buf, 5));
    list("all", listxattr("f", buf, sizeof buf), buf);
    list("follow", listxattr("l", buf, sizeof buf), buf);
    list("symlink itself", llistxattr("l", buf, sizeof buf), buf);
    removexattr("f", "user.b");
    list("after remove", listxattr("f", buf, sizeof buf), buf);
    int fd = open("f", O_RDONLY);
    list("flist", flistxattr(fd, buf, sizeof buf), buf);
    close(fd);
    SHOW("missing", listxattr("nope", buf, sizeof buf));
    return 0;
}
