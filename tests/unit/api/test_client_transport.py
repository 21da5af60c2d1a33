"""The client transport against scripted raw servers: framing, reuse, retries, errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from dockyard.client.transport import DaemonUnreachable, Transport, _encode_query, parse_address
from dockyard.errors import Conflict, DockyardError, InvalidArgument


class RawServer:
    """Accepts connections on a unix socket and hands each to ``script(conn, index)``."""

    def __init__(self, path: str, script: Callable[[socket.socket, int], None]) -> None:
        self.path = path
        self.address = f"unix://{path}"
        self.script = script
        self.accepted = 0
        self.requests: list[bytes] = []
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(path)
        self.listener.listen(8)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            index = self.accepted
            self.accepted += 1
            with conn:
                conn.settimeout(10)
                try:
                    self.script(conn, index)
                except OSError:
                    pass

    def read_request(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        self.requests.append(data)
        return data

    def close(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        self.thread.join(5)
        assert not self.thread.is_alive()


@pytest.fixture
def raw_server(sockdir: str) -> Iterator[Callable[[Callable[[socket.socket, int], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(script: Callable[[socket.socket, int], None]) -> RawServer:
        s = RawServer(os.path.join(sockdir, f"raw{len(servers)}.sock"), script)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()


def test_parse_address() -> None:
    assert parse_address("unix:///run/d.sock") == ("unix", "/run/d.sock", False)
    assert parse_address("/run/d.sock") == ("unix", "/run/d.sock", False)
    assert parse_address("tcp://127.0.0.1:2375") == ("tcp", ("127.0.0.1", 2375), False)
    assert parse_address("tcp://example.com") == ("tcp", ("example.com", 2375), False)
    assert parse_address("https://example.com") == ("tcp", ("example.com", 2376), True)
    assert parse_address("tcp://[::1]:99") == ("tcp", ("::1", 99), False)
    for bad in ("npipe:////./pipe/docker", "unix://relative", "nothing", "tcp://:80"):
        with pytest.raises(ValueError):
            parse_address(bad)


def test_query_encoding() -> None:
    assert _encode_query({"all": True, "size": False, "skip": None, "t": ["a", "b c"], "n": 5,
                          "filters": {"label": ["x=y"]}}) == (
        "all=1&size=0&t=a&t=b+c&n=5&filters=%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D")


def test_missing_socket_is_daemon_unreachable(sockdir: str) -> None:
    t = Transport(f"unix://{sockdir}/absent.sock")
    with pytest.raises(DaemonUnreachable) as err:
        t.request("GET", "/_ping")
    assert isinstance(err.value, ConnectionError)
    assert err.value.address == f"unix://{sockdir}/absent.sock"
    assert "Is the daemon running?" in str(err.value)


def test_refused_tcp_is_daemon_unreachable() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(DaemonUnreachable):
        Transport(f"tcp://127.0.0.1:{port}", timeout=5).request("GET", "/_ping")


def test_framings_chunked_trailers_until_close_and_interim(raw_server) -> None:  # type: ignore[no-untyped-def]
    def script(conn: socket.socket, index: int) -> None:
        srv.read_request(conn)
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"
                     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Multi: a\r\nx-multi: b\r\n\r\n"
                     b"5;ext=1\r\nhello\r\n1\r\n\n\r\n0\r\nTrailer: t\r\n\r\n")
        srv.read_request(conn)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")

    srv = raw_server(script)
    with Transport(srv.address, timeout=10) as t:
        r = t.request("GET", "/a")
        assert (r.status, r.read(), r.headers["x-MULTI"]) == (200, b"hello\n", "a, b")
        r = t.request("GET", "/b")
        assert r.read() == b"until close"
    assert srv.accepted == 1
    assert t._idle == []  # HTTP/1.0 reply: the connection is not kept


def test_stale_keep_alive_connection_is_retried(raw_server) -> None:  # type: ignore[no-untyped-def]
    def script(conn: socket.socket, index: int) -> None:
        srv.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        # then close the idle keep-alive connection, as a restarted daemon would

    srv = raw_server(script)
    with Transport(srv.address, timeout=10) as t:
        assert t.request("GET", "/one").read() == b"ok"
        assert t.request("POST", "/two", json={"a": 1}).read() == b"ok"
    assert srv.accepted == 2
    assert srv.requests[-1].startswith(b"POST /two HTTP/1.1\r\n")


def test_request_head_format(raw_server) -> None:  # type: ignore[no-untyped-def]
    def script(conn: socket.socket, index: int) -> None:
        head = srv.read_request(conn)
        body = head.split(b"\r\n\r\n", 1)[1]
        while len(body) < 9:
            body += conn.recv(100)
        srv.requests.append(body)
        conn.sendall(b"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
                     b'{"message":"name in use"}\r\n')

    srv = raw_server(script)
    with Transport(srv.address, base_path="/v1.43", headers={"X-Registry-Auth": "e30="}) as t:
        r = t.request("post", "/containers/create", query={"name": "web 1"}, json={"a": [1]})
    head = srv.requests[0].decode()
    assert head.startswith("POST /v1.43/containers/create?name=web+1 HTTP/1.1\r\n")
    assert "\r\nContent-Type: application/json\r\n" in head and "\r\nX-Registry-Auth: e30=\r\n" in head
    assert srv.requests[1] == b'{"a":[1]}'
    with pytest.raises(Conflict, match="^name in use$"):
        r.raise_for_status()


def test_non_json_error_and_unknown_status(raw_server) -> None:  # type: ignore[no-untyped-def]
    def script(conn: socket.socket, index: int) -> None:
        srv.read_request(conn)
        conn.sendall(b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 6\r\n\r\nteapot")
        srv.read_request(conn)
        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    srv = raw_server(script)
    with Transport(srv.address, timeout=10) as t:
        with pytest.raises(InvalidArgument, match="^teapot$"):
            t.request("GET", "/x").raise_for_status()
        with pytest.raises(DockyardError, match="HTTP status 502"):
            t.request("GET", "/y").raise_for_status()


def test_truncated_body_raises(raw_server) -> None:  # type: ignore[no-untyped-def]
    def script(conn: socket.socket, index: int) -> None:
        srv.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")

    srv = raw_server(script)
    with pytest.raises(ConnectionError):
        Transport(srv.address, timeout=10).request("GET", "/x")


def test_hijack_keeps_bytes_sent_with_the_head(raw_server) -> None:  # type: ignore[no-untyped-def]
    def script(conn: socket.socket, index: int) -> None:
        head = srv.read_request(conn)
        assert b"\r\nConnection: Upgrade\r\n" in head and b"\r\nUpgrade: tcp\r\n" in head
        conn.sendall(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                     b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nimmediate")
        data = b""
        while chunk := conn.recv(100):
            data += chunk
        conn.sendall(b"|" + data)

    srv = raw_server(script)
    sock = Transport(srv.address, timeout=10).hijack("POST", "/containers/x/attach", query={"stream": True})
    with sock:
        assert sock.buffered == bytearray(b"immediate")
        sock.send(b"in")
        sock.shutdown_write()
        out = b""
        while chunk := sock.recv(4):
            out += chunk
    assert out == b"immediate|in"


def test_import_is_cheap() -> None:
    # Nothing heavy may ride along: the CLI imports this on every command.
    code = ("import sys; import dockyard.client.transport; "
            "bad = [m for m in ('h11', 'http.client', 'urllib.request', 'email', 'asyncio', 'ssl', "
            "'dataclasses', 'typing', 'dockyard.api.http') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
