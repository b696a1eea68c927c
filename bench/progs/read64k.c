/* 64 KiB read from an open file: pread64(fd, buf, 65536, 0) per op, i.e. the
 * "native" syscall class (no stop under umlpy's seccomp allowlist).  The file
 * is opened once, outside the timed loop.
 * usage: read64k N [PATH]   (PATH defaults to /bench/data64k, >= 64 KiB) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench.h"
#include <unistd.h>

#define SZ 65536
static char buf[SZ];


static int fd;
static long sum;

static void op(long i) {
    ssize_t r = pread(fd, buf, SZ, 0);
    if (r != SZ) { fprintf(stderr, "pread: short read %zd\n", r); exit(1); }
    sum += buf[i % SZ];
}

int main(int argc, char **argv) {
    const char *path = argc > 2 ? argv[2] : "/bench/data64k";
    fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    time_ops(argc > 1 ? atol(argv[1]) : 10000, op);
    close(fd);
    return sum == -12345;           /* keep sum alive */
}
