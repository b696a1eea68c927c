/* family: files
 * statx(2): the basic fields (type and mode, nlink, uid, gid, size) match
 * stat's, and stx_mask has STATX_BASIC_STATS; AT_SYMLINK_NOFOLLOW and
 * AT_EMPTY_PATH work as in fstatat; unknown flag bits, both sync flags at once,
 * and the reserved mask bit are EINVAL before the lookup.
 */
#include "case.h"

static void show(const char *label, long r, struct statx *sx)
{
    if (r) { SAY("%s=-1 %s", label, errname(errno)); return; }
    SAY("%s basic=%d mode=%06o nlink=%u uid=%u gid=%u size=%llu", label,
        (sx->stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, sx->stx_mode, sx->stx_nlink,
        sx->stx_uid, sx->stx_gid, (unsigned long long)sx->stx_size);
}
#define SX(d, p, fl, m, sx) syscall(SYS_statx, d, p, fl, m, sx)

int main(void)
{
    struct statx sx;
    mkdir("/tmp/statx_fields", 0755);
    int fd = open("/tmp/statx_fields/f", O_CREAT | O_WRONLY, 0640);
    write(fd, "abcdefg", 7);
    symlink("f", "/tmp/statx_fields/l");
    mkdir("/tmp/statx_fields/d", 0700);
    show("file", SX(AT_FDCWD, "/tmp/statx_fields/f", 0, STATX_BASIC_STATS, &sx), &sx);
    show("dir", SX(AT_FDCWD, "/tmp/statx_fields/d", 0, STATX_BASIC_STATS, &sx), &sx);
    show("link", SX(AT_FDCWD, "/tmp/statx_fields/l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), &sx);
    show("link followed", SX(AT_FDCWD, "/tmp/statx_fields/l", 0, STATX_BASIC_STATS, &sx), &sx);
    show("empty path fd", SX(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), &sx);
    show("mask 0", SX(AT_FDCWD, "/tmp/statx_fields/f", 0, 0, &sx), &sx);
    show("unknown flag", SX(AT_FDCWD, "/tmp/statx_fields/missing", 0x10000, STATX_BASIC_STATS, &sx), &sx);
    show("both sync flags", SX(AT_FDCWD, "/tmp/statx_fields/missing", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
                               STATX_BASIC_STATS, &sx), &sx);
    show("reserved mask", SX(AT_FDCWD, "/tmp/statx_fields/missing", 0, 0x80000000U, &sx), &sx);
    show("force sync", SX(AT_FDCWD, "/tmp/statx_fields/f", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &sx), &sx);
    show("missing", SX(AT_FDCWD, "/tmp/statx_fields/missing", 0, STATX_BASIC_STATS, &sx), &sx);
    show("empty no flag", SX(fd, "", 0, STATX_BASIC_STATS, &sx), &sx);
    return 0;
}
