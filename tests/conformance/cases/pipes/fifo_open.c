/* family: pipes
 * A FIFO (mkfifo(3)): opening the read end with O_NONBLOCK succeeds with no
 * writer; opening the write end with O_NONBLOCK and no reader is ENXIO; once
 * both ends are open, bytes pass as through a pipe; mkfifo of an existing
 * name is EEXIST; lseek on it is ESPIPE.
 */
#include "case.h"

int main(void)
{
    SHOW("mkfifo", mkfifo("/tmp/fifo", 0644));
    SHOW("mkfifo again", mkfifo("/tmp/fifo", 0644));
    struct stat st;
    stat("/tmp/fifo", &st);
    SAY("fifo=%d mode=%o", S_ISFIFO(st.st_mode), st.st_mode & 0777);
    SHOW("open wronly nonblock, no reader", open("/tmp/fifo", O_WRONLY | O_NONBLOCK));
    int r = open("/tmp/fifo", O_RDONLY | O_NONBLOCK);
    SAY("open rdonly nonblock ok=%d", r >= 0);
    char b[8] = {0};
    SHOW("read no writer", read(r, b, 1));
    int w = open("/tmp/fifo", O_WRONLY | O_NONBLOCK);
    SAY("open wronly with reader ok=%d", w >= 0);
    SHOW("read empty with writer", read(r, b, 1));
    SHOW("write", write(w, "abc", 3));
    SHOW("read", read(r, b, sizeof b));
    SAY("got=%s", b);
    SHOW("lseek", lseek(r, 0, SEEK_SET));
    SHOW("rdwr", open("/tmp/fifo", O_RDWR) >= 0);
    unlink("/tmp/fifo");
    return 0;
}
