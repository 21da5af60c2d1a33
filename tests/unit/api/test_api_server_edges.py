"""Server edges: TCP and TLS listeners, graceful close, 100-continue, pipelining behind a stream."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from api_harness import ServerThread
from dockyard.api.router import Router
from dockyard.client.transport import Transport, tls_context
from api_fake_app import State, build


@pytest.fixture
def app(serve: Callable[[Router], ServerThread]) -> Iterator[tuple[ServerThread, State]]:
    state = State()
    yield serve(build(state)), state


def raw(st: ServerThread) -> socket.socket:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(st.path)
    return s


def recv_until(s: socket.socket, marker: bytes, have: bytes = b"") -> bytes:
    while marker not in have:
        data = s.recv(65536)
        assert data, f"EOF before {marker!r}; got {have!r}"
        have += data
    return have


def test_tcp_listener(app: tuple[ServerThread, State]) -> None:
    st = app[0]
    port = st.run(st.server.serve_tcp("127.0.0.1", 0))
    with Transport(f"tcp://127.0.0.1:{port}", timeout=10) as t:
        assert t.request("GET", "/_ping").read() == b"OK"
        assert t.request("POST", "/upload", body=iter([b"z" * 100_000] * 5)).json()["size"] == 500_000


def test_tls_listener(app: tuple[ServerThread, State], tmp_path) -> None:  # type: ignore[no-untyped-def]
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        capture_output=True, timeout=60)
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a certificate: {made.stderr.decode()[-200:]}")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(cert), str(key))
    st = app[0]
    port = st.run(st.server.serve_tcp("127.0.0.1", 0, ssl_context=server_ctx))
    with Transport(f"tcp://127.0.0.1:{port}", ssl_context=tls_context(ca_cert=str(cert)), timeout=10) as t:
        assert t.request("GET", "/_ping").read() == b"OK"
        with t.request("GET", "/stream", query={"n": 3}, stream=True) as r:
            assert len(list(r.iter_json())) == 3
        sock = t.hijack("POST", "/exec/x/start", json={"Cmd": ["id"]})
        with sock:
            data = b""
            while chunk := sock.recv(1024):
                data += chunk
        assert data.startswith(b"\x01\x00\x00\x00\x00\x00\x00\x03id\n")


def test_graceful_close(app: tuple[ServerThread, State]) -> None:
    st, state = app
    idle = Transport(st.address, timeout=10)
    assert idle.request("GET", "/_ping").read() == b"OK"  # leaves an idle keep-alive connection
    follower = Transport(st.address, timeout=10)
    r = follower.request("GET", "/follow", stream=True)
    assert next(r.iter_lines())
    started = time.monotonic()
    st.run(st.server.close(timeout=0.5))
    assert time.monotonic() - started < 5
    assert state.follow_closed.is_set()
    assert st.server.connection_count == 0
    assert not os.path.exists(st.path)
    with pytest.raises(ConnectionError):
        for _ in r.iter_lines():
            pass
    idle.close()
    follower.close()


def test_expect_100_continue(app: tuple[ServerThread, State]) -> None:
    with raw(app[0]) as s:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = recv_until(s, b"\r\n\r\n")
        assert interim.startswith(b"HTTP/1.1 100 ")
        s.sendall(b"hello")
        reply = recv_until(s, b'"size":5')
    assert reply.split(b"\r\n")[0] == b"HTTP/1.1 200 OK"
    # A handler that never reads: no 100 is sent and the connection is not reused.
    with raw(app[0]) as s:
        s.sendall(b"POST /ignore-body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        reply = b""
        while data := s.recv(65536):
            reply += data
    assert reply.startswith(b"HTTP/1.1 204 ") and b"\r\nConnection: close\r\n" in reply


def test_pipelined_request_behind_a_stream(app: tuple[ServerThread, State]) -> None:
    with raw(app[0]) as s:
        s.sendall(b"GET /stream?n=2 HTTP/1.1\r\nHost: x\r\n\r\nGET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while data := s.recv(65536):
            reply += data
    assert reply.count(b"HTTP/1.1 200 OK") == 2
    assert reply.endswith(b"\r\n\r\nOK")


def test_large_headers_accepted(app: tuple[ServerThread, State]) -> None:
    with Transport(app[0].address, timeout=10) as t:
        r = t.request("POST", "/echo", json={}, headers={"X-Registry-Config": "A" * 200_000})
        assert r.status == 200


def test_body_read_inside_stream_generator(app: tuple[ServerThread, State]) -> None:
    with Transport(app[0].address, timeout=30) as t:
        with t.request("POST", "/load", body=iter([b"t" * 1_000_000] * 8), stream=True) as r:
            assert [m["stream"] for m in r.iter_json()] == ["Loaded 8000000 bytes\n"]
        assert t.request("GET", "/_ping").read() == b"OK"


def test_hijacked_client_vanishing_is_quiet(app: tuple[ServerThread, State], caplog: pytest.LogCaptureFixture) -> None:
    with Transport(app[0].address, timeout=10) as t:
        sock = t.hijack("POST", "/hijack/echo")
        sock.send(b"x")
        assert sock.recv(10) == b"X"
        sock.close()
    deadline = time.monotonic() + 5
    while app[0].server.connection_count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert app[0].server.connection_count == 0
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "WARNING")]
