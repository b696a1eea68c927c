/* family: files
 * O_TMPFILE makes an unnamed regular file in a directory: nlink 0, mode from
 * the argument and umask; it can be given a name with
 * linkat(AT_FDCWD, "/proc/self/fd/N", ..., AT_SYMLINK_FOLLOW), unless it was
 * opened with O_EXCL (ENOENT); O_TMPFILE on a file is ENOTDIR, on a missing
 * directory ENOENT.
 */
#include "case.h"

int main(void)
{
    struct stat st;
    char p[64];
    mkdir("/tmp/tmpfile", 0755);
    umask(022);
    int fd = open("/tmp/tmpfile", O_TMPFILE | O_RDWR, 0666);
    SHOW("opened", fd >= 0);
    SHOW("write", write(fd, "hello", 5));
    fstat(fd, &st);
    SAY("mode=%o nlink=%ld size=%ld", st.st_mode, (long)st.st_nlink, (long)st.st_size);
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    SHOW("linkat", linkat(AT_FDCWD, p, AT_FDCWD, "/tmp/tmpfile/named", AT_SYMLINK_FOLLOW));
    SHOW("stat named", stat("/tmp/tmpfile/named", &st));
    SAY("mode=%o nlink=%ld size=%ld", st.st_mode, (long)st.st_nlink, (long)st.st_size);
    fstat(fd, &st);
    SAY("fd nlink=%ld", (long)st.st_nlink);
    int ex = open("/tmp/tmpfile", O_TMPFILE | O_RDWR | O_EXCL, 0600);
    SHOW("excl opened", ex >= 0);
    snprintf(p, sizeof p, "/proc/self/fd/%d", ex);
    SHOW("linkat excl", linkat(AT_FDCWD, p, AT_FDCWD, "/tmp/tmpfile/excl", AT_SYMLINK_FOLLOW));
    SHOW("on file", open("/tmp/tmpfile/named", O_TMPFILE | O_RDWR, 0600));
    SHOW("missing dir", open("/tmp/tmpfile/missing", O_TMPFILE | O_RDWR, 0600));
    SHOW("wronly", open("/tmp/tmpfile", O_TMPFILE | O_WRONLY, 0600) >= 0);
    /* the same in a directory of the root file system (the image, under umlpy) */
    int v = open("/var", O_TMPFILE | O_RDWR, 0640);
    SHOW("var opened", v >= 0);
    snprintf(p, sizeof p, "/proc/self/fd/%d", v);
    SHOW("var linkat", linkat(AT_FDCWD, p, AT_FDCWD, "/var/tmpfile-named", AT_SYMLINK_FOLLOW));
    SHOW("var stat named", stat("/var/tmpfile-named", &st));
    SAY("mode=%o nlink=%ld", st.st_mode, (long)st.st_nlink);
    SHOW("var linkat again", linkat(AT_FDCWD, p, AT_FDCWD, "/var/tmpfile-named", AT_SYMLINK_FOLLOW));
    SHOW("var cross-mount", linkat(AT_FDCWD, p, AT_FDCWD, "/tmp/tmpfile/other", AT_SYMLINK_FOLLOW));
    SHOW("var unlink", unlink("/var/tmpfile-named"));
    return 0;
}
