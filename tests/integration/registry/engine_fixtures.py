"""The engine's fixtures for the registry client tests: a dockyardd and the real docker CLI.

Import into a test module (``from engine_fixtures import daemon, dk, ...``). The engine's
helpers live in tests/integration/engine/; their folder is put on ``sys.path`` here.
Every docker CLI call gets a private ``DOCKER_CONFIG`` (so ``docker login`` never touches
the host's ~/.docker), every server is stopped by pid.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

_ENGINE = str(Path(__file__).resolve().parents[1] / "engine")
if _ENGINE not in sys.path:
    sys.path.insert(0, _ENGINE)

from engine_helpers import DOCKER_CLI, Daemon, started_daemon  # noqa: E402

from regsrv_helpers import DockerRegistryProcess  # noqa: E402

__all__ = ["daemon", "dk", "Docker", "distribution", "skopeo_env", "api"]


class Docker:
    """The real docker CLI against one daemon, with its own config dir."""

    def __init__(self, d: Daemon, config_dir: str) -> None:
        self.d = d
        self.config_dir = config_dir

    def __call__(self, *args: str, timeout: float = 120,
                 check: bool = False) -> subprocess.CompletedProcess[str]:
        env = dict(self.d.env, DOCKER_CONFIG=self.config_dir)
        r = subprocess.run([DOCKER_CLI, *args], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
                                 f"\n--- daemon log ---\n{self.d.log()[-4000:]}")
        return r

    def image_ids(self) -> set[str]:
        out = self("images", "-aq", "--no-trunc", check=True).stdout.split()
        return set(out)


@pytest.fixture(scope="module")
def daemon() -> Iterator[Daemon]:
    """A dockyardd with busybox bootstrapped, for one test module."""
    with started_daemon() as d:
        yield d


@pytest.fixture
def dk(daemon: Daemon) -> Iterator[Docker]:
    config_dir = tempfile.mkdtemp(prefix="dy-dockercfg-")
    try:
        yield Docker(daemon, config_dir)
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def distribution(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerRegistryProcess]:
    """Debian's docker-registry (distribution 2.8) on a free loopback port."""
    if not Path("/usr/bin/docker-registry").exists():
        pytest.skip("docker-registry is not installed")
    proc = DockerRegistryProcess(tmp_path_factory.mktemp("distribution")).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def skopeo_env(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """skopeo with a private HOME/auth file; raises on failure."""
    if shutil.which("skopeo") is None:
        pytest.skip("skopeo is not installed")
    from regsrv_helpers import skopeo

    def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return skopeo(*args, timeout=timeout, env_home=tmp_path)

    return run


class _UnixConnection:
    """``http.client`` over the daemon's unix socket (independent of dockyard's client)."""

    @staticmethod
    def request(sock_path: str, method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes | None = None, timeout: float = 120) -> tuple[int, bytes]:
        import http.client
        import socket

        class Conn(http.client.HTTPConnection):
            def connect(self) -> None:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(timeout)
                s.connect(sock_path)
                self.sock = s

        conn = Conn("localhost", timeout=timeout)
        try:
            hdrs = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def api(d: Daemon, method: str, path: str, *, headers: dict[str, str] | None = None,
        body: object = None, stream: bool = False) -> tuple[int, Any]:
    """(status, decoded body): with ``stream`` the list of JSON lines (jsonmessages)."""
    import json

    raw = None if body is None else json.dumps(body).encode()
    status, data = _UnixConnection.request(d.sock, method, path, headers=headers, body=raw)
    text = data.decode()
    if stream and status < 300:
        return status, [json.loads(line) for line in text.splitlines() if line.strip()]
    return status, json.loads(text) if text.strip() else None
