/* family: files
 * stat(2)/lstat(2): the file type and permission bits of a regular file, a
 * directory, a symlink (lstat describes the link: size is the target's length;
 * stat follows it), a FIFO and a unix socket; a file's nlink is 1, an empty
 * file's size 0; stat of a dangling symlink is ENOENT, lstat works.
 */
#include "case.h"

static void show(const char *label, int r, struct stat *st)
{
    if (r) { SAY("%s=-1 %s", label, errname(errno)); return; }
    SAY("%s mode=%06o nlink=%ld size=%ld", label, st->st_mode, (long)st->st_nlink, (long)st->st_size);
}

int main(void)
{
    struct stat st;
    mkdir("/tmp/stat_types", 0755);
    int fd = open("/tmp/stat_types/f", O_CREAT | O_WRONLY, 0640);
    write(fd, "12345", 5);
    close(fd);
    close(open("/tmp/stat_types/empty", O_CREAT | O_WRONLY, 0600));
    mkdir("/tmp/stat_types/d", 0711);
    symlink("f", "/tmp/stat_types/lf");
    symlink("/tmp/stat_types/nowhere", "/tmp/stat_types/dangling");
    mkfifo("/tmp/stat_types/p", 0604);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "/tmp/stat_types/sock" };
    bind(s, (struct sockaddr *)&a, sizeof a);
    show("file", stat("/tmp/stat_types/f", &st), &st);
    show("empty", stat("/tmp/stat_types/empty", &st), &st);
    show("dir", stat("/tmp/stat_types/d", &st), &st);
    show("stat link", stat("/tmp/stat_types/lf", &st), &st);
    show("lstat link", lstat("/tmp/stat_types/lf", &st), &st);
    show("stat dangling", stat("/tmp/stat_types/dangling", &st), &st);
    show("lstat dangling", lstat("/tmp/stat_types/dangling", &st), &st);
    show("fifo", stat("/tmp/stat_types/p", &st), &st);
    show("socket", lstat("/tmp/stat_types/sock", &st), &st);
    SAY("socket type=%d", S_ISSOCK(st.st_mode));
    show("missing", stat("/tmp/stat_types/missing", &st), &st);
    show("through file", stat("/tmp/stat_types/f/x", &st), &st);
    show("empty path", stat("", &st), &st);
    fd = open("/tmp/stat_types/f", O_RDONLY);
    show("fstat", fstat(fd, &st), &st);
    show("fstat bad fd", fstat(99, &st), &st);
    return 0;
}
