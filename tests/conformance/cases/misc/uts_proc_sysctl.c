/* family: misc
 * The UTS names are also /proc/sys/kernel/hostname and domainname: after
 * sethostname the file shows the new name (with a newline); root may write
 * the file, and gethostname then returns what was written (a trailing
 * newline is dropped). The case puts the names back at the end.
 * root: /proc/sys files belong to the initial user namespace's root; root of a user namespace may not open them for writing
 */
#include "case.h"

int main(void)
{
    char name[128] = {0};
    SHOW("sethostname", sethostname("via-syscall", 11));
    show_file("/proc/sys/kernel/hostname");
    int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
    SAY("open for writing ok=%d", fd >= 0);
    SHOW("write", write(fd, "via-proc\n", 9));
    close(fd);
    gethostname(name, sizeof name);
    SAY("gethostname=%s", name);
    fd = open("/proc/sys/kernel/domainname", O_WRONLY);
    SHOW("write domainname", write(fd, "dom", 3));
    close(fd);
    getdomainname(name, sizeof name);
    SAY("getdomainname=%s", name);
    show_file("/proc/sys/kernel/domainname");
    sethostname("umlpy", 5);
    setdomainname("(none)", 6);
    return 0;
}
