/* family: fds
 * Linux AIO (io_setup, io_submit, io_getevents, io_destroy) on a file: an
 * asynchronous pwrite then pread through a context of 8 events complete with
 * res = the byte count and the iocb's data and address echoed in the event;
 * an fsync completes with 0; IOCB_FLAG_RESFD signals an eventfd once per
 * completion.  io_setup with nr_events 0 is EINVAL, with a bad ctx pointer
 * EFAULT, with a ctx that is not 0 EINVAL; io_destroy of a destroyed context
 * is EINVAL.
 */
#include "case.h"
#include <linux/aio_abi.h>
#include <sys/eventfd.h>

static long io_setup(unsigned n, aio_context_t *ctx) { return syscall(SYS_io_setup, n, ctx); }
static long io_destroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
static long io_submit(aio_context_t ctx, long n, struct iocb **p) { return syscall(SYS_io_submit, ctx, n, p); }
static long io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev, struct timespec *t)
{
    return syscall(SYS_io_getevents, ctx, min, max, ev, t);
}

int main(void)
{
    aio_context_t ctx = 0;
    SHOW("io_setup 0 events", io_setup(0, &ctx));
    SHOW("io_setup bad pointer", io_setup(8, (aio_context_t *)8));
    aio_context_t nonzero = 1;
    SHOW("io_setup ctx not 0", io_setup(8, &nonzero));
    SHOW("io_setup", io_setup(8, &ctx));
    SHOW("ctx set", ctx != 0);

    int fd = open("/tmp/aio_basic", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char out[64] = "hello, asynchronous world", in[64] = {0};
    struct iocb w = {.aio_data = 0x1234, .aio_lio_opcode = IOCB_CMD_PWRITE, .aio_fildes = fd,
                     .aio_buf = (uintptr_t)out, .aio_nbytes = strlen(out), .aio_offset = 100};
    struct iocb *list[2] = {&w};
    SHOW("submit pwrite", io_submit(ctx, 1, list));
    struct io_event ev[4];
    struct timespec ts = {5, 0};
    SHOW("getevents pwrite", io_getevents(ctx, 1, 4, ev, &ts));
    SAY("pwrite event: data=%#llx obj-is-iocb=%d res=%lld", (unsigned long long)ev[0].data,
        ev[0].obj == (uintptr_t)&w, (long long)ev[0].res);

    struct stat st;
    fstat(fd, &st);
    SAY("file size=%lld", (long long)st.st_size);

    int efd = eventfd(0, 0);
    struct iocb r = {.aio_data = 0x5678, .aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = fd,
                     .aio_buf = (uintptr_t)in, .aio_nbytes = sizeof in, .aio_offset = 100,
                     .aio_flags = IOCB_FLAG_RESFD, .aio_resfd = efd};
    struct iocb s = {.aio_data = 0x9abc, .aio_lio_opcode = IOCB_CMD_FSYNC, .aio_fildes = fd};
    list[0] = &r;
    list[1] = &s;
    SHOW("submit pread+fsync", io_submit(ctx, 2, list));
    int got = 0;
    while (got < 2) {
        long n = io_getevents(ctx, 1, 4 - got, ev + got, &ts);
        if (n <= 0) { SHOW("getevents", n); break; }
        got += n;
    }
    for (int i = 0; i < got; i++)
        SAY("event data=%#llx res=%lld", (unsigned long long)ev[i].data, (long long)ev[i].res);
    SAY("read back: %s", in);
    uint64_t count = 0;
    SHOW("eventfd read", read(efd, &count, 8));
    SAY("eventfd count=%llu", (unsigned long long)count);

    struct iocb bad = {.aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = 999, .aio_buf = (uintptr_t)in,
                       .aio_nbytes = 1};
    list[0] = &bad;
    SHOW("submit on bad fd", io_submit(ctx, 1, list));
    SHOW("getevents none ready", io_getevents(ctx, 0, 4, ev, &(struct timespec){0, 0}));
    SHOW("io_destroy", io_destroy(ctx));
    SHOW("io_destroy again", io_destroy(ctx));
    SHOW("submit after destroy", io_submit(ctx, 1, list));
    unlink("/tmp/aio_basic");
    return 0;
}
