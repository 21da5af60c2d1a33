"""``dockyard logs``: demultiplexed streams, --tail, --timestamps, --since/--until, --follow."""

from __future__ import annotations

import os
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



def test_log_opts_rotate_and_drivers(daemon: Daemon, name: str) -> None:
    """--log-opt max-size/max-file keep the newest lines in at most max-file files of about
    max-size; none keeps nothing (logs refuse, attach still shows); local reads back with an
    empty LogPath; bad drivers and options are refused at create, as the docker CLI shows."""
    try:
        docker(daemon, "run", "--name", name, "--log-opt", "max-size=2k", "--log-opt", "max-file=2",
               "busybox", "sh", "-c", "seq 1 5000", check=True)
        lines = docker(daemon, "logs", name, check=True).stdout.splitlines()
        assert lines[-1] == "5000" and 20 < len(lines) < 60
        assert lines == [str(i) for i in range(5001 - len(lines), 5001)]  # no gap, no repeat
        log_path = docker(daemon, "inspect", "-f", "{{.LogPath}}", name, check=True).stdout.strip()
        rotated = sorted(p for p in os.listdir(os.path.dirname(log_path)) if "-json.log" in p
                         and not p.endswith(".pos"))
        assert rotated == [os.path.basename(log_path), os.path.basename(log_path) + ".1"]
        assert all(os.path.getsize(os.path.join(os.path.dirname(log_path), p)) <= 2000 for p in rotated)
        assert docker(daemon, "logs", "--tail", "3", name, check=True).stdout == "4998\n4999\n5000\n"
        dockyard(daemon, "rm", name, check=True)

        docker(daemon, "run", "--name", name, "--log-opt", "max-size=2k", "--log-opt", "max-file=3",
               "--log-opt", "compress=true", "busybox", "sh", "-c", "seq 1 5000", check=True)
        lines = docker(daemon, "logs", name, check=True).stdout.splitlines()
        assert lines == [str(i) for i in range(5001 - len(lines), 5001)] and len(lines) > 40
        log_path = docker(daemon, "inspect", "-f", "{{.LogPath}}", name, check=True).stdout.strip()
        assert os.path.exists(log_path + ".1.gz") and os.path.exists(log_path + ".2.gz")
        dockyard(daemon, "rm", name, check=True)

        out = docker(daemon, "run", "--name", name, "--log-driver", "none", "busybox", "echo", "shown")
        assert out.stdout == "shown\n"
        r = docker(daemon, "logs", name)
        assert r.returncode == 1 and "configured logging driver does not support reading" in r.stderr
        assert dockyard(daemon, "logs", name).returncode == 1
        dockyard(daemon, "rm", name, check=True)

        docker(daemon, "run", "--name", name, "--log-driver", "local", "busybox", "echo", "kept",
               check=True)
        assert docker(daemon, "logs", name, check=True).stdout == "kept\n"
        assert docker(daemon, "inspect", "-f", "{{.LogPath}}", name, check=True).stdout == "\n"
    finally:
        dockyard(daemon, "rm", "-f", name)
    for args, message in (
            (["--log-driver", "syslogx"], "logger: no log driver named 'syslogx' is registered"),
            (["--log-opt", "bogus=1"], "unknown log opt 'bogus' for json-file log driver"),
            (["--log-opt", "max-size=lots"], "invalid size: 'lots'"),
            (["--log-driver", "none", "--log-opt", "a=b"], "invalid logging opts for driver none")):
        ref, ours = (cli(daemon, "create", *args, "busybox", "true") for cli in (docker, dockyard))
        assert ref.returncode != 0 and ours.returncode == ref.returncode, (args, ours.stderr)
        assert message in ref.stderr and message in ours.stderr, (args, ours.stderr)


def test_follow_keeps_every_line_across_rotations(daemon: Daemon, name: str) -> None:
    """``logs -f`` of a container whose json-file rotates (and is compressed) many times
    while it is followed: every line, once, in order."""
    docker(daemon, "run", "-d", "--name", name, "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
           "--log-opt", "compress=true", "busybox", "sh", "-c",
           "sleep 0.5; for i in $(seq 1 300); do echo line-$i; usleep 10000; done", check=True)
    try:
        r = docker(daemon, "logs", "-f", name, timeout=60, check=True)
        assert r.stdout.splitlines() == [f"line-{i}" for i in range(1, 301)]
    finally:
        dockyard(daemon, "rm", "-f", name)
