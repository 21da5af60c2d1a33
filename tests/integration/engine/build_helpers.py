"""Helpers for the builder's integration tests: build through the API (docker SDK or a
raw tar), through the real docker CLI (classic builder: ``DOCKER_BUILDKIT=0``), and clean
up what each test tagged. Import the fixtures into a test module to use them::

    from build_helpers import cleanup, sdk  # noqa: F401  (pytest fixtures)
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import tarfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import docker as docker_sdk
import pytest

from engine_helpers import DOCKER_CLI, Daemon

CORPUS = Path(__file__).resolve().parents[2] / "build_corpus"


@dataclass
class BuildResult:
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(m.get("stream", "") for m in self.lines)

    @property
    def error(self) -> dict[str, Any] | None:
        for m in self.lines:
            if "errorDetail" in m or "error" in m:
                return m
        return None

    @property
    def id(self) -> str | None:
        for m in self.lines:
            if "aux" in m:
                return m["aux"]["ID"]
        return None

    def steps(self) -> list[str]:
        return [m["stream"] for m in self.lines if m.get("stream", "").startswith("Step ")]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def tar_of(files: dict[str, str | bytes], mode: int = 0o644) -> bytes:
    """A context tar from ``{path: content}``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            raw = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(raw), mode, 1_600_000_000
            t.addfile(info, io.BytesIO(raw))
    return buf.getvalue()


def tar_dir(path: str | Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for entry in sorted(os.listdir(path)):
            t.add(os.path.join(path, entry), arcname=entry)
    return buf.getvalue()


def api_build(d: Daemon, body: bytes, timeout: float = 240, **params: Any) -> BuildResult:
    """``POST /build`` with ``body`` as the context; list params repeat (``t``)."""
    query: list[tuple[str, str]] = []
    for k, v in params.items():
        if isinstance(v, (list, tuple)):
            query += [(k, str(x)) for x in v]
        elif isinstance(v, dict):
            query.append((k, json.dumps(v)))
        elif isinstance(v, bool):
            query.append((k, "1" if v else "0"))
        elif v is not None:
            query.append((k, str(v)))
    conn = _UnixConnection(d.sock, timeout)
    try:
        conn.request("POST", "/v1.43/build?" + urllib.parse.urlencode(query), body=body,
                     headers={"Content-Type": "application/x-tar"})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        return BuildResult([{"error": raw.decode(errors="replace"), "status": resp.status}])
    out = BuildResult()
    for line in raw.splitlines():
        if line.strip():
            out.lines.append(json.loads(line))
    return out


def docker_build(d: Daemon, *args: str, cwd: str | Path | None = None,
                 input: bytes | None = None, timeout: float = 240,
                 buildkit: str = "0") -> subprocess.CompletedProcess[str]:
    """The real ``docker build`` (classic builder) against the daemon."""
    env = dict(d.env)
    env["DOCKER_BUILDKIT"] = buildkit
    raw = subprocess.run([DOCKER_CLI, "build", *args], env=env, cwd=cwd, input=input,
                         capture_output=True, timeout=timeout,
                         stdin=None if input is not None else subprocess.DEVNULL)
    return subprocess.CompletedProcess(raw.args, raw.returncode,
                                       raw.stdout.decode(errors="replace"),
                                       raw.stderr.decode(errors="replace"))


@pytest.fixture
def sdk(daemon: Daemon) -> Iterator[docker_sdk.DockerClient]:
    c = docker_sdk.DockerClient(base_url=daemon.host, version="auto", timeout=240)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def cleanup(daemon: Daemon) -> Iterator[list[str]]:
    """Append image names/IDs to remove; after the test, every build container must be
    gone (``docker ps -a``) and the images are removed."""
    images: list[str] = []
    yield images
    leftovers = daemon.api("GET", "/containers/json?all=1")
    for ref in reversed(images):
        try:
            daemon.api("DELETE", f"/images/{ref}?force=1")
        except RuntimeError:
            pass
    assert leftovers == [], f"build containers left behind: {leftovers}"


def run_output(sdk: docker_sdk.DockerClient, image: str, script: str,
               shell: list[str] | None = None) -> str:
    """stdout of ``script`` in a container of ``image`` (logs read after the exit, not
    followed, so a slow log sync on a busy machine cannot cut them short)."""
    c = sdk.containers.create(image, [script], entrypoint=shell or ["/bin/sh", "-c"],
                              network_mode="none")
    try:
        c.start()
        assert c.wait(timeout=60)["StatusCode"] == 0, c.logs()
        return c.logs(stdout=True, stderr=False).decode()
    finally:
        c.remove(force=True)


def run_cmd(sdk: docker_sdk.DockerClient, image: str, cmd: list[str] | None = None) -> bytes:
    """stdout of a container of ``image`` (its CMD, or ``cmd``), read after it exits."""
    c = sdk.containers.create(image, cmd, network_mode="none")
    try:
        c.start()
        assert c.wait(timeout=60)["StatusCode"] == 0, c.logs()
        return c.logs(stdout=True, stderr=False)
    finally:
        c.remove(force=True)
