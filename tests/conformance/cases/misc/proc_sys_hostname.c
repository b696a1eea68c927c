/* family: misc
 * /proc/sys/kernel/hostname and domainname show the UTS namespace's names,
 * with a newline; /proc/sys/kernel/ostype is "Linux".
 */
#include "case.h"

int main(void)
{
    show_file("/proc/sys/kernel/hostname");
    show_file("/proc/sys/kernel/ostype");
    return 0;
}
