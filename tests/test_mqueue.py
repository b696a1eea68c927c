"""POSIX message queues (mq_overview(7)) run natively: the queues live in the sandbox's
own IPC namespace, so a name is the sandbox's own, never a host path, and neither the
host nor another sandbox sees it."""
from __future__ import annotations

import ctypes
import errno
import os
import threading

from conftest import run

from umlpy import Sandbox

MQ = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *what = argv[1];
    if (!strcmp(what, "roundtrip")) {
        struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 32 };
        mqd_t q = mq_open("/umlpy-q", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
        if (q < 0) { printf("open %s\n", strerrorname_np(errno)); return 1; }
        mq_send(q, "low", 3, 1);
        mq_send(q, "high", 4, 9);
        char buf[32]; unsigned prio;
        ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
        printf("first=%.*s prio=%u\n", (int)n, buf, prio);
        struct mq_attr got; mq_getattr(q, &got);
        printf("maxmsg=%ld msgsize=%ld curmsgs=%ld\n", got.mq_maxmsg, got.mq_msgsize, got.mq_curmsgs);
        printf("again=%s\n", mq_open("/umlpy-q", O_CREAT | O_EXCL | O_RDWR, 0600, &a) < 0 ? strerrorname_np(errno) : "OK");
        printf("unlink=%d\n", mq_unlink("/umlpy-q"));
        printf("reopen=%s\n", mq_open("/umlpy-q", O_RDONLY) < 0 ? strerrorname_np(errno) : "OK");
        printf("bad name=%s\n", mq_open("/a/b", O_CREAT | O_RDWR, 0600, NULL) < 0 ? strerrorname_np(errno) : "OK");
        return 0;
    }
    if (!strcmp(what, "hold")) {                       /* make a queue and keep it a while */
        mq_open("/umlpy-shared", O_CREAT | O_RDWR, 0600, NULL);
        printf("made\n"); fflush(stdout);
        sleep(2);
        return 0;
    }
    printf("%s\n", mq_open("/umlpy-shared", O_RDONLY) < 0 ? strerrorname_np(errno) : "FOUND");
    return 0;
}
"""


def test_a_queue_round_trip_with_priorities(sandbox, cc):
    prog = cc("mq", MQ, flags=("-lrt",))
    r = run(sandbox, [prog, "roundtrip"])
    assert r.stdout == ("first=high prio=9\nmaxmsg=4 msgsize=32 curmsgs=1\nagain=EEXIST\nunlink=0\n"
                        "reopen=ENOENT\nbad name=EACCES\n"), r


def test_queues_are_the_sandboxs_own(rootfs, progs, cc):
    """While one sandbox holds /umlpy-shared, another sandbox and the host cannot open it."""
    prog = cc("mq", MQ, flags=("-lrt",))
    out = {}

    def holder() -> None:
        with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")]) as sb:
            out["hold"] = run(sb, [prog, "hold"])
    t = threading.Thread(target=holder)
    t.start()
    try:
        import time
        time.sleep(1)
        with Sandbox(rootfs=rootfs, mounts=[(str(progs), "/t", "ro")]) as other:
            out["other"] = run(other, [prog, "look"]).stdout
        librt = ctypes.CDLL("librt.so.1", use_errno=True)
        fd = librt.mq_open(b"/umlpy-shared", os.O_RDONLY)
        out["host"] = "FOUND" if fd >= 0 else errno.errorcode[ctypes.get_errno()]
    finally:
        t.join()
    assert out["hold"].stdout == "made\n", out
    assert out["other"] == "ENOENT\n" and out["host"] == "ENOENT", out
