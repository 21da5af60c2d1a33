"""Crash safety: kill -9 the server in the middle of an upload, restart, resume."""

from __future__ import annotations

import os
import socket
import time

import requests

from regsrv_helpers import sha256

MiB = 1 << 20


def _torn_patch(host: str, port: int, location: str, start: int, chunk: bytes, send: int) -> socket.socket:
    """Start a PATCH announcing ``chunk`` but send only ``send`` bytes of it."""
    sock = socket.create_connection((host, port))
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Range: {start}-{start + len(chunk) - 1}\r\n"
        f"Content-Length: {len(chunk)}\r\n\r\n"
    ).encode()
    sock.sendall(head + chunk[:send])
    return sock


def test_kill_during_upload_then_resume(start_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(6 * MiB)
    digest = sha256(data)
    first = start_server("--allow-anonymous-push")
    base = first.url
    location = requests.post(f"{base}/v2/crash/app/blobs/uploads/").headers["Location"]
    uuid = location.rsplit("/", 1)[-1]
    r = requests.patch(f"{base}{location}", data=data[: 2 * MiB], headers={"Content-Range": f"0-{2 * MiB - 1}"})
    assert r.status_code == 202 and r.headers["Range"] == f"0-{2 * MiB - 1}"

    sock = _torn_patch("127.0.0.1", first.port, location, 2 * MiB, data[2 * MiB :], send=3 * MiB)
    data_file = first.root / "uploads" / uuid / "data"
    deadline = time.monotonic() + 10
    while data_file.stat().st_size <= 2 * MiB and time.monotonic() < deadline:
        time.sleep(0.05)
    assert data_file.stat().st_size > 2 * MiB  # torn, uncommitted bytes did reach the disk
    first.kill9()
    sock.close()

    second = start_server("--allow-anonymous-push", root=first.root)
    base = second.url
    # the blob is not visible, not even partially
    assert requests.head(f"{base}/v2/crash/app/blobs/{digest}").status_code == 404
    blobs_dir = second.root / "blobs"
    assert not blobs_dir.exists() or not any(blobs_dir.rglob("data"))
    # the upload survived the restart at its last committed offset
    status = requests.get(f"{base}{location}")
    assert status.status_code == 204 and status.headers["Range"] == f"0-{2 * MiB - 1}"
    offset = int(status.headers["Range"].split("-")[1]) + 1
    r = requests.patch(f"{base}{status.headers['Location']}", data=data[offset:],
                       headers={"Content-Range": f"{offset}-{len(data) - 1}"})
    assert r.status_code == 202, r.text
    r = requests.put(f"{base}{r.headers['Location']}", params={"digest": digest})
    assert r.status_code == 201, r.text
    got = requests.get(f"{base}/v2/crash/app/blobs/{digest}")
    assert got.content == data


def test_kill_during_monolithic_upload_then_restart(start_server) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(4 * MiB)
    digest = sha256(data)
    first = start_server("--allow-anonymous-push")
    sock = socket.create_connection(("127.0.0.1", first.port))
    head = (
        f"POST /v2/crash/mono/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    sock.sendall(head + data[: 3 * MiB])
    time.sleep(0.5)
    first.kill9()
    sock.close()

    second = start_server("--allow-anonymous-push", root=first.root)
    assert requests.head(f"{second.url}/v2/crash/mono/blobs/{digest}").status_code == 404
    # restarting the upload from scratch works
    r = requests.post(f"{second.url}/v2/crash/mono/blobs/uploads/", params={"digest": digest}, data=data)
    assert r.status_code == 201
    assert requests.get(f"{second.url}/v2/crash/mono/blobs/{digest}").content == data
