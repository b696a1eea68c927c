/* Root is its capabilities: with one dropped from its effective set, uid 0 alone
 * no longer passes the check that needs it.  Without CAP_CHOWN chown to another
 * owner is EPERM; without CAP_DAC_OVERRIDE a mode-000 file cannot be written
 * (EACCES) but, with CAP_DAC_READ_SEARCH, still read, and without both not
 * read either; without CAP_FOWNER chmod, utimes with explicit times and
 * O_NOATIME of another user's file are EPERM, and unlinking another user's file
 * in a sticky directory is EPERM; without CAP_MKNOD a device node is EPERM;
 * without CAP_SYS_CHROOT chroot is EPERM; without CAP_SETUID/CAP_SETGID
 * setuid and setgroups are EPERM.  Raising the capability again restores each.
 * root: files of other users, and uids other than 0
 */
#include "case.h"
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <linux/capability.h>

static struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
static struct __user_cap_data_struct d[2];

static void eff(int cap, int on)
{
    syscall(SYS_capget, &h, d);
    if (on)
        d[0].effective |= 1u << cap;
    else
        d[0].effective &= ~(1u << cap);
    syscall(SYS_capset, &h, d);
}

int main(void)
{
    umask(0);
    mkdir("/tmp/d", 01777);
    int fd = open("/tmp/d/f", O_CREAT | O_WRONLY, 0);
    close(fd);
    chown("/tmp/d/f", 1000, 1000);
    close(open("/tmp/d/g", O_CREAT | O_WRONLY, 0644));
    chown("/tmp/d/g", 1000, 1000);
    chown("/tmp/d", 2000, 2000);          /* the sticky directory is a third user's */
    struct timeval tv[2] = {{1000, 0}, {2000, 0}};

    eff(CAP_CHOWN, 0);
    SHOW("no CHOWN: chown to 2000", chown("/tmp/d/f", 2000, -1));
    SHOW("no CHOWN: chown to the same owner", chown("/tmp/d/f", 1000, -1));
    eff(CAP_CHOWN, 1);
    SHOW("CHOWN: chown to 2000 and back", chown("/tmp/d/f", 2000, -1) | chown("/tmp/d/f", 1000, -1));

    eff(CAP_DAC_OVERRIDE, 0);
    SHOW("no DAC_OVERRIDE: open mode-000 file for writing", open("/tmp/d/f", O_WRONLY) >= 0);
    SHOW("no DAC_OVERRIDE: open it for reading (DAC_READ_SEARCH)", open("/tmp/d/f", O_RDONLY) >= 0);
    SHOW("no DAC_OVERRIDE: access W_OK", access("/tmp/d/f", W_OK));
    eff(CAP_DAC_READ_SEARCH, 0);
    SHOW("no DAC_*: open it for reading", open("/tmp/d/f", O_RDONLY) >= 0);
    eff(CAP_DAC_OVERRIDE, 1);
    eff(CAP_DAC_READ_SEARCH, 1);
    SHOW("DAC_OVERRIDE: open for writing", open("/tmp/d/f", O_WRONLY) >= 0);

    eff(CAP_FOWNER, 0);
    SHOW("no FOWNER: chmod another user's file", chmod("/tmp/d/f", 0644));
    SHOW("no FOWNER: utimes with times", utimes("/tmp/d/f", tv));
    SHOW("no FOWNER: utimes now (DAC_OVERRIDE lets it write)", utimes("/tmp/d/f", NULL));
    SHOW("no FOWNER: O_NOATIME", open("/tmp/d/f", O_RDONLY | O_NOATIME));
    SHOW("no FOWNER: unlink in a sticky directory", unlink("/tmp/d/f"));
    eff(CAP_FOWNER, 1);
    SHOW("FOWNER: chmod", chmod("/tmp/d/f", 0600));
    SHOW("FOWNER: utimes", utimes("/tmp/d/f", tv));
    SHOW("FOWNER: O_NOATIME", open("/tmp/d/f", O_RDONLY | O_NOATIME) >= 0);
    SHOW("FOWNER: unlink in a sticky directory", unlink("/tmp/d/f"));

    eff(CAP_MKNOD, 0);
    SHOW("no MKNOD: mknod /dev/null's twin", mknod("/tmp/d/null", S_IFCHR | 0666, makedev(1, 3)));
    SHOW("no MKNOD: a FIFO needs none", mknod("/tmp/d/fifo", S_IFIFO | 0666, 0));
    eff(CAP_MKNOD, 1);

    eff(CAP_SYS_CHROOT, 0);
    SHOW("no SYS_CHROOT: chroot", chroot("/tmp"));
    eff(CAP_SYS_CHROOT, 1);

    eff(CAP_SETGID, 0);
    gid_t g[1] = {5};
    SHOW("no SETGID: setgroups", setgroups(1, g));
    SHOW("no SETGID: setgid(5)", setgid(5));
    eff(CAP_SETGID, 1);
    eff(CAP_SETUID, 0);
    SHOW("no SETUID: setuid(1000)", setuid(1000));
    SHOW("no SETUID: setresuid(-1, 0, -1)", setresuid(-1, 0, -1));
    eff(CAP_SETUID, 1);
    SHOW("SETUID: setuid(1000)", setuid(1000));
    SHOW("uid 1000: unlink its own file in the sticky directory", unlink("/tmp/d/g"));
    return 0;
}
