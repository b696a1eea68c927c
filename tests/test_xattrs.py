"""Extended attributes as real programs use them (issue 8): the attr package's
setfattr/getfattr and python's os.setxattr in the Debian rootfs, on the root
overlay, /tmp (tmpfs) and a bind mount; they survive a restart with --persist,
and no host file ever carries one (fsimpl/vmeta.py keeps them).  The errno
rules are the conformance cases' (tests/conformance/cases/files/xattr_*.c).
"""
from __future__ import annotations

import os
import textwrap

import pytest

from conftest import debian_rootfs
from umlpy import Sandbox


@pytest.fixture(scope="module")
def debian():
    return debian_rootfs("setfattr", "getfattr")


def bash(sb: Sandbox, script: str) -> str:
    r = sb.run(["/bin/bash", "-c", textwrap.dedent(script)], text=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout


def test_setfattr_getfattr_and_python(debian, tmp_path):
    bind = tmp_path / "bind"
    bind.mkdir()
    persist = tmp_path / "persist"
    with Sandbox(rootfs=debian, mounts=[(str(bind), "/mnt", "rw")], persist=persist) as sb:
        out = bash(sb, """
            for d in /root /tmp /mnt; do
                echo data > $d/f
                setfattr -n user.comment -v "hello $d" $d/f
                setfattr -n user.empty $d/f
                getfattr --absolute-names -d $d/f | grep -v '^#'
            done
            setfattr -x user.empty /root/f
            getfattr --absolute-names -n user.empty /root/f 2>&1 | sed 's/^.*: //'
            setfattr -n trusted.t -v 1 /root/f && getfattr --absolute-names -m - -d /root/f | grep -c trusted
            python3 - <<'EOF'
            import errno, os
            os.setxattr("/root/f", "user.py", b"\\x00\\x01bin")
            print(sorted(os.listxattr("/root/f")))
            print(os.getxattr("/root/f", "user.py"))
            try:
                os.setxattr("/root/f", "user.py", b"x", os.XATTR_CREATE)
            except OSError as e:
                print(errno.errorcode[e.errno])
            os.link("/root/f", "/root/g")
            os.rename("/root/f", "/root/h")
            print(os.getxattr("/root/g", "user.comment"))
            EOF
        """)
    assert 'user.comment="hello /root"' in out and 'user.comment="hello /tmp"' in out
    assert 'user.comment="hello /mnt"' in out and out.count('user.empty=""') == 3
    assert "No such attribute" in out
    assert "['trusted.t', 'user.comment', 'user.py']" in out
    assert "b'\\x00\\x01bin'" in out and "EEXIST" in out and "b'hello /root'" in out
    # Nothing of it on the host.
    for p in (bind / "f", persist / "upper" / "root" / "g"):
        assert os.listxattr(p) == []
    with Sandbox(rootfs=debian, persist=persist) as sb:
        again = bash(sb, "getfattr --absolute-names -d /root/g /root/h | grep -v '^#'; "
                         "python3 -c 'import os; print(os.getxattr(\"/root/h\", \"user.py\"))'")
    assert again.count('user.comment="hello /root"') == 2 and "b'\\x00\\x01bin'" in again
