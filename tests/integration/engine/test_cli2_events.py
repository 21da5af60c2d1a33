"""``dockyard events``: --since/--until windows, --filter, --format (templates and json), docker's lines."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from engine_helpers import VENV_BIN, Daemon, docker, dockyard


@pytest.fixture
def history(daemon: Daemon, name: str):
    """Some events in a known window: create, start, die... of one container."""
    since = str(int(time.time()) - 1)
    dockyard(daemon, "run", "--name", name, "--label", "who=events", "busybox", "true", check=True)
    dockyard(daemon, "rm", name, check=True)
    time.sleep(1.1)
    until = str(int(time.time()))
    return name, since, until


@pytest.mark.parametrize("extra", [(), ("--format", "json"), ("--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"),
                                   ("--format", "{{json .Actor.Attributes}}"),
                                   ("--filter", "event=start"), ("--filter", "type=container", "--filter", "event=die"),
                                   ("--format", "{{.Status}}|{{.From}}|{{.Scope}}|{{.Time}}|{{.TimeNano}}")])
def test_events_window_matches_docker(daemon: Daemon, history: tuple[str, str, str], extra: tuple[str, ...]) -> None:
    name, since, until = history
    args = ("events", "--since", since, "--until", until, "--filter", f"container={name}", *extra)
    ours, ref = dockyard(daemon, *args, check=True), docker(daemon, *args, check=True)
    assert ours.stdout == ref.stdout
    assert ours.stdout.strip(), "the window holds events"


def test_events_default_line_shape(daemon: Daemon, history: tuple[str, str, str]) -> None:
    name, since, until = history
    out = dockyard(daemon, "events", "--since", since, "--until", until, "--filter", f"container={name}",
                   "--filter", "event=create", check=True).stdout
    line = out.strip()
    stamp, kind, action, cid, attrs = line.split(" ", 4)
    assert len(stamp.split(".")[1]) in (10, 15)  # nine digits of nanoseconds, then Z or an offset
    assert (kind, action, len(cid)) == ("container", "create", 64)
    assert f"name={name}" in attrs and "who=events" in attrs


def test_events_streams_until_interrupted(daemon: Daemon, name: str) -> None:
    proc = subprocess.Popen([str(VENV_BIN / "dockyard"), "events", "--filter", f"container={name}", "--format",
                             "{{.Action}}"], env=daemon.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        time.sleep(0.8)
        dockyard(daemon, "create", "--name", name, "busybox", "true", check=True)
        dockyard(daemon, "rm", name, check=True)
        time.sleep(0.8)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    assert out.decode().split() == ["create", "destroy"]


def test_events_bad_input_matches_docker(daemon: Daemon) -> None:
    for args in (("--since", "not-a-time"), ("--filter", "nokey")):
        ours, ref = dockyard(daemon, "events", *args), docker(daemon, "events", *args)
        assert ours.returncode == ref.returncode and ours.returncode != 0, args
        assert ours.stderr.replace("dockyard", "docker") == ref.stderr, args
