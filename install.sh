#!/bin/bash
# Install umlpy on Debian 12 (run as root; idempotent; any cwd):
#   1. apt: busybox-static (the guest's static userland), python3-dev if Python.h
#      is missing, gcc/libc6-dev if missing (the C helper and the test programs);
#   2. pip: requirements-dev.txt, then `pip install -e .` (builds the cffi helper);
#   3. /usr/local/bin/umlpy: a wrapper running this python3 with -m umlpy;
#   4. the default guest rootfs: python3 -m umlpy.image build  (-> rootfs/image).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

say() { echo "install.sh: $*"; }

PY="$(command -v python3 || true)"
[ -n "$PY" ] || { say "python3 not found on PATH" >&2; exit 1; }
PY="$("$PY" -c 'import sys; print(sys.executable)')"

# --- 1. system packages ------------------------------------------------------
missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
installed busybox-static || missing+=(busybox-static)
command -v gcc >/dev/null || missing+=(gcc)
[ -x /usr/bin/python3 ] || missing+=(python3)     # Debian's own: tests run it inside a guest
[ -e /usr/include/stdio.h ] && [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(libc6-dev)
PYINC="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
[ -e "$PYINC/Python.h" ] || missing+=(python3-dev)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { say "need root to apt-get install: ${missing[*]}" >&2; exit 1; }
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -qq -y --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -e "$PYINC/Python.h" ] || { say "no Python.h in $PYINC for $PY (install its headers)" >&2; exit 1; }

# --- 2. python packages ------------------------------------------------------
"$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt
if [ -f setup.py ] || [ -f pyproject.toml ]; then
    "$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-build-isolation -e .
else
    say "WARNING: no setup.py yet; skipping 'pip install -e .'" >&2
fi

# --- 3. the umlpy command -----------------------------------------------------
wrapper="#!/bin/sh
exec $PY -m umlpy \"\$@\""
if [ "$(cat /usr/local/bin/umlpy 2>/dev/null || true)" != "$wrapper" ]; then
    printf '%s\n' "$wrapper" > /usr/local/bin/umlpy.tmp
    chmod 755 /usr/local/bin/umlpy.tmp
    mv -f /usr/local/bin/umlpy.tmp /usr/local/bin/umlpy
fi

# --- 4. the default guest userland ------------------------------------------
"$PY" -m umlpy.image build
say "done ($PY)"
