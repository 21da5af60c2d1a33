"""The Engine API server: asyncio + h11 on a unix socket (or TCP/TLS).

One task per connection, requests on a connection handled in order (HTTP/1.1
keep-alive and pipelining as h11 allows). Per request:

1. the :class:`~dockyard.api.router.Router` picks the handler (404/400 first);
2. the handler runs with a :class:`~dockyard.api.http.Request`; whatever it
   raises becomes Docker's ``{"message": ...}`` reply via
   :mod:`dockyard.api.errors` (``NotModified`` → bare 304; a non-dockyard
   exception → 500 with its traceback logged, never sent);
3. its reply is written: whole, chunked (:class:`StreamResponse`, flushed per
   chunk, stopped and ``aclose()``\\ d when the client goes away) or as a hijack;
4. any body the handler left unread is drained (up to :data:`DRAIN_LIMIT`,
   beyond that the connection is closed) so the next request parses cleanly.

Every reply carries the headers the docker CLI's version negotiation reads:
``Api-Version`` (the server's maximum, as moby sends), ``Docker-Experimental``,
``Ostype`` and ``Server``.

Hijack (attach, exec start) follows moby byte for byte: if the request carried
``Connection: Upgrade`` + ``Upgrade: tcp`` the head is ``HTTP/1.1 101 UPGRADED``
with ``Connection: Upgrade`` / ``Upgrade: tcp``, otherwise ``HTTP/1.1 200 OK``
without a length; then the socket is the handler's (:class:`HijackedStream`),
beginning with any bytes the client sent right behind the request head.
"""

from __future__ import annotations

import asyncio
import grp
import logging
import os
import ssl
import time
from collections.abc import AsyncIterable
from http import HTTPStatus
from typing import Any

import h11

import dockyard
from dockyard.api import errors as api_errors
from dockyard.api.http import Handler, Headers, Hijack, Request, Response, StreamResponse
from dockyard.api.router import Router
from dockyard.errors import DockyardError, InvalidArgument, NotModified

__all__ = ["Server", "HijackedStream", "ClientDisconnected", "DRAIN_LIMIT"]

log = logging.getLogger("dockyard.api")

READ_SIZE = 64 * 1024
MAX_HEAD_SIZE = 1024 * 1024
"""Request line + headers cap; X-Registry-Config/X-Registry-Auth can be large (Go allows 1 MiB)."""
DRAIN_LIMIT = 1024 * 1024
"""Unread request body drained to keep a connection alive; more than this and we close it."""
WATCH_BUFFER_LIMIT = 1024 * 1024
"""Pipelined bytes buffered while streaming a reply before we stop reading ahead."""


class ClientDisconnected(ConnectionError):
    """The client went away mid-request; handled quietly (no traceback, no reply)."""


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def _http_date() -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())


class HijackedStream:
    """The raw connection after a hijack, given to :attr:`Hijack.run`.

    ``read()`` first returns bytes the client sent right behind the request
    (already buffered by the HTTP parser), then reads the socket; ``b""`` is
    EOF (the client half-closed its side: stdin ended). ``close_write()`` sends
    our EOF (``shutdown(SHUT_WR)``), which the docker CLI waits for before
    exiting; the server closes the connection when ``run`` returns.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        buffered: bytes,
        eof: bool,
        upgraded: bool,
        content_type: str,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._buffered = bytearray(buffered)
        self._eof = eof
        self.upgraded = upgraded
        """True for a ``101 UPGRADED`` hijack, False for a ``200 OK`` raw stream."""
        self.content_type = content_type

    async def read(self, n: int = READ_SIZE) -> bytes:
        """Up to ``n`` bytes from the client; ``b""`` once it has closed its side."""
        if self._buffered:
            data = bytes(self._buffered[:n])
            del self._buffered[:n]
            return data
        if self._eof:
            return b""
        try:
            data = await self._reader.read(n)
        except ConnectionError:
            data = b""
        if not data:
            self._eof = True
        return data

    async def write(self, data: bytes) -> None:
        """Send ``data``; raises :class:`ClientDisconnected` if the client is gone."""
        if self._writer.transport.is_closing():
            raise ClientDisconnected("client closed the hijacked connection")
        self._writer.write(data)
        try:
            await self._writer.drain()
        except ConnectionError as exc:
            raise ClientDisconnected(str(exc)) from exc

    async def close_write(self) -> None:
        """Half-close: the client reads EOF but may keep sending (TLS: no-op, not supported)."""
        if self._writer.transport.is_closing():
            return
        try:
            await self._writer.drain()
            if self._writer.can_write_eof():
                self._writer.write_eof()
        except (ConnectionError, OSError):
            pass

    def close(self) -> None:
        """Close both directions."""
        self._writer.close()

    @property
    def closed(self) -> bool:
        return self._writer.transport.is_closing()


class _Connection:
    """One client connection: the h11 state machine plus the socket; the BodySource of its requests."""

    def __init__(self, server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_SIZE)
        self.busy = False
        self._eof = False
        self._body_done = True
        self._method = "GET"

    # -- socket I/O --------------------------------------------------------------

    async def _receive_more(self) -> None:
        if self._eof:
            self.h11.receive_data(b"")
            return
        try:
            data = await self.reader.read(READ_SIZE)
        except ConnectionError:
            data = b""
        if not data:
            self._eof = True
        self.h11.receive_data(data)

    async def _next_event(self) -> Any:
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                await self._receive_more()
                continue
            return event

    async def _write(self, data: bytes) -> None:
        if not data:
            return
        if self.writer.transport.is_closing():
            raise ClientDisconnected("client closed the connection")
        self.writer.write(data)
        try:
            await self.writer.drain()
        except ConnectionError as exc:
            raise ClientDisconnected(str(exc)) from exc

    async def _send(self, event: Any) -> None:
        data = self.h11.send(event)
        if data:
            await self._write(data)

    # -- BodySource --------------------------------------------------------------

    async def read_chunk(self) -> bytes:
        """Next piece of the current request's body; ``b""`` at its end."""
        while not self._body_done:
            if self.h11.they_are_waiting_for_100_continue:
                await self._send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))
            try:
                event = await self._next_event()
            except h11.RemoteProtocolError as exc:
                self._body_done = True
                if self._eof:
                    raise ClientDisconnected("client closed the connection mid-body") from exc
                raise InvalidArgument(f"malformed request body: {exc}") from exc
            if isinstance(event, h11.Data):
                if event.data:
                    return bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._body_done = True
            else:  # ConnectionClosed or PAUSED cannot occur mid-body; treat as the end
                self._body_done = True
                raise ClientDisconnected("client closed the connection mid-body")
        return b""

    async def _drain(self, limit: int) -> bool:
        """Discard the unread rest of the body; False when too big (or broken) to keep the connection."""
        total = 0
        try:
            while chunk := await self.read_chunk():
                total += len(chunk)
                if total > limit:
                    return False
        except (DockyardError, ConnectionError):
            return False
        return True

    # -- the request loop --------------------------------------------------------

    async def run(self) -> None:
        try:
            while True:
                self.busy = False
                try:
                    event = await self._next_event()
                except h11.RemoteProtocolError as exc:
                    await self._protocol_error(exc)
                    return
                if not isinstance(event, h11.Request):
                    return  # ConnectionClosed, or PAUSED after a Connection: close cycle
                self.busy = True
                if not await self._handle(event):
                    return
                if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
                    return
                self.h11.start_next_cycle()
        except ClientDisconnected:
            pass
        except h11.LocalProtocolError:
            log.exception("API reply violated HTTP/1.1 (a handler's headers?)")
        except (ConnectionError, h11.RemoteProtocolError) as exc:
            log.debug("connection dropped: %s", exc)
        except Exception:
            log.exception("API connection failed")
        finally:
            self.writer.close()

    async def _protocol_error(self, exc: h11.RemoteProtocolError) -> None:
        body = api_errors.error_body(InvalidArgument(f"malformed HTTP request: {exc}"))
        headers = self.server.standard_headers() + [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ]
        try:
            await self._send(h11.Response(status_code=exc.error_status_hint, headers=headers))
            await self._send(h11.Data(data=body))
            await self._send(h11.EndOfMessage())
        except (h11.ProtocolError, ConnectionError):
            pass

    async def _handle(self, event: h11.Request) -> bool:
        """Serve one request; False when the connection must close afterwards."""
        self._method = event.method.decode("ascii", "replace").upper()
        self._body_done = False
        target = event.target.decode("utf-8", "surrogateescape")
        headers = Headers(event.headers)
        if "Transfer-Encoding" not in headers and headers.get("Content-Length", "0").strip() == "0":
            # No body: take h11's EndOfMessage now (no I/O), so the request counts as
            # fully received — what lets a streamed reply watch for the client's EOF.
            await self.read_chunk()
        request: Request | None = None
        log.debug("%s %s", self._method, target)
        try:
            request, handler = self.server.make_request(self._method, target, headers, self)
            reply = await handler(request)
        except ClientDisconnected:
            return False
        except Exception as exc:  # every failure becomes a reply
            reply = self.server.error_reply(exc, self._method, target)
        if reply is not None and not isinstance(reply, (Response, StreamResponse, Hijack)):
            bad = TypeError(f"handler returned {type(reply).__name__}, not a reply")
            reply = self.server.error_reply(bad, self._method, target)

        if isinstance(reply, Hijack):
            assert request is not None
            return await self._hijack(reply, request)
        # A client waiting for "100 Continue" that never got it may never send its
        # body: the connection cannot be reused after this reply.
        close_after = self.h11.they_are_waiting_for_100_continue
        if reply is None:
            reply = Response(b"", 204, None)
        if isinstance(reply, StreamResponse):
            if not await self._send_stream(reply, close_after):
                return False
        else:
            await self._send_whole(reply, close_after)
        if close_after:
            return False
        if self.h11.their_state is h11.SEND_BODY:
            return await self._drain(DRAIN_LIMIT)
        return True

    def _head(self, status: int, content_type: str | None, extra: dict[str, str] | None,
              length: int | None, close: bool) -> h11.Response:
        headers = self.server.standard_headers()
        if content_type and status not in (204, 304):
            headers.append(("Content-Type", content_type))
        if extra:
            headers.extend(extra.items())
        if length is not None and status not in (204, 304) and status >= 200:
            headers.append(("Content-Length", str(length)))
        if close:
            headers.append(("Connection", "close"))
        return h11.Response(status_code=status, headers=headers, reason=_reason(status))

    async def _send_whole(self, reply: Response, close: bool) -> None:
        await self._send(self._head(reply.status, reply.content_type, reply.headers, len(reply.body), close))
        if self._method != "HEAD" and reply.body and reply.status not in (204, 304):
            await self._send(h11.Data(data=reply.body))
        await self._send(h11.EndOfMessage())

    # -- streaming ---------------------------------------------------------------

    async def _send_stream(self, reply: StreamResponse, close: bool) -> bool:
        """Send a chunked reply; False if it ended early (client gone, generator failed)."""
        chunks = reply.chunks
        try:
            await self._send(self._head(reply.status, reply.content_type, reply.headers, None, close))
            if self._method == "HEAD":
                await self._send(h11.EndOfMessage())
                return True
        except BaseException:
            await _aclose(chunks)
            raise
        pump = asyncio.ensure_future(self._pump(chunks))
        # Only when the request is fully read can EOF on the socket mean "client gone"
        # (otherwise the handler may still be reading its body).
        watch = asyncio.ensure_future(self._watch_eof()) if self.h11.their_state is h11.DONE else None
        try:
            if watch is None:
                return await pump
            done, _ = await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
            if pump in done:
                return pump.result()
            if watch.result():  # EOF: the client hung up (logs -f interrupted)
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
                return False
            return await pump  # watch stopped reading ahead, the stream goes on
        finally:
            for task in (pump, watch):
                if task is not None and not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    async def _pump(self, chunks: AsyncIterable[bytes]) -> bool:
        try:
            async for chunk in chunks:
                if chunk:
                    await self._send(h11.Data(data=chunk))
            await self._send(h11.EndOfMessage())
            return True
        except ClientDisconnected:
            return False
        except Exception:
            # Headers are gone already: the only honest signal left is to cut the
            # chunked body short, which clients report as an unexpected EOF.
            log.exception("stream reply failed")
            return False
        finally:
            await _aclose(chunks)

    async def _watch_eof(self) -> bool:
        """Read ahead while a reply streams: True on EOF, False when we stop watching."""
        buffered = 0
        while buffered < WATCH_BUFFER_LIMIT:
            try:
                data = await self.reader.read(READ_SIZE)
            except ConnectionError:
                data = b""
            if not data:
                self._eof = True
                return True
            buffered += len(data)
            self.h11.receive_data(data)  # pipelined requests, parsed after this reply
        return False

    # -- hijack ------------------------------------------------------------------

    async def _hijack(self, reply: Hijack, request: Request) -> bool:
        if not await self._drain(DRAIN_LIMIT):
            return False
        upgraded = request.wants_upgrade
        lines = ["HTTP/1.1 101 UPGRADED" if upgraded else "HTTP/1.1 200 OK", f"Content-Type: {reply.content_type}"]
        if upgraded:
            lines += ["Connection: Upgrade", "Upgrade: tcp"]
        lines += [f"{k}: {v}" for k, v in self.server.standard_headers()]
        if reply.headers:
            lines += [f"{k}: {v}" for k, v in reply.headers.items()]
        await self._write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        buffered, closed = self.h11.trailing_data
        stream = HijackedStream(self.reader, self.writer, buffered, closed or self._eof, upgraded, reply.content_type)
        try:
            await reply.run(stream)
        except ConnectionError:
            pass
        except Exception:
            log.exception("hijacked %s %s failed", request.method, request.target)
        finally:
            stream.close()
        return False


async def _aclose(chunks: AsyncIterable[bytes]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except Exception:
        log.exception("closing a stream reply failed")


class Server:
    """Serves a :class:`Router` over any number of unix/TCP listeners.

    ``serve_unix``/``serve_tcp`` bind and return; :meth:`serve_forever` waits
    until :meth:`close`, which stops listening, closes idle connections, gives
    busy ones ``timeout`` seconds and then cancels them (streams such as
    ``events`` never end on their own).
    """

    def __init__(
        self,
        router: Router,
        *,
        server_version: str = dockyard.__version__,
        os_type: str = "linux",
        experimental: bool = False,
    ) -> None:
        self.router = router
        self.server_version = server_version
        self.os_type = os_type
        self.experimental = experimental
        self._listeners: list[asyncio.base_events.Server] = []
        self._unix_paths: list[str] = []
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed: asyncio.Event | None = None

    # -- listening ---------------------------------------------------------------

    async def serve_unix(self, path: str, mode: int = 0o660, group: str | None = "dockyard") -> None:
        """Listen on unix socket ``path`` (a stale socket file is replaced).

        The socket gets ``mode`` and, when the group exists and we may, ``group``
        ownership (``docker``'s convention: members may talk to the daemon).
        """
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        listener = await asyncio.start_unix_server(self._accept, path=path, limit=READ_SIZE)
        os.chmod(path, mode)
        if group is not None:
            try:
                os.chown(path, -1, grp.getgrnam(group).gr_gid)
            except KeyError:
                log.debug("group %s does not exist; socket keeps its group", group)
            except PermissionError:
                log.warning("cannot give socket %s to group %s", path, group)
        self._listeners.append(listener)
        self._unix_paths.append(path)

    async def serve_tcp(self, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> int:
        """Listen on TCP (TLS with ``ssl_context``); returns the bound port (useful with port 0)."""
        listener = await asyncio.start_server(self._accept, host, port, ssl=ssl_context, limit=READ_SIZE)
        self._listeners.append(listener)
        return int(listener.sockets[0].getsockname()[1])

    async def serve_forever(self) -> None:
        """Wait until :meth:`close` is called."""
        if self._closed is None:
            self._closed = asyncio.Event()
        await self._closed.wait()

    async def close(self, timeout: float = 5.0) -> None:
        """Stop listening; let busy connections finish for up to ``timeout`` s, then cancel them."""
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()
        for conn in list(self._connections):
            if not conn.busy:
                conn.writer.close()
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for path in self._unix_paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self._unix_paths.clear()
        if self._closed is not None:
            self._closed.set()

    @property
    def connection_count(self) -> int:
        """Open client connections (tests use it to check cleanup)."""
        return len(self._connections)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback that starts our own task: asyncio's wrapper for coroutine
        # callbacks calls task.exception() on a cancelled task (3.11), which logs a
        # spurious CancelledError traceback whenever close() cancels a connection.
        conn = _Connection(self, reader, writer)
        task = asyncio.get_running_loop().create_task(conn.run())
        self._connections.add(conn)
        self._tasks.add(task)

        def forget(_: asyncio.Task[None]) -> None:
            self._connections.discard(conn)
            self._tasks.discard(task)

        task.add_done_callback(forget)

    # -- per request -------------------------------------------------------------

    def standard_headers(self) -> list[tuple[str, str]]:
        """Headers on every reply (what ``/_ping`` and version negotiation read)."""
        return [
            ("Api-Version", self.router.max_api_version),
            ("Docker-Experimental", "true" if self.experimental else "false"),
            ("Ostype", self.os_type),
            ("Server", f"Dockyard/{self.server_version} ({self.os_type})"),
            ("Date", _http_date()),
        ]

    def make_request(self, method: str, target: str, headers: Headers, source: Any) -> tuple[Request, Handler]:
        """Resolve the route; the handler's :class:`Request` and the handler (raises NotFound/InvalidArgument)."""
        raw_path, _, raw_query = target.partition("?")
        resolved = self.router.resolve(method, raw_path)
        query: dict[str, list[str]] = {}
        if raw_query:
            from urllib.parse import parse_qs

            query = parse_qs(raw_query, keep_blank_values=True)
        request = Request(
            method=method,
            path=resolved.path,
            version=resolved.version,
            query=query,
            headers=headers,
            params=resolved.params,
            target=target,
            source=source,
        )
        return request, resolved.route.handler

    def error_reply(self, exc: BaseException, method: str, target: str) -> Response:
        """The reply for a failed request: 304 bare, kinds as JSON, anything else 500 + log."""
        if isinstance(exc, NotModified):
            return Response(b"", 304, None)
        if not isinstance(exc, DockyardError):
            log.error("%s %s failed", method, target, exc_info=exc)
        return Response(api_errors.error_body(exc), api_errors.status_for(exc), "application/json")
