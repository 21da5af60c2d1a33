"""The server end to end with dockyard's own transport and raw sockets."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from api_harness import ServerThread
from dockyard.api.router import Router
from dockyard.api.stream import demux
from dockyard.client.transport import Transport
from dockyard.errors import Conflict, NotFound, NotModified
from api_fake_app import State, build


@pytest.fixture
def app(serve: Callable[[Router], ServerThread]) -> Iterator[tuple[ServerThread, State]]:
    state = State()
    yield serve(build(state)), state


@pytest.fixture
def client(app: tuple[ServerThread, State]) -> Iterator[Transport]:
    t = Transport(app[0].address, timeout=20)
    yield t
    t.close()


def raw(st: ServerThread) -> socket.socket:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(st.path)
    return s


def recv_all(s: socket.socket) -> bytes:
    out = b""
    while data := s.recv(65536):
        out += data
    return out


def recv_until(s: socket.socket, marker: bytes, have: bytes = b"") -> bytes:
    while marker not in have:
        data = s.recv(65536)
        assert data, f"EOF before {marker!r}; got {have!r}"
        have += data
    return have


# -- basics ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_ping_headers(client: Transport, method: str) -> None:
    r = client.request(method, "/_ping")
    assert r.status == 200
    assert r.read() == (b"OK" if method == "GET" else b"")
    assert r.headers["api-version"] == "1.43"
    assert r.headers["Docker-Experimental"] == "false"
    assert r.headers["OSType"] == "linux"
    assert r.headers["Server"] == "Dockyard/9.9.9 (linux)"
    assert r.headers["Content-Length"] == ("2" if method == "GET" else "0")


@pytest.mark.parametrize(
    ("prefix", "status", "version"),
    [("", 200, "1.43"), ("/v1.24", 200, "1.24"), ("/v1.41", 200, "1.41"), ("/v1.43", 200, "1.43"),
     ("/v1.10", 400, None), ("/v1.99", 400, None)],
)
def test_version_prefixes(client: Transport, prefix: str, status: int, version: str | None) -> None:
    r = client.request("POST", prefix + "/echo", json={"x": 1})
    assert r.status == status
    assert r.headers["Api-Version"] == "1.43"  # on errors too
    if status == 200:
        assert r.json()["version"] == version
    else:
        assert r.headers["Content-Type"] == "application/json"
        assert r.json()["message"].startswith(f"client version {prefix[2:]} is too ")


def test_route_min_version_and_unknown_paths(client: Transport) -> None:
    assert client.request("GET", "/v1.41/new-feature").status == 404
    assert client.request("GET", "/v1.42/new-feature").status == 200
    for method, path in [("GET", "/nope"), ("DELETE", "/_ping"), ("GET", "/v1.41/nope")]:
        r = client.request(method, path)
        assert (r.status, r.read()) == (404, b'{"message":"page not found"}\n')


def test_routing_with_image_names(client: Transport) -> None:
    assert client.request("GET", "/images/json").json()[0]["RepoTags"] == ["busybox:latest"]
    r = client.request("GET", "/v1.43/images/docker.io/library/busybox:latest/json")
    assert r.json() == {"Id": "sha256:1", "RepoTags": ["docker.io/library/busybox:latest"]}


def test_json_query_and_params(client: Transport) -> None:
    r = client.request("POST", "/v1.40/echo/ghcr.io/a/b:1/x", json={"Image": "é"},
                       query={"all": True, "t": ["a", "b"], "skip": None, "n": 3,
                              "filters": {"label": ["k=v"]}})
    got = r.json()
    assert got["body"] == {"Image": "é"}
    assert got["params"] == {"name": "ghcr.io/a/b:1"}
    assert got["query"] == {"all": ["1"], "t": ["a", "b"], "n": ["3"], "filters": ['{"label":["k=v"]}']}
    assert got["ua"].startswith("dockyard-client/")


def test_filters_both_forms_over_the_wire(client: Transport) -> None:
    for form in ({"dangling": ["true"]}, {"dangling": {"true": True}}):
        r = client.request("GET", "/images/json", query={"filters": json.dumps(form)})
        assert r.json()[0]["filters"] == {"dangling": ["true"]}


def test_bad_json_body_is_400(client: Transport) -> None:
    r = client.request("POST", "/echo", body=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert r.json()["message"].startswith("invalid JSON: ")


def test_head_route_with_stat_header(client: Transport) -> None:
    r = client.request("HEAD", "/containers/abc/archive", query={"path": "/etc"})
    assert r.status == 200 and r.read() == b""
    assert "X-Docker-Container-Path-Stat" in r.headers
    assert client.request("GET", "/_ping").read() == b"OK"  # the connection is still in step


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "message", "exc"),
    [("notfound", 404, "No such container: x", NotFound), ("conflict", 409, "name is in use", Conflict),
     ("invalid", 400, "bad flag", None), ("unavailable", 503, "swarm is not offered", None)],
)
def test_error_kinds_map_to_status_and_body(client: Transport, kind: str, status: int, message: str,
                                            exc: type | None) -> None:
    r = client.request("GET", f"/fail/{kind}")
    assert r.status == status
    assert r.headers["Content-Type"] == "application/json"
    assert r.read() == json.dumps({"message": message}, separators=(",", ":")).encode() + b"\n"
    if exc is not None:
        with pytest.raises(exc, match=f"^{message}$"):
            r.raise_for_status()


def test_not_modified_is_a_bare_304(client: Transport) -> None:
    r = client.request("GET", "/fail/notmodified")
    assert (r.status, r.read()) == (304, b"")
    assert "Content-Length" not in r.headers
    with pytest.raises(NotModified):
        r.raise_for_status()
    assert client.request("POST", "/containers/abc/start").status == 204


def test_unexpected_exception_is_500_and_logged_not_sent(client: Transport, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="dockyard.api"):
        r = client.request("GET", "/fail/crash")
    assert r.status == 500
    body = r.read()
    assert json.loads(body) == {"message": "internal detail"}
    assert b"Traceback" not in body
    assert any(rec.exc_info and "internal detail" in str(rec.exc_info[1]) for rec in caplog.records)


def test_malformed_request_is_400(app: tuple[ServerThread, State]) -> None:
    with raw(app[0]) as s:
        s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        reply = recv_all(s)
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b'"message":"malformed HTTP request' in reply


# -- keep-alive -------------------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(client: Transport, app: tuple[ServerThread, State]) -> None:
    ids = {client.request("GET", "/conn").json()["conn"] for _ in range(5)}
    client.request("POST", "/echo", json={"a": 1})
    ids.add(client.request("GET", "/conn").json()["conn"])
    assert len(ids) == 1
    assert app[0].server.connection_count == 1


def test_unread_body_is_drained_before_next_request(client: Transport) -> None:
    first = client.request("GET", "/conn").json()["conn"]
    assert client.request("POST", "/ignore-body", body=b"x" * 200_000).status == 204
    assert client.request("POST", "/ignore-body", body=iter([b"a" * 1000] * 50)).status == 204
    assert client.request("GET", "/conn").json()["conn"] == first


def test_pipelined_requests_are_answered_in_order(app: tuple[ServerThread, State]) -> None:
    with raw(app[0]) as s:
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
                  b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = recv_all(s)
    parts = reply.split(b"HTTP/1.1 ")
    assert [p[:3] for p in parts[1:]] == [b"200", b"200", b"404"]
    assert b'"body":{"a":1}' in parts[2]


# -- bodies -----------------------------------------------------------------------------------


def test_chunked_request_body(client: Transport) -> None:
    r = client.request("POST", "/upload", body=(b"x" * n for n in (1, 70000, 3, 0, 5)))
    assert r.json()["size"] == 70009


def test_large_streamed_upload_is_not_buffered(client: Transport, app: tuple[ServerThread, State]) -> None:
    state = app[1]
    block = b"0123456789abcdef" * 65536  # 1 MiB
    digest = hashlib.sha256()
    total = 50

    def body() -> Iterator[bytes]:
        for i in range(total):
            if i == total - 1:
                # The handler must be consuming before the client has finished sending.
                assert state.upload_started.wait(10)
            digest.update(block)
            yield block

    r = client.request("POST", "/upload", body=body(), timeout=60)
    assert r.json() == {"size": total * len(block), "sha256": digest.hexdigest()}
    assert max(state.upload_chunks) <= 1024 * 1024
    assert len(state.upload_chunks) >= total


def test_file_body_with_content_length(client: Transport, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ctx.tar"
    path.write_bytes(b"t" * 300_000)
    with path.open("rb") as f:
        assert client.request("POST", "/upload", body=f).json()["size"] == 300_000
    assert client.request("POST", "/upload", body=path.read_bytes()).json()["size"] == 300_000


def test_stream_response_lines(client: Transport) -> None:
    with client.request("GET", "/stream", query={"n": 5}, stream=True) as r:
        assert r.headers["Transfer-Encoding"] == "chunked"
        assert r.headers["Content-Type"] == "application/json"
        assert [m["id"] for m in r.iter_json()] == ["0", "1", "2", "3", "4"]
    assert client.request("GET", "/_ping").read() == b"OK"


def test_large_streamed_download(client: Transport) -> None:
    with client.request("GET", "/download", query={"mib": 20}, stream=True) as r:
        total = sum(len(c) for c in r.iter_chunks())
    assert total == 20 * 1024 * 1024


def test_stream_generator_failure_truncates_reply(client: Transport, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="dockyard.api"):
        r = client.request("GET", "/stream-error", stream=True)
        lines = []
        with pytest.raises(ConnectionError):
            for line in r.iter_lines():
                lines.append(line)
    assert lines == [b'{"ok":1}']
    assert any("generator blew up" in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info)


def wait_for(predicate: Callable[[], bool], timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_client_disconnect_ends_stream(app: tuple[ServerThread, State], caplog: pytest.LogCaptureFixture) -> None:
    st, state = app
    with caplog.at_level(logging.WARNING):
        t = Transport(st.address, timeout=10)
        r = t.request("GET", "/follow", stream=True)
        lines = r.iter_lines()
        assert json.loads(next(lines)) == {"i": 0}
        assert json.loads(next(lines)) == {"i": 1}
        r.close()
        assert state.follow_closed.wait(5), "the stream generator was not closed"
        assert wait_for(lambda: st.server.connection_count == 0)
    assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]


def test_client_disconnect_while_stream_idle(app: tuple[ServerThread, State], caplog: pytest.LogCaptureFixture) -> None:
    st, state = app
    with caplog.at_level(logging.WARNING):
        t = Transport(st.address, timeout=10)
        r = t.request("GET", "/idle-follow", stream=True)
        assert next(r.iter_lines()) == b'{"first":true}'
        r.close()
        assert state.idle_closed.wait(5), "EOF on an idle stream was not noticed"
    assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]


# -- hijack -----------------------------------------------------------------------------------


def test_hijack_upgrade_both_ways_with_half_close(client: Transport, app: tuple[ServerThread, State]) -> None:
    sock = client.hijack("POST", "/v1.43/hijack/echo", query={"stdin": 1, "stream": 1})
    with sock:
        assert sock.status == 101 and sock.upgraded
        assert sock.content_type == "application/vnd.docker.raw-stream"
        assert sock.headers["Upgrade"] == "tcp"
        sock.send(b"hello ")
        sock.send(b"world")
        sock.shutdown_write()
        out = b""
        while data := sock.recv(100):
            out += data
    assert out == b"HELLO WORLD<eof>"
    assert wait_for(lambda: app[0].server.connection_count == 0)


def test_hijack_trailing_bytes_reach_handler(app: tuple[ServerThread, State]) -> None:
    st, state = app
    with raw(st) as s:
        s.sendall(b"POST /hijack/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                  b"Content-Length: 0\r\n\r\nearly-bytes")
        head = recv_until(s, b"EARLY-BYTES")
        s.shutdown(socket.SHUT_WR)
        rest = recv_all(s)
    assert head.startswith(b"HTTP/1.1 101 UPGRADED\r\n")
    assert b"\r\nConnection: Upgrade\r\n" in head and b"\r\nUpgrade: tcp\r\n" in head
    assert b"\r\nContent-Type: application/vnd.docker.raw-stream\r\n" in head
    assert b"Api-Version: 1.43" in head
    assert (head + rest).endswith(b"\r\n\r\nEARLY-BYTES<eof>")
    assert b"".join(state.hijack_got) == b"early-bytes"


def test_hijack_without_upgrade_is_200_raw(app: tuple[ServerThread, State]) -> None:
    with raw(app[0]) as s:
        body = b'{"Cmd":["echo","hi"]}'
        s.sendall(b"POST /exec/e1/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        reply = recv_all(s)  # the server closes at the end of a raw stream
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Type: application/vnd.docker.raw-stream" in head
    assert b"Content-Length" not in head and b"Transfer-Encoding" not in head
    assert list(demux([payload])) == [(1, b"echo hi\n"), (2, b"upgraded=False")]


def test_hijack_reads_json_body_first(client: Transport) -> None:
    with client.hijack("POST", "/exec/e1/start", json={"Detach": False, "Cmd": ["ls", "-l"]}) as sock:
        assert sock.content_type == "application/vnd.docker.multiplexed-stream"
        data = b""
        while chunk := sock.recv(3):  # tiny reads: buffered bytes come first, then the socket
            data += chunk
    assert list(demux([data])) == [(1, b"ls -l\n"), (2, b"upgraded=True")]


def test_hijack_error_raises_kind(client: Transport) -> None:
    with pytest.raises(NotFound, match="No such container: ghost"):
        client.hijack("POST", "/hijack/missing")


def test_concurrent_connections(client: Transport, app: tuple[ServerThread, State]) -> None:
    results: list[int] = []

    def worker() -> None:
        t = Transport(app[0].address, timeout=20)
        for _ in range(10):
            results.append(t.request("POST", "/echo", json={"n": 1}).status)
        t.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert results == [200] * 80
