"""Credentials and permissions: the guest's virtual users and capabilities, and the one
place access is checked.

A guest process's uids, gids and capability sets are virtual: getuid(),
capget() & co. read them from here, the host sees every guest process as one
unprivileged uid.  Every permission decision of the guest kernel goes
through this module: `Creds.permits` for file modes (the VFS walk calls it
through the creds object it is given, without importing this layer),
`capable` for a privilege (Linux's capable(): a bit of the effective set,
never "uid == 0"), `may_ptrace` for one process inspecting another (Linux's
ptrace_may_access), `may_signal` for kill's rule.  The capability
transitions Linux makes on set*uid and execve (commoncap.c) are here too, so
that the syscalls only say when they happen.  File capabilities are the
security.capability xattrs the guest kernel keeps (fsimpl/vmeta.py), read at
execve (FileCaps); set-user-ID and set-group-ID bits are not honoured.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field

from umlpy.abi.errno import KernelError
from umlpy.abi.linux import (
    CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH,
    CAP_FOWNER,
    CAP_FS_MASK,
    CAP_KILL,
    CAP_LAST_CAP,
    CAP_PERFMON,
    CAP_SYS_ADMIN,
    CAP_SYS_PTRACE,
    PTRACE_MODE_FSCREDS,
    PTRACE_MODE_READ,
    SECBIT_KEEP_CAPS,
    SECBIT_NO_SETUID_FIXUP,
    SECBIT_NOROOT,
)

F_OK, X_OK, W_OK, R_OK = 0, 1, 2, 4

# <linux/capability.h>: struct vfs_cap_data's magic_etc
VFS_CAP_REVISION_MASK, VFS_CAP_FLAGS_EFFECTIVE = 0xFF000000, 0x000001
VFS_CAP_REVISION_1, VFS_CAP_REVISION_2, VFS_CAP_REVISION_3 = 0x01000000, 0x02000000, 0x03000000


def _last_cap() -> int:
    """The last capability the host's kernel knows: the guest's sets are as wide, so
    that /proc/PID/status and capget read as they would on that kernel."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return min(63, int(f.read().strip()))
    except (OSError, ValueError):
        return CAP_LAST_CAP


LAST_CAP = _last_cap()
CAP_FULL = (1 << (LAST_CAP + 1)) - 1          # CAP_VALID_MASK


def cap_valid(cap: int) -> bool:
    return 0 <= cap <= LAST_CAP


@dataclass
class Creds:
    """Virtual credentials: what getuid() and capget() return; the host never sees them."""
    ruid: int = 0
    euid: int = 0
    suid: int = 0
    rgid: int = 0
    egid: int = 0
    sgid: int = 0
    groups: list[int] = field(default_factory=list)
    fsuid: int = -1                  # the file-system ids: -1 means "the effective one"
    fsgid: int = -1
    # Capability sets (bit n: capability n); -1: what a process with these uids
    # has after a login-style start (root: every capability; others: none).
    cap_inh: int = 0
    cap_prm: int = -1
    cap_eff: int = -1
    cap_bnd: int = CAP_FULL
    cap_amb: int = 0
    securebits: int = 0

    def __post_init__(self) -> None:
        if self.fsuid == -1:
            self.fsuid = self.euid
        if self.fsgid == -1:
            self.fsgid = self.egid
        if self.cap_prm == -1:
            self.cap_prm = CAP_FULL if 0 in (self.ruid, self.euid, self.suid) else 0
        if self.cap_eff == -1:
            self.cap_eff = self.cap_prm if self.euid == 0 else 0

    def has(self, cap: int) -> bool:
        """Linux's capable(): is `cap` in the effective set?"""
        return bool(self.cap_eff >> cap & 1)

    def permits(self, st, want: int) -> bool:
        """May these credentials `want` (R_OK|W_OK|X_OK) the object with stat `st`?

        Linux's generic_permission: the owner, group or other bits of the
        guest's own modes (the file-system ids decide, setfsuid(2)); failing
        those, CAP_DAC_READ_SEARCH reads any file and searches any
        directory, CAP_DAC_OVERRIDE reads and writes anything and executes
        what has any x bit."""
        if st.uid == self.fsuid:
            bits = (st.mode >> 6) & 7
        elif st.gid == self.fsgid or st.gid in self.groups:
            bits = (st.mode >> 3) & 7
        else:
            bits = st.mode & 7
        if want & bits == want:
            return True
        if st.is_dir:
            if not want & W_OK and self.has(CAP_DAC_READ_SEARCH):
                return True
            return self.has(CAP_DAC_OVERRIDE)
        if want & 7 == R_OK and self.has(CAP_DAC_READ_SEARCH):
            return True
        return (not want & X_OK or bool(st.mode & 0o111)) and self.has(CAP_DAC_OVERRIDE)

    def copy(self) -> "Creds":
        return Creds(self.ruid, self.euid, self.suid, self.rgid, self.egid, self.sgid,
                     list(self.groups), self.fsuid, self.fsgid, self.cap_inh, self.cap_prm,
                     self.cap_eff, self.cap_bnd, self.cap_amb, self.securebits)

    # ------------------------------------------- Linux's capability transitions
    def fix_setuid(self, old: "Creds") -> None:
        """After a set*uid call (commoncap.c cap_emulate_setxuid): leaving every uid 0
        empties the permitted and effective sets (unless SECBIT_KEEP_CAPS) and the
        ambient set; an effective uid leaving 0 empties the effective set, one
        coming back to 0 refills it from the permitted set."""
        if self.securebits & SECBIT_NO_SETUID_FIXUP:
            return
        if 0 in (old.ruid, old.euid, old.suid) and 0 not in (self.ruid, self.euid, self.suid):
            if not self.securebits & SECBIT_KEEP_CAPS:
                self.cap_prm = self.cap_eff = 0
            self.cap_amb = 0
        if old.euid == 0 and self.euid != 0:
            self.cap_eff = 0
        if old.euid != 0 and self.euid == 0:
            self.cap_eff = self.cap_prm
        self.fix_setfsuid(old.fsuid)

    def fix_setfsuid(self, old_fsuid: int) -> None:
        """A file-system uid leaving 0 drops the file-system capabilities (CAP_FS_MASK)
        from the effective set; coming back to 0 raises those of them permitted."""
        if self.securebits & SECBIT_NO_SETUID_FIXUP:
            return
        if old_fsuid == 0 and self.fsuid != 0:
            self.cap_eff &= ~CAP_FS_MASK
        elif old_fsuid != 0 and self.fsuid == 0:
            self.cap_eff |= self.cap_prm & CAP_FS_MASK

    def exec_caps(self, fcaps: "FileCaps | None" = None, *,
                  no_new_privs: bool = False) -> tuple[int, int, int]:
        """The (permitted, effective, ambient) sets an execve gives (commoncap.c
        cap_bprm_creds_from_file; no set-id bits).  A file's capabilities
        (security.capability) give pP' = (bounding & fP) | (pI & fI) and, with
        its effective flag, pE' = pP'; they clear the ambient set.  Root (real or
        effective, unless SECBIT_NOROOT) gets the bounding set and the
        inheritable set as permitted, effective too if its effective uid is 0 --
        except an effective-only root running a file with capabilities (a
        setuid-root binary with file capabilities, as Linux calls it).
        Anyone else keeps the ambient set, as permitted and effective.  Under
        no_new_privs nothing is gained: the permitted set is cut to the old one
        (so root that dropped its capabilities stays without them: bwrap --cap-drop)."""
        prm, effective, amb = 0, False, self.cap_amb
        if fcaps is not None:
            prm = (self.cap_bnd & fcaps.permitted) | (self.cap_inh & fcaps.inheritable)
            effective, amb = fcaps.effective, 0
        if not self.securebits & SECBIT_NOROOT \
                and not (fcaps is not None and self.ruid != 0 and self.euid == 0):
            if self.euid == 0 or self.ruid == 0:
                prm = self.cap_bnd | self.cap_inh
            effective = effective or self.euid == 0
        prm |= amb
        if no_new_privs:
            prm &= self.cap_prm
        return prm, prm if effective else amb, amb

    def on_exec(self, fcaps: "FileCaps | None" = None, *, no_new_privs: bool = False) -> None:
        """execve: the sets exec_caps gives; the saved and file-system ids become the
        effective ones; SECBIT_KEEP_CAPS is cleared."""
        self.cap_prm, self.cap_eff, self.cap_amb = self.exec_caps(fcaps, no_new_privs=no_new_privs)
        self.suid, self.sgid = self.euid, self.egid
        self.fsuid, self.fsgid = self.euid, self.egid
        self.securebits &= ~SECBIT_KEEP_CAPS

    def dumpable_after(self, old: "Creds") -> bool:
        """commit_creds: does a process stay dumpable across this change?  A change
        of effective or file-system ids, or a permitted set that grew, makes it
        non-dumpable (fs.suid_dumpable is 0)."""
        return ((self.euid, self.egid, self.fsuid, self.fsgid) == (old.euid, old.egid, old.fsuid, old.fsgid)
                and not self.cap_prm & ~old.cap_prm)


@dataclass(frozen=True)
class FileCaps:
    """A file's capabilities: its security.capability xattr (struct vfs_cap_data)."""
    permitted: int
    inheritable: int
    effective: bool

    @classmethod
    def parse(cls, raw: bytes) -> "FileCaps | None":
        """get_vfs_caps_from_disk: revision 1 (one 32-bit word per set), 2 or 3 (two;
        3 adds the root uid it is for, which must be 0 here: else the file has
        none).  A malformed value is EINVAL, which fails the execve as on Linux."""
        if len(raw) < 4:
            raise KernelError(errno.EINVAL, "malformed security.capability")
        magic = int.from_bytes(raw[:4], "little")
        size = {VFS_CAP_REVISION_1: 12, VFS_CAP_REVISION_2: 20, VFS_CAP_REVISION_3: 24}.get(
            magic & VFS_CAP_REVISION_MASK)
        if size is None or len(raw) != size:
            raise KernelError(errno.EINVAL, "malformed security.capability")
        if size == 24 and int.from_bytes(raw[20:24], "little") != 0:
            return None
        words = [int.from_bytes(raw[i:i + 4], "little") for i in range(4, min(size, 20), 4)]
        prm, inh = words[0], words[1]
        if len(words) == 4:
            prm |= words[2] << 32
            inh |= words[3] << 32
        return cls(prm & CAP_FULL, inh & CAP_FULL, bool(magic & VFS_CAP_FLAGS_EFFECTIVE))

    def refuses(self, creds: Creds) -> bool:
        """bprm_caps_from_vfs_caps: a file with the effective flag whose permitted
        capabilities the process cannot all get (the bounding set lacks one, and the
        inheritable sets do not give it) may not be executed (EPERM): a legacy
        program could not tell it is missing privileges."""
        got = (creds.cap_bnd & self.permitted) | (creds.cap_inh & self.inheritable)
        return self.effective and bool(self.permitted & ~got)


def capable(task, cap: int) -> bool:
    """Does the calling task hold capability `cap` (its effective set)?"""
    return task.creds.has(cap)


def require_cap(task, cap: int, why: str = "") -> None:
    """EPERM unless the caller holds `cap`."""
    if not task.creds.has(cap):
        raise KernelError(errno.EPERM, why or f"needs capability {cap}")


def may_access(task, st, want: int) -> bool:
    """Permission check against the calling task's virtual credentials."""
    return task.creds.permits(st, want)


def require(task, st, want: int) -> None:
    if not may_access(task, st, want):
        raise KernelError(errno.EACCES)


def require_dir_change(task, lk, victim=None) -> None:
    """May the caller add or remove a name in the directory holding `lk`?

    Write and search permission on the directory; in a sticky directory
    (/tmp), removing needs ownership of the file or of the directory, or
    CAP_FOWNER.
    """
    c = task.creds
    if c.has(CAP_DAC_OVERRIDE) and c.has(CAP_FOWNER):
        return
    parent = task.kernel.vfs.parent_of(lk)
    require(task, parent.st, W_OK | X_OK)
    uid = c.fsuid
    if victim is not None and parent.st.mode & 0o1000 and uid not in (victim.uid, parent.st.uid) \
            and not c.has(CAP_FOWNER):
        raise KernelError(errno.EPERM)


def owned_by_caller(task, lk) -> None:
    """A new object belongs to the (virtual) user who made it: its file-system ids."""
    c = task.creds
    if (c.fsuid, c.fsgid) != lk.mount.fs.new_files_owner:
        lk.mount.fs.chown(lk.rel, c.fsuid, c.fsgid)


# ------------------------------------------------- one process and another
def may_ptrace(caller, target, mode: int) -> bool:
    """Linux's ptrace_may_access: may task `caller` inspect (PTRACE_MODE_READ) or
    trace (PTRACE_MODE_ATTACH) process `target`?

    Its own process always; otherwise the caller's ids (file-system ids with
    PTRACE_MODE_FSCREDS, real ones with PTRACE_MODE_REALCREDS) must equal the
    target's real, effective and saved uids and gids, and the target's
    permitted set be within the caller's (effective set with FSCREDS,
    permitted otherwise) -- or the caller holds CAP_SYS_PTRACE.  A
    non-dumpable target (it changed ids: prctl(PR_SET_DUMPABLE), set*uid)
    needs CAP_SYS_PTRACE too."""
    if caller.process is target:
        return True
    me, it = caller.creds, target.creds
    if mode & PTRACE_MODE_FSCREDS:
        uid, gid, caps = me.fsuid, me.fsgid, me.cap_eff
    else:
        uid, gid, caps = me.ruid, me.rgid, me.cap_prm
    privileged = me.has(CAP_SYS_PTRACE)
    same = uid == it.ruid == it.euid == it.suid and gid == it.rgid == it.egid == it.sgid
    if not same and not privileged:
        return False
    if not privileged and it.cap_prm & ~caps:
        return False
    return getattr(target, "dumpable", True) or privileged


def may_access_mm(caller, target, mode: int) -> bool:
    """Linux's mm_access (/proc/PID/environ, auxv, maps, mem; process_vm_*): may_ptrace,
    or, for reading, CAP_PERFMON or CAP_SYS_ADMIN (perfmon_capable)."""
    if may_ptrace(caller, target, mode):
        return True
    return bool(mode & PTRACE_MODE_READ) and (caller.creds.has(CAP_PERFMON) or caller.creds.has(CAP_SYS_ADMIN))


def require_ptrace(caller, target, mode: int, what: str = "") -> None:
    """EPERM unless may_ptrace(caller, target, mode)."""
    if not may_ptrace(caller, target, mode):
        raise KernelError(errno.EPERM, f"{what or 'access'}: process {target.pid} is out of the caller's reach")


def may_signal(sender, target) -> bool:
    """Linux's kill_ok_by_cred: a process of its own, or the sender's real or
    effective uid is the target's real or saved uid, or CAP_KILL.  (SIGCONT
    within a session is the caller's to allow: see syscalls/signal.py.)"""
    if sender.process is target:
        return True
    me, it = sender.creds, target.creds
    return (me.euid in (it.suid, it.ruid) or me.ruid in (it.suid, it.ruid)
            or me.has(CAP_KILL))
