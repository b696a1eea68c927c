/* family: pipes
 * A pipe's reader sees end-of-file only when every write end is closed,
 * including copies inherited by children; data written by several
 * processes arrives in the order written.
 */
#include "case.h"

int main(void)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        write(p[1], "child\n", 6);
        char b;
        read(p[0], &b, 0);
        sleep(0);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    write(p[1], "parent\n", 7);
    int d = dup(p[1]);
    close(p[1]);
    char b[64] = {0};
    SHOW("read", read(p[0], b, sizeof b));
    SAY("data=%s", strtok(b, "\n"));
    SAY("next=%s", strtok(NULL, "\n"));
    int fl = fcntl(p[0], F_GETFL);
    fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    SHOW("read with dup'd writer", read(p[0], b, 1));
    close(d);
    SHOW("read all closed", read(p[0], b, 1));
    return 0;
}
