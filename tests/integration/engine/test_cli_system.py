"""version, info, help, unknown commands, host resolution, and starting a daemon on demand."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from engine_helpers import VENV_BIN, Daemon, docker, dockyard


def test_version_shows_client_and_server(daemon: Daemon) -> None:
    r = dockyard(daemon, "version", check=True)
    assert r.stdout.startswith("Client:\n Version:")
    assert "\nServer: Dockyard Engine\n Engine:\n  Version:" in r.stdout
    assert dockyard(daemon, "version", "--format", "{{.Server.ApiVersion}}", check=True).stdout == "1.43\n"


def test_info(daemon: Daemon) -> None:
    r = dockyard(daemon, "info", check=True)
    assert "\nServer:\n Containers: " in r.stdout
    assert f" Docker Root Dir: {daemon.data_root}\n" in r.stdout
    assert dockyard(daemon, "system", "info", "-f", "{{.Driver}}", check=True).stdout == "overlay2\n"


def test_unknown_command_matches_docker(daemon: Daemon) -> None:
    r = dockyard(daemon, "frobnicate")
    ref = docker(daemon, "frobnicate")
    assert r.returncode == ref.returncode
    assert r.stderr == ref.stderr.replace("docker", "dockyard")


def test_help_and_command_help(daemon: Daemon) -> None:
    r = dockyard(daemon, "--help")
    assert r.returncode == 0 and "Usage:  dockyard [OPTIONS] COMMAND" in r.stdout
    for cmd in ("stop", "rm", "logs", "tag", "rmi", "wait"):
        ours = dockyard(daemon, cmd, "--help", check=True).stdout
        ref = docker(daemon, cmd, "--help", check=True).stdout
        assert ours == ref.replace("docker ", "dockyard "), cmd


def test_host_flag_wins_over_the_environment(daemon: Daemon) -> None:
    env = dict(daemon.env, DOCKYARD_HOST="unix:///nonexistent/dockyard.sock", DOCKER_HOST="tcp://127.0.0.1:1")
    r = subprocess.run([str(VENV_BIN / "dockyard"), "-H", daemon.host, "version", "-f", "{{.Server.Version}}"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_unreachable_tcp_daemon_is_reported(daemon: Daemon) -> None:
    r = dockyard(daemon, "-H", "tcp://127.0.0.1:1", "ps")
    assert r.returncode == 1
    assert "Cannot connect to the dockyard daemon at tcp://127.0.0.1:1" in r.stderr


def test_starts_a_daemon_when_none_answers() -> None:
    if os.geteuid() != 0:
        pytest.skip("the engine needs root")
    root = tempfile.mkdtemp(prefix="dy-auto-")
    run = os.path.join(root, "run")
    env = dict(os.environ, DOCKYARD_DATA_ROOT=os.path.join(root, "data"), DOCKYARD_EXEC_ROOT=run)
    env.pop("DOCKYARD_HOST", None)
    env.pop("DOCKER_HOST", None)
    pidfile = Path(run, "dockyardd.pid")
    try:
        t0 = time.monotonic()
        r = subprocess.run([str(VENV_BIN / "dockyard"), "images", "-q"], env=env, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout == ""
        assert time.monotonic() - t0 < 15
        assert Path(run, "dockyard.sock").exists()
        assert Path(run, "dockyardd.log").exists()
        pid = int(pidfile.read_text())
        # a second CLI finds the running daemon and does not start another
        r = subprocess.run([str(VENV_BIN / "dockyard"), "ps", "-q"], env=env, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        assert int(pidfile.read_text()) == pid
    finally:
        try:
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
        except (OSError, ValueError):
            pass
        shutil.rmtree(root, ignore_errors=True)
