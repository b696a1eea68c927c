#!/bin/bash
# Install umlpy on Debian 12 (idempotent; any cwd; root for the apt step):
#   1. apt: busybox-static (the guest's static userland), slirp4netns, nftables and
#      iproute2 (the sandbox's network), python3-dev if Python.h
#      is missing, gcc/libc6-dev if missing (the C helper and the test programs);
#   2. pip: requirements-dev.txt, then `pip install -e .` (pyproject.toml; builds
#      the cffi helper);
#   3. the `umlpy` command (a C client of the warm server, with a python3 -S
#      one behind it, see there), and /usr/local/bin/umlpy: a link to it when
#      it is elsewhere;
#   4. the default userland: `umlpy rootfs build` (the per-user store,
#      /var/lib/umlpy for root).
#   With --tests, also what ./test.sh needs (root only):
#   5. the Debian rootfs tests/test_debian.py runs in (.ci/debian-rootfs, cached);
#   6. /var/lib/umlpy/test-venv: Debian's python3 with the test requirements,
#      which the unprivileged pass of ./test.sh runs as user nobody;
#   7. /dev/net/tun back to the kernel's default mode 0666 if it is 0600, so that
#      the unprivileged pass runs rootless --network user instead of skipping it.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
TESTS=
for arg in "$@"; do
    case "$arg" in
        --tests) TESTS=1 ;;
        *) echo "install.sh: unknown argument $arg (usage: install.sh [--tests])" >&2; exit 2 ;;
    esac
done

say() { echo "install.sh: $*"; }

PY="$(command -v python3 || true)"
[ -n "$PY" ] || { say "python3 not found on PATH" >&2; exit 1; }
PY="$("$PY" -c 'import sys; print(sys.executable)')"

# --- 1. system packages ------------------------------------------------------
missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
installed busybox-static || missing+=(busybox-static)
command -v gcc >/dev/null || missing+=(gcc)
# the sandbox's network (issue 9): --network user's engine, its policy, named networks
command -v slirp4netns >/dev/null || missing+=(slirp4netns)
command -v nft >/dev/null || missing+=(nftables)
command -v ip >/dev/null || missing+=(iproute2)
command -v nsenter >/dev/null || missing+=(util-linux)
[ -x /usr/bin/python3 ] || missing+=(python3)     # Debian's own: tests run it inside a guest
[ -e /usr/include/stdio.h ] && [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(libc6-dev)
PYINC="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
[ -e "$PYINC/Python.h" ] || missing+=(python3-dev)
if [ -n "$TESTS" ]; then
    /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    [ -e /usr/include/python3.11/Python.h ] || [ "$PY" = /usr/bin/python3 ] || missing+=(python3-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { say "need root to apt-get install: ${missing[*]}" >&2; exit 1; }
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -qq -y --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -e "$PYINC/Python.h" ] || { say "no Python.h in $PYINC for $PY (install its headers)" >&2; exit 1; }

# --- 2. python packages ------------------------------------------------------
pip=("$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore)
"${pip[@]}" -r requirements-dev.txt
# requirements-dev.txt holds the build requirements too, so no isolated build
# (and no download) is needed here; `pip install .` elsewhere does one.
"${pip[@]}" --no-build-isolation -e .
# An editable install compiles nothing.  Without bytecode, every start-up pays
# about 150 ms compiling the package where it cannot write __pycache__ (a
# user who does not own the checkout, or PYTHONDONTWRITEBYTECODE set).
"$PY" -m compileall -q umlpy >/dev/null

# --- 3. the umlpy command -----------------------------------------------------
# pip's console script runs python with site: its .pth files (the editable
# install's finder among them) cost 10-25 ms of every start-up.  Ours is two
# files: umlpy-python runs `python3 -SE` and names the two places it imports
# from (this checkout, and the site-packages holding cffi's backend and the
# other requirements); umlpy is csrc/launcher.c, a warm server's client in C
# that hands a served run over without starting Python (7-10 ms) and execs
# umlpy-python for everything else (umlpy/warm.py).
SCRIPTS="$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
UMLPY="$SCRIPTS/umlpy"
[ -x "$UMLPY" ] || { say "pip installed no $UMLPY" >&2; exit 1; }
SITE="$("$PY" -c 'import _cffi_backend, os; print(os.path.dirname(_cffi_backend.__file__))')"
cat > "$UMLPY-python.tmp" <<EOF
#!$PY -SE
# The umlpy command in Python, written by install.sh (the umlpy beside it execs
# it): -S skips site's start-up work, -E the environment's PYTHON* settings.
import sys
sys.path[:0] = ["$PWD", "$SITE"]
from umlpy.warm import main
sys.exit(main())
EOF
chmod 755 "$UMLPY-python.tmp"
mv -f "$UMLPY-python.tmp" "$UMLPY-python"
# The C client must name the server as the Python client does: it is built
# with that client's identity (its interpreter and import path, warm.identity()).
read -r IDENTITY CODE < <(cd / && UMLPY_SERVER=identity "$UMLPY-python")
cstring() { [[ "$1" != *[\"\\]* ]] && printf '"%s"' "$1"; }
if defs=(-DUMLPY_PYTHON="$(cstring "$PY")" -DUMLPY_SCRIPT="$(cstring "$UMLPY-python")"
         -DUMLPY_CODE="$(cstring "$CODE")" -DUMLPY_IDENTITY="${IDENTITY}u") &&
   gcc -O2 -Wall -o "$UMLPY.tmp" csrc/launcher.c "${defs[@]}"; then
    mv -f "$UMLPY.tmp" "$UMLPY"
else
    say "cannot build csrc/launcher.c: the umlpy command is the Python client alone"
    cp -f "$UMLPY-python" "$UMLPY"
fi
if [ "$SCRIPTS" != /usr/local/bin ] && [ -w /usr/local/bin ]; then
    ln -sfn "$UMLPY" /usr/local/bin/umlpy
fi

# --- 4. the default guest userland ------------------------------------------
"$UMLPY" rootfs build

# --- 5, 6. what ./test.sh needs ------------------------------------------------
if [ -n "$TESTS" ]; then
    [ "$(id -u)" -eq 0 ] || { say "--tests needs root" >&2; exit 1; }
    bash .ci/debian-rootfs
    VENV=/var/lib/umlpy/test-venv
    [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
        -r requirements-dev.txt
    chmod -R a+rX "$VENV"
    # Rootless --network user needs /dev/net/tun open to the user: its engine opens a tap in
    # the sandbox's network namespace as that user.  0666 is the kernel's own default
    # (drivers/net/tun.c) and stock Debian's; some machines make it 0600, and the unprivileged
    # pass would then skip those tests.  The device grants nothing by itself: making a tap
    # needs CAP_NET_ADMIN over the network namespace it is made in (and using a persistent
    # one, that its owner is the user).  Not kept across a reboot (devtmpfs); CI runs this
    # every time.
    if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 600 ]; then
        say "chmod 0666 /dev/net/tun (the kernel's default mode: rootless --network user needs it)"
        chmod 0666 /dev/net/tun
    fi
fi
say "done ($PY; the umlpy command is $UMLPY)"
