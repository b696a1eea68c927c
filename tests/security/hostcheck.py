"""What the host looks like, for checking that an attack changed nothing.

Every security test takes a snapshot before its attack and compares after:
  - no file under the watched host directories gained set-user-ID or
    set-group-ID, and none is owned by root unless it was before;
  - no new entry in /dev/shm (a sandbox's state dies with it);
  - no new mount in the host's mount table;
  - no guest process outlived its sandbox (an orphan running as nobody);
  - no cgroup of a finished sandbox (umlpy/<pid>-<hex>, of this process or a dead one).
"""
from __future__ import annotations

import glob
import os
import re
import stat as S
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534


def _setid_files(dirs: tuple[Path, ...]) -> set[tuple[str, int, int]]:
    out = set()
    for d in dirs:
        for root, subdirs, files in os.walk(d):
            for name in subdirs + files:
                p = os.path.join(root, name)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if st.st_mode & (S.S_ISUID | S.S_ISGID) and not S.S_ISDIR(st.st_mode):
                    out.add((p, st.st_mode, st.st_uid))
    return out


WARM_SERVER = b"from umlpy.warm import serve"


def _orphans() -> set[int]:
    """Live processes running as nobody whose parent is init: guests with no supervisor
    (a zombie is already dead: init reaps it).  A warm start-up server (umlpy/warm.py)
    is detached on purpose, and rootless it runs as nobody too: not a guest."""
    out = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[1]) == 1 and os.stat(f"/proc/{pid}").st_uid == NOBODY \
                    and WARM_SERVER not in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.add(int(pid))
        except (OSError, IndexError, ValueError):
            continue
    return out


def _mounts() -> set[str]:
    return {line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()}


def _cgroups() -> set[str]:
    from umlpy.platform import cgroup
    found = set()
    for h in cgroup.hierarchies():
        for base in {h.path(h.own), h.mount}:
            for d in glob.glob(os.path.join(base, cgroup.PARENT, "*-*")):
                pid = os.path.basename(d).split("-")[0]
                if pid.isdigit() and (int(pid) == os.getpid() or not os.path.exists(f"/proc/{pid}")):
                    found.add(d)
    return found


def _shm() -> set[str]:
    """/dev/shm entries this process's sandboxes could have left: a sandbox of another
    process (a concurrent test run) has its own pid in its state directory's name."""
    if not os.path.isdir("/dev/shm"):
        return set()
    other = re.compile(r"^umlpy(?:-sandbox)?\.(\d+)\.")
    return {e for e in os.listdir("/dev/shm")
            if not ((m := other.match(e)) and int(m.group(1)) != os.getpid())}


@dataclass
class HostState:
    """A snapshot; `changes(later)` lists what differs, in words."""
    dirs: tuple[Path, ...]
    setid: set = field(default_factory=set)
    orphans: set = field(default_factory=set)
    mounts: set = field(default_factory=set)
    shm: set = field(default_factory=set)
    cgroups: set = field(default_factory=set)

    @classmethod
    def take(cls, *dirs: os.PathLike) -> HostState:
        ds = tuple(Path(d) for d in dirs)
        return cls(ds, _setid_files(ds), _orphans(), _mounts(), _shm(), _cgroups())

    def changes(self) -> list[str]:
        now = HostState.take(*self.dirs)
        out = [f"set-id file on the host: {p} mode {m:o} uid {u}" for p, m, u in now.setid - self.setid]
        out += [f"guest process left behind: pid {p}" for p in now.orphans - self.orphans]
        out += [f"new host mount: {m}" for m in now.mounts - self.mounts]
        out += [f"left in /dev/shm: {e}" for e in now.shm - self.shm]
        out += [f"cgroup left: {c}" for c in now.cgroups - self.cgroups]
        return out
