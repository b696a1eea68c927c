/* family: files
 * RLIMIT_FSIZE: growing a file past the limit by truncate, ftruncate, write or
 * fallocate fails with EFBIG and sends SIGXFSZ (caught here); shrinking, or
 * growing up to the limit, is allowed; a write that crosses the limit is
 * shortened to it.
 */
#include "case.h"

static volatile int xfsz;
static void on_xfsz(int sig) { xfsz++; }

int main(void)
{
    signal(SIGXFSZ, on_xfsz);
    mkdir("/tmp/truncate_fsize", 0755);
    chdir("/tmp/truncate_fsize");
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    struct rlimit rl = { 4096, 4096 };
    SHOW("setrlimit", setrlimit(RLIMIT_FSIZE, &rl));
    SHOW("truncate to limit", truncate("f", 4096));
    SAY("signals=%d", xfsz);
    SHOW("truncate past", truncate("f", 8192));
    SAY("signals=%d", xfsz);
    SHOW("ftruncate past", ftruncate(fd, 5000));
    SAY("signals=%d", xfsz);
    SHOW("truncate shrink", truncate("f", 100));
    SAY("signals=%d", xfsz);
    static char buf[8192];
    SHOW("pwrite crossing", pwrite(fd, buf, 8192, 0));
    SAY("signals=%d", xfsz);
    SHOW("pwrite at limit", pwrite(fd, buf, 10, 4096));
    SAY("signals=%d", xfsz);
    SHOW("fallocate past", fallocate(fd, 0, 0, 8192));
    SAY("signals=%d", xfsz);
    struct stat st;
    stat("f", &st);
    SAY("size=%ld", (long)st.st_size);
    return 0;
}
