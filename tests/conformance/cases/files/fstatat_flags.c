/* family: files
 * fstatat(2) (newfstatat): AT_SYMLINK_NOFOLLOW describes a final symlink
 * itself; AT_EMPTY_PATH with "" describes the dirfd (any kind of fd, or the cwd
 * for AT_FDCWD); "" without AT_EMPTY_PATH is ENOENT; a relative path with a
 * dirfd that is not a directory is ENOTDIR; a bad dirfd is EBADF; unknown flag
 * bits are EINVAL before the lookup.
 */
#include "case.h"

static void show(const char *label, long r, struct stat *st)
{
    if (r) { SAY("%s=-1 %s", label, errname(errno)); return; }
    SAY("%s mode=%06o", label, st->st_mode);
}
#define FSA(dfd, p, st, fl) syscall(SYS_newfstatat, dfd, p, st, fl)

int main(void)
{
    struct stat st;
    mkdir("/tmp/fstatat_flags", 0750);
    close(open("/tmp/fstatat_flags/f", O_CREAT | O_WRONLY, 0604));
    symlink("f", "/tmp/fstatat_flags/l");
    int d = open("/tmp/fstatat_flags", O_RDONLY | O_DIRECTORY);
    int f = open("/tmp/fstatat_flags/f", O_RDONLY);
    show("follow", FSA(d, "l", &st, 0), &st);
    show("nofollow", FSA(d, "l", &st, AT_SYMLINK_NOFOLLOW), &st);
    show("empty path dir", FSA(d, "", &st, AT_EMPTY_PATH), &st);
    show("empty path file", FSA(f, "", &st, AT_EMPTY_PATH), &st);
    show("empty path no flag", FSA(d, "", &st, 0), &st);
    chdir("/tmp/fstatat_flags");
    show("empty path cwd", FSA(AT_FDCWD, "", &st, AT_EMPTY_PATH), &st);
    show("relative to file fd", FSA(f, "x", &st, 0), &st);
    show("absolute ignores bad fd", FSA(99, "/tmp/fstatat_flags/f", &st, 0), &st);
    show("relative bad fd", FSA(99, "f", &st, 0), &st);
    show("unknown flag 0x1", FSA(d, "f", &st, 0x1), &st);
    show("unknown flag 0x10000", FSA(d, "missing", &st, 0x10000), &st);
    show("removedir flag", FSA(d, "missing", &st, AT_REMOVEDIR), &st);
    show("no_automount ok", FSA(d, "f", &st, AT_NO_AUTOMOUNT), &st);
    int p[2];
    pipe(p);
    show("empty path pipe isfifo", FSA(p[0], "", &st, AT_EMPTY_PATH) || !S_ISFIFO(st.st_mode), &st);
    return 0;
}
