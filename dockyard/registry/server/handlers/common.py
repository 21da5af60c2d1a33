"""Small pieces the handlers share: locations, headers, body streaming, pagination."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import TYPE_CHECKING, Sequence
from urllib.parse import quote, urlencode

from aiohttp import web

from ..digests import Digest
from ..errors import RegistryError

if TYPE_CHECKING:
    from ..uploads import UploadSession

__all__ = [
    "blob_location",
    "manifest_location",
    "upload_location",
    "range_header",
    "parse_content_range",
    "stream_into",
    "paginate",
    "page_size",
    "digest_param",
]

#: Bytes gathered from the socket before one write+hash is handed to a thread:
#: big enough to amortise the hand-off, small enough to keep memory flat with
#: many concurrent uploads.
FLUSH_BYTES = 1 << 20

_CONTENT_RANGE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?$")


def blob_location(name: str, digest: Digest) -> str:
    return f"/v2/{name}/blobs/{digest}"


def manifest_location(name: str, digest: Digest) -> str:
    return f"/v2/{name}/manifests/{digest}"


def upload_location(name: str, uuid: str) -> str:
    return f"/v2/{name}/blobs/uploads/{uuid}"


def range_header(size: int) -> str:
    """The upload ``Range`` header: ``0-<last byte>``, and ``0-0`` for nothing yet
    (the convention distribution uses and clients expect)."""
    return f"0-{max(size - 1, 0)}"


def parse_content_range(value: str) -> tuple[int, int]:
    """``start-end`` (inclusive, the spec's form; ``bytes a-b/n`` tolerated) → (start, end)."""
    match = _CONTENT_RANGE.match(value.strip())
    if not match or int(match.group(2)) < int(match.group(1)):
        raise RegistryError("BLOB_UPLOAD_INVALID", f"invalid Content-Range {value!r}", status=416)
    return int(match.group(1)), int(match.group(2))


def digest_param(request: web.Request) -> Digest:
    value = request.query.get("digest")
    if not value:
        raise RegistryError("DIGEST_INVALID", "digest parameter missing")
    return Digest.parse(value)


async def stream_into(request: web.Request, session: UploadSession, *, checkpoint: bool) -> int:
    """Copy the request body into ``session``; return the byte count.

    Writes and hashing run in a worker thread, one buffer behind the socket
    reads, so the event loop keeps serving other uploads. With ``checkpoint``
    the session commits every ``CHECKPOINT_BYTES`` and, if the client goes
    away mid-body, commits what fully arrived (it is a valid prefix that the
    client can resume after); without it a broken body leaves nothing behind.
    """
    loop = asyncio.get_running_loop()
    pending: asyncio.Future[None] | None = None
    buffer = bytearray()
    received = 0
    try:
        while True:
            chunk = await request.content.readany()
            if not chunk:
                break
            buffer += chunk
            received += len(chunk)
            if len(buffer) >= FLUSH_BYTES:
                data, buffer = buffer, bytearray()
                if pending is not None:
                    await pending
                pending = loop.run_in_executor(None, functools.partial(session.write, data, checkpoint=checkpoint))
        if pending is not None:
            await pending
            pending = None
        if buffer:
            data, buffer = buffer, bytearray()
            await asyncio.to_thread(session.write, data)
    except BaseException:
        # Settle the write in flight so the session is consistent, then (for a
        # streamed PATCH) keep the prefix that fully arrived.
        write_failed = False
        if pending is not None:
            try:
                await pending
            except Exception:  # noqa: BLE001 - the original error is the one to report
                write_failed = True
        if checkpoint and not write_failed:
            try:
                if buffer:
                    await asyncio.to_thread(session.write, buffer)
                await asyncio.to_thread(session.commit)
            except Exception:  # noqa: BLE001 - best effort; the session stays at its last commit
                pass
        raise
    return received


def page_size(request: web.Request) -> int | None:
    raw = request.query.get("n")
    if raw is None or raw == "":
        return None
    try:
        n = int(raw)
    except ValueError as exc:
        raise RegistryError("UNSUPPORTED", f"invalid page size n={raw!r}", status=400) from exc
    if n < 0:
        raise RegistryError("UNSUPPORTED", f"invalid page size n={raw!r}", status=400)
    return n


def paginate(
    request: web.Request, items: Sequence[str], path: str
) -> tuple[list[str], dict[str, str]]:
    """Apply ``n``/``last`` to sorted ``items``; return the page and a ``Link`` header if more follow."""
    last = request.query.get("last")
    n = page_size(request)
    start = 0
    if last:
        start = next((i for i, item in enumerate(items) if item > last), len(items))
    if n is None:
        return list(items[start:]), {}
    page = list(items[start : start + n])
    headers: dict[str, str] = {}
    if n > 0 and start + n < len(items):
        query = urlencode({"n": n, "last": page[-1]})
        headers["Link"] = f'<{quote(path)}?{query}>; rel="next"'
    return page, headers
