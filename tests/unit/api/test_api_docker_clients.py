"""The server against the real clients: the docker SDK (APIClient), requests, the docker CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator

import docker
import docker.errors
import pytest
import requests
from docker.transport import UnixHTTPAdapter

from api_harness import ServerThread
from dockyard.api.router import Router
from api_fake_app import State, build


@pytest.fixture
def app(serve: Callable[[Router], ServerThread]) -> Iterator[tuple[ServerThread, State]]:
    state = State()
    yield serve(build(state)), state


@pytest.fixture
def sdk(app: tuple[ServerThread, State]) -> Iterator[docker.APIClient]:
    client = docker.APIClient(base_url=app[0].address, version="1.43", timeout=20)
    yield client
    client.close()


@pytest.fixture
def session(app: tuple[ServerThread, State]) -> Iterator[requests.Session]:
    s = requests.Session()
    s.mount("http+docker://", UnixHTTPAdapter(f"http+unix://{app[0].path}", timeout=20))
    yield s
    s.close()


URL = "http+docker://localhost"


# -- docker SDK -----------------------------------------------------------------------------


def test_sdk_ping_version_and_negotiation(app: tuple[ServerThread, State]) -> None:
    client = docker.APIClient(base_url=app[0].address, version="auto", timeout=20)
    try:
        assert client.api_version == "1.43"  # read from GET /version
        assert client.ping() is True
        assert client.version()["Version"] == "99.1.0"
    finally:
        client.close()


def test_sdk_routes_and_errors(sdk: docker.APIClient) -> None:
    assert sdk.images(filters={"dangling": True})[0]["filters"] == {"dangling": ["true"]}
    assert sdk.inspect_image("docker.io/library/busybox:latest")["RepoTags"] == ["docker.io/library/busybox:latest"]
    assert sdk.inspect_container("abc")["Id"] == "abc"
    with pytest.raises(docker.errors.NotFound) as err:
        sdk.inspect_container("missing")
    assert err.value.explanation == "No such container: missing"
    sdk.start("abc")  # 204
    sdk.stop("abc")  # 304: docker-py treats NotModified as success


def test_sdk_streamed_events(sdk: docker.APIClient) -> None:
    events = list(sdk.events(decode=True))
    assert [e["id"] for e in events] == ["0", "1", "2"]


def test_sdk_attach_hijack_101(sdk: docker.APIClient) -> None:
    out = sdk.attach("abc", stdout=True, stderr=True, stream=False, logs=True)
    assert out == b"hello\nerr\n"
    out = sdk.attach("abc", stdout=True, stderr=True, stream=False, logs=True, demux=True)
    assert out == (b"hello\n", b"err\n")


def test_sdk_many_requests_keep_alive(sdk: docker.APIClient, app: tuple[ServerThread, State]) -> None:
    for _ in range(20):
        assert sdk.ping() is True
    assert app[0].server.connection_count == 1


# -- requests -------------------------------------------------------------------------------


def test_requests_ping_and_version_prefix(session: requests.Session) -> None:
    r = session.get(f"{URL}/_ping")
    assert (r.status_code, r.text, r.headers["Api-Version"], r.headers["Ostype"]) == (200, "OK", "1.43", "linux")
    r = session.head(f"{URL}/_ping")
    assert r.status_code == 200 and r.headers["Server"] == "Dockyard/9.9.9 (linux)"
    r = session.get(f"{URL}/v1.12/_ping")
    assert r.status_code == 400 and "too old" in r.json()["message"]


def test_requests_chunked_upload_and_stream(session: requests.Session) -> None:
    r = session.post(f"{URL}/upload", data=(b"y" * 100_000 for _ in range(30)))
    assert r.json()["size"] == 3_000_000
    with session.get(f"{URL}/stream?n=4", stream=True) as r:
        assert [json.loads(line)["id"] for line in r.iter_lines() if line] == ["0", "1", "2", "3"]
    r = session.post(f"{URL}/echo", json={"k": [1, 2]}, params={"all": "true"})
    assert r.json()["body"] == {"k": [1, 2]} and r.json()["query"] == {"all": ["true"]}


# -- the docker CLI --------------------------------------------------------------------------

DOCKER = shutil.which("docker") or "/usr/local/bin/docker"


@pytest.mark.skipif(not os.access(DOCKER, os.X_OK), reason="no docker CLI binary")
def test_docker_cli_version(app: tuple[ServerThread, State], tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "DOCKER_HOST": app[0].address, "DOCKER_CONFIG": str(tmp_path / "docker-config")}
    done = subprocess.run([DOCKER, "version"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    server = done.stdout.split("Server:", 1)[1]
    assert "Dockyard Engine - Test" in server
    assert "99.1.0" in server
    assert "1.43 (minimum version 1.24)" in server
    formatted = subprocess.run([DOCKER, "version", "--format", "{{.Server.APIVersion}}"], env=env,
                               capture_output=True, text=True, timeout=60)
    assert formatted.stdout.strip() == "1.43", formatted.stderr
