/* family: fds
 * signalfd(2): a blocked signal is read as a signalfd_siginfo whose ssi_pid
 * is the sender's pid (getpid() in the sender); reading
 * with nothing pending and SFD_NONBLOCK is EAGAIN; a buffer smaller than one
 * siginfo is EINVAL; an unknown flag is EINVAL.
 */
#include "case.h"
#include <sys/signalfd.h>

int main(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int fd = signalfd(-1, &m, SFD_NONBLOCK);
    struct signalfd_siginfo si;
    SHOW("read empty", read(fd, &si, sizeof si));
    kill(getpid(), SIGUSR1);
    SHOW("read short", read(fd, &si, 8));
    SHOW("read", read(fd, &si, sizeof si));
    SAY("signo=%u code=%d pid is self=%d", si.ssi_signo, si.ssi_code, si.ssi_pid == (uint32_t)getpid());
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        pid_t me = getpid();
        write(p[1], &me, sizeof me);
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    pid_t childsays;
    read(p[0], &childsays, sizeof childsays);
    waitpid(c, NULL, 0);
    SHOW("read from child", read(fd, &si, sizeof si));
    SAY("signo=%u pid is child's getpid=%d is fork's=%d", si.ssi_signo, si.ssi_pid == (uint32_t)childsays,
        si.ssi_pid == (uint32_t)c);
    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGUSR1, v);
    SHOW("read sigqueue", read(fd, &si, sizeof si));
    SAY("code queue=%d int=%d pid is self=%d", si.ssi_code == SI_QUEUE, si.ssi_int, si.ssi_pid == (uint32_t)getpid());
    SHOW("bad flag", signalfd(-1, &m, 0x1));
    return 0;
}
