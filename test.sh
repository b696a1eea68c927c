#!/bin/bash
# The test suite, as the README runs it: as the current user, and, when that is
# root, a second time as an ordinary user (nobody), for whom umlpy runs in
# rootless mode.  Every test passes in both passes, or says why it needs root.
#
#   ./test.sh [PYTEST ARGS]        e.g. ./test.sh -x tests/test_api.py
#
# The unprivileged pass needs what `./install.sh --tests` made: a venv of
# Debian's python3 that every user can run (root's own Python may live in a
# home directory nobody else can enter), and the Debian rootfs in root's store,
# built once for both passes.  It runs on a copy of the checkout every user can
# read, with a fresh home directory.  UMLPY_TEST_ROOT_ONLY=1 skips it.
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(tests)
python3 -m pytest -q "${args[@]}"
status=$?
if [ "$(id -u)" != 0 ] || [ -n "${UMLPY_TEST_ROOT_ONLY:-}" ]; then
    exit $status
fi

VENV=/var/lib/umlpy/test-venv
UID_=65534
say() { echo "test.sh: $*"; }
[ -x "$VENV/bin/python" ] || { say "no $VENV: run ./install.sh --tests" >&2; exit 1; }

work=$(mktemp -d /var/tmp/umlpy-unprivileged.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir "$work/src"
tar -c --exclude=./.git --exclude=./build --exclude=./rootfs/image --exclude='*.so' \
    --exclude=__pycache__ --exclude='*.egg-info' . | tar -x -C "$work/src"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    --no-deps --no-build-isolation -e "$work/src" >/dev/null || { say "pip install -e failed" >&2; exit 1; }
home="$work/home"
store="$home/.local/share/umlpy/rootfs"
mkdir -p "$store"
# The Debian rootfs both passes use: built once, by root.  Root's tree has
# directories and files only root may read on the host (/root is 0700,
# /etc/shadow 0640), which no unprivileged supervisor can serve; so this pass
# gets a copy owned by the user, as a tree the user built would be (it shows
# as root's in the guest).  About 2 s.
if [ -d /var/lib/umlpy/rootfs/debian ]; then
    cp -a /var/lib/umlpy/rootfs/debian /var/lib/umlpy/rootfs/debian.json "$store/" 2>/dev/null \
        || cp -a /var/lib/umlpy/rootfs/debian "$store/"
fi
chown -R "$UID_:$UID_" "$home"

say "the same tests as uid $UID_ (rootless mode)"
cd "$work/src"
setpriv --reuid="$UID_" --regid="$UID_" --clear-groups \
    env -i PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin" HOME="$home" LANG=C.UTF-8 ${CI:+CI=$CI} \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${args[@]}"
unprivileged=$?
[ $status -ne 0 ] && exit $status
exit $unprivileged
