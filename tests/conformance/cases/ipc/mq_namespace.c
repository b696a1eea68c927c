/* family: ipc
 * POSIX message queues belong to an IPC namespace (each has its own mqueue
 * file system): after unshare(CLONE_NEWIPC) a queue of the parent's is not
 * found (ENOENT), the same name can be made again (O_EXCL succeeds) and used,
 * and unlinked there without touching the parent's; what the child made is
 * not in the parent's namespace.  A child made by clone(CLONE_NEWIPC) starts
 * with no queues too.
 */
#include "case.h"
#include <mqueue.h>
#include <sched.h>

static int cloned(void *arg)
{
    (void)arg;
    SHOW("clone child: open parent's queue", mq_open("/nsq", O_RDONLY));
    SHOW("clone child: make its own", mq_open("/nsq", O_CREAT | O_EXCL | O_RDWR, 0600, NULL) >= 0);
    SHOW("clone child: unlink it", mq_unlink("/nsq"));
    return 0;
}

int main(void)
{
    struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 16};
    mqd_t q = mq_open("/nsq", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
    SAY("parent made /nsq=%d", q >= 0);
    mq_send(q, "parent", 6, 1);
    int st;
    pid_t pid = fork();
    if (pid == 0) {
        SHOW("unshare newipc", unshare(CLONE_NEWIPC));
        SHOW("open parent's queue", mq_open("/nsq", O_RDONLY));
        mqd_t mine = mq_open("/nsq", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
        SAY("same name made again=%d", mine >= 0);
        struct mq_attr got;
        mq_getattr(mine, &got);
        SAY("it is empty: curmsgs=%ld", got.mq_curmsgs);
        mq_send(mine, "child", 5, 2);
        char buf[16] = {0};
        SHOW("receive", mq_receive(mine, buf, sizeof buf, NULL));
        SAY("got=%s", buf);
        SHOW("unlink", mq_unlink("/nsq"));
        SHOW("unlink again", mq_unlink("/nsq"));
        SHOW("make /kept", mq_open("/kept", O_CREAT | O_RDWR, 0600, NULL) >= 0);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    struct mq_attr got;
    mq_getattr(q, &got);
    SAY("parent's queue still holds its message: curmsgs=%ld", got.mq_curmsgs);
    mqd_t again = mq_open("/nsq", O_RDONLY);
    SAY("parent's name still there=%d", again >= 0);
    SHOW("child's /kept in the parent", mq_open("/kept", O_RDONLY));

    static char stack[65536];
    pid = clone(cloned, stack + sizeof stack, CLONE_NEWIPC | SIGCHLD, 0);
    waitpid(pid, &st, 0);
    SHOW("parent unlinks its own", mq_unlink("/nsq"));
    return 0;
}
