"""Start-up cost: a sandbox started around /bin/true, and ended, as wall time.

Every runner runs `/bin/true` in the same default rootfs, REPS times after one
warm-up, and the median is reported beside native, in one run:

  native            /bin/true
  umlpy             python3 -m umlpy run --rootfs ROOT -- /bin/true   (as the current user)
  umlpy-rootless    the same as user nobody (run as root only), with a Python that
                    user can run (--user-python, default install.sh --tests's venv)
  runsc-rootless    runsc --rootless --network=none --platform=ptrace do /bin/true
                    (gVisor; as nobody when run as root)
  proot             proot -r ROOT /bin/true (as nobody when run as root)

    python3 bench/startup.py [--reps N]

A runner that cannot run here is listed with the reason.  Each runner is given
the whole machine: this measures latency, not throughput.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from umlpy.image import store  # noqa: E402

NOBODY = 65534


def as_nobody(argv: list[str], home: str) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "env", f"HOME={home}", f"PYTHONPATH={REPO}", *argv]


def runners(root: Path, user_python: str, home: str) -> dict[str, list[str] | str]:
    """name -> argv, or the reason it cannot run."""
    out: dict[str, list[str] | str] = {"native": ["/bin/true"]}
    umlpy = ["-m", "umlpy", "run", "--rootfs", str(root), "--", "/bin/true"]
    out["umlpy"] = [sys.executable, *umlpy]
    if os.geteuid() == 0:
        out["umlpy-rootless"] = (as_nobody([user_python, *umlpy], home) if os.access(user_python, os.X_OK)
                                 else f"no {user_python} (./install.sh --tests makes it)")
    runsc = shutil.which("runsc")
    state = os.path.join(home, "runsc")
    out["runsc-rootless"] = (as_nobody([runsc, "--rootless", "--network=none", "--platform=ptrace",
                                        "-root", state, "do", "/bin/true"], home)
                             if runsc else "runsc not installed (apt-get install runsc)")
    proot = shutil.which("proot")
    out["proot"] = (as_nobody([proot, "-r", str(root), "/bin/true"], home) if proot
                    else "proot not installed (apt-get install proot)")
    return out


def measure(argv: list[str], reps: int) -> float | str:
    """Median wall time in seconds, or why it failed."""
    times = []
    for i in range(reps + 1):
        t0 = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            return f"status {r.returncode}: {r.stderr.decode(errors='replace').strip()[-200:]}"
        if i:
            times.append(dt)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--user-python", default="/var/lib/umlpy/test-venv/bin/python")
    args = ap.parse_args()
    root = store.ensure_default()
    with tempfile.TemporaryDirectory(prefix="umlpy-startup.") as home:
        os.chmod(home, 0o777)
        base = None
        print(f"start-up + /bin/true + exit, median of {args.reps} (rootfs {root})")
        for name, argv in runners(Path(root), args.user_python, home).items():
            t = argv if isinstance(argv, str) else measure(argv, args.reps)
            if isinstance(t, str):
                print(f"  {name:16} unavailable: {t}")
                continue
            base = base or t
            print(f"  {name:16} {t * 1000:8.1f} ms   {t / base:6.1f}x native")
    return 0


if __name__ == "__main__":
    sys.exit(main())
