/* family: process
 * ioprio_get/ioprio_set (block/ioprio.c): a process that never set its I/O
 * priority reads 0 (class NONE); a value is class << 13 | level; BE and IDLE
 * levels are set and read back, NONE with a level and classes above 3 are
 * EINVAL, RT needs CAP_SYS_NICE (root has it); an unknown `which` is EINVAL
 * and a pid that does not exist ESRCH.  IOPRIO_WHO_PGRP sets the group's
 * processes; for a group ioprio_get answers the best of its threads, where a
 * thread with class NONE counts as BE level 4.  fork copies the priority.
 * After dropping root, setting RT is EPERM and setting a root process EPERM.
 * root: dropping to uid 1000 needs real root (a one-id user namespace has no such id)
 */
#include "case.h"

#define IOPRIO(c, l) (((c) << 13) | (l))
enum { WHO_PROCESS = 1, WHO_PGRP = 2, WHO_USER = 3 };
static long get(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long set(int which, int who, int prio) { return syscall(SYS_ioprio_set, which, who, prio); }

int main(void)
{
    setpgid(0, 0);                                   /* a group of our own */
    SHOW("default", get(WHO_PROCESS, 0));
    SHOW("pgrp, one process", get(WHO_PGRP, 0));
    SHOW("set be 3", set(WHO_PROCESS, 0, IOPRIO(2, 3)));
    SHOW("get", get(WHO_PROCESS, getpid()));
    SHOW("set idle", set(WHO_PROCESS, 0, IOPRIO(3, 0)));
    SHOW("get", get(WHO_PROCESS, 0));
    SHOW("set rt 4", set(WHO_PROCESS, 0, IOPRIO(1, 4)));
    SHOW("get", get(WHO_PROCESS, 0));
    SHOW("set none 0", set(WHO_PROCESS, 0, IOPRIO(0, 0)));
    SHOW("get", get(WHO_PROCESS, 0));
    SHOW("set none 3", set(WHO_PROCESS, 0, IOPRIO(0, 3)));
    SHOW("set class 4", set(WHO_PROCESS, 0, IOPRIO(4, 0)));
    SHOW("set class 5", set(WHO_PROCESS, 0, IOPRIO(5, 0)));
    SHOW("set be with a hint", set(WHO_PROCESS, 0, IOPRIO(2, 1) | (1 << 3)));
    SHOW("get", get(WHO_PROCESS, 0));
    SHOW("get bad which", get(7, 0));
    SHOW("set bad which", set(7, 0, IOPRIO(2, 1)));
    SHOW("get no such pid", get(WHO_PROCESS, 99999));
    SHOW("set no such pid", set(WHO_PROCESS, 99999, IOPRIO(2, 1)));
    SHOW("set bad class before pid", set(WHO_PROCESS, 99999, IOPRIO(6, 0)));
    SHOW("get no such pgrp", get(WHO_PGRP, 99999));
    SHOW("set be 6", set(WHO_PROCESS, 0, IOPRIO(2, 6)));

    int go[2], done[2];
    pipe(go);
    pipe(done);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        SHOW("child inherits", get(WHO_PROCESS, 0));
        SHOW("child sets none", set(WHO_PROCESS, 0, 0));
        write(done[1], "x", 1);
        read(go[0], &c, 1);
        SHOW("child after pgrp set", get(WHO_PROCESS, 0));
        _exit(0);
    }
    char c;
    read(done[0], &c, 1);
    SHOW("child's, from parent", get(WHO_PROCESS, pid));
    SHOW("pgrp best (be 6 and none)", get(WHO_PGRP, 0));
    SHOW("set pgrp idle", set(WHO_PGRP, 0, IOPRIO(3, 0)));
    SHOW("pgrp best (idle, idle)", get(WHO_PGRP, getpgrp()));
    write(go[1], "x", 1);
    waitpid(pid, NULL, 0);

    SHOW("set be 2", set(WHO_PROCESS, 0, IOPRIO(2, 2)));
    pid = fork();
    if (pid == 0) {
        if (setuid(1000)) _exit(1);
        SHOW("user: set rt", set(WHO_PROCESS, 0, IOPRIO(1, 0)));
        SHOW("user: set own idle", set(WHO_PROCESS, 0, IOPRIO(3, 0)));
        SHOW("user: set root parent", set(WHO_PROCESS, getppid(), IOPRIO(3, 0)));
        SHOW("user: get root parent", get(WHO_PROCESS, getppid()));
        SHOW("user: get own user", get(WHO_USER, 0));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
