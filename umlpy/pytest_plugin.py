"""A pytest plugin: the `umlpy_sandbox` fixture, for test suites that run untrusted binaries.

    def test_tool_handles_bad_input(umlpy_sandbox):
        r = umlpy_sandbox.run(["/usr/bin/mytool", "--parse", "/data/evil"], timeout=5)
        assert r.returncode == 2
        assert "/etc/passwd" not in r.report.files_written

Installed with umlpy (entry point `pytest11`).  The fixture is a fresh
Sandbox on the default rootfs (or `--umlpy-rootfs DIR`), discarded after the
test; `umlpy_sandbox_factory(**kwargs)` makes more, with mounts, env, etc.
"""
from __future__ import annotations

import pytest

from umlpy.api import Sandbox


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("umlpy")
    group.addoption("--umlpy-rootfs", default=None, metavar="DIR",
                    help="root directory for the umlpy_sandbox fixture (default: umlpy's rootfs)")


@pytest.fixture
def umlpy_sandbox_factory(request: pytest.FixtureRequest):
    """Make Sandboxes (keyword arguments as for Sandbox); all closed after the test."""
    made: list[Sandbox] = []
    default_rootfs = request.config.getoption("--umlpy-rootfs")

    def make(**kwargs) -> Sandbox:
        kwargs.setdefault("rootfs", default_rootfs)
        sb = Sandbox(**kwargs)
        made.append(sb)
        return sb
    yield make
    for sb in made:
        sb.close()


@pytest.fixture
def umlpy_sandbox(umlpy_sandbox_factory) -> Sandbox:
    """A fresh Sandbox on the default rootfs, discarded after the test."""
    return umlpy_sandbox_factory()
