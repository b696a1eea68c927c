/* family: ipc
 * System V IPC objects belong to their creator: IPC_STAT of a segment, a
 * queue and a semaphore set made by root shows uid, gid, cuid and cgid 0;
 * IPC_SET changes the owner and the mode's low 9 bits, and cuid stays.
 * root: IPC_SET to uid 1000 needs that uid to exist (a one-id user namespace has none: EINVAL)
 */
#include "case.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static void show_perm(const char *what, struct ipc_perm *p)
{
    SAY("%s: uid=%u gid=%u cuid=%u cgid=%u mode=%o", what, p->uid, p->gid, p->cuid, p->cgid, p->mode & 0777);
}

int main(void)
{
    int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0640);
    int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0660);
    struct shmid_ds sd;
    struct msqid_ds md;
    struct semid_ds xd;
    shmctl(shm, IPC_STAT, &sd);
    show_perm("shm", &sd.shm_perm);
    msgctl(msg, IPC_STAT, &md);
    show_perm("msg", &md.msg_perm);
    semctl(sem, 0, IPC_STAT, (union semun){.buf = &xd});
    show_perm("sem", &xd.sem_perm);
    md.msg_perm.uid = 1000;
    md.msg_perm.gid = 100;
    md.msg_perm.mode = 0604;
    SHOW("msg ipc_set", msgctl(msg, IPC_SET, &md));
    msgctl(msg, IPC_STAT, &md);
    show_perm("msg after set", &md.msg_perm);
    shmctl(shm, IPC_RMID, NULL);
    msgctl(msg, IPC_RMID, NULL);
    semctl(sem, 0, IPC_RMID);
    return 0;
}
