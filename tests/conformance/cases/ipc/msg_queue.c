/* family: ipc
 * System V message queues: msgsnd/msgrcv pass typed messages; msgrcv with a
 * type takes the first of that type, with 0 the first of any; with
 * IPC_NOWAIT and nothing matching it is ENOMSG; a message longer than the
 * buffer is E2BIG unless MSG_NOERROR truncates it; IPC_STAT's msg_lspid and
 * msg_lrpid are the last sender's and receiver's pids (their getpid()),
 * msg_qnum the count (owners: ipc_owner_ids).
 */
#include "case.h"
#include <sys/ipc.h>
#include <sys/msg.h>

struct msg { long type; char text[32]; };

int main(void)
{
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    SAY("msgget ok=%d", q >= 0);
    struct msg m = {1, "one"};
    SHOW("send type 1", msgsnd(q, &m, 4, 0));
    m.type = 2;
    strcpy(m.text, "two, longer");
    SHOW("send type 2", msgsnd(q, &m, 12, 0));
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    SAY("qnum=%lu lspid is self=%d lrpid=%d mode=%o", (unsigned long)ds.msg_qnum,
        ds.msg_lspid == getpid(), ds.msg_lrpid, ds.msg_perm.mode & 0777);
    SHOW("recv type 2 small buffer", msgrcv(q, &m, 4, 2, IPC_NOWAIT));
    SHOW("recv type 2 noerror", msgrcv(q, &m, 4, 2, IPC_NOWAIT | MSG_NOERROR));
    SAY("text=%.4s", m.text);
    SHOW("recv type 3", msgrcv(q, &m, sizeof m.text, 3, IPC_NOWAIT));
    pid_t c = fork();
    if (c == 0) {
        struct msg r;
        msgrcv(q, &r, sizeof r.text, 0, 0);
        r.type = 5;
        msgsnd(q, &r, 4, 0);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    msgctl(q, IPC_STAT, &ds);
    SAY("after child: qnum=%lu lspid is child=%d lrpid is child=%d", (unsigned long)ds.msg_qnum,
        ds.msg_lspid == c, ds.msg_lrpid == c);
    SHOW("recv any", msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT));
    SAY("type=%ld text=%s", m.type, m.text);
    msgctl(q, IPC_STAT, &ds);
    SAY("lrpid is self=%d", ds.msg_lrpid == getpid());
    m.type = 0;
    SHOW("send type 0", msgsnd(q, &m, 4, 0));
    SHOW("missing key", msgget(0x5eed0003, 0));
    SHOW("rmid", msgctl(q, IPC_RMID, NULL));
    SHOW("send after rmid", msgsnd(q, &m, 4, IPC_NOWAIT));
    return 0;
}
