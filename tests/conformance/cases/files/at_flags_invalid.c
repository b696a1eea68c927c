/* family: files
 * Every *at call refuses flag bits it does not know with EINVAL, and checks
 * them before looking the path up (the paths here do not exist, so a late
 * check would say ENOENT): newfstatat, statx, linkat, fchmodat2, faccessat2,
 * fchownat, unlinkat, renameat2, utimensat, openat2's resolve, and the known
 * flags of one call that mean nothing to another (AT_REMOVEDIR to linkat).
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); _r; })

int main(void)
{
    struct stat st;
    struct statx sx;
    const char *m = "/tmp/at_flags_invalid/missing", *m2 = "/tmp/at_flags_invalid/missing2";
    OK("newfstatat 0x1", syscall(SYS_newfstatat, AT_FDCWD, m, &st, 0x1));
    OK("newfstatat 0x80000", syscall(SYS_newfstatat, AT_FDCWD, m, &st, 0x80000));
    OK("newfstatat known", syscall(SYS_newfstatat, AT_FDCWD, m, &st, AT_SYMLINK_NOFOLLOW));
    OK("statx 0x1", syscall(SYS_statx, AT_FDCWD, m, 0x1, STATX_BASIC_STATS, &sx));
    OK("linkat 0x1", syscall(SYS_linkat, AT_FDCWD, m, AT_FDCWD, m2, 0x1));
    OK("linkat removedir", syscall(SYS_linkat, AT_FDCWD, m, AT_FDCWD, m2, AT_REMOVEDIR));
    OK("linkat nofollow", syscall(SYS_linkat, AT_FDCWD, m, AT_FDCWD, m2, AT_SYMLINK_NOFOLLOW));
    OK("linkat known", syscall(SYS_linkat, AT_FDCWD, m, AT_FDCWD, m2, AT_SYMLINK_FOLLOW));
    OK("fchmodat2 0x1", syscall(452, AT_FDCWD, m, 0644, 0x1));
    OK("fchmodat2 removedir", syscall(452, AT_FDCWD, m, 0644, AT_REMOVEDIR));
    OK("fchmodat2 known", syscall(452, AT_FDCWD, m, 0644, AT_SYMLINK_NOFOLLOW));
    OK("faccessat2 0x1", syscall(SYS_faccessat2, AT_FDCWD, m, F_OK, 0x1));
    OK("faccessat2 known", syscall(SYS_faccessat2, AT_FDCWD, m, F_OK, AT_EACCESS));
    OK("fchownat 0x1", syscall(SYS_fchownat, AT_FDCWD, m, 0, 0, 0x1));
    OK("fchownat removedir", syscall(SYS_fchownat, AT_FDCWD, m, 0, 0, AT_REMOVEDIR));
    OK("fchownat known", syscall(SYS_fchownat, AT_FDCWD, m, 0, 0, AT_SYMLINK_NOFOLLOW));
    OK("unlinkat 0x1", syscall(SYS_unlinkat, AT_FDCWD, m, 0x1));
    OK("unlinkat nofollow", syscall(SYS_unlinkat, AT_FDCWD, m, AT_SYMLINK_NOFOLLOW));
    OK("unlinkat known", syscall(SYS_unlinkat, AT_FDCWD, m, AT_REMOVEDIR));
    OK("renameat2 0x8", syscall(SYS_renameat2, AT_FDCWD, m, AT_FDCWD, m2, 0x8));
    OK("renameat2 known", syscall(SYS_renameat2, AT_FDCWD, m, AT_FDCWD, m2, 1));
    OK("utimensat 0x1", syscall(SYS_utimensat, AT_FDCWD, m, NULL, 0x1));
    OK("utimensat removedir", syscall(SYS_utimensat, AT_FDCWD, m, NULL, AT_REMOVEDIR));
    OK("utimensat known", syscall(SYS_utimensat, AT_FDCWD, m, NULL, AT_SYMLINK_NOFOLLOW));
    OK("fchmodat (no flags arg)", syscall(SYS_fchmodat, AT_FDCWD, m, 0644, 0x1));
    OK("faccessat bad mode", syscall(SYS_faccessat, AT_FDCWD, m, 8));
    OK("faccessat2 bad mode", syscall(SYS_faccessat2, AT_FDCWD, m, 8, 0));
    return 0;
}
