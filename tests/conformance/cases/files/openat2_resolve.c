/* family: files
 * openat2(2) RESOLVE_* flags: RESOLVE_BENEATH refuses absolute paths and ".."
 * that would leave the dirfd (EXDEV), but allows ".." that stays below it;
 * RESOLVE_IN_ROOT treats the dirfd as "/" (absolute paths and ".." are clamped
 * to it); RESOLVE_NO_SYMLINKS refuses any symlink on the way (ELOOP);
 * RESOLVE_NO_MAGICLINKS refuses /proc/self/fd links (ELOOP); RESOLVE_NO_XDEV
 * refuses crossing a mount point (EXDEV).
 */
#include "case.h"
#include <linux/openat2.h>
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); if (_r > 2) close(_r); _r; })

static long o2(int dirfd, const char *p, long flags, long resolve)
{
    struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
    return syscall(SYS_openat2, dirfd, p, &how, sizeof how);
}

int main(void)
{
    mkdir("/tmp/openat2_resolve", 0755);
    mkdir("/tmp/openat2_resolve/r", 0755);
    mkdir("/tmp/openat2_resolve/r/sub", 0755);
    close(open("/tmp/openat2_resolve/r/f", O_CREAT | O_WRONLY, 0644));
    close(open("/tmp/openat2_resolve/outside", O_CREAT | O_WRONLY, 0644));
    symlink("f", "/tmp/openat2_resolve/r/lf");
    symlink("/f", "/tmp/openat2_resolve/r/abs");
    symlink("../outside", "/tmp/openat2_resolve/r/up");
    int d = open("/tmp/openat2_resolve/r", O_RDONLY | O_DIRECTORY);
    OK("plain", o2(d, "f", O_RDONLY, 0));
    OK("beneath f", o2(d, "f", O_RDONLY, RESOLVE_BENEATH));
    OK("beneath sub/../f", o2(d, "sub/../f", O_RDONLY, RESOLVE_BENEATH));
    OK("beneath ../outside", o2(d, "../outside", O_RDONLY, RESOLVE_BENEATH));
    OK("beneath absolute", o2(d, "/tmp/openat2_resolve/r/f", O_RDONLY, RESOLVE_BENEATH));
    OK("beneath link up", o2(d, "up", O_RDONLY, RESOLVE_BENEATH));
    OK("beneath link abs", o2(d, "abs", O_RDONLY, RESOLVE_BENEATH));
    OK("in_root /f", o2(d, "/f", O_RDONLY, RESOLVE_IN_ROOT));
    OK("in_root ../../f", o2(d, "../../f", O_RDONLY, RESOLVE_IN_ROOT));
    OK("in_root link abs", o2(d, "abs", O_RDONLY, RESOLVE_IN_ROOT));
    OK("in_root link up", o2(d, "up", O_RDONLY, RESOLVE_IN_ROOT));
    OK("no_symlinks f", o2(d, "f", O_RDONLY, RESOLVE_NO_SYMLINKS));
    OK("no_symlinks lf", o2(d, "lf", O_RDONLY, RESOLVE_NO_SYMLINKS));
    OK("no_symlinks lf nofollow path", o2(d, "lf", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS));
    int f = open("/tmp/openat2_resolve/r/f", O_RDONLY);
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", f);
    OK("magic link", o2(AT_FDCWD, p, O_RDONLY, 0));
    OK("no_magiclinks", o2(AT_FDCWD, p, O_RDONLY, RESOLVE_NO_MAGICLINKS));
    OK("no_xdev same mount", o2(d, "sub", O_RDONLY, RESOLVE_NO_XDEV));
    int root = open("/", O_RDONLY | O_DIRECTORY);
    OK("no_xdev into /proc", o2(root, "proc/self", O_RDONLY, RESOLVE_NO_XDEV));
    OK("no_xdev into /tmp", o2(root, "tmp", O_RDONLY, RESOLVE_NO_XDEV));
    OK("no_xdev etc", o2(root, "etc/passwd", O_RDONLY, RESOLVE_NO_XDEV));
    return 0;
}
