"""The syscall table, walked row by row (no root needed: nothing runs a guest).

Every x86-64 number has a row with the ABI's name and a trace name; every
native row is let through by the seccomp program with no stop, and every
other row stops; rows are data a reader can trust (number order, a known
annotation on every handler parameter).  The deny rows' errnos and trace
lines are checked end to end in tests/test_table_rows.py.
"""
from __future__ import annotations

import struct

import pytest

from umlpy.abi.numbers import NAMES
from umlpy.kernel.table import DENY, NATIVE, Support, SyscallTable, native, serve, syscall
from umlpy.platform.ptrace.seccomp import (AUDIT_ARCH_X86_64, MAGIC_NR, RET_ALLOW, RET_KILL_PROCESS,
                                           RET_TRACE, RET_USER_NOTIF, build_filter)
from umlpy.syscalls.linux64 import TABLE
from umlpy.trace.format import syscall_name


def run_bpf(prog: bytes, nr: int, args=(0,) * 6, arch: int = AUDIT_ARCH_X86_64) -> int:
    """A classic-BPF interpreter for the instructions the filter uses, over a seccomp_data."""
    data = struct.pack("<iIQ6Q", nr, arch, 0, *args)
    code = [struct.unpack_from("<HBBI", prog, i) for i in range(0, len(prog), 8)]
    pc, acc = 0, 0
    while True:
        op, jt, jf, k = code[pc]
        if op == 0x20:                       # ld [k]
            acc = struct.unpack_from("<I", data, k)[0]
        elif op == 0x15:                     # jeq #k
            pc += jt if acc == k else jf
        elif op == 0x35:                     # jge #k
            pc += jt if acc >= k else jf
        elif op == 0x06:                     # ret #k
            return k
        else:
            raise AssertionError(f"unexpected BPF opcode {op:#x}")
        pc += 1


FILTER = build_filter(TABLE.native_numbers())
STRICT = build_filter(TABLE.native_numbers(), strict=True)


def test_every_number_of_the_abi_has_a_row_and_a_trace_name():
    for nr, name in NAMES.items():
        row = TABLE.lookup(nr)
        assert nr in TABLE.rows, f"{nr} ({name}) has no row"
        assert row.name == name
        assert syscall_name(nr) == name
    assert syscall_name(283) == "timerfd_create"
    assert [syscall_name(nr) for nr in range(463, 470)] == [NAMES[nr] for nr in range(463, 470)]


def test_unknown_numbers_are_denied_with_enosys():
    row = TABLE.lookup(1000)
    assert row.cls is DENY and row.errno == 38 and row.support is Support.ERROR
    assert row.name == "syscall_1000"


def test_every_native_row_runs_with_no_stop_and_every_other_row_stops():
    for row in TABLE:
        verdict = run_bpf(FILTER, row.nr)
        if row.cls is NATIVE:
            assert verdict == RET_ALLOW, row.name
        elif row.rule is None:
            assert verdict == RET_TRACE, row.name
        assert run_bpf(STRICT, row.nr) == RET_TRACE, f"{row.name} must stop in strict mode"


def test_argument_rules_are_in_the_filter():
    ruled = [row for row in TABLE if row.rule is not None]
    assert {r.name for r in ruled} >= {"ioctl", "fcntl", "socket", "sendto", "getsockopt"}
    for row in ruled:
        rule = row.rule
        args = [0] * 6
        if rule.zero64:
            on, off = 0, 0x7FFF0000
        else:
            on = sorted(rule.values)[0]
            off = max(rule.values) + 1
        args[rule.arg] = on
        match = RET_ALLOW if rule.allow else RET_TRACE
        other = RET_TRACE if rule.allow else RET_ALLOW
        assert run_bpf(FILTER, row.nr, args) == match, row.name
        args[rule.arg] = off
        assert run_bpf(FILTER, row.nr, args) == other, row.name


def test_the_filter_kills_other_abis_and_sends_the_magic_number_to_the_listener():
    assert run_bpf(FILTER, 0, arch=0x40000003) == RET_KILL_PROCESS           # i386 (int 0x80)
    # x32 numbers and -1 stop, to be refused with ENOSYS (issue 8): no row has them
    assert run_bpf(FILTER, 0x40000000 | 1) == RET_TRACE                      # x32
    assert run_bpf(FILTER, -1) == RET_TRACE                                  # -1
    assert all(nr < 0x40000000 for nr in TABLE.rows)
    assert run_bpf(FILTER, MAGIC_NR) == RET_USER_NOTIF


def test_rows_are_data_in_number_order():
    assert list(TABLE.rows) == sorted(TABLE.rows)
    with pytest.raises(ValueError):
        SyscallTable([native(1, "write", "x"), native(0, "read", "x")])
    with pytest.raises(ValueError):
        SyscallTable([native(0, "write", "x")])


def test_partial_and_error_rows_say_why():
    for row in TABLE:
        if row.support is not Support.FULL:
            assert row.note, f"{row.name}: a {row.support.value} row needs a note"
        if row.cls is DENY:
            assert row.support is Support.ERROR and row.errno > 0, row.name
    assert TABLE.lookup(126).support is Support.PARTIAL          # capset: no file capabilities


def test_registration_rejects_an_unknown_annotation():
    with pytest.raises(TypeError, match="annotation"):
        @syscall("getpid", DENY)
        def bad(task, x: float):
            return 0


def test_a_row_must_name_a_call_its_handler_serves():
    @syscall("getpid", DENY)
    def handler(task):
        return 0
    with pytest.raises(TypeError):
        serve(110, "getppid", handler)


def test_stop_filter_program():
    """kernel/stopfilter.py: the calls named stop, a call with fds stops on those fds only,
    everything else (another architecture too) is left to the supervisor's filter."""
    from umlpy.kernel import stopfilter
    prog = stopfilter.program(["msgsnd"], {"read": [5, 7], "recvmsg": [3]})
    from umlpy.abi.numbers import NUMBERS as nr
    assert run_bpf(prog, nr["msgsnd"]) == RET_TRACE
    assert [run_bpf(prog, nr["read"], (fd, 0, 0, 0, 0, 0)) for fd in (5, 6, 7)] == [RET_TRACE, RET_ALLOW, RET_TRACE]
    assert run_bpf(prog, nr["recvmsg"], (3, 0, 0, 0, 0, 0)) == RET_TRACE
    assert run_bpf(prog, nr["recvmsg"], (5, 0, 0, 0, 0, 0)) == RET_ALLOW
    assert run_bpf(prog, nr["write"], (5, 0, 0, 0, 0, 0)) == RET_ALLOW
    assert run_bpf(prog, nr["msgsnd"], arch=3) == RET_ALLOW
