/* family: ipc
 * POSIX shared memory lives in /dev/shm (a tmpfs, mode 1777): shm_open
 * creates a file there, ftruncate sizes it, two mappings share bytes, a
 * forked child's writes are seen; O_EXCL on an existing name is EEXIST;
 * shm_unlink removes it and a second unlink is ENOENT.
 */
#include "case.h"

int main(void)
{
    struct stat st;
    SHOW("stat /dev/shm", stat("/dev/shm", &st));
    SAY("dir=%d mode=%o", S_ISDIR(st.st_mode), st.st_mode & 07777);
    int fd = shm_open("/conformance", O_CREAT | O_EXCL | O_RDWR, 0600);
    SAY("shm_open ok=%d", fd >= 0);
    SHOW("excl again", shm_open("/conformance", O_CREAT | O_EXCL | O_RDWR, 0600));
    SHOW("ftruncate", ftruncate(fd, 4096));
    SHOW("file in /dev/shm", stat("/dev/shm/conformance", &st));
    SAY("size=%ld mode=%o", (long)st.st_size, st.st_mode & 0777);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pid_t c = fork();
    if (c == 0) {
        int f2 = shm_open("/conformance", O_RDWR, 0);
        char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
        strcpy(q, "from child");
        _exit(0);
    }
    waitpid(c, NULL, 0);
    SAY("parent sees=%s", p);
    SHOW("shm_unlink", shm_unlink("/conformance"));
    SHOW("shm_unlink again", shm_unlink("/conformance"));
    SHOW("open gone", shm_open("/conformance", O_RDWR, 0));
    return 0;
}
