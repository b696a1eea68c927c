/*
 * The umlpy command's front end: a warm server's client in C (umlpy/warm.py).
 * Not part of the cffi helper; install.sh builds it as the `umlpy` command.
 *
 * Python needs 7-10 ms to start before the first line of the Python client
 * runs, a quarter of a served run.  This program does what that client does
 * on its fast path, and hands everything else to it unchanged:
 *
 *   umlpy run|trace ... without a terminal, UMLPY_SERVER not 0:
 *       find the server's socket by the client's name for it (warm.py _key:
 *       the identity install.sh baked in, umlpy's code stamp, the caller's
 *       privileges), send the request and fds 0-2 and the cwd, forward
 *       signals, exit with the run's status;
 *   anything else (another command, a terminal, no server yet, a refusal):
 *       exec the Python launcher with the same arguments; it starts a
 *       server when there is none, and does the run itself.
 *
 * The name must be the one warm.py computes, byte for byte, or every run
 * falls back to Python: tests/test_warm.py runs this client against a
 * server the Python client started.
 *
 * Built with -DUMLPY_PYTHON="...", -DUMLPY_SCRIPT="..." (the Python launcher),
 * -DUMLPY_CODE="..." (umlpy's package directory) and -DUMLPY_IDENTITY=N
 * (`UMLPY_SERVER=identity python -SE script` prints N and the directory).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define PROTOCOL "umlpy-warm 2"         /* warm.PROTOCOL */

static char **g_argv;

/* Not served here: the Python launcher does whatever umlpy would. */
static void fall_back(void)
{
    g_argv[0] = UMLPY_SCRIPT;
    char **argv = g_argv - 2;           /* main() left two free slots before argv */
    argv[0] = UMLPY_PYTHON;
    argv[1] = "-SE";
    execv(UMLPY_PYTHON, argv);
    fprintf(stderr, "umlpy: error: cannot run %s: %s\n", UMLPY_PYTHON, strerror(errno));
    _exit(127);
}

/* ------------------------------------------------------------ a byte buffer */
struct buf { char *p; size_t len, cap; };

static void put(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            fall_back();
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* zlib's crc32(data, crc): the digest warm.py takes with zlib.crc32. */
static uint32_t crc32(const void *data, size_t n, uint32_t crc)
{
    const unsigned char *p = data;
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

/* A whole file, or "?" if it cannot be read (warm._read). */
static void put_file(struct buf *b, const char *path)
{
    struct buf f = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char chunk[4096];
    ssize_t n = fd < 0 ? -1 : 0;
    while (fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0)
        put(&f, chunk, n);
    if (fd >= 0)
        close(fd);
    if (n < 0)
        puts_(b, "?");
    else if (f.len)
        put(b, f.p, f.len);
    free(f.p);
}

/* ------------------------------------------------------------------- the name */
/* warm.privileges(): what this process may do, as text. */
static void privileges(struct buf *out)
{
    static const char *fields[] = {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:",
                                   "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};
    static const char *nss[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                                "time_for_children", "user", "uts"};
    struct buf status = {0}, limits = {0};
    int first = 1;
#define PART(data, n) do { if (!first) put(out, "\n", 1); first = 0; put(out, data, n); } while (0)
    put_file(&status, "/proc/self/status");
    put(&status, "", 1);
    for (char *line = status.p, *end; line < status.p + status.len - 1; line = end + 1) {
        end = strchr(line, '\n');
        if (end == NULL)
            end = status.p + status.len - 1;
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
            if (strncmp(line, fields[i], strlen(fields[i])) == 0) {
                PART(line, end - line);
                break;
            }
    }
    for (size_t i = 0; i < sizeof nss / sizeof *nss; i++) {
        char path[64], link[256];
        snprintf(path, sizeof path, "/proc/self/ns/%s", nss[i]);
        ssize_t n = readlink(path, link, sizeof link);
        if (n < 0)
            PART("-", 1);
        else
            PART(link, n);
    }
    struct stat st;
    char root[64];
    if (stat("/proc/self/root", &st) == 0)
        snprintf(root, sizeof root, "root %llu %llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
    else
        strcpy(root, "root ?");
    PART(root, strlen(root));
    static const char *files[] = {"/proc/self/cgroup", "/proc/self/attr/current", "/proc/self/loginuid"};
    for (size_t i = 0; i < 3; i++) {
        struct buf f = {0};
        put_file(&f, files[i]);
        PART(f.p ? f.p : "", f.len);
        free(f.p);
    }
    /* Hard rlimits: each line but the header, columns 0-24 and 46-65. */
    put_file(&limits, "/proc/self/limits");
    put(&limits, "", 1);
    char *line = strchr(limits.p, '\n');
    for (char *end; line != NULL && line + 1 < limits.p + limits.len - 1; line = end) {
        line++;
        end = strchr(line, '\n');
        size_t len = (end ? end : limits.p + limits.len - 1) - line;
        struct buf l = {0};
        put(&l, line, len < 25 ? len : 25);
        if (len > 46)
            put(&l, line + 46, (len < 66 ? len : 66) - 46);
        PART(l.p, l.len);
        free(l.p);
    }
#undef PART
    free(status.p);
    free(limits.p);
}

/* warm._code_stamp(): sizes and mtimes of umlpy's .py and .so files. */
struct stamp { uint64_t *v; size_t n, cap; };

static void stamp_dir(struct stamp *s, int dirfd)
{
    DIR *d = fdopendir(dirfd);
    if (d == NULL)
        fall_back();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        struct stat st;
        if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "__pycache__"))
            continue;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            fall_back();
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (sub < 0)
                fall_back();
            stamp_dir(s, sub);
            continue;
        }
        if (len < 3 || (strcmp(name + len - 3, ".py") && strcmp(name + len - 3, ".so")))
            continue;
        if (S_ISLNK(st.st_mode) && fstatat(dirfd, name, &st, 0) != 0)
            fall_back();                /* os.DirEntry.stat() follows a link */
        if (s->n + 2 > s->cap) {
            s->cap = s->cap * 2 + 256;
            s->v = realloc(s->v, s->cap * sizeof *s->v);
            if (s->v == NULL)
                fall_back();
        }
        s->v[s->n++] = st.st_size;
        s->v[s->n++] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + st.st_mtim.tv_nsec;
    }
    closedir(d);
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* warm._key(): the socket's name. */
static uint32_t code_digest(void)
{
    struct stamp s = {0};
    int top = open(UMLPY_CODE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        fall_back();
    stamp_dir(&s, top);
    qsort(s.v, s.n, sizeof *s.v, by_value);
    uint32_t crc = UMLPY_IDENTITY;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char le[8];
        for (int k = 0; k < 8; k++)
            le[k] = s.v[i] >> (8 * k);
        crc = crc32(le, 8, crc);
    }
    free(s.v);
    return crc;
}

/* warm._rundir(): the user's 0700 directory, or fall back if it is not safely ours. */
static void socket_path(struct sockaddr_un *addr)
{
    const char *base = getenv("XDG_RUNTIME_DIR");
    char dir[sizeof addr->sun_path];
    struct stat st;
    if (base == NULL || !*base)
        base = "/tmp";
    snprintf(dir, sizeof dir, "%s/umlpy-warm-%u", base, (unsigned)getuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        fall_back();
    if (lstat(dir, &st) != 0 || (st.st_mode & 0170777) != 040700 || st.st_uid != getuid())
        fall_back();
    struct buf priv = {0};
    privileges(&priv);
    uint32_t code = code_digest();
    addr->sun_family = AF_UNIX;
    if ((size_t)snprintf(addr->sun_path, sizeof addr->sun_path, "%s/warm-%08x%08x.sock", dir,
                         code, crc32(priv.p, priv.len, 0)) >= sizeof addr->sun_path)
        fall_back();
    free(priv.p);
}

/* ------------------------------------------------------------------- the run */
static int g_sock, g_child;

static void forward(int sig)
{
    int saved = errno;
    kill(g_child, sig);
    errno = saved;
}

/* The server's next reply ("ok PID", "exit N", "signal N", "no WHY"): its kind, and N. */
static char reply(int sock, long *value)
{
    char msg[4096];
    ssize_t n;
    do
        n = recv(sock, msg, sizeof msg - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return 'l';                     /* lost */
    msg[n] = 0;
    char *space = strchr(msg, ' ');
    *value = space ? strtol(space + 1, NULL, 10) : 0;
    if (!strncmp(msg, "ok ", 3) || !strncmp(msg, "exit ", 5) || !strncmp(msg, "signal ", 7))
        return msg[0];
    return 'n';
}

static int serve(int argc, char **argv)
{
    struct sockaddr_un addr = {0};
    socket_path(&addr);
    int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0)
        fall_back();                    /* no server yet: Python starts one */
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0)
        fall_back();
    struct buf req = {0};               /* warm.request() */
    char count[16];
    snprintf(count, sizeof count, "%d", argc - 1);
    puts_(&req, PROTOCOL);
    put(&req, "", 1);
    puts_(&req, count);
    for (int i = 1; i < argc; i++) {
        put(&req, "", 1);
        puts_(&req, argv[i]);
    }
    for (char **e = environ; *e; e++) {
        put(&req, "", 1);
        puts_(&req, *e);
    }
    int fds[4] = {0, 1, 2, cwd};
    char control[CMSG_SPACE(sizeof fds)] = {0};
    struct iovec iov = {req.p, req.len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof control};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    long value;
    if (sendmsg(sock, &msg, 0) < 0 || reply(sock, &value) != 'o')
        fall_back();                    /* refused: Python says why (UMLPY_SERVER=wait) */
    close(cwd);
    g_sock = sock;
    g_child = value;
    static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) {
        struct sigaction old, sa = {.sa_handler = forward};
        sigemptyset(&sa.sa_mask);
        if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(forwarded[i], &sa, NULL);
    }
    switch (reply(sock, &value)) {
    case 'e':
        return (int)value;
    case 's': {                         /* die as the supervisor did */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, (int)value);
        signal((int)value, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        kill(getpid(), (int)value);
        return 128 + (int)value;
    }
    default:
        fprintf(stderr, "umlpy: error: the warm server went away; the run's status is lost\n");
        return 1;
    }
}

static int served(int argc, char **argv)
{
    const char *mode = getenv("UMLPY_SERVER");
    if (argc < 2 || (strcmp(argv[1], "run") && strcmp(argv[1], "trace")))
        return 0;
    if (mode != NULL && strcmp(mode, "1") && strcmp(mode, "wait"))
        return 0;                       /* 0, identity, ...: Python's to handle */
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        if (isatty(fd) || fstat(fd, &st) != 0)
            return 0;                   /* a terminal run, or a closed fd the command reports */
    }
    return 1;
}

int main(int argc, char **argv)
{
    /* Room for the interpreter and its flag in front of argv, for fall_back(). */
    char **room = malloc((argc + 3) * sizeof *room);
    if (room == NULL)
        return 127;
    memcpy(room + 2, argv, (argc + 1) * sizeof *argv);
    g_argv = room + 2;
    if (!served(argc, argv))
        fall_back();
    return serve(argc, g_argv);
}
