/* family: process
 * unshare(2) without new namespaces: unknown flags are EINVAL; CLONE_FILES,
 * CLONE_SYSVSEM and 0 succeed; after unshare(CLONE_FS), a chdir of the calling
 * thread no longer moves the threads it shared its fs context with, and theirs no
 * longer moves it.
 */
#include "case.h"
#include <pthread.h>

static pthread_barrier_t bar;

static void *other(void *arg)
{
    char b[64];
    pthread_barrier_wait(&bar);             /* main has unshared and moved to /tmp */
    SAY("other thread cwd=%s", getcwd(b, sizeof b));
    chdir("/c");
    pthread_barrier_wait(&bar);
    return 0;
}

int main(void)
{
    char b[64];
    SHOW("unshare bad flags", unshare(0x1));
    SHOW("unshare 0", unshare(0));
    SHOW("unshare files", unshare(CLONE_FILES));
    SHOW("unshare sysvsem", unshare(CLONE_SYSVSEM));
    chdir("/");
    pthread_barrier_init(&bar, 0, 2);
    pthread_t t;
    pthread_create(&t, 0, other, 0);
    SHOW("unshare fs", unshare(CLONE_FS));
    chdir("/tmp");
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    SAY("main cwd=%s", getcwd(b, sizeof b));
    pthread_join(t, 0);
    return 0;
}
