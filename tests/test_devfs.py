"""The guest's /dev (umlpy/fsimpl/devfs.py), as guest programs observe it.

Every node has an inode number of its own, and the numbers do not depend on
the supervisor process: two supervisors with different string hash seeds
show the same numbers.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import sh

REPO = Path(__file__).resolve().parent.parent
STAT = "stat -c '%i %n' /dev /dev/* /dev/stdout /dev/stderr"


def inodes(text: str) -> dict[str, int]:
    """`stat -c '%i %n'` output as {name: inode}, devfs's own nodes only: /dev/shm is
    the mount point of another file system (a tmpfs), with inodes of its own."""
    out = {}
    for line in text.splitlines():
        ino, name = line.split(" ", 1)
        if name != "/dev/shm":
            out[name] = int(ino)
    return out


def test_every_dev_node_has_its_own_inode(sandbox):
    r = sh(sandbox, STAT)
    assert r.returncode == 0, r.stderr
    seen = inodes(r.stdout)
    assert {"/dev", "/dev/null", "/dev/zero", "/dev/tty", "/dev/console", "/dev/fd",
            "/dev/stdin", "/dev/stdout", "/dev/stderr"} <= set(seen)
    assert len(set(seen.values())) == len(seen), seen
    # the directory listing (ls -i) shows the same numbers
    r = sh(sandbox, "ls -i /dev")
    listed = {f"/dev/{name}": int(ino) for ino, name in (line.split() for line in r.stdout.splitlines())
              if name != "shm"}
    assert listed == {k: v for k, v in seen.items() if k != "/dev"}


def test_dev_inodes_are_the_same_in_every_run(sandbox, rootfs):
    first = sh(sandbox, STAT)
    assert first.returncode == 0, first.stderr
    runs = [inodes(first.stdout)]
    # Two more runs, each by a supervisor process of its own with its own hash seed.
    for seed in ("1", "2"):
        r = subprocess.run([sys.executable, "-m", "umlpy", "run", "--rootfs", str(rootfs), "--",
                            "sh", "-c", STAT], capture_output=True, text=True, timeout=30, cwd=REPO,
                           env=dict(os.environ, PYTHONHASHSEED=seed))
        assert r.returncode == 0, r.stderr
        runs.append(inodes(r.stdout))
    assert runs[0] == runs[1] == runs[2]


def test_posix_semaphores_and_shared_memory_work(sandbox, cc):
    """/dev/shm is a tmpfs of the sandbox: sem_open and shm_open work across a fork (issue 8;
    they failed with ENOENT), and the names go away with sem_unlink/shm_unlink."""
    prog = cc("posix_shm", r"""
    #define _GNU_SOURCE
    #include <errno.h>
    #include <fcntl.h>
    #include <semaphore.h>
    #include <stdio.h>
    #include <string.h>
    #include <sys/mman.h>
    #include <sys/wait.h>
    #include <unistd.h>
    int main(void) {
        sem_t *s = sem_open("/umlpy-test", O_CREAT, 0600, 0);
        printf("sem_open=%s\n", s == SEM_FAILED ? strerrorname_np(errno) : "OK");
        int fd = shm_open("/umlpy-shm", O_CREAT | O_RDWR, 0600);
        printf("shm_open=%s\n", fd < 0 ? strerrorname_np(errno) : "OK");
        if (s == SEM_FAILED || fd < 0) return 1;
        ftruncate(fd, 4096);
        int *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (fork() == 0) { *p = 42; sem_post(s); _exit(0); }
        sem_wait(s);
        printf("shared=%d\n", *p);
        wait(NULL);
        printf("unlinked=%d\n", sem_unlink("/umlpy-test") == 0 && shm_unlink("/umlpy-shm") == 0);
        return 0;
    }""", static=True)
    r = sandbox.run(["/bin/sh", "-c", f"{prog}; ls -A /dev/shm; stat -c %a /dev/shm"], text=True, timeout=20)
    assert r.stdout == "sem_open=OK\nshm_open=OK\nshared=42\nunlinked=1\n1777\n", r.stdout + r.stderr
