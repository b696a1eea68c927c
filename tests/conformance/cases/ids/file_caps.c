/* File capabilities (security.capability, struct vfs_cap_data) at execve
 * (security/commoncap.c): a non-root process running a file whose xattr grants
 * permitted capabilities fP gets pP' = (bounding & fP) | (pI & fI), effective too
 * if the file's effective flag is set, and loses its ambient set; root gets every
 * capability anyway.  A file with the effective flag whose fP the bounding set
 * cannot give is EPERM to execute.  Setting the xattr needs CAP_SETFCAP; a
 * malformed value is EINVAL; version 3 with a non-zero root uid is not this
 * namespace's and grants nothing; revision 1 can no longer be written (EINVAL).
 * root: uids other than 0, and an xattr of the security namespace
 */
#include "case.h"
#include <sys/prctl.h>
#include <sys/xattr.h>
#include <linux/capability.h>

#define B(c) (1u << (c))

static void show(const char *l)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    /* root's sets are the bounding set, which depends on what the host's root was given */
    unsigned long long bset = 0, prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
    for (int c = 0; c < 64; c++)
        if (prctl(PR_CAPBSET_READ, c) == 1)
            bset |= 1ULL << c;
    if (getuid() == 0) {
        SAY("%s: uid=0 prm==bounding set=%d eff==prm=%d", l, prm == bset,
            d[0].effective == d[0].permitted && d[1].effective == d[1].permitted);
        return;
    }
    SAY("%s: uid=%d prm=%#x eff=%#x inh=%#x hi=%#x,%#x amb kill=%d", l, getuid(), d[0].permitted,
        d[0].effective, d[0].inheritable, d[1].permitted, d[1].effective,
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
}

static int setcaps(const char *path, unsigned magic, unsigned prm, unsigned inh, int rev3_root)
{
    unsigned v[6] = {magic, prm, inh, 0, 0, (unsigned)rev3_root};
    size_t size = (magic & 0xFF000000) == 0x03000000 ? 24 : (magic & 0xFF000000) == 0x01000000 ? 12 : 20;
    return setxattr(path, "security.capability", v, size, 0);
}

static void run_as(const char *path, const char *label, uid_t uid, int (*prep)(void))
{
    pid_t c = fork();
    if (c == 0) {
        if (prep && prep() < 0)
            _exit(1);
        if (uid)
            setresuid(uid, uid, uid);
        char *a[] = {(char *)path, (char *)label, 0};
        execv(path, a);
        SAY("%s: execv=-1 %s", label, strerrorname_np(errno));
        _exit(0);
    }
    waitpid(c, 0, 0);
}

static int inheritable_kill(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].inheritable = B(CAP_KILL);
    syscall(SYS_capset, &h, d);
    prctl(PR_SET_KEEPCAPS, 1);
    return 0;
}

static int drop_net_raw_bound(void)
{
    return prctl(PR_CAPBSET_DROP, CAP_NET_RAW);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        show(argv[1]);
        return 0;
    }
    /* a copy of this program to put capabilities on */
    int in = open("/proc/self/exe", O_RDONLY), out = open("/tmp/capbin", O_CREAT | O_WRONLY | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in);
    close(out);
    SHOW("malformed", setxattr("/tmp/capbin", "security.capability", "xx", 2, 0));
    SHOW("rev2, effective: net_raw+net_bind", setcaps("/tmp/capbin", 0x02000001, B(CAP_NET_RAW) | B(CAP_NET_BIND_SERVICE), 0, 0));
    run_as("/tmp/capbin", "uid 1000, rev2 effective", 1000, NULL);
    run_as("/tmp/capbin", "root, rev2 effective", 0, NULL);
    run_as("/tmp/capbin", "net_raw out of the bounding set", 1000, drop_net_raw_bound);
    SHOW("rev2, not effective: net_raw; inheritable kill", setcaps("/tmp/capbin", 0x02000000, B(CAP_NET_RAW), B(CAP_KILL), 0));
    run_as("/tmp/capbin", "uid 1000, not effective", 1000, NULL);
    run_as("/tmp/capbin", "uid 1000 with inheritable kill", 1000, inheritable_kill);
    SHOW("rev1, effective: chown", setcaps("/tmp/capbin", 0x01000001, B(CAP_CHOWN), 0, 0));
    run_as("/tmp/capbin", "uid 1000, rev1", 1000, NULL);
    SHOW("rev3 for root uid 0: kill", setcaps("/tmp/capbin", 0x03000001, B(CAP_KILL), 0, 0));
    run_as("/tmp/capbin", "uid 1000, rev3 root 0", 1000, NULL);
    SHOW("rev3 for root uid 5000: kill", setcaps("/tmp/capbin", 0x03000001, B(CAP_KILL), 0, 5000));
    run_as("/tmp/capbin", "uid 1000, rev3 root 5000", 1000, NULL);
    SHOW("removexattr", removexattr("/tmp/capbin", "security.capability"));
    run_as("/tmp/capbin", "uid 1000, no file caps", 1000, NULL);
    pid_t c = fork();
    if (c == 0) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        syscall(SYS_capget, &h, d);
        d[CAP_SETFCAP / 32].effective &= ~(1u << (CAP_SETFCAP % 32));
        syscall(SYS_capset, &h, d);
        SHOW("setxattr without CAP_SETFCAP", setcaps("/tmp/capbin", 0x02000001, B(CAP_KILL), 0, 0));
        _exit(0);
    }
    waitpid(c, 0, 0);
    return 0;
}
