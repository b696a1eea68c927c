/* family: pipes
 * A non-blocking pipe: reading an empty pipe with a writer is EAGAIN; a
 * full pipe (65536 bytes by default) refuses more with EAGAIN; a write
 * larger than the free space is partial; after the writer closes, a read of
 * the empty pipe is 0 (end of file), not EAGAIN.
 */
#include "case.h"

int main(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    char b[4096];
    memset(b, 'a', sizeof b);
    SHOW("read empty", read(p[0], b, 1));
    long total = 0, n;
    while ((n = write(p[1], b, sizeof b)) > 0)
        total += n;
    SAY("filled=%ld then=%s", total, errname(errno));
    SHOW("write full", write(p[1], b, 1));
    SHOW("read 100", read(p[0], b, 100));
    SHOW("write full-ish page", write(p[1], b, 200));
    SHOW("read 4096", read(p[0], b, 4096));
    SHOW("write partial", write(p[1], b, 8192));
    while (read(p[0], b, sizeof b) > 0)
        ;
    SHOW("read drained", read(p[0], b, 1));
    close(p[1]);
    SHOW("read eof", read(p[0], b, 1));
    return 0;
}
