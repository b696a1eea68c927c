/* family: files
 * openat2(2) argument checks, all EINVAL before any lookup (the path is
 * missing): unknown open flags, unknown RESOLVE_* bits, a mode without O_CREAT
 * or O_TMPFILE, mode bits beyond 07777, RESOLVE_BENEATH with RESOLVE_IN_ROOT,
 * a struct smaller than open_how's first version; a larger struct whose extra
 * bytes are not zero is E2BIG; with zero extra bytes it is accepted.
 */
#include "case.h"
#include <linux/openat2.h>
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); if (_r > 2) close(_r); _r; })

static long o2(const char *p, long flags, long mode, long resolve, size_t size)
{
    struct { struct open_how how; long extra; } big = { { flags, mode, resolve }, 0 };
    return syscall(SYS_openat2, AT_FDCWD, p, &big, size);
}

int main(void)
{
    const char *missing = "/tmp/openat2_invalid/missing/x";
    const size_t sz = sizeof(struct open_how);
    OK("unknown flag", o2(missing, O_RDONLY | (1L << 40), 0, 0, sz));
    OK("unknown flag low", o2(missing, O_RDONLY | 0x4000000, 0, 0, sz));
    OK("unknown resolve", o2(missing, O_RDONLY, 0, 0x40, sz));
    OK("mode without creat", o2(missing, O_RDONLY, 0644, 0, sz));
    OK("mode beyond 07777", o2(missing, O_RDONLY | O_CREAT, 010000, 0, sz));
    OK("beneath|in_root", o2(missing, O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT, sz));
    OK("size small", o2(missing, O_RDONLY, 0, 0, sz - 8));
    OK("size zero", o2(missing, O_RDONLY, 0, 0, 0));
    OK("tmpfile rdonly", o2("/tmp", O_TMPFILE | O_RDONLY, 0600, 0, sz));
    OK("missing", o2(missing, O_RDONLY, 0, 0, sz));
    OK("size bigger zero tail", o2("/tmp", O_RDONLY, 0, 0, sz + 8));
    struct { struct open_how how; long extra; } big = { { O_RDONLY, 0, 0 }, 1 };
    OK("size bigger nonzero tail", syscall(SYS_openat2, AT_FDCWD, "/tmp", &big, sz + 8));
    OK("resolve_cached", o2("/tmp", O_RDONLY, 0, RESOLVE_CACHED, sz));
    OK("resolve_cached creat", o2("/tmp/openat2_invalid_x", O_RDONLY | O_CREAT, 0600, RESOLVE_CACHED, sz));
    OK("creat mode ok", o2("/tmp/openat2_invalid_f", O_WRONLY | O_CREAT, 0600, 0, sz));
    return 0;
}
