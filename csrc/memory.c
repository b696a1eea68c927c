/*
 * Guest-memory layer: reads and writes of a guest's address space through
 * process_vm_readv/writev, so that a bad guest pointer is -EFAULT, never a
 * crash of the supervisor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "helper.h"

long uh_read(int pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = { buf, len }, remote = { (void *)addr, len };
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n < 0)
        return -errno;
    return n;
}

long uh_write(int pid, uint64_t addr, const void *buf, size_t len)
{
    struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
    ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
    if (n < 0)
        return -errno;
    return n;
}

/* Read a NUL-terminated string of at most max bytes (NUL excluded).  Reads
 * page by page so a string that ends just before an unmapped page works.
 * Returns its length, -EFAULT, or -ENAMETOOLONG. */
long uh_read_str(int pid, uint64_t addr, char *buf, size_t max)
{
    size_t got = 0;
    long n;
    if (addr == 0)
        return -EFAULT;
    if ((n = uh_prefetched(pid, addr, buf, max)) >= 0)    /* answer.c read it this batch */
        return n;
    while (got <= max) {
        size_t chunk = 4096 - ((addr + got) & 4095);
        if (chunk > max + 1 - got)
            chunk = max + 1 - got;
        n = uh_read(pid, addr + got, buf + got, chunk);
        if (n <= 0)
            return -EFAULT;
        char *nul = memchr(buf + got, 0, n);
        if (nul)
            return nul - buf;
        got += n;
    }
    return -ENAMETOOLONG;
}
