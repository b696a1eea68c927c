/* family: files
 * utimensat(2): explicit times are stored to the nanosecond; UTIME_OMIT leaves
 * a time alone and UTIME_NOW sets it to the current time (only whether a time
 * changed is shown); a NULL times sets both to now; a tv_nsec out of range is
 * EINVAL; AT_SYMLINK_NOFOLLOW sets the link's own times; a NULL path with a
 * file fd sets that file's times.
 */
#include "case.h"

static void times(const char *label, const char *p, int flags)
{
    struct stat st;
    fstatat(AT_FDCWD, p, &st, flags);
    SAY("%s atime=%ld.%09ld mtime=%ld.%09ld", label, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
        (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void changed(const char *label, const char *p)
{
    struct stat st;
    stat(p, &st);
    SAY("%s atime changed=%d mtime changed=%d", label, st.st_atim.tv_sec != 1000, st.st_mtim.tv_sec != 2000);
}

int main(void)
{
    mkdir("/tmp/utimensat_omit", 0755);
    chdir("/tmp/utimensat_omit");
    close(open("f", O_CREAT | O_WRONLY, 0644));
    symlink("f", "l");
    struct timespec ts[2] = { { 1000, 111 }, { 2000, 222222222 } };
    SHOW("set", utimensat(AT_FDCWD, "f", ts, 0));
    times("set", "f", 0);
    struct timespec omit[2] = { { 5, UTIME_OMIT }, { 3000, 0 } };
    SHOW("omit atime", utimensat(AT_FDCWD, "f", omit, 0));
    times("omit atime", "f", 0);
    utimensat(AT_FDCWD, "f", ts, 0);
    struct timespec now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    SHOW("now mtime", utimensat(AT_FDCWD, "f", now, 0));
    changed("now mtime", "f");
    utimensat(AT_FDCWD, "f", ts, 0);
    SHOW("null times", utimensat(AT_FDCWD, "f", NULL, 0));
    changed("null times", "f");
    struct timespec both_omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
    utimensat(AT_FDCWD, "f", ts, 0);
    SHOW("both omit", utimensat(AT_FDCWD, "f", both_omit, 0));
    times("both omit", "f", 0);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    SHOW("bad nsec", utimensat(AT_FDCWD, "f", bad, 0));
    struct timespec neg[2] = { { 0, -1 }, { 0, 0 } };
    SHOW("negative nsec", utimensat(AT_FDCWD, "f", neg, 0));
    struct timespec lt[2] = { { 7000, 7 }, { 8000, 8 } };
    SHOW("nofollow link", utimensat(AT_FDCWD, "l", lt, AT_SYMLINK_NOFOLLOW));
    times("link", "l", AT_SYMLINK_NOFOLLOW);
    times("target", "f", 0);
    int fd = open("f", O_RDONLY);
    struct timespec ft[2] = { { 4000, 4 }, { 5000, 5 } };
    SHOW("fd null path", syscall(SYS_utimensat, fd, NULL, ft, 0));
    times("fd", "f", 0);
    SHOW("empty path no flag", utimensat(fd, "", ft, 0));
    SHOW("missing", utimensat(AT_FDCWD, "missing", ts, 0));
    return 0;
}
