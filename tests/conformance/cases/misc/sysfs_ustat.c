/* family: misc
 * sysfs(2) (option 1: a file system type's index by name, 2: the name at an
 * index, 3: the number of types) agrees with itself and with
 * /proc/filesystems: every name listed there has an index whose name is it;
 * an unknown name, an index past the end and an unknown option are EINVAL,
 * a bad name pointer EFAULT.  ustat(2) answers for the device of a mounted
 * file system (st_dev of "/" and of /proc) and is EINVAL for a device with
 * nothing mounted, EFAULT for a bad buffer.
 */
#include "case.h"
#include <sys/sysmacros.h>

int main(void)
{
    long n = syscall(SYS_sysfs, 3);
    SHOW("count positive", n > 0);
    int consistent = 1;
    char name[64];
    for (long i = 0; i < n; i++) {
        if (syscall(SYS_sysfs, 2, i, name) != 0 || syscall(SYS_sysfs, 1, name) != i)
            consistent = 0;
    }
    SHOW("index <-> name consistent", consistent);
    FILE *f = fopen("/proc/filesystems", "r");
    char line[128];
    int listed = 0, found = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *type = strrchr(line, '\t');
        type = type ? type + 1 : line;
        type[strcspn(type, "\n")] = 0;
        listed++;
        if (syscall(SYS_sysfs, 1, type) >= 0)
            found++;
    }
    SHOW("every /proc/filesystems type has an index", listed > 0 && found == listed);
    SHOW("proc is known", syscall(SYS_sysfs, 1, "proc") >= 0);
    SHOW("tmpfs is known", syscall(SYS_sysfs, 1, "tmpfs") >= 0);
    SHOW("unknown name", syscall(SYS_sysfs, 1, "nosuchfs"));
    SHOW("index past the end", syscall(SYS_sysfs, 2, n, name));
    SHOW("option 4", syscall(SYS_sysfs, 4));
    SHOW("option 0", syscall(SYS_sysfs, 0));
    SHOW("bad name pointer", syscall(SYS_sysfs, 1, (char *)8));

    char u[32];
    struct stat st;
    stat("/", &st);
    SHOW("ustat of /", syscall(SYS_ustat, (unsigned)st.st_dev, u));
    stat("/proc", &st);
    SHOW("ustat of /proc", syscall(SYS_ustat, (unsigned)st.st_dev, u));
    SHOW("ustat nothing mounted", syscall(SYS_ustat, (unsigned)makedev(250, 250), u));
    stat("/", &st);
    SHOW("ustat bad buffer", syscall(SYS_ustat, (unsigned)st.st_dev, (void *)8));
    return 0;
}
