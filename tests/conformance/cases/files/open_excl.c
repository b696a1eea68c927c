/* family: files
 * open(2): O_CREAT|O_EXCL fails with EEXIST on an existing name, even a dangling
 * symlink; O_DIRECTORY on a regular file is ENOTDIR; a trailing slash on a
 * missing name with O_CREAT is EISDIR; O_TRUNC empties a file.
 */
#include "case.h"

int main(void)
{
    SHOW("creat", open("/tmp/f", O_CREAT | O_EXCL | O_WRONLY, 0644));
    SHOW("creat again", open("/tmp/f", O_CREAT | O_EXCL | O_WRONLY, 0644));
    SHOW("symlink", symlink("/tmp/nowhere", "/tmp/dangling"));
    SHOW("excl on dangling", open("/tmp/dangling", O_CREAT | O_EXCL | O_WRONLY, 0644));
    SHOW("directory on file", open("/tmp/f", O_RDONLY | O_DIRECTORY));
    SHOW("trailing slash creat", open("/tmp/missing/", O_CREAT | O_WRONLY, 0644));
    int fd = open("/tmp/f", O_WRONLY);
    SHOW("write", write(fd, "hello", 5));
    close(fd);
    SHOW("trunc", open("/tmp/f", O_WRONLY | O_TRUNC));
    struct stat st;
    stat("/tmp/f", &st);
    SAY("size=%ld mode=%o", (long)st.st_size, st.st_mode & 07777);
    return 0;
}
