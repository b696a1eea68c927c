/* pipe ping-pong: fork a child, then N round trips of a 1-byte write and a
 * 1-byte read each way over two pipes.  One op = one round trip (two writes,
 * two reads, two wake-ups).  usage: pingpong N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"


static void xfer(int wfd, int rfd, char *c) {
    if (wfd >= 0 && write(wfd, c, 1) != 1) { perror("write"); exit(1); }
    if (rfd >= 0 && read(rfd, c, 1) != 1) { perror("read"); exit(1); }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    long warm = n / 10 + 1;
    int ab[2], ba[2];
    if (pipe(ab) || pipe(ba)) { perror("pipe"); return 1; }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    char c = 'x';
    if (pid == 0) {
        close(ab[1]); close(ba[0]);
        for (long i = 0; i < warm + n; i++) {
            xfer(-1, ab[0], &c);
            xfer(ba[1], -1, &c);
        }
        _exit(0);
    }
    close(ab[0]); close(ba[1]);
    for (long i = 0; i < warm; i++)
        xfer(ab[1], ba[0], &c);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        xfer(ab[1], ba[0], &c);
    double t1 = now_ns();
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "child failed (status %#x)\n", st);
        return 1;
    }
    printf("ns_per_op=%.1f\n", (t1 - t0) / n);
    return 0;
}
