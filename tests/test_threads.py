"""Threads end to end: pthreads (clone, after clone3's ENOSYS) with guest tids,
pthread_join, pthread_kill, thread exit vs exit_group, execve from a
non-leader thread, raw clone/clone3 and their bad cases.
"""
from __future__ import annotations

import io
import signal

import pytest

from conftest import C_PRELUDE, LINKS, builder, kv, run

from umlpy import Sandbox

PRELUDE = C_PRELUDE



@pytest.fixture
def build(cc):
    return builder(cc, "thr_")






# ------------------------------------------------------------------ pthreads
THREADS = r"""
#define N 6
static pthread_barrier_t bar;
static int tids[N], pids[N], ppids[N];
static void *body(void *arg) {
    long i = (long)arg;
    tids[i] = gettid_(); pids[i] = getpid(); ppids[i] = getppid();
    pthread_barrier_wait(&bar);          /* all alive at once: tids are distinct */
    return (void *)(i * 100 + tids[i]);
}
int main(void) {
    pthread_t t[N];
    pthread_barrier_init(&bar, NULL, N + 1);
    for (long i = 0; i < N; i++) {
        int e = pthread_create(&t[i], NULL, body, (void *)i);
        if (e) { printf("create=%s\n", strerrorname_np(e)); return 1; }
    }
    pthread_barrier_wait(&bar);          /* (no thread exits before every create returned) */
    int ok = 1;
    for (long i = 0; i < N; i++) {
        void *ret;
        int e = pthread_join(t[i], &ret);
        if (e || (long)ret != i * 100 + tids[i]) ok = 0;
    }
    printf("joined=%d\n", ok);
    printf("main=%d %d\n", getpid(), gettid_());
    printf("tids=");
    for (int i = 0; i < N; i++) printf("%d,", tids[i]);
    printf("\npids=");
    for (int i = 0; i < N; i++) printf("%d,", pids[i]);
    printf("\nppids=");
    for (int i = 0; i < N; i++) printf("%d,", ppids[i]);
    printf("\n");
    return 0;
}
"""


def ints(s: str) -> list[int]:
    return [int(x) for x in s.strip(",").split(",") if x]


@pytest.mark.parametrize("static", LINKS)
def test_pthreads_get_guest_tids_and_join(sandbox, build, static):
    r = run(sandbox, [build("threads", THREADS, static)])
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    assert d["joined"] == "1"
    assert d["main"] == "1 1"
    tids = ints(d["tids"])
    assert len(set(tids)) == 6
    assert all(1 < t < 20 for t in tids)          # small guest tids, not host ones
    assert ints(d["pids"]) == [1] * 6             # every thread is in process 1
    assert ints(d["ppids"]) == [0] * 6


def test_pthreads_in_a_child_process(sandbox, build):
    prog = build("threads", THREADS, False)
    r = sandbox.run(["/bin/sh", "-c", f"{prog}; echo rc=$?"], text=True, timeout=20)
    d = kv(r.stdout)
    pid, tid = (int(x) for x in d["main"].split())
    assert pid == tid and pid > 1
    assert ints(d["pids"]) == [pid] * 6
    assert ints(d["ppids"]) == [1] * 6
    assert all(t > pid for t in ints(d["tids"]))
    assert d["rc"] == "0"


def test_pthread_create_falls_back_from_clone3_to_clone(rootfs, progs, build):
    """clone3 is refused (ENOSYS, as under Docker's default profile); glibc then uses clone."""
    prog = build("threads", THREADS, True)
    tr = io.StringIO()
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], trace=tr) as sb:
        r = run(sb, [prog])
    assert r.returncode == 0
    tids = ints(kv(r.stdout)["tids"])
    lines = tr.getvalue().splitlines()
    assert any(line.startswith("[pid 1] clone3(") and "= -1 ENOSYS" in line for line in lines)
    clones = [line for line in lines if line.startswith("[pid 1] clone(")]
    assert len(clones) == 6
    # the trace reports the guest tid as the result, and the threads' own calls as theirs
    results = sorted(int(line.rsplit("= ", 1)[1].split()[0]) for line in clones)
    assert results == sorted(tids)
    for t in tids:
        assert f"[pid {t}] " in tr.getvalue()


MANY = r"""
static void *body(void *arg) { return (void *)(long)gettid_(); }
int main(void) {
    long prev = 0; int bad = 0, rounds = 40, per = 8;
    for (int r = 0; r < rounds; r++) {
        pthread_t t[8];
        for (int i = 0; i < per; i++)
            if (pthread_create(&t[i], NULL, body, NULL)) bad++;
        for (int i = 0; i < per; i++) {
            void *ret; pthread_join(t[i], &ret);
            if ((long)ret <= prev) bad++;        /* tids only grow: no reuse */
            prev = (long)ret;
        }
    }
    printf("bad=%d last=%ld\n", bad, prev);
    return 0;
}
"""


def test_many_short_lived_threads(sandbox, build):
    prog = build("many", MANY, False)
    for attempt in range(5):                  # a lost pthread_join wake-up is a race: try it often
        r = run(sandbox, [prog], timeout=3)
        assert r.returncode == 0, r.stderr
        bad, last = r.stdout.split()
        assert bad == "bad=0"
        assert int(last.split("=")[1]) == 1 + 40 * 8


MUTEX = r"""
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter; static int turn;
static void *body(void *arg) {
    long me = (long)arg;
    for (int k = 0; k < 200; k++) {
        pthread_mutex_lock(&m);
        while (turn != me) pthread_cond_wait(&cv, &m);
        counter++; turn = (turn + 1) % 4;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&m);
    }
    return NULL;
}
int main(void) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, body, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("counter=%ld\n", counter);
    return 0;
}
"""


def test_threads_hand_off_with_futexes(sandbox, build):
    r = run(sandbox, [build("mutex", MUTEX, False)], timeout=30)
    assert r.stdout == "counter=800\n"


# ------------------------------------------------------------- pthread_kill
PKILL = r"""
#define N 4
static __thread volatile int hits;
static volatile int handler_tid[N + 1];
static pthread_barrier_t bar, done;
static int tids[N];
static void h(int s) { hits++; }
static void *body(void *arg) {
    long i = (long)arg;
    tids[i] = gettid_();
    pthread_barrier_wait(&bar);                /* main signals us now */
    while (!hits) usleep(1000);
    handler_tid[i] = gettid_();
    pthread_barrier_wait(&done);
    return (void *)(long)hits;
}
int main(void) {
    signal(SIGUSR1, h);
    pthread_t t[N];
    pthread_barrier_init(&bar, NULL, N + 1);
    pthread_barrier_init(&done, NULL, N + 1);
    for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, body, (void *)i);
    pthread_barrier_wait(&bar);
    int ok = 0;
    for (int i = 0; i < N; i++) ok += pthread_kill(t[i], SIGUSR1) == 0;
    pthread_barrier_wait(&done);
    int each = 1;
    for (int i = 0; i < N; i++) { void *r; pthread_join(t[i], &r); if ((long)r != 1 || handler_tid[i] != tids[i]) each = 0; }
    printf("sent=%d\neach_once=%d\nmain_hits=%d\n", ok, each, hits);
    /* tgkill on a thread of this process, and the bad cases */
    printf("tgkill_bad_tid=%s\n", ERR(syscall(SYS_tgkill, getpid(), 4000, SIGUSR1)));
    /* a joined thread may linger a moment (its exit is still being reported); then it is gone */
    long r1 = 0, r2 = 0;
    for (int k = 0; k < 200 && (r1 == 0 || r2 == 0); k++) {
        if (k) usleep(5000);
        r1 = syscall(SYS_tgkill, getpid(), tids[0], 0); if (r1 == 0) continue;
        r2 = syscall(SYS_tkill, tids[0], 0);
    }
    printf("tgkill_dead_thread=%s\n", ERR(r1));
    printf("tkill_dead_thread=%s\n", ERR(r2));
    printf("pthread_kill_0=%d\n", pthread_kill(pthread_self(), 0));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_pthread_kill_reaches_the_right_thread(sandbox, build, static):
    r = run(sandbox, [build("pkill", PKILL, static)])
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    assert d["sent"] == "4"
    assert d["each_once"] == "1"
    assert d["main_hits"] == "0"
    assert d["tgkill_bad_tid"] == "ESRCH"
    assert d["tgkill_dead_thread"] == "ESRCH"
    assert d["tkill_dead_thread"] == "ESRCH"
    assert d["pthread_kill_0"] == "0"


TGKILL_OTHER = r"""
static volatile int tid_in_child;
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2]; pipe(p);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, (void *(*)(void *))pause, NULL);
        usleep(50000);
        /* report the tid of the thread: it is in our process, not in the parent's */
        int tid = c; char buf[16];
        for (int i = getpid() + 1; i < getpid() + 5; i++)
            if (syscall(SYS_tgkill, getpid(), i, 0) == 0) { tid = i; break; }
        int n = snprintf(buf, sizeof buf, "%d", tid); write(p[1], buf, n);
        pause();
    }
    char buf[16] = {0};
    read(p[0], buf, sizeof buf - 1);
    int tid = atoi(buf);
    printf("thread=%d child=%d\n", tid != c, c);
    printf("wrong_group=%s\n", ERR(syscall(SYS_tgkill, 1, tid, SIGKILL)));
    printf("right_group=%s\n", ERR(syscall(SYS_tgkill, c, tid, 0)));
    printf("tkill=%s\n", ERR(syscall(SYS_tkill, tid, 0)));
    kill(c, SIGKILL);
    int st; waitpid(c, &st, 0);
    printf("killed=%d\n", WTERMSIG(st));
    printf("after=%s\n", ERR(syscall(SYS_tgkill, c, tid, 0)));
    return 0;
}
"""


def test_tgkill_checks_the_thread_group(sandbox, build):
    r = run(sandbox, [build("tgkill_other", TGKILL_OTHER, True)])
    assert r.returncode == 0, r.stdout
    d = kv(r.stdout)
    assert d["thread"].startswith("1 ")
    assert d["wrong_group"] == "ESRCH"
    assert d["right_group"] == "OK"
    assert d["tkill"] == "OK"
    assert d["killed"] == str(int(signal.SIGKILL))
    assert d["after"] == "ESRCH"


# --------------------------------------------------------- exit / exit_group
EXITS = r"""
static void *quitter(void *arg) { usleep(50000); syscall(SYS_exit_group, 5); return NULL; }
static void *thread_exit(void *arg) { usleep(50000); syscall(SYS_exit, 99); return NULL; }  /* only this thread */
static void *survivor(void *arg) {
    usleep(100000);
    printf("survivor=%d %d\n", getpid(), gettid_() != getpid());
    fflush(stdout);
    exit(atoi((char *)arg));
}
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t t;
    if (!strcmp(argv[1], "exit_group")) {
        pthread_create(&t, NULL, quitter, NULL);
        for (;;) pause();
    }
    if (!strcmp(argv[1], "thread_exit")) {
        pthread_create(&t, NULL, thread_exit, NULL);
        pthread_join(t, NULL);
        printf("main_continues=%d\n", getpid());
        return 6;
    }
    if (!strcmp(argv[1], "leader_exits")) {
        pthread_create(&t, NULL, survivor, argv[2]);
        syscall(SYS_exit, 0);              /* the leader goes; the process lives on */
    }
    return 100;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_exit_group_from_a_thread_ends_the_process(sandbox, build, static):
    prog = build("exits", EXITS, static)
    r = run(sandbox, [prog, "exit_group"])
    assert r.returncode == 5
    r = run(sandbox, ["/bin/sh", "-c", f"{prog} exit_group; echo rc=$?"])
    assert r.stdout == "rc=5\n"


@pytest.mark.parametrize("static", LINKS)
def test_thread_exit_ends_only_the_thread(sandbox, build, static):
    prog = build("exits", EXITS, static)
    r = run(sandbox, [prog, "thread_exit"])
    assert (r.stdout, r.returncode) == ("main_continues=1\n", 6)


@pytest.mark.parametrize("static", LINKS)
def test_process_outlives_its_exited_leader(sandbox, build, static):
    prog = build("exits", EXITS, static)
    r = run(sandbox, [prog, "leader_exits", "17"])
    assert (r.stdout, r.returncode) == ("survivor=1 1\n", 17)
    r = run(sandbox, ["/bin/sh", "-c", f"{prog} leader_exits 18; echo rc=$?"])
    pid_line, rc = r.stdout.splitlines()
    assert rc == "rc=18" and pid_line.endswith(" 1") and pid_line != "survivor=1 1"


# ------------------------------------------------------ exec from a thread
EXEC_THREAD = r"""
static char *target;
static void *body(void *arg) {
    char tid[16]; snprintf(tid, sizeof tid, "%d", gettid_());
    char *a[] = {target, tid, NULL};
    execve(target, a, environ);
    printf("execve=%s\n", strerrorname_np(errno));
    _exit(100);
}
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    target = argv[1];
    printf("before=%d %d %d\n", getpid(), gettid_(), getppid());
    pthread_t t[3];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, (void *(*)(void *))pause, NULL);
    pthread_create(&t[2], NULL, body, NULL);
    for (;;) pause();
}
"""

AFTER_EXEC = r"""
int main(int argc, char **argv) {
    printf("after=%d %d %d\nexec_tid=%s\n", getpid(), gettid_(), getppid(), argv[1]);
    return 33;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_execve_from_a_non_leader_thread(sandbox, build, static):
    prog = build("execthr", EXEC_THREAD, static)
    after = build("afterexec", AFTER_EXEC, static)
    r = run(sandbox, [prog, after])
    assert r.returncode == 33, r.stdout
    d = kv(r.stdout)
    assert d["before"] == "1 1 0"
    assert d["after"] == "1 1 0"               # the process keeps its pid; the tid is the pid
    assert int(d["exec_tid"]) > 1              # it was another thread that called execve


@pytest.mark.parametrize("static", LINKS)
def test_execve_from_a_thread_of_a_child(sandbox, build, static):
    prog = build("execthr", EXEC_THREAD, static)
    after = build("afterexec", AFTER_EXEC, static)
    r = run(sandbox, ["/bin/sh", "-c", f"{prog} {after} & p=$!; wait $p; echo rc=$?; echo p=$p"])
    d = kv(r.stdout)
    pid, tid, ppid = d["before"].split()
    assert pid == tid == d["p"] and ppid == "1"
    assert d["after"] == f"{pid} {pid} 1"       # same pid, seen by the parent shell too
    assert d["rc"] == "33"


def test_execve_from_a_thread_then_signals_and_wait_still_work(sandbox, build):
    after = build("sig_after_exec", r"""
    int main(int argc, char **argv) {
        printf("pid=%d\n", getpid()); fflush(stdout);
        if (argc > 1) for (;;) pause();
        return 0;
    }""", True)
    prog = build("execthr_parent", r"""
    static char *target;
    static void *body(void *a) { char *v[] = {target, "wait", NULL}; execve(target, v, environ); _exit(100); }
    int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IONBF, 0);
        target = argv[1];
        pid_t c = fork();
        if (c == 0) { pthread_t t; pthread_create(&t, NULL, body, NULL); for (;;) pause(); }
        usleep(200000);
        printf("kill=%s\n", ERR(kill(c, SIGTERM)));
        int st; pid_t w = waitpid(c, &st, 0);
        printf("waited=%d %d\n", w == c, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
        printf("child=%d\n", c);
        return 0;
    }""", True)
    r = run(sandbox, [prog, after])
    d = kv(r.stdout)
    assert d["pid"] == d["child"]
    assert d["kill"] == "OK"
    assert d["waited"] == f"1 {int(signal.SIGTERM)}"


# ------------------------------------------------------- raw clone / clone3
RAWCLONE = r"""
static int child_fn(void *arg) { return 44; }
static long clone3_(struct clone_args *ca, size_t size) {
    long r = syscall(SYS_clone3, ca, size);
    if (r == 0) _exit(0);                  /* should it succeed after all, the child goes */
    return r;
}
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* clone3 as fork */
    struct clone_args ca = {0};
    ca.exit_signal = SIGCHLD;
    long c = syscall(SYS_clone3, &ca, sizeof ca);
    if (c == 0) _exit(gettid_() == getpid() ? 41 : 1);
    printf("clone3_fork=%s\n", ERR(c));
    int st; pid_t w;

    /* clone3 with CLONE_PARENT_SETTID and CLONE_PIDFD: both get guest ids */
    pid_t ptid = 0; int pidfd = -1;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_PARENT_SETTID | CLONE_PIDFD;
    ca.parent_tid = (uintptr_t)&ptid; ca.pidfd = (uintptr_t)&pidfd;
    ca.exit_signal = SIGCHLD;
    c = syscall(SYS_clone3, &ca, sizeof ca);
    if (c == 0) _exit(42);
    printf("settid=%s\n", ERR(c));

    /* glibc clone() with its own stack */
    char *stack = malloc(65536);
    c = clone(child_fn, stack + 65536, SIGCHLD, NULL);
    w = waitpid(c, &st, 0);
    printf("clone=%d %d\n", w == c, WEXITSTATUS(st));

    /* bad cases */
    memset(&ca, 0, sizeof ca); ca.exit_signal = SIGCHLD;
    printf("small=%s\n", ERR(clone3_(&ca, 32)));
    printf("efault=%s\n", ERR(clone3_(BAD, sizeof ca)));
    ca.flags = CLONE_NEWPID;
    printf("newpid=%s\n", ERR(clone3_(&ca, sizeof ca)));
    ca.flags = CLONE_NEWUSER;
    printf("newuser=%s\n", ERR(clone3_(&ca, sizeof ca)));
    ca.flags = CLONE_THREAD;                      /* without CLONE_SIGHAND|CLONE_VM */
    printf("thread_alone=%s\n", ERR(clone3_(&ca, sizeof ca)));
    ca.flags = 0; ca.exit_signal = 99;
    printf("bad_exit_signal=%s\n", ERR(clone3_(&ca, sizeof ca)));
    pid_t want = 300; ca.exit_signal = SIGCHLD; ca.set_tid = (uintptr_t)&want; ca.set_tid_size = 1;
    printf("set_tid=%s\n", ERR(clone3_(&ca, sizeof ca)));
    long r = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    printf("clone_newnet=%s\n", ERR(r));
    printf("leftover=%s\n", ERR(wait(NULL)));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_raw_clone_and_clone3(sandbox, build, static):
    r = run(sandbox, [build("rawclone", RAWCLONE, static)])
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    assert d["clone3_fork"] == "ENOSYS" and d["settid"] == "ENOSYS"   # clone3 is refused
    assert d["clone"] == "1 44"
    for k in ("small", "efault", "newpid", "newuser", "thread_alone", "bad_exit_signal", "set_tid"):
        assert d[k] == "ENOSYS", k
    assert d["clone_newnet"] == "EPERM"          # only UTS and mount namespaces are made
    assert d["leftover"] == "ECHILD"


THREAD_FORK = r"""
static volatile pid_t child;
static volatile int created;
static void *body(void *arg) {
    while (!created) usleep(1000);
    pid_t c = fork();
    if (c == 0) { printf("child_ppid=%d\nchild_pid_tid=%d\n", getppid(), getpid() == gettid_()); fflush(stdout); _exit(12); }
    child = c;
    printf("forker_tid=%d\n", gettid_());
    return NULL;
}
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t t;
    pthread_create(&t, NULL, body, NULL);
    created = 1;
    pthread_join(t, NULL);
    int st;
    pid_t w = waitpid(child, &st, 0);          /* children belong to the process */
    printf("main_waited=%d %d\n", w == child, WEXITSTATUS(st));
    printf("none_left=%s\n", ERR(wait(NULL)));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_fork_from_a_thread(sandbox, build, static):
    r = run(sandbox, [build("thread_fork", THREAD_FORK, static)])
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    assert int(d["forker_tid"]) > 1
    assert d["child_ppid"] == "1"              # the parent is the process, not the thread
    assert d["child_pid_tid"] == "1"
    assert d["main_waited"] == "1 12"
    assert d["none_left"] == "ECHILD"


# ------------------------------------------------------------- strict mode
@pytest.fixture
def strict(rootfs, progs):
    """Strict mode (every syscall stops in the supervisor), traced to a StringIO."""
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], trace=io.StringIO()) as sb:
        yield sb


def test_threads_in_strict_mode(strict, build):
    r = run(strict, [build("threads", THREADS, False)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["joined"] == "1" and d["main"] == "1 1"
    tids = ints(d["tids"])
    assert len(set(tids)) == 6 and all(1 < t < 20 for t in tids)
    r = run(strict, [build("pkill", PKILL, True)])
    d = kv(r.stdout)
    assert (d["sent"], d["each_once"], d["main_hits"]) == ("4", "1", "0")


def test_execve_from_a_thread_in_strict_mode(strict, build):
    prog = build("execthr", EXEC_THREAD, False)
    after = build("afterexec", AFTER_EXEC, False)
    r = run(strict, [prog, after])
    assert r.returncode == 33, r.stdout
    d = kv(r.stdout)
    assert d["after"] == "1 1 0" and int(d["exec_tid"]) > 1
    assert f'execve("{after}"' in strict.trace.getvalue()


def test_trace_names_the_thread_that_called_execve(strict, build):
    prog = build("execthr", EXEC_THREAD, False)
    after = build("afterexec", AFTER_EXEC, False)
    r = run(strict, [prog, after])
    tid = kv(r.stdout)["exec_tid"]
    lines = [line for line in strict.trace.getvalue().splitlines() if f'execve("{after}"' in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"[pid {tid}] "), lines    # as strace: the caller, not the leader


RACE_EXEC = r"""
static char *target;
static pthread_barrier_t bar;
static void *body(void *arg) {
    char tid[16]; snprintf(tid, sizeof tid, "%d", gettid_());
    char *a[] = {target, tid, NULL};
    pthread_barrier_wait(&bar);
    execve(target, a, environ);
    _exit(100);
}
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    target = argv[1];
    pthread_barrier_init(&bar, NULL, 4);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, body, NULL);
    for (;;) pause();
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_several_threads_execve_at_once(sandbox, build, static):
    prog = build("raceexec", RACE_EXEC, static)
    after = build("afterexec", AFTER_EXEC, static)
    for _ in range(3):
        r = run(sandbox, [prog, after], timeout=10)
        assert r.returncode == 33, r.stdout + r.stderr
        assert r.stdout.count("after=") == 1          # exactly one execve won
        assert kv(r.stdout)["after"] == "1 1 0"
