"""Request and response types shared by the API server and its handlers.

Vocabulary:

- A **handler** is ``async def handler(req: Request) -> Reply``; it is registered
  on a :class:`~dockyard.api.router.Router` and called by the
  :class:`~dockyard.api.server.Server` once per request.
- A **reply** is what a handler returns: a :class:`Response` (whole body), a
  :class:`JSONResponse`, a :class:`StreamResponse` (chunked, flushed per chunk:
  ``logs -f``, events, pull progress), a :class:`Hijack` (the connection becomes a
  raw byte pipe: attach, exec start) or ``None`` (``204 No Content``, what Docker
  answers to start/stop/kill).
- The **API version** of a request is the ``X.YY`` of its ``/vX.YY/`` prefix, or
  :data:`MAX_API_VERSION` for unversioned paths (what moby does).

Query helpers follow Docker's parsing rules (``BoolValue``, ``filters.FromJSON``)
because clients rely on them: the docker CLI sends ``all=1``, docker-py sends
``all=true``, compose sends ``filters={"label":{"x=y":true}}``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, Union

from dockyard.errors import InvalidArgument

if TYPE_CHECKING:
    from dockyard.api.server import HijackedStream

__all__ = [
    "MIN_API_VERSION",
    "MAX_API_VERSION",
    "DEFAULT_BODY_LIMIT",
    "compare_versions",
    "Headers",
    "BodySource",
    "Request",
    "Response",
    "JSONResponse",
    "StreamResponse",
    "Hijack",
    "Reply",
    "Handler",
    "encode_json",
]

MIN_API_VERSION = "1.24"
"""Oldest ``/vX.YY/`` prefix accepted (moby's minimum for current daemons)."""

MAX_API_VERSION = "1.43"
"""Newest API version served; also the version of unversioned requests."""

DEFAULT_BODY_LIMIT = 64 * 1024 * 1024
"""Cap for :meth:`Request.body`: JSON bodies are small; big uploads use iter_body()."""

RAW_STREAM = "application/vnd.docker.raw-stream"
MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream"

# Docker's httputils.BoolValue: anything but these (after trim + lower) is true.
_FALSE_WORDS = frozenset({"", "0", "no", "false", "none"})


def _version_parts(version: str) -> list[int]:
    # Go's versions.compare: split on ".", non-numbers count as 0.
    parts = []
    for piece in version.split("."):
        parts.append(int(piece) if piece.isdigit() else 0)
    return parts


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as API version ``a`` is older, equal or newer than ``b``."""
    pa, pb = _version_parts(a), _version_parts(b)
    width = max(len(pa), len(pb))
    pa += [0] * (width - len(pa))
    pb += [0] * (width - len(pb))
    return (pa > pb) - (pa < pb)


def encode_json(data: Any) -> bytes:
    """Encode like Go's ``json.NewEncoder``: compact, UTF-8, one trailing newline."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued header map; ``h[name]`` is the first value."""

    __slots__ = ("_items", "_index")

    def __init__(self, items: Iterable[tuple[str | bytes, str | bytes]] | Mapping[str, str] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: list[tuple[str, str]] = []
        self._index: dict[str, list[str]] = {}
        for name, value in pairs:
            n = name.decode("latin-1") if isinstance(name, bytes) else name
            v = value.decode("latin-1") if isinstance(value, bytes) else value
            self._items.append((n, v))
            self._index.setdefault(n.lower(), []).append(v)

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()][0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> list[str]:
        """Every value sent for ``name`` (in order); empty when absent."""
        return list(self._index.get(name.lower(), ()))

    def raw(self) -> list[tuple[str, str]]:
        """The headers as received, original case and order."""
        return list(self._items)

    def has_token(self, name: str, token: str) -> bool:
        """True when a comma-separated header (``Connection``) lists ``token``."""
        token = token.lower()
        return any(
            part.strip().lower() == token for value in self.get_all(name) for part in value.split(",")
        )

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class BodySource(Protocol):
    """Where a request's body comes from; the server's connection implements it.

    ``read_chunk()`` returns the next piece of the body as it arrives off the wire
    (Content-Length or chunked framing already removed) and ``b""`` once the body
    is complete. It is called only by :class:`Request`.
    """

    async def read_chunk(self) -> bytes: ...


class _EmptyBody:
    async def read_chunk(self) -> bytes:
        return b""


@dataclass(eq=False)
class Request:
    """One API request as a handler sees it.

    ``path`` has the ``/vX.YY`` prefix removed and is percent-decoded (like Go's
    ``URL.Path``, which gorilla/mux matches on); ``query`` keeps every value of a
    repeated key; ``params`` are the route's ``{name}`` captures.

    The body is read at most once, either whole (:meth:`body`, :meth:`json`) or
    streamed (:meth:`iter_body`); a handler that does not read it need not care:
    the server drains or discards it before the next request on the connection.
    """

    method: str
    path: str
    version: str = MAX_API_VERSION
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: Headers = field(default_factory=Headers)
    params: dict[str, str] = field(default_factory=dict)
    target: str = ""
    source: BodySource = field(default_factory=_EmptyBody, repr=False)
    _cached: bytes | None = field(default=None, repr=False)
    _streamed: bool = field(default=False, repr=False)

    # -- version -----------------------------------------------------------------

    def version_at_least(self, version: str) -> bool:
        """True when the request's API version is ``version`` or newer."""
        return compare_versions(self.version, version) >= 0

    def version_before(self, version: str) -> bool:
        """True when the request's API version is older than ``version``."""
        return compare_versions(self.version, version) < 0

    @property
    def wants_upgrade(self) -> bool:
        """True when the client asked to hijack with ``Connection: Upgrade`` + ``Upgrade: tcp``."""
        return self.headers.has_token("Connection", "upgrade") and "Upgrade" in self.headers

    # -- query -------------------------------------------------------------------

    def q(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name`` (Go's ``FormValue``)."""
        values = self.query.get(name)
        return values[0] if values else default

    def q_all(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (``?t=a&t=b``)."""
        return list(self.query.get(name, ()))

    def qbool(self, name: str, default: bool = False) -> bool:
        """Docker's BoolValue: absent → default; "", 0, no, false, none → False; else True."""
        value = self.q(name)
        if value is None:
            return default
        return value.strip().lower() not in _FALSE_WORDS

    def qint(self, name: str, default: int | None = None) -> int | None:
        """An integer query parameter; absent or empty → default, junk → InvalidArgument."""
        value = self.q(name)
        if value is None or value.strip() == "":
            return default
        try:
            return int(value.strip(), 10)
        except ValueError:
            raise InvalidArgument(f"invalid value for {name}: {value!r} is not an integer") from None

    def qjson(self, name: str, default: Any = None) -> Any:
        """A JSON-encoded query parameter (``buildargs``, ``labels``...); absent/empty → default."""
        value = self.q(name)
        if value is None or value == "":
            return default
        try:
            return json.loads(value)
        except ValueError as exc:
            raise InvalidArgument(f"invalid JSON in query parameter {name!r}: {exc}") from exc

    def qfilters(self, name: str = "filters") -> dict[str, list[str]]:
        """The ``filters`` parameter normalised to ``{key: [values]}``.

        Accepts both of Docker's wire forms: the current map form
        ``{"status":{"running":true}}`` (values with a false flag dropped) and the
        legacy list form ``{"status":["running"]}``.
        """
        raw = self.qjson(name)
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise InvalidArgument(f"invalid filter: expected a JSON object, got {type(raw).__name__}")
        result: dict[str, list[str]] = {}
        for key, values in raw.items():
            if isinstance(values, dict):
                result[key] = [str(v) for v, flag in values.items() if flag]
            elif isinstance(values, list):
                result[key] = [str(v) for v in values]
            elif isinstance(values, str):
                result[key] = [values]
            else:
                raise InvalidArgument(f"invalid filter '{key}': expected a list or map of values")
        return result

    # -- body --------------------------------------------------------------------

    async def body(self, limit: int = DEFAULT_BODY_LIMIT) -> bytes:
        """The whole body (cached); more than ``limit`` bytes → InvalidArgument."""
        if self._cached is not None:
            return self._cached
        if self._streamed:
            raise RuntimeError("request body was already consumed by iter_body()")
        self._streamed = True
        parts: list[bytes] = []
        size = 0
        while chunk := await self.source.read_chunk():
            size += len(chunk)
            if size > limit:
                raise InvalidArgument(f"request body is larger than the {limit} bytes allowed")
            parts.append(chunk)
        self._cached = b"".join(parts)
        return self._cached

    async def json(self) -> Any:
        """The body decoded as JSON; an empty body is ``None``, bad JSON → InvalidArgument."""
        data = await self.body()
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise InvalidArgument(f"invalid JSON: {exc}") from exc

    async def iter_body(self) -> AsyncIterator[bytes]:
        """The body piece by piece as it arrives, never held whole (image load, build context)."""
        if self._cached is not None:
            if self._cached:
                yield self._cached
            return
        if self._streamed:
            raise RuntimeError("request body was already consumed")
        self._streamed = True
        while chunk := await self.source.read_chunk():
            yield chunk


@dataclass
class Response:
    """A reply with its whole body in memory. ``content_type=None`` sends no Content-Type."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/plain; charset=utf-8"
    headers: dict[str, str] | None = None


class JSONResponse(Response):
    """``data`` encoded as Docker does (Go's json.Encoder: compact, trailing newline)."""

    def __init__(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(encode_json(data), status, "application/json", headers)
        self.data = data


@dataclass
class StreamResponse:
    """A reply sent with chunked transfer-encoding, one flush per chunk.

    When the client goes away the server stops iterating and ``aclose()``\\ s
    ``chunks`` (so an async generator's ``finally`` runs: unsubscribe from
    events, stop following a log file). Disconnect is noticed on the next write,
    or immediately when the request body was fully received (EOF on the socket).
    """

    chunks: AsyncIterable[bytes]
    status: int = 200
    content_type: str | None = "application/json"
    headers: dict[str, str] | None = None


@dataclass
class Hijack:
    """Take over the connection as a raw byte pipe (attach, exec start).

    If the request asked to upgrade (``Connection: Upgrade``, ``Upgrade: tcp``)
    the server answers ``101 UPGRADED``; otherwise ``200 OK`` with no length and
    the connection is closed when ``run`` returns. ``run`` receives a
    :class:`~dockyard.api.server.HijackedStream`.
    """

    run: Callable[[HijackedStream], Awaitable[None]]
    content_type: str = RAW_STREAM
    headers: dict[str, str] | None = None


Reply = Union[Response, StreamResponse, Hijack, None]
Handler = Callable[[Request], Awaitable[Reply]]
