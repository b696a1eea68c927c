/* family: files
 * O_PATH|O_NOFOLLOW on a symlink opens the link itself: fstat shows S_IFLNK and
 * the target's length as size, readlinkat(fd, "") reads its target,
 * fstatat(fd, "", AT_EMPTY_PATH) describes the link, read is EBADF; without
 * O_NOFOLLOW it names the target; O_NOFOLLOW without O_PATH is ELOOP.
 */
#include "case.h"

int main(void)
{
    mkdir("/tmp/open_path_symlink", 0755);
    close(open("/tmp/open_path_symlink/target", O_CREAT | O_WRONLY, 0644));
    symlink("target", "/tmp/open_path_symlink/link");
    int fd = open("/tmp/open_path_symlink/link", O_PATH | O_NOFOLLOW);
    SHOW("opened", fd >= 0);
    struct stat st;
    SHOW("fstat", fstat(fd, &st));
    SAY("islnk=%d size=%ld", S_ISLNK(st.st_mode), (long)st.st_size);
    char buf[64] = {0};
    SHOW("readlinkat empty", readlinkat(fd, "", buf, sizeof buf));
    SAY("target=%s", buf);
    SHOW("fstatat empty path", fstatat(fd, "", &st, AT_EMPTY_PATH));
    SAY("islnk=%d", S_ISLNK(st.st_mode));
    SHOW("fstatat empty no flag", fstatat(fd, "", &st, 0));
    SHOW("read", read(fd, buf, 1));
    int fd2 = open("/tmp/open_path_symlink/link", O_PATH);
    fstat(fd2, &st);
    SAY("followed isreg=%d", S_ISREG(st.st_mode));
    SHOW("readlinkat on target", readlinkat(fd2, "", buf, sizeof buf));
    SHOW("nofollow no path", open("/tmp/open_path_symlink/link", O_RDONLY | O_NOFOLLOW));
    int dfd = open("/tmp/open_path_symlink", O_RDONLY | O_DIRECTORY);
    memset(buf, 0, sizeof buf);
    SHOW("readlinkat dir empty", readlinkat(dfd, "", buf, sizeof buf));
    SHOW("readlinkat dir name", readlinkat(dfd, "link", buf, sizeof buf));
    return 0;
}
