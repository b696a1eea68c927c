/* execveat(2) with AT_EMPTY_PATH runs the program a descriptor refers to, here a
 * memfd holding a copy of this program; execve(2) of "/proc/self/fd/N" does the
 * same through the magic link.  Either way the new program runs with the argv
 * given.  execveat with a non-empty relative path and a bad dirfd is EBADF.
 */
#include "case.h"
#include <sys/sendfile.h>

int main(int argc, char **argv)
{
    if (argc > 1) {
        SAY("re-exec'd with %s", argv[1]);
        return 0;
    }
    int src = open("/proc/self/exe", O_RDONLY);
    int m = memfd_create("prog", MFD_CLOEXEC);
    struct stat st;
    fstat(src, &st);
    SAY("copied=%d", sendfile(m, src, 0, st.st_size) == st.st_size);
    SHOW("execveat bad dirfd", syscall(SYS_execveat, 999, "x", argv, 0, 0));
    pid_t c = fork();
    if (c == 0) {
        char *a[] = {"prog", "execveat", 0}, *e[] = {0};
        syscall(SYS_execveat, m, "", a, e, AT_EMPTY_PATH);
        SAY("execveat failed: %s", errname(errno));
        _exit(1);
    }
    int s;
    waitpid(c, &s, 0);
    SAY("exit=%d", WEXITSTATUS(s));
    int m2 = memfd_create("prog2", 0);
    lseek(src, 0, SEEK_SET);
    sendfile(m2, src, 0, st.st_size);
    c = fork();
    if (c == 0) {
        char p[64], *a[] = {"prog", "proc-self-fd", 0}, *e[] = {0};
        snprintf(p, sizeof p, "/proc/self/fd/%d", m2);
        execve(p, a, e);
        SAY("execve failed: %s", errname(errno));
        _exit(1);
    }
    waitpid(c, &s, 0);
    SAY("exit=%d", WEXITSTATUS(s));
    return 0;
}
