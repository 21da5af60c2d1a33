"""A daemon whose exec root is long still attaches (unix socket paths hold only 107 bytes)."""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest

from engine_helpers import Daemon, docker


@pytest.fixture
def long_daemon():
    if os.geteuid() != 0:
        pytest.skip("needs root")
    root = os.path.join(tempfile.gettempdir(), f"dy-long-root-{uuid.uuid4().hex}-padding")
    d = Daemon(root).start()
    d.bootstrap_busybox()
    try:
        yield d
    finally:
        d.stop()


def test_foreground_output_with_a_long_exec_root(long_daemon: Daemon) -> None:
    sock_path = os.path.join(long_daemon.exec_root, "sockets", "x" * 64, "attach")
    assert len(sock_path) > 107   # the path conmon's socket has would not fit
    r = docker(long_daemon, "run", "--rm", "busybox", "echo", "still attached")
    assert r.returncode == 0 and r.stdout == "still attached\n", r.stderr
    r = docker(long_daemon, "run", "-i", "--rm", "busybox", "cat", input=b"stdin too\n")
    assert r.stdout == "stdin too\n"
