"""Tools built on the docker SDK work against dockyardd: Testcontainers; attach and rename via the CLI."""

from __future__ import annotations

import subprocess

import pytest

from engine_helpers import DOCKER_CLI, Daemon, docker


def test_testcontainers_waits_for_a_log_line(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", daemon.host)
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")  # no reaper image offline
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = DockerContainer("busybox:latest").with_command(
        ["sh", "-c", "echo starting; sleep 0.5; echo server is ready; sleep 300"])
    with container:
        wait_for_logs(container, "server is ready", timeout=30)
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        assert wrapped.status == "running"
        code, out = wrapped.exec_run(["echo", "inside"])
        assert (code, out) == (0, b"inside\n")
        cid = wrapped.id
    r = docker(daemon, "ps", "-a", "-q", "--no-trunc")
    assert cid not in r.stdout.split()


def test_attach_to_running_container(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
           "sleep 1; echo late-line; sleep 0.2", check=True)
    try:
        r = subprocess.run([DOCKER_CLI, "attach", name], env=daemon.env, capture_output=True,
                           text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert "late-line" in r.stdout
    finally:
        docker(daemon, "rm", "-f", name)


def test_attach_to_stopped_container_is_refused(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        r = docker(daemon, "attach", name)
        assert r.returncode != 0 and "You cannot attach to a stopped container" in r.stderr
    finally:
        docker(daemon, "rm", "-f", name)


def test_rename(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    new = name + "-new"
    try:
        docker(daemon, "rename", name, new, check=True)
        assert docker(daemon, "inspect", "-f", "{{.Name}}", new, check=True).stdout.strip() == "/" + new
        assert docker(daemon, "inspect", name).returncode != 0
    finally:
        docker(daemon, "rm", "-f", new)
