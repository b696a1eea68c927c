/* family: misc
 * A new UTS namespace (root may make one): a child that calls
 * unshare(CLONE_NEWUTS) starts with its parent's names, and what it then sets
 * with sethostname and setdomainname is seen in uname there and in
 * /proc/sys/kernel/hostname, never in the parent's namespace.  A child made by
 * clone(CLONE_NEWUTS) is in a namespace of its own from the start.
 * The lines print whether names are equal, not the names themselves.
 */
#include "case.h"
#include <sched.h>
#include <sys/utsname.h>

static char parent_name[65];

static void show_proc_hostname(void)
{
    char b[80] = {0};
    int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
    read(fd, b, sizeof b - 1);
    close(fd);
    SAY("/proc/sys/kernel/hostname=%s", b);
}

static int cloned(void *arg)
{
    (void)arg;
    struct utsname u;
    uname(&u);
    SAY("clone child: starts with the parent's name=%d", strcmp(u.nodename, parent_name) == 0);
    SHOW("clone child sethostname", sethostname("cloned", 6));
    uname(&u);
    SAY("clone child: nodename=%s", u.nodename);
    return 0;
}

int main(void)
{
    struct utsname u;
    uname(&u);
    strcpy(parent_name, u.nodename);
    pid_t pid = fork();
    if (pid == 0) {
        SHOW("unshare newuts", unshare(CLONE_NEWUTS));
        uname(&u);
        SAY("child: starts with the parent's name=%d", strcmp(u.nodename, parent_name) == 0);
        SHOW("sethostname", sethostname("inner", 5));
        SHOW("setdomainname", setdomainname("innerdom", 8));
        uname(&u);
        SAY("child: nodename=%s domainname=%s", u.nodename, u.domainname);
        show_proc_hostname();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    uname(&u);
    SAY("parent: name unchanged=%d domainname changed=%d", strcmp(u.nodename, parent_name) == 0,
        strcmp(u.domainname, "innerdom") == 0);

    static char stack[65536];
    pid = clone(cloned, stack + sizeof stack, CLONE_NEWUTS | SIGCHLD, 0);
    SAY("clone newuts ok=%d", pid > 0);
    waitpid(pid, &st, 0);
    uname(&u);
    SAY("parent after clone: name unchanged=%d", strcmp(u.nodename, parent_name) == 0);
    return 0;
}
