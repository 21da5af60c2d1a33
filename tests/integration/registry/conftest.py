"""Fixtures for the registry server tests: real server processes on free loopback ports."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import bcrypt
import pytest

from regsrv_helpers import ServerProcess

_counter = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """An open registry (anonymous pull and push), shared by a test module."""
    proc = ServerProcess(tmp_path_factory.mktemp("registry") / "root", ["--allow-anonymous-push"]).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def base(server: ServerProcess) -> str:
    return server.url


@pytest.fixture
def repo(request: pytest.FixtureRequest) -> str:
    """A repository name unique to the test (the module's server is shared)."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")[:60].strip("-")
    return f"t{next(_counter)}/{stem or 'x'}"


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start extra servers with custom flags; all are stopped at the end of the test."""
    started: list[ServerProcess] = []

    def start(*args: str, root: Path | None = None, port: int = 0) -> ServerProcess:
        proc = ServerProcess(root or tmp_path / f"root{len(started)}", list(args), port=port)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def htpasswd_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alice:alicepw (everything), bob:bobpw (pull only by the ACL below), carol:carolpw."""
    path = tmp_path_factory.mktemp("auth") / "htpasswd"
    lines = []
    for user in ("alice", "bob", "carol"):
        hashed = bcrypt.hashpw(f"{user}pw".encode(), bcrypt.gensalt(rounds=5)).decode()
        lines.append(f"{user}:$2y${hashed[4:]}")  # the prefix `htpasswd -B` writes
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def acl_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("acl") / "acl"
    path.write_text(
        "alice  *         *\n"
        "bob    *         pull\n"
        "carol  carol/*   pull,push\n"
        "anonymous public/* pull\n"
    )
    return path


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key
