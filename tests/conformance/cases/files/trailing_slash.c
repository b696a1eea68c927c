/* family: files
 * A trailing slash means "a directory": open("missing/", O_CREAT) is EISDIR
 * (nothing is created), open("file/") and stat("file/") ENOTDIR, a symlink to a
 * directory with a slash is followed even by lstat, a dangling symlink with a
 * slash is ENOENT; mkdir("new/") works.
 */
#include "case.h"

int main(void)
{
    struct stat st;
    mkdir("/tmp/trailing_slash", 0755);
    chdir("/tmp/trailing_slash");
    close(open("file", O_CREAT | O_WRONLY, 0644));
    mkdir("dir", 0755);
    symlink("dir", "ldir");
    symlink("file", "lfile");
    symlink("nowhere", "dangling");
    SHOW("creat missing/", open("missing/", O_CREAT | O_WRONLY, 0644));
    SHOW("created?", access("missing", F_OK));
    SHOW("creat excl missing/", open("missing/", O_CREAT | O_EXCL | O_WRONLY, 0644));
    SHOW("creat rdonly missing/", open("missing/", O_CREAT | O_RDONLY, 0644));
    SHOW("creat in missing dir/", open("nodir/missing/", O_CREAT | O_WRONLY, 0644));
    SHOW("creat file/", open("file/", O_CREAT | O_WRONLY, 0644));
    SHOW("creat dir/", open("dir/", O_CREAT | O_RDONLY, 0644));
    SHOW("open file/", open("file/", O_RDONLY));
    SHOW("stat file/", stat("file/", &st));
    SHOW("lstat ldir/", lstat("ldir/", &st));
    SAY("isdir=%d", S_ISDIR(st.st_mode));
    SHOW("lstat lfile/", lstat("lfile/", &st));
    SHOW("lstat dangling/", lstat("dangling/", &st));
    SHOW("creat dangling/", open("dangling/", O_CREAT | O_WRONLY, 0644));
    SHOW("mkdir new/", mkdir("new/", 0755));
    SHOW("symlink to new/", symlink("x", "newlink/"));
    SHOW("mknod fifo/", mknod("fifo/", S_IFIFO | 0644, 0));
    return 0;
}
