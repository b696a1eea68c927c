/* execve(2): a missing file is ENOENT, a path through a regular file ENOTDIR, a
 * file without execute permission EACCES (even for root), a directory EACCES, a
 * file of unknown format with x bits ENOEXEC, an empty file ENOEXEC, a "#!" line
 * naming a missing interpreter ENOENT; a NULL argv is allowed on Linux.
 */
#include "case.h"

static void mk(const char *p, const char *text, int mode)
{
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
    write(fd, text, strlen(text));
    close(fd);
    chmod(p, mode);
}

int main(void)
{
    char *argv[] = {"x", 0}, *envp[] = {0};
    mk("/tmp/noexec", "#!/bin/sh\necho hi\n", 0644);
    mk("/tmp/garbage", "this is not a program\n\x01\x02", 0755);
    mk("/tmp/empty", "", 0755);
    mk("/tmp/badinterp", "#!/nonexistent/sh\n", 0755);
    SHOW("missing", execve("/tmp/missing", argv, envp));
    SHOW("through a file", execve("/tmp/noexec/x", argv, envp));
    SHOW("no x bit", execve("/tmp/noexec", argv, envp));
    SHOW("directory", execve("/tmp", argv, envp));
    SHOW("garbage", execve("/tmp/garbage", argv, envp));
    SHOW("empty", execve("/tmp/empty", argv, envp));
    SHOW("bad interpreter", execve("/tmp/badinterp", argv, envp));
    SHOW("empty path", execve("", argv, envp));
    return 0;
}
