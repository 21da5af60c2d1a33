"""The one place that maps error kinds to HTTP statuses, and back.

Server side, :func:`status_for` and :func:`error_body` turn whatever a handler
raised into Docker's error reply ``{"message": "..."}``; the text is the
compatibility contract (clients match "No such container"), so it is sent
verbatim. Client side, :func:`kind_for_status` / :func:`error_from_response` turn
a non-2xx reply back into the same kind, so ``NotFound`` raised in the daemon is
``NotFound`` in the CLI.

This module is imported lazily by the client transport: it must stay cheap
(no asyncio, no h11, no dataclasses).
"""

from __future__ import annotations

import json

from dockyard.errors import (
    BuildError,
    Conflict,
    DockyardError,
    Forbidden,
    InvalidArgument,
    NotFound,
    NotImplementedKind,
    NotModified,
    SystemError,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "STATUS_BY_KIND",
    "KIND_BY_STATUS",
    "status_for",
    "message_for",
    "error_body",
    "kind_for_status",
    "error_from_response",
]

STATUS_BY_KIND: dict[type[DockyardError], int] = {
    DockyardError: 500,
    InvalidArgument: 400,
    BuildError: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    NotModified: 304,
    Conflict: 409,
    Unavailable: 503,
    NotImplementedKind: 501,
    SystemError: 500,
}
"""Kind → status. Subclasses not listed take their nearest listed ancestor's status."""

KIND_BY_STATUS: dict[int, type[DockyardError]] = {
    304: NotModified,
    400: InvalidArgument,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    500: DockyardError,
    501: NotImplementedKind,
    503: Unavailable,
}
"""Status → kind for replies; 500 maps to the base kind (the daemon did not say why)."""


def status_for(exc: BaseException) -> int:
    """The HTTP status for ``exc``: its kind's (or nearest ancestor's), else 500."""
    for cls in type(exc).__mro__:
        status = STATUS_BY_KIND.get(cls)  # type: ignore[arg-type]
        if status is not None:
            return status
    return 500


def message_for(exc: BaseException) -> str:
    """The text sent to the client: the error's own message, never a traceback."""
    text = str(exc)
    if isinstance(exc, DockyardError):
        return text
    return text or type(exc).__name__


def error_body(exc: BaseException) -> bytes:
    """Docker's error body, ``{"message":"..."}`` plus the encoder's newline."""
    return json.dumps({"message": message_for(exc)}, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def kind_for_status(status: int) -> type[DockyardError]:
    """The kind a client raises for a non-2xx status; unknown 4xx → InvalidArgument."""
    kind = KIND_BY_STATUS.get(status)
    if kind is not None:
        return kind
    if 400 <= status < 500:
        return InvalidArgument
    return DockyardError


def error_from_response(status: int, body: bytes) -> DockyardError:
    """Rebuild the daemon's error from a reply: its ``message`` (or raw text) in the right kind."""
    message = ""
    try:
        decoded = json.loads(body) if body.strip() else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
        message = decoded["message"]
    else:
        message = body.decode("utf-8", "replace").strip()
    if not message:
        message = f"HTTP status {status}"
    err = kind_for_status(status)(message)
    err.http_status = status  # type: ignore[attr-defined]
    return err
