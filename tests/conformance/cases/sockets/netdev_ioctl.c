/* Interface configuration by ioctl (netdevice(7), route(8)): root of a network
 * namespace of its own configures its interfaces for real.  SIOCSIFFLAGS takes
 * lo down and up, SIOCSIFMTU changes its MTU, SIOCSIFADDR adds an alias
 * address, SIOCADDRT/SIOCDELRT add and remove a route through it (struct
 * rtentry names its device by a pointer); each is read back with the SIOCGIF*
 * queries.  Linux's order of checks: the fd (EBADF), a socket (ENOTTY), the
 * argument (EFAULT), the capability (EPERM: after dropping CAP_NET_ADMIN).
 *
 * differs: ^lo up at start= -- a sandbox starts with lo up, as a container does; the runner's bare namespace has it down
 */
#include "../../case.h"
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <linux/capability.h>

static void addr(struct sockaddr *sa, const char *ip)
{
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    memset(in, 0, sizeof *in);
    in->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &in->sin_addr);
}

int main(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &ifr);
    short up = ifr.ifr_flags;
    SAY("lo up at start=%d", !!(up & IFF_UP));

    ifr.ifr_flags = up & ~IFF_UP;
    SHOW("SIOCSIFFLAGS down", ioctl(s, SIOCSIFFLAGS, &ifr));
    ioctl(s, SIOCGIFFLAGS, &ifr);
    SAY("lo up=%d", !!(ifr.ifr_flags & IFF_UP));
    ifr.ifr_flags = up | IFF_UP;
    SHOW("SIOCSIFFLAGS up", ioctl(s, SIOCSIFFLAGS, &ifr));
    ioctl(s, SIOCGIFFLAGS, &ifr);
    SAY("lo up=%d running=%d", !!(ifr.ifr_flags & IFF_UP), !!(ifr.ifr_flags & IFF_RUNNING));

    ifr.ifr_mtu = 1500;
    SHOW("SIOCSIFMTU 1500", ioctl(s, SIOCSIFMTU, &ifr));
    ifr.ifr_mtu = 0;
    ioctl(s, SIOCGIFMTU, &ifr);
    SAY("mtu=%d", ifr.ifr_mtu);
    ifr.ifr_mtu = -1;
    SHOW("SIOCSIFMTU -1", ioctl(s, SIOCSIFMTU, &ifr));
    ifr.ifr_mtu = 65536;
    SHOW("SIOCSIFMTU 65536", ioctl(s, SIOCSIFMTU, &ifr));

    struct ifreq al;
    memset(&al, 0, sizeof al);
    strcpy(al.ifr_name, "lo:7");
    addr(&al.ifr_addr, "192.0.2.7");
    SHOW("SIOCSIFADDR lo:7", ioctl(s, SIOCSIFADDR, &al));
    memset(&al.ifr_addr, 0, sizeof al.ifr_addr);
    SHOW("SIOCGIFADDR lo:7", ioctl(s, SIOCGIFADDR, &al));
    char ip[32];
    inet_ntop(AF_INET, &((struct sockaddr_in *)&al.ifr_addr)->sin_addr, ip, sizeof ip);
    SAY("lo:7 addr=%s", ip);

    struct rtentry rt;
    memset(&rt, 0, sizeof rt);
    addr(&rt.rt_dst, "198.51.100.0");
    addr(&rt.rt_genmask, "255.255.255.0");
    rt.rt_flags = RTF_UP;
    rt.rt_dev = "lo";
    SHOW("SIOCADDRT", ioctl(s, SIOCADDRT, &rt));
    SHOW("SIOCADDRT again", ioctl(s, SIOCADDRT, &rt));
    SHOW("SIOCDELRT", ioctl(s, SIOCDELRT, &rt));
    SHOW("SIOCDELRT again", ioctl(s, SIOCDELRT, &rt));

    strcpy(ifr.ifr_name, "nosuch0");
    SHOW("SIOCSIFFLAGS no such device", ioctl(s, SIOCSIFFLAGS, &ifr));
    SHOW("SIOCSIFFLAGS closed fd", ioctl(99, SIOCSIFFLAGS, &ifr));
    int p[2];
    pipe(p);
    SHOW("SIOCSIFFLAGS on a pipe", ioctl(p[0], SIOCSIFFLAGS, &ifr));
    SHOW("SIOCSIFFLAGS bad pointer", ioctl(s, SIOCSIFFLAGS, (void *)8));

    /* without CAP_NET_ADMIN */
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_NET_ADMIN);
    SHOW("capset drop NET_ADMIN", syscall(SYS_capset, &h, d));
    strcpy(ifr.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &ifr);
    SHOW("SIOCSIFFLAGS without the capability", ioctl(s, SIOCSIFFLAGS, &ifr));
    SHOW("SIOCGIFFLAGS without the capability", ioctl(s, SIOCGIFFLAGS, &ifr));
    return 0;
}
