"""Key management: add_key, request_key and keyctl, on a keyring store of the sandbox's own.

Linux keeps keys (passwords, tokens, Kerberos tickets) in kernel keyrings
that belong to threads, processes, sessions and users.  The host's keyrings
must never be reachable from a guest (they hold the host users' secrets, and
the host's keyring ids are global), so these calls are emulated entirely in
Python over a per-sandbox store: the host's keyctl is never called.

What is kept, as in security/keys/:
  * keys of type "user" (a payload of 1 to 32767 bytes) and "keyring" (an
    ordered list of links), with a random serial, an owner (fs uid/gid), a
    permission mask (possessor, user, group, other: view, read, write,
    search, link, setattr), and revoked, invalidated and expiry states;
  * the special keyrings: thread (_tid) and process (_pid), made on demand and
    not inherited by fork; session (_ses or a named one), inherited by fork;
    the per-uid user (_uid.N) and user-session (_uid_ses.N) keyrings, the
    session keyring of a process that has none;
  * possession: a key reachable from the caller's thread, process and session
    keyrings, through keyrings it may search, grants the possessor bits.
keyctl operations served: GET_KEYRING_ID, JOIN_SESSION_KEYRING, UPDATE,
REVOKE, CHOWN, SETPERM, DESCRIBE, CLEAR, LINK, UNLINK, SEARCH, READ,
SET_TIMEOUT, INVALIDATE, GET_SECURITY (an empty label), SESSION_TO_PARENT
(keyctl new_session) and CAPABILITIES.  The others
(instantiation, request-key authority, DH, public keys, persistent keyrings,
moving, restrictions) are EOPNOTSUPP, as for an unknown operation.
request_key never calls out to /sbin/request-key: a key not found is ENOKEY.
No key quotas are kept.  execve drops the thread and process keyrings.
"""
from __future__ import annotations

import errno
import random
import struct
import time
import weakref
from dataclasses import dataclass, field

from umlpy.abi.errno import KernelError
from umlpy.kernel.creds import capable
from umlpy.kernel.table import EMULATE, Ptr, ULong, syscall

# Permission bits (<linux/keyctl.h>), per class: possessor << 24, user << 16, group << 8, other.
VIEW, READ, WRITE, SEARCH, LINK, SETATTR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
ALL = 0x3F
POS, USR, GRP = 24, 16, 8
KEY_PERM_MASK = 0x3F3F3F3F
NEW_KEY_PERM = (ALL << POS) | (VIEW << USR)                       # add_key's default: 3f010000
SESSION_PERM = (ALL << POS) | ((VIEW | READ) << USR)              # _ses: 3f030000
USER_RING_PERM = ((ALL & ~SETATTR) << POS) | (ALL << USR)         # _uid.N, _uid_ses.N: 1f3f0000
OWN_RING_PERM = (ALL << POS) | (VIEW << USR)                      # _tid, _pid
NO_GID = -1                                                        # shown as the overflow gid
OVERFLOW_GID = 65534

(THREAD_RING, PROCESS_RING, SESSION_RING, USER_RING, USER_SESSION_RING, GROUP_RING,
 REQKEY_AUTH_KEY, REQUESTOR_RING) = range(-1, -9, -1)

(GET_KEYRING_ID, JOIN_SESSION_KEYRING, UPDATE, REVOKE, CHOWN, SETPERM, DESCRIBE, CLEAR, LINK_OP,
 UNLINK, SEARCH_OP, READ_OP) = range(12)
SET_TIMEOUT, GET_SECURITY, SESSION_TO_PARENT, INVALIDATE, CAPABILITIES = 15, 17, 18, 21, 31
# KEYCTL_CAPABILITIES' answer: CAPS0_CAPABILITIES | CAPS0_INVALIDATE; CAPS1_NS_KEYRING_NAME (names are the sandbox's)
CAPS = bytes([0x01 | 0x20, 0x01])

TYPES = ("user", "keyring")
USER_MAX = 32767
PAYLOAD_MAX = 1024 * 1024 - 1
DESC_MAX = 4096
CAP_SYS_ADMIN = 21


@dataclass(eq=False)
class Key:
    """One key or keyring."""
    serial: int
    type: str
    description: str
    uid: int
    gid: int
    perm: int
    payload: bytes = b""
    links: list[int] = field(default_factory=list)     # a keyring's keys, in link order
    revoked: bool = False
    expiry: float | None = None                        # time.monotonic() deadline

    @property
    def expired(self) -> bool:
        return self.expiry is not None and time.monotonic() >= self.expiry


class KeyStore:
    """The sandbox's keys, its users' keyrings and its processes' and threads' keyrings."""

    def __init__(self) -> None:
        self.keys: dict[int, Key] = {}
        self.user_rings: dict[int, tuple[int, int]] = {}          # uid -> (_uid.N, _uid_ses.N)
        # Task -> (_tid, argv), Process -> (_pid, argv): execve drops both keyrings, and each
        # exec gives the process a new argv list (kernel/loader.py), so a keyring recorded
        # with another argv than the process has now belongs to an image that is gone.
        self.threads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.processes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def own_ring(self, table: weakref.WeakKeyDictionary, owner, proc) -> int | None:
        """The thread's or process's keyring, if it has one since its last execve."""
        entry = table.get(owner)
        if entry is None or entry[1] is not proc.argv or entry[0] not in self.keys:
            return None
        return entry[0]

    def new(self, type_: str, desc: str, uid: int, gid: int, perm: int, payload: bytes = b"") -> Key:
        while True:                                   # Linux's serials are random, above 3
            serial = random.randint(4, 0x7FFFFFFF)
            if serial not in self.keys:
                break
        key = Key(serial, type_, desc, uid, gid, perm, payload)
        self.keys[serial] = key
        return key

    def user_keyrings(self, uid: int) -> tuple[int, int]:
        """_uid.N and _uid_ses.N (the latter links the former), made on first use."""
        rings = self.user_rings.get(uid)
        if rings is None:
            user = self.new("keyring", f"_uid.{uid}", uid, NO_GID, USER_RING_PERM)
            ses = self.new("keyring", f"_uid_ses.{uid}", uid, NO_GID, USER_RING_PERM)
            ses.links.append(user.serial)
            rings = self.user_rings[uid] = (user.serial, ses.serial)
        return rings


_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # Kernel -> KeyStore


def store_of(kernel) -> KeyStore:
    store = _stores.get(kernel)
    if store is None:
        store = _stores[kernel] = KeyStore()
    return store


# ------------------------------------------------------------ the caller's keyrings
def _session(task, store: KeyStore, install: bool = False) -> int | None:
    """The caller's session keyring; with `install`, the user-session one becomes it if it has none."""
    ses = task.process.session_keyring
    if ses is not None and ses in store.keys:
        return ses
    if not install:
        return None
    ses = store.user_keyrings(task.creds.ruid)[1]
    task.process.session_keyring = ses
    return ses


def _join_session(task, store: KeyStore, name: str | None) -> int:
    """keyctl(JOIN_SESSION_KEYRING): a new anonymous _ses, or the named keyring (made if new)."""
    c = task.creds
    if name is not None:
        for key in store.keys.values():
            if (key.type == "keyring" and key.description == name and not key.revoked
                    and key.uid == c.fsuid and not key.description.startswith("_")):
                if not _permits(task, store, key, SEARCH, possessed=False):
                    raise KernelError(errno.EACCES)
                task.process.session_keyring = key.serial
                return key.serial
    ring = store.new("keyring", name or "_ses", c.fsuid, c.fsgid, SESSION_PERM)
    task.process.session_keyring = ring.serial
    return ring.serial


def _roots(task, store: KeyStore) -> list[int]:
    """Where a search of the caller's keyrings starts: thread, process, session (or user-session)."""
    out = []
    for ring in (store.own_ring(store.threads, task, task.process),
                 store.own_ring(store.processes, task.process, task.process)):
        if ring is not None and ring in store.keys:
            out.append(ring)
    ses = _session(task, store)
    out.append(ses if ses is not None else store.user_keyrings(task.creds.ruid)[1])
    return out


def _possessed(task, store: KeyStore) -> set[int]:
    """Every key the caller possesses: its keyrings and what they hold, through keyrings
    it may search (with the possessor's bits, since they are possessed too)."""
    seen: set[int] = set()
    todo = _roots(task, store)
    while todo:
        serial = todo.pop()
        if serial in seen or serial not in store.keys:
            continue
        seen.add(serial)
        key = store.keys[serial]
        if key.type == "keyring" and not key.revoked and _permits(task, store, key, SEARCH, possessed=True):
            todo.extend(key.links)
    return seen


def _permits(task, store: KeyStore, key: Key, need: int, possessed: bool) -> bool:
    """key_task_permission(): the user, group or other bits, plus the possessor's if possessed."""
    c = task.creds
    if key.uid == c.fsuid:
        have = (key.perm >> USR) & ALL
    elif key.gid != NO_GID and key.perm & (ALL << GRP) and (key.gid == c.fsgid or key.gid in c.groups):
        have = (key.perm >> GRP) & ALL
    else:
        have = key.perm & ALL
    if possessed:
        have |= (key.perm >> POS) & ALL
    return have & need == need


def _lookup(task, store: KeyStore, ident: int, need: int, create: bool = False,
            check_state: bool = True) -> Key:
    """lookup_user_key(): a special id or serial, validated and permission-checked."""
    ident = (ident & 0xFFFFFFFF) - (1 << 32) if ident & 0x80000000 else ident & 0xFFFFFFFF
    c = task.creds
    if ident < 0:
        if ident == THREAD_RING:
            serial = store.own_ring(store.threads, task, task.process)
            if serial is None:
                if not create:
                    raise KernelError(errno.ENOKEY)
                serial = store.new("keyring", "_tid", c.fsuid, c.fsgid, OWN_RING_PERM).serial
                store.threads[task] = (serial, task.process.argv)
        elif ident == PROCESS_RING:
            serial = store.own_ring(store.processes, task.process, task.process)
            if serial is None:
                if not create:
                    raise KernelError(errno.ENOKEY)
                serial = store.new("keyring", "_pid", c.fsuid, c.fsgid, OWN_RING_PERM).serial
                store.processes[task.process] = (serial, task.process.argv)
        elif ident == SESSION_RING:
            serial = _session(task, store)
            if serial is None:
                serial = _join_session(task, store, None) if create else _session(task, store, install=True)
        elif ident == USER_RING:
            serial = store.user_keyrings(c.ruid)[0]
        elif ident == USER_SESSION_RING:
            serial = store.user_keyrings(c.ruid)[1]
        elif ident in (REQKEY_AUTH_KEY, REQUESTOR_RING):
            raise KernelError(errno.ENOKEY, "no request_key authority (no upcalls)")
        else:
            raise KernelError(errno.EINVAL)
        key = store.keys[serial]
        possessed = True
    else:
        if ident == 0:
            raise KernelError(errno.EINVAL)
        key = store.keys.get(ident)
        if key is None:
            raise KernelError(errno.ENOKEY)
        possessed = key.serial in _possessed(task, store)
    if check_state:
        if key.revoked:
            raise KernelError(errno.EKEYREVOKED)
        if key.expired:
            raise KernelError(errno.EKEYEXPIRED)
    if need and not _permits(task, store, key, need, possessed):
        raise KernelError(errno.EACCES)
    return key


def _ring(key: Key) -> Key:
    if key.type != "keyring":
        raise KernelError(errno.ENOTDIR)
    return key


def _link(store: KeyStore, ring: Key, key: Key) -> None:
    """Link `key` into `ring`, replacing a key of the same type and description (EDEADLK: a cycle)."""
    if key.type == "keyring" and (key is ring or ring.serial in _reachable(store, key)):
        raise KernelError(errno.EDEADLK)
    for i, s in enumerate(ring.links):
        old = store.keys.get(s)
        if s == key.serial:
            return
        if old is not None and old.type == key.type and old.description == key.description:
            ring.links[i] = key.serial
            return
    ring.links.append(key.serial)


def _reachable(store: KeyStore, ring: Key) -> set[int]:
    seen, todo = set(), list(ring.links)
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        k = store.keys.get(s)
        if k is not None and k.type == "keyring":
            todo.extend(k.links)
    return seen


def _search(task, store: KeyStore, starts: list[int], type_: str, desc: str, possessed: bool) -> Key:
    """keyring_search(): depth-first through keyrings the caller may search; a revoked or
    expired match is its error if nothing valid matches, else ENOKEY."""
    error = errno.ENOKEY
    seen: set[int] = set()
    todo = list(reversed(starts))
    while todo:
        serial = todo.pop()
        if serial in seen or serial not in store.keys:
            continue
        seen.add(serial)
        ring = store.keys[serial]
        if ring.revoked or not _permits(task, store, ring, SEARCH, possessed):
            continue
        nested = []
        for s in ring.links:
            k = store.keys.get(s)
            if k is None:
                continue
            if k.type == type_ and k.description == desc:
                if k.revoked:
                    error = errno.EKEYREVOKED
                elif k.expired:
                    error = errno.EKEYEXPIRED
                elif _permits(task, store, k, SEARCH, possessed):
                    return k
            if k.type == "keyring":
                nested.append(s)
        todo.extend(reversed(nested))
    raise KernelError(error)


def _read_string(task, addr: int, limit: int, what: str) -> str:
    if not addr:
        raise KernelError(errno.EFAULT if what == "type" else errno.EINVAL)
    raw = task.read_str(addr, limit + 1)
    if len(raw) > limit:
        raise KernelError(errno.EINVAL, f"{what} too long")
    return raw.decode("utf-8", "surrogateescape")


def _key_type(task, addr: int) -> str:
    name = _read_string(task, addr, 31, "type")
    if not name:
        raise KernelError(errno.EINVAL)
    if name.startswith("."):
        raise KernelError(errno.EPERM, "internal key types are not for users")
    return name


def _check_payload(type_: str, payload: bytes | None) -> None:
    if type_ not in TYPES:
        raise KernelError(errno.ENODEV, f"key type {type_!r} is not supported")
    if type_ == "keyring" and payload:
        raise KernelError(errno.EINVAL, "a keyring has no payload")
    if type_ == "user" and (not payload or len(payload) > USER_MAX):
        raise KernelError(errno.EINVAL)


def _copy_out(task, buf: int, buflen: int, data: bytes, partial: bool) -> int:
    """READ copies only when everything fits; DESCRIBE and GET_SECURITY copy what fits."""
    if buf and buflen > 0 and (partial or buflen >= len(data)):
        task.write(buf, data[:buflen])
    return len(data)


# ------------------------------------------------------------ the syscalls
@syscall("add_key", EMULATE)
def add_key(task, type: Ptr, description: Ptr, payload: Ptr, plen: ULong, keyring: int):
    """add_key(2): a user key or keyring in a keyring of the sandbox (an update if it exists)."""
    store = store_of(task.kernel)
    type_ = _key_type(task, type)
    desc = _read_string(task, description, DESC_MAX - 1, "description") if description else ""
    if plen > PAYLOAD_MAX:
        raise KernelError(errno.EINVAL)
    data = task.read(payload, plen) if payload and plen else (b"" if not plen else None)
    if data is None:
        raise KernelError(errno.EFAULT)
    ring = _ring(_lookup(task, store, keyring, WRITE, create=True))
    _check_payload(type_, data)
    if not desc:
        raise KernelError(errno.EINVAL, "a key needs a description")
    if type_ == "user":
        for s in ring.links:
            old = store.keys.get(s)
            if old is not None and old.type == "user" and old.description == desc and not old.revoked:
                if _permits(task, store, old, WRITE, possessed=True):
                    old.payload = data
                    return old.serial
                break
    c = task.creds
    key = store.new(type_, desc, c.fsuid, c.fsgid, NEW_KEY_PERM, data if type_ == "user" else b"")
    _link(store, ring, key)
    return key.serial


@syscall("request_key", EMULATE)
def request_key(task, type: Ptr, description: Ptr, callout_info: Ptr, dest_keyring: int):
    """request_key(2): search the caller's keyrings; no upcall, so a missing key is ENOKEY."""
    store = store_of(task.kernel)
    type_ = _key_type(task, type)
    desc = _read_string(task, description, DESC_MAX - 1, "description")
    if callout_info:
        _read_string(task, callout_info, DESC_MAX - 1, "callout")
    dest = _ring(_lookup(task, store, dest_keyring, WRITE, create=True)) if dest_keyring else None
    if type_ not in TYPES:
        raise KernelError(errno.ENODEV)
    key = _search(task, store, _roots(task, store), type_, desc, possessed=True)
    if dest is not None:
        _link(store, dest, key)
    return key.serial


@syscall("keyctl", EMULATE)
def keyctl(task, operation: int, arg2: ULong, arg3: ULong, arg4: ULong, arg5: ULong):
    """keyctl(2): the sandbox's keyrings (the common operations; the rest EOPNOTSUPP)."""
    store = store_of(task.kernel)
    op = OPS.get(operation)
    if op is None:
        raise KernelError(errno.EOPNOTSUPP, f"keyctl operation {operation} is not supported")
    return op(task, store, arg2, arg3, arg4, arg5)


def _get_keyring_id(task, store, ident, create, _a4, _a5):
    return _lookup(task, store, ident, 0, create=bool(create & 0xFFFFFFFF), check_state=False).serial


def _join(task, store, name, _a3, _a4, _a5):
    return _join_session(task, store, _read_string(task, name, DESC_MAX - 1, "name") if name else None)


def _update(task, store, ident, payload, plen, _a5):
    if plen > PAYLOAD_MAX:
        raise KernelError(errno.EINVAL)
    data = task.read(payload, plen) if plen else b""
    key = _lookup(task, store, ident, WRITE)
    if key.type != "user":
        raise KernelError(errno.EOPNOTSUPP)
    _check_payload("user", data)
    key.payload = data
    return 0


def _revoke(task, store, ident, _a3, _a4, _a5):
    try:
        key = _lookup(task, store, ident, WRITE)
    except KernelError as e:
        if e.errno != errno.EACCES:
            raise
        key = _lookup(task, store, ident, SETATTR)
    key.revoked = True
    return 0


def _chown(task, store, ident, uid, gid, _a5):
    uid, gid = _s32(uid), _s32(gid)
    key = _lookup(task, store, ident, SETATTR, check_state=False)
    c = task.creds
    if not capable(task, CAP_SYS_ADMIN):
        if uid != -1 and uid != key.uid:
            raise KernelError(errno.EACCES)
        if gid != -1 and gid != key.gid and (key.uid != c.fsuid or (gid != c.fsgid and gid not in c.groups)):
            raise KernelError(errno.EACCES)
    if key.revoked:
        raise KernelError(errno.EKEYREVOKED)
    if uid != -1:
        key.uid = uid
    if gid != -1:
        key.gid = gid
    return 0


def _setperm(task, store, ident, perm, _a4, _a5):
    key = _lookup(task, store, ident, SETATTR)
    perm &= 0xFFFFFFFF
    if perm & ~KEY_PERM_MASK:
        raise KernelError(errno.EINVAL)
    if not capable(task, CAP_SYS_ADMIN) and key.uid != task.creds.fsuid:
        raise KernelError(errno.EACCES)
    key.perm = perm
    return 0


def _describe(task, store, ident, buf, buflen, _a5):
    key = _lookup(task, store, ident, VIEW)
    gid = OVERFLOW_GID if key.gid == NO_GID else key.gid
    text = f"{key.type};{key.uid};{gid};{key.perm:08x};{key.description}".encode() + b"\0"
    return _copy_out(task, buf, buflen, text, partial=True)


def _clear(task, store, ident, _a3, _a4, _a5):
    ring = _ring(_lookup(task, store, ident, WRITE))
    ring.links.clear()
    return 0


def _link_op(task, store, ident, ring_id, _a4, _a5):
    key = _lookup(task, store, ident, LINK)
    ring = _ring(_lookup(task, store, ring_id, WRITE, create=True))
    _link(store, ring, key)
    return 0


def _unlink(task, store, ident, ring_id, _a4, _a5):
    ring = _ring(_lookup(task, store, ring_id, WRITE))
    key = _lookup(task, store, ident, 0, check_state=False)
    if key.serial not in ring.links:
        raise KernelError(errno.ENOENT)
    ring.links.remove(key.serial)
    return 0


def _search_op(task, store, ring_id, type_p, desc_p, dest_id):
    ring = _ring(_lookup(task, store, ring_id, SEARCH))
    type_ = _key_type(task, type_p)
    desc = _read_string(task, desc_p, DESC_MAX - 1, "description")
    dest = _ring(_lookup(task, store, dest_id, WRITE, create=True)) if _s32(dest_id) else None
    possessed = ring.serial in _possessed(task, store) or _s32(ring_id) < 0
    key = _search(task, store, [ring.serial], type_, desc, possessed)
    if dest is not None:
        if not _permits(task, store, key, LINK, possessed):
            raise KernelError(errno.EACCES)
        _link(store, dest, key)
    return key.serial


def _read(task, store, ident, buf, buflen, _a5):
    try:
        key = _lookup(task, store, ident, READ)
    except KernelError as e:
        if e.errno != errno.EACCES:
            raise
        # Linux: a key the caller may search for and possesses may be read too.
        key = _lookup(task, store, ident, SEARCH)
        if key.serial not in _possessed(task, store):
            raise
    if key.type == "keyring":
        live = [s for s in key.links if s in store.keys]
        data = struct.pack(f"<{len(live)}i", *live)
    else:
        data = key.payload
    return _copy_out(task, buf, buflen, data, partial=False)


def _set_timeout(task, store, ident, seconds, _a4, _a5):
    key = _lookup(task, store, ident, SETATTR)
    seconds &= 0xFFFFFFFF
    key.expiry = time.monotonic() + seconds if seconds else None
    return 0


def _get_security(task, store, ident, buf, buflen, _a5):
    _lookup(task, store, ident, VIEW)
    return _copy_out(task, buf, buflen, b"\0", partial=True)       # no LSM: an empty label


def _invalidate(task, store, ident, _a3, _a4, _a5):
    key = _lookup(task, store, ident, SEARCH, check_state=False)
    del store.keys[key.serial]                 # Linux's garbage collector unlinks it at once
    for other in store.keys.values():
        if key.serial in other.links:
            other.links.remove(key.serial)
    return 0


def _session_to_parent(task, store, _a2, _a3, _a4, _a5):
    """keyctl(SESSION_TO_PARENT): the parent takes the caller's session keyring (keyctl
    new_session uses it).  Linux refuses a parent with other uids than the caller's."""
    ses = _session(task, store)
    if ses is None:
        ses = _session(task, store, install=True)
    parent = task.process.parent
    if parent is None or not parent.alive:    # (Linux's check is of the host's init, not the guest's)
        raise KernelError(errno.EPERM, "no parent that may take the session keyring")
    mine, theirs = task.creds, parent.creds
    # keyctl_session_to_parent has no privileged way round this (not even CAP_SYS_ADMIN)
    if (theirs.euid, theirs.suid, theirs.ruid) != (mine.euid, mine.euid, mine.euid):
        raise KernelError(errno.EPERM, "the parent has other uids")
    if (theirs.egid, theirs.sgid, theirs.rgid) != (mine.egid, mine.egid, mine.egid):
        raise KernelError(errno.EPERM, "the parent has other gids")
    parent.session_keyring = ses
    return 0


def _capabilities(task, store, buf, buflen, _a4, _a5):
    """keyctl(CAPABILITIES): what this keyring implementation supports (keyctl supports)."""
    return _copy_out(task, buf, buflen, CAPS, partial=True)


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


OPS = {
    GET_KEYRING_ID: _get_keyring_id, JOIN_SESSION_KEYRING: _join, UPDATE: _update, REVOKE: _revoke,
    CHOWN: _chown, SETPERM: _setperm, DESCRIBE: _describe, CLEAR: _clear, LINK_OP: _link_op,
    UNLINK: _unlink, SEARCH_OP: _search_op, READ_OP: _read, SET_TIMEOUT: _set_timeout,
    GET_SECURITY: _get_security, SESSION_TO_PARENT: _session_to_parent, INVALIDATE: _invalidate,
    CAPABILITIES: _capabilities,
}
