/* fork+exec+wait: per op, fork a child that execs PATH (busybox true by
 * default) and wait for it to exit 0.  usage: forkexec N [PATH] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void once(const char *path) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        char *argv[] = {"true", NULL};
        char *envp[] = {"PATH=/bin:/usr/bin", NULL};
        execve(path, argv, envp);
        perror(path);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) { perror("waitpid"); exit(1); }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "%s: child status %#x\n", path, st);
        exit(1);
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    const char *path = argc > 2 ? argv[2] : "/bin/true";
    for (long i = 0; i < n / 10 + 1; i++)
        once(path);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        once(path);
    double t1 = now_ns();
    printf("ns_per_op=%.1f\n", (t1 - t0) / n);
    return 0;
}
