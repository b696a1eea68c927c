"""Signals end to end: kill/tgkill/tkill/sigqueue by guest id, handlers,
default actions and how they reach the API and the CLI, SIGCHLD, blocked and
pending signals, the alternate stack, stop/continue, EINTR, and the ids the
host kernel writes into siginfo (which must be guest ids).
"""
from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from conftest import C_PRELUDE, LINKS, builder, kv, run, sh

PRELUDE = C_PRELUDE



@pytest.fixture
def build(cc):
    return builder(cc, "sig_")






# ---------------------------------------------------------------- handlers
SELF = r"""
static volatile sig_atomic_t count, last_tid, last_code, last_pid;
static void h(int s, siginfo_t *si, void *u) {
    count++; last_tid = syscall(SYS_gettid); last_code = si->si_code; last_pid = si->si_pid;
}
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO;
    printf("sigaction=%s\n", ERR(sigaction(SIGUSR1, &sa, NULL)));
    const char *e = ERR(kill(getpid(), SIGUSR1));
    printf("kill=%s %d\n", e, count);
    printf("kill_code=%d\nkill_pid=%d\n", last_code == SI_USER, last_pid);
    e = ERR(raise(SIGUSR1));
    printf("raise=%s %d\n", e, count);
    e = ERR(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
    printf("tgkill=%s %d\n", e, count);
    printf("tgkill_code=%d\ntgkill_pid=%d\n", last_code == SI_TKILL, last_pid);
    e = ERR(syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1));
    printf("tkill=%s %d\n", e, count);
    printf("handler_tid=%d\n", last_tid);
    printf("kill0=%s\n", ERR(kill(getpid(), 0)));
    printf("kill_bad_sig=%s\n", ERR(kill(getpid(), 65)));
    printf("kill_neg_sig=%s\n", ERR(kill(getpid(), -1)));
    printf("tgkill_bad_tid=%s\n", ERR(syscall(SYS_tgkill, getpid(), 4000, SIGUSR1)));
    printf("tgkill_wrong_group=%s\n", ERR(syscall(SYS_tgkill, 4000, syscall(SYS_gettid), SIGUSR1)));
    printf("tgkill_zero=%s\n", ERR(syscall(SYS_tgkill, 0, syscall(SYS_gettid), SIGUSR1)));
    printf("tkill_bad=%s\n", ERR(syscall(SYS_tkill, 4000, SIGUSR1)));
    printf("tkill_neg=%s\n", ERR(syscall(SYS_tkill, -5, SIGUSR1)));
    printf("sigaction_kill=%s\n", ERR(sigaction(SIGKILL, &sa, NULL)));
    printf("sigaction_bad=%s\n", ERR(sigaction(99, &sa, NULL)));
    printf("count=%d\n", count);
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_handlers_run_for_kill_tgkill_tkill(sandbox, build, static):
    r = run(sandbox, [build("self", SELF, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["sigaction"] == "OK"
    assert d["kill"] == "OK 1"                # delivered before kill() returned
    assert d["kill_code"] == "1"
    assert d["raise"] == "OK 2"
    assert d["tgkill"] == "OK 3"
    assert d["tgkill_code"] == "1"
    assert d["tkill"] == "OK 4"
    assert d["handler_tid"] == "1"
    assert d["kill0"] == "OK"
    assert d["kill_bad_sig"] == "EINVAL"
    assert d["kill_neg_sig"] == "EINVAL"
    assert d["tgkill_bad_tid"] == "ESRCH"
    assert d["tgkill_wrong_group"] == "ESRCH"
    assert d["tgkill_zero"] == "EINVAL"
    assert d["tkill_bad"] == "ESRCH"
    assert d["tkill_neg"] == "EINVAL"
    assert d["sigaction_kill"] == "EINVAL"
    assert d["sigaction_bad"] == "EINVAL"
    assert d["count"] == "4"                  # the failed calls delivered nothing


CROSS = r"""
static volatile sig_atomic_t got, from, code, value;
static void h(int s, siginfo_t *si, void *u) { got = s; from = si->si_pid; code = si->si_code; value = si->si_value.sival_int; }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGRTMIN, &sa, NULL);
    int ready[2], rep[2]; pipe(ready); pipe(rep);
    sigset_t block, old; sigemptyset(&block); sigaddset(&block, SIGUSR1); sigaddset(&block, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t c = fork();
    if (c == 0) {
        char buf[64];
        write(ready[1], "r", 1);
        sigsuspend(&old);
        int n = snprintf(buf, sizeof buf, "%d %d %d %d\n", got, from, code == SI_USER, getppid());
        write(rep[1], buf, n);
        got = 0;
        sigsuspend(&old);
        n = snprintf(buf, sizeof buf, "%d %d %d %d\n", got, from, code == SI_QUEUE, value);
        write(rep[1], buf, n);
        _exit(0);
    }
    char x, buf[128] = {0};
    read(ready[0], &x, 1);
    printf("kill=%s\n", ERR(kill(c, SIGUSR1)));
    int n = read(rep[0], buf, sizeof buf - 1); buf[n] = 0;
    printf("child_saw=%s", buf);
    printf("sigqueue=%s\n", ERR(sigqueue(c, SIGRTMIN, (union sigval){.sival_int = 4242})));
    n = read(rep[0], buf, sizeof buf - 1); buf[n] = 0;
    printf("child_saw_queued=%s", buf);
    int st; waitpid(c, &st, 0);
    printf("child=%d %d\n", c, WEXITSTATUS(st));
    printf("kill_reaped=%s\n", ERR(kill(c, SIGUSR1)));
    printf("sigqueue_reaped=%s\n", ERR(sigqueue(c, SIGRTMIN, (union sigval){0})));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_signal_another_process_by_guest_pid(sandbox, build, static):
    r = run(sandbox, [build("cross", CROSS, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["kill"] == "OK"
    sig, _from, si_user, ppid = d["child_saw"].split()
    assert (sig, si_user, ppid) == (str(int(signal.SIGUSR1)), "1", "1")
    assert d["sigqueue"] == "OK"
    sig, _from, si_queue, value = d["child_saw_queued"].split()
    assert (sig, si_queue, value) == (str(signal.SIGRTMIN), "1", "4242")
    assert d["child"].split()[1] == "0"
    assert d["kill_reaped"] == "ESRCH"
    assert d["sigqueue_reaped"] == "ESRCH"


# --------------------------------------------------------- default actions
def test_sigterm_default_action_reaches_api_and_cli(sandbox, rootfs):
    r = sh(sandbox, "echo before; kill -TERM $$; echo after")
    assert r.stdout == "before\n"
    assert r.returncode == -signal.SIGTERM
    cli = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--",
                          "/bin/sh", "-c", "echo before; kill -TERM $$; echo after"],
                         capture_output=True, text=True, timeout=30)
    assert cli.stdout == "before\n"
    assert cli.returncode == 128 + signal.SIGTERM


DEFAULTS = r"""
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argv[1];
    printf("start\n");
    if (!strcmp(what, "segv")) *(volatile int *)8 = 1;
    if (!strcmp(what, "abort")) abort();
    if (!strcmp(what, "fpe")) { volatile int a = 7, z = 0; a = a / z; }
    if (!strcmp(what, "pipe")) { int p[2]; pipe(p); close(p[0]); write(p[1], "x", 1); }
    if (!strcmp(what, "alarm")) { alarm(1); for (;;) pause(); }
    if (!strcmp(what, "usr1")) kill(getpid(), SIGUSR1);
    if (!strcmp(what, "chld")) kill(getpid(), SIGCHLD);        /* default: ignored */
    if (!strcmp(what, "winch")) kill(getpid(), SIGWINCH);      /* default: ignored */
    if (!strcmp(what, "ignored_term")) { signal(SIGTERM, SIG_IGN); kill(getpid(), SIGTERM); }
    printf("survived\n");
    return 3;
}
"""


@pytest.mark.parametrize("what,sig", [
    ("segv", signal.SIGSEGV), ("abort", signal.SIGABRT), ("fpe", signal.SIGFPE),
    ("pipe", signal.SIGPIPE), ("alarm", signal.SIGALRM), ("usr1", signal.SIGUSR1),
    ("chld", None), ("winch", None), ("ignored_term", None),
])
def test_default_actions(sandbox, build, what, sig):
    prog = build("defaults", DEFAULTS, True)
    r = run(sandbox, [prog, what])
    if sig is None:
        assert (r.stdout, r.returncode) == ("start\nsurvived\n", 3)
    else:
        assert (r.stdout, r.returncode) == ("start\n", -sig)
    # the same death seen by a guest parent
    r = sh(sandbox, f"{prog} {what} >/dev/null; echo $?")
    assert r.stdout == f"{128 + sig if sig else 3}\n"


def test_guest_child_killed_by_signal_seen_by_parent(sandbox):
    r = sh(sandbox, "sleep 5 & kill $!; wait $!; echo status=$?; "
                    "sleep 5 & kill -9 $!; wait $!; echo status=$?")
    assert r.stdout == f"status={128 + signal.SIGTERM}\nstatus={128 + signal.SIGKILL}\n"


INIT_PROTECTED = r"""
static volatile sig_atomic_t got;
static void h(int s) { got = s; }
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1) signal(SIGUSR1, h);
    pid_t c = fork();
    if (c == 0) {
        printf("kill_init_term=%s\n", ERR(kill(1, SIGTERM)));
        printf("kill_init_usr1=%s\n", ERR(kill(1, SIGUSR1)));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    usleep(100000);
    printf("init_alive=%d got=%d\n", getpid(), got);
    return 0;
}
"""


def test_guest_init_only_gets_signals_it_handles(sandbox, build):
    prog = build("initprot", INIT_PROTECTED, True)
    r = run(sandbox, [prog])
    assert r.returncode == 0, r.stdout
    d = kv(r.stdout)
    assert d["kill_init_term"] == "OK" and d["kill_init_usr1"] == "OK"
    assert d["init_alive"] == "1 got=0"
    r = run(sandbox, [prog, "handle"])
    assert kv(r.stdout)["init_alive"] == f"1 got={int(signal.SIGUSR1)}"


# ------------------------------------------------------------------ SIGCHLD
SIGCHLD_PROG = r"""
static volatile sig_atomic_t n, pid, status, code;
static void h(int s, siginfo_t *si, void *u) { n++; pid = si->si_pid; status = si->si_status; code = si->si_code; }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, old; sigemptyset(&block); sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t c = fork();
    if (c == 0) _exit(23);
    while (!n) sigsuspend(&old);
    printf("sigchld=%d %d %d\n", n, code == CLD_EXITED, status);
    printf("sigchld_pid=%d\n", pid == c);
    printf("si_pid=%d child=%d\n", pid, c);
    int st; waitpid(c, &st, 0);

    n = 0;
    c = fork();
    if (c == 0) { for (;;) pause(); }
    kill(c, SIGKILL);
    while (!n) sigsuspend(&old);
    printf("killed=%d %d\nkilled_pid=%d\n", code == CLD_KILLED, status, pid == c);
    waitpid(c, &st, 0);

    /* SA_NOCLDWAIT-style auto-reap: SIG_IGN means no zombie, wait gives ECHILD */
    signal(SIGCHLD, SIG_IGN);
    sigprocmask(SIG_SETMASK, &old, NULL);
    c = fork();
    if (c == 0) _exit(1);
    int r = waitpid(c, &st, 0);
    printf("ignored=%s\n", ERR(r));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_sigchld_is_delivered_to_the_parent(sandbox, build, static):
    r = run(sandbox, [build("sigchld", SIGCHLD_PROG, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["sigchld"] == "1 1 23"
    assert d["killed"] == f"1 {int(signal.SIGKILL)}"
    assert d["ignored"] == "ECHILD"


# ------------------------------------------------------ blocked and pending
PENDING = r"""
static volatile sig_atomic_t got;
static void h(int s) { got++; }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR2, h);
    sigset_t set, pend, old;
    sigemptyset(&set); sigaddset(&set, SIGUSR2);
    printf("block=%s\n", ERR(sigprocmask(SIG_BLOCK, &set, &old)));
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR2);                      /* standard signals do not queue */
    sigpending(&pend);
    printf("pending=%d got=%d\n", sigismember(&pend, SIGUSR2), got);
    printf("other_pending=%d\n", sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigpending(&pend);
    printf("after_unblock=%d got=%d\n", sigismember(&pend, SIGUSR2), got);

    /* real-time signals do queue */
    signal(SIGRTMIN + 1, h); got = 0;
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; i < 3; i++) kill(getpid(), SIGRTMIN + 1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("rt_queued=%d\n", got);

    /* sigtimedwait takes a pending signal without running the handler */
    sigprocmask(SIG_BLOCK, &set, NULL); got = 0;
    kill(getpid(), SIGUSR2);
    siginfo_t si;
    struct timespec ts = {1, 0};
    int s = sigtimedwait(&set, &si, &ts);
    printf("timedwait=%d got=%d\ntimedwait_pid=%d\n", s == SIGUSR2, got, si.si_pid);
    struct timespec short_ts = {0, 10000000};
    printf("timedwait_none=%s\n", ERR(sigtimedwait(&set, &si, &short_ts)));

    printf("bad_how=%s\n", ERR(sigprocmask(99, &set, NULL)));
    printf("bad_ptr=%s\n", ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD, NULL, 8)));
    printf("bad_size=%s\n", ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4)));
    printf("pending_bad=%s\n", ERR(syscall(SYS_rt_sigpending, BAD, 8)));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_blocked_signal_stays_pending(sandbox, build, static):
    r = run(sandbox, [build("pending", PENDING, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["block"] == "OK"
    assert d["pending"] == "1 got=0"
    assert d["other_pending"] == "0"
    assert d["after_unblock"] == "0 got=1"
    assert d["rt_queued"] == "3"
    assert d["timedwait"] == "1 got=0"
    assert d["timedwait_none"] == "EAGAIN"
    assert d["bad_how"] == "EINVAL"
    assert d["bad_ptr"] == "EFAULT"
    assert d["bad_size"] == "EINVAL"
    assert d["pending_bad"] == "EFAULT"


# ---------------------------------------------------------------- altstack
ALTSTACK = r"""
static char *alt;
static sigjmp_buf jb;
static volatile uintptr_t where;
static volatile void *fault_addr;
static void h(int s, siginfo_t *si, void *u) {
    int local; where = (uintptr_t)&local; fault_addr = si->si_addr;
    siglongjmp(jb, 1);
}
static int deep(int n) { volatile char pad[4096]; pad[0] = n; return n ? deep(n + 1) + pad[0] : 0; }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    alt = malloc(65536);
    stack_t ss = {.ss_sp = alt, .ss_size = 65536, .ss_flags = 0};
    printf("sigaltstack=%s\n", ERR(sigaltstack(&ss, NULL)));
    struct sigaction sa = {0};
    sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(jb, 1)) *(volatile int *)0x1234 = 1;
    printf("segv_on_altstack=%d addr=%p\n", where >= (uintptr_t)alt && where < (uintptr_t)alt + 65536, fault_addr);
    /* a stack overflow can only be handled on the alternate stack */
    where = 0;
    if (!sigsetjmp(jb, 1)) deep(1);
    printf("overflow_on_altstack=%d\n", where >= (uintptr_t)alt && where < (uintptr_t)alt + 65536);
    stack_t small = {.ss_sp = alt, .ss_size = 512, .ss_flags = 0};
    printf("too_small=%s\n", ERR(sigaltstack(&small, NULL)));
    stack_t badflags = {.ss_sp = alt, .ss_size = 65536, .ss_flags = 12345};
    printf("bad_flags=%s\n", ERR(sigaltstack(&badflags, NULL)));
    printf("bad_ptr=%s\n", ERR(sigaltstack(BAD, NULL)));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_sigaltstack_and_synchronous_signals_reach_handlers(sandbox, build, static):
    r = run(sandbox, [build("altstack", ALTSTACK, static)])
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    assert d["sigaltstack"] == "OK"
    assert d["segv_on_altstack"] == "1 addr=0x1234"
    assert d["overflow_on_altstack"] == "1"
    assert d["too_small"] == "ENOMEM"
    assert d["bad_flags"] == "EINVAL"
    assert d["bad_ptr"] == "EFAULT"


# ------------------------------------------------------------ EINTR/restart
EINTR = r"""
static void h(int s) {}
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_handler = h;                         /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    int p[2]; pipe(p);
    char c;
    ualarm(100000, 0);
    printf("read=%s\n", ERR(read(p[0], &c, 1)));
    pid_t k = fork();
    if (k == 0) { for (;;) pause(); }
    ualarm(100000, 0);
    int st;
    printf("wait=%s\n", ERR(waitpid(k, &st, 0)));
    ualarm(100000, 0);
    struct timespec ts = {5, 0}, rem = {0, 0};
    const char *e = ERR(nanosleep(&ts, &rem));
    printf("nanosleep=%s %d\n", e, rem.tv_sec >= 4);
    /* with SA_RESTART the same calls are restarted, and complete */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    if (fork() == 0) { usleep(300000); write(p[1], "y", 1); _exit(0); }
    ualarm(100000, 0);
    int n = read(p[0], &c, 1);
    printf("restarted_read=%d %c\n", n, c);
    kill(k, SIGTERM);
    ualarm(100000, 0);
    pid_t w;
    while ((w = waitpid(k, &st, 0)) < 0 && errno == EINTR) ;
    printf("restarted_wait=%d %d\n", w == k, WTERMSIG(st));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_signal_interrupts_blocking_syscalls(sandbox, build, static):
    r = run(sandbox, [build("eintr", EINTR, static)], timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    assert d["read"] == "EINTR"
    assert d["wait"] == "EINTR"
    assert d["nanosleep"] == "EINTR 1"
    assert d["restarted_read"] == "1 y"
    assert d["restarted_wait"] == f"1 {int(signal.SIGTERM)}"


# ------------------------------------------------------------- stop/continue
STOPCONT = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2]; pipe(p);
    pid_t c = fork();
    /* its own group: in guest init's (orphaned) group SIGTSTP would be discarded, as on Linux */
    if (c == 0) { setpgid(0, 0); close(p[0]); for (;;) { write(p[1], "t", 1); usleep(20000); } }
    setpgid(c, c);
    close(p[1]);
    char buf[64];
    read(p[0], buf, 1);
    int st;
    printf("stop=%s\n", ERR(kill(c, SIGSTOP)));
    pid_t w = waitpid(c, &st, WUNTRACED);
    printf("stopped=%d %d %d\n", w == c, WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
    /* while stopped, nothing is written */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    usleep(100000);
    while (read(p[0], buf, sizeof buf) > 0) ;
    usleep(150000);
    int n = read(p[0], buf, sizeof buf);
    printf("quiet=%d\n", n < 0 && errno == EAGAIN);
    printf("cont=%s\n", ERR(kill(c, SIGCONT)));
    w = waitpid(c, &st, WCONTINUED);
    printf("continued=%d %d\n", w == c, WIFCONTINUED(st));
    fcntl(p[0], F_SETFL, 0);
    n = read(p[0], buf, 1);
    printf("running=%d\n", n);
    kill(c, SIGTSTP);
    w = waitpid(c, &st, WUNTRACED);
    printf("tstp=%d %d\n", WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
    kill(c, SIGTERM);                 /* a stopped process still dies */
    kill(c, SIGCONT);
    w = waitpid(c, &st, 0);
    printf("term=%d %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_stop_and_continue_a_child(sandbox, build, static):
    r = run(sandbox, [build("stopcont", STOPCONT, static)], timeout=3)
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    assert d["stop"] == "OK"
    assert d["stopped"] == f"1 1 {int(signal.SIGSTOP)}"
    assert d["quiet"] == "1"
    assert d["cont"] == "OK"
    assert d["continued"] == "1 1"
    assert d["running"] == "1"
    assert d["tstp"] == f"1 {int(signal.SIGTSTP)}"
    assert d["term"] == f"1 {int(signal.SIGTERM)}"


def test_shell_job_control_signals(sandbox):
    r = sh(sandbox, "sleep 5 & p=$!; kill -STOP $p; kill -CONT $p; kill -TERM $p; wait $p; echo $?",
           timeout=4)
    assert r.stdout == f"{128 + signal.SIGTERM}\n"


# -------------------------------------------------------------- kill -1
KILLALL = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("alone=%s\n", ERR(kill(-1, 0)));
    pid_t a = fork();
    if (a == 0) { for (;;) pause(); }
    pid_t b = fork();
    if (b == 0) { for (;;) pause(); }
    printf("all=%s\n", ERR(kill(-1, SIGTERM)));
    int sa, sb;
    waitpid(a, &sa, 0); waitpid(b, &sb, 0);
    printf("killed=%d %d\n", WTERMSIG(sa), WTERMSIG(sb));
    printf("me=%d\n", getpid());
    return 0;
}
"""


def test_kill_minus_one_signals_every_guest_process_but_the_caller(sandbox, build):
    r = run(sandbox, [build("killall", KILLALL, True)])
    assert r.returncode == 0, r.stdout
    d = kv(r.stdout)
    assert d["alone"] == "ESRCH"
    assert d["all"] == "OK"
    assert d["killed"] == f"{int(signal.SIGTERM)} {int(signal.SIGTERM)}"
    assert d["me"] == "1"


# ------------------------------------------------- ids written into siginfo
SI_PID_CASES = {
    # program, key printed, expected value: si_pid must be a guest pid
    "kill_self": ("self", "kill_pid", "1"),
    "tgkill_self": ("self", "tgkill_pid", "1"),
    "kill_from_parent": ("cross", "child_saw", None),
    "sigqueue_from_parent": ("cross", "child_saw_queued", None),
    "sigchld_exit": ("sigchld", "sigchld_pid", "1"),
    "sigchld_killed": ("sigchld", "killed_pid", "1"),
    "sigtimedwait": ("pending", "timedwait_pid", "1"),
}


@pytest.mark.parametrize("case", list(SI_PID_CASES))
def test_siginfo_si_pid_is_a_guest_pid(sandbox, build, case):
    name, key, want = SI_PID_CASES[case]
    src = {"self": SELF, "cross": CROSS, "sigchld": SIGCHLD_PROG, "pending": PENDING}[name]
    r = run(sandbox, [build(name, src, True)])
    assert r.returncode == 0, r.stdout
    got = kv(r.stdout)[key]
    if want is None:                  # "SIG FROM ...": the sender was guest init
        got, want = got.split()[1], "1"
    assert got == want, r.stdout


# ------------------------------------------------------------- strict mode
@pytest.fixture
def strict(rootfs, progs):
    """Strict mode (every syscall stops in the supervisor), traced to a StringIO."""
    import io
    from umlpy import Sandbox
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], trace=io.StringIO()) as sb:
        yield sb


def test_signals_in_strict_mode(strict, build):
    d = kv(run(strict, [build("eintr", EINTR, True)]).stdout)
    assert (d["read"], d["wait"], d["nanosleep"]) == ("EINTR", "EINTR", "EINTR 1")
    assert d["restarted_read"] == "1 y"
    d = kv(run(strict, [build("sigchld", SIGCHLD_PROG, False)]).stdout)
    assert d["sigchld"] == "1 1 23" and d["ignored"] == "ECHILD"
    d = kv(run(strict, [build("pending", PENDING, True)]).stdout)
    assert (d["pending"], d["after_unblock"], d["rt_queued"]) == ("1 got=0", "0 got=1", "3")
    r = run(strict, [build("defaults", DEFAULTS, True), "segv"])
    assert r.returncode == -signal.SIGSEGV


KILL_GROUP_OF_INIT = r"""
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int sig = atoi(argv[1]);
    pid_t c = fork();
    if (c == 0) {
        kill(0, sig);                        /* our process group, which init leads */
        for (;;) pause();
    }
    int st; waitpid(c, &st, 0);
    printf("child=%d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    printf("init=survived\n");
    return 0;
}
"""


def test_group_signal_from_a_child_spares_guest_init(sandbox, build):
    # PID-namespace init only gets the signals it handles, whoever they are aimed at.
    r = run(sandbox, [build("killgrp_init", KILL_GROUP_OF_INIT, True), str(int(signal.SIGTERM))],
            timeout=5)
    assert r.stdout == f"child={int(signal.SIGTERM)}\ninit=survived\n"
    assert r.returncode == 0
