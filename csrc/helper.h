/* Interface of umlpy's C helper, the one header its six sources share:
 *
 *   spawn.c    uh_spawn: fork the first guest and set it up until its exec
 *   stop.c     uh_wait_many/uh_resume: stops in fair batches, one resume;
 *              registers, siginfo, signal mask
 *   memory.c   guest memory through process_vm_readv/writev
 *   notify.c   uh_addfd: the seccomp user-notification fd hand-over
 *   answer.c   answers Python has decided (getppid, getuid, ...), given in C
 *   host.c     host calls the supervisor makes for itself
 *
 * Every function returns >= 0 on success or -errno; none of them exits.
 * This header is also fed, minus the preprocessor lines, to cffi's cdef by
 * umlpy/_build_helper.py. */
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
enum { UH_CONT = 0, UH_STEP_SYSCALL = 1, UH_LISTEN = 2, UH_DETACH = 3, UH_SINGLESTEP = 4 };

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
    int root_fd;                 /* -1: stay; else chroot the guest to this directory */
    int new_netns;               /* 1: fresh network and IPC namespaces, lo up */
    int new_pidns;               /* 1: a PID namespace of its own (the guest is its pid 1) */
    int userns;                  /* 1: a user namespace of its own (rootless) */
    int parent_userns_fd;        /* userns, >= 0: made inside this user namespace (a named
                                    network's, rootless; kernel/network.py), else in ours */
    const int *rlimit_res;       /* rlimits to set in the child (resource, value) */
    const unsigned long *rlimit_val;
    int n_rlimits;
    /* out */
    int host_uid, host_gid;      /* the supervisor's, mapped to themselves (userns) */
    int pid;
    int listener_fd;
    int child_errno;
    int child_step;              /* UH_STEP_*: the child's step that failed */
};

/* The steps of the spawned child, in the order it takes them; a failure
 * reports one (uh_spawn_step_name puts it in words). */
enum {
    UH_STEP_USERNS = 1,     /* write uid_map, setgroups, gid_map (rootless) */
    UH_STEP_KEEP_FDS = 2,   /* move the program and sync fds out of the way */
    UH_STEP_STDIO = 3,      /* lay out fds 0-4, close the rest */
    UH_STEP_SESSION = 4,    /* setsid */
    UH_STEP_CTTY = 5,       /* TIOCSCTTY */
    UH_STEP_NETNS = 6,      /* unshare(CLONE_NEWNET | CLONE_NEWIPC) */
    UH_STEP_CHROOT = 7,     /* fchdir(root_fd) + chroot(".") */
    UH_STEP_SEIZED = 8,     /* wait until the supervisor has seized it */
    UH_STEP_GID = 9,        /* setgroups + setresgid */
    UH_STEP_UID = 10,       /* setresuid */
    UH_STEP_NO_NEW_PRIVS = 11, /* PR_SET_NO_NEW_PRIVS */
    UH_STEP_SECCOMP = 12,   /* install the filter with a listener */
    UH_STEP_RLIMITS = 13,   /* prlimit */
    UH_STEP_EXEC = 14       /* execveat */
};

/* spawn.c */
int uh_spawn(struct uh_spawn_args *a);
const char *uh_spawn_step_name(int step);

/* stop.c */
int uh_wait(struct uh_stop *st, int tid, int nohang);
int uh_wait_many(struct uh_stop *st, int max, int nohang);
int uh_resume(int tid, int how, int sig, const struct user_regs_struct *regs);
int uh_setregs(int tid, const struct user_regs_struct *regs);
int uh_getregs(int tid, struct user_regs_struct *regs);
int uh_interrupt(int tid);
int uh_ptrace(int req, int tid, uint64_t addr, uint64_t data, long *out);
int uh_getsiginfo(int tid, void *buf);
int uh_setsiginfo(int tid, const void *buf);
int uh_getsigmask(int tid, uint64_t *mask);
int uh_setsigmask(int tid, uint64_t mask);

/* memory.c */
long uh_read(int pid, uint64_t addr, void *buf, size_t len);
long uh_write(int pid, uint64_t addr, const void *buf, size_t len);
long uh_read_str(int pid, uint64_t addr, char *buf, size_t max);

/* answer.c */
enum { UH_ANSWER_CALLS = 5 };
void uh_answer_enable(int on);
int uh_answer_set(int tid, long nr, long value);
int uh_exec_names_set(int tid, const char *exe, size_t len, const char *comm, const char *host_comm);
void uh_exec_names_answered(unsigned long *out);
void uh_answer_forget(int tid);
void uh_answer_forget_all(void);
void uh_answer_counts(unsigned long *out);
int uh_answer_calls(int *out);
int uh_answer_stop(struct uh_stop *st);
int uh_stat_set(int tid, const char *path, size_t len, int nofollow, int err, const void *st,
                const char *rel);
void uh_open_enable(int root, int listener, long magic);
void uh_opens_answered(unsigned long *out);
void uh_restart_check(struct uh_stop *st);
void uh_prefetch_clear(void);
long uh_prefetched(int tid, uint64_t addr, char *buf, size_t max);
void uh_stat_forget_all(void);
void uh_stat_allow(int tid, int on);
void uh_stat_answered(unsigned long *out);

/* notify.c */
int uh_addfd(int listener, int tid, int srcfd, int cloexec, int timeout_ms);
int uh_resume_addfd(int tid, int how, const struct user_regs_struct *regs, int listener, int srcfd,
                    int cloexec, int timeout_ms);

/* host.c */
int uh_openat2(int rootfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int uh_pidfd_getfd(int pidfd, int fd);
int uh_kill_tid(int tgid, int tid, int sig);
int uh_detached_mount(const char *fstype, const char *options, int userns);
int uh_inotify_add_watch(int fd, const char *path, uint32_t mask);
int uh_netns_socket(int userns_fd, int netns_fd, int domain, int type, int protocol);
#endif
