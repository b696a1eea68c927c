/* family: ipc
 * IPC namespaces (root may make one): after unshare(CLONE_NEWIPC) a key made
 * before is not found (ENOENT), and an id of the parent's namespace is not
 * found either: IPC_STAT, GETVAL, shmat, msgsnd, msgrcv and semop on it are
 * EINVAL.  Objects made in the new namespace work (a message round trip, a
 * shared page, a semaphore) and are the only ones its MSG_INFO, MSG_STAT_ANY
 * walk and /proc/sysvipc/msg show.  The ids are a new namespace's own, so
 * only their behaviour is printed, never their numbers (and a parent's id is
 * tried before the new namespace has objects, whose ids may be the same
 * numbers on Linux).  A grandchild inherits the namespace.  setns with an fd of the old /proc/self/ns/ipc
 * goes back, where the parent's queue is found again.  A child made by
 * clone(CLONE_NEWIPC) is in a new namespace from its first instruction.
 * unshare(CLONE_NEWIPC) leaves the semaphore undo list, so the undo of a
 * SEM_UNDO operation is applied then (the parent sees the value go back).
 */
#include "case.h"
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define K 0x5eed0200

struct msgbuf1 { long mtype; char text[8]; };
static int pmsg, pshm, psem;          /* the parent's objects, all with key K */

static int count_sysvipc_msg(void)
{
    char b[4096] = {0};
    int fd = open("/proc/sysvipc/msg", O_RDONLY), n = 0;
    if (fd < 0)
        return -1;
    read(fd, b, sizeof b - 1);
    close(fd);
    for (char *p = b; (p = strchr(p, '\n')); p++)
        n++;
    return n - 1;                        /* the header line */
}

static int walk_queues(key_t *first_key)
{
    struct msginfo info;
    struct msqid_ds ds;
    int max = msgctl(0, MSG_INFO, (struct msqid_ds *)&info), seen = 0;
    for (int i = 0; i <= max; i++)
        if (msgctl(i, MSG_STAT_ANY, &ds) >= 0) {
            if (!seen)
                *first_key = ds.msg_perm.__key;
            seen++;
        }
    SAY("  MSG_INFO msgpool=%d", info.msgpool);
    return seen;
}

static void foreign_ids(const char *who)
{
    struct msqid_ds mds;
    struct shmid_ds sds;
    struct msgbuf1 m = {1, "x"};
    struct sembuf op = {0, 1, IPC_NOWAIT};
    SAY("%s:", who);
    SHOW("  msgget key", msgget(K, 0));
    SHOW("  shmget key", shmget(K, 0, 0));
    SHOW("  semget key", semget(K, 0, 0));
    SHOW("  msgctl stat parent id", msgctl(pmsg, IPC_STAT, &mds));
    SHOW("  shmctl stat parent id", shmctl(pshm, IPC_STAT, &sds));
    SHOW("  semctl getval parent id", semctl(psem, 0, GETVAL));
    SHOW("  shmat parent id", (long)shmat(pshm, NULL, 0));
    SHOW("  msgsnd parent id", msgsnd(pmsg, &m, 1, IPC_NOWAIT));
    SHOW("  msgrcv parent id", msgrcv(pmsg, &m, sizeof m.text, 0, IPC_NOWAIT));
    SHOW("  semop parent id", semop(psem, &op, 1));
}

static void own_objects(void)
{
    struct msgbuf1 m = {7, "hello"}, r = {0};
    int q = SHOW("  msgget creat", msgget(K, IPC_CREAT | 0600) >= 0);
    q = msgget(K, 0);
    SHOW("  msgsnd own", msgsnd(q, &m, 6, 0));
    SHOW("  msgrcv own", msgrcv(q, &r, sizeof r.text, 0, 0));
    SAY("  got type=%ld text=%s", r.mtype, r.text);
    int s = shmget(K, 4096, IPC_CREAT | 0600);
    char *p = shmat(s, NULL, 0);
    SAY("  shm attached=%d", p != (void *)-1);
    strcpy(p, "shared");
    char *p2 = shmat(s, NULL, SHM_RDONLY);
    SAY("  second attach reads=%s", p2);
    shmdt(p);
    shmdt(p2);
    int sem = semget(K, 1, IPC_CREAT | 0600);
    struct sembuf op = {0, 3, 0};
    SHOW("  semop own", semop(sem, &op, 1));
    SHOW("  semctl getval own", semctl(sem, 0, GETVAL));
    key_t key = 0;
    SAY("  MSG_STAT_ANY walk sees=%d", walk_queues(&key));
    SAY("  its key is K=%d", key == K);
    SAY("  /proc/sysvipc/msg lines=%d", count_sysvipc_msg());
}

static int cloned(void *arg)
{
    (void)arg;
    foreign_ids("clone(CLONE_NEWIPC) child");
    own_objects();
    return 0;
}

static void readlink_ns(char *out, size_t n)
{
    ssize_t l = readlink("/proc/self/ns/ipc", out, n - 1);
    out[l > 0 ? l : 0] = 0;
}

int main(void)
{
    pmsg = msgget(K, IPC_CREAT | IPC_EXCL | 0600);
    pshm = shmget(K, 4096, IPC_CREAT | IPC_EXCL | 0600);
    psem = semget(K, 1, IPC_CREAT | IPC_EXCL | 0600);
    SAY("parent made its three=%d", pmsg >= 0 && pshm >= 0 && psem >= 0);
    char parent_ns[64], ns[64];
    readlink_ns(parent_ns, sizeof parent_ns);

    int st;
    pid_t pid = fork();
    if (pid == 0) {
        int old = open("/proc/self/ns/ipc", O_RDONLY);
        SHOW("unshare newipc", unshare(CLONE_NEWIPC));
        readlink_ns(ns, sizeof ns);
        SAY("ns link changed=%d", strcmp(ns, parent_ns) != 0);
        foreign_ids("unshared child");
        pid_t g = fork();
        if (g == 0) {               /* before the child makes objects whose ids may equal the parent's */
            foreign_ids("grandchild");
            _exit(0);
        }
        waitpid(g, &st, 0);
        own_objects();
        SHOW("setns wrong type", setns(old, CLONE_NEWUTS));
        SHOW("setns back", setns(old, CLONE_NEWIPC));
        readlink_ns(ns, sizeof ns);
        SAY("ns link is the parent's=%d", strcmp(ns, parent_ns) == 0);
        SAY("msgget key finds the parent's queue=%d", msgget(K, 0) == pmsg);
        struct msgbuf1 m = {2, "back"};
        SHOW("msgsnd parent id after setns", msgsnd(pmsg, &m, 5, IPC_NOWAIT));
        _exit(0);
    }
    waitpid(pid, &st, 0);
    struct msgbuf1 r = {0};
    SHOW("parent receives what the child sent after setns", msgrcv(pmsg, &r, sizeof r.text, 0, IPC_NOWAIT));
    SAY("text=%s", r.text);
    key_t key = 0;
    SAY("parent: MSG_STAT_ANY walk sees=%d", walk_queues(&key));
    SAY("parent: its key is K=%d", key == K);
    SAY("parent: /proc/sysvipc/msg lines=%d", count_sysvipc_msg());

    static char stack[65536];
    pid = clone(cloned, stack + sizeof stack, CLONE_NEWIPC | SIGCHLD, 0);
    SAY("clone newipc ok=%d", pid > 0);
    waitpid(pid, &st, 0);
    SAY("parent after clone: msgget key finds its own=%d", msgget(K, 0) == pmsg);

    /* unshare(CLONE_NEWIPC) applies the caller's SEM_UNDO adjustments */
    int to_parent[2], to_child[2];
    pipe(to_parent);
    pipe(to_child);
    pid = fork();
    if (pid == 0) {
        struct sembuf op = {0, 5, SEM_UNDO};
        semop(psem, &op, 1);
        write(to_parent[1], "a", 1);
        char c;
        read(to_child[0], &c, 1);
        unshare(CLONE_NEWIPC);
        write(to_parent[1], "b", 1);
        read(to_child[0], &c, 1);
        _exit(0);
    }
    char c;
    read(to_parent[0], &c, 1);
    SHOW("semaphore with the child's SEM_UNDO op", semctl(psem, 0, GETVAL));
    write(to_child[1], "x", 1);
    read(to_parent[0], &c, 1);
    SHOW("after the child's unshare(CLONE_NEWIPC)", semctl(psem, 0, GETVAL));
    write(to_child[1], "x", 1);
    waitpid(pid, &st, 0);

    msgctl(pmsg, IPC_RMID, NULL);
    shmctl(pshm, IPC_RMID, NULL);
    semctl(psem, 0, IPC_RMID);
    return 0;
}
