/* fork+exec+wait: per op, fork a child that execs PATH (busybox true by
 * default) and wait for it to exit 0.  usage: forkexec N [PATH] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "bench.h"
#include <unistd.h>


static const char *path = "/bin/true";

static void op(long i) {
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
    if (argc > 2)
        path = argv[2];
    time_ops(argc > 1 ? atol(argv[1]) : 100, op);
    return 0;
}
