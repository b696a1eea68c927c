/* family: files
 * renameat2(2) flag checks come before the lookup (the names here are
 * missing, a late check would say ENOENT): RENAME_NOREPLACE with
 * RENAME_EXCHANGE is EINVAL, RENAME_EXCHANGE with RENAME_WHITEOUT is EINVAL,
 * an unknown bit is EINVAL; renameat (no flags) and flags 0 behave as rename.
 */
#include "case.h"

int main(void)
{
    const char *a = "/tmp/rename_flags_invalid/a", *b = "/tmp/rename_flags_invalid/b";
    SHOW("noreplace|exchange", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE | RENAME_EXCHANGE));
    SHOW("exchange|whiteout", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE | RENAME_WHITEOUT));
    SHOW("unknown 0x8", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0x8));
    SHOW("unknown 0x80000000", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0x80000000U));
    SHOW("noreplace", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE));
    SHOW("exchange", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
    SHOW("flags 0", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0));
    SHOW("renameat", syscall(SYS_renameat, AT_FDCWD, a, AT_FDCWD, b));
    return 0;
}
