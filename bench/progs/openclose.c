/* open+close of a rootfs file: one path resolution (openat) and one close
 * per op.  usage: openclose N [PATH]   (PATH defaults to /etc/passwd) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void once(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); exit(1); }
    if (close(fd) != 0) { perror("close"); exit(1); }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    const char *path = argc > 2 ? argv[2] : "/etc/passwd";
    for (long i = 0; i < n / 10 + 1; i++)
        once(path);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        once(path);
    double t1 = now_ns();
    printf("ns_per_op=%.1f\n", (t1 - t0) / n);
    return 0;
}
