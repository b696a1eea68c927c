/* Fairness and throughput probes for bench/fairness.py.
 *
 *   fairness probe N PROBES   N threads call stat("/") without pause (each
 *                             call is a stop the supervisor serves); the
 *                             main thread sleeps 1 ms, then times one
 *                             emulated getppid, PROBES times, and prints
 *                             the delay's p50/p99/max in microseconds.
 *   fairness stat SECONDS     one thread calls stat("/") for SECONDS and
 *                             prints how many calls it made.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
    struct stat st;
    while (!stop)
        stat("/", &st);
    return arg;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int probe(int n, int probes)
{
    pthread_t *t = calloc(n, sizeof *t);
    double *d = calloc(probes, sizeof *d);
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], 0, spin, 0);
    for (int i = 0; i < probes; i++) {
        usleep(1000);
        double a = now();
        syscall(SYS_getppid);
        d[i] = now() - a;
    }
    stop = 1;
    for (int i = 0; i < n; i++)
        pthread_join(t[i], 0);
    qsort(d, probes, sizeof *d, cmp);
    printf("p50_us=%.0f p99_us=%.0f max_us=%.0f\n", d[probes / 2] * 1e6,
           d[probes * 99 / 100] * 1e6, d[probes - 1] * 1e6);
    return 0;
}

static int stat_loop(double seconds)
{
    struct stat st;
    long calls = 0;
    double end = now() + seconds;
    while (now() < end) {
        for (int i = 0; i < 100; i++)
            stat("/", &st);
        calls += 100;
    }
    printf("calls=%ld\n", calls);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "probe"))
        return probe(atoi(argv[2]), atoi(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "stat"))
        return stat_loop(atof(argv[2]));
    fprintf(stderr, "usage: fairness probe N PROBES | fairness stat SECONDS\n");
    return 2;
}
