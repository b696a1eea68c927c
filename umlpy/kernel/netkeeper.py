"""The keeper of a rootless named network: a small process that holds the network's namespaces.

Rootless, `--network NAME` (kernel/network.py, NamedNetwork) is a bridge in a
network namespace owned by a user namespace of the network's own, made by
`unshare --map-root-user --net` for this process.  Each member sandbox's
user namespace is made inside that one (csrc/spawn.c, nested_clone), so the
supervisor, entering it, holds CAP_NET_ADMIN over both ends of a veth pair.
As root the same network is an `ip netns` held by a bind mount; an
unprivileged user can make no such mount, so a process has to stay in the
namespaces: this one.  It holds no capability (setpriv cleared them before
it started), no socket, and no descriptor of the supervisor's; it listens on
nothing.

It imports nothing of umlpy and runs as a script:

    python3 -I netkeeper.py STATE_DIR READY_FD

It writes its pid to READY_FD, then every EVERY seconds takes the network's
lock and looks at its members (STATE_DIR/members: address, hostname,
supervisor pid); when none is left alive it removes its record and ends,
and the namespaces go with it.  The last member to leave ends it sooner,
with SIGTERM.
"""
from __future__ import annotations

import fcntl
import os
import sys
import time

EVERY = 2.0          # seconds between looks at the members


def live_members(state: str) -> bool:
    try:
        with open(os.path.join(state, "members")) as f:
            rows = [line.split() for line in f if line.strip()]
    except FileNotFoundError:
        return False
    return any(len(r) == 3 and os.path.exists(f"/proc/{r[2]}") for r in rows)


def still_ours(state: str) -> bool:
    """Does the network's record still name this process as its keeper?"""
    try:
        with open(os.path.join(state, "keeper")) as f:
            return f.read().split()[:1] == [str(os.getpid())]
    except FileNotFoundError:
        return False


def forget(state: str) -> None:
    for name in ("keeper", "members", "keeper.log"):
        try:
            os.unlink(os.path.join(state, name))
        except FileNotFoundError:
            pass


def main() -> None:
    state, ready = sys.argv[1], int(sys.argv[2])
    os.chdir("/")
    os.write(ready, f"{os.getpid()}\n".encode())
    os.close(ready)
    while True:
        time.sleep(EVERY)
        try:
            lock = os.open(os.path.join(state, "lock"), os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return                            # the state directory is gone: so is the network
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not still_ours(state):
            return                            # the record names another keeper, or none: not ours to touch
        if not live_members(state):
            forget(state)
            return                            # the lock goes with the process
        os.close(lock)


if __name__ == "__main__":
    main()
