"""Unix sockets between guest processes show guest names and ids (issues 8 and 9):
recvmsg's msg_name names a sender bound to a path by its guest path, not the
supervisor's alias; SCM_CREDENTIALS carry the sender's guest pid, uid and gid,
filled in by the kernel or attached by the sender under Linux's rules; recvmmsg
alike.  Only the unix sockets that may receive such a name or such ids stop
(syscalls/net.py): a TCP recvmsg beside them costs no stop.
"""
from __future__ import annotations

import os

import pytest
from conftest import C_PRELUDE, LINKS, builder, debian_rootfs, kv, run

from umlpy import Sandbox

ROOT = os.geteuid() == 0

PROG = r"""
#include <sys/un.h>
static pid_t kid;
static int go[2], done[2], tgo[2];

/* Receive one message on `s` (not waiting) and say what it carried. */
static void show(const char *what, int s) {
    char data[64] = {0};
    struct sockaddr_un from;
    memset(&from, 0, sizeof from);
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred)) + 64]; } u;
    struct iovec io = {data, sizeof data - 1};
    struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &io, .msg_iovlen = 1,
                       .msg_control = u.b, .msg_controllen = sizeof u.b};
    if (recvmsg(s, &m, MSG_DONTWAIT) < 0) {
        printf("%s=%s\n", what, strerrorname_np(errno));
        return;
    }
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    struct ucred c = {-1, -1, -1};
    if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS)
        memcpy(&c, CMSG_DATA(h), sizeof c);
    char pid[16];
    if (c.pid == getpid()) strcpy(pid, "self");
    else if (c.pid == kid && kid) strcpy(pid, "kid");
    else snprintf(pid, sizeof pid, "%d", c.pid);
    printf("%s=%s from=%s len=%d pid=%s uid=%d gid=%d\n", what, data,
           m.msg_namelen > 2 ? from.sun_path : "-", (int)m.msg_namelen, pid, (int)c.uid, (int)c.gid);
}

/* sendmsg of `text` on `s` (to `to`, if given) with the credentials `cr` attached, if given. */
static long send_cred(int s, const char *text, struct sockaddr_un *to, struct ucred *cr) {
    struct iovec io = {(void *)text, strlen(text)};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
    if (to) { m.msg_name = to; m.msg_namelen = sizeof *to; }
    if (cr) {
        m.msg_control = u.b;
        m.msg_controllen = sizeof u.b;
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_CREDENTIALS;
        h->cmsg_len = CMSG_LEN(sizeof *cr);
        memcpy(CMSG_DATA(h), cr, sizeof *cr);
    }
    long r = sendmsg(s, &m, 0);
    if (cr && memcmp(CMSG_DATA(CMSG_FIRSTHDR(&m)), cr, sizeof *cr))
        printf("control changed\n");                 /* the sender's buffer is its own */
    return r;
}

static void as_user(uid_t r, uid_t e, gid_t g, gid_t eg) {
    if (setresgid(g, eg, g) || setresuid(r, e, r)) _exit(9);
}

/* Run `body` in a child that becomes (r, e, g, eg); it stays alive until let go. */
#define CHILD(r, e, g, eg, body) do { \
    kid = fork(); \
    if (kid == 0) { as_user(r, e, g, eg); body; char c_; write(done[1], "d", 1); read(go[0], &c_, 1); _exit(0); } \
    char c_; read(done[0], &c_, 1); \
} while (0)
#define RELEASE() do { write(go[1], "g", 1); waitpid(kid, NULL, 0); } while (0)

static void *late_reader(void *arg) {
    int *s = arg;
    char c;
    read(tgo[0], &c, 1);
    show("thread", *s);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int one = 1, sv[2];
    pipe(go);
    pipe(done);
    pipe(tgo);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    printf("passcred=%s\n", ERR(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one)));

    /* filled in by the kernel: the sender's pid and real ids */
    send(sv[0], "plain", 5, 0);
    show("plain", sv[1]);
    CHILD(1000, 1000, 1001, 1001, send(sv[0], "child", 5, 0));
    show("child", sv[1]);
    RELEASE();
    /* attached by the sender: its own, its effective uid, not another's */
    CHILD(1000, 2000, 1001, 1002, ({
        struct ucred own = {getpid(), 1000, 1001}, eff = {getpid(), 2000, 1002}, other = {getpid(), 0, 1001};
        printf("sent_own=%ld\n", send_cred(sv[0], "own", NULL, &own));
        printf("sent_eff=%ld\n", send_cred(sv[0], "eff", NULL, &eff));
        printf("sent_other=%s\n", ERR(send_cred(sv[0], "other", NULL, &other)));
        send(sv[0], "implicit", 8, 0);
    }));
    show("own", sv[1]);
    show("eff", sv[1]);
    show("implicit", sv[1]);
    RELEASE();
    /* root may claim any ids, and (CAP_SYS_ADMIN) a live process's pid */
    CHILD(1000, 1000, 1000, 1000, ;);
    struct ucred any = {getpid(), 1234, 5678}, theirs = {kid, 1000, 1000};
    struct ucred none = {99999, 0, 0}, bad = {getpid(), -1, 0};
    printf("sent_any=%ld\n", send_cred(sv[0], "any", NULL, &any));
    printf("sent_theirs=%ld\n", send_cred(sv[0], "theirs", NULL, &theirs));
    printf("sent_none=%s\n", ERR(send_cred(sv[0], "none", NULL, &none)));
    printf("sent_bad=%s\n", ERR(send_cred(sv[0], "bad", NULL, &bad)));
    send(sv[0], "after", 5, 0);
    RELEASE();
    show("any", sv[1]);
    show("theirs", sv[1]);
    show("after", sv[1]);

    /* datagram sockets bound to paths: the sender's guest path, by send, sendto, sendmsg */
    struct sockaddr_un srv = {.sun_family = AF_UNIX, .sun_path = "/tmp/u.srv"};
    struct sockaddr_un cli = {.sun_family = AF_UNIX, .sun_path = "/tmp/u.cli"};
    struct sockaddr_un str = {.sun_family = AF_UNIX, .sun_path = "/tmp/u.str"};
    unlink(srv.sun_path);
    unlink(cli.sun_path);
    unlink(str.sun_path);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("bind=%s\n", ERR(bind(s, (void *)&srv, sizeof srv)));
    setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    chmod(srv.sun_path, 0777);
    chmod("/tmp", 01777);
    pthread_t th;
    pthread_create(&th, NULL, late_reader, &s);     /* a thread that existed before */
    CHILD(1000, 1000, 1001, 1001, ({
        int c = socket(AF_UNIX, SOCK_DGRAM, 0);
        bind(c, (void *)&cli, sizeof cli);
        printf("sent_sendto=%s\n", ERR(sendto(c, "sendto", 6, 0, (void *)&srv, sizeof srv)));
        struct ucred own = {getpid(), 1000, 1001};
        printf("sent_sendmsg=%ld\n", send_cred(c, "sendmsg", &srv, &own));
        connect(c, (void *)&srv, sizeof srv);
        send(c, "send", 4, 0);
        send(c, "one", 3, 0);
        send(c, "two", 3, 0);
    }));
    show("sendto", s);
    show("sendmsg", s);
    show("send", s);
    struct mmsghdr mm[2];
    struct sockaddr_un names[2];
    char bufs[2][8];
    struct iovec ios[2];
    memset(mm, 0, sizeof mm);
    memset(names, 0, sizeof names);
    for (int i = 0; i < 2; i++) {
        ios[i] = (struct iovec){bufs[i], sizeof bufs[i]};
        mm[i].msg_hdr = (struct msghdr){.msg_name = &names[i], .msg_namelen = sizeof names[i],
                                         .msg_iov = &ios[i], .msg_iovlen = 1};
    }
    printf("recvmmsg=%d\n", recvmmsg(s, mm, 2, MSG_DONTWAIT, NULL));
    printf("mm0=%s mm1=%s\n", names[0].sun_path, names[1].sun_path);
    RELEASE();
    int late = socket(AF_UNIX, SOCK_DGRAM, 0);
    connect(late, (void *)&srv, sizeof srv);
    send(late, "late", 4, 0);
    write(tgo[1], "g", 1);
    pthread_join(th, NULL);

    /* a stream listener with SO_PASSCRED: its accepted sockets inherit it */
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    bind(l, (void *)&str, sizeof str);
    chmod(str.sun_path, 0777);
    listen(l, 4);
    kid = fork();
    if (kid == 0) {                   /* by hand: it reads the reply after being let go */
        as_user(1000, 1000, 1001, 1001);
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        printf("connect=%s\n", ERR(connect(c, (void *)&str, sizeof str)));
        send(c, "hi", 2, 0);
        write(done[1], "d", 1);
        char b[8] = {0};
        struct sockaddr_un peer;
        memset(&peer, 0, sizeof peer);
        struct iovec io = {b, sizeof b};
        struct msghdr m = {.msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &io, .msg_iovlen = 1};
        printf("client=%zd %s from=%s\n", recvmsg(c, &m, 0), b, peer.sun_path);
        _exit(0);
    }
    char c_;
    read(done[0], &c_, 1);
    int a = accept(l, NULL, NULL);
    show("accepted", a);
    struct ucred pc;
    socklen_t pl = sizeof pc;
    getsockopt(a, SOL_SOCKET, SO_PEERCRED, &pc, &pl);
    printf("peercred=%s uid=%d gid=%d\n", pc.pid == kid ? "kid" : "other", (int)pc.uid, (int)pc.gid);
    send(a, "back", 4, 0);
    waitpid(kid, NULL, 0);
    unlink(srv.sun_path);
    unlink(cli.sun_path);
    unlink(str.sun_path);
    return 0;
}
"""

TCP = r"""
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
int main(void) {
    int one = 1;
    /* watched unix sockets at other fds: bound, with SO_PASSCRED */
    struct sockaddr_un u = {.sun_family = AF_UNIX, .sun_path = "/tmp/t.sock"};
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(d, (void *)&u, sizeof u);
    setsockopt(d, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    /* a stream socket with SO_PASSCRED before its connect, as sd-bus makes them */
    int bus = socket(AF_UNIX, SOCK_STREAM, 0);
    setsockopt(bus, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(l, (void *)&a, sizeof a);
    listen(l, 1);
    socklen_t al = sizeof a;
    getsockname(l, (void *)&a, &al);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (void *)&a, sizeof a);
    int s = accept(l, NULL, NULL);
    long n = 0;
    for (int i = 0; i < 50; i++) {
        char b[8];
        struct iovec io = {b, sizeof b};
        struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
        send(c, "12345678", 8, 0);
        n += recvmsg(s, &m, MSG_WAITALL);
    }
    sendto(d, "u", 1, 0, (void *)&u, sizeof u);
    char b[2];
    struct iovec io = {b, sizeof b};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
    printf("tcp=%ld unix=%zd\n", n, recvmsg(d, &m, 0));
    unlink(u.sun_path);
    return 0;
}
"""


@pytest.fixture
def build(cc):
    return builder(cc, "ucred_", C_PRELUDE + "#include <sys/socket.h>\n")


@pytest.mark.parametrize("static", LINKS)
def test_unix_sockets_show_guest_names_and_ids(sandbox, build, static):
    r = run(sandbox, [build("ids", PROG, static)])
    assert r.returncode == 0, r.stderr
    d = kv(r.stdout)
    assert "control changed" not in r.stdout
    assert d["passcred"] == "OK"
    assert d["plain"] == "plain from=- len=0 pid=self uid=0 gid=0"
    assert d["child"] == "child from=- len=0 pid=kid uid=1000 gid=1001"       # real ids
    assert (d["sent_own"], d["sent_eff"], d["sent_other"]) == ("3", "3", "EPERM")
    assert d["own"] == "own from=- len=0 pid=kid uid=1000 gid=1001"
    assert d["eff"] == "eff from=- len=0 pid=kid uid=2000 gid=1002"           # its effective ids
    assert d["implicit"] == "implicit from=- len=0 pid=kid uid=1000 gid=1001"
    assert (d["sent_any"], d["sent_theirs"], d["sent_none"], d["sent_bad"]) == ("3", "6", "ESRCH", "EINVAL")
    assert d["any"] == "any from=- len=0 pid=self uid=1234 gid=5678"
    assert d["theirs"] == "theirs from=- len=0 pid=kid uid=1000 gid=1000"
    assert d["after"] == "after from=- len=0 pid=self uid=0 gid=0"

    assert d["bind"] == "OK"
    assert (d["sent_sendto"], d["sent_sendmsg"]) == ("OK", "7")
    # Sent by the supervisor for the guest (to a path): as root it claims the sender's
    # pid; rootless it may not, and the receiver sees a sender outside its PID namespace.
    proxied = "pid=kid uid=1000 gid=1001" if ROOT else "pid=0 uid=65534 gid=65534"
    assert d["sendto"] == f"sendto from=/tmp/u.cli len=13 {proxied}"
    assert d["sendmsg"] == f"sendmsg from=/tmp/u.cli len=13 {proxied}"
    assert d["send"] == "send from=/tmp/u.cli len=13 pid=kid uid=1000 gid=1001"
    assert d["recvmmsg"] == "2"
    assert d["mm0"] == "/tmp/u.cli mm1=/tmp/u.cli"
    assert d["thread"] == "late from=- len=0 pid=self uid=0 gid=0"   # a thread older than the filter

    assert d["connect"] == "OK"
    assert d["accepted"] == "hi from=- len=0 pid=kid uid=1000 gid=1001"
    assert d["peercred"] == "kid uid=1000 gid=1001"
    assert d["client"] == "4 back from=/tmp/u.str"


def test_tcp_recvmsg_beside_a_watched_unix_socket_does_not_stop(sandbox, build):
    r = run(sandbox, [build("tcp", TCP, True)])
    assert r.returncode == 0, r.stderr
    assert kv(r.stdout)["tcp"] == "400 unix=1"
    assert r.report.syscalls["recvmsg"] == 1, r.report.syscalls      # the unix one only


@pytest.fixture(scope="module")
def debian():
    return debian_rootfs()


def test_python_scm_credentials_and_sd_notify(debian):
    """Python's socket module between two guest users: SCM_CREDENTIALS and the sender's
    address, as a service manager reading sd_notify datagrams sees them."""
    script = r"""
import os, socket, struct
r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
r.bind('/run/notify')
os.chmod('/run/notify', 0o777)
r.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
pid = os.fork()
if pid == 0:
    os.setgid(100); os.setuid(1000)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind('/tmp/svc')
    s.connect('/run/notify')
    cred = struct.pack('iII', os.getpid(), os.getuid(), os.getgid())
    s.sendmsg([b'READY=1'], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred)])
    try:
        s.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack('iII', os.getpid(), 0, 0))])
    except PermissionError:
        print('claim refused', flush=True)
    os._exit(0)
os.waitpid(pid, 0)
data, anc, flags, addr = r.recvmsg(64, socket.CMSG_SPACE(12))
(level, kind, raw), = anc
cpid, uid, gid = struct.unpack('iII', raw)
print(data, addr, cpid == pid, uid, gid)
"""
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["python3", "-c", script], text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "claim refused\nb'READY=1' /tmp/svc True 1000 100\n", r.stderr
