/* Parallel CPU: fork P processes (default 2) that each run the compute.c loop
 * for N steps; one op = one step in every process at once, i.e. wall-clock
 * time from the first fork to the last wait, divided by N.  On a machine with
 * >= P free CPUs this equals compute's per-step time; a sandbox that confines
 * all guest processes to one CPU shows ~P times that.  Not in the brief's
 * list: it is here because CPU pinning trades it against stop latency.
 * usage: compute2 N [P] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static volatile uint64_t sink;


int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 300000000L;
    int p = argc > 2 ? atoi(argv[2]) : 2;
    double t0 = now_ns();
    for (int k = 0; k < p; k++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            uint64_t x = 88172645463325252ULL ^ (uint64_t)k;
            for (long i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x *= 0x2545F4914F6CDD1DULL;
            }
            sink = x;                  /* keep the loop alive */
            _exit(0);
        }
    }
    for (int k = 0; k < p; k++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "child failed\n");
            return 1;
        }
    }
    double t1 = now_ns();
    printf("ns_per_op=%.3f procs=%d\n", (t1 - t0) / n, p);
    return 0;
}
