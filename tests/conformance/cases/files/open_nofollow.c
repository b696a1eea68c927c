/* family: files
 * open(2) O_NOFOLLOW: a symlink as the last component is ELOOP (with O_CREAT
 * too, and whether or not it dangles); symlinks earlier in the path are still
 * followed; a regular file opens normally; with O_PATH the link itself opens.
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); if (_r >= 0) close(_r); _r; })

int main(void)
{
    mkdir("/tmp/open_nofollow", 0755);
    mkdir("/tmp/open_nofollow/d", 0755);
    close(open("/tmp/open_nofollow/d/f", O_CREAT | O_WRONLY, 0644));
    symlink("f", "/tmp/open_nofollow/d/lf");
    symlink("d", "/tmp/open_nofollow/ld");
    symlink("nowhere", "/tmp/open_nofollow/dangling");
    OK("file", open("/tmp/open_nofollow/d/f", O_RDONLY | O_NOFOLLOW));
    OK("link", open("/tmp/open_nofollow/d/lf", O_RDONLY | O_NOFOLLOW));
    OK("link creat", open("/tmp/open_nofollow/d/lf", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644));
    OK("dangling creat", open("/tmp/open_nofollow/dangling", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644));
    OK("dangling creat excl", open("/tmp/open_nofollow/dangling", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
    OK("through dir link", open("/tmp/open_nofollow/ld/f", O_RDONLY | O_NOFOLLOW));
    OK("dir link itself", open("/tmp/open_nofollow/ld", O_RDONLY | O_NOFOLLOW));
    OK("path link", open("/tmp/open_nofollow/d/lf", O_PATH | O_NOFOLLOW));
    OK("dangling created?", access("/tmp/open_nofollow/nowhere", F_OK));
    return 0;
}
