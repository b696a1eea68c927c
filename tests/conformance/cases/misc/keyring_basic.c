/* family: misc
 * The kernel keyring: after joining a new anonymous session keyring, add_key
 * puts a "user" key into it (a serial > 0; adding the same type and
 * description again updates that key in place, same serial); keyctl READ
 * returns the payload's length and copies what fits; DESCRIBE gives
 * "type;uid;gid;perm;description" (perm 3f010000 for a new user key); a
 * keyring's READ lists its keys' serials; SEARCH finds the key by type and
 * description through the session keyring and request_key finds it too, while
 * an absent one is ENOKEY; UNLINK then LINK move it; SETPERM changes what
 * DESCRIBE shows; REVOKE makes READ and DESCRIBE fail with EKEYREVOKED;
 * INVALIDATE makes a key unknown; CLEAR empties a keyring.  A key whose
 * permissions are the possessor's only cannot be described, read or changed
 * once it is unlinked from the caller's keyrings (EACCES).  A forked child
 * keeps the session keyring, not the process keyring.
 * Unknown key types are ENODEV, a "keyring" with a payload EINVAL, and an
 * unknown keyctl operation EOPNOTSUPP.
 */
#include "case.h"
#include <linux/keyctl.h>

typedef int32_t key_serial_t;
static long add_key(const char *t, const char *d, const void *p, size_t n, key_serial_t k)
{
    return syscall(SYS_add_key, t, d, p, n, k);
}
static long keyctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
    return syscall(SYS_keyctl, op, a, b, c, d);
}

int main(void)
{
    long ses = keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
    SHOW("join new session", ses > 0);
    SHOW("session id is it", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0) == ses);
    char buf[256];
    long n = keyctl(KEYCTL_DESCRIBE, ses, (unsigned long)buf, sizeof buf, 0);
    SAY("describe session: n=%ld %s", n, n > 0 ? strchr(buf, ';') ? "has fields" : buf : "");
    SAY("session: %.*s", (int)(strrchr(buf, ';') - buf), buf);   /* without the description */
    SAY("session name: %s", strrchr(buf, ';') + 1);

    long k = add_key("user", "umlpy:test", "secret", 6, KEY_SPEC_SESSION_KEYRING);
    SHOW("add_key user", k > 0);
    SHOW("add same again", add_key("user", "umlpy:test", "secret2", 7, KEY_SPEC_SESSION_KEYRING) == k);
    SHOW("read", keyctl(KEYCTL_READ, k, (unsigned long)buf, sizeof buf, 0));
    SAY("payload: %.7s", buf);
    memset(buf, 0, sizeof buf);
    SHOW("read short", keyctl(KEYCTL_READ, k, (unsigned long)buf, 3, 0));
    SAY("short payload: %s", buf);
    SHOW("read length only", keyctl(KEYCTL_READ, k, 0, 0, 0));
    SHOW("describe", keyctl(KEYCTL_DESCRIBE, k, (unsigned long)buf, sizeof buf, 0));
    SAY("description: %s", buf);
    key_serial_t ids[8];
    SHOW("read session", keyctl(KEYCTL_READ, ses, (unsigned long)ids, sizeof ids, 0));
    SHOW("session holds the key", ids[0] == k);
    SHOW("search", keyctl(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (unsigned long)"user",
                          (unsigned long)"umlpy:test", 0) == k);
    SHOW("search absent", keyctl(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (unsigned long)"user",
                                 (unsigned long)"umlpy:none", 0));
    SHOW("request_key", syscall(SYS_request_key, "user", "umlpy:test", NULL, 0) == k);
    SHOW("request_key absent", syscall(SYS_request_key, "user", "umlpy:none", NULL, 0));
    SHOW("update", keyctl(KEYCTL_UPDATE, k, (unsigned long)"new", 3, 0));
    SHOW("read after update", keyctl(KEYCTL_READ, k, (unsigned long)buf, sizeof buf, 0));
    SAY("payload: %.3s", buf);

    long ring = add_key("keyring", "umlpy:ring", NULL, 0, KEY_SPEC_SESSION_KEYRING);
    SHOW("add keyring", ring > 0);
    SHOW("keyring with payload", add_key("keyring", "umlpy:bad", "x", 1, KEY_SPEC_SESSION_KEYRING));
    SHOW("unknown type", add_key("nosuchtype", "x", "x", 1, KEY_SPEC_SESSION_KEYRING));
    SHOW("empty description", add_key("user", "", "x", 1, KEY_SPEC_SESSION_KEYRING));
    SHOW("link into ring", keyctl(KEYCTL_LINK, k, ring, 0, 0));
    SHOW("unlink from session", keyctl(KEYCTL_UNLINK, k, KEY_SPEC_SESSION_KEYRING, 0, 0));
    SHOW("unlink again", keyctl(KEYCTL_UNLINK, k, KEY_SPEC_SESSION_KEYRING, 0, 0));
    SHOW("search through nested ring", keyctl(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (unsigned long)"user",
                                               (unsigned long)"umlpy:test", 0) == k);
    SHOW("read ring", keyctl(KEYCTL_READ, ring, (unsigned long)ids, sizeof ids, 0));
    SHOW("link ring into itself", keyctl(KEYCTL_LINK, ring, ring, 0, 0));
    SHOW("link to a non-keyring", keyctl(KEYCTL_LINK, ring, k, 0, 0));

    SHOW("setperm", keyctl(KEYCTL_SETPERM, k, 0x3f3f0000, 0, 0));
    keyctl(KEYCTL_DESCRIBE, k, (unsigned long)buf, sizeof buf, 0);
    SAY("after setperm: %s", buf);
    SHOW("setperm bad bits", keyctl(KEYCTL_SETPERM, k, 0xc0000000UL, 0, 0));
    SHOW("set_timeout", keyctl(KEYCTL_SET_TIMEOUT, k, 1000, 0, 0));
    SHOW("revoke", keyctl(KEYCTL_REVOKE, k, 0, 0, 0));
    SHOW("read revoked", keyctl(KEYCTL_READ, k, (unsigned long)buf, sizeof buf, 0));
    SHOW("describe revoked", keyctl(KEYCTL_DESCRIBE, k, (unsigned long)buf, sizeof buf, 0));
    SHOW("search revoked", keyctl(KEYCTL_SEARCH, ring, (unsigned long)"user", (unsigned long)"umlpy:test", 0));

    long k2 = add_key("user", "umlpy:two", "2", 1, ring);
    SHOW("add into ring", k2 > 0);
    SHOW("invalidate", keyctl(KEYCTL_INVALIDATE, k2, 0, 0, 0));
    /* ENOKEY, or EACCES until the garbage collector has run: only that it fails is stable */
    SHOW("read invalidated fails", keyctl(KEYCTL_READ, k2, (unsigned long)buf, sizeof buf, 0) < 0);
    SHOW("clear ring", keyctl(KEYCTL_CLEAR, ring, 0, 0, 0));
    SHOW("read cleared ring", keyctl(KEYCTL_READ, ring, (unsigned long)ids, sizeof ids, 0));
    SHOW("clear a user key", keyctl(KEYCTL_CLEAR, k, 0, 0, 0));
    SHOW("unknown op", keyctl(9999, 0, 0, 0, 0));
    SHOW("bad key id", keyctl(KEYCTL_READ, 0x7ffffff0, (unsigned long)buf, sizeof buf, 0));
    SHOW("read bad buffer", keyctl(KEYCTL_READ, ring, 8, 64, 0));
    SHOW("thread keyring absent", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0, 0, 0));
    SHOW("thread keyring created", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 1, 0, 0) > 0);
    SHOW("process keyring created", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1, 0, 0) > 0);
    long named = keyctl(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"umlpy:named", 0, 0, 0);
    SHOW("join named", named > 0 && named != ses);
    keyctl(KEYCTL_DESCRIBE, named, (unsigned long)buf, sizeof buf, 0);
    SAY("named: %s", strrchr(buf, ';') + 1);
    long k3 = add_key("user", "umlpy:three", "3", 1, KEY_SPEC_SESSION_KEYRING);
    SHOW("possessor-only perm", keyctl(KEYCTL_SETPERM, k3, 0x3f000000, 0, 0));
    SHOW("describe possessed", keyctl(KEYCTL_DESCRIBE, k3, (unsigned long)buf, sizeof buf, 0) > 0);
    SHOW("unlink it", keyctl(KEYCTL_UNLINK, k3, KEY_SPEC_SESSION_KEYRING, 0, 0));
    SHOW("describe not possessed", keyctl(KEYCTL_DESCRIBE, k3, (unsigned long)buf, sizeof buf, 0));
    SHOW("setperm not possessed", keyctl(KEYCTL_SETPERM, k3, 0x3f3f0000, 0, 0));
    SHOW("read not possessed", keyctl(KEYCTL_READ, k3, (unsigned long)buf, sizeof buf, 0));
    pid_t pid = fork();
    if (pid == 0) {
        SAY("child session is the parent's: %d",
            keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0) == named);
        SAY("child has no process keyring: %s",
            keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0) < 0 ? errname(errno) : "has one");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
