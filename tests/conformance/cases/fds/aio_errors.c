/* family: fds
 * Linux AIO's argument errors: io_submit with a negative count is EINVAL,
 * with a bad iocb pointer array EFAULT, with an unknown opcode EINVAL, with
 * a reserved field set EINVAL, on a closed fd EBADF; io_getevents with
 * min_nr > nr EINVAL and on an unknown context EINVAL; io_cancel of an iocb
 * that is not queued (a completed read) is EINVAL; io_pgetevents with a
 * timeout and no events returns 0; nr_events above the per-context limit is
 * EAGAIN or EINVAL depending on the limit (here: a huge count, EINVAL).
 */
#include "case.h"
#include <linux/aio_abi.h>

int main(void)
{
    aio_context_t ctx = 0;
    SHOW("io_setup huge", syscall(SYS_io_setup, 0x7fffffffU, &ctx));
    SHOW("io_setup", syscall(SYS_io_setup, 4, &ctx));
    int fd = open("/tmp/aio_errors", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "abcdef", 6);
    char buf[8];
    struct iocb r = {.aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = fd, .aio_buf = (uintptr_t)buf,
                     .aio_nbytes = 6};
    struct iocb *list[1] = {&r};
    SHOW("submit negative", syscall(SYS_io_submit, ctx, -1L, list));
    SHOW("submit bad array", syscall(SYS_io_submit, ctx, 1L, (void *)8));
    struct iocb *badlist[1] = {(struct iocb *)8};
    SHOW("submit bad iocb", syscall(SYS_io_submit, ctx, 1L, badlist));
    struct iocb op = r;
    op.aio_lio_opcode = 99;
    list[0] = &op;
    SHOW("submit bad opcode", syscall(SYS_io_submit, ctx, 1L, list));
    op = r;
    op.aio_reserved2 = 1;
    SHOW("submit reserved set", syscall(SYS_io_submit, ctx, 1L, list));
    op = r;
    op.aio_fildes = 12345;
    SHOW("submit closed fd", syscall(SYS_io_submit, ctx, 1L, list));
    list[0] = &r;
    SHOW("submit read", syscall(SYS_io_submit, ctx, 1L, list));
    struct io_event ev[2];
    struct timespec ts = {5, 0};
    SHOW("getevents min > nr", syscall(SYS_io_getevents, ctx, 3L, 2L, ev, &ts));
    SHOW("getevents", syscall(SYS_io_getevents, ctx, 1L, 2L, ev, &ts));
    SAY("res=%lld", (long long)ev[0].res);
    struct io_event cev;
    SHOW("cancel completed", syscall(SYS_io_cancel, ctx, &r, &cev));
    SHOW("getevents unknown ctx", syscall(SYS_io_getevents, (aio_context_t)0x1000, 1L, 2L, ev, &ts));
    struct timespec zero = {0, 0};
    SHOW("pgetevents timeout", syscall(SYS_io_pgetevents, ctx, 1L, 2L, ev, &zero, NULL));
    SHOW("io_destroy", syscall(SYS_io_destroy, ctx));
    SHOW("io_destroy unknown", syscall(SYS_io_destroy, (aio_context_t)0x1000));
    unlink("/tmp/aio_errors");
    return 0;
}
