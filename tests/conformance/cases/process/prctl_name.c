/* prctl(PR_SET_NAME) sets the thread's name (comm), cut to 15 bytes;
 * PR_GET_NAME and /proc/self/comm read it back; after execve the name is the
 * file name of the new program (its first 15 bytes), not what was set before.
 */
#include "case.h"
#include <sys/prctl.h>

static void comm(const char *l)
{
    char b[64] = {0};
    int fd = open("/proc/self/comm", O_RDONLY);
    read(fd, b, sizeof b - 1);
    close(fd);
    b[strcspn(b, "\n")] = 0;
    SAY("%s comm=%s", l, b);
}

int main(int argc, char **argv)
{
    char n[32] = {0};
    if (argc > 1) {
        prctl(PR_GET_NAME, n);
        SAY("after exec name=%s", n);
        comm("after exec");
        return 0;
    }
    prctl(PR_GET_NAME, n);
    SAY("initial name=%s", n);
    SHOW("set", prctl(PR_SET_NAME, "a-very-long-thread-name-indeed"));
    prctl(PR_GET_NAME, n);
    SAY("name=%s len=%zu", n, strlen(n));
    comm("now");
    fflush(stdout);
    char *a[] = {argv[0], "again", 0};
    execv(argv[0], a);
    SAY("exec failed %s", errname(errno));
    return 0;
}
