/* family: ipc
 * shmget(2) with a key: IPC_CREAT|IPC_EXCL on an existing key is EEXIST;
 * without IPC_CREAT a missing key is ENOENT; asking an existing key for a
 * larger size is EINVAL; shmat of a bad id is EINVAL and of a misaligned
 * address EINVAL; shmdt of an address that is no segment is EINVAL; an
 * unknown shmctl command is EINVAL.
 */
#include "case.h"
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void)
{
    key_t key = 0x5eed0001;
    int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    SAY("create ok=%d", id >= 0);
    SHOW("excl again", shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
    SAY("same key same id=%d", shmget(key, 4096, 0) == id);
    SAY("smaller size ok=%d", shmget(key, 100, 0) == id);
    SHOW("larger size", shmget(key, 8192, 0));
    SHOW("missing key", shmget(0x5eed0002, 4096, 0));
    SHOW("zero size new", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    SHOW("shmat bad id", (long)shmat(-1, NULL, 0));
    SHOW("shmat misaligned", (long)shmat(id, (void *)0x10001, 0));
    SHOW("shmdt not a segment", shmdt((void *)0x10000));
    SHOW("bad cmd", shmctl(id, 9999, NULL));
    SHOW("rmid", shmctl(id, IPC_RMID, NULL));
    SHOW("rmid again", shmctl(id, IPC_RMID, NULL));
    SHOW("key gone", shmget(key, 4096, 0));
    return 0;
}
