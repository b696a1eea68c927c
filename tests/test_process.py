"""Processes end to end: the PID namespace, fork/vfork/posix_spawn, wait4/waitid,
orphans, process groups and sessions, exit statuses, denied syscalls, bad
pointers, timeouts and a supervisor that survives a misbehaving guest.

Every test runs real guest programs (busybox, or C compiled by the `cc`
fixture, static and dynamic) and asserts what the guest itself observed:
the ids it was given, the statuses it collected and the errno names
(strerrorname_np) it got back.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from conftest import C_PRELUDE, LINKS, builder, kv, run, sh
from umlpy import Sandbox, SandboxTimeout

PRELUDE = C_PRELUDE



@pytest.fixture
def build(cc):
    return builder(cc, "proc_")






# ------------------------------------------------------------ PID namespace
IDS = r"""
int main(void) {
    printf("pid=%d\nppid=%d\ntid=%ld\n", getpid(), getppid(), syscall(SYS_gettid));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_init_is_pid_1_with_parent_0(sandbox, build, static):
    r = run(sandbox, [build("ids", IDS, static)])
    assert r.returncode == 0, r.stderr
    assert kv(r.stdout) == {"pid": "1", "ppid": "0", "tid": "1"}


def test_shell_sees_guest_pids(sandbox):
    r = sh(sandbox, "echo $$ $PPID; sh -c 'echo $$ $PPID'; true")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == "1 0"
    child, parent = (int(x) for x in lines[1].split())
    assert parent == 1 and 1 < child < 20


FORKS = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        pid_t p = fork();
        if (p < 0) { printf("fork=%s\n", ERR(p)); return 1; }
        if (p == 0) {
            printf("child%d=%d %d %ld\n", i, getpid(), getppid(), syscall(SYS_gettid));
            _exit(10 + i);
        }
        kids[i] = p;
    }
    for (int i = 0; i < 3; i++) {
        int st;
        pid_t w = waitpid(kids[i], &st, 0);
        printf("fork%d=%d %d %d\n", i, kids[i], w, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_fork_children_get_small_guest_pids(sandbox, build, static):
    r = run(sandbox, [build("forks", FORKS, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    pids = set()
    for i in range(3):
        cpid, cppid, ctid = (int(x) for x in d[f"child{i}"].split())
        fpid, waited, status = (int(x) for x in d[f"fork{i}"].split())
        assert cpid == fpid == waited == ctid      # fork() told the parent the child's own pid
        assert cppid == 1
        assert 1 < cpid < 20
        assert status == 10 + i
        pids.add(cpid)
    assert len(pids) == 3


KILL_OUTSIDE = r"""
int main(int argc, char **argv) {
    pid_t host = atoi(argv[1]), hostparent = atoi(argv[2]);
    printf("kill0=%s\n", ERR(kill(host, 0)));
    printf("killwinch=%s\n", ERR(kill(host, SIGWINCH)));
    printf("killparent=%s\n", ERR(kill(hostparent, SIGWINCH)));
    printf("killgroup=%s\n", ERR(kill(-host, SIGWINCH)));
    printf("tgkill=%s\n", ERR(syscall(SYS_tgkill, host, host, SIGWINCH)));
    printf("tkill=%s\n", ERR(syscall(SYS_tkill, host, SIGWINCH)));
    printf("getpgid=%s\n", ERR(getpgid(host)));
    printf("getsid=%s\n", ERR(getsid(host)));
    printf("setpgid=%s\n", ERR(setpgid(host, 0)));
    printf("sigqueue=%s\n", ERR(sigqueue(host, SIGWINCH, (union sigval){0})));
    printf("nonexistent=%s\n", ERR(kill(4000, 0)));
    printf("self=%s\n", ERR(kill(1, 0)));
    printf("prlimit=%s\n", ERR(prlimit(host, RLIMIT_NOFILE, NULL, &(struct rlimit){0})));
    printf("sched=%s\n", ERR(sched_getscheduler(host)));
    return 0;
}
"""


def test_ids_outside_the_sandbox_are_esrch(sandbox, build):
    host, hostparent = os.getpid(), os.getppid()
    assert host > 50                        # not a number the guest could own
    got = []
    old = signal.signal(signal.SIGWINCH, lambda *a: got.append(a))
    try:
        r = run(sandbox, [build("killout", KILL_OUTSIDE, True), str(host), str(hostparent)])
    finally:
        signal.signal(signal.SIGWINCH, old)
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    for k in ("kill0", "killwinch", "killparent", "killgroup", "tgkill", "tkill", "getpgid",
              "getsid", "setpgid", "sigqueue", "nonexistent", "prlimit", "sched"):
        assert d[k] == "ESRCH", (k, r.stdout)
    assert d["self"] == "OK"
    assert got == []                         # nothing reached the host test process


# ----------------------------------------------------------------- wait
WAIT4 = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;
    pid_t a = fork();
    if (a == 0) _exit(42);
    pid_t w = waitpid(a, &st, 0);
    printf("exit=%d %d\n", w == a, WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    pid_t b = fork();
    if (b == 0) { for (;;) pause(); }
    w = waitpid(b, &st, WNOHANG);
    printf("nohang=%d\n", w);
    kill(b, SIGKILL);
    w = waitpid(b, &st, 0);
    printf("signaled=%d %d\n", w == b, WIFSIGNALED(st) ? WTERMSIG(st) : -1);

    /* a specific pid among several: the others stay unreaped */
    pid_t c[3];
    int pfd[2]; pipe(pfd);
    for (int i = 0; i < 3; i++) {
        c[i] = fork();
        if (c[i] == 0) { char x; read(pfd[0], &x, 1); _exit(20 + i); }
    }
    close(pfd[0]);
    write(pfd[1], "xxx", 3);
    w = waitpid(c[1], &st, 0);
    printf("specific=%d %d\n", w == c[1], WEXITSTATUS(st));
    pid_t x = wait(&st), y = wait(&st);
    printf("rest=%d\n", (x == c[0] && y == c[2]) || (x == c[2] && y == c[0]));
    w = waitpid(c[1], &st, 0);
    printf("again=%s\n", ERR(w));
    w = wait(&st);
    printf("none=%s\n", ERR(w));
    w = waitpid(-1, &st, WNOHANG);
    printf("nonehang=%s\n", ERR(w));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_wait4_status_nohang_specific_pid_and_echild(sandbox, build, static):
    r = run(sandbox, [build("wait4", WAIT4, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["exit"] == "1 42"
    assert d["nohang"] == "0"
    assert d["signaled"] == f"1 {signal.SIGKILL}"
    assert d["specific"] == "1 21"
    assert d["rest"] == "1"
    assert d["none"] == "ECHILD"
    assert d["nonehang"] == "ECHILD"


def test_waiting_for_a_reaped_child_again_is_echild(sandbox, build):
    d = kv(run(sandbox, [build("wait4", WAIT4, True)]).stdout)
    assert d["again"] == "ECHILD"


WAIT_BAD = r"""
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;
    printf("nonexistent=%s\n", ERR(waitpid(4000, &st, 0)));
    printf("host=%s\n", ERR(waitpid(atoi(argv[1]), &st, 0)));
    printf("group=%s\n", ERR(waitpid(-4000, &st, 0)));
    pid_t a = fork();
    if (a == 0) _exit(3);
    printf("badopts=%s\n", ERR(waitpid(a, &st, 0x1000)));
    printf("efault=%s\n", ERR(syscall(SYS_wait4, a, BAD, 0, NULL)));
    printf("efault_reaped=%s\n", ERR(waitpid(a, &st, WNOHANG)));
    siginfo_t si;
    printf("waitid_nonexistent=%s\n", ERR(waitid(P_PID, 4000, &si, WEXITED)));
    printf("waitid_badtype=%s\n", ERR(waitid(77, 0, &si, WEXITED)));
    pid_t b = fork();
    if (b == 0) _exit(4);
    printf("waitid_efault=%s\n", ERR(syscall(SYS_waitid, P_PID, b, BAD, WEXITED, NULL)));
    return 0;
}
"""


def test_wait_bad_cases(sandbox, build):
    r = run(sandbox, [build("waitbad", WAIT_BAD, True), str(os.getpid())])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["nonexistent"] == "ECHILD"      # Linux: not our child -> ECHILD, not ESRCH
    assert d["host"] == "ECHILD"
    assert d["group"] == "ECHILD"
    assert d["badopts"] == "EINVAL"
    assert d["efault"] == "EFAULT"
    assert d["efault_reaped"] == "ECHILD"     # Linux reaps before the copy-out fails
    assert d["waitid_nonexistent"] == "ECHILD"
    assert d["waitid_badtype"] == "EINVAL"
    assert d["waitid_efault"] == "EFAULT"


WAITID = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    siginfo_t si;
    int pfd[2]; pipe(pfd);
    pid_t a = fork();
    if (a == 0) { char x; read(pfd[0], &x, 1); _exit(7); }
    memset(&si, 0xff, sizeof si);
    int r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
    printf("nohang=%d %d\n", r, si.si_pid);
    write(pfd[1], "x", 1);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, a, &si, WEXITED | WNOWAIT);
    printf("nowait=%d %d %d %d\n", r, si.si_pid == a, si.si_code == CLD_EXITED, si.si_status);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, a, &si, WEXITED);
    printf("reap=%d %d %d %d\n", r, si.si_pid == a, si.si_code == CLD_EXITED, si.si_status);
    printf("gone=%s\n", ERR(waitid(P_PID, a, &si, WEXITED)));

    pid_t b = fork();
    if (b == 0) { for (;;) pause(); }
    kill(b, SIGTERM);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    printf("killed=%d %d %d %d\n", r, si.si_pid == b, si.si_code == CLD_KILLED, si.si_status);
    printf("pids=%d %d\n", a, b);
    printf("none=%s\n", ERR(waitid(P_ALL, 0, &si, WEXITED)));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_waitid_translates_si_pid(sandbox, build, static):
    r = run(sandbox, [build("waitid", WAITID, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["nohang"] == "0 0"
    assert d["nowait"] == "0 1 1 7"
    assert d["reap"] == "0 1 1 7"
    assert d["killed"] == f"0 1 1 {signal.SIGTERM}"
    assert all(1 < int(p) < 20 for p in d["pids"].split())
    assert d["none"] == "ECHILD"


def test_waitid_for_a_reaped_child_is_echild(sandbox, build):
    d = kv(run(sandbox, [build("waitid", WAITID, True)]).stdout)
    assert d["gone"] == "ECHILD"


# ------------------------------------------------- vfork and posix_spawn
SPAWN = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;
    volatile int shared = 0;
    pid_t v = vfork();
    if (v == 0) { shared = getpid(); _exit(9); }
    pid_t w = waitpid(v, &st, 0);
    printf("vfork=%d %d %d\n", v == shared, w == v, WEXITSTATUS(st));

    v = vfork();
    if (v == 0) {
        char *a[] = {"sh", "-c", "echo vexec $$ $PPID; exit 5", NULL};
        execve("/bin/sh", a, environ);
        _exit(127);
    }
    waitpid(v, &st, 0);
    printf("vforkexec=%d %d\n", v, WEXITSTATUS(st));

    pid_t p;
    char *a[] = {"sh", "-c", "echo spawned $$ $PPID; exit 6", NULL};
    int e = posix_spawn(&p, "/bin/sh", NULL, NULL, a, environ);
    printf("spawn=%s\n", e ? strerrorname_np(e) : "OK");
    waitpid(p, &st, 0);
    printf("spawnpid=%d %d\n", p, WEXITSTATUS(st));

    e = posix_spawn(&p, "/nonexistent", NULL, NULL, a, environ);
    printf("spawnmissing=%s\n", e ? strerrorname_np(e) : "OK");
    e = posix_spawn(&p, "/t", NULL, NULL, a, environ);
    printf("spawndir=%s\n", e ? strerrorname_np(e) : "OK");
    printf("leftover=%s\n", ERR(wait(&st)));
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_vfork_and_posix_spawn(sandbox, build, static):
    r = run(sandbox, [build("spawn", SPAWN, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["vfork"] == "1 1 9"
    vpid, vst = d["vforkexec"].split()
    assert vst == "5"
    assert f"vexec {vpid} 1" in r.stdout
    assert d["spawn"] == "OK"
    spid, sst = d["spawnpid"].split()
    assert sst == "6"
    assert f"spawned {spid} 1" in r.stdout
    assert 1 < int(vpid) < int(spid) < 20
    assert d["spawnmissing"] == "ENOENT"
    assert d["spawndir"] == "EACCES"
    assert d["leftover"] == "ECHILD"         # failed spawns left no child behind


# ----------------------------------------------------------------- orphans
ORPHAN = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int pfd[2]; pipe(pfd);
    pid_t a = fork();
    if (a == 0) {
        pid_t b = fork();
        if (b == 0) {
            close(pfd[0]);
            printf("before=%d\n", getppid());
            for (int i = 0; i < 2000 && getppid() != 1; i++) usleep(1000);
            printf("after=%d\n", getppid());
            printf("grandchild=%d\n", getpid());
            write(pfd[1], "x", 1);
            _exit(33);
        }
        usleep(50000);
        _exit(0);
    }
    close(pfd[1]);
    int st;
    waitpid(a, &st, 0);
    printf("child=%d\n", a);
    char x;
    read(pfd[0], &x, 1);
    /* init must be able to reap the orphan, as in a PID namespace */
    pid_t w = waitpid(-1, &st, 0);
    printf("reaped=%d %s %d\n", w, ERR(w), w > 0 ? WEXITSTATUS(st) : -1);
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_orphan_is_reparented_to_guest_init(sandbox, build, static):
    r = run(sandbox, [build("orphan", ORPHAN, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["before"] == d["child"]         # the grandchild's parent was the child
    assert d["after"] == "1"


def test_orphan_is_reaped_by_guest_init(sandbox, build):
    r = run(sandbox, [build("orphan", ORPHAN, True)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["reaped"] == f"{d['grandchild']} OK 33"


ORPHAN_SIGCHLD = r"""
static volatile int got, from;
static void h(int s, siginfo_t *si, void *u) { got++; from = si->si_pid; }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, NULL);
    int pfd[2]; pipe(pfd);
    pid_t a = fork();
    if (a == 0) {
        if (fork() == 0) { char x; read(pfd[0], &x, 1); _exit(0); }
        _exit(0);
    }
    int st;
    while (waitpid(a, &st, 0) < 0 && errno == EINTR) ;
    got = 0;
    write(pfd[1], "x", 1);          /* now the orphan exits */
    for (int i = 0; i < 2000 && !got; i++) usleep(1000);
    printf("sigchld=%d\n", got);
    return 0;
}
"""


def test_orphan_exit_sends_sigchld_to_guest_init(sandbox, build):
    r = run(sandbox, [build("orphansig", ORPHAN_SIGCHLD, True)])
    assert r.returncode == 0, r.stderr
    assert kv(r.stdout)["sigchld"] == "1"


# ------------------------------------------- process groups and sessions
PGRP = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("init=%d %d %d\n", getpgrp(), getpgid(0), getsid(0));
    int go[2]; pipe(go);
    pid_t c = fork();
    if (c == 0) {
        printf("child_setpgid=%s\n", ERR(setpgid(0, 0)));
        printf("child_pgid=%d %d\n", getpgid(0) == getpid(), getpgrp() == getpid());
        printf("child_setsid_leader=%s\n", ERR(setsid()));   /* a group leader cannot */
        pid_t g = fork();
        if (g == 0) {
            pid_t s = setsid();
            printf("gc_setsid=%d %s\n", s == getpid(), ERR(s));
            printf("gc_ids=%d %d %d\n", getpid(), getpgid(0), getsid(0));
            printf("gc_setsid_again=%s\n", ERR(setsid()));
            _exit(0);
        }
        waitpid(g, NULL, 0);
        char x; read(go[0], &x, 1);
        _exit(0);
    }
    /* parent: move the child into its own group too (race-free either way) */
    int r = setpgid(c, c);
    printf("parent_setpgid=%s\n", (r == 0 || errno == EACCES) ? "OK" : ERR(r));
    printf("parent_getpgid=%d\n", getpgid(c) == c);
    printf("parent_getsid=%d\n", getsid(c));
    printf("bad_pgid=%s\n", ERR(setpgid(0, -1)));
    printf("missing_group=%s\n", ERR(setpgid(0, 4000)));
    printf("missing_pid=%s\n", ERR(setpgid(4000, 0)));
    printf("getpgid_missing=%s\n", ERR(getpgid(4000)));
    printf("getsid_missing=%s\n", ERR(getsid(4000)));
    write(go[1], "x", 1);
    waitpid(c, NULL, 0);
    printf("child=%d\n", c);
    return 0;
}
"""


def test_process_groups_and_sessions(sandbox, build):
    r = run(sandbox, [build("pgrp", PGRP, True)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["init"] == "1 1 1"              # guest init leads its own session and group
    assert d["child_setpgid"] == "OK"
    assert d["child_pgid"] == "1 1"
    assert d["child_setsid_leader"] == "EPERM"
    assert d["gc_setsid"] == "1 OK"
    gpid, gpgid, gsid = d["gc_ids"].split()
    assert gpid == gpgid == gsid and 1 < int(gpid) < 20
    assert d["gc_setsid_again"] == "EPERM"
    assert d["parent_setpgid"] == "OK"
    assert d["parent_getpgid"] == "1"
    assert d["parent_getsid"] == "1"         # the child stayed in init's session
    assert d["bad_pgid"] == "EINVAL"
    assert d["missing_pid"] == "ESRCH"
    assert d["getpgid_missing"] == "ESRCH"
    assert d["getsid_missing"] == "ESRCH"


def test_setpgid_into_a_missing_group_is_eperm(sandbox, build):
    d = kv(run(sandbox, [build("pgrp", PGRP, True)]).stdout)
    assert d["missing_group"] == "EPERM"     # Linux: no such group in our session


KILLPG = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int ready[2]; pipe(ready);
    pid_t leader = fork();
    if (leader == 0) {
        setpgid(0, 0);
        if (fork() == 0) { write(ready[1], "x", 1); for (;;) pause(); }
        write(ready[1], "x", 1);
        for (;;) pause();
    }
    setpgid(leader, leader);
    char x[2]; read(ready[0], x, 1); read(ready[0], x + 1, 1);
    printf("killpg=%s\n", ERR(kill(-leader, SIGTERM)));
    int st;
    waitpid(leader, &st, 0);
    printf("leader=%d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    /* the group member was orphaned and killed too: it reaches init */
    pid_t w = waitpid(-1, &st, 0);
    printf("member=%s %d\n", ERR(w), w > 0 && WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    printf("nogroup=%s\n", ERR(kill(-4000, SIGTERM)));
    printf("killpg0=%s\n", ERR(killpg(4000, 0)));
    return 0;
}
"""


def test_kill_process_group_by_guest_pgid(sandbox, build):
    r = run(sandbox, [build("killpg", KILLPG, True)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["killpg"] == "OK"
    assert d["leader"] == str(int(signal.SIGTERM))
    assert d["nogroup"] == "ESRCH"
    assert d["killpg0"] == "ESRCH"


def test_kill_process_group_reaches_orphaned_member(sandbox, build):
    r = run(sandbox, [build("killpg", KILLPG, True)])
    assert kv(r.stdout)["member"] == f"OK {int(signal.SIGTERM)}"


# --------------------------------------------------------------- exits
def test_exit_status_reaches_api_and_cli(sandbox, rootfs):
    r = sh(sandbox, "exit 37")
    assert r.returncode == 37
    r = sh(sandbox, "sh -c 'exit 3'; echo child=$?")
    assert r.stdout == "child=3\n" and r.returncode == 0
    cli = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--",
                          "/bin/sh", "-c", "echo out; exit 37"],
                         capture_output=True, text=True, timeout=30)
    assert cli.stdout == "out\n"
    assert cli.returncode == 37


EXIT_GROUP = r"""
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t a = fork();
    if (a == 0) syscall(SYS_exit_group, 201);
    pid_t b = fork();
    if (b == 0) syscall(SYS_exit, 202);      /* single-threaded: exit == exit_group */
    int sa, sb2;
    waitpid(a, &sa, 0); waitpid(b, &sb2, 0);
    printf("statuses=%d %d\n", WEXITSTATUS(sa), WEXITSTATUS(sb2));
    syscall(SYS_exit_group, atoi(argv[1]));
    puts("not reached");
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_exit_and_exit_group(sandbox, build, static):
    prog = build("exitgrp", EXIT_GROUP, static)
    r = run(sandbox, [prog, "77"])
    assert r.stdout == "statuses=201 202\n"
    assert r.returncode == 77
    assert run(sandbox, [prog, "0"]).returncode == 0


CHAIN = r"""
int main(int argc, char **argv) {
    int depth = atoi(argv[1]);
    if (depth == 0) return 0;
    pid_t c = fork();
    if (c < 0) return 200;
    if (c == 0) {
        char d[16]; snprintf(d, sizeof d, "%d", depth - 1);
        char *a[] = {argv[0], d, NULL};
        execv(argv[0], a);
        _exit(201);
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) return 202;
    if (getpid() == 1) printf("last=%d\n", c);
    return WEXITSTATUS(st) + 1;
}
"""


def test_chain_of_fork_exec_wait(sandbox, build):
    r = run(sandbox, [build("chain", CHAIN, False), "20"], timeout=30)
    assert r.returncode == 20, r.stdout + r.stderr
    assert kv(r.stdout)["last"] == "2"


BOMB = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int n = 0, failed = 0;
    pid_t seen[64];
    for (int i = 0; i < 50; i++) {
        pid_t p = fork();
        if (p < 0) { failed++; continue; }
        if (p == 0) {
            pid_t g = fork();                 /* every child forks again */
            if (g == 0) _exit(0);
            waitpid(g, NULL, 0);
            _exit(i % 50);
        }
        seen[n++] = p;
    }
    int ok = 0, st; pid_t w;
    while ((w = wait(&st)) > 0) ok++;
    int distinct = 1;
    for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) if (seen[i] == seen[j]) distinct = 0;
    printf("forked=%d failed=%d reaped=%d distinct=%d end=%s\n", n, failed, ok, distinct, ERR(w));
    printf("pid=%d\n", getpid());
    return 0;
}
"""


def test_fork_bomb_of_50_children_each_forking(sandbox, build):
    t = time.monotonic()
    r = run(sandbox, [build("bomb", BOMB, True)], timeout=30)
    assert r.returncode == 0, r.stderr
    assert "forked=50 failed=0 reaped=50 distinct=1 end=ECHILD" in r.stdout
    assert kv(r.stdout)["pid"] == "1"
    assert len(r.report.processes) == 101     # init + 50 children + 50 grandchildren
    assert time.monotonic() - t < 30


# ------------------------------------------------------- misbehaviour
INT80 = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("before\n");
    long r;
    /* 32-bit getpid (20) via the legacy gate: must never run */
    __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20) : "memory");
    printf("survived=%ld\n", r);
    return 0;
}
"""

X32 = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("before\n");
    long r = syscall(0x40000000 | 39);      /* x32 getpid */
    printf("survived=%ld %s\n", r, ERR(r));
    return 0;
}
"""


def test_foreign_syscall_abi_is_killed_with_sigsys(sandbox, build):
    r = run(sandbox, [build("int80", INT80, True)])
    assert r.stdout == "before\n"
    assert r.returncode == -signal.SIGSYS
    # and the sandbox is still usable afterwards
    assert sh(sandbox, "echo $$").stdout == "1\n"


def test_x32_syscall_is_enosys_with_a_trace_line(sandbox, build):
    """As on Linux without the x32 ABI: ENOSYS, and the process goes on (issue 8)."""
    r = run(sandbox, [build("x32", X32, True)])
    assert r.stdout == "before\nsurvived=-1 ENOSYS\n"
    assert r.returncode == 0
    assert any("x32 ABI" in line for line in r.report.denied)


def test_foreign_syscall_abi_in_child_kills_only_the_child(sandbox, build):
    prog = build("int80", INT80, True)
    r = sh(sandbox, f"{prog}; echo status=$?")
    assert r.stdout == f"before\nstatus={128 + signal.SIGSYS}\n"
    assert r.returncode == 0


def test_guest_sigkill_itself(sandbox):
    r = sh(sandbox, "echo hi; kill -KILL $$; echo not-reached")
    assert r.stdout == "hi\n"
    assert r.returncode == -signal.SIGKILL


# ---------------------------------------------------- denied syscalls
DENIED = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* (335 and 336, uretprobe/uprobe, bypass seccomp in the host kernel itself) */
    long nrs[] = {425, 321, 298, 246, 175, 304, 303, 1000, 470};
    const char *names[] = {"io_uring_setup", "bpf", "perf_event_open", "kexec_load",
                           "init_module", "open_by_handle_at", "name_to_handle_at", "1000", "470"};
    for (int i = 0; i < 9; i++) {
        long r = syscall(nrs[i], 0, 0, 0, 0, 0, 0);
        printf("%s=%ld %s\n", names[i], r, ERR(r));
    }
    printf("alive=%d\n", getpid());
    return 0;
}
"""


def test_denied_syscalls_fail_and_are_reported(sandbox, build):
    r = run(sandbox, [build("denied", DENIED, True)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert d["alive"] == "1"
    for name in ("io_uring_setup", "bpf", "perf_event_open", "kexec_load", "init_module",
                 "open_by_handle_at", "name_to_handle_at"):
        assert d[name] in ("-1 ENOSYS", "-1 EPERM", "-1 EOPNOTSUPP"), (name, d[name])
    assert d["1000"] == "-1 ENOSYS"
    assert d["470"] == "-1 ENOSYS"           # past the end of today's x86-64 table
    denied = "\n".join(r.report.denied)
    for name in ("io_uring_setup", "bpf", "perf_event_open", "kexec_load", "init_module",
                 "open_by_handle_at", "name_to_handle_at"):
        assert name + "(" in denied, (name, denied)
    assert "syscall_1000(" in denied and "syscall_470(" in denied
    assert len(r.report.denied) == 9


def test_allowed_program_reports_nothing_denied(sandbox, build):
    r = run(sandbox, [build("ids", IDS, True)])
    assert r.report.denied == []


# ------------------------------------------------------- bad pointers
EFAULT = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    void *kern = (void *)0xffff880000000000UL;
    printf("uname=%s\n", ERR(syscall(SYS_uname, BAD)));
    printf("uname_kernel=%s\n", ERR(syscall(SYS_uname, kern)));
    printf("execve_path=%s\n", ERR(syscall(SYS_execve, BAD, NULL, NULL)));
    printf("wait4=%s\n", ERR(syscall(SYS_wait4, -1, BAD, 0, NULL)));
    printf("sethostname=%s\n", ERR(syscall(SYS_sethostname, BAD, 5)));
    printf("clone3=%s\n", ERR(syscall(SYS_clone3, BAD, 88)));
    printf("getaffinity=%s\n", ERR(syscall(SYS_sched_getaffinity, 0, 128, BAD)));
    printf("getrlimit=%s\n", ERR(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, BAD)));
    printf("sigaction=%s\n", ERR(syscall(SYS_rt_sigaction, SIGUSR1, BAD, NULL, 8)));
    printf("alive=%d\n", getpid());
    return 0;
}
"""


@pytest.mark.parametrize("static", LINKS)
def test_bad_guest_pointers_are_efault(sandbox, build, static):
    r = run(sandbox, [build("efault", EFAULT, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    for k in ("uname", "uname_kernel", "execve_path", "sethostname",
              "getaffinity", "getrlimit", "sigaction"):
        assert d[k] == "EFAULT", (k, r.stdout)
    assert d["clone3"] == "ENOSYS"           # refused before its pointer is read (linux64.py)
    assert d["wait4"] == "ECHILD"            # no child: ECHILD comes before the copy-out
    assert d["alive"] == "1"


# ------------------------------------------------------------- timeout
MARK = "987.25"


def _marked_host_processes() -> list[psutil.Process]:
    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            if MARK in " ".join(p.cmdline()) and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            pass
    return found


def test_timeout_raises_and_kills_every_guest_process(sandbox):
    t = time.monotonic()
    with pytest.raises(SandboxTimeout) as ei:
        sandbox.run(["/bin/sh", "-c", f"echo started; for i in 1 2 3 4 5 6 7 8; do sleep {MARK} & done; "
                     f"sh -c 'sleep {MARK} & sleep {MARK}'; wait"], timeout=1.5)
    elapsed = time.monotonic() - t
    assert 1.4 < elapsed < 3.5
    assert ei.value.timeout == 1.5
    assert b"started" in (ei.value.output or b"")
    deadline = time.monotonic() + 2
    while _marked_host_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _marked_host_processes() == []
    # the sandbox is usable again
    assert sh(sandbox, "echo $$").stdout == "1\n"


def test_timeout_of_a_process_ignoring_signals(sandbox, build):
    prog = build("ignorer", r"""
    int main(void) {
        for (int s = 1; s < 32; s++) signal(s, SIG_IGN);
        if (fork() == 0) { setsid(); for (;;) pause(); }
        for (;;) pause();
    }""", True)
    t = time.monotonic()
    with pytest.raises(SandboxTimeout):
        sandbox.run([prog, MARK], timeout=1)
    assert time.monotonic() - t < 3
    deadline = time.monotonic() + 2
    while _marked_host_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _marked_host_processes() == []


def test_no_timeout_when_the_guest_finishes(sandbox):
    t = time.monotonic()
    r = sh(sandbox, "sleep 0.2; echo done", timeout=5)
    assert r.stdout == "done\n"
    assert time.monotonic() - t < 4


# ------------------------------------------- ids that outlive their owner
DEAD_LEADER = r"""
#include <sys/prctl.h>
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1);         /* natively too, orphans come to us */
    int ready[2], go[2], rep[2]; pipe(ready); pipe(go); pipe(rep);
    pid_t leader = fork();
    if (leader == 0) {
        setpgid(0, 0);
        if (fork() == 0) {                    /* the member stays in the leader's group */
            char x, buf[128];
            write(ready[1], "r", 1);
            read(go[0], &x, 1);               /* by now the leader is dead and reaped */
            int n = snprintf(buf, sizeof buf, "member_pgrp=%d\nmember_sid=%d\n", getpgrp(), getsid(0));
            write(rep[1], buf, n);
            for (;;) pause();
        }
        char x; read(ready[0], &x, 1);
        _exit(0);
    }
    setpgid(leader, leader);
    int st;
    waitpid(leader, &st, 0);
    printf("leader=%d\n", leader);
    write(go[1], "g", 1);
    char buf[128] = {0};
    read(rep[0], buf, sizeof buf - 1);
    printf("%s", buf);
    /* the group still exists: it can be waited for and signalled */
    printf("killpg=%s\n", ERR(kill(-leader, SIGTERM)));
    pid_t w = waitpid(-leader, &st, 0);
    printf("waitpg=%s %d\n", ERR(w), w > 0 && WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    return 0;
}
"""


def test_process_group_outlives_its_reaped_leader(sandbox, build):
    r = run(sandbox, [build("deadleader", DEAD_LEADER, True)], timeout=5)
    d = kv(r.stdout)
    assert d["member_pgrp"] == d["leader"]
    assert d["member_sid"] == "1"
    assert d["killpg"] == "OK"
    assert d["waitpg"] == f"OK {int(signal.SIGTERM)}"


BY_PID = r"""
#include <sys/resource.h>
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int go[2]; pipe(go);
    pid_t c = fork();
    if (c == 0) { setpgid(0, 0); char x; read(go[0], &x, 1); _exit(8); }
    setpgid(c, c);
    cpu_set_t set; CPU_ZERO(&set);
    printf("getaffinity=%s\n", ERR(sched_getaffinity(c, sizeof set, &set)));
    printf("getscheduler=%s\n", ERR(sched_getscheduler(c)));
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, c);
    printf("getpriority=%s\n", errno ? strerrorname_np(errno) : "OK");
    printf("setpriority=%s\n", ERR(setpriority(PRIO_PROCESS, c, prio + 1)));
    errno = 0; getpriority(PRIO_PROCESS, c);
    struct rlimit rl;
    printf("prlimit=%s\n", ERR(prlimit(c, RLIMIT_NOFILE, NULL, &rl)));
    printf("getpriority_missing=%s\n", (errno = 0, getpriority(PRIO_PROCESS, 4000), errno ? strerrorname_np(errno) : "OK"));
    int pidfd = syscall(SYS_pidfd_open, c, 0);
    printf("pidfd_open=%s\n", ERR(pidfd));
    printf("pidfd_open_missing=%s\n", ERR(syscall(SYS_pidfd_open, 4000, 0)));
    write(go[1], "g", 1);
    siginfo_t si; memset(&si, 0, sizeof si);
    int r = waitid(P_PGID, c, &si, WEXITED);
    printf("waitid_pgid=%s %d %d\n", ERR(r), si.si_pid == c, si.si_status);
    pid_t d = fork();
    if (d == 0) { for (;;) pause(); }
    int dfd = syscall(SYS_pidfd_open, d, 0);
    printf("pidfd_send_signal=%s\n", ERR(syscall(SYS_pidfd_send_signal, dfd, SIGTERM, NULL, 0)));
    memset(&si, 0, sizeof si);
    r = waitid(P_PIDFD, dfd, &si, WEXITED);
    printf("waitid_pidfd=%s %d %d\n", ERR(r), si.si_pid == d, si.si_status);
    return 0;
}
"""


def test_calls_naming_a_child_by_guest_pid(sandbox, build):
    r = run(sandbox, [build("bypid", BY_PID, True)], timeout=5)
    assert r.returncode == 0, r.stdout + r.stderr
    d = kv(r.stdout)
    for k in ("getaffinity", "getscheduler", "getpriority", "setpriority", "prlimit", "pidfd_open"):
        assert d[k] == "OK", (k, r.stdout)
    assert d["getpriority_missing"] == "ESRCH"
    assert d["pidfd_open_missing"] == "ESRCH"
    assert d["waitid_pgid"] == "OK 1 8"
    assert d["pidfd_send_signal"] == "OK"
    assert d["waitid_pidfd"] == f"OK 1 {int(signal.SIGTERM)}"


def test_init_exit_kills_the_remaining_guest_processes(sandbox):
    t = time.monotonic()
    r = sh(sandbox, f"sleep {MARK} & sh -c 'sleep {MARK}' & setsid sleep {MARK} & echo started", timeout=10)
    assert r.stdout == "started\n"
    assert r.returncode == 0
    assert time.monotonic() - t < 3            # nobody waited for the sleeps
    deadline = time.monotonic() + 2
    while _marked_host_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _marked_host_processes() == []


# ------------------------------------------------------------- strict mode
@pytest.fixture
def strict(rootfs, progs):
    """Strict mode (every syscall stops in the supervisor), traced to a StringIO."""
    import io
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], trace=io.StringIO()) as sb:
        yield sb


def test_denied_syscalls_in_strict_mode_have_a_trace_line(strict, build):
    r = run(strict, [build("denied", DENIED, True)])
    assert r.returncode == 0, r.stderr
    lines = strict.trace.getvalue().splitlines()
    for name in ("io_uring_setup", "bpf", "perf_event_open", "kexec_load", "init_module",
                 "open_by_handle_at", "name_to_handle_at", "syscall_1000", "syscall_470"):
        hits = [line for line in lines if f"{name}(" in line]
        assert len(hits) == 1, (name, hits)
        assert any(f"= -1 {e}" in hits[0] for e in ("ENOSYS", "EPERM", "EOPNOTSUPP")), hits[0]
    assert len(r.report.denied) == 9


def test_bad_guest_pointers_in_strict_mode(strict, build):
    r = run(strict, [build("efault", EFAULT, True)])
    d = kv(r.stdout)
    for k in ("uname", "uname_kernel", "execve_path", "sethostname",
              "getaffinity", "getrlimit", "sigaction"):
        assert d[k] == "EFAULT", (k, r.stdout)
    assert d["clone3"] == "ENOSYS"           # refused before its pointer is read (linux64.py)
    assert 'uname(0x1) = -1 EFAULT' in strict.trace.getvalue()


KILL_DURING_EXEC = r"""
int main(int argc, char **argv) {
    int killed = 0, exited = 0, other = 0;
    for (int i = 0; i < 30; i++) {
        pid_t c = fork();
        if (c == 0) {
            char *a[] = {argv[1], "x", NULL};
            execve(argv[1], a, NULL);
            _exit(127);
        }
        if (i % 3) usleep(i * 100);
        kill(c, SIGKILL);
        int st; waitpid(c, &st, 0);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) killed++;
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) exited++;
        else other++;
    }
    printf("killed+exited=%d other=%d\n", killed + exited, other);
    printf("none_left=%s\n", ERR(wait(NULL)));
    return 0;
}
"""


def test_processes_killed_in_the_middle_of_execve(sandbox, build):
    target = build("ids", IDS, False)
    r = run(sandbox, [build("killexec", KILL_DURING_EXEC, True), target], timeout=30)
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)                          # (the children that won the race print their ids)
    assert d["killed+exited"] == "30 other=0"
    assert d["none_left"] == "ECHILD"
    assert sh(sandbox, "echo $$").stdout == "1\n"     # the supervisor is fine
