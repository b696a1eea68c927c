"""The still-denied list (issue 8): calls refused for safety, each with the errno a
program expects and a reason in its row.

ENOSYS where the feature is "not supported" (io_uring, Landlock), so that
programs fall back; EPERM where Linux itself refuses an unprivileged caller
(acct, perf_event_open, fanotify_init, open_by_handle_at, userfaultfd);
EOPNOTSUPP where Linux answers so for a file system that cannot do it
(name_to_handle_at).  fanotify_mark is served: with no fanotify group
possible, it fails as Linux fails on a descriptor that is not one.  The
deny rows' errnos as a guest sees them are tests/test_table_rows.py's.
"""
from __future__ import annotations

import errno

import pytest

from umlpy.kernel.table import DENY, EMULATE
from umlpy.syscalls.linux64 import TABLE

STILL_DENIED = {
    "acct": (errno.EPERM, "CAP_SYS_PACCT"),
    "perf_event_open": (errno.EPERM, "unprivileged"),
    "fanotify_init": (errno.EPERM, "CAP_SYS_ADMIN"),
    "name_to_handle_at": (errno.EOPNOTSUPP, "export operations"),
    "open_by_handle_at": (errno.EPERM, "CAP_DAC_READ_SEARCH"),
    "userfaultfd": (errno.EPERM, "unprivileged"),
    "io_uring_setup": (errno.ENOSYS, "not supported"),
    "io_uring_enter": (errno.ENOSYS, "not supported"),
    "io_uring_register": (errno.ENOSYS, "not supported"),
    "landlock_create_ruleset": (errno.ENOSYS, "not supported"),
    "landlock_add_rule": (errno.ENOSYS, "not supported"),
    "landlock_restrict_self": (errno.ENOSYS, "not supported"),
}

ROWS = {row.name: row for row in TABLE}


@pytest.mark.parametrize("name", sorted(STILL_DENIED))
def test_still_denied_row(name):
    want, why = STILL_DENIED[name]
    row = ROWS[name]
    assert row.cls is DENY, f"{name} is {row.cls}"
    assert row.errno == want, f"{name}: {errno.errorcode.get(row.errno)}, want {errno.errorcode[want]}"
    assert why in row.note, f"{name}'s reason {row.note!r} does not say {why!r}"


def test_fanotify_mark_is_served_with_linux_errors():
    row = ROWS["fanotify_mark"]
    assert row.cls is EMULATE and row.handler is not None
    assert "EBADF" in row.note and "EINVAL" in row.note
