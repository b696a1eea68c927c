/* Interface configuration over rtnetlink (rtnetlink(7), iproute2's `ip`): root of a
 * network namespace of its own takes lo down and up, changes its MTU, adds and
 * removes an address and a route, each acknowledged by the kernel (nl_pid 0, the
 * socket's own port id in nlmsg_pid, the request's sequence number) and read back
 * with a GET.  Every way of sending is used: sendmsg with the kernel's address,
 * sendto, send (no address), write, writev, sendmmsg; a batch of three messages in one send is
 * answered in order; NLM_F_ECHO echoes the new address to the sender; a socket
 * never bound is bound by its first send.  Without CAP_NET_ADMIN every change is
 * EPERM, a GET still works.
 *
 * differs: ^vxlan -- the sandbox lets guest root make only links that stay inside its namespace (dummy); other kinds are EPERM, as for an unprivileged caller
 */
#include "../../case.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

static int nl;
static unsigned portid, seq = 100;
static int lo;

struct req {
    struct nlmsghdr n;
    char body[512];
};

static void attr(struct nlmsghdr *n, int type, const void *data, int len)
{
    struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static struct nlmsghdr *start(struct req *r, int type, int flags, int size)
{
    memset(r, 0, sizeof *r);
    r->n.nlmsg_len = NLMSG_LENGTH(size);
    r->n.nlmsg_type = type;
    r->n.nlmsg_flags = NLM_F_REQUEST | flags;
    r->n.nlmsg_seq = ++seq;
    return &r->n;
}

static struct nlmsghdr *link_msg(struct req *r, unsigned flags, unsigned change)
{
    struct nlmsghdr *n = start(r, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
    struct ifinfomsg *i = NLMSG_DATA(n);
    i->ifi_index = lo;
    i->ifi_flags = flags;
    i->ifi_change = change;
    return n;
}

static struct nlmsghdr *addr_msg(struct req *r, int type, int flags, const char *ip)
{
    struct nlmsghdr *n = start(r, type, flags, sizeof(struct ifaddrmsg));
    struct ifaddrmsg *a = NLMSG_DATA(n);
    a->ifa_family = AF_INET;
    a->ifa_prefixlen = 32;
    a->ifa_index = lo;
    struct in_addr in;
    inet_pton(AF_INET, ip, &in);
    attr(n, IFA_LOCAL, &in, 4);
    attr(n, IFA_ADDRESS, &in, 4);
    return n;
}

static struct nlmsghdr *route_msg(struct req *r, int type, int flags)
{
    struct nlmsghdr *n = start(r, type, flags, sizeof(struct rtmsg));
    struct rtmsg *m = NLMSG_DATA(n);
    m->rtm_family = AF_INET;
    m->rtm_dst_len = 24;
    m->rtm_table = RT_TABLE_MAIN;
    m->rtm_protocol = RTPROT_BOOT;
    m->rtm_scope = RT_SCOPE_LINK;
    m->rtm_type = RTN_UNICAST;
    struct in_addr in;
    inet_pton(AF_INET, "198.51.100.0", &in);
    attr(n, RTA_DST, &in, 4);
    attr(n, RTA_OIF, &lo, 4);
    return n;
}

static int send_to_kernel(int fd, struct nlmsghdr *n)
{
    struct sockaddr_nl k = { .nl_family = AF_NETLINK };
    struct iovec iov = { n, n->nlmsg_len };
    struct msghdr m = { .msg_name = &k, .msg_namelen = sizeof k, .msg_iov = &iov, .msg_iovlen = 1 };
    return sendmsg(fd, &m, 0);
}

/* Read one datagram; print each message of it as "label: TYPE error=E ..." */
static void answers(const char *label, int fd, unsigned mine)
{
    char buf[32768];
    struct sockaddr_nl from;
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
    int got = recvmsg(fd, &m, MSG_DONTWAIT);
    if (got < 0) {
        SAY("%s: recvmsg %s", label, errname(errno));
        return;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)got); h = NLMSG_NEXT(h, got)) {
        const char *err = "";
        if (h->nlmsg_type == NLMSG_ERROR) {
            struct nlmsgerr *e = NLMSG_DATA(h);
            err = e->error ? errname(-e->error) : "0";
        }
        SAY("%s: type=%d error=%s from_kernel=%d namelen=%d mine=%d seq=%d", label, h->nlmsg_type, err,
            from.nl_pid == 0, m.msg_namelen, h->nlmsg_pid == mine, h->nlmsg_seq - 100);
    }
}

/* lo's flags and MTU, by RTM_GETLINK on a socket of its own. */
static void show_lo(const char *label)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct req r;
    struct nlmsghdr *n = start(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
    ((struct ifinfomsg *)NLMSG_DATA(n))->ifi_index = lo;
    send_to_kernel(fd, n);
    char buf[16384];
    int got = recv(fd, buf, sizeof buf, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (got < 0 || h->nlmsg_type != RTM_NEWLINK) {
        SAY("%s: no answer", label);
        close(fd);
        return;
    }
    struct ifinfomsg *i = NLMSG_DATA(h);
    unsigned mtu = 0;
    int len = IFLA_PAYLOAD(h);
    for (struct rtattr *a = IFLA_RTA(i); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == IFLA_MTU)
            mtu = *(unsigned *)RTA_DATA(a);
    SAY("%s: up=%d mtu=%u", label, !!(i->ifi_flags & IFF_UP), mtu);
    close(fd);
}

/* Does lo have 192.0.2.9, and where does 198.51.100.7 go?  (the kernel's own answers) */
static void show_config(const char *label)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct req r;
    struct nlmsghdr *n = start(&r, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
    ((struct ifaddrmsg *)NLMSG_DATA(n))->ifa_family = AF_INET;
    send_to_kernel(fd, n);
    int has = 0, done = 0;
    char buf[32768];
    while (!done) {
        int got = recv(fd, buf, sizeof buf, 0);
        if (got <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)got); h = NLMSG_NEXT(h, got)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                done = 1;
                break;
            }
            struct ifaddrmsg *a = NLMSG_DATA(h);
            int len = IFA_PAYLOAD(h);
            for (struct rtattr *t = IFA_RTA(a); RTA_OK(t, len); t = RTA_NEXT(t, len))
                if (t->rta_type == IFA_LOCAL && *(uint32_t *)RTA_DATA(t) == htonl(0xC0000209))
                    has = 1;
        }
    }
    n = start(&r, RTM_GETROUTE, 0, sizeof(struct rtmsg));
    struct rtmsg *m = NLMSG_DATA(n);
    m->rtm_family = AF_INET;
    m->rtm_dst_len = 32;
    struct in_addr in;
    inet_pton(AF_INET, "198.51.100.7", &in);
    attr(n, RTA_DST, &in, 4);
    send_to_kernel(fd, n);
    int got = recv(fd, buf, sizeof buf, 0), oif = 0;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    const char *err = "0";
    if (got > 0 && h->nlmsg_type == NLMSG_ERROR)
        err = errname(-((struct nlmsgerr *)NLMSG_DATA(h))->error);
    else if (got > 0) {
        int len = RTM_PAYLOAD(h);
        for (struct rtattr *t = RTM_RTA(NLMSG_DATA(h)); RTA_OK(t, len); t = RTA_NEXT(t, len))
            if (t->rta_type == RTA_OIF)
                oif = *(int *)RTA_DATA(t);
    }
    SAY("%s: address=%d route error=%s via lo=%d", label, has, err, oif == lo);
    close(fd);
}

int main(void)
{
    lo = if_nametoindex("lo");
    nl = SHOW("socket", socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    struct sockaddr_nl me = { .nl_family = AF_NETLINK };
    socklen_t len = sizeof me;
    SHOW("bind", bind(nl, (struct sockaddr *)&me, sizeof me));
    getsockname(nl, (struct sockaddr *)&me, &len);
    portid = me.nl_pid;
    SAY("bound=%d", portid != 0);

    struct req r, r2, r3;
    struct nlmsghdr *n = link_msg(&r, 0, IFF_UP);
    SHOW("sendmsg lo down", send_to_kernel(nl, n) == (int)n->nlmsg_len);
    answers("lo down", nl, portid);
    show_lo("after down");

    struct sockaddr_nl k = { .nl_family = AF_NETLINK };
    n = link_msg(&r, IFF_UP, IFF_UP);
    SHOW("sendto lo up", sendto(nl, n, n->nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) == (int)n->nlmsg_len);
    answers("lo up", nl, portid);
    show_lo("after up");

    n = link_msg(&r, IFF_UP, IFF_UP);
    unsigned mtu = 1400;
    attr(n, IFLA_MTU, &mtu, 4);
    SHOW("write mtu 1400", write(nl, n, n->nlmsg_len) == (int)n->nlmsg_len);
    answers("mtu", nl, portid);
    show_lo("after mtu");

    n = addr_msg(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, "192.0.2.9");
    struct iovec two[2] = { { n, 16 }, { (char *)n + 16, n->nlmsg_len - 16 } };
    SHOW("writev add address", writev(nl, two, 2) == (int)n->nlmsg_len);
    answers("add address", nl, portid);
    n->nlmsg_seq = ++seq;
    SHOW("writev add it again", writev(nl, two, 2) == (int)n->nlmsg_len);
    answers("add again", nl, portid);

    n = route_msg(&r, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    SHOW("sendto add route", sendto(nl, n, n->nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) == (int)n->nlmsg_len);
    answers("add route", nl, portid);
    n->nlmsg_seq = ++seq;
    SHOW("sendto add it again", sendto(nl, n, n->nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) > 0);
    answers("route again", nl, portid);
    show_config("configured");

    n = route_msg(&r, RTM_DELROUTE, NLM_F_ACK);
    SHOW("del route", send_to_kernel(nl, n) > 0);
    answers("del route", nl, portid);
    n->nlmsg_seq = ++seq;
    send_to_kernel(nl, n);
    answers("del route again", nl, portid);
    n = addr_msg(&r, RTM_DELADDR, NLM_F_ACK, "192.0.2.9");
    SHOW("del address", send_to_kernel(nl, n) > 0);
    answers("del address", nl, portid);
    n->nlmsg_seq = ++seq;
    send_to_kernel(nl, n);
    answers("del address again", nl, portid);
    show_config("unconfigured");

    /* three messages in one send: a change, a GET, a change; answered in order */
    char batch[2048];
    int at = 0;
    n = addr_msg(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE, "192.0.2.9");
    memcpy(batch + at, n, n->nlmsg_len);
    at += NLMSG_ALIGN(n->nlmsg_len);
    n = start(&r2, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
    ((struct ifinfomsg *)NLMSG_DATA(n))->ifi_index = lo;
    memcpy(batch + at, n, n->nlmsg_len);
    at += NLMSG_ALIGN(n->nlmsg_len);
    n = addr_msg(&r3, RTM_DELADDR, NLM_F_ACK, "192.0.2.9");
    memcpy(batch + at, n, n->nlmsg_len);
    at += NLMSG_ALIGN(n->nlmsg_len);
    struct iovec biov = { batch, at };
    struct msghdr bm = { .msg_name = &k, .msg_namelen = sizeof k, .msg_iov = &biov, .msg_iovlen = 1 };
    SHOW("batch of three", sendmsg(nl, &bm, 0) == at);
    for (int i = 0; i < 3; i++)
        answers("batch", nl, portid);
    show_config("after batch");

    /* NLM_F_ECHO: the new address comes back to the sender, then the ack */
    n = addr_msg(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_ECHO, "192.0.2.9");
    send_to_kernel(nl, n);
    answers("echo", nl, portid);
    answers("echo", nl, portid);
    n = addr_msg(&r, RTM_DELADDR, NLM_F_ACK, "192.0.2.9");
    send_to_kernel(nl, n);
    answers("echo undone", nl, portid);

    /* sendmmsg: two changes */
    n = link_msg(&r, IFF_UP, IFF_UP);
    mtu = 1500;
    attr(n, IFLA_MTU, &mtu, 4);
    struct nlmsghdr *n2 = link_msg(&r2, IFF_UP, IFF_UP);
    struct iovec v1 = { n, n->nlmsg_len }, v2 = { n2, n2->nlmsg_len };
    struct mmsghdr mm[2] = { { .msg_hdr = { .msg_iov = &v1, .msg_iovlen = 1 } },
                             { .msg_hdr = { .msg_iov = &v2, .msg_iovlen = 1 } } };
    SHOW("sendmmsg", sendmmsg(nl, mm, 2, 0));
    SAY("sendmmsg lengths ok=%d", mm[0].msg_len == n->nlmsg_len && mm[1].msg_len == n2->nlmsg_len);
    answers("sendmmsg", nl, portid);
    answers("sendmmsg", nl, portid);
    show_lo("after sendmmsg");

    /* a socket never bound: its first send binds it */
    int fresh = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    n = link_msg(&r, IFF_UP, IFF_UP);
    SHOW("unbound send", send_to_kernel(fresh, n) > 0);
    struct sockaddr_nl f = { 0 };
    len = sizeof f;
    getsockname(fresh, (struct sockaddr *)&f, &len);
    SAY("unbound now bound=%d", f.nl_pid != 0);
    answers("unbound", fresh, f.nl_pid);
    close(fresh);

    /* a link kind that could reach outside the namespace */
    n = start(&r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
    attr(n, IFLA_IFNAME, "vx0", 4);
    struct rtattr *info = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    info->rta_type = IFLA_LINKINFO;
    info->rta_len = RTA_LENGTH(0);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_LENGTH(0);
    attr(n, IFLA_INFO_KIND, "vxlan", 6);
    struct rtattr *data = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    data->rta_type = IFLA_INFO_DATA;
    data->rta_len = RTA_LENGTH(0);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_LENGTH(0);
    unsigned vni = 5;
    attr(n, 1 /* IFLA_VXLAN_ID */, &vni, 4);
    data->rta_len = (char *)n + n->nlmsg_len - (char *)data;
    info->rta_len = (char *)n + n->nlmsg_len - (char *)info;
    send_to_kernel(nl, n);
    answers("vxlan", nl, portid);
    int vx = if_nametoindex("vx0");
    n = start(&r, RTM_DELLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
    if (vx) {                               /* natively: take it away again */
        ((struct ifinfomsg *)NLMSG_DATA(n))->ifi_index = vx;
        send_to_kernel(nl, n);
        answers("vxlan deleted", nl, portid);
    }

    /* send(2): no address at all, as iproute2's `ip addr flush` sends */
    n = addr_msg(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, "192.0.2.7");
    SHOW("send add address", send(nl, n, n->nlmsg_len, 0) == (int)n->nlmsg_len);
    answers("send(2) added", nl, portid);
    n = addr_msg(&r, RTM_DELADDR, NLM_F_ACK, "192.0.2.7");
    SHOW("send del address", send(nl, n, n->nlmsg_len, 0) == (int)n->nlmsg_len);
    answers("send(2) deleted", nl, portid);

    /* without CAP_NET_ADMIN: changes are EPERM on an old socket and a new one; GETs work */
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_NET_ADMIN);
    SHOW("capset drop NET_ADMIN", syscall(SYS_capset, &h, d));
    n = addr_msg(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE, "192.0.2.9");
    send_to_kernel(nl, n);
    answers("no capability", nl, portid);
    int later = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    n->nlmsg_seq = ++seq;
    send(later, n, n->nlmsg_len, 0);
    f.nl_pid = 0;
    len = sizeof f;
    getsockname(later, (struct sockaddr *)&f, &len);
    answers("no capability, new socket", later, f.nl_pid);
    show_lo("no capability");
    show_config("no capability");
    return 0;
}
