/* family: files
 * open(2) O_DIRECTORY: succeeds on a directory (or a symlink to one), ENOTDIR on
 * anything else; a directory opened for writing is EISDIR; O_DIRECTORY|O_CREAT
 * is EINVAL (since Linux 6.4); O_DIRECTORY|O_NOFOLLOW on a symlink is ENOTDIR.
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); if (_r >= 0) close(_r); _r; })

int main(void)
{
    mkdir("/tmp/open_directory", 0755);
    mkdir("/tmp/open_directory/d", 0755);
    close(open("/tmp/open_directory/f", O_CREAT | O_WRONLY, 0644));
    symlink("d", "/tmp/open_directory/ld");
    symlink("f", "/tmp/open_directory/lf");
    mkfifo("/tmp/open_directory/p", 0644);
    OK("dir", open("/tmp/open_directory/d", O_RDONLY | O_DIRECTORY));
    OK("file", open("/tmp/open_directory/f", O_RDONLY | O_DIRECTORY));
    OK("fifo", open("/tmp/open_directory/p", O_RDONLY | O_DIRECTORY | O_NONBLOCK));
    OK("link to dir", open("/tmp/open_directory/ld", O_RDONLY | O_DIRECTORY));
    OK("link to file", open("/tmp/open_directory/lf", O_RDONLY | O_DIRECTORY));
    OK("link to dir nofollow", open("/tmp/open_directory/ld", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    OK("dir wronly", open("/tmp/open_directory/d", O_WRONLY));
    OK("dir rdwr", open("/tmp/open_directory/d", O_RDWR));
    OK("dir rdwr directory", open("/tmp/open_directory/d", O_RDWR | O_DIRECTORY));
    OK("dir creat", open("/tmp/open_directory/d", O_RDONLY | O_CREAT, 0644));
    OK("directory creat existing", open("/tmp/open_directory/d", O_RDONLY | O_DIRECTORY | O_CREAT, 0644));
    OK("directory creat missing", open("/tmp/open_directory/new", O_RDONLY | O_DIRECTORY | O_CREAT, 0644));
    OK("dir trailing slash", open("/tmp/open_directory/d/", O_RDONLY));
    OK("file trailing slash", open("/tmp/open_directory/f/", O_RDONLY));
    OK("dot", open("/tmp/open_directory/.", O_RDONLY | O_DIRECTORY));
    return 0;
}
