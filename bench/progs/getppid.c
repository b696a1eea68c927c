/* getppid loop: one emulated syscall per op.  syscall(SYS_getppid) is used
 * instead of getppid() so that no libc could ever cache the answer.
 * usage: getppid N   -> prints "ns_per_op=X" */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include "bench.h"
#include <unistd.h>
#include <sys/syscall.h>

static void op(long i) {
    syscall(SYS_getppid);          /* not getppid(): no libc caching */
}

int main(int argc, char **argv) {
    time_ops(argc > 1 ? atol(argv[1]) : 10000, op);
    return 0;
}
