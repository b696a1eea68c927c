/* family: pipes
 * Writing to a pipe with no reader raises SIGPIPE, whose default action ends
 * the writer; with SIGPIPE ignored (or blocked) the write fails with EPIPE
 * instead; MSG_NOSIGNAL does the same for a socket's send.
 */
#include "case.h"

int main(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    pid_t c = fork();
    if (c == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    SAY("default: signaled=%d sig=%d", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    c = fork();
    if (c == 0) {
        signal(SIGPIPE, SIG_IGN);
        SHOW("ignored: write", write(p[1], "x", 1));
        _exit(0);
    }
    waitpid(c, &st, 0);
    SAY("ignored: exited=%d", WIFEXITED(st));
    c = fork();
    if (c == 0) {
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGPIPE);
        sigprocmask(SIG_BLOCK, &m, NULL);
        SHOW("blocked: write", write(p[1], "x", 1));
        sigpending(&m);
        SAY("blocked: pending=%d", sigismember(&m, SIGPIPE));
        _exit(0);
    }
    waitpid(c, &st, 0);
    SAY("blocked: exited=%d", WIFEXITED(st));
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    c = fork();
    if (c == 0) {
        SHOW("send nosignal", send(sv[0], "x", 1, MSG_NOSIGNAL));
        SHOW("send", send(sv[0], "x", 1, 0));
        _exit(0);
    }
    waitpid(c, &st, 0);
    SAY("send: signaled=%d sig=%d", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
