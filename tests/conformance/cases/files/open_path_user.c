/* family: files
 * O_PATH needs no permission on the object itself, only search on the path:
 * an ordinary user gets an O_PATH fd of root's file mode 0600 and of a
 * directory mode 0700 (without x on a directory, nothing in it), and the fd
 * grants nothing more: read is EBADF, reopening it through /proc/self/fd
 * checks the file's permissions (EACCES), openat below the directory fd
 * needs x on it (EACCES); fstat and fstatat(AT_EMPTY_PATH) work.
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"

int main(void)
{
    char buf[64], p[64];
    struct stat st;
    mkdir("/tmp/open_path_user", 0755);
    mkdir("/tmp/open_path_user/closed", 0700);
    int w = open("/tmp/open_path_user/secret", O_CREAT | O_WRONLY, 0600);
    write(w, "secret", 6);
    close(w);
    close(open("/tmp/open_path_user/closed/f", O_CREAT | O_WRONLY, 0644));
    if (setgid(1000) < 0 || setuid(1000) < 0)
        return 1;
    int fd = open("/tmp/open_path_user/secret", O_PATH);
    SHOW("opath secret", fd >= 0);
    SHOW("read", read(fd, buf, sizeof buf));
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    SHOW("reopen", open(p, O_RDONLY));
    SHOW("fstat", fstat(fd, &st));
    SAY("size=%ld uid=%d", (long)st.st_size, (int)st.st_uid);
    SHOW("fstatat empty", fstatat(fd, "", &st, AT_EMPTY_PATH));
    int dfd = open("/tmp/open_path_user/closed", O_PATH | O_DIRECTORY);
    SHOW("opath closed dir", dfd >= 0);
    SHOW("getdents", syscall(SYS_getdents64, dfd, buf, sizeof buf));
    SHOW("openat below", openat(dfd, "f", O_PATH));
    SHOW("opath inside", open("/tmp/open_path_user/closed/f", O_PATH));
    SHOW("fchdir", fchdir(dfd));
    return 0;
}
