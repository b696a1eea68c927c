"""cffi build script for the C helper (csrc/*.c, one interface csrc/helper.h).

setup.py names it in ``cffi_modules``, so ``pip install`` compiles the helper
into ``umlpy._helper``.  The sources are split by role: spawn, stop, memory,
notify, answer and host.  The cdef is the body of csrc/helper.h with the
preprocessor lines removed and the kernel's register struct spelled out.
"""
from pathlib import Path

from cffi import FFI

CSRC = Path(__file__).resolve().parent.parent / "csrc"
SOURCES = ["spawn.c", "stop.c", "memory.c", "notify.c", "answer.c", "host.c"]

REGS = """
struct user_regs_struct {
    unsigned long long r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8,
        rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss,
        fs_base, gs_base, ds, es, fs, gs;
};
"""


def _cdef() -> str:
    lines = [l for l in (CSRC / "helper.h").read_text().splitlines()
             if not l.lstrip().startswith("#")]
    return REGS + "\n".join(lines)


ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "umlpy._helper",
    '#include "helper.h"',
    sources=[str(CSRC / name) for name in SOURCES],
    include_dirs=[str(CSRC)],
    extra_compile_args=["-O2", "-Wall"],
)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(CSRC.parent / "build"), verbose=False)
