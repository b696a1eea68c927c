/* getppid loop: one emulated syscall per op.  syscall(SYS_getppid) is used
 * instead of getppid() so that no libc could ever cache the answer.
 * usage: getppid N   -> prints "ns_per_op=X" */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    long sum = 0;
    for (long i = 0; i < n / 10 + 1; i++)          /* warm-up */
        sum += syscall(SYS_getppid);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        sum += syscall(SYS_getppid);
    double t1 = now_ns();
    if (sum == -12345) puts("");                    /* keep sum alive */
    printf("ns_per_op=%.1f\n", (t1 - t0) / n);
    return 0;
}
