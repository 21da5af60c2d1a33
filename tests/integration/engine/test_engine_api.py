"""Version negotiation and error bodies on the raw API."""

from __future__ import annotations

import json
import socket

from engine_helpers import Daemon, _unix_request, docker


def _raw(d: Daemon, method: str, path: str) -> tuple[int, bytes, bytes]:
    s = socket.socket(socket.AF_UNIX)
    s.connect(d.sock)
    s.sendall(f"{method} {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, body


def test_ping_headers(daemon: Daemon) -> None:
    status, head, body = _raw(daemon, "GET", "/_ping")
    assert status == 200 and body == b"OK"
    assert b"Api-Version:" in head or b"API-Version:" in head


def test_versioned_prefixes(daemon: Daemon) -> None:
    version = json.loads(_raw(daemon, "GET", "/version")[2])
    top = version["ApiVersion"]
    for v in ("1.24", "1.30", "1.41", top):
        status, _, body = _raw(daemon, "GET", f"/v{v}/containers/json?all=1")
        assert status == 200, (v, body)
    status, _, body = _raw(daemon, "GET", "/v1.99/version")
    assert status == 400 and b"message" in body


def test_error_body_and_status(daemon: Daemon) -> None:
    status, body = _unix_request(daemon.sock, "GET", "/containers/nope-nope/json")
    assert status == 404
    assert json.loads(body) == {"message": "No such container: nope-nope"}
    status, body = _unix_request(daemon.sock, "POST", "/containers/create", {"Image": ""})
    assert status == 400


def test_docker_version_and_info(daemon: Daemon) -> None:
    r = docker(daemon, "version", check=True)
    assert "Server:" in r.stdout
    r = docker(daemon, "info", "--format", "{{.Driver}} {{.OSType}}", check=True)
    assert r.stdout.split()[1] == "linux"


def test_socket_is_root_only(daemon: Daemon) -> None:
    import os
    import stat
    mode = stat.S_IMODE(os.stat(daemon.sock).st_mode)
    assert mode == 0o660
