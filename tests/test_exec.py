"""execve end to end: static/dynamic and PIE/non-PIE programs, `#!` scripts
(nested), argv and envp passed intact, the bad programs (32-bit, truncated,
non-ELF, missing, directory, ...) with their errno and trace line,
close-on-exec, bad pointers, and PT_INTERP resolved in the guest only.

Guest programs report what they saw; a launcher (`exec_try`) calls execve
itself, so that the errno comes from our execve and not from a shell that
retries a failed exec as a script.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from conftest import C_PRELUDE, builder, run, sh
from umlpy import Sandbox, SandboxError

PRELUDE = C_PRELUDE

# Prints what the program was given: argc, every argv and envp string (with
# its length and a checksum, so long strings need not be echoed), its pid and
# the address of main (to tell PIE from non-PIE).
PRINTARGS = r"""
static void show(const char *what, int i, const char *s) {
    size_t n = strlen(s); unsigned sum = 0;
    for (size_t k = 0; k < n; k++) sum = sum * 31 + (unsigned char)s[k];
    if (n <= 200 && !strchr(s, '\n')) printf("%s[%d]=%zu:%u:%s\n", what, i, n, sum, s);
    else printf("%s[%d]=%zu:%u:\n", what, i, n, sum);
}
int main(int argc, char **argv, char **envp) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) show("argv", i, argv[i]);
    int n = 0;
    for (char **e = envp; *e; e++) show("env", n++, *e);
    printf("envc=%d\npid=%d\nmain=%#lx\n", n, getpid(), (unsigned long)&main);
    return 0;
}
"""

# exec_try [-e ENV]... [-c DIR] PATH ARG0 ARG...: execve(PATH, ARG0..., ENVs or environ)
EXEC_TRY = r"""
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char *env[256]; int ne = 0, i = 1, own_env = 0;
    for (;;) {
        if (i + 1 < argc && !strcmp(argv[i], "-e")) { env[ne++] = argv[i + 1]; own_env = 1; i += 2; }
        else if (i + 1 < argc && !strcmp(argv[i], "-c")) { chdir(argv[i + 1]); i += 2; }
        else break;
    }
    env[ne] = NULL;
    execve(argv[i], argv + i + 1, own_env ? env : environ);
    printf("execve=%s\n", strerrorname_np(errno));
    return 100;
}
"""

FAKE_INTERP = r"""
int main(int argc, char **argv) { printf("fake interpreter ran\n"); return 42; }
"""


def sumof(s: bytes) -> int:
    h = 0
    for c in s:
        h = (h * 31 + c) & 0xFFFFFFFF
    return h


def parse(out: str) -> tuple[list[str], list[str], dict[str, str]]:
    """argv and envp as printed by PRINTARGS (long strings as 'LEN:SUM:'), plus scalars."""
    argv, env, d = [], [], {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        if k.startswith("argv["):
            argv.append(v)
        elif k.startswith("env["):
            env.append(v)
        else:
            d[k] = v
    return argv, env, d


def enc(s: str | bytes) -> str:
    b = s.encode() if isinstance(s, str) else s
    if len(b) <= 200 and b"\n" not in b:
        return f"{len(b)}:{sumof(b)}:{b.decode()}"
    return f"{len(b)}:{sumof(b)}:"




@pytest.fixture
def build(cc):
    return builder(cc, "")


@pytest.fixture
def exec_try(build):
    return build("exec_try", EXEC_TRY, static=True)


@pytest.fixture
def printargs(build):
    return build("exec_printargs_s", PRINTARGS, static=True)


@pytest.fixture
def put(progs):
    """put(name, data, mode=0o755) -> guest path of a file written into /t."""
    def put_(name: str, data: bytes | str, mode: int = 0o755) -> str:
        p = progs / name
        if isinstance(data, str):
            data = data.encode()
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)
        p.chmod(mode)
        return f"/t/{name}"
    return put_


@pytest.fixture
def traced(rootfs, progs):
    """A strict-mode sandbox writing its trace to a StringIO (sb.trace)."""
    with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")], trace=io.StringIO()) as sb:
        yield sb


def host(progs: Path, guest: str) -> Path:
    return progs / guest.removeprefix("/t/")


# ------------------------------------------------ static/dynamic x PIE/non-PIE
KINDS = {
    "static": dict(static=True, flags=()),
    "static_pie": dict(static=False, flags=("-static-pie",)),
    "dynamic_pie": dict(static=False, flags=("-pie",)),
    "dynamic_nopie": dict(static=False, flags=("-no-pie",)),
}


def elf_facts(path: Path) -> tuple[str, bool, int]:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        interp = any(s["p_type"] == "PT_INTERP" for s in elf.iter_segments())
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name("main")[0]
        return elf["e_type"], interp, sym["st_value"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_program_kinds_run_as_init_and_by_execve(sandbox, build, progs, exec_try, kind):
    prog = build(f"exec_printargs_{kind}", PRINTARGS, **KINDS[kind])
    etype, has_interp, main_addr = elf_facts(host(progs, prog))
    assert etype == ("ET_EXEC" if kind in ("static", "dynamic_nopie") else "ET_DYN")
    assert has_interp == kind.startswith("dynamic")

    args = ["first", "", "two words", "tab\there", "ünï"]
    for how in ("init", "execve"):
        if how == "init":
            r = run(sandbox, [prog, *args], env={"K": "v", "EMPTY": ""})
        else:
            r = run(sandbox, [exec_try, "-e", "K=v", "-e", "EMPTY=", prog, prog, *args])
        assert r.returncode == 0, (how, r.stderr)
        argv, env, d = parse(r.stdout)
        assert argv == [enc(a) for a in [prog, *args]], how
        assert env == [enc("K=v"), enc("EMPTY=")], how
        assert d["pid"] == "1"                  # exec keeps the pid
        if etype == "ET_EXEC":
            assert int(d["main"], 16) == main_addr   # loaded where it was linked
        else:
            assert int(d["main"], 16) != main_addr   # relocated


@pytest.mark.parametrize("kind", ["static", "dynamic_pie"])
def test_argv0_need_not_be_the_path(sandbox, build, exec_try, kind):
    prog = build(f"exec_printargs_{kind}", PRINTARGS, **KINDS[kind])
    r = run(sandbox, [exec_try, prog, "some-name", "x"])
    assert parse(r.stdout)[0] == [enc("some-name"), enc("x")]


@pytest.mark.parametrize("kind", ["static", "dynamic_pie"])
def test_empty_argv_becomes_one_empty_string(sandbox, build, exec_try, kind):
    prog = build(f"exec_printargs_{kind}", PRINTARGS, **KINDS[kind])
    r = run(sandbox, [exec_try, prog])             # execve(prog, {NULL}, envp)
    argv, _, d = parse(r.stdout)
    assert r.returncode == 0
    assert (d["argc"], argv) == ("1", [enc("")])   # what Linux >= 5.18 does


def test_argv_and_envp_intact_many_long_and_odd_strings(sandbox, build, exec_try):
    prog = build("exec_printargs_dynamic_pie", PRINTARGS, flags=("-pie",))
    long_arg = "L" * 100_000 + "end"
    many = [f"a{i}" for i in range(1000)]
    odd = ["", " ", "-", "--", "x=y", "new\nline", "*", "$HOME", "'q'", "\\"]
    envs = ["A=1", "EMPTY=", "NOEQUALS", "", "DUP=1", "DUP=2", "=startswithequal",
            "LONG=" + "e" * 50_000]
    cmd = [exec_try]
    for e in envs:
        cmd += ["-e", e]
    cmd += [prog, prog, *odd, long_arg, *many]
    r = run(sandbox, cmd)
    assert r.returncode == 0, r.stderr
    argv, env, d = parse(r.stdout)
    assert d["argc"] == str(1 + len(odd) + 1 + len(many))
    assert argv == [enc(a) for a in [prog, *odd, long_arg, *many]]
    assert env == [enc(e) for e in envs]


E2BIG = r"""
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    size_t len = strtoul(argv[2], 0, 0); int n = atoi(argv[3]);
    char **a = calloc(n + 2, sizeof *a);
    a[0] = argv[1];
    for (int i = 1; i <= n; i++) { a[i] = malloc(len + 1); memset(a[i], 'a' + i % 26, len); a[i][len] = 0; }
    execve(argv[1], a, environ);
    printf("execve=%s\n", strerrorname_np(errno));
    return 100;
}
"""


@pytest.mark.parametrize("length,count,expect", [
    (131071, 1, "OK"),            # the longest single string Linux takes (MAX_ARG_STRLEN - 1)
    (131072, 1, "E2BIG"),         # one byte more
    (100_000, 40, "E2BIG"),       # 4 MB in total: more than a quarter of the 8 MB stack
])
def test_argument_size_limits(sandbox, build, printargs, length, count, expect):
    prog = build("exec_e2big", E2BIG, static=True)
    r = run(sandbox, [prog, printargs, str(length), str(count)])
    if expect == "OK":
        assert r.returncode == 0, r.stdout[-300:]
        argv, _, _ = parse(r.stdout)
        assert argv[1].startswith(f"{length}:")
    else:
        assert r.stdout == f"execve={expect}\n"
        assert r.returncode == 100


# ------------------------------------------------------------- #! scripts
def test_shebang_script_gets_interpreter_argument_and_path(sandbox, put, printargs, exec_try):
    s1 = put("exec_s1", f"#!{printargs} ARG1\nignored\n")
    r = run(sandbox, [exec_try, s1, "name", "a", "b"])
    assert r.returncode == 0, r.stdout
    argv, _, _ = parse(r.stdout)
    assert argv == [enc(x) for x in [printargs, "ARG1", s1, "a", "b"]]

    s0 = put("exec_s0", f"#! {printargs}\n")       # no argument, a space before the path
    argv, _, _ = parse(run(sandbox, [exec_try, s0, "name", "a"]).stdout)
    assert argv == [enc(x) for x in [printargs, s0, "a"]]

    s_spaces = put("exec_s_spaces", f"#!{printargs}  one two  three  \n")
    argv, _, _ = parse(run(sandbox, [exec_try, s_spaces, "n"]).stdout)
    assert argv == [enc(x) for x in [printargs, "one two  three", s_spaces]]   # one argument


def test_shebang_tab_separates_interpreter_and_argument(sandbox, put, printargs, exec_try):
    s = put("exec_s_tab", f"#!{printargs}\tTABARG\n")
    r = run(sandbox, [exec_try, s, "n"])
    argv, _, _ = parse(r.stdout)
    assert argv == [enc(x) for x in [printargs, "TABARG", s]]


def test_shebang_script_path_is_the_one_given_to_execve(sandbox, put, printargs, exec_try):
    put("exec_s_rel", f"#!{printargs}\n")
    r = run(sandbox, [exec_try, "-c", "/t", "./exec_s_rel", "n", "x"])
    argv, _, _ = parse(r.stdout)
    assert argv == [enc(x) for x in [printargs, "./exec_s_rel", "x"]]


def test_nested_shebang(sandbox, put, printargs, exec_try):
    s1 = put("exec_n1", f"#!{printargs} L1\n")
    s2 = put("exec_n2", f"#!{s1} L2\n")
    s3 = put("exec_n3", f"#!{s2}\n")
    s4 = put("exec_n4", f"#!{s3} L4\n")
    r = run(sandbox, [exec_try, s2, "n", "x"])
    assert parse(r.stdout)[0] == [enc(a) for a in [printargs, "L1", s1, "L2", s2, "x"]]
    r = run(sandbox, [exec_try, s4, "n", "x"])
    assert r.returncode == 0, r.stdout
    assert parse(r.stdout)[0] == [enc(a) for a in
                                  [printargs, "L1", s1, "L2", s2, s3, "L4", s4, "x"]]


def test_shell_script_and_nested_shell_interpreter(sandbox, put):
    inner = put("exec_sh_inner", '#!/bin/sh\necho "inner:$0:$#:$*"\n')
    outer = put("exec_sh_outer", f"#!{inner} via\n")
    r = sh(sandbox, f"{outer} p q; echo rc=$?")
    assert r.stdout == f"inner:{inner}:4:via {outer} p q\nrc=0\n"


def test_shebang_bad_cases(traced, put, exec_try):
    cases = {
        "ENOENT": put("exec_sb_missing", "#!/nonexistent/interp\n"),
        "EACCES": put("exec_sb_dir", "#!/t\n"),
        "ELOOP": put("exec_sb_loop", "#!/t/exec_sb_loop\n"),
        "ENOEXEC": put("exec_sb_empty", "#!\n"),
    }
    for err, path in cases.items():
        r = run(traced, [exec_try, path, "n"])
        assert r.stdout == f"execve={err}\n", path
        assert r.returncode == 100
    lines = [line for line in traced.trace.getvalue().splitlines() if "execve(" in line]
    for err, path in cases.items():
        assert any(f'"{path}"' in line and err in line for line in lines), (err, lines)


# ---------------------------------------------------------------- bad ELFs
M32_ASM = ".globl _start\n_start: movl $1,%eax\nmovl $7,%ebx\nint $0x80\n"


@pytest.fixture
def bad_programs(progs, put, printargs):
    """errno -> guest path, for programs the host must never be asked to run."""
    real = host(progs, printargs).read_bytes()
    elf32 = bytearray(real)
    elf32[4] = 1                                   # EI_CLASS = ELFCLASS32
    arm = bytearray(real)
    arm[18:20] = (183).to_bytes(2, "little")       # e_machine = EM_AARCH64
    rel = bytearray(real)
    rel[16:18] = (1).to_bytes(2, "little")         # e_type = ET_REL
    phent = bytearray(real)
    phent[54:56] = (40).to_bytes(2, "little")      # e_phentsize is not sizeof(Elf64_Phdr)
    big_endian = bytearray(real)
    big_endian[5] = 2                              # EI_DATA = ELFDATA2MSB
    bad = {
        "phentsize": ("ENOEXEC", put("exec_bad_phent", bytes(phent))),
        "big_endian": ("ENOEXEC", put("exec_bad_msb", bytes(big_endian))),
        "elf32_patched": ("ENOEXEC", put("exec_bad_elf32", bytes(elf32))),
        "aarch64": ("ENOEXEC", put("exec_bad_arm", bytes(arm))),
        "relocatable": ("ENOEXEC", put("exec_bad_rel", bytes(rel))),
        "truncated": ("ENOEXEC", put("exec_bad_trunc", real[:100])),
        "truncated_4k": ("ENOEXEC", put("exec_bad_trunc4k", real[:4096])),
        "text": ("ENOEXEC", put("exec_bad_text", "echo fallback-ran\n")),
        "empty": ("ENOEXEC", put("exec_bad_empty", b"")),
        "elf_magic_only": ("ENOEXEC", put("exec_bad_magic", b"\x7fELF")),
        "missing": ("ENOENT", "/t/exec_no_such_file"),
        "directory": ("EACCES", "/t"),
        "not_executable": ("EACCES", put("exec_bad_noexec", real, mode=0o644)),
        "device": ("EACCES", "/dev/null"),
        "notdir": ("ENOTDIR", printargs + "/x"),
        "empty_path": ("ENOENT", ""),
        "too_long": ("ENAMETOOLONG", "/" + "x" * 5000),
    }
    asm = progs / "exec_m32.S"
    asm.write_text(M32_ASM)
    m32 = progs / "exec_bad_m32"
    if m32.exists() or subprocess.run(["gcc", "-m32", "-nostdlib", "-static", "-o", str(m32), str(asm)],
                                      capture_output=True).returncode == 0:
        assert subprocess.run([str(m32)]).returncode == 7     # a real, working i386 program
        bad["elf32_real"] = ("ENOEXEC", "/t/exec_bad_m32")
    return bad


def test_bad_programs_fail_execve_with_errno_and_trace_line(traced, exec_try, bad_programs):
    got = {}
    for name, (err, path) in bad_programs.items():
        r = run(traced, [exec_try, path, "n"])
        got[name] = (r.stdout, r.returncode)
    want = {name: (f"execve={err}\n", 100) for name, (err, _) in bad_programs.items()}
    assert got == want
    lines = [line for line in traced.trace.getvalue().splitlines() if "execve(" in line]
    for name, (err, path) in bad_programs.items():
        shown = f'execve("{path}"' if len(path) < 30 else "execve("   # too long to be shown
        assert any(shown in line and f"= -1 {err}" in line for line in lines), (name, err, lines)


def test_bad_programs_in_non_strict_mode_too(sandbox, exec_try, bad_programs):
    for name, (err, path) in bad_programs.items():
        r = run(sandbox, [exec_try, path, "n"])
        assert (name, r.stdout) == (name, f"execve={err}\n")


def test_shell_falls_back_to_script_on_enoexec(sandbox, bad_programs):
    _, text = bad_programs["text"]
    r = sh(sandbox, f"{text}; echo rc=$?")
    assert r.stdout == "fallback-ran\nrc=0\n"
    _, trunc = bad_programs["truncated"]
    r = sh(sandbox, f"{trunc}; echo rc=$?")
    assert f"{trunc}: line 1: \x7fELF" in r.stderr     # ENOEXEC: busybox read it as a script
    assert r.stdout == "rc=127\n"


def test_bad_program_as_init(sandbox, rootfs, progs, bad_programs):
    for name in ("elf32_patched", "truncated", "missing", "directory"):
        err, path = bad_programs[name]
        with pytest.raises(SandboxError):
            sandbox.run([path])
        cli = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs),
                              "-v", f"{progs}:/t:ro", "--", path],
                             capture_output=True, text=True, timeout=30)
        assert cli.returncode == (127 if err == "ENOENT" else 126), (name, cli.stderr)
        assert len(cli.stderr.strip().splitlines()) == 1, cli.stderr


def test_failed_execve_leaves_the_caller_intact(sandbox, build, bad_programs, printargs):
    prog = build("exec_failkeep", r"""
    static int nfds(void) { int n = 0; for (int fd = 0; fd < 1024; fd++) if (fcntl(fd, F_GETFD) >= 0) n++; return n; }
    int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IONBF, 0);
        int keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int before = nfds();
        char *a[] = {"x", NULL};
        for (int i = 1; i < argc - 1; i++) {
            int r = execve(argv[i], a, environ);
            printf("%s=%s\n", argv[i], ERR(r));
        }
        printf("fds=%d %d\ncloexec_kept=%d\n", before, nfds(), fcntl(keep, F_GETFD) == FD_CLOEXEC);
        execve(argv[argc - 1], a, environ);          /* finally a good one */
        return 99;
    }""", static=False)
    paths = [p for _, p in bad_programs.values() if p]
    r = run(sandbox, [prog, *paths, printargs])
    assert r.returncode == 0, r.stdout
    out = r.stdout
    before, after = out.split("fds=")[1].split("\n")[0].split()
    assert before == after                     # nothing leaked by the failed attempts
    assert "cloexec_kept=1" in out             # close-on-exec only happens on success
    assert "argv[0]=1:" in out and "pid=1" in out


# ------------------------------------------------------ PT_INTERP in the guest
def test_pt_interp_is_resolved_in_the_guest(sandbox, build, progs, exec_try):
    fake = build("exec_fake_interp", FAKE_INTERP, static=True)
    prog = build("exec_wants_fake_interp", PRINTARGS, flags=(f"-Wl,--dynamic-linker={fake}",))
    r = run(sandbox, [exec_try, prog, "p"])
    assert r.stdout == "fake interpreter ran\n"
    assert r.returncode == 42


def test_pt_interp_naming_a_host_path_is_enoent(sandbox, build, progs, exec_try, tmp_path):
    fake = build("exec_fake_interp", FAKE_INTERP, static=True)
    host_only = tmp_path / "host-only-interp"
    shutil.copy(host(progs, fake), host_only)      # exists on the host, not in the guest
    assert subprocess.run([str(host_only)], capture_output=True).returncode == 42
    prog = build("exec_wants_host_interp", PRINTARGS, flags=(f"-Wl,--dynamic-linker={host_only}",))
    missing = build("exec_wants_no_interp", PRINTARGS, flags=("-Wl,--dynamic-linker=/lib/no-such-ld.so",))
    r = run(sandbox, [exec_try, prog, "p"])
    assert r.stdout == "execve=ENOENT\n"
    r = run(sandbox, [exec_try, missing, "p"])
    assert r.stdout == "execve=ENOENT\n"


# ------------------------------------------------------------ close-on-exec
LSFD = r"""
int main(void) {
    printf("open=");
    for (int fd = 0; fd < 1024; fd++) if (fcntl(fd, F_GETFD) >= 0) printf("%d,", fd);
    printf("\n");
    return 0;
}
"""

CLOEXEC = r"""
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int b = open("/dev/null", O_RDONLY);
    int c = fcntl(b, F_DUPFD_CLOEXEC, 20);
    int d = dup(b); fcntl(d, F_SETFD, FD_CLOEXEC);
    int e = dup3(b, 30, O_CLOEXEC);
    int f = dup2(a, 31);                        /* dup2 clears close-on-exec */
    int p[2]; pipe2(p, O_CLOEXEC);
    int q[2]; pipe(q);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int ev = eventfd(0, EFD_CLOEXEC);
    int m = memfd_create("m", MFD_CLOEXEC);
    int g = open("/dev/null", O_RDONLY | O_CLOEXEC); fcntl(g, F_SETFD, 0);   /* cleared again */
    printf("closed=%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", a, c, d, e, p[0], p[1], s, ep, ev, m);
    printf("kept=%d,%d,%d,%d,%d\n", b, f, q[0], q[1], g);
    char *args[] = {argv[1], NULL};
    execve(argv[1], args, environ);
    printf("execve=%s\n", ERR(-1));
    return 100;
}
"""


def fdset(s: str) -> set[int]:
    return {int(x) for x in s.strip(",").split(",") if x}


@pytest.mark.parametrize("static", [True, False], ids=["static", "dynamic"])
def test_close_on_exec_is_honoured(sandbox, build, static):
    lsfd = build(f"exec_lsfd_{'s' if static else 'd'}", LSFD, static=static)
    prog = build("exec_cloexec", CLOEXEC, static=True)
    r = run(sandbox, [prog, lsfd])
    assert r.returncode == 0, r.stdout
    d = dict(line.split("=", 1) for line in r.stdout.splitlines())
    closed, kept = fdset(d["closed"]), fdset(d["kept"])
    assert len(closed) == 10 and len(kept) == 5 and -1 not in closed | kept
    assert fdset(d["open"]) == {0, 1, 2} | kept


@pytest.mark.parametrize("static", [True, False], ids=["static", "dynamic"])
def test_guest_init_starts_with_only_stdio(sandbox, build, exec_try, static):
    lsfd = build(f"exec_lsfd_{'s' if static else 'd'}", LSFD, static=static)
    assert run(sandbox, [lsfd]).stdout == "open=0,1,2,\n"
    # and an execve from the guest adds nothing of the supervisor's
    assert run(sandbox, [exec_try, lsfd, "x"]).stdout == "open=0,1,2,\n"
    assert sh(sandbox, f"{lsfd}; true").stdout == "open=0,1,2,\n"


# ------------------------------------------------------------- bad pointers
EXEC_EFAULT = r"""
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char *ok[] = {"x", NULL};
    char *badarg[] = {"x", BAD, NULL};
    char *badenv[] = {"A=1", BAD, NULL};
    const char *prog = "/t/exec_printargs_s";
    printf("path=%s\n", ERR(syscall(SYS_execve, BAD, ok, environ)));
    printf("path_kernel=%s\n", ERR(syscall(SYS_execve, (void *)0xffffffffff600000UL, ok, environ)));
    printf("argv=%s\n", ERR(syscall(SYS_execve, prog, BAD, environ)));
    printf("argv_elem=%s\n", ERR(syscall(SYS_execve, prog, badarg, environ)));
    printf("envp=%s\n", ERR(syscall(SYS_execve, prog, ok, BAD)));
    printf("envp_elem=%s\n", ERR(syscall(SYS_execve, prog, ok, badenv)));
    printf("execveat_path=%s\n", ERR(syscall(SYS_execveat, AT_FDCWD, BAD, ok, environ, 0)));
    printf("alive=%d\n", getpid());
    return 0;
}
"""


def test_execve_bad_pointers_are_efault(sandbox, build, printargs):
    prog = build("exec_efault", EXEC_EFAULT, static=True)
    r = run(sandbox, [prog])
    assert r.returncode == 0, r.stderr
    d = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert d == {"path": "EFAULT", "path_kernel": "EFAULT", "argv": "EFAULT",
                 "argv_elem": "EFAULT", "envp": "EFAULT", "envp_elem": "EFAULT",
                 "execveat_path": "EFAULT", "alive": "1"}


# --------------------------------------------------------------- execveat
EXECVEAT = r"""
/* each attempt in its own child, so that one that wrongly succeeds hides nothing */
#define TRY(name, call) do { pid_t c = fork(); if (c == 0) { long r = (call); \
    printf(name "=%s\n", ERR(r)); _exit(0); } waitpid(c, NULL, 0); } while (0)
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char *a[] = {"viafd", "x", NULL};
    char *q[] = {"quiet", NULL};
    int dir = open("/t", O_RDONLY | O_DIRECTORY);
    int nonexec = open("/dev/null", O_RDONLY);
    TRY("badfd", syscall(SYS_execveat, 999, "exec_printargs_s", q, environ, 0));
    TRY("notdirfd", syscall(SYS_execveat, nonexec, "exec_printargs_s", q, environ, 0));
    TRY("dir_empty", syscall(SYS_execveat, dir, "", q, environ, AT_EMPTY_PATH));
    TRY("empty_noflag", syscall(SYS_execveat, dir, "", q, environ, 0));
    TRY("badflags", syscall(SYS_execveat, dir, "exec_printargs_s", q, environ, 0x80000));
    TRY("nofollow", syscall(SYS_execveat, AT_FDCWD, "/bin/sh", q, environ, AT_SYMLINK_NOFOLLOW));
    if (!strcmp(argv[1], "fexecve")) {
        int fd = open("/t/exec_printargs_s", O_RDONLY);
        fexecve(fd, a, environ);
    } else {
        syscall(SYS_execveat, dir, "exec_printargs_s", a, environ, 0);
    }
    printf("execveat=%s\n", ERR(-1));
    return 100;
}
"""


@pytest.mark.parametrize("how", ["relative", "fexecve"])
def test_execveat_and_fexecve(sandbox, build, printargs, how):
    prog = build("exec_execveat", EXECVEAT, static=True)
    r = run(sandbox, [prog, how])
    assert r.returncode == 0, r.stdout
    argv, _, d = parse(r.stdout)
    assert d["badfd"] == "EBADF"
    assert d["notdirfd"] == "ENOTDIR"
    assert d["dir_empty"] == "EACCES"
    assert argv[-2:] == [enc("viafd"), enc("x")]
    assert d["pid"] == "1"


def test_execveat_checks_its_flags(sandbox, build, printargs):
    r = run(sandbox, [build("exec_execveat", EXECVEAT, static=True), "relative"])
    d = parse(r.stdout)[2]
    assert r.stdout.count("argc=") == 1       # only the last, good execveat ran a program
    assert d.get("badflags") == "EINVAL"
    assert d.get("nofollow") == "ELOOP"       # /bin/sh is a symlink to busybox in the rootfs


def test_execveat_empty_path_without_at_empty_path_is_enoent(sandbox, build, printargs):
    d = parse(run(sandbox, [build("exec_execveat", EXECVEAT, static=True), "relative"]).stdout)[2]
    assert d.get("empty_noflag") == "ENOENT"


# --------------------------------------------------------- pids across exec
def test_exec_keeps_pid_and_parent(sandbox, build):
    ids = build("exec_ids", r"""
    int main(void) { printf("%d %d\n", getpid(), getppid()); return 0; }""", static=False)
    r = sh(sandbox, f"echo $$ $PPID; exec {ids}")
    assert r.stdout == "1 0\n1 0\n"
    r = sh(sandbox, f"sh -c 'echo $$ $PPID; exec {ids}'; true")
    first, second = r.stdout.splitlines()
    assert first == second and first.split()[1] == "1" and first.split()[0] != "1"


def test_exec_many_times_in_a_row(sandbox, build):
    prog = build("exec_again", r"""
    int main(int argc, char **argv) {
        int n = atoi(argv[1]);
        if (n == 0) { printf("done pid=%d\n", getpid()); return 5; }
        char b[16]; snprintf(b, sizeof b, "%d", n - 1);
        char *a[] = {argv[0], b, NULL};
        execv(argv[0], a);
        return 100;
    }""", static=False)
    r = run(sandbox, [prog, "40"], timeout=30)
    assert r.stdout == "done pid=1\n"
    assert r.returncode == 5


def test_exec_via_path_search_and_relative_path(sandbox, printargs):
    r = sh(sandbox, "cd /t && ./exec_printargs_s rel && PATH=/nonexistent:/t exec_printargs_s viapath")
    argv = [a for a in parse(r.stdout)[0]]
    assert argv == [enc("./exec_printargs_s"), enc("rel"), enc("exec_printargs_s"), enc("viapath")]
    r = sh(sandbox, "PATH=/nonexistent exec_printargs_s; echo rc=$?")
    assert r.stdout.endswith("rc=127\n")


# ------------------------------------------------- programs on writable layers
def test_exec_programs_copied_to_tmp_and_the_overlay(sandbox, build, printargs):
    dyn = build("exec_printargs_dynamic_pie", PRINTARGS, flags=("-pie",))
    r = sh(sandbox, f"""
        cp {printargs} /tmp/ps && cp {dyn} /tmp/pd && cp {dyn} /root/pd && chmod +x /tmp/ps /tmp/pd /root/pd &&
        printf '#!/tmp/pd S\\n' > /tmp/script && chmod +x /tmp/script &&
        ln -s /tmp/pd /tmp/link &&
        /tmp/ps a && /tmp/pd b && /root/pd c && /tmp/script d && /tmp/link e""")
    assert r.returncode == 0, r.stderr
    argv0s = [line for line in r.stdout.splitlines() if line.startswith("argv[")]
    assert argv0s == [f"argv[0]={enc('/tmp/ps')}", f"argv[1]={enc('a')}",
                      f"argv[0]={enc('/tmp/pd')}", f"argv[1]={enc('b')}",
                      f"argv[0]={enc('/root/pd')}", f"argv[1]={enc('c')}",
                      f"argv[0]={enc('/tmp/pd')}", f"argv[1]={enc('S')}",
                      f"argv[2]={enc('/tmp/script')}", f"argv[3]={enc('d')}",
                      f"argv[0]={enc('/tmp/link')}", f"argv[1]={enc('e')}"]


def test_exec_honours_mode_bits_set_in_the_guest(sandbox, printargs):
    r = sh(sandbox, f"cp {printargs} /tmp/p && chmod 644 /tmp/p && /tmp/p; echo rc=$?; "
                    f"chmod 755 /tmp/p && /tmp/p >/dev/null; echo rc=$?")
    assert r.stdout == "rc=126\nrc=0\n"


def test_exec_of_a_file_open_for_writing_is_etxtbsy(sandbox, build, printargs):
    prog = build("exec_txtbsy", r"""
    int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IONBF, 0);
        int in = open(argv[1], O_RDONLY), out = open("/tmp/copy", O_WRONLY | O_CREAT | O_TRUNC, 0755);
        char buf[65536]; ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
        char *a[] = {"/tmp/copy", NULL};
        pid_t c = fork();
        if (c == 0) { execve("/tmp/copy", a, environ); printf("open_for_write=%s\n", strerrorname_np(errno)); _exit(1); }
        waitpid(c, NULL, 0);
        close(out);
        c = fork();
        if (c == 0) { execve("/tmp/copy", a, environ); _exit(1); }
        int st; waitpid(c, &st, 0);
        printf("after_close=%d\n", WEXITSTATUS(st));
        return 0;
    }""", static=True)
    r = run(sandbox, [prog, printargs])
    d = dict(line.split("=", 1) for line in r.stdout.splitlines() if line.count("=") == 1)
    assert d["open_for_write"] == "ETXTBSY"
    assert d["after_close"] == "0"
