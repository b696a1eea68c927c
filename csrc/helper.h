/* Interface of umlpy's C helper (see helper.c).  This header is also fed,
 * minus the includes, to cffi's cdef by umlpy/_build_helper.py. */
#ifndef UMLPY_HELPER_H
#define UMLPY_HELPER_H
#include <stdint.h>
#include <stddef.h>
#include <sys/user.h>

/* kinds of stop reported by uh_wait */
enum {
    UH_EXITED = 1,      /* the thread exited; sig = exit status */
    UH_KILLED = 2,      /* the thread was killed; sig = signal */
    UH_SECCOMP = 3,     /* seccomp RET_TRACE stop; regs, msg = filter data */
    UH_SYSCALL = 4,     /* syscall entry/exit stop; regs, op = PTRACE_SYSCALL_INFO_* */
    UH_EVENT = 5,       /* fork/vfork/clone/exec/exit event; msg = event message */
    UH_SIGNAL = 6,      /* signal-delivery-stop; sig = the signal */
    UH_GROUP_STOP = 7,  /* group-stop (SIGSTOP & co.); resume with UH_LISTEN */
    UH_INTERRUPT = 8    /* PTRACE_EVENT_STOP that is not a group-stop */
};

/* how uh_resume resumes */
enum { UH_CONT = 0, UH_STEP_SYSCALL = 1, UH_LISTEN = 2, UH_DETACH = 3 };

struct uh_stop {
    int tid;
    int status;
    int kind;
    int sig;
    int event;
    int op;
    unsigned long msg;
    struct user_regs_struct regs;
};

struct uh_spawn_args {
    int exec_fd;
    char **argv;
    char **envp;
    int stdin_fd, stdout_fd, stderr_fd;
    int make_ctty;
    int uid, gid;
    const void *filter;          /* struct sock_filter[] */
    unsigned short filter_len;
    int cpu;
    unsigned long ptrace_options;
    const char *chroot_dir;      /* NULL: stay; else chroot the guest here */
    int new_netns;               /* 1: a fresh network namespace, lo up */
    const int *rlimit_res;       /* rlimits to set in the child (resource, value) */
    const unsigned long *rlimit_val;
    int n_rlimits;
    /* out */
    int pid;
    int listener_fd;
    int child_errno;
    int child_step;
};

int uh_spawn(struct uh_spawn_args *a);
int uh_wait(struct uh_stop *st, int tid, int nohang);
int uh_resume(int tid, int how, int sig, const struct user_regs_struct *regs);
int uh_setregs(int tid, const struct user_regs_struct *regs);
int uh_getregs(int tid, struct user_regs_struct *regs);
int uh_interrupt(int tid);
long uh_read(int pid, uint64_t addr, void *buf, size_t len);
long uh_write(int pid, uint64_t addr, const void *buf, size_t len);
long uh_read_str(int pid, uint64_t addr, char *buf, size_t max);
int uh_addfd(int listener, int tid, int srcfd, int cloexec, int timeout_ms);
int uh_openat2(int rootfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int uh_pidfd_open(int pid);
int uh_pidfd_getfd(int pidfd, int fd);
int uh_kill_tid(int tgid, int tid, int sig);
int uh_memfd(const char *name);
int uh_getsiginfo(int tid, void *buf);
int uh_setsiginfo(int tid, const void *buf);
int uh_getsigmask(int tid, uint64_t *mask);
int uh_setsigmask(int tid, uint64_t mask);
int uh_inotify_add_watch(int fd, const char *path, uint32_t mask);
#endif
