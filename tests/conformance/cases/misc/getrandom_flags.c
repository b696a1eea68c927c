/* family: misc
 * getrandom(2): returns the number of bytes asked for (up to 256 at least),
 * 0 for a length of 0; GRND_NONBLOCK, GRND_RANDOM and GRND_INSECURE are its
 * flags, GRND_RANDOM with GRND_INSECURE together is EINVAL, any other bit is
 * EINVAL; a bad buffer is EFAULT.
 */
#include "case.h"
#include <sys/random.h>

int main(void)
{
    unsigned char b[256];
    SHOW("16 bytes", getrandom(b, 16, 0));
    SHOW("256 nonblock", getrandom(b, 256, GRND_NONBLOCK));
    SHOW("zero", getrandom(b, 0, 0));
    SHOW("random", getrandom(b, 8, GRND_RANDOM | GRND_NONBLOCK));
    SHOW("insecure", getrandom(b, 8, GRND_INSECURE));
    SHOW("random|insecure", getrandom(b, 8, GRND_RANDOM | GRND_INSECURE));
    SHOW("unknown flag", getrandom(b, 8, 0x10));
    SHOW("bad buffer", getrandom((void *)8, 8, 0));
    unsigned char c[16];
    getrandom(b, 16, 0);
    getrandom(c, 16, 0);
    SAY("two draws differ=%d", memcmp(b, c, 16) != 0);
    return 0;
}
