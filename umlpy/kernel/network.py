"""The sandbox's network: its mode, published ports, outbound policy and report.

The host kernel moves the bytes; this module only wires a sandbox's own
network namespace (made by csrc/spawn.c with `lo` only) to the outside,
once guest init exists and before it runs its first instruction:

* `-p [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]`: the supervisor binds the host
  sockets when the Kernel is made (a port in use is a NetworkError, before
  any guest exists), then starts the forwarder (kernel/netfwd.py) *inside*
  the sandbox's namespace with `nsenter`, as the sandbox's host uid, and
  hands it those sockets.  It accepts on the host and connects to
  127.0.0.1:GUESTPORT in the sandbox.  It works in every network mode.
* `--network user`: slirp4netns (see docs/design.md, "Network", for why not
  pasta here) gives the sandbox an `eth0` (10.0.2.100/24, gateway 10.0.2.2,
  DNS forwarder 10.0.2.3) and carries its TCP/UDP out through host sockets.
  Rootless, the sandbox's user namespace is made inside one of the network's
  own, where our uid is root: slirp4netns and nft run there, so what they may
  do over the sandbox's namespaces comes from owning them, never from the host.
* Policy (`--allow-net`, `--deny-net`): nftables rules in the sandbox's own
  namespace, on the output hook, so connect, sendto, sendmsg and sendmmsg
  all stay native calls; a refused destination gets an ICMP
  "administratively prohibited" (connect: EHOSTUNREACH... see docs) or a
  TCP reset, the same way every time.  Dynamic nft sets with counters
  remember each destination (address, protocol, port) with its verdict and
  bytes sent, read into the run report at the end.

Everything this module starts is a child of the supervisor that ends when
the sandbox's `close()` runs (or when the supervisor dies: the forwarder at
end of file on its control socket, slirp4netns at its --exit-fd).
"""
from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import zlib
from dataclasses import dataclass, field

MODES = ("none", "user")
GUEST_ADDR, GATEWAY, DNS_ADDR = "10.0.2.100", "10.0.2.2", "10.0.2.3"   # slirp4netns's defaults
HOST_ALIAS = "host.umlpy.internal"           # the host's loopback, when a rule allows it
METADATA = ipaddress.ip_network("169.254.169.254/32")
# Denied by default in user mode: private, shared (CGNAT), loopback, link-local, and the rest of
# what is not the public internet (RFC 6890: "this network", multicast, reserved).
DEFAULT_DENY = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/3", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8")]
HOSTS_EVERY = 1.0               # seconds between looks at a named network's members
REPORT_DESTINATIONS = 1000      # per verdict: the size of each nft set (the kernel drops the rest)


class NetworkError(ValueError):
    """A network setting is wrong or cannot be had (a port in use, no engine)."""


@dataclass(frozen=True)
class Publish:
    host_ip: str
    host_port: int
    guest_port: int
    proto: str = "tcp"

    def __str__(self) -> str:
        return f"{self.host_ip}:{self.host_port}:{self.guest_port}/{self.proto}"


@dataclass(frozen=True)
class Rule:
    net: ipaddress.IPv4Network | ipaddress.IPv6Network
    ports: tuple[int, int] | None = None
    proto: str | None = None           # "tcp", "udp", or None for both
    text: str = ""

    def __str__(self) -> str:
        return self.text or str(self.net)


@dataclass
class NetworkSpec:
    """What the sandbox's network is (Config.network)."""
    mode: str = "none"
    publish: list[Publish] = field(default_factory=list)
    allow: list[Rule] = field(default_factory=list)
    deny: list[Rule] = field(default_factory=list)


def _port(text: str, what: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise NetworkError(f"bad {what} {text!r}: expected a port number from 1 to 65535")
    return int(text)


def parse_publish(spec: str) -> Publish:
    """-p [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp] (docker's form; HOSTIP default 127.0.0.1)."""
    body, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in ("tcp", "udp"):
        raise NetworkError(f"bad -p {spec!r}: the protocol is tcp or udp")
    if body.startswith("["):                       # [::1]:8080:80
        host_ip, _, rest = body[1:].partition("]")
        rest = rest.lstrip(":")
    else:
        parts = body.split(":")
        host_ip, rest = (parts[0], ":".join(parts[1:])) if len(parts) == 3 else ("127.0.0.1", body)
    ports = rest.split(":")
    if len(ports) != 2:
        raise NetworkError(f"bad -p {spec!r}: expected [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]")
    try:
        host_ip = str(ipaddress.ip_address(host_ip or "0.0.0.0"))
    except ValueError:
        raise NetworkError(f"bad -p {spec!r}: {host_ip!r} is not an IP address") from None
    return Publish(host_ip, _port(ports[0], "host port"), _port(ports[1], "guest port"), proto)


def parse_rule(spec: str) -> Rule:
    """--allow-net/--deny-net CIDR[:PORT[-PORT]][/proto]: an address or network (IPv6 in
    brackets when a port follows), an optional port range and protocol (tcp, udp)."""
    body, proto = spec, None
    if body.endswith(("/tcp", "/udp")):
        body, proto = body[:-4], body[-3:]
    ports = None
    if body.startswith("["):
        addr, _, rest = body[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise NetworkError(f"bad network rule {spec!r}: expected [IPV6/LEN]:PORT")
    elif body.count(":") == 1:
        addr, port_text = body.split(":")
    else:
        addr, port_text = body, None
    if port_text:
        lo, _, hi = port_text.partition("-")
        ports = (_port(lo, "port"), _port(hi or lo, "port"))
        if ports[0] > ports[1]:
            raise NetworkError(f"bad network rule {spec!r}: the port range is backwards")
    try:
        net = ipaddress.ip_network(addr, strict=False)
    except ValueError:
        raise NetworkError(f"bad network rule {spec!r}: expected CIDR[:PORT[-PORT]][/tcp|/udp]") from None
    return Rule(net, ports, proto, spec)


def parse_mode(value: str) -> str:
    if value == "host":
        raise NetworkError("--network host is refused: it would give the guest the host's own "
                           "sockets (every address and port of the host, its loopback services "
                           "included); use --network user, and -p to publish a port")
    if value not in MODES and not NAME_RE.fullmatch(value):
        raise NetworkError(f"bad --network {value!r}: expected none (the default), user, or the NAME of "
                           "a network of sandboxes (letters, digits, '.', '_' and '-', up to 32)")
    return value


def is_named(mode: str) -> bool:
    return mode not in MODES


# ------------------------------------------------------------------ named networks
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
NETWORKS_DIR = "/run/umlpy/networks"        # root's; rootless, networks_dir() is the user's own
KEEPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netkeeper.py")


def networks_dir(rootless: bool) -> str:
    """Where named networks keep their state: /run/umlpy/networks as root; rootless, a
    directory of the user's own ($XDG_RUNTIME_DIR/umlpy/networks, else /tmp/umlpy-UID/
    networks), so network names are per user and no one else may touch the records."""
    if not rootless:
        return NETWORKS_DIR
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base = os.path.join(runtime, "umlpy") if runtime and os.path.isdir(runtime) else \
        f"/tmp/umlpy-{os.geteuid()}"
    os.makedirs(base, mode=0o700, exist_ok=True)
    st = os.lstat(base)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise NetworkError(f"{base} is not a private directory of this user's (mode 0700): "
                           "named networks keep their state there")
    return os.path.join(base, "networks")


class NamedNetwork:
    """`--network NAME`: sandboxes that share a network of their own.

    The network is a bridge `br0` on 10.88.K.0/24 (K from the name) in a network
    namespace of its own, with no way out: it is for sandboxes to talk.  Each
    sandbox gets a veth pair, one end `eth0` in its namespace with the next free
    address, the other on the bridge.  Members are recorded in DIR/NAME/members
    (address, hostname, supervisor pid), under a lock; a member whose supervisor
    is gone is dropped.  A sandbox reserves its place when its Kernel is made
    (`reserve`), before its guest exists, and is wired to the bridge once its
    guest init exists (`wire`).

    As root the namespace is `ip netns` umlpy-NAME, held by its bind mount, and
    the last member to leave removes it.  Rootless (`self.rootless`) no mount can
    hold it, and moving a veth end into a sandbox's namespace needs CAP_NET_ADMIN
    over the user namespaces owning both ends: the network is a user namespace of
    its own with the bridge's network namespace in it, held by a keeper process
    (kernel/netkeeper.py) that ends when the last member has left.  A member holds
    descriptors of both namespaces while it is one; its guest's user namespace is
    made inside the network's (csrc/spawn.c: `userns_fd` is what spawn is given),
    so the supervisor, entering the network's user namespace, where our uid is
    root, holds CAP_NET_ADMIN over both ends and over nothing of the host's.

    A member answers for its own address and nothing else.  Guest root may not
    change eth0's addresses or MAC address, nor make another member's address its
    own (syscalls/rtnetlink.py, syscalls/netdev.py: `eth0_index` and `subnet` say
    what to guard).  Behind that, the bridge itself lets a member's port pass only
    frames from its own MAC address, and ARP and IPv4 from its own address
    (`bridge_ruleset`: nftables in the network's namespace, one set element per
    member), so no member can answer for another."""

    def __init__(self, name: str, *, rootless: bool = False) -> None:
        self.name = name
        self.rootless = rootless
        self.netns = f"umlpy-{name}"
        self.dir = os.path.join(networks_dir(rootless), name)
        k = zlib.crc32(name.encode()) % 250 + 1
        self.prefix = f"10.88.{k}"
        self.address = ""
        self.peer = ""
        self.eth0_index = 0                 # eth0's ifindex in the sandbox's namespace, once wired
        self.userns_fd = -1                 # rootless: the network's user and network namespaces
        self.netns_fd = -1

    def _locked(self) -> int:
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(self.dir, "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def members(self) -> list[tuple[str, str, int]]:
        try:
            with open(os.path.join(self.dir, "members")) as f:
                rows = [line.split() for line in f if line.strip()]
        except FileNotFoundError:
            return []
        return [(r[0], r[1], int(r[2])) for r in rows if len(r) == 3 and os.path.exists(f"/proc/{r[2]}")]

    def _save(self, members: list[tuple[str, str, int]]) -> None:
        tmp = os.path.join(self.dir, "members.tmp")
        with open(tmp, "w") as f:
            f.writelines(f"{a} {h} {p}\n" for a, h, p in members)
        os.replace(tmp, os.path.join(self.dir, "members"))

    # -------------------------------------------------------------- joining
    def reserve(self, hostname: str) -> None:
        """Take an address on the network (made now if it does not exist) for this sandbox."""
        if not have_nft():
            raise NetworkError(f"--network {self.name} needs nft (apt install nftables): the network's "
                               "bridge lets each member send from its own addresses only")
        lock = self._locked()
        try:
            members = self.members()
            if self.rootless:
                self._keeper()
            elif not os.path.exists(f"/run/netns/{self.netns}"):
                _ip(["netns", "add", self.netns])
                self._bridge_up()
            used = {a for a, _, _ in members}
            free = [n for n in range(2, 255) if f"{self.prefix}.{n}" not in used]
            if not free:
                raise NetworkError(f"network {self.name} is full (253 sandboxes)")
            self.address = f"{self.prefix}.{free[0]}"
            self.peer = f"um{os.getpid() % 100000}x{free[0]}"
            self._save(members + [(self.address, hostname, os.getpid())])
        except BaseException:
            self._drop_namespaces()
            raise
        finally:
            os.close(lock)

    @property
    def subnet(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"{self.prefix}.0/24")

    @property
    def mac(self) -> str:
        """eth0's MAC address: 02:42 and the IPv4 address, as docker makes it."""
        return "02:42:" + ":".join(f"{int(b):02x}" for b in self.address.split("."))

    def wire(self, net_fd: int) -> None:
        """Guest init exists: a veth pair, one end on the bridge, the other `eth0` in the
        sandbox's network namespace (`net_fd`), with the reserved address and its MAC
        address; the bridge passes that port's frames from those two only."""
        self._run(None, [nft(), "-f", "-"], self._member_elements("add"))
        self._run(None, ["ip", "-batch", "-"],
                  f"link add {self.peer} type veth peer name eth0 address {self.mac} "
                  f"netns /proc/self/fd/{net_fd}\n"
                  f"link set {self.peer} master br0 up\n", extra_fds=[net_fd])
        out = self._run(net_fd, ["ip", "-batch", "-"], f"addr add {self.address}/24 dev eth0\n"
                        "link set eth0 up\nlink show eth0\n")
        found = re.search(r"^(\d+): eth0[@:]", out, re.MULTILINE)
        if found is None:
            raise NetworkError(f"ip (in the sandbox): no eth0 in {out.strip()!r}")
        self.eth0_index = int(found.group(1))

    def _member_elements(self, verb: str) -> str:
        return (f'{verb} element bridge umlpy mac {{ "{self.peer}" . {self.mac} }}\n'
                f'{verb} element bridge umlpy ip4 {{ "{self.peer}" . {self.address} }}\n')

    def _bridge_up(self) -> None:
        self._run(None, ["ip", "-batch", "-"], f"link add br0 type bridge\naddr add {self.prefix}.1/24 dev br0\n"
                  "link set br0 up\nlink set lo up\n")
        self._run(None, [nft(), "-f", "-"], bridge_ruleset())

    def _run(self, net_fd: int | None, argv: list[str], script: str, extra_fds: list[int] = ()) -> str:
        """A command (ip, nft) reading `script`, in the network's namespace (net_fd None) or in
        a sandbox's (net_fd); its output.  As root by nsenter (the network's by its `ip netns`
        mount); rootless, by nsenter into the network's user namespace first, where we are
        root (with --preserve-credentials: our uid is its uid 0)."""
        fds = list(extra_fds)
        if self.rootless:
            net = self.netns_fd if net_fd is None else net_fd
            prefix = ["nsenter", "--preserve-credentials", f"--user=/proc/self/fd/{self.userns_fd}",
                      f"--net=/proc/self/fd/{net}", "--"]
            fds += [self.userns_fd, net]
        elif net_fd is None:
            prefix = ["nsenter", f"--net=/run/netns/{self.netns}", "--"]
        else:
            prefix = ["nsenter", f"--net=/proc/self/fd/{net_fd}", "--"]
            fds.append(net_fd)
        try:
            r = subprocess.run(prefix + argv, input=script, pass_fds=sorted(set(fds)),
                               capture_output=True, text=True, timeout=20, check=False)
        except FileNotFoundError as e:
            raise NetworkError(f"--network {self.name} needs {e.filename} (iproute2, nftables, "
                               "util-linux)") from None
        if r.returncode != 0:
            where = "in the sandbox" if net_fd is not None else f"in network {self.name}"
            raise NetworkError(f"{argv[0]} ({where}): "
                               f"{' / '.join(r.stderr.strip().splitlines()) or 'failed'}")
        return r.stdout

    # -------------------------------------------------------------- the keeper (rootless)
    def _keeper(self) -> None:
        """Hold the network's namespaces: its keeper's, started now if none is alive."""
        if self._adopt_keeper():
            return
        pid = self._spawn_keeper()
        self._hold(pid)
        with open(os.path.join(self.dir, "keeper"), "w") as f:
            f.write(f"{pid} {os.fstat(self.userns_fd).st_ino}\n")
        self._bridge_up()

    def _spawn_keeper(self) -> int:
        """Start a keeper in a new user namespace (our uid is its root) and network namespace;
        its pid.  setsid -f: it is no child of ours (the tracer's waitpid must see guests only)
        and outlives us while other members stay; setpriv: it keeps no capability."""
        argv = ["setsid", "-f", "unshare", "--map-root-user", "--net", "--",
                "setpriv", "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--",
                _python(), "-I", KEEPER, self.dir]
        log = os.path.join(self.dir, "keeper.log")
        ready_r, ready_w = os.pipe()
        try:
            with open(log, "w") as err:
                r = subprocess.run(argv + [str(ready_w)], pass_fds=[ready_w], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=err, timeout=20, check=False)
            os.close(ready_w)
            ready_w = -1
            pid = os.read(ready_r, 32).strip()        # end of file if it ended first
        except FileNotFoundError as e:
            raise NetworkError(f"--network {self.name} rootless needs util-linux's setsid, unshare, "
                               f"setpriv and nsenter: {e.filename} is missing") from None
        finally:
            os.close(ready_r)
            if ready_w >= 0:
                os.close(ready_w)
        if r.returncode != 0 or not pid.isdigit():
            with open(log) as f:
                why = (f.read().strip().splitlines() or ["no reason given"])[-1]
            raise NetworkError(f"--network {self.name}: the network's keeper did not start: {why}")
        return int(pid)

    def _adopt_keeper(self) -> bool:
        """The keeper the record names, if it is alive and still in the network's user
        namespace (its pid may have been reused): hold its namespaces."""
        try:
            with open(os.path.join(self.dir, "keeper")) as f:
                pid, ino = (int(x) for x in f.read().split())
        except (FileNotFoundError, ValueError):
            return False
        try:
            self._hold(pid)
        except OSError:
            return False
        if os.fstat(self.userns_fd).st_ino != ino:
            self._drop_namespaces()
            return False
        return True

    def _hold(self, pid: int) -> None:
        self.userns_fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.netns_fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._drop_namespaces()
            raise

    def _stop_keeper(self) -> None:
        """The last member left: end the keeper now rather than at its next look."""
        try:
            with open(os.path.join(self.dir, "keeper")) as f:
                pid, ino = (int(x) for x in f.read().split())
            pidfd = os.pidfd_open(pid)
        except (OSError, ValueError):
            return
        try:
            if os.stat(f"/proc/{pid}/ns/user").st_ino == ino == os.fstat(self.userns_fd).st_ino:
                signal.pidfd_send_signal(pidfd, signal.SIGTERM)
                os.unlink(os.path.join(self.dir, "keeper"))
        except OSError:
            pass
        finally:
            os.close(pidfd)

    def _drop_namespaces(self) -> None:
        for fd in (self.userns_fd, self.netns_fd):
            if fd >= 0:
                os.close(fd)
        self.userns_fd = self.netns_fd = -1

    # -------------------------------------------------------------- leaving
    def leave(self) -> None:
        if not self.address:
            self._drop_namespaces()
            return
        lock = self._locked()
        try:
            members = [m for m in self.members() if m[0] != self.address]
            self._save(members)
            for argv, script in ((["ip", "-batch", "-"], f"link del {self.peer}\n"),
                                 ([nft(), "-f", "-"], self._member_elements("delete"))):
                try:
                    self._run(None, argv, script)
                except (NetworkError, OSError, subprocess.SubprocessError):
                    pass                # never wired, or gone with the sandbox's namespace
            if not members:
                if self.rootless:
                    self._stop_keeper()
                else:
                    subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
                for name in ("members", "keeper.log") if self.rootless else ("members",):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(self.dir, name))
        finally:
            os.close(lock)
            self._drop_namespaces()
        self.address = ""


def _find_nft() -> str | None:
    path = os.environ.get("PATH", os.defpath)
    return shutil.which("nft", path=f"{path}:/usr/sbin:/sbin")


def have_nft() -> bool:
    return _find_nft() is not None


def nft() -> str:
    """The nft program: on PATH, or in the sbin directories an ordinary user's PATH
    often lacks (Debian installs it as /usr/sbin/nft); plain "nft" if neither has it."""
    return _find_nft() or "nft"


def _ip(args: list[str]) -> None:
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {r.stderr.strip()}")


# ------------------------------------------------------------------ nftables
def _match(rule: Rule, *, loopback_as_gateway: bool) -> list[str]:
    """The nft match expressions of one rule (one line per protocol it names)."""
    net = rule.net
    if loopback_as_gateway and net.version == 4 and net.subnet_of(ipaddress.ip_network("127.0.0.0/8")):
        net = ipaddress.ip_network(f"{GATEWAY}/32")     # slirp4netns: the host's loopback is the gateway
    fam = "ip" if net.version == 4 else "ip6"
    lines = []
    for proto in ([rule.proto] if rule.proto else ["tcp", "udp"] if rule.ports else [None]):
        m = f"{fam} daddr {net}"
        if proto:
            m += f" meta l4proto {proto}"
        if rule.ports:
            lo, hi = rule.ports
            m += f" th dport {lo}" if lo == hi else f" th dport {lo}-{hi}"
        lines.append(m)
    return lines


def nft_ruleset(spec: NetworkSpec, *, host_loopback: bool) -> str:
    """The sandbox's outbound policy as an nft script (table inet umlpy, output hook).

    Order: the loopback interface and replies to what was allowed; the DNS
    forwarder; --deny-net; --allow-net; the metadata address; the default
    deny list; then public destinations, allowed unless some --allow-net
    rule was given (then the allow rules are the whole list)."""
    sets = "".join(
        f"  set {v}{fam} {{ type {t} . inet_proto . inet_service; size {REPORT_DESTINATIONS}; "
        f"flags dynamic; counter; }}\n"
        for v in ("allowed", "denied") for fam, t in (("4", "ipv4_addr"), ("6", "ipv6_addr")))
    rules = ['oif "lo" accept', "ct state established,related jump allow",    # counted, per destination
             "ip6 daddr ff02::/16 meta l4proto ipv6-icmp accept",    # the kernel's own MLD/ND on eth0
             f"ip daddr {DNS_ADDR} meta l4proto {{ tcp, udp }} th dport 53 jump allow"]
    for r in spec.deny:
        rules += [f"{m} jump deny" for m in _match(r, loopback_as_gateway=host_loopback)]
    for r in spec.allow:
        rules += [f"{m} jump allow" for m in _match(r, loopback_as_gateway=host_loopback)]
    rules.append(f"ip daddr {METADATA} jump deny")
    for n in DEFAULT_DENY:
        rules.append(f"{'ip' if n.version == 4 else 'ip6'} daddr {n} jump deny")
    if host_loopback:
        rules.append(f"ip daddr {GATEWAY} jump deny")       # the host loopback but what was allowed
    rules.append("jump deny" if spec.allow else "jump allow")
    record = ("meta nfproto ipv4 meta l4proto {{ tcp, udp }} update @{v}4 {{ ip daddr . meta l4proto . th dport }}\n"
              "    meta nfproto ipv6 meta l4proto {{ tcp, udp }} update @{v}6 {{ ip6 daddr . meta l4proto . th dport }}\n")
    body = "\n".join(f"    {r}" for r in rules)
    return (f"table inet umlpy {{\n{sets}"
            f"  chain allow {{\n    {record.format(v='allowed')}    accept\n  }}\n"
            f"  chain deny {{\n    {record.format(v='denied')}"
            f"    meta l4proto tcp reject with tcp reset\n"
            f"    reject with icmpx admin-prohibited\n  }}\n"
            f"  chain out {{\n    type filter hook output priority 0; policy accept;\n{body}\n  }}\n}}\n")


def bridge_ruleset() -> str:
    """A named network's bridge filter (table bridge umlpy, in the network's namespace): a
    frame from a member's port must come from that member's MAC address (set `mac`: port
    name . MAC) and be ARP, IPv4 or IPv6; ARP and IPv4 must name that member's address
    as their sender (set `ip4`); IPv6 may come from a link-local address or :: only (a
    member has no other on eth0).  The guest kernel already refuses every change that
    would let guest root answer for another address (syscalls/rtnetlink.py): this is
    the same rule, kept by the network itself."""
    return ("table bridge umlpy {\n"
            "  set mac { type ifname . ether_addr; }\n"
            "  set ip4 { type ifname . ipv4_addr; }\n"
            "  chain ports {\n"
            "    type filter hook prerouting priority filter; policy accept;\n"
            "    iifname . ether saddr != @mac drop\n"
            "    ether type != { arp, ip, ip6 } drop\n"
            "    ether type arp iifname . arp saddr ether != @mac drop\n"
            "    ether type arp iifname . arp saddr ip != @ip4 drop\n"
            "    ether type ip iifname . ip saddr != @ip4 drop\n"
            "    ether type ip6 ip6 saddr != { ::, fe80::/10 } drop\n"
            "  }\n}\n")


def _set_elements(doc: dict) -> list[dict]:
    """The destinations in nft's JSON of the policy's table: sets allowed4/6 and denied4/6."""
    out = []
    for item in doc.get("nftables", []):
        s = item.get("set")
        if not s or s.get("name", "")[:-1] not in ("allowed", "denied"):
            continue
        verdict = s["name"][:-1]
        for e in s.get("elem", []):
            elem = e.get("elem", e) if isinstance(e, dict) else e
            val = elem.get("val") if isinstance(elem, dict) else elem
            counter = elem.get("counter", {}) if isinstance(elem, dict) else {}
            parts = val.get("concat") if isinstance(val, dict) else None
            if not parts or len(parts) != 3:
                continue
            out.append({"address": parts[0], "proto": parts[1], "port": parts[2], "verdict": verdict,
                        "packets": counter.get("packets", 0), "bytes": counter.get("bytes", 0)})
    return out


def own_user_namespace() -> int:
    """Rootless --network user: a new user namespace where our uid is root (`unshare
    --map-root-user`), as a descriptor; the sandbox's user namespace is made inside it
    (csrc/spawn.c, nested_clone, as for a named network).  slirp4netns's sandbox
    (--enable-sandbox) must be root in a user namespace that owns the sandbox's
    network namespace: in the sandbox's own, our uid is not 0 (slirp4netns fails at
    seteuid(0), "parent failed"), and an nsenter'ed program loses its capabilities
    at exec there (the policy's nft could not raise CAP_NET_ADMIN).  As the root of
    this one, both keep what they need over the sandbox's namespaces, and nothing
    over the host's.  The namespace lives as long as this descriptor (and what runs
    in it); the `cat` that made it ends at once."""
    try:
        p = subprocess.Popen(["unshare", "--user", "--map-root-user", "--", "cat"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise NetworkError("--network user rootless needs util-linux's unshare and nsenter") from None
    try:
        with contextlib.suppress(BrokenPipeError):
            p.stdin.write(b"\n")
            p.stdin.flush()
        if p.stdout.readline() != b"\n":          # cat echoes: it runs in the new namespace
            why = p.stderr.read().decode(errors="replace").strip().splitlines()
            raise NetworkError(f"--network user: no user namespace of its own: {why[-1] if why else 'unshare failed'}")
        return os.open(f"/proc/{p.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        for f in (p.stdin, p.stdout, p.stderr):
            with contextlib.suppress(OSError):
                f.close()
        p.wait()


def _python() -> str:
    """An interpreter the sandbox's uid can run: the system's (ours may live in a home
    directory that uid cannot enter, as root's pyenv does), else ours."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


# ------------------------------------------------------------------ the sandbox's network
class Network:
    """One sandbox's network: made with the Kernel (ports bound), started on guest
    init's first stop (`start`), closed with the Kernel (`close`)."""

    def __init__(self, spec: NetworkSpec, *, rootless: bool, host_uid: int, hostname: str = "umlpy") -> None:
        self.spec, self.rootless, self.host_uid, self.hostname = spec, rootless, host_uid, hostname
        self.named = NamedNetwork(spec.mode, rootless=rootless) if is_named(spec.mode) else None
        self.sockets: list[tuple[socket.socket, Publish]] = []
        self.procs: list[subprocess.Popen] = []
        self.ns_fds: list[int] = []
        self.control: socket.socket | None = None
        self.exit_w = -1
        self.destinations: list[dict] = []
        self.how = ""
        self._keeper: threading.Thread | None = None
        self._hosts_fd = -1                  # named networks: the guest's /etc/hosts, rewritten as members change
        self._hosts_base, self._hosts_seen = "", []
        self.outer_userns = -1               # rootless user mode: the network's user namespace
        if spec.mode == "user":
            self._check_engine()
        try:
            if spec.mode == "user" and rootless:
                self.outer_userns = own_user_namespace()
            for pub in spec.publish:
                self.sockets.append((self._bind(pub), pub))
            if self.named is not None:
                self.named.reserve(hostname)
        except BaseException:
            self.close()
            raise

    @property
    def userns_fd(self) -> int:
        """The user namespace the guest's own must be made in (spawn's `parent_userns_fd`):
        rootless, a named network's or --network user's own (see own_user_namespace),
        else -1 (ours)."""
        return self.named.userns_fd if self.named is not None else self.outer_userns

    def _check_engine(self) -> None:
        if shutil.which("slirp4netns") is None:
            raise NetworkError("--network user needs slirp4netns (apt install slirp4netns)")
        if self.rootless and not os.access("/dev/net/tun", os.R_OK | os.W_OK):
            raise NetworkError("--network user needs /dev/net/tun to be open to this user (it is mode "
                               f"{os.stat('/dev/net/tun').st_mode & 0o777:o} here; most distributions "
                               "make it 666)" if os.path.exists("/dev/net/tun") else
                               "--network user needs /dev/net/tun (the tun module)")
        if self.policy_wanted() and not have_nft():
            raise NetworkError("--network user enforces its policy with nftables: install nft")

    def policy_wanted(self) -> bool:
        return self.spec.mode == "user"

    @staticmethod
    def _bind(pub: Publish) -> socket.socket:
        family = socket.AF_INET6 if ":" in pub.host_ip else socket.AF_INET
        kind = socket.SOCK_STREAM if pub.proto == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(family, kind)
        try:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)    # as servers do: TIME_WAIT is no use
            s.bind((pub.host_ip, pub.host_port))
            if kind == socket.SOCK_STREAM:
                s.listen(128)
        except OSError as e:
            s.close()
            raise NetworkError(f"cannot publish {pub.host_ip}:{pub.host_port}/{pub.proto}: "
                               f"{e.strerror}") from None
        return s

    # -------------------------------------------------------------- start
    def _nsenter(self) -> tuple[list[str], list[int]]:
        """`nsenter` into the sandbox's network namespace (and its user namespace, rootless)
        by the descriptors start() opened, as the sandbox's host uid."""
        net = self.ns_fds[0]
        argv = ["nsenter", f"--net=/proc/self/fd/{net}"]
        if self.rootless:
            argv += [f"--user=/proc/self/fd/{self.ns_fds[1]}", "--preserve-credentials"]
        else:
            argv += [f"--setuid={self.host_uid}", f"--setgid={self.host_uid}"]
        return argv, list(self.ns_fds)

    def start(self, pid: int) -> None:
        """Guest init `pid` exists (stopped before its first instruction): wire its namespace.

        The helpers are the children of a keeper thread of their own, which lives
        until close(): the calling thread is the ptrace tracer, whose waitpid(__WALL |
        __WNOTHREAD) must see guests only; and the children of a thread that ends go
        to another thread of the process, the tracer maybe."""
        failed: list[BaseException] = []
        ready = threading.Event()
        self._stop = threading.Event()

        def keep() -> None:
            try:
                self._start(pid)
            except BaseException as e:
                failed.append(e)
            ready.set()
            while not self._stop.wait(HOSTS_EVERY if self.named is not None else None):
                self._refresh_hosts()
            self._end_helpers()
        self._keeper = threading.Thread(target=keep, name="umlpy-network", daemon=True)
        self._keeper.start()
        ready.wait()
        if failed:
            raise failed[0]

    def _start(self, pid: int) -> None:
        # Held until close(): the namespaces outlive the guest until the counters are read.
        self.ns_fds.append(os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC))
        if self.rootless:
            self.ns_fds.append(os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC))
        if self.named is not None:
            self.named.wire(self.ns_fds[0])
        if self.spec.mode == "user":
            self._start_engine(pid)
            self._install_policy(pid)
        if self.sockets:
            self._start_forwarder(pid)

    def _start_forwarder(self, pid: int) -> None:
        argv, fds = self._nsenter()
        mine, theirs = socket.socketpair()
        self.control = mine
        # The script by a memfd, not its path: the sandbox's uid may not read our install directory.
        code = os.memfd_create("umlpy-netfwd", os.MFD_CLOEXEC)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "netfwd.py"), "rb") as f:
            os.write(code, f.read())
        specs = [f"{s.fileno()}:{p.proto}:{p.guest_port}" for s, p in self.sockets]
        pass_fds = fds + [code, theirs.fileno()] + [s.fileno() for s, _ in self.sockets]
        try:
            proc = subprocess.Popen(argv + ["--", _python(), "-I", f"/proc/self/fd/{code}",
                                            str(theirs.fileno()), *specs],
                                    pass_fds=pass_fds, stdin=subprocess.DEVNULL, close_fds=True)
        finally:
            os.close(code)
        self.procs.append(proc)
        theirs.close()
        for s, _ in self.sockets:          # the forwarder holds them now
            s.close()
        self.sockets = [(None, p) for _, p in self.sockets]
        mine.settimeout(10)
        try:
            ok = mine.recv(1) == b"r"
        except OSError:
            ok = False
        if not ok:
            raise NetworkError("the port forwarder did not start (see the line above)")

    def _start_engine(self, pid: int) -> None:
        """slirp4netns for the namespace: eth0 10.0.2.100/24, route via 10.0.2.2, DNS at 10.0.2.3."""
        net = self.ns_fds[0]
        ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
        exit_r, self.exit_w = os.pipe2(os.O_CLOEXEC)
        argv = ["slirp4netns", "--configure", "--mtu=65520", "--enable-sandbox", "--enable-seccomp",
                f"--ready-fd={ready_w}", f"--exit-fd={exit_r}", "--netns-type=path"]
        fds = [net, ready_w, exit_r]
        if not self.host_loopback():
            argv.append("--disable-host-loopback")
        # In a PID namespace of its own, as the guest is: it can name, signal or wait for no
        # process but itself (as root or as our uid it could otherwise signal any of that uid's).
        argv = ["unshare", "--pid", "--fork", "--kill-child", "--"] + argv + [f"/proc/self/fd/{net}", "eth0"]
        if self.rootless:       # as the root of the network's user namespace: see own_user_namespace
            argv = self._as_outer_root() + argv
            fds.append(self.outer_userns)
        try:
            proc = subprocess.Popen(argv, pass_fds=fds, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        finally:
            os.close(ready_w)
            os.close(exit_r)
        self.procs.append(proc)
        try:
            ok = os.read(ready_r, 1) == b"1"
        finally:
            os.close(ready_r)
        if not ok:
            try:                                 # its reason is on stderr once it has exited
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            err = proc.stderr.read().decode(errors="replace").strip().splitlines() if proc.poll() is not None else []
            raise NetworkError(f"slirp4netns did not start: {err[-1] if err else 'no reason given'}")
        self.how = ("slirp4netns (root mode: it starts as root to join the namespace, then holds no "
                    "capability but CAP_NET_BIND_SERVICE, in an empty mount namespace, under seccomp)"
                    if not self.rootless else
                    "slirp4netns, as our uid, root of the network's own user namespace (the sandbox's is "
                    "inside it): it holds CAP_NET_BIND_SERVICE there only, in an empty mount namespace, "
                    "under seccomp")

    def host_loopback(self) -> bool:
        """Does a rule allow the host's loopback (reached at the gateway address)?"""
        lo = ipaddress.ip_network("127.0.0.0/8")
        return any(r.net.version == 4 and r.net.subnet_of(lo) for r in self.spec.allow)

    def _as_outer_root(self) -> list[str]:
        """nsenter into the network's user namespace, where our uid is root: a program it
        runs keeps its capabilities across exec there, over the sandbox's namespaces (made
        inside it) and over nothing of the host's."""
        return ["nsenter", "--preserve-credentials", f"--user=/proc/self/fd/{self.outer_userns}", "--"]

    def _nft(self, args: list[str], script: str | None = None) -> str:
        """nft in the sandbox's network namespace: as root there (root mode), or as the root
        of the network's user namespace (rootless), which owns the sandbox's."""
        net = self.ns_fds[0]
        fds = [net]
        argv = ["nsenter", f"--net=/proc/self/fd/{net}", "--", nft(), *args]
        if self.rootless:
            argv = self._as_outer_root()[:-1] + argv[1:]
            fds.append(self.outer_userns)
        r = subprocess.run(argv, input=script, text=True, capture_output=True, pass_fds=fds, timeout=20)
        if r.returncode != 0:
            raise NetworkError(f"nft: {r.stderr.strip()}")
        return r.stdout

    def _install_policy(self, pid: int) -> None:
        self._nft(["-f", "-"], nft_ruleset(self.spec, host_loopback=self.host_loopback()))

    # -------------------------------------------------------------- the guest's files
    def guest_files(self, read, hostname: str) -> dict[str, str]:
        """/etc/hosts and /etc/resolv.conf for the guest's view, given the rootfs's own
        (`read(path)`: its text or None).  A rootfs's /etc/hosts is kept, with the
        sandbox's own names added; its resolv.conf is kept while the policy lets one
        of its nameservers be reached, else replaced by the engine's forwarder."""
        if self.named is not None:
            hosts = read("/etc/hosts") or "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            self._hosts_base = hosts + ("" if hosts.endswith("\n") else "\n") + \
                f"# added by umlpy for --network {self.named.name}\n"
            self._hosts_seen = self.named.members()
            return {"/etc/hosts": self._hosts_text(self._hosts_seen)}
        if self.spec.mode != "user":
            return {}
        out = {}
        hosts = read("/etc/hosts")
        ours = f"{GUEST_ADDR}\t{hostname}\n"
        if self.host_loopback():
            ours += f"{GATEWAY}\t{HOST_ALIAS}\n"
        if hosts is None:
            hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        out["/etc/hosts"] = hosts + ("" if hosts.endswith("\n") or not hosts else "\n") + \
            "# added by umlpy for --network user\n" + ours
        resolv = read("/etc/resolv.conf")
        servers = [line.split()[1] for line in (resolv or "").splitlines()
                   if line.startswith("nameserver") and len(line.split()) > 1]
        if not any(self.allows(a, 53) for a in servers):
            out["/etc/resolv.conf"] = (f"# umlpy --network user: the DNS forwarder of slirp4netns, which asks "
                                       f"the host's resolvers\nnameserver {DNS_ADDR}\n")
        return out

    def _hosts_text(self, members: list[tuple[str, str, int]]) -> str:
        return self._hosts_base + "".join(f"{a}\t{h}\n" for a, h, _ in members)

    def keep_hosts(self, fd: int) -> None:
        """The host fd of the guest's /etc/hosts as written at start (named networks): the
        keeper thread rewrites it, through this fd and never by path, as members come and go."""
        self._hosts_fd = fd

    def _refresh_hosts(self) -> None:
        if self.named is None or self._hosts_fd < 0:
            return
        try:
            members = self.named.members()
        except OSError:
            return
        if members == self._hosts_seen:
            return
        self._hosts_seen = members
        data = self._hosts_text(members).encode()
        try:
            os.ftruncate(self._hosts_fd, 0)
            os.pwrite(self._hosts_fd, data, 0)
        except OSError:
            pass

    def allows(self, address: str, port: int, proto: str = "udp") -> bool:
        """Would the policy let a packet to address:port out?"""
        return self.refusal(address, port, proto) is None

    def refusal(self, address: str, port: int, proto: str = "udp") -> str | None:
        """The rule that refuses a packet to address:port/proto, in the nft rules' order,
        or None if it may go (a `denied:` line names it where the guest kernel sees the call)."""
        if self.spec.mode != "user":
            return None
        try:
            a = ipaddress.ip_address(address)
        except ValueError:
            return None
        if str(a) == DNS_ADDR and port == 53:
            return None
        loopback = self.host_loopback()

        def hit(r: Rule) -> bool:
            net = r.net
            if loopback and net.version == 4 and net.subnet_of(ipaddress.ip_network("127.0.0.0/8")):
                net = ipaddress.ip_network(f"{GATEWAY}/32")
            return a in net and (r.ports is None or r.ports[0] <= port <= r.ports[1]) \
                and r.proto in (None, proto)
        for r in self.spec.deny:
            if hit(r):
                return f"--deny-net {r}"
        if any(hit(r) for r in self.spec.allow):
            return None
        if a in METADATA:
            return "the metadata address (169.254.169.254), denied unless a rule names it"
        for n in DEFAULT_DENY:
            if n.version == a.version and a in n:
                return f"the default deny of {n}"
        if loopback and str(a) == GATEWAY:
            return "the host's loopback, but the ports an --allow-net names"
        return "no --allow-net rule" if self.spec.allow else None

    # -------------------------------------------------------------- end
    def read_destinations(self) -> list[dict]:
        """The policy's record: every destination in the four nft sets, with its verdict,
        packets and bytes (one `nft list table`, which shows the sets' elements)."""
        if self.spec.mode != "user" or not self.ns_fds:
            return []
        try:
            doc = json.loads(self._nft(["-j", "list", "table", "inet", "umlpy"]))
        except (NetworkError, ValueError, OSError, subprocess.SubprocessError):
            return []
        return _set_elements(doc)

    def _end_helpers(self) -> None:
        if self.control is not None:
            self.control.close()         # the forwarder ends at end of file
            self.control = None
        if self.exit_w >= 0:
            os.close(self.exit_w)        # slirp4netns ends when its --exit-fd closes
            self.exit_w = -1
        for proc in self.procs:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        self.procs = []

    def close(self) -> None:
        """Stop what start() started; read the policy's counters first."""
        if self.named is not None:
            try:
                self.named.leave()
            except (OSError, subprocess.SubprocessError):
                pass
        try:
            self.destinations = self.read_destinations()
        except Exception:
            self.destinations = []
        if self._keeper is not None:
            self._stop.set()
            self._keeper.join(timeout=10)
            self._keeper = None
        else:
            self._end_helpers()
        for s, _ in self.sockets:
            if s is not None:
                s.close()
        self.sockets = []
        for fd in self.ns_fds:
            os.close(fd)
        self.ns_fds = []
        if self.outer_userns >= 0:
            os.close(self.outer_userns)
            self.outer_userns = -1
        if self._hosts_fd >= 0:
            os.close(self._hosts_fd)
            self._hosts_fd = -1
