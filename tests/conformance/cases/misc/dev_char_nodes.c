/* family: misc
 * The character devices every process relies on: /dev/null reads end of
 * file and swallows writes; /dev/zero reads zeros; /dev/full reads zeros and
 * refuses writes with ENOSPC; /dev/urandom and /dev/random read bytes; lseek
 * on /dev/null is allowed (returns 0); /dev/tty without a controlling
 * terminal is ENXIO; all are character devices of mode 0666.
 */
#include "case.h"
#include <sys/sysmacros.h>

int main(void)
{
    const char *devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
    for (int i = 0; i < 6; i++) {
        struct stat st;
        if (stat(devs[i], &st) < 0) {
            SAY("%s: %s", devs[i], errname(errno));
            continue;
        }
        SAY("%s: chr=%d mode=%o rdev=%u,%u", devs[i], S_ISCHR(st.st_mode), st.st_mode & 0777, major(st.st_rdev),
            minor(st.st_rdev));
    }
    char b[16];
    int n = open("/dev/null", O_RDWR);
    SHOW("null read", read(n, b, sizeof b));
    SHOW("null write", write(n, "abc", 3));
    SHOW("null lseek", lseek(n, 100, SEEK_SET));
    int z = open("/dev/zero", O_RDWR);
    memset(b, 1, sizeof b);
    SHOW("zero read", read(z, b, sizeof b));
    SAY("zeros=%d", b[0] == 0 && b[15] == 0);
    SHOW("zero write", write(z, "abc", 3));
    int f = open("/dev/full", O_RDWR);
    SHOW("full write", write(f, "abc", 3));
    SHOW("full read", read(f, b, sizeof b));
    int u = open("/dev/urandom", O_RDONLY);
    SHOW("urandom read", read(u, b, sizeof b));
    int r = open("/dev/random", O_RDONLY);
    SHOW("random read", read(r, b, sizeof b));
    SHOW("tty open", open("/dev/tty", O_RDWR));
    return 0;
}
