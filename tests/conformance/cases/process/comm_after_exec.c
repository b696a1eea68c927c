/* After execve(2) the thread's name (PR_GET_NAME, /proc/self/comm) is the last
 * component of the path execve was given, so a program run as /proc/self/exe
 * is called "exe", whatever its file is named.
 */
#include "case.h"
#include <sys/prctl.h>

int main(int argc, char **argv)
{
    char n[32] = {0}, b[32] = {0};
    if (argc > 1) {
        prctl(PR_GET_NAME, n);
        int fd = open("/proc/self/comm", O_RDONLY);
        read(fd, b, sizeof b - 1);
        b[strcspn(b, "\n")] = 0;
        SAY("name=%s comm=%s", n, b);
        return 0;
    }
    char *a[] = {argv[0], "again", 0};
    execv("/proc/self/exe", a);
    return 1;
}
