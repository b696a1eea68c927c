/* family: pipes
 * PIPE_BUF (4096) bytes or fewer are written atomically: on a non-blocking
 * pipe with less room than that, such a write is EAGAIN rather than partial;
 * larger writes may be split. Two children writing PIPE_BUF-byte records
 * concurrently never interleave within a record.
 */
#include "case.h"

int main(void)
{
    SAY("PIPE_BUF=%d", PIPE_BUF);
    int p[2];
    pipe2(p, O_NONBLOCK);
    fcntl(p[1], F_SETPIPE_SZ, 8192);
    static char b[16384];
    memset(b, 'a', sizeof b);
    SHOW("fill 8000", write(p[1], b, 8000));
    SHOW("write PIPE_BUF with 192 free", write(p[1], b, PIPE_BUF));
    SHOW("write 100 with 192 free", write(p[1], b, 100));
    while (read(p[0], b, sizeof b) > 0)
        ;
    int q[2];
    pipe(q);
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            char rec[PIPE_BUF];
            memset(rec, 'A' + i, sizeof rec);
            for (int k = 0; k < 20; k++)
                write(q[1], rec, sizeof rec);
            _exit(0);
        }
    }
    close(q[1]);
    int torn = 0, recs = 0;
    char rec[PIPE_BUF];
    size_t got = 0;
    ssize_t n;
    while ((n = read(q[0], rec + got, sizeof rec - got)) > 0) {
        got += n;
        if (got == sizeof rec) {
            for (size_t k = 1; k < sizeof rec; k++)
                torn |= rec[k] != rec[0];
            recs++;
            got = 0;
        }
    }
    while (wait(NULL) > 0)
        ;
    SAY("records=%d torn=%d", recs, torn);
    return 0;
}
