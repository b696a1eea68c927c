/* family: ipc
 * System V shared memory: shmget(IPC_PRIVATE) makes a new segment; shmat
 * maps it and two attaches see the same bytes; IPC_STAT gives its size, the
 * number of attaches, shm_cpid (the creator's pid as its getpid() says) and
 * shm_lpid (the last attacher) and the mode asked for (owners: ipc_owner_ids); after IPC_RMID and the last detach the id is gone (EINVAL).
 */
#include "case.h"
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void)
{
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0640);
    SAY("shmget ok=%d", id >= 0);
    char *a = shmat(id, NULL, 0), *b = shmat(id, NULL, SHM_RDONLY);
    strcpy(a, "shared");
    SAY("second attach sees=%s", b);
    struct shmid_ds ds;
    SHOW("ipc_stat", shmctl(id, IPC_STAT, &ds));
    SAY("segsz=%zu nattch=%lu mode=%o", ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777);
    SAY("cpid is self=%d lpid is self=%d", ds.shm_cpid == getpid(), ds.shm_lpid == getpid());
    pid_t c = fork();
    if (c == 0) {
        char *p = shmat(id, NULL, 0);
        p[0] = 'S';
        _exit(0);
    }
    waitpid(c, NULL, 0);
    shmctl(id, IPC_STAT, &ds);
    SAY("after child: lpid is child=%d nattch=%lu data=%s", ds.shm_lpid == c, (unsigned long)ds.shm_nattch, a);
    SHOW("rmid", shmctl(id, IPC_RMID, NULL));
    SHOW("stat after rmid, still attached", shmctl(id, IPC_STAT, &ds));
    SAY("mode has SHM_DEST=%d", !!(ds.shm_perm.mode & SHM_DEST));
    shmdt(a);
    shmdt(b);
    SHOW("stat after last detach", shmctl(id, IPC_STAT, &ds));
    return 0;
}
