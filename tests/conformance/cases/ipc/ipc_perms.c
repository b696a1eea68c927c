/* family: ipc
 * Linux checks System V IPC access against the object's owner, creator and
 * mode (ipcperms): the owner's or creator's bits, else the group's (owner's
 * or creator's group), else other's; root (CAP_IPC_OWNER) passes.  A *get of
 * an existing key asks for the access in its flag's mode bits (0 asks none);
 * IPC_STAT needs read; GETVAL read and SETVAL alter (write); shmat read, and
 * write unless SHM_RDONLY.  IPC_SET and IPC_RMID need the owner, the creator
 * or CAP_SYS_ADMIN, else EPERM.  A bigger size than the segment's is EINVAL
 * before any permission check.
 * root: switching to uid 1000 and gid 100 needs real root (a one-id user namespace has no such ids)
 * differs: ^msgsnd by other -- umlpy checks a queue's access when the id is got (msgget, msgctl), not again at each msgsnd, which runs with no stop (docs/design.md)
 */
#include "case.h"
#include <grp.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

int main(void)
{
    int q = msgget(0x1234, IPC_CREAT | 0600);
    int s = semget(0x2345, 1, IPC_CREAT | 0640);
    int m = shmget(0x3456, 4096, IPC_CREAT | 0604);
    int q0 = msgget(IPC_PRIVATE, IPC_CREAT | 0000);
    struct semid_ds sd;
    semctl(s, 0, IPC_STAT, (union semun){.buf = &sd});
    sd.sem_perm.gid = 100;                       /* the group of the other user below */
    SHOW("sem ipc_set gid", semctl(s, 0, IPC_SET, (union semun){.buf = &sd}));
    struct msqid_ds md;
    SHOW("root stat mode 0", msgctl(q0, IPC_STAT, &md));       /* CAP_IPC_OWNER */
    SHOW("root get mode 0 for read+write", msgget(0x1234, 0666) == q);
    SHOW("get excl of existing", msgget(0x1234, IPC_CREAT | IPC_EXCL | 0600));
    SHOW("shmget bigger", shmget(0x3456, 8192, 0));

    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        if (setgid(100) || setuid(1000)) { SAY("setuid failed"); _exit(1); }
        struct { long type; char text[8]; } msg = {1, "hi"};
        SHOW("other msgget no access", msgget(0x1234, 0) == q);
        SHOW("other msgget read", msgget(0x1234, 0400));
        SHOW("other msgget excl", msgget(0x1234, IPC_CREAT | IPC_EXCL | 0600));
        SHOW("other msgctl stat", msgctl(q, IPC_STAT, &md));
        SHOW("other msgctl set", msgctl(q, IPC_SET, &md));
        SHOW("other msgctl rmid", msgctl(q, IPC_RMID, NULL));
        SHOW("msgsnd by other", msgsnd(q, &msg, 2, IPC_NOWAIT));
        SHOW("group semget read", semget(0x2345, 1, 0400) == s);
        SHOW("group semget alter", semget(0x2345, 1, 0200));
        SHOW("group semget more sems", semget(0x2345, 2, 0200));
        SHOW("group getval", semctl(s, 0, GETVAL));
        SHOW("group setval", semctl(s, 0, SETVAL, (union semun){.val = 1}));
        SHOW("group sem rmid", semctl(s, 0, IPC_RMID));
        SHOW("other shmget read", shmget(0x3456, 4096, 0400) == m);
        SHOW("other shmget write", shmget(0x3456, 4096, 0200));
        void *p = shmat(m, NULL, SHM_RDONLY);
        SHOW("other shmat rdonly", p != (void *)-1);
        SHOW("other shmat rw", (long)shmat(m, NULL, 0));
        struct shmid_ds xd;
        SHOW("other shm stat", shmctl(m, IPC_STAT, &xd));
        SAY("shm owner uid=%u mode=%o", xd.shm_perm.uid, xd.shm_perm.mode & 0777);
        SHOW("other shm set", shmctl(m, IPC_SET, &xd));
        /* made the owner by root below: may IPC_SET its own queue, then not after giving it away */
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    SAY("child exit=%d", WEXITSTATUS(st));

    msgctl(q, IPC_STAT, &md);
    md.msg_perm.uid = 1000;
    SHOW("give queue to 1000", msgctl(q, IPC_SET, &md));
    pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        if (setgid(100) || setuid(1000)) _exit(1);
        SHOW("owner stat", msgctl(q, IPC_STAT, &md));
        md.msg_perm.mode = 0640;
        SHOW("owner set mode", msgctl(q, IPC_SET, &md));
        md.msg_perm.uid = 2000;
        SHOW("owner gives away", msgctl(q, IPC_SET, &md));
        SHOW("former owner set", msgctl(q, IPC_SET, &md));
        SHOW("former owner stat (group read)", msgctl(q, IPC_STAT, &md));
        SAY("now uid=%u gid=%u cuid=%u mode=%o", md.msg_perm.uid, md.msg_perm.gid, md.msg_perm.cuid,
            md.msg_perm.mode & 0777);
        SHOW("former owner rmid", msgctl(q, IPC_RMID, NULL));
        _exit(0);
    }
    waitpid(pid, &st, 0);
    SAY("child exit=%d", WEXITSTATUS(st));
    SHOW("root rmid", msgctl(q, IPC_RMID, NULL));
    SHOW("rmid again", msgctl(q, IPC_RMID, NULL));
    SHOW("key free again", msgget(0x1234, 0));
    msgctl(q0, IPC_RMID, NULL);
    semctl(s, 0, IPC_RMID);
    shmctl(m, IPC_RMID, NULL);
    return 0;
}
