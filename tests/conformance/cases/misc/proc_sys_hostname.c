/* family: misc
 * /proc/sys/kernel/hostname and domainname show the UTS namespace's names,
 * with a newline; /proc/sys/kernel/ostype is "Linux".
 */
#include "case.h"

static void show_file(const char *path)
{
    char b[128] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        SAY("%s: %s", path, errname(errno));
        return;
    }
    ssize_t n = read(fd, b, sizeof b - 1);
    SAY("%s: n=%zd text=%s", path, n, strtok(b, "\n"));
    close(fd);
}

int main(void)
{
    show_file("/proc/sys/kernel/hostname");
    show_file("/proc/sys/kernel/ostype");
    return 0;
}
