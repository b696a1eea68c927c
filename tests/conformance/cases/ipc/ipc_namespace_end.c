/* family: ipc
 * An IPC namespace's objects go with it: when its last process exits, or
 * leaves it with setns(2), its queues and semaphore sets are destroyed, so
 * their ids name nothing (EINVAL) for a process of the parent's namespace,
 * whose own namespace has no objects at all here (so that no id of its own
 * can be the same number).
 */
#include "case.h"
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

struct msgbuf1 { long mtype; char text[8]; };

/* A child makes a queue and a set in a new namespace, tells their ids, then
 * either exits or goes back to the parent's namespace and waits. */
static pid_t child_makes_objects(int leave_by_setns, int ids[2], int *release)
{
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t pid = fork();
    if (pid == 0) {
        int old = open("/proc/self/ns/ipc", O_RDONLY);
        if (unshare(CLONE_NEWIPC) < 0)
            _exit(1);
        int made[2] = {msgget(0x5eed0300, IPC_CREAT | 0600), semget(0x5eed0300, 1, IPC_CREAT | 0600)};
        struct msgbuf1 m = {1, "in"};
        msgsnd(made[0], &m, 3, 0);
        if (leave_by_setns)
            setns(old, CLONE_NEWIPC);
        write(p[1], made, sizeof made);
        char c;
        read(q[0], &c, 1);
        _exit(0);
    }
    read(p[0], ids, 2 * sizeof(int));
    *release = q[1];
    return pid;
}

static void try_ids(const char *when, int ids[2])
{
    struct msgbuf1 m = {1, "x"};
    struct sembuf op = {0, 1, IPC_NOWAIT};
    SAY("%s:", when);
    SHOW("  msgsnd", msgsnd(ids[0], &m, 1, IPC_NOWAIT));
    SHOW("  msgrcv", msgrcv(ids[0], &m, sizeof m.text, 0, IPC_NOWAIT));
    SHOW("  semop", semop(ids[1], &op, 1));
}

int main(void)
{
    int ids[2], release, st;
    pid_t pid = child_makes_objects(0, ids, &release);
    write(release, "x", 1);
    waitpid(pid, &st, 0);
    try_ids("after the namespace's only process exited", ids);

    pid = child_makes_objects(1, ids, &release);
    try_ids("after its only process went back with setns (it is still running)", ids);
    write(release, "x", 1);
    waitpid(pid, &st, 0);
    return 0;
}
