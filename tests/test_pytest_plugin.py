"""The pytest plugin that umlpy installs: the umlpy_sandbox fixtures."""
from __future__ import annotations

from umlpy import Sandbox


def test_umlpy_sandbox_fixture_runs_a_guest(umlpy_sandbox, rootfs):
    assert isinstance(umlpy_sandbox, Sandbox)
    r = umlpy_sandbox.run(["sh", "-c", "echo $$; hostname"], text=True, timeout=10)
    assert r.stdout == "1\numlpy\n"


def test_factory_takes_sandbox_arguments(umlpy_sandbox_factory, rootfs, tmp_path):
    (tmp_path / "data.txt").write_text("from the host\n")
    sb = umlpy_sandbox_factory(rootfs=rootfs, mounts=[f"{tmp_path}:/data:ro"], hostname="box")
    r = sb.run(["sh", "-c", "cat /data/data.txt; hostname; echo x > /data/new"], text=True, timeout=10)
    assert r.stdout == "from the host\nbox\n"
    assert "Read-only file system" in r.stderr
    assert not (tmp_path / "new").exists()
