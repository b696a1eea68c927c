/* signalfd(2): a blocked signal is read from the descriptor as a
 * signalfd_siginfo, with ssi_signo, ssi_code SI_USER and ssi_pid the sender's pid
 * (in the reader's PID namespace) and ssi_uid its uid; a read with nothing
 * pending on a non-blocking signalfd is EAGAIN; a buffer smaller than one
 * record is EINVAL; a copy made with fcntl(F_DUPFD_CLOEXEC) reads the same.
 */
#include "case.h"
#include <sys/signalfd.h>

int main(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, 0);
    int fd = signalfd(-1, &s, SFD_NONBLOCK);
    struct signalfd_siginfo si;
    SHOW("empty", read(fd, &si, sizeof si));
    SHOW("small buffer", read(fd, &si, 8));
    pid_t c = fork();
    if (c == 0) { kill(getppid(), SIGUSR1); _exit(0); }
    waitpid(c, 0, 0);
    SHOW("read", read(fd, &si, sizeof si));
    SAY("signo=%d code=%d pid is child's=%d uid=%d", si.ssi_signo, si.ssi_code, si.ssi_pid == c, si.ssi_uid);
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 20);      /* a copy made by fcntl, not dup */
    SHOW("F_DUPFD_CLOEXEC", copy >= 20 ? 0 : -1);
    c = fork();
    if (c == 0) { kill(getppid(), SIGUSR1); _exit(0); }
    waitpid(c, 0, 0);
    SHOW("read the copy", read(copy, &si, sizeof si));
    SAY("copy: pid is child's=%d uid=%d", si.ssi_pid == c, si.ssi_uid);
    raise(SIGUSR1);
    SHOW("read", read(fd, &si, sizeof si));
    SAY("raise: code=%d pid self=%d", si.ssi_code, si.ssi_pid == getpid());
    return 0;
}
