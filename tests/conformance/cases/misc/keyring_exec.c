/* family: misc
 * execve keeps the session keyring and drops the thread and process keyrings
 * (prepare_exec_creds): after an exec the same session keyring is there, and
 * asking for the thread or process keyring without creating it is ENOKEY; a
 * key that was only in the process keyring is no longer found.
 */
#include "case.h"
#include <linux/keyctl.h>

static long keyctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
    return syscall(SYS_keyctl, op, a, b, c, d);
}

int main(int argc, char **argv)
{
    if (argc > 1) {                               /* after the exec */
        long ses = atol(argv[1]);
        SHOW("same session after exec", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0) == ses);
        SHOW("thread keyring after exec", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0, 0, 0));
        SHOW("process keyring after exec", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0));
        SHOW("request the process key", syscall(SYS_request_key, "user", "umlpy:proc", NULL, 0));
        SHOW("request the session key", syscall(SYS_request_key, "user", "umlpy:ses", NULL, 0) > 0);
        return 0;
    }
    long ses = keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
    SHOW("thread keyring", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 1, 0, 0) > 0);
    SHOW("process keyring", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1, 0, 0) > 0);
    SHOW("add to process keyring", syscall(SYS_add_key, "user", "umlpy:proc", "p", 1, KEY_SPEC_PROCESS_KEYRING) > 0);
    SHOW("add to session keyring", syscall(SYS_add_key, "user", "umlpy:ses", "s", 1, KEY_SPEC_SESSION_KEYRING) > 0);
    SHOW("request the process key", syscall(SYS_request_key, "user", "umlpy:proc", NULL, 0) > 0);
    char arg[32];
    snprintf(arg, sizeof arg, "%ld", ses);
    execl(argv[0], argv[0], arg, (char *)NULL);
    SAY("exec failed: %s", errname(errno));
    return 1;
}
