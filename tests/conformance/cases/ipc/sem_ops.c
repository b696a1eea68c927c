/* family: ipc
 * System V semaphores: semget makes a set of zeroed semaphores; SETVAL/GETVAL
 * set and read one; semop adds and subtracts, and with IPC_NOWAIT a
 * decrement below zero is EAGAIN; GETPID is the pid (as its getpid() says)
 * of the last process to operate on it; IPC_STAT gives nsems (owners:
 * ipc_owner_ids); a semaphore number out of range is EFBIG (semop) or EINVAL (semctl).
 */
#include "case.h"
#include <sys/ipc.h>
#include <sys/sem.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

int main(void)
{
    int s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    SAY("semget ok=%d", s >= 0);
    SHOW("getval new", semctl(s, 0, GETVAL));
    SHOW("setval 2", semctl(s, 0, SETVAL, (union semun){.val = 2}));
    SHOW("getval", semctl(s, 0, GETVAL));
    struct sembuf op = {0, -1, 0};
    SHOW("semop -1", semop(s, &op, 1));
    SAY("getpid is self=%d", semctl(s, 0, GETPID) == getpid());
    op.sem_op = -5;
    op.sem_flg = IPC_NOWAIT;
    SHOW("semop -5 nowait", semop(s, &op, 1));
    pid_t c = fork();
    if (c == 0) {
        struct sembuf up = {1, 3, 0};
        semop(s, &up, 1);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    SHOW("getval 1", semctl(s, 1, GETVAL));
    SAY("getpid 1 is child=%d getpid 0 is self=%d", semctl(s, 1, GETPID) == c, semctl(s, 0, GETPID) == getpid());
    struct semid_ds ds;
    SHOW("ipc_stat", semctl(s, 0, IPC_STAT, (union semun){.buf = &ds}));
    SAY("nsems=%lu mode=%o", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
    SHOW("getncnt", semctl(s, 0, GETNCNT));
    struct sembuf bad = {5, 1, 0};
    SHOW("semop bad num", semop(s, &bad, 1));
    SHOW("getval bad num", semctl(s, 5, GETVAL));
    SHOW("setval negative", semctl(s, 0, SETVAL, (union semun){.val = -1}));
    SHOW("rmid", semctl(s, 0, IPC_RMID));
    SHOW("getval after rmid", semctl(s, 0, GETVAL));
    return 0;
}
