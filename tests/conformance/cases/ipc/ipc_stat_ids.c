/* family: ipc
 * An object made by uid 1000, gid 100 belongs to it: IPC_STAT shows uid, gid,
 * cuid and cgid 1000/100 and the mode asked for; shm_cpid is the creator's
 * pid.  /proc/sysvipc/{shm,msg,sem} list the namespace's objects with the
 * same owners and mode (perms in octal) and the creator's pid, and after
 * IPC_RMID the object is gone from the list.
 * root: switching to uid 1000 and gid 100 needs real root (a one-id user namespace has no such ids)
 */
#include "case.h"
#include <grp.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

/* Print the columns of /proc/sysvipc/KIND that do not depend on time: perms and owners,
 * and whether the pid columns are the caller. */
static void show_proc(const char *kind, int perms_col, int uid_col, int pid_col)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    FILE *f = fopen(path, "r");
    if (!f) { SAY("%s: open failed %s", kind, errname(errno)); return; }
    int n = 0;
    fgets(line, sizeof line, f);                 /* the header */
    SAY("%s header starts with key=%d", kind, strncmp(line, "       key", 10) == 0);
    while (fgets(line, sizeof line, f)) {
        char *tok[24]; int k = 0;
        for (char *t = strtok(line, " \n"); t && k < 24; t = strtok(NULL, " \n")) tok[k++] = t;
        SAY("%s row: key=%s perms=%s uid=%s gid=%s cuid=%s cgid=%s%s", kind, tok[0], tok[perms_col],
            tok[uid_col], tok[uid_col + 1], tok[uid_col + 2], tok[uid_col + 3],
            pid_col < 0 ? "" : atoi(tok[pid_col]) == getpid() ? " creator-pid=me" : " creator-pid=other");
        n++;
    }
    SAY("%s rows=%d", kind, n);
    fclose(f);
}

int main(void)
{
    setgroups(0, NULL);
    if (setgid(100) || setuid(1000)) { SAY("setuid failed"); return 1; }
    int shm = shmget(0x51, 4096, IPC_CREAT | 0640);
    int msg = msgget(0x52, IPC_CREAT | 0604);
    int sem = semget(0x53, 2, IPC_CREAT | 0660);
    struct shmid_ds sd;
    struct msqid_ds md;
    struct semid_ds xd;
    SHOW("shm stat", shmctl(shm, IPC_STAT, &sd));
    SAY("shm: uid=%u gid=%u cuid=%u cgid=%u mode=%o segsz=%zu cpid-is-me=%d", sd.shm_perm.uid,
        sd.shm_perm.gid, sd.shm_perm.cuid, sd.shm_perm.cgid, sd.shm_perm.mode & 0777, sd.shm_segsz,
        sd.shm_cpid == getpid());
    SHOW("msg stat", msgctl(msg, IPC_STAT, &md));
    SAY("msg: uid=%u gid=%u cuid=%u cgid=%u mode=%o", md.msg_perm.uid, md.msg_perm.gid,
        md.msg_perm.cuid, md.msg_perm.cgid, md.msg_perm.mode & 0777);
    SHOW("sem stat", semctl(sem, 0, IPC_STAT, (union semun){.buf = &xd}));
    SAY("sem: uid=%u gid=%u cuid=%u cgid=%u mode=%o nsems=%lu", xd.sem_perm.uid, xd.sem_perm.gid,
        xd.sem_perm.cuid, xd.sem_perm.cgid, xd.sem_perm.mode & 0777, (unsigned long)xd.sem_nsems);
    show_proc("shm", 2, 7, 4);
    show_proc("msg", 2, 7, -1);
    show_proc("sem", 2, 4, -1);
    void *p = shmat(shm, NULL, 0);
    SHOW("shmat", p != (void *)-1);
    SHOW("shm rmid while attached", shmctl(shm, IPC_RMID, NULL));
    SHOW("stat after rmid", shmctl(shm, IPC_STAT, &sd));
    SAY("after rmid: key=%d dest=%d uid=%u mode=%o", sd.shm_perm.__key, !!(sd.shm_perm.mode & SHM_DEST),
        sd.shm_perm.uid, sd.shm_perm.mode & 0777);
    show_proc("shm", 2, 7, 4);
    shmdt(p);
    SHOW("stat after last detach", shmctl(shm, IPC_STAT, &sd));
    msgctl(msg, IPC_RMID, NULL);
    semctl(sem, 0, IPC_RMID);
    show_proc("shm", 2, 7, 4);
    show_proc("msg", 2, 7, -1);
    show_proc("sem", 2, 4, -1);
    return 0;
}
