/* capget(2) and capset(2), Linux's rules (kernel/capability.c, security/commoncap.c):
 * versions 1 (one 32-bit word per set), 2 and 3 (two words); an unknown version is
 * EINVAL and the kernel's version is written back (with a NULL data pointer the
 * call is then 0); capget of pid 0 or the caller's own id is the caller, of another
 * thread its sets, of no thread ESRCH, of a negative pid EINVAL.  capset changes
 * only the caller's own sets (another pid: EPERM): the new permitted set must be
 * within the old one, the new effective set within the new permitted one, the
 * new inheritable set within old inheritable + bounding and, without
 * CAP_SETPCAP, within old inheritable + permitted; otherwise EPERM and nothing
 * changes.  A capability dropped from the permitted set cannot come back.
 * root: another process with its own capability sets needs real root natively
 */
#include "case.h"
#include <linux/capability.h>

static struct __user_cap_data_struct d[2];

static int get(int version, pid_t pid)
{
    struct __user_cap_header_struct h = {version, pid};
    memset(d, 0xAA, sizeof d);
    return syscall(SYS_capget, &h, d);
}

static int set(int version, pid_t pid, unsigned eff, unsigned prm, unsigned inh)
{
    struct __user_cap_header_struct h = {version, pid};
    get(_LINUX_CAPABILITY_VERSION_3, 0);
    d[0].effective = eff;
    d[0].permitted = prm;
    d[0].inheritable = inh;
    return syscall(SYS_capset, &h, d);
}

#define BIT(c) (1u << (c))
#define SETS(l) SAY("%s: eff kill=%d chown=%d setpcap=%d net_raw=%d; prm kill=%d net_raw=%d; inh=%#x", l, \
    !!(d[0].effective & BIT(CAP_KILL)), !!(d[0].effective & BIT(CAP_CHOWN)), \
    !!(d[0].effective & BIT(CAP_SETPCAP)), !!(d[0].effective & BIT(CAP_NET_RAW)), \
    !!(d[0].permitted & BIT(CAP_KILL)), !!(d[0].permitted & BIT(CAP_NET_RAW)), d[0].inheritable)

int main(void)
{
    SHOW("v1 capget", get(_LINUX_CAPABILITY_VERSION_1, 0));
    SAY("v1 fills one word: second word untouched=%d, chown=%d", d[1].effective == 0xAAAAAAAA,
        d[0].effective & 1);
    SHOW("v2 capget", get(_LINUX_CAPABILITY_VERSION_2, 0));
    SAY("v2 fills two words: second word untouched=%d", d[1].effective == 0xAAAAAAAA);
    SHOW("v3 capget", get(_LINUX_CAPABILITY_VERSION_3, 0));
    SHOW("own pid", get(_LINUX_CAPABILITY_VERSION_3, getpid()));
    SHOW("no such pid", get(_LINUX_CAPABILITY_VERSION_3, 999999));
    SHOW("negative pid", get(_LINUX_CAPABILITY_VERSION_3, -5));
    struct __user_cap_header_struct bad = {0x12345678, 0};
    SHOW("bad version, NULL data", syscall(SYS_capget, &bad, NULL));
    SAY("version written back=%#x", bad.version);
    bad.version = 0x12345678;
    SHOW("bad version, capset", syscall(SYS_capset, &bad, d));
    SAY("version written back=%#x", bad.version);
    SHOW("NULL header", syscall(SYS_capget, NULL, d));

    /* a child with a small set of its own; the parent reads it by pid */
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = fork();
    if (c == 0) {
        char x;
        set(_LINUX_CAPABILITY_VERSION_3, 0, BIT(CAP_KILL), BIT(CAP_KILL) | BIT(CAP_CHOWN), 0);
        write(p[1], "x", 1);
        read(q[0], &x, 1);
        _exit(0);
    }
    char x;
    read(p[0], &x, 1);
    SHOW("child's sets", get(_LINUX_CAPABILITY_VERSION_3, c));
    SAY("child: eff=%#x prm=%#x inh=%#x hi=%#x,%#x", d[0].effective, d[0].permitted, d[0].inheritable,
        d[1].effective, d[1].permitted);
    SHOW("capset of the child", set(_LINUX_CAPABILITY_VERSION_3, c, 0, 0, 0));
    write(q[1], "x", 1);
    waitpid(c, 0, 0);

    get(_LINUX_CAPABILITY_VERSION_3, 0);
    unsigned all = d[0].permitted;
    SHOW("drop kill from effective", set(_LINUX_CAPABILITY_VERSION_3, 0, all & ~BIT(CAP_KILL), all, 0));
    get(_LINUX_CAPABILITY_VERSION_3, 0); SETS("now");
    SHOW("raise it again", set(_LINUX_CAPABILITY_VERSION_3, 0, all, all, 0));
    SHOW("effective beyond permitted", set(_LINUX_CAPABILITY_VERSION_3, 0, all, all & ~BIT(CAP_NET_RAW), 0));
    get(_LINUX_CAPABILITY_VERSION_3, 0); SETS("unchanged");
    SHOW("drop net_raw from permitted", set(_LINUX_CAPABILITY_VERSION_3, 0, all & ~BIT(CAP_NET_RAW),
                                            all & ~BIT(CAP_NET_RAW), 0));
    get(_LINUX_CAPABILITY_VERSION_3, 0); SETS("now");
    SHOW("permitted back", set(_LINUX_CAPABILITY_VERSION_3, 0, all & ~BIT(CAP_NET_RAW), all, 0));
    unsigned some = all & ~BIT(CAP_NET_RAW);
    SHOW("inheritable outside permitted, with setpcap", set(_LINUX_CAPABILITY_VERSION_3, 0, some, some, BIT(CAP_NET_RAW)));
    get(_LINUX_CAPABILITY_VERSION_3, 0); SETS("now");
    unsigned nopcap = some & ~BIT(CAP_SETPCAP);
    SHOW("drop setpcap", set(_LINUX_CAPABILITY_VERSION_3, 0, nopcap, some, BIT(CAP_NET_RAW)));
    SHOW("keep inheritable net_raw", set(_LINUX_CAPABILITY_VERSION_3, 0, nopcap, some, BIT(CAP_NET_RAW) | BIT(CAP_KILL)));
    SHOW("drop kill from permitted", set(_LINUX_CAPABILITY_VERSION_3, 0, nopcap & ~BIT(CAP_KILL),
                                         some & ~BIT(CAP_KILL), BIT(CAP_NET_RAW)));
    SHOW("inheritable kill, not permitted, no setpcap", set(_LINUX_CAPABILITY_VERSION_3, 0,
         nopcap & ~BIT(CAP_KILL), some & ~BIT(CAP_KILL), BIT(CAP_NET_RAW) | BIT(CAP_KILL)));
    get(_LINUX_CAPABILITY_VERSION_3, 0); SETS("end");
    SHOW("v1 capset drops the high word", set(_LINUX_CAPABILITY_VERSION_1, 0, 0, BIT(CAP_CHOWN), 0));
    get(_LINUX_CAPABILITY_VERSION_3, 0);
    SAY("after v1 capset: eff=%#x prm=%#x hi=%#x,%#x", d[0].effective, d[0].permitted, d[1].effective, d[1].permitted);
    return 0;
}
