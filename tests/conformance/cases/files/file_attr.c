/* family: files
 * file_getattr and file_setattr (Linux 6.17): flags other than
 * AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH are EINVAL, a struct size above a page
 * E2BIG and below 24 bytes EINVAL, all before the path is looked up; a bad
 * struct pointer is EFAULT (file_setattr reads it before the lookup), unknown
 * xflags EINVAL, set bytes past the known struct E2BIG; a missing path
 * ENOENT, a bad dirfd EBADF.  A file system without inode attribute flags
 * (procfs) says EOPNOTSUPP.
 * differs: ^(getattr tmp file|setattr tmp file|getattr fd) -- the sandbox's file systems show no inode attribute flags (EOPNOTSUPP, like FS_IOC_GETFLAGS's ENOTTY); Linux's tmpfs has them
 */
#include "case.h"

struct file_attr { uint64_t fa_xflags; uint32_t fa_extsize, fa_nextents, fa_projid, fa_cowextsize; };
#ifndef SYS_file_getattr
#define SYS_file_getattr 468
#define SYS_file_setattr 469
#endif

static long getattr(int dfd, const char *p, void *fa, size_t n, unsigned fl) { return syscall(SYS_file_getattr, dfd, p, fa, n, fl); }
static long setattr(int dfd, const char *p, void *fa, size_t n, unsigned fl) { return syscall(SYS_file_setattr, dfd, p, fa, n, fl); }

int main(void)
{
    struct file_attr fa = {0};
    char big[64] = {0};
    int fd = open("/tmp/file_attr", O_RDWR | O_CREAT | O_TRUNC, 0600);
    SHOW("getattr tmp file", getattr(AT_FDCWD, "/tmp/file_attr", &fa, sizeof fa, 0));
    SHOW("getattr fd", getattr(fd, "", &fa, sizeof fa, AT_EMPTY_PATH));
    SHOW("getattr bad flags", getattr(AT_FDCWD, "/nonexistent", &fa, sizeof fa, 0x2));
    SHOW("getattr size too big", getattr(AT_FDCWD, "/nonexistent", &fa, 8192, 0));
    SHOW("getattr size too small", getattr(AT_FDCWD, "/nonexistent", &fa, 16, 0));
    SHOW("getattr missing", getattr(AT_FDCWD, "/nonexistent", &fa, sizeof fa, 0));
    SHOW("getattr bad dirfd", getattr(999, "x", &fa, sizeof fa, 0));
    SHOW("getattr bad path pointer", getattr(AT_FDCWD, (char *)8, &fa, sizeof fa, 0));
    SHOW("getattr procfs", getattr(AT_FDCWD, "/proc/self/status", &fa, sizeof fa, 0));
    SHOW("setattr tmp file", setattr(AT_FDCWD, "/tmp/file_attr", &fa, sizeof fa, 0));
    SHOW("setattr bad struct pointer", setattr(AT_FDCWD, "/nonexistent", (void *)8, sizeof fa, 0));
    fa.fa_xflags = 0x4;
    SHOW("setattr unknown xflag", setattr(AT_FDCWD, "/nonexistent", &fa, sizeof fa, 0));
    big[40] = 1;
    SHOW("setattr trailing bytes", setattr(AT_FDCWD, "/nonexistent", big, sizeof big, 0));
    big[40] = 0;
    SHOW("setattr zero trailing bytes", setattr(AT_FDCWD, "/nonexistent", big, sizeof big, 0));
    SHOW("setattr procfs", setattr(AT_FDCWD, "/proc/self/status", big, sizeof big, 0));
    unlink("/tmp/file_attr");
    return 0;
}
