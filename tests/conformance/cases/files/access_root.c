/* family: files
 * access(2) as root: read and write are granted whatever the mode; execute
 * needs at least one x bit on a file (a directory is always searchable); a
 * mode beyond R|W|X is EINVAL; a missing file ENOENT; AT_SYMLINK_NOFOLLOW
 * checks a dangling symlink itself; a component that is a file is ENOTDIR.
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/access_root", 0755);
    chdir("/tmp/access_root");
    close(open("none", O_CREAT | O_WRONLY, 0));
    close(open("x", O_CREAT | O_WRONLY, 0001));
    mkdir("d", 0);
    symlink("nowhere", "dangling");
    SHOW("R none", access("none", R_OK));
    SHOW("W none", access("none", W_OK));
    SHOW("X none", access("none", X_OK));
    SHOW("RWX none", access("none", R_OK | W_OK | X_OK));
    SHOW("X other only", access("x", X_OK));
    SHOW("X dir 0", access("d", X_OK));
    SHOW("RW dir 0", access("d", R_OK | W_OK));
    SHOW("bad mode", access("none", 8));
    SHOW("missing", access("missing", F_OK));
    SHOW("dangling", access("dangling", F_OK));
    SHOW("dangling nofollow", faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    SHOW("through file", access("none/x", F_OK));
    SHOW("faccessat2 eaccess", syscall(SYS_faccessat2, AT_FDCWD, "none", R_OK, AT_EACCESS));
    SHOW("W proc readonly file", access("/proc/self/status", W_OK));
    return 0;
}
