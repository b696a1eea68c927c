/* family: ipc
 * POSIX named semaphores (sem_open, a file "sem.NAME" in /dev/shm): the
 * initial value is read back, sem_post/sem_wait count, sem_trywait at zero is
 * EAGAIN, a child's post is seen by the parent; O_EXCL on an existing name is
 * EEXIST; after sem_unlink the name is gone (ENOENT). An unnamed semaphore
 * in a MAP_SHARED mapping works across fork.
 */
#include "case.h"
#include <semaphore.h>

int main(void)
{
    sem_t *s = sem_open("/conf-sem", O_CREAT | O_EXCL, 0600, 2);
    SAY("sem_open ok=%d", s != SEM_FAILED);
    struct stat st;
    SHOW("file in /dev/shm", stat("/dev/shm/sem.conf-sem", &st));
    int v = -1;
    sem_getvalue(s, &v);
    SAY("value=%d", v);
    SHOW("wait", sem_wait(s));
    SHOW("trywait", sem_trywait(s));
    SHOW("trywait at zero", sem_trywait(s));
    pid_t c = fork();
    if (c == 0) {
        sem_post(sem_open("/conf-sem", 0));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    sem_getvalue(s, &v);
    SAY("after child post value=%d", v);
    errno = 0;
    SAY("excl again failed=%d errno=%s", sem_open("/conf-sem", O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED,
        errname(errno));
    SHOW("unlink", sem_unlink("/conf-sem"));
    errno = 0;
    SAY("open gone failed=%d errno=%s", sem_open("/conf-sem", 0) == SEM_FAILED, errname(errno));
    sem_t *u = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(u, 1, 0);
    c = fork();
    if (c == 0) {
        sem_post(u);
        _exit(0);
    }
    SHOW("unnamed wait for child", sem_wait(u));
    waitpid(c, NULL, 0);
    return 0;
}
