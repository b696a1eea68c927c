/* family: files
 * open(2) (unlike openat2) ignores unknown flag bits and mode bits beyond
 * 07777; O_TMPFILE needs write access (EINVAL with O_RDONLY); O_CREAT with
 * O_DIRECTORY is EINVAL; O_RDONLY|O_WRONLY|O_RDWR (3) is not a valid access mode
 * for reading or writing (EBADF on read and write).
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); _r; })

int main(void)
{
    mkdir("/tmp/open_flags_ignored", 0755);
    int fd = OK("unknown bits", syscall(SYS_openat, AT_FDCWD, "/tmp/open_flags_ignored/f",
                O_CREAT | O_WRONLY | 0x4000000, 0644));
    close(fd);
    fd = OK("mode beyond 07777", syscall(SYS_openat, AT_FDCWD, "/tmp/open_flags_ignored/g",
            O_CREAT | O_WRONLY, 0170644));
    close(fd);
    struct stat st;
    stat("/tmp/open_flags_ignored/g", &st);
    SAY("mode=%o", st.st_mode);
    OK("tmpfile rdonly", open("/tmp/open_flags_ignored", O_TMPFILE | O_RDONLY, 0600));
    OK("creat directory", open("/tmp/open_flags_ignored/h", O_CREAT | O_DIRECTORY | O_RDONLY, 0600));
    OK("h exists", access("/tmp/open_flags_ignored/h", F_OK));
    fd = OK("accmode 3", open("/tmp/open_flags_ignored/f", 3));
    char c;
    OK("read accmode 3", read(fd, &c, 1));
    OK("write accmode 3", write(fd, "x", 1));
    close(fd);
    return 0;
}
