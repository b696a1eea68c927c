/* family: fds
 * signalfd(2): ssi_uid is the real uid of the sender (0 for root), for a
 * signal from itself and from a child.
 */
#include "case.h"
#include <sys/signalfd.h>

int main(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int fd = signalfd(-1, &m, SFD_NONBLOCK);
    struct signalfd_siginfo si;
    kill(getpid(), SIGUSR1);
    SHOW("read", read(fd, &si, sizeof si));
    SAY("uid=%u", si.ssi_uid);
    if (fork() == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    wait(NULL);
    SHOW("read", read(fd, &si, sizeof si));
    SAY("uid=%u", si.ssi_uid);
    return 0;
}
