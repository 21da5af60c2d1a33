"""``dockyard logs``: demultiplexed streams, --tail, --timestamps, --since/--until, --follow."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from engine_helpers import DOCKER_CLI, VENV_BIN, Daemon, docker, dockyard

SCRIPT = "for i in 1 2 3; do echo out$i; echo err$i >&2; done"


def test_logs_split_stdout_and_stderr(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "--name", name, "busybox", "sh", "-c", SCRIPT, check=True)
    try:
        r = dockyard(daemon, "logs", name, check=True)
        assert r.stdout == "out1\nout2\nout3\n"
        assert r.stderr == "err1\nerr2\nerr3\n"
        ref = docker(daemon, "logs", name, check=True)
        assert (r.stdout, r.stderr) == (ref.stdout, ref.stderr)
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_logs_tail_and_timestamps(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "--name", name, "busybox", "sh", "-c", "for i in 1 2 3 4; do echo l$i; done", check=True)
    try:
        assert dockyard(daemon, "logs", "--tail", "2", name, check=True).stdout == "l3\nl4\n"
        assert dockyard(daemon, "logs", "-n", "1", name, check=True).stdout == "l4\n"
        lines = dockyard(daemon, "logs", "-t", name, check=True).stdout.splitlines()
        assert len(lines) == 4
        assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z l\d$", line) for line in lines), lines
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_logs_since_and_until(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "--name", name, "busybox", "echo", "old", check=True)
    try:
        assert dockyard(daemon, "logs", "--since", "1h", name, check=True).stdout == "old\n"
        future = str(int(time.time()) + 3600)
        assert dockyard(daemon, "logs", "--since", future, name, check=True).stdout == ""
        assert dockyard(daemon, "logs", "--until", "2000-01-01T00:00:00Z", name, check=True).stdout == ""
    finally:
        dockyard(daemon, "rm", "-f", name)


@pytest.mark.xfail(reason="server bug: GET /containers/{id}/logs of a Tty container drops the pty's \\r "
                          "('tty-out\\n'; the attach stream and docker's json-file keep 'tty-out\\r\\n')",
                   strict=False)
def test_logs_of_a_tty_container_are_raw(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "-t", "--name", name, "busybox", "sh", "-c", "echo tty-out", timeout=30)
    try:
        r = dockyard(daemon, "logs", name, check=True)
        assert r.stdout == "tty-out\r\n"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_logs_follow_streams_until_exit(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
             "echo first; sleep 1; echo second", check=True)
    try:
        p = subprocess.run([str(VENV_BIN / "dockyard"), "logs", "-f", name], env=daemon.env,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0
        assert p.stdout == "first\nsecond\n"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_logs_of_missing_container(daemon: Daemon) -> None:
    r = dockyard(daemon, "logs", "no-such-ctr")
    assert r.returncode == 1
    assert r.stderr == "Error response from daemon: No such container: no-such-ctr\n"


def test_a_big_log_reads_whole_and_tails_from_the_end(daemon: Daemon, name: str) -> None:
    """300 000 lines (conmon cuts some of them in pieces: one entry each again), read whole
    through the docker CLI; ``--tail`` reads from the end; the daemon answers meanwhile."""
    n = 300_000
    docker(daemon, "run", "--name", name, "--network", "none", "busybox", "sh", "-c",
           f"seq 1 {n} | sed 's/$/ a-log-line-of-some-length/'", timeout=120, check=True)
    try:
        reader = subprocess.Popen([DOCKER_CLI, "logs", name], stdout=subprocess.PIPE,
                                  env=daemon.env)
        assert reader.stdout is not None
        first = reader.stdout.readline()
        started = time.monotonic()
        assert docker(daemon, "ps", "-a", "-q", timeout=20, check=True).stdout  # not blocked
        assert time.monotonic() - started < 10
        lines = [first] + reader.stdout.read().splitlines(keepends=True)
        assert reader.wait(60) == 0
        assert len(lines) == n and lines[0] == b"1 a-log-line-of-some-length\n"
        assert lines[-1] == f"{n} a-log-line-of-some-length\n".encode()
        tail = docker(daemon, "logs", "--tail", "2", name, check=True).stdout
        assert tail == f"{n - 1} a-log-line-of-some-length\n{n} a-log-line-of-some-length\n"
        ours = dockyard(daemon, "logs", "--tail", "2", name, check=True).stdout
        assert ours == tail
    finally:
        dockyard(daemon, "rm", "-f", name)

