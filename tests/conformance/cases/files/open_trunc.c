/* family: files
 * open(2) O_TRUNC: an existing regular file opened for writing with O_TRUNC is
 * emptied; Linux truncates even with O_RDONLY|O_TRUNC; O_TRUNC on a directory
 * is EISDIR (a directory cannot be opened for writing); on a FIFO O_TRUNC is
 * ignored; a missing file without O_CREAT is ENOENT.
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); _r; })

static long size(const char *p) { struct stat st; return stat(p, &st) ? -1 : (long)st.st_size; }

int main(void)
{
    mkdir("/tmp/open_trunc", 0755);
    int fd = open("/tmp/open_trunc/f", O_CREAT | O_WRONLY, 0644);
    write(fd, "0123456789", 10);
    close(fd);
    SAY("size before=%ld", size("/tmp/open_trunc/f"));
    fd = OK("open wronly trunc", open("/tmp/open_trunc/f", O_WRONLY | O_TRUNC));
    close(fd);
    SAY("size after wronly trunc=%ld", size("/tmp/open_trunc/f"));
    fd = open("/tmp/open_trunc/f", O_WRONLY);
    write(fd, "abc", 3);
    close(fd);
    fd = OK("open rdonly trunc", open("/tmp/open_trunc/f", O_RDONLY | O_TRUNC));
    close(fd);
    SAY("size after rdonly trunc=%ld", size("/tmp/open_trunc/f"));
    OK("trunc dir rdonly", open("/tmp/open_trunc", O_RDONLY | O_TRUNC));
    OK("trunc dir wronly", open("/tmp/open_trunc", O_WRONLY | O_TRUNC));
    mkfifo("/tmp/open_trunc/fifo", 0644);
    fd = OK("trunc fifo rdwr", open("/tmp/open_trunc/fifo", O_RDWR | O_TRUNC));
    close(fd);
    OK("trunc missing", open("/tmp/open_trunc/missing", O_WRONLY | O_TRUNC));
    fd = OK("creat trunc missing", open("/tmp/open_trunc/new", O_WRONLY | O_TRUNC | O_CREAT, 0600));
    close(fd);
    SAY("size new=%ld", size("/tmp/open_trunc/new"));
    return 0;
}
