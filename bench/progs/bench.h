/* Shared by the microbenchmarks: a monotonic clock, and the loop that warms
 * up with N/10+1 runs of an op, times N more and prints "ns_per_op=X". */
#ifndef BENCH_H
#define BENCH_H
#include <stdio.h>
#include <time.h>

static inline double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void time_ops(long n, void (*op)(long i)) {
    for (long i = 0; i < n / 10 + 1; i++)          /* warm-up */
        op(i);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        op(i);
    printf("ns_per_op=%.1f\n", (now_ns() - t0) / n);
}
#endif
