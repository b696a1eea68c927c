/* 64 KiB read from an open file: pread64(fd, buf, 65536, 0) per op, i.e. the
 * "native" syscall class (no stop under umlpy's seccomp allowlist).  The file
 * is opened once, outside the timed loop.
 * usage: read64k N [PATH]   (PATH defaults to /bench/data64k, >= 64 KiB) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SZ 65536
static char buf[SZ];

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    const char *path = argc > 2 ? argv[2] : "/bench/data64k";
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    long sum = 0;
    for (long i = 0; i < n / 10 + 1; i++) {
        ssize_t r = pread(fd, buf, SZ, 0);
        if (r != SZ) { fprintf(stderr, "pread: short read %zd\n", r); return 1; }
        sum += buf[i % SZ];
    }
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        ssize_t r = pread(fd, buf, SZ, 0);
        if (r != SZ) { fprintf(stderr, "pread: short read %zd\n", r); return 1; }
        sum += buf[i % SZ];
    }
    double t1 = now_ns();
    close(fd);
    if (sum == -12345) puts("");
    printf("ns_per_op=%.1f\n", (t1 - t0) / n);
    return 0;
}
