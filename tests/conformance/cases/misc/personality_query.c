/* family: misc
 * personality(2): 0xffffffff queries without changing; a process starts as
 * PER_LINUX (0); setting ADDR_NO_RANDOMIZE returns the old value and is read
 * back; the persona is inherited by a child.
 */
#include "case.h"
#include <sys/personality.h>

int main(void)
{
    SHOWX("query", personality(0xffffffff));
    SHOWX("set addr_no_randomize", personality(PER_LINUX | ADDR_NO_RANDOMIZE));
    SHOWX("query", personality(0xffffffff));
    pid_t c = fork();
    if (c == 0) {
        SHOWX("child query", personality(0xffffffff));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    SHOWX("set back", personality(PER_LINUX));
    SHOWX("query", personality(0xffffffff));
    return 0;
}
