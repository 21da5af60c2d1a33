"""A small synchronous HTTP/1.1 client for the Engine API (the CLI's and the tests' transport).

Why not h11 here, when the server uses it: the CLI must start fast, and
``import h11`` alone costs ~22 ms on these machines (its dataclasses pull in
``inspect``), over the whole budget of this module. The client side of HTTP/1.1
against one known kind of server is small — write a request, parse a status
line, headers and one of three body framings (Content-Length, chunked, until
close) — so it is done here by hand on ``socket``; the tests run it against the
h11 server. Imports: ``socket``, ``json``, ``urllib.parse``; ``ssl`` only for TLS.

Addresses::

    unix:///var/run/dockyard.sock     (a bare "/path" means the same)
    tcp://127.0.0.1:2375              (http:// is an alias)
    tcp://host:2376 + ssl_context     (https:// implies TLS with default verification)

Usage::

    t = Transport("unix:///run/dockyard.sock")
    r = t.request("GET", "/v1.43/containers/json", query={"all": True})
    r.raise_for_status()          # NotFound, Conflict... from dockyard.errors
    containers = r.json()

    with t.request("GET", "/events", stream=True) as r:
        for event in r.iter_json():
            ...

    sock = t.hijack("POST", "/containers/abc/attach", query={"stream": 1, "stdin": 1, "stdout": 1})
    sock.send(b"ls\\n"); sock.shutdown_write(); data = sock.recv(4096)

One keep-alive connection is reused across calls (a small pool when a streamed
reply is still open); a reused connection the daemon closed meanwhile is retried
once on a fresh one when the request can be replayed.
"""

from __future__ import annotations

import json as _json
import socket
from _thread import allocate_lock
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import quote, urlencode

import dockyard

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs 2 ms of CLI start-up
if TYPE_CHECKING:
    import ssl
    from typing import Any, BinaryIO

__all__ = [
    "Transport",
    "ClientResponse",
    "HijackedSocket",
    "ResponseHeaders",
    "DaemonUnreachable",
    "parse_address",
    "tls_context",
]

_READ_SIZE = 64 * 1024
_MAX_HEAD = 1024 * 1024
_PATH_SAFE = "/:@-._~!$&'()*+,;="
_USER_AGENT = f"dockyard-client/{dockyard.__version__}"


class DaemonUnreachable(ConnectionError):
    """No daemon answers at ``address`` (socket missing, connection refused, no permission)."""

    def __init__(self, address: str, reason: str = "") -> None:
        self.address = address
        self.reason = reason
        text = f"Cannot connect to the dockyard daemon at {address}. Is the daemon running?"
        super().__init__(f"{text} ({reason})" if reason else text)


class _EarlyClose(ConnectionError):
    """The server closed a connection before any byte of a reply (stale keep-alive)."""


class ResponseHeaders(Mapping[str, str]):
    """Case-insensitive reply headers; repeated headers are joined with ", "."""

    __slots__ = ("_map", "_names")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._map: dict[str, str] = {}
        self._names: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            if key in self._map:
                self._map[key] += ", " + value
            else:
                self._map[key] = value
                self._names[key] = name

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._map)

    def __repr__(self) -> str:
        return f"ResponseHeaders({dict(zip(self._names.values(), self._map.values()))!r})"


def parse_address(address: str) -> tuple[str, Any, bool]:
    """``(family, where, tls)``: ``("unix", "/path", False)`` or ``("tcp", (host, port), tls)``."""
    if address.startswith("/"):
        return "unix", address, False
    scheme, sep, rest = address.partition("://")
    if not sep:
        raise ValueError(f"invalid daemon address {address!r}: expected unix:///path or tcp://host:port")
    scheme = scheme.lower()
    if scheme == "unix":
        if not rest.startswith("/"):
            raise ValueError(f"invalid daemon address {address!r}: the socket path must be absolute")
        return "unix", rest, False
    if scheme not in ("tcp", "http", "https"):
        raise ValueError(f"invalid daemon address {address!r}: unsupported scheme {scheme!r}")
    tls = scheme == "https"
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):  # [::1]:2375
        host, _, port_text = hostport[1:].partition("]")
        port_text = port_text.lstrip(":")
    else:
        host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if not host:
        raise ValueError(f"invalid daemon address {address!r}: no host")
    port = int(port_text) if port_text else (2376 if tls else 2375)
    return "tcp", (host, port), tls


def tls_context(
    ca_cert: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
    verify: bool = True,
) -> ssl.SSLContext:
    """A client TLS context like ``docker --tlsverify --tlscacert --tlscert --tlskey``."""
    import ssl

    ctx = ssl.create_default_context(cafile=ca_cert)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert:
        ctx.load_cert_chain(client_cert, client_key)
    return ctx


class _Conn:
    """A socket plus the bytes read from it but not yet consumed."""

    __slots__ = ("sock", "buf", "reused")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.reused = False

    def _fill(self) -> bool:
        data = self.sock.recv(_READ_SIZE)
        if not data:
            return False
        self.buf += data
        return True

    def read_head(self) -> bytes:
        """Bytes up to and including the blank line ending a reply head."""
        start = 0
        while True:
            end = self.buf.find(b"\r\n\r\n", start)
            if end >= 0:
                head = bytes(self.buf[: end + 4])
                del self.buf[: end + 4]
                return head
            if len(self.buf) > _MAX_HEAD:
                raise ConnectionError("reply head too large")
            start = max(0, len(self.buf) - 3)
            had = bool(self.buf)
            if not self._fill():
                if had:
                    raise ConnectionError("connection closed inside a reply head")
                raise _EarlyClose("connection closed before a reply")

    def readline(self) -> bytes:
        start = 0
        while True:
            end = self.buf.find(b"\n", start)
            if end >= 0:
                line = bytes(self.buf[: end + 1])
                del self.buf[: end + 1]
                return line
            if len(self.buf) > _MAX_HEAD:
                raise ConnectionError("line too long in reply")
            start = len(self.buf)
            if not self._fill():
                raise ConnectionError("connection closed inside a chunked reply")

    def read_some(self, limit: int) -> bytes:
        """Up to ``limit`` bytes, buffered ones first; ``b""`` at EOF."""
        if not self.buf:
            if limit >= _READ_SIZE:
                return self.sock.recv(limit)
            if not self._fill():
                return b""
        data = bytes(self.buf[:limit])
        del self.buf[:limit]
        return data

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("connection closed inside a reply body")
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _parse_head(head: bytes) -> tuple[str, int, str, ResponseHeaders]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ConnectionError(f"malformed reply status line: {lines[0]!r}")
    pairs = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if sep:
            pairs.append((name.strip(), value.strip()))
    return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", ResponseHeaders(pairs)


def _query_value(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, (dict, list)):
        return _json.dumps(value, separators=(",", ":"))
    return str(value)


def _encode_query(query: Mapping[str, Any] | None) -> str:
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if item is not None:
                pairs.append((key, _query_value(item)))
    return urlencode(pairs)


class ClientResponse:
    """A reply: status and headers read, body read on demand (or already, unless ``stream=True``).

    The connection goes back to the transport's pool once the body has been read
    to its end; :meth:`close` before that drops the connection instead.
    """

    def __init__(
        self, transport: Transport, conn: _Conn, method: str, version: str, status: int, reason: str,
        headers: ResponseHeaders,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self._transport = transport
        self._conn: _Conn | None = conn
        self._body: bytes | None = None
        self._chunk_left = 0
        self._remaining = 0
        te = headers.get("Transfer-Encoding", "").lower()
        conn_tokens = {t.strip().lower() for t in headers.get("Connection", "").split(",")}
        self._keep_alive = version == "HTTP/1.1" and "close" not in conn_tokens
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            self._mode = "none"
        elif "chunked" in te:
            self._mode = "chunked"
        elif "Content-Length" in headers:
            self._mode = "length"
            self._remaining = int(headers["Content-Length"])
        else:
            self._mode = "close"
            self._keep_alive = False
        if self._mode == "none" or (self._mode == "length" and self._remaining == 0):
            self._finish()

    # -- body --------------------------------------------------------------------

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._keep_alive:
                self._transport._release(conn)
            else:
                conn.close()

    def _read_piece(self, limit: int = _READ_SIZE) -> bytes:
        conn = self._conn
        if conn is None:
            return b""
        try:
            if self._mode == "length":
                data = conn.read_some(min(limit, self._remaining))
                if not data:
                    raise ConnectionError("connection closed inside a reply body")
                self._remaining -= len(data)
                if self._remaining == 0:
                    self._finish()
                return data
            if self._mode == "chunked":
                if self._chunk_left == 0:
                    size_line = conn.readline().split(b";", 1)[0].strip()
                    size = int(size_line, 16)
                    if size == 0:
                        while conn.readline().strip():  # trailers, up to the blank line
                            pass
                        self._finish()
                        return b""
                    self._chunk_left = size
                data = conn.read_some(min(limit, self._chunk_left))
                if not data:
                    raise ConnectionError("connection closed inside a chunked reply")
                self._chunk_left -= len(data)
                if self._chunk_left == 0:
                    conn.read_exact(2)
                return data
            data = conn.read_some(limit)  # until close
            if not data:
                self._finish()
            return data
        except BaseException:
            self._keep_alive = False
            self._finish()
            raise

    def iter_chunks(self, size: int = _READ_SIZE) -> Iterator[bytes]:
        """Body pieces as they arrive (each chunk of a stream as soon as it is sent)."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        while data := self._read_piece(size):
            yield data

    def iter_lines(self) -> Iterator[bytes]:
        """Non-empty lines of the body (``\\n`` or ``\\r\\n`` ended), e.g. JSON-lines streams."""
        pending = b""
        for chunk in self.iter_chunks():
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                line = line.rstrip(b"\r")
                if line:
                    yield line
        if pending.strip():
            yield pending.rstrip(b"\r")

    def iter_json(self) -> Iterator[Any]:
        """Decoded objects of a JSON-lines stream (events, stats, pull/build progress)."""
        for line in self.iter_lines():
            yield _json.loads(line)

    def read(self) -> bytes:
        """The whole (rest of the) body."""
        if self._body is None:
            self._body = b"".join(iter(self._read_piece, b""))
        return self._body

    def json(self) -> Any:
        """The body decoded as JSON (``None`` for an empty body)."""
        data = self.read()
        return _json.loads(data) if data.strip() else None

    def close(self) -> None:
        """Give up on the rest of the body (the connection is dropped, not reused)."""
        if self._conn is not None:
            self._keep_alive = False
            self._finish()

    def raise_for_status(self) -> None:
        """Raise the ``dockyard.errors`` kind for a non-2xx status, with the daemon's message."""
        if 200 <= self.status < 300:
            return
        from dockyard.api.errors import error_from_response

        raise error_from_response(self.status, self.read())

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __enter__(self) -> ClientResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ClientResponse {self.status} {self.reason}>"


class HijackedSocket:
    """The raw connection after a hijack (``101 UPGRADED`` or ``200`` raw stream).

    Bytes the daemon sent right behind its reply head are in :attr:`buffered`
    and returned first by :meth:`recv`; a ``select()`` loop must drain them
    before waiting on :meth:`fileno`.
    """

    def __init__(self, sock: socket.socket, buffered: bytes, status: int, headers: ResponseHeaders) -> None:
        self.sock = sock
        self.buffered = bytearray(buffered)
        self.status = status
        self.headers = headers
        self.upgraded = status == 101
        self.content_type = headers.get("Content-Type", "")

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv(self, n: int = _READ_SIZE) -> bytes:
        """Up to ``n`` bytes from the daemon (buffered ones first); ``b""`` at EOF."""
        if self.buffered:
            data = bytes(self.buffered[:n])
            del self.buffered[:n]
            return data
        return self.sock.recv(n)

    def send(self, data: bytes) -> None:
        """Send all of ``data``."""
        self.sock.sendall(data)

    def shutdown_write(self) -> None:
        """Half-close: tell the daemon stdin ended; keep reading its output."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> HijackedSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Transport:
    """Requests to one daemon address over reused HTTP/1.1 connections."""

    def __init__(
        self,
        address: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float | None = None,
        base_path: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """``base_path`` (e.g. ``"/v1.43"``) is put before every path; ``headers`` go on every request."""
        self.address = address
        self.family, self._where, tls = parse_address(address)
        if tls and ssl_context is None:
            ssl_context = tls_context()
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.base_path = base_path.rstrip("/")
        self.headers = dict(headers or {})
        self._idle: list[_Conn] = []
        self._lock = allocate_lock()

    # -- connections -------------------------------------------------------------

    def _connect(self, timeout: float | None) -> _Conn:
        try:
            if self.family == "unix":
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.settimeout(timeout)
                    sock.connect(self._where)
                except BaseException:
                    sock.close()
                    raise
            else:
                sock = socket.create_connection(self._where, timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self.ssl_context is not None:
                    sock = self.ssl_context.wrap_socket(sock, server_hostname=self._where[0])
        except OSError as exc:
            raise DaemonUnreachable(self.address, exc.strerror or str(exc)) from exc
        return _Conn(sock)

    def _acquire(self, timeout: float | None) -> _Conn:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            return self._connect(timeout)
        conn.reused = True
        conn.sock.settimeout(timeout)
        return conn

    def _release(self, conn: _Conn) -> None:
        if conn.buf:  # bytes beyond the reply: the stream is out of step, do not reuse
            conn.close()
            return
        with self._lock:
            self._idle.append(conn)

    def close(self) -> None:
        """Close idle connections (open streamed replies keep theirs until closed)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------

    def _head_bytes(
        self, method: str, path: str, query: Mapping[str, Any] | None, headers: Mapping[str, str] | None,
        body_headers: dict[str, str],
    ) -> bytes:
        target = quote(self.base_path + path, safe=_PATH_SAFE)
        qs = _encode_query(query)
        if qs:
            target += "?" + qs
        host = self._where[0] if self.family == "tcp" else "docker"
        merged = {"Host": host, "User-Agent": _USER_AGENT, **self.headers, **body_headers, **(headers or {})}
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in merged.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    @staticmethod
    def _body_parts(method: str, json: Any, body: Any) -> tuple[dict[str, str], bytes | None, Any]:
        """``(framing headers, fixed bytes, or a stream to send chunked)``."""
        if json is not None:
            data = _json.dumps(json, separators=(",", ":")).encode()
            return {"Content-Type": "application/json", "Content-Length": str(len(data))}, data, None
        if body is None:
            if method in ("POST", "PUT", "PATCH"):
                return {"Content-Length": "0"}, b"", None
            return {}, b"", None
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, (bytes, bytearray, memoryview)):
            return {"Content-Length": str(len(body))}, bytes(body), None
        return {"Transfer-Encoding": "chunked"}, None, body

    @staticmethod
    def _send_chunked(sock: socket.socket, stream: Any) -> None:
        if hasattr(stream, "read"):
            pieces: Iterable[Any] = iter(lambda: stream.read(_READ_SIZE), b"")
        else:
            pieces = stream
        for piece in pieces:
            if isinstance(piece, str):
                piece = piece.encode()
            if piece:
                sock.sendall(b"%x\r\n" % len(piece) + bytes(piece) + b"\r\n")
        sock.sendall(b"0\r\n\r\n")

    def _exchange(
        self, conn: _Conn, head: bytes, fixed: bytes | None, stream: Any, *, interim_ok: bool = False
    ) -> tuple[str, int, str, ResponseHeaders]:
        sock = conn.sock
        if fixed is not None:
            sock.sendall(head + fixed if len(fixed) < _READ_SIZE else head)
            if len(fixed) >= _READ_SIZE:
                sock.sendall(fixed)
        else:
            sock.sendall(head)
            self._send_chunked(sock, stream)
        while True:
            version, status, reason, headers = _parse_head(conn.read_head())
            if 100 <= status < 200 and not (interim_ok and status == 101):
                continue  # 100 Continue and friends: the real reply follows
            return version, status, reason, headers

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        body: bytes | str | Iterable[bytes] | BinaryIO | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> ClientResponse:
        """Send one request; the reply's body is read now unless ``stream=True``.

        ``query`` values may be str/int/bool (True → "1"), lists (repeated keys)
        or dicts (JSON, e.g. ``filters``); None is skipped. ``body`` bytes go with
        a Content-Length, iterables and files chunked. Non-2xx replies are returned,
        not raised: see :meth:`ClientResponse.raise_for_status`.
        """
        method = method.upper()
        timeout = self.timeout if timeout is None else timeout
        body_headers, fixed, chunked = self._body_parts(method, json, body)
        head = self._head_bytes(method, path, query, headers, body_headers)
        while True:
            conn = self._acquire(timeout)
            try:
                version, status, reason, rheaders = self._exchange(conn, head, fixed, chunked)
            except (_EarlyClose, BrokenPipeError, ConnectionResetError):
                conn.close()
                if conn.reused and fixed is not None:
                    continue  # the daemon dropped an idle keep-alive connection: retry fresh
                raise
            except BaseException:
                conn.close()
                raise
            break
        response = ClientResponse(self, conn, method, version, status, reason, rheaders)
        if not stream:
            response.read()
        return response

    def hijack(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> HijackedSocket:
        """Ask to upgrade the connection to a raw stream (attach, exec start).

        Returns on ``101`` (or a ``200`` raw stream); any other status raises the
        matching ``dockyard.errors`` kind with the daemon's message. The socket is
        left blocking with no timeout, ready for select/threads.
        """
        method = method.upper()
        timeout = self.timeout if timeout is None else timeout
        body_headers, fixed, _ = self._body_parts(method, json, None)
        upgrade = {"Connection": "Upgrade", "Upgrade": "tcp", **(headers or {})}
        head = self._head_bytes(method, path, query, upgrade, body_headers)
        conn = self._connect(timeout)
        try:
            version, status, reason, rheaders = self._exchange(conn, head, fixed, None, interim_ok=True)
        except BaseException:
            conn.close()
            raise
        if status in (101, 200):
            conn.sock.settimeout(None)
            return HijackedSocket(conn.sock, bytes(conn.buf), status, rheaders)
        response = ClientResponse(self, conn, method, version, status, reason, rheaders)
        response._keep_alive = False
        try:
            response.raise_for_status()
        finally:
            response.close()
        raise ConnectionError(f"unexpected reply to a hijack: {status} {reason}")
