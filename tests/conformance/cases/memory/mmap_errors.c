/* mmap(2) argument checks: length 0 is EINVAL; neither MAP_PRIVATE nor
 * MAP_SHARED is EINVAL; an offset that is not page-aligned is EINVAL; MAP_FIXED
 * at an unaligned address is EINVAL; a bad fd for a file mapping is EBADF;
 * MAP_SHARED_VALIDATE with an unknown flag is EOPNOTSUPP; PROT_WRITE with
 * MAP_SHARED on a read-only fd is EACCES; a length near 2^64 is ENOMEM; an
 * anonymous mapping reads as zeros.
 */
#include "case.h"

#define M(l, ...) SHOW(l, (long)mmap(__VA_ARGS__) == -1 ? -1 : 0)

int main(void)
{
    M("length 0", 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    M("no type", 0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);
    int fd = open("/tmp/mm", O_CREAT | O_RDWR, 0644);
    ftruncate(fd, 8192);
    M("unaligned offset", 0, 4096, PROT_READ, MAP_PRIVATE, fd, 100);
    M("fixed unaligned", (void *)0x10000001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    M("bad fd", 0, 4096, PROT_READ, MAP_PRIVATE, 999, 0);
    M("validate unknown flag", 0, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, fd, 0);
    M("validate ok", 0, 4096, PROT_READ, MAP_SHARED_VALIDATE, fd, 0);
    int ro = open("/tmp/mm", O_RDONLY);
    M("shared write on read-only fd", 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    M("private write on read-only fd", 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    M("huge", 0, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int dfd = open("/tmp", O_RDONLY);
    M("directory", 0, 4096, PROT_READ, MAP_PRIVATE, dfd, 0);
    char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SAY("zeros=%d aligned=%d", p[0] == 0 && p[8191] == 0, ((uintptr_t)p & 4095) == 0);
    return 0;
}
