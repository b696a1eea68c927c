/* family: ipc
 * IPC keys across the three kinds: a key names one object per kind (the same
 * key may name a segment, a queue and a set at once); IPC_EXCL on an existing
 * key is EEXIST; a missing key without IPC_CREAT is ENOENT; semget with more
 * semaphores than the set has is EINVAL; IPC_PRIVATE always makes a new one.
 */
#include "case.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(void)
{
    key_t k = 0x5eed0010;
    int shm = shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600);
    int msg = msgget(k, IPC_CREAT | IPC_EXCL | 0600);
    int sem = semget(k, 3, IPC_CREAT | IPC_EXCL | 0600);
    SAY("all three made=%d", shm >= 0 && msg >= 0 && sem >= 0);
    SHOW("msg excl", msgget(k, IPC_CREAT | IPC_EXCL | 0600));
    SHOW("sem excl", semget(k, 3, IPC_CREAT | IPC_EXCL | 0600));
    SAY("msg lookup same=%d", msgget(k, 0) == msg);
    SAY("sem lookup same=%d fewer ok=%d", semget(k, 3, 0) == sem, semget(k, 1, 0) == sem);
    SHOW("sem more than set", semget(k, 4, 0));
    SHOW("msg missing", msgget(k + 1, 0));
    SHOW("sem missing", semget(k + 1, 1, 0));
    SHOW("sem zero nsems new", semget(k + 1, 0, IPC_CREAT | 0600));
    int a = msgget(IPC_PRIVATE, 0600), b = msgget(IPC_PRIVATE, 0600);
    SAY("private differ=%d", a >= 0 && b >= 0 && a != b);
    msgctl(a, IPC_RMID, NULL);
    msgctl(b, IPC_RMID, NULL);
    SHOW("rm shm", shmctl(shm, IPC_RMID, NULL));
    SHOW("rm msg", msgctl(msg, IPC_RMID, NULL));
    SHOW("rm sem", semctl(sem, 0, IPC_RMID));
    SHOW("msg gone", msgget(k, 0));
    return 0;
}
