/* Pure CPU: N steps of a 64-bit xorshift-multiply chain (each step depends
 * on the previous one, so the compiler cannot vectorise or skip it).  No
 * syscalls in the timed loop; the ratio to native should be ~1.
 * usage: compute N */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench.h"


int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 300000000L;
    uint64_t x = 88172645463325252ULL ^ (uint64_t)argc;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x *= 0x2545F4914F6CDD1DULL;
    }
    double t1 = now_ns();
    printf("ns_per_op=%.3f checksum=%llu\n", (t1 - t0) / n, (unsigned long long)x);
    return 0;
}
