/* family: misc
 * sethostname(2)/gethostname(2)/setdomainname(2): root may rename its UTS
 * namespace, and uname's nodename follows; a name of 65 bytes or more is
 * EINVAL, and so is a negative length; gethostname with too small a buffer is
 * ENAMETOOLONG; the domain name starts as "(none)". The case puts the names
 * back at the end.
 */
#include "case.h"
#include <sys/utsname.h>

int main(void)
{
    char name[128] = {0};
    SHOW("gethostname", gethostname(name, sizeof name));
    SAY("hostname=%s", name);
    SHOW("sethostname", sethostname("conformance", 11));
    struct utsname u;
    uname(&u);
    SAY("nodename=%s", u.nodename);
    SHOW("gethostname small buffer", gethostname(name, 3));
    char big[70];
    memset(big, 'h', sizeof big);
    SHOW("sethostname 65", sethostname(big, 65));
    SHOW("sethostname 64", sethostname(big, 64));
    gethostname(name, sizeof name);
    SAY("len=%zu", strlen(name));
    SHOW("sethostname negative", syscall(SYS_sethostname, "x", -1));
    SHOW("sethostname bad address", sethostname((char *)8, 4));
    SHOW("getdomainname", getdomainname(name, sizeof name));
    SAY("domain=%s", name);
    SHOW("setdomainname", setdomainname("example", 7));
    uname(&u);
    SAY("domainname=%s", u.domainname);
    SHOW("setdomainname 65", setdomainname(big, 65));
    sethostname("umlpy", 5);
    setdomainname("(none)", 6);
    return 0;
}
