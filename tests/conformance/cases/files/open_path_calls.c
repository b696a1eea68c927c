/* family: files
 * What an O_PATH descriptor is good for (open(2)): a dirfd for *at() calls
 * (mkdirat, symlinkat, renameat, unlinkat, linkat), AT_EMPTY_PATH calls on
 * the object itself (fstatat, statx, fchownat, execveat), fchdir on a directory, fstatfs, readlinkat(fd, "") on a symlink,
 * reopening through /proc/self/fd/N with a real access mode, and passing it
 * in SCM_RIGHTS.  futimens, fsync, flock, lseek, fdatasync, fgetxattr and
 * fsetxattr are EBADF on it; utimensat(fd, NULL) too.
 */
#include "case.h"
#include <sys/file.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

int main(void)
{
    struct stat st;
    char buf[128], p[64];
    mkdir("/tmp/open_path_calls", 0755);
    int w = open("/tmp/open_path_calls/f", O_CREAT | O_WRONLY, 0755);
    write(w, "#!/bin/sh\necho ran\n", 19);
    close(w);
    int d = open("/tmp/open_path_calls", O_PATH | O_DIRECTORY);
    SHOW("mkdirat", mkdirat(d, "sub", 0700));
    SHOW("symlinkat", symlinkat("f", d, "l"));
    SHOW("renameat", renameat(d, "sub", d, "sub2"));
    SHOW("unlinkat", unlinkat(d, "sub2", AT_REMOVEDIR));
    SHOW("linkat", linkat(d, "f", d, "hard", 0));
    SHOW("fstatat", fstatat(d, "hard", &st, 0));
    SAY("nlink=%ld", (long)st.st_nlink);
    int f = open("/tmp/open_path_calls/f", O_PATH);
    SHOW("fstatat empty", fstatat(f, "", &st, AT_EMPTY_PATH));
    SAY("size=%ld mode=%o", (long)st.st_size, st.st_mode);
    struct statx sx;
    SHOW("statx empty", statx(f, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
    SAY("statx size=%ld", (long)sx.stx_size);
    SHOW("fchownat empty", fchownat(f, "", 0, 0, AT_EMPTY_PATH));
    struct statfs sfs;
    SHOW("fstatfs", fstatfs(f, &sfs));
    SHOW("futimens", futimens(f, NULL));
    SHOW("utimensat null", syscall(SYS_utimensat, f, NULL, NULL, 0));
    SHOW("fsync", fsync(f));
    SHOW("fdatasync", fdatasync(f));
    SHOW("flock", flock(f, LOCK_SH));
    SHOW("lseek", lseek(f, 0, SEEK_SET));
    SHOW("fgetxattr", fgetxattr(f, "user.x", buf, sizeof buf));
    SHOW("fsetxattr", fsetxattr(f, "user.x", "v", 1, 0));
    SHOW("fchdir file", fchdir(f));
    int l = open("/tmp/open_path_calls/l", O_PATH | O_NOFOLLOW);
    memset(buf, 0, sizeof buf);
    SHOW("readlinkat empty", readlinkat(l, "", buf, sizeof buf));
    SAY("target=%s", buf);
    SHOW("fstatat link", fstatat(l, "", &st, AT_EMPTY_PATH));
    SAY("islnk=%d", S_ISLNK(st.st_mode));
    snprintf(p, sizeof p, "/proc/self/fd/%d", f);
    int r = open(p, O_RDONLY);
    memset(buf, 0, sizeof buf);
    SHOW("reopen read", read(r, buf, 9));
    SAY("data=%s", buf);
    snprintf(p, sizeof p, "/proc/self/fd/%d", d);
    SHOW("reopen dir", open(p, O_RDONLY | O_DIRECTORY) >= 0);
    memset(buf, 0, sizeof buf);
    SHOW("readlink", readlink(p, buf, sizeof buf));
    SAY("link=%s", buf);
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {"x", 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &d, sizeof d);
    SHOW("sendmsg", sendmsg(sv[0], &m, 0));
    memset(cbuf, 0, sizeof cbuf);
    char one;
    iov.iov_base = &one;
    SHOW("recvmsg", recvmsg(sv[1], &m, 0));
    int got;
    memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof got);
    SHOWX("received getfl", fcntl(got, F_GETFL) & ~0100000);
    SHOW("received as dirfd", fstatat(got, "f", &st, 0));
    SHOW("fchdir", fchdir(got));
    SHOW("relative", access("hard", F_OK));
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"f", NULL};
        syscall(SYS_execveat, f, "", argv, (char *[]){NULL}, AT_EMPTY_PATH);
        _exit(99);
    }
    int status;
    waitpid(pid, &status, 0);
    SAY("execveat status=%d", WEXITSTATUS(status));
    return 0;
}
