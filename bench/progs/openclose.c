/* open+close of a rootfs file: one path resolution (openat) and one close
 * per op.  usage: openclose N [PATH]   (PATH defaults to /etc/passwd) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench.h"
#include <unistd.h>


static const char *path = "/etc/passwd";

static void op(long i) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); exit(1); }
    if (close(fd) != 0) { perror("close"); exit(1); }
}

int main(int argc, char **argv) {
    if (argc > 2)
        path = argv[2];
    time_ops(argc > 1 ? atol(argv[1]) : 10000, op);
    return 0;
}
