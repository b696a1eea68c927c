"""Concrete expected lines of the --trace formatter (umlpy.trace.format)."""

import struct

from umlpy.trace.format import format_call, format_line, format_result, syscall_name

M64 = (1 << 64) - 1


def neg(v: int) -> int:
    """A negative value as the raw unsigned 64-bit register holds it."""
    return v & M64


class GuestMemory:
    """A tiny fake guest address space: {addr: bytes}."""

    def __init__(self, regions: dict[int, bytes]):
        self.regions = regions

    def read_bytes(self, addr: int, size: int):
        for base, data in self.regions.items():
            if base <= addr and addr + size <= base + len(data):
                return data[addr - base:addr - base + size]
        return None

    def read_string(self, addr: int):
        for base, data in self.regions.items():
            if base <= addr < base + len(data):
                rest = data[addr - base:]
                return rest.split(b"\0", 1)[0]
        return None


MEM = GuestMemory({0x1000: b"/etc/passwd\0"})


def test_syscall_names():
    assert syscall_name(257) == "openat"
    assert syscall_name(39) == "getpid"
    assert syscall_name(1000) == "syscall_1000"


def test_openat_cloexec():
    line = format_line(3, 257, [neg(-100), 0x1000, 0o2000000, 0, 0, 0], 3,
                       read_string=MEM.read_string)
    assert line == '[pid 3] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3'


def test_openat_enoent():
    line = format_line(3, 257, [neg(-100), 0x1000, 0o2000000, 0, 0, 0], neg(-2),
                       read_string=MEM.read_string)
    assert line == ('[pid 3] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)'
                    ' = -1 ENOENT (No such file or directory)')
    # a signed result is accepted too
    assert format_result(257, -2) == " = -1 ENOENT (No such file or directory)"


def test_openat_creat_shows_mode_in_octal():
    line = format_line(1, 257, [neg(-100), 0x1000, 0o1101, 0o644, 0, 0], 4,
                       read_string=MEM.read_string)
    assert line == '[pid 1] openat(AT_FDCWD, "/etc/passwd", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4'


def test_strings_override_wins_over_memory():
    call = format_call(2, 257, [neg(-100), 0x1000, 0, 0, 0, 0],
                       read_string=MEM.read_string, strings={1: "/guest/a\nb"})
    assert call == '[pid 2] openat(AT_FDCWD, "/guest/a\\nb", O_RDONLY)'


def test_getpid():
    assert format_line(1, 39, [0] * 6, 1) == "[pid 1] getpid() = 1"


def test_bad_pointer_shown_as_hex():
    line = format_line(3, 257, [neg(-100), 0xdead0000, 0, 0, 0, 0], neg(-14),
                       read_string=MEM.read_string)
    assert line == "[pid 3] openat(AT_FDCWD, 0xdead0000, O_RDONLY) = -1 EFAULT (Bad address)"


def test_reader_that_raises_is_a_bad_pointer():
    def boom(addr):
        raise OSError("EFAULT")
    assert format_call(3, 2, [0x1234, 0, 0, 0, 0, 0], read_string=boom) == \
        "[pid 3] open(0x1234, O_RDONLY)"


def test_null_pointer():
    assert format_call(3, 80, [0] * 6, read_string=MEM.read_string) == "[pid 3] chdir(NULL)"


def test_long_string_truncated_and_escaped():
    mem = GuestMemory({0x2000: b"a" * 70 + b"\0", 0x3000: b'x"\\\t\x01\0'})
    assert format_call(1, 80, [0x2000, 0, 0, 0, 0, 0], read_string=mem.read_string) == \
        '[pid 1] chdir("' + "a" * 64 + '"...)'
    assert format_call(1, 80, [0x3000, 0, 0, 0, 0, 0], read_string=mem.read_string) == \
        '[pid 1] chdir("x\\"\\\\\\t\\x01")'


def test_kill_sigterm():
    assert format_line(1, 62, [3, 15, 0, 0, 0, 0], 0) == "[pid 1] kill(3, SIGTERM) = 0"


def test_kill_negative_pid_and_unknown_signal():
    assert format_call(1, 62, [neg(-1), 9, 0, 0, 0, 0]) == "[pid 1] kill(-1, SIGKILL)"
    assert format_call(1, 62, [5, 0, 0, 0, 0, 0]) == "[pid 1] kill(5, 0)"


def test_execve_argv_list():
    argv_ptr, envp_ptr = 0x5000, 0x6000
    mem = GuestMemory({
        0x4000: b"/bin/ls\0ls\0-l\0HOME=/\0",
        argv_ptr: struct.pack("<QQQ", 0x4008, 0x400b, 0),
        envp_ptr: struct.pack("<QQ", 0x400e, 0),
    })
    line = format_line(1, 59, [0x4000, argv_ptr, envp_ptr, 0, 0, 0], 0,
                       read_string=mem.read_string, read_bytes=mem.read_bytes)
    assert line == '[pid 1] execve("/bin/ls", ["ls", "-l"], 0x6000 /* 1 var */) = 0'


def test_execve_without_read_bytes_shows_pointers():
    call = format_call(1, 59, [0x1000, 0x5000, 0x6000, 0, 0, 0], read_string=MEM.read_string)
    assert call == '[pid 1] execve("/etc/passwd", 0x5000, 0x6000)'


def test_unknown_syscall_number():
    line = format_line(7, 1000, [1, 2, 0xff, 0, 0, 0], neg(-38))
    assert line == ("[pid 7] syscall_1000(0x1, 0x2, 0xff, 0x0, 0x0, 0x0)"
                    " = -1 ENOSYS (Function not implemented)")


def test_mmap_result_in_hex():
    line = format_line(1, 9, [0, 8192, 3, 0x22, neg(-1), 0], 0x7f12a4b3c000)
    assert line == ("[pid 1] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
                    " = 0x7f12a4b3c000")
    assert format_result(9, neg(-12)) == " = -1 ENOMEM (Cannot allocate memory)"


def test_exit_group_does_not_return():
    assert format_line(1, 231, [0] * 6, None) == "[pid 1] exit_group(0) = ?"
    assert format_result(231, 0) == " = ?"
    assert format_result(60, 0) == " = ?"


def test_note_appended():
    line = format_line(2, 425, [8, 0x7000, 0, 0, 0, 0], neg(-38),
                       note="(denied: io_uring_setup is not supported)")
    assert line == ("[pid 2] io_uring_setup(8, 0x7000) = -1 ENOSYS (Function not implemented)"
                    "  (denied: io_uring_setup is not supported)")


def test_flag_tables():
    assert format_call(1, 21, [0x1000, 6, 0, 0, 0, 0], read_string=MEM.read_string) == \
        '[pid 1] access("/etc/passwd", R_OK|W_OK)'
    assert format_call(1, 21, [0x1000, 0, 0, 0, 0, 0], read_string=MEM.read_string) == \
        '[pid 1] access("/etc/passwd", F_OK)'
    assert format_call(1, 61, [neg(-1), 0x7000, 1, 0, 0, 0]) == \
        "[pid 1] wait4(-1, 0x7000, WNOHANG, NULL)"
    assert format_call(1, 72, [3, 3, 0, 0, 0, 0]) == "[pid 1] fcntl(3, F_GETFL)"
    assert format_call(1, 72, [3, 2, 1, 0, 0, 0]) == "[pid 1] fcntl(3, F_SETFD, FD_CLOEXEC)"
    assert format_call(1, 16, [0, 0x5401, 0x7000, 0, 0, 0]) == "[pid 1] ioctl(0, TCGETS, 0x7000)"
    assert format_call(1, 16, [0, 0x540F, 0x7000, 0, 0, 0]) == "[pid 1] ioctl(0, TIOCGPGRP, 0x7000)"
    assert format_call(1, 14, [2, 0, 0x7000, 8, 0, 0]) == \
        "[pid 1] rt_sigprocmask(SIG_SETMASK, NULL, 0x7000, 8)"
    assert format_call(1, 13, [2, 0x7000, 0, 8, 0, 0]) == \
        "[pid 1] rt_sigaction(SIGINT, 0x7000, NULL, 8)"
    assert format_call(1, 56, [0x01200011, 0, 0, 0x7000, 0, 0]) == \
        "[pid 1] clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, NULL, NULL, 0x7000, 0)"
    assert format_call(1, 262, [neg(-100), 0x1000, 0x7000, 0x100, 0, 0],
                       read_string=MEM.read_string) == \
        '[pid 1] newfstatat(AT_FDCWD, "/etc/passwd", 0x7000, AT_SYMLINK_NOFOLLOW)'
    assert format_call(1, 90, [0x1000, 0o755, 0, 0, 0, 0], read_string=MEM.read_string) == \
        '[pid 1] chmod("/etc/passwd", 0755)'


def test_write_buffer_shown_with_read_bytes():
    mem = GuestMemory({0x8000: b"hi\n"})
    assert format_line(1, 1, [1, 0x8000, 3, 0, 0, 0], 3, read_bytes=mem.read_bytes) == \
        '[pid 1] write(1, "hi\\n", 3) = 3'
    assert format_call(1, 1, [1, 0x8000, 3, 0, 0, 0]) == "[pid 1] write(1, 0x8000, 3)"
