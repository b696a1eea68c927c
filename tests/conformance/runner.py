"""The differential conformance runner: each case runs on the host's own kernel and
under umlpy, and what the two printed is compared, as gVisor's test/syscalls runs
one test natively and under runsc.

A case is a C program in cases/FAMILY/NAME.c that includes case.h and prints
what it observes.  Its first comment says what Linux does, and may declare:

    differs: REGEX -- why      lines matching REGEX are left out of the comparison
                               (inode numbers, say), in both outputs
    gap: why                   umlpy is known to differ here, for the reason given;
                               the case is an expected failure until that is fixed
    root: why                  the native run needs real root (as an ordinary user it
                               runs as root of a user namespace that maps one id
                               only): skipped there, for that reason

Any other difference fails the case.  The native run is in a throw-away root,
made from the same userland as the guest's: a copy of umlpy's default rootfs,
entered with unshare (new PID, mount, UTS, IPC and network namespaces; as an
ordinary user, a user namespace too, where the user is root) and chroot, with a
fresh /proc, the host's /dev and a tmpfs /tmp.  Under umlpy the same binary runs
in a Sandbox on that root, as guest root.  Binaries are static, built once and
cached by the hash of their source.

    python3 tests/conformance/runner.py              # every case; a table per family
    python3 tests/conformance/runner.py NAME...      # these cases, with both outputs
    python3 tests/conformance/runner.py --family F   # one family
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
HEADER = HERE / "case.h"
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C"}
TIMEOUT = 20
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"


@dataclass
class Case:
    """One case: its source, family, and what it declares."""
    name: str
    family: str
    source: Path
    differs: list[tuple[re.Pattern, str]] = field(default_factory=list)
    gap: str = ""
    root: str = ""
    doc: str = ""

    @classmethod
    def load(cls, path: Path) -> "Case":
        text = path.read_text()
        m = re.match(r"\s*/\*(.*?)\*/", text, re.S)
        head = [line.strip().lstrip("*").strip() for line in (m.group(1) if m else "").splitlines()]
        case = cls(path.stem, path.parent.name, path)
        doc = []
        for line in head:
            if line.startswith("differs:"):
                pattern, _, why = line[len("differs:"):].partition(" -- ")
                case.differs.append((re.compile(pattern.strip()), why.strip()))
            elif line.startswith("gap:"):
                case.gap = line[len("gap:"):].strip()
            elif line.startswith("root:"):
                case.root = line[len("root:"):].strip()
            elif line:
                doc.append(line)
        case.doc = " ".join(doc)
        return case

    def keep(self, output: str) -> list[str]:
        """The lines the comparison looks at."""
        return [line for line in output.splitlines()
                if not any(p.search(line) for p, _ in self.differs)]


@dataclass
class Result:
    case: Case
    native: tuple[int, str]
    umlpy: tuple[int, str]

    @property
    def same(self) -> bool:
        return (self.native[0] == self.umlpy[0]
                and self.case.keep(self.native[1]) == self.case.keep(self.umlpy[1]))

    @property
    def verdict(self) -> str:
        if self.same:
            return "gap fixed" if self.case.gap else "pass"
        return "gap" if self.case.gap else "FAIL"

    def diff(self) -> str:
        n = [f"exit {self.native[0]}", *self.case.keep(self.native[1])]
        u = [f"exit {self.umlpy[0]}", *self.case.keep(self.umlpy[1])]
        return "\n".join(difflib.unified_diff(n, u, "native", "umlpy", lineterm=""))


def all_cases(family: str | None = None) -> list[Case]:
    paths = sorted(CASES.glob("*/*.c"))
    return [Case.load(p) for p in paths if family is None or p.parent.name == family]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "umlpy" / "conformance"


def compile_case(case: Case) -> Path:
    """The case's static binary, from the cache if its source and case.h are unchanged."""
    digest = hashlib.sha256(HEADER.read_bytes() + case.source.read_bytes()).hexdigest()[:16]
    out = cache_dir() / f"{case.name}-{digest}"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        r = subprocess.run(["gcc", "-static", "-O1", "-w", "-I", str(HERE), "-o", str(tmp), str(case.source),
                            "-lpthread", "-lrt"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{case.source}: gcc failed:\n{r.stderr}")
        tmp.rename(out)
    return out


class Roots:
    """The throw-away root both runs use: the default userland, and the binaries in /c."""

    def __init__(self) -> None:
        from umlpy.image import build
        self.tmp = tempfile.mkdtemp(prefix="umlpy-conformance.")
        os.chmod(self.tmp, 0o755)
        self.root = Path(self.tmp) / "root"
        build(self.root)
        (self.root / "c").mkdir()
        for d in ("proc", "dev", "tmp"):
            (self.root / d).mkdir(exist_ok=True)
        self._sandbox = None

    def install(self, case: Case) -> str:
        dest = self.root / "c" / case.name
        if not dest.exists():
            shutil.copy2(compile_case(case), dest)
        return f"/c/{case.name}"

    def native(self, prog: str) -> tuple[int, str]:
        """Run `prog` on the host kernel, as root of throw-away namespaces, chrooted."""
        root = str(self.root)
        clean = " ".join(f"{k}={v}" for k, v in ENV.items())
        setup = (f"mount --rbind /dev {root}/dev && mount -t tmpfs tmpfs {root}/tmp && "
                 f"hostname umlpy && exec env -i {clean} {CHROOT} {root} \"$0\"")
        user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
        argv = ["unshare", *user, "--fork", "--pid", "--mount", "--uts", "--ipc", "--net",
                f"--mount-proc={root}/proc", "sh", "-c", setup, prog]
        host_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        try:
            r = subprocess.run(argv, capture_output=True, text=True, env={"PATH": host_path},
                               timeout=TIMEOUT, cwd="/")
        except subprocess.TimeoutExpired as e:
            return -1, _text(e.stdout) + f"[timed out after {TIMEOUT} s]"
        return r.returncode, r.stdout + (f"[stderr] {r.stderr}" if r.stderr else "")

    def umlpy(self, prog: str) -> tuple[int, str]:
        from umlpy import Sandbox, SandboxTimeout
        if self._sandbox is None:
            self._sandbox = Sandbox(rootfs=self.root, env=ENV)
        try:
            r = self._sandbox.run([prog], text=True, timeout=TIMEOUT, cwd="/")
        except SandboxTimeout as e:                 # a failure of this case, not of the run
            return -1, _text(e.output) + f"[timed out after {TIMEOUT} s]"
        return r.returncode, r.stdout + (f"[stderr] {r.stderr}" if r.stderr else "")

    def run(self, case: Case) -> Result:
        prog = self.install(case)
        return Result(case, self.native(prog), self.umlpy(prog))

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _text(out) -> str:
    """What a timed-out run had printed (bytes, str or None)."""
    if isinstance(out, bytes):
        return out.decode(errors="replace")
    return out or ""


def table(results: list[Result]) -> str:
    """Pass/fail per family, then every declared difference and gap with its reason."""
    fams: dict[str, dict[str, int]] = {}
    for r in results:
        row = fams.setdefault(r.case.family, {"cases": 0, "pass": 0, "gap": 0, "FAIL": 0, "gap fixed": 0})
        row["cases"] += 1
        row[r.verdict] += 1
    lines = [f"{'family':14} {'cases':>5} {'pass':>5} {'gap':>5} {'FAIL':>5} {'gap fixed':>9}"]
    for fam, row in sorted(fams.items()):
        lines.append(f"{fam:14} {row['cases']:5} {row['pass']:5} {row['gap']:5} {row['FAIL']:5} "
                     f"{row['gap fixed']:9}")
    total = {k: sum(row[k] for row in fams.values()) for k in ("cases", "pass", "gap", "FAIL", "gap fixed")}
    lines.append(f"{'all':14} {total['cases']:5} {total['pass']:5} {total['gap']:5} {total['FAIL']:5} "
                 f"{total['gap fixed']:9}")
    declared = [(r.case, f"differs: {p.pattern} -- {why}") for r in results for p, why in r.case.differs]
    declared += [(r.case, f"gap: {r.case.gap}") for r in results if r.case.gap]
    if declared:
        lines.append("declared:")
        lines += [f"  {c.family}/{c.name}: {what}" for c, what in declared]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="umlpy's differential conformance cases")
    ap.add_argument("names", nargs="*", help="case names (default: every case)")
    ap.add_argument("--family")
    args = ap.parse_args(argv)
    cases = all_cases(args.family)
    if args.names:
        cases = [c for c in cases if c.name in args.names]
        unknown = set(args.names) - {c.name for c in cases}
        if unknown:
            print(f"runner: no case named {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
    if os.geteuid() != 0:
        skipped = [c for c in cases if c.root]
        for c in skipped:
            print(f"--- {c.family}/{c.name}: skipped, the native run needs root ({c.root})")
        cases = [c for c in cases if not c.root]
    roots = Roots()
    try:
        results = []
        for case in cases:
            r = roots.run(case)
            results.append(r)
            if args.names or r.verdict in ("FAIL", "gap fixed"):
                print(f"--- {case.family}/{case.name}: {r.verdict}" + (f" ({case.gap})" if case.gap else ""))
                if args.names:
                    print(f"native (exit {r.native[0]}):\n{r.native[1]}umlpy (exit {r.umlpy[0]}):\n{r.umlpy[1]}")
                if not r.same:
                    print(r.diff())
        print(table(results))
        return 1 if any(r.verdict in ("FAIL", "gap fixed") for r in results) else 0
    finally:
        roots.close()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent))
    sys.exit(main())
