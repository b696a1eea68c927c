"""signalfd end to end: each signalfd_siginfo names its sender's guest uid (the
real uid it sent with, as Linux stamps it at the send), through read, readv
(a record split across iovecs) and preadv2, on copies made by dup/dup2/dup3,
in a thread that existed before the signalfd and in a forked child that
inherited it; SIGCHLD names the child's uid; sigqueue's own si_uid is left as
sent.  Reads of ordinary fds still work, and cost no stop
(syscalls/signalfd.py, kernel/sigsenders.py).
"""
from __future__ import annotations

import pytest

from conftest import C_PRELUDE, LINKS, builder, kv, run

PROG = r"""
#include <sys/signalfd.h>
#include <sys/uio.h>
static int sfd, go[2];
static struct signalfd_siginfo si;

/* A child that takes real uid `uid`, sends `sig` to `to` (how: 0 kill, 1 tgkill,
   2 sigqueue), then takes real uid `after`, and is waited for (reaped) here. */
static void send_as(uid_t uid, uid_t after, pid_t to, int sig, int how) {
    pid_t c = fork();
    if (c == 0) {
        if (setresuid(uid, 0, 0)) _exit(9);
        if (how == 1) syscall(SYS_tgkill, to, to, sig);
        else if (how == 2) { union sigval v = {.sival_int = 7}; sigqueue(to, sig, v); }
        else kill(to, sig);
        if (setresuid(after, after, after)) _exit(8);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

static void show(const char *what, ssize_t r) {
    printf("%s=%zd signo=%u code=%d uid=%u\n", what, r, si.ssi_signo, si.ssi_code, si.ssi_uid);
}

static void *reader(void *arg) {
    char c;
    (void)arg;
    read(go[0], &c, 1);                 /* until main has made the signalfd and sent */
    show("thread", read(sfd, &si, sizeof si));
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &m, NULL);
    pipe(go);
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);   /* a thread from before the signalfd */
    sfd = signalfd(-1, &m, SFD_NONBLOCK);
    printf("sfd=%s\n", ERR(sfd));

    send_as(1000, 1000, getpid(), SIGUSR1, 0);
    write(go[1], "g", 1);
    pthread_join(th, NULL);

    kill(getpid(), SIGUSR1);
    show("self", read(sfd, &si, sizeof si));

    /* the uid it sent with, though the child then changed it and was reaped */
    send_as(0, 3000, getpid(), SIGUSR2, 0);
    show("before_setuid", read(sfd, &si, sizeof si));

    send_as(1001, 1001, getpid(), SIGUSR1, 1);
    show("tgkill", read(sfd, &si, sizeof si));

    /* sigqueue writes its own si_uid (glibc: getuid()) */
    send_as(1002, 1002, getpid(), SIGRTMIN, 2);
    show("sigqueue", read(sfd, &si, sizeof si));
    printf("sigqueue_int=%d\n", si.ssi_int);

    /* SIGCHLD names the child's real uid, read after the child was reaped */
    sigset_t cm;
    sigemptyset(&cm);
    sigaddset(&cm, SIGCHLD);
    sigprocmask(SIG_BLOCK, &cm, NULL);
    int sfd2 = signalfd(-1, &cm, SFD_NONBLOCK);
    pid_t c = fork();
    if (c == 0) { setresuid(1003, 1003, 1003); _exit(3); }
    waitpid(c, NULL, 0);
    show("sigchld", read(sfd2, &si, sizeof si));
    printf("sigchld_status=%d pid=%d\n", si.ssi_status, si.ssi_pid == (uint32_t)c);

    /* readv: a record split across two iovecs in the middle of ssi_uid */
    send_as(1004, 1004, getpid(), SIGUSR1, 0);
    char a[18], b[110];
    struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
    ssize_t n = readv(sfd, iov, 2);
    memcpy(&si, a, sizeof a);
    memcpy((char *)&si + sizeof a, b, sizeof b);
    show("readv", n);

    /* preadv2 at the current position (-1) is readv; pread is ESPIPE */
    send_as(1005, 1005, getpid(), SIGUSR1, 0);
    struct iovec one = {&si, sizeof si};
    printf("pread=%s\n", ERR(pread(sfd, &si, sizeof si, 0)));
    show("preadv2", preadv2(sfd, &one, 1, -1, 0));

    /* copies: dup, dup2 to a high number, dup3 */
    int d1 = dup(sfd), d2 = dup2(sfd, 50), d3 = dup3(sfd, 60, O_CLOEXEC);
    printf("dups=%s %s %s\n", ERR(d1), ERR(d2), ERR(d3));
    send_as(1006, 1006, getpid(), SIGUSR1, 0);
    show("dup", read(d1, &si, sizeof si));
    send_as(1007, 1007, getpid(), SIGUSR1, 0);
    show("dup2", read(d2, &si, sizeof si));
    send_as(1008, 1008, getpid(), SIGUSR1, 0);
    show("dup3", read(d3, &si, sizeof si));

    /* a child that inherited the signalfd reads its own signals with it */
    c = fork();
    if (c == 0) {
        send_as(1009, 1009, getpid(), SIGUSR2, 0);
        show("child", read(sfd, &si, sizeof si));
        _exit(0);
    }
    waitpid(c, NULL, 0);

    /* ordinary reads: another fd, and a pipe on a closed signalfd copy's number */
    int p[2];
    pipe(p);
    write(p[1], "hello", 5);
    char buf[16] = {0};
    printf("pipe=%zd %s\n", read(p[0], buf, sizeof buf), buf);
    write(p[1], "world", 5);
    close(d1);
    dup2(p[0], d1);
    memset(buf, 0, sizeof buf);
    printf("reused=%zd %s\n", read(d1, buf, sizeof buf), buf);
    return 0;
}
"""

PLAIN = r"""
int main(void) {
    int p[2];
    pipe(p);
    char c;
    long n = 0;
    for (int i = 0; i < 100; i++) { write(p[1], "x", 1); n += read(p[0], &c, 1); }
    printf("n=%ld\n", n);
    return 0;
}
"""


@pytest.fixture
def build(cc):
    return builder(cc, "sfd_", C_PRELUDE)


@pytest.mark.parametrize("static", LINKS)
def test_signalfd_names_the_senders_guest_uid(sandbox, build, static):
    r = run(sandbox, [build("uid", PROG, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["sfd"] == "OK"
    assert d["thread"] == "128 signo=10 code=0 uid=1000"     # a thread older than the filter
    assert d["self"] == "128 signo=10 code=0 uid=0"
    assert d["before_setuid"] == "128 signo=12 code=0 uid=0"  # the uid it sent with
    assert d["tgkill"] == "128 signo=10 code=-6 uid=1001"
    assert d["sigqueue"] == "128 signo=34 code=-1 uid=1002"
    assert d["sigqueue_int"] == "7"
    assert d["sigchld"] == "128 signo=17 code=1 uid=1003"
    assert d["sigchld_status"] == "3 pid=1"
    assert d["readv"] == "128 signo=10 code=0 uid=1004"
    assert d["pread"] == "ESPIPE"
    assert d["preadv2"] == "128 signo=10 code=0 uid=1005"
    assert d["dups"] == "OK OK OK"
    assert d["dup"] == "128 signo=10 code=0 uid=1006"
    assert d["dup2"] == "128 signo=10 code=0 uid=1007"
    assert d["dup3"] == "128 signo=10 code=0 uid=1008"
    assert d["child"] == "128 signo=12 code=0 uid=1009"
    assert d["pipe"] == "5 hello"
    assert d["reused"] == "5 world"
    # Only the signalfds' numbers stop: 10 reads of them and the one of a closed
    # copy's number; not the pipe reads (the thread's, "pipe=").
    calls = r.report.syscalls
    assert (calls["read"], calls["readv"], calls["preadv2"]) == (11, 1, 1), calls


def test_reads_do_not_stop_without_a_signalfd(sandbox, build):
    r = run(sandbox, [build("plain", PLAIN, True)])
    assert r.returncode == 0, r.stderr
    assert kv(r.stdout)["n"] == "100"
    assert r.report.syscalls["read"] == 0, r.report.syscalls
