/* family: files
 * openat(2) and the other *at calls resolve a relative path from the dirfd: a
 * dirfd that is not a directory is ENOTDIR, a closed one EBADF; an absolute
 * path ignores the dirfd entirely (even a bad one); AT_FDCWD is the cwd; ".."
 * from a dirfd goes to its parent; the dirfd keeps naming its directory after
 * that directory is renamed.
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); if (_r > 2) close(_r); _r; })

int main(void)
{
    struct stat st;
    mkdir("/tmp/openat_dirfd", 0755);
    mkdir("/tmp/openat_dirfd/d", 0755);
    close(open("/tmp/openat_dirfd/d/f", O_CREAT | O_WRONLY, 0644));
    close(open("/tmp/openat_dirfd/top", O_CREAT | O_WRONLY, 0644));
    int d = open("/tmp/openat_dirfd/d", O_RDONLY | O_DIRECTORY);
    int f = open("/tmp/openat_dirfd/d/f", O_RDONLY);
    OK("relative", openat(d, "f", O_RDONLY));
    OK("file dirfd", openat(f, "f", O_RDONLY));
    OK("bad dirfd", openat(99, "f", O_RDONLY));
    OK("negative dirfd", openat(-5, "f", O_RDONLY));
    OK("absolute bad dirfd", openat(99, "/tmp/openat_dirfd/top", O_RDONLY));
    OK("dotdot", openat(d, "../top", O_RDONLY));
    OK("dot", openat(d, ".", O_RDONLY | O_DIRECTORY));
    chdir("/tmp/openat_dirfd");
    OK("fdcwd", openat(AT_FDCWD, "top", O_RDONLY));
    OK("rename dir", rename("/tmp/openat_dirfd/d", "/tmp/openat_dirfd/moved"));
    OK("relative after rename", openat(d, "f", O_RDONLY));
    OK("create after rename", openat(d, "g", O_CREAT | O_WRONLY, 0644));
    OK("created where", stat("/tmp/openat_dirfd/moved/g", &st));
    OK("mkdirat file dirfd", mkdirat(f, "x", 0755));
    OK("unlinkat bad dirfd", unlinkat(99, "x", 0));
    OK("fstatat file dirfd", fstatat(f, "x", &st, 0));
    OK("readlinkat bad dirfd", readlinkat(99, "x", (char *)&st, 10));
    return 0;
}
