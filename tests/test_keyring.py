"""Debian's keyutils `keyctl` on the sandbox's own keyring (syscalls/keys.py).

The keyring is emulated in Python; the host's keyrings are never reached.
These run the real `keyctl` from keyutils in the ``debian`` rootfs (built by
.ci/debian-rootfs, whose package list has keyutils): new_session (which uses
KEYCTL_SESSION_TO_PARENT), add, print, describe, search, show, request,
update, setperm, revoke.  Without that rootfs, or with one built before
keyutils was added, they skip, naming the command that builds it.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox


@pytest.fixture(scope="module")
def debian() -> Path:
    return debian_rootfs("keyctl")


SCRIPT = r"""
keyctl new_session >/dev/null && echo "new session"
id=$(keyctl add user umlpy:demo secret @s)
[ "$id" -gt 0 ] && echo "added"
keyctl print $id
keyctl describe $id | sed "s/^ *[0-9]*:/N:/"
[ "$(keyctl search @s user umlpy:demo)" = "$id" ] && echo "search finds it"
keyctl show @s | sed 1d | sed "s/^ *[0-9]*/N/"
keyctl request user umlpy:demo >/dev/null && echo "request finds it"
keyctl request user umlpy:none 2>&1; echo "request none: $?"
keyctl update $id newsecret && keyctl print $id
keyctl setperm $id 0x3f3f0000 && keyctl rdescribe $id
keyctl revoke $id
keyctl print $id 2>&1; echo "print revoked: $?"
"""

# What the same script prints on Linux 6.18 as root in a fresh session (measured).
EXPECTED = """\
new session
added
secret
N: alswrv-----v------------     0     0 user: umlpy:demo
search finds it
N --alswrv      0     0  keyring: _ses
N --alswrv      0     0   \\_ user: umlpy:demo
request finds it
request_key: Required key not available
request none: 1
newsecret
user;0;0;3f3f0000;umlpy:demo
keyctl_read_alloc: Key has been revoked
print revoked: 1
"""


def test_keyctl_session_add_search_revoke(debian):
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["/bin/bash", "-c", textwrap.dedent(SCRIPT)], text=True, timeout=60)
    assert r.stdout == EXPECTED, (r.stdout, r.stderr)


def test_keyrings_are_per_sandbox(debian):
    """A key added in one sandbox is not in another's user keyring (nor the host's)."""
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["/bin/bash", "-c", "keyctl add user umlpy:mine x @u >/dev/null; keyctl search @u user umlpy:mine >/dev/null && echo found"],
                   text=True, timeout=60)
        assert r.stdout == "found\n", (r.stdout, r.stderr)
    with Sandbox(rootfs=debian) as sb:
        r = sb.run(["/bin/bash", "-c", "keyctl search @u user umlpy:mine; echo $?"], text=True, timeout=60)
        assert r.stdout.endswith("1\n"), (r.stdout, r.stderr)
