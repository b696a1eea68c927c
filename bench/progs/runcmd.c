/* Time one run of a command from inside the sandbox, so that the sandbox's
 * own start-up is not counted: fork, execve ARGV[0] with a fixed environment,
 * wait; prints "ns_per_op=X" (X = wall time of that run) after the
 * command's own output.  SETUP and CLEANUP run before and after it through
 * /bin/sh -c, untimed (e.g. make or remove a target directory).  A command
 * that exits non-zero makes runcmd exit 1.
 *   usage: runcmd [-s SETUP] [-c CLEANUP] ARGV...                        */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static char *envp[] = {"PATH=/bin:/usr/bin:/sbin:/usr/sbin", "HOME=/", "LC_ALL=C", NULL};

static int run(char **argv) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        execve(argv[0], argv, envp);
        perror(argv[0]);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) { perror("waitpid"); exit(1); }
    return st;
}

static void sh(const char *what, const char *cmd) {
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    int st = run(argv);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "runcmd: %s '%s': status %#x\n", what, cmd, st);
        exit(1);
    }
}

int main(int argc, char **argv) {
    const char *setup = NULL, *cleanup = NULL;
    int a = 1;
    for (; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "-s") == 0) setup = argv[a + 1];
        else if (strcmp(argv[a], "-c") == 0) cleanup = argv[a + 1];
        else break;
    }
    if (a >= argc) { fprintf(stderr, "usage: runcmd [-s SETUP] [-c CLEANUP] ARGV...\n"); return 2; }
    if (setup) sh("setup", setup);
    double t0 = now_ns();
    int st = run(argv + a);
    double t1 = now_ns();
    if (cleanup) sh("cleanup", cleanup);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "runcmd: %s: status %#x\n", argv[a], st);
        return 1;
    }
    printf("ns_per_op=%.1f\n", t1 - t0);
    return 0;
}
