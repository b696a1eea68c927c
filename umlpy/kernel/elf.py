"""binfmt_elf's first look at a program: is this an x86-64 ELF the host may run, and what is its PT_INTERP?

Linux's load_elf_binary (fs/binfmt_elf.c) reads the 64-byte ELF header and the
program header table, and nothing else, before it commits to an exec.  The
guest kernel does the same checks before it lets the host execute a guest
file: the magic, ELFCLASS64, little-endian, EM_X86_64, ET_EXEC or ET_DYN, a
sane program header table (elf_read_phdrs: the table's size at most 64 KiB
and entries of the native size), at least one PT_LOAD, no segment beyond the
file's end, and a PT_INTERP that is a NUL-terminated path shorter than
PATH_MAX.  Anything else is ENOEXEC, as on Linux.  The class and byte-order
bytes are checked too, which Linux's x86-64 loader does not look at: such a
file is malformed, and refusing it keeps the guest kernel's reading of the
headers the same as the host's.

It is a few struct reads rather than pyelftools: an exec must not pay for
importing a general ELF library (about 22 ms of start-up) or for building its
objects (about a millisecond per file).  The rootfs builder, which needs the
dynamic section, keeps pyelftools.
"""
from __future__ import annotations

import errno
import os
import struct

from umlpy.abi.errno import KernelError

ELF_MAGIC = b"\x7fELF"
ELFCLASS64, ELFDATA2LSB = 2, 1
ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62
PT_LOAD, PT_INTERP = 1, 3
PATH_MAX = 4096
PHDRS_MAX = 65536                     # elf_read_phdrs refuses a bigger table

# Elf64_Ehdr from e_type on (after the 16 bytes of e_ident), and Elf64_Phdr
_EHDR = struct.Struct("<HHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")


def _noexec(path: str, why: str) -> KernelError:
    return KernelError(errno.ENOEXEC, f"{path}: {why}")


def read_interp(fd: int, path: str) -> str | None:
    """Check the ELF behind `fd` as binfmt_elf would; return its PT_INTERP path, or None if static."""
    head = os.pread(fd, 64, 0)
    if len(head) < 64 or head[:4] != ELF_MAGIC:
        raise _noexec(path, "not an ELF file")
    if head[4] != ELFCLASS64 or head[5] != ELFDATA2LSB:
        raise _noexec(path, f"not a 64-bit little-endian ELF (class {head[4]}, data {head[5]})")
    (e_type, e_machine, _version, _entry, e_phoff, _shoff, _flags, _ehsize,
     e_phentsize, e_phnum, _shentsize, _shnum, _shstrndx) = _EHDR.unpack_from(head, 16)
    if e_machine != EM_X86_64:
        raise _noexec(path, f"not an x86-64 ELF (machine {e_machine})")
    if e_type not in (ET_EXEC, ET_DYN):
        raise _noexec(path, f"ELF type {e_type} is not executable")
    if e_phentsize != _PHDR.size or not 0 < e_phnum * e_phentsize <= PHDRS_MAX:
        raise _noexec(path, f"bad program header table ({e_phnum} entries of {e_phentsize} bytes)")
    table = os.pread(fd, e_phnum * e_phentsize, e_phoff)
    if len(table) != e_phnum * e_phentsize:
        raise _noexec(path, "truncated ELF (program headers)")
    size = os.fstat(fd).st_size
    interp, loads = None, 0
    for p_type, _flags, p_offset, _vaddr, _paddr, p_filesz, _memsz, _align in _PHDR.iter_unpack(table):
        if p_offset + p_filesz > size:
            raise _noexec(path, "truncated ELF")
        if p_type == PT_LOAD:
            loads += 1
        elif p_type == PT_INTERP and interp is None:
            interp = _interp_name(fd, path, p_offset, p_filesz)
    if loads == 0:
        raise _noexec(path, "ELF has nothing to load")
    return interp


def _interp_name(fd: int, path: str, offset: int, size: int) -> str:
    # load_elf_binary: 2 <= p_filesz <= PATH_MAX, and the string ends with its NUL
    if not 2 <= size <= PATH_MAX:
        raise _noexec(path, f"PT_INTERP of {size} bytes")
    raw = os.pread(fd, size, offset)
    if len(raw) != size or raw[-1] != 0:
        raise _noexec(path, "PT_INTERP is not NUL-terminated")
    return raw[:-1].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
