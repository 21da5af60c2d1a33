"""pause / unpause / top / port / rename / update / stats against a real daemon, docker as the oracle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from engine_helpers import VENV_BIN, Daemon, docker, dockyard


def _state(d: Daemon, ref: str) -> dict:
    return json.loads(dockyard(d, "inspect", ref, check=True).stdout)[0]


@pytest.fixture
def running(daemon: Daemon, name: str):
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sleep", "300", check=True)
    try:
        yield name
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_pause_unpause(daemon: Daemon, running: str) -> None:
    assert dockyard(daemon, "pause", running, check=True).stdout == f"{running}\n"
    assert _state(daemon, running)["State"]["Status"] == "paused"
    again, ref = dockyard(daemon, "pause", running), docker(daemon, "pause", running)
    assert (again.returncode, again.stderr) == (ref.returncode, ref.stderr) and again.returncode == 1
    assert dockyard(daemon, "unpause", running, check=True).stdout == f"{running}\n"
    assert _state(daemon, running)["State"]["Status"] == "running"
    ours, ref = dockyard(daemon, "pause", "no-such-ctr"), docker(daemon, "pause", "no-such-ctr")
    assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr)


@pytest.mark.parametrize("ps_args", [(), ("-o", "pid,comm")])
def test_top_matches_docker(daemon: Daemon, running: str, ps_args: tuple[str, ...]) -> None:
    ours = dockyard(daemon, "top", running, *ps_args, check=True)
    ref = docker(daemon, "top", running, *ps_args, check=True)
    assert ours.stdout.splitlines()[0] == ref.stdout.splitlines()[0]
    assert "sleep" in ours.stdout
    assert len(ours.stdout.splitlines()) == len(ref.stdout.splitlines())


def test_port_matches_docker(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "-d", "--name", name, "-p", "127.0.0.1::80", "-p", "5353:53/udp", "busybox",
                 "sleep", "300")
    if r.returncode != 0:
        pytest.xfail(f"port publishing not available on this daemon: {r.stderr.strip()}")
    try:
        for args in ((), ("80",), ("53/udp",), ("81",), ("81/tcp",), ("abc",)):
            ours, ref = dockyard(daemon, "port", name, *args), docker(daemon, "port", name, *args)
            assert (ours.returncode, ours.stdout, ours.stderr) == (ref.returncode, ref.stdout, ref.stderr), args
        assert "53/udp -> 0.0.0.0:5353" in dockyard(daemon, "port", name).stdout
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_rename(daemon: Daemon, running: str) -> None:
    dockyard(daemon, "rename", running, running + "-new", check=True)
    try:
        assert _state(daemon, running + "-new")["Name"] == f"/{running}-new"
    finally:
        dockyard(daemon, "rename", running + "-new", running, check=True)
    for args in (("no-such-ctr", "x"), (running, "")):
        ours, ref = dockyard(daemon, "rename", *args), docker(daemon, "rename", *args)
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr), args


def test_update_resources_and_restart(daemon: Daemon, running: str) -> None:
    r = dockyard(daemon, "update", "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5",
                 "--cpu-shares", "512", "--pids-limit", "50", "--restart", "on-failure:3", running, check=True)
    assert r.stdout == f"{running}\n"
    hc = _state(daemon, running)["HostConfig"]
    assert hc["Memory"] == 64 * 1024 * 1024 and hc["MemorySwap"] == 128 * 1024 * 1024
    assert hc["NanoCpus"] == 500_000_000 and hc["CpuShares"] == 512 and hc["PidsLimit"] == 50
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    dockyard(daemon, "update", "--cpuset-cpus", "0", running, check=True)
    hc = _state(daemon, running)["HostConfig"]
    assert hc["CpusetCpus"] == "0"
    assert hc["Memory"] == 64 * 1024 * 1024  # untouched by an update that does not name it


def test_update_cfs_period_quota(daemon: Daemon, running: str) -> None:
    dockyard(daemon, "update", "--cpu-period", "100000", "--cpu-quota", "20000", running, check=True)
    hc = _state(daemon, running)["HostConfig"]
    assert (hc["CpuPeriod"], hc["CpuQuota"]) == (100000, 20000)
    ours = dockyard(daemon, "update", "--cpus", "1", running)
    ref = docker(daemon, "update", "--cpus", "1", running)
    assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr)


def test_update_errors_match_docker(daemon: Daemon, running: str) -> None:
    for args in ((running,), ("--memory", "64m", "no-such-ctr"), ("--restart", "bogus", running)):
        ours, ref = dockyard(daemon, "update", *args), docker(daemon, "update", *args)
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr), args


def test_stats_no_stream(daemon: Daemon, running: str) -> None:
    import re

    ours = dockyard(daemon, "stats", "--no-stream", running, check=True)
    ref = docker(daemon, "stats", "--no-stream", running, check=True)
    columns = [re.split(r"\s{2,}", out.splitlines()[0].strip()) for out in (ours.stdout, ref.stdout)]
    assert columns[0] == columns[1]  # widths follow the (changing) values; the columns must match
    cid = _state(daemon, running)["Id"]
    row = ours.stdout.splitlines()[1].split()
    assert row[0] == cid[:12] and row[1] == running and row[2].endswith("%")
    fmt = "{{.Name}} {{.PIDs}} {{.Container}}"
    assert dockyard(daemon, "stats", "--no-stream", "--format", fmt, running, check=True).stdout == \
        docker(daemon, "stats", "--no-stream", "--format", fmt, running, check=True).stdout
    j = json.loads(dockyard(daemon, "stats", "--no-stream", "--no-trunc", "--format", "json", running,
                            check=True).stdout)
    assert j["ID"] == cid and set(j) == set(json.loads(docker(daemon, "stats", "--no-stream", "--format", "json",
                                                              running, check=True).stdout))
    ours, ref = dockyard(daemon, "stats", "--no-stream", "no-such-ctr"), docker(daemon, "stats", "--no-stream",
                                                                               "no-such-ctr")
    assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr)


def test_stats_all_lists_stopped(daemon: Daemon, running: str, name: str) -> None:
    stopped = name + "-stopped"
    dockyard(daemon, "create", "--name", stopped, "busybox", "true", check=True)
    try:
        fmt = "{{.Name}}"
        plain = dockyard(daemon, "stats", "--no-stream", "--format", fmt, check=True).stdout.split()
        assert running in plain and stopped not in plain
        every = dockyard(daemon, "stats", "--no-stream", "-a", "--format", fmt, check=True).stdout.split()
        assert running in every and stopped in every
    finally:
        dockyard(daemon, "rm", "-f", stopped)


def test_stats_streams_redraws(daemon: Daemon, running: str) -> None:
    proc = subprocess.Popen([str(VENV_BIN / "dockyard"), "stats", "--format", "{{.Name}} {{.PIDs}}", running],
                            env=daemon.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        time.sleep(3.5)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    frames = [f for f in out.decode().split("\x1b[H") if f.strip()]
    assert len(frames) >= 2, out
    assert all(f == f"{running} 1\x1b[K\n\x1b[J" for f in frames[-2:]), frames
