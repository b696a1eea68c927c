/* stat of a rootfs file: one path resolution and a struct stat per op.
 * usage: stat N [PATH]   (PATH defaults to /etc/passwd) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "bench.h"


static const char *path = "/etc/passwd";

static void op(long i) {
    struct stat st;
    if (stat(path, &st) != 0) { perror(path); exit(1); }
}

int main(int argc, char **argv) {
    if (argc > 2)
        path = argv[2];
    time_ops(argc > 1 ? atol(argv[1]) : 10000, op);
    return 0;
}
