"""Blob upload endpoints: ``/v2/<name>/blobs/uploads/[<uuid>]``.

    POST   /uploads/                      start a session            → 202 Location, Range
    POST   /uploads/?digest=D             monolithic upload          → 201 Location
    POST   /uploads/?mount=D&from=R       cross-repository mount     → 201, or 202 (new session)
    PATCH  /uploads/<uuid>                append a chunk (Content-Range optional) → 202 Range
    PUT    /uploads/<uuid>?digest=D       last chunk (optional), verify, publish  → 201
    GET    /uploads/<uuid>                status                     → 204 Range
    DELETE /uploads/<uuid>                cancel                     → 204

A chunk with ``Content-Range`` is all-or-nothing: if fewer bytes than it
announced arrive, the session stays where it was. A chunk without one is a
stream: every fully received byte is kept, so an interrupted push resumes
from what the status ``GET`` reports.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..auth import Access
from ..digests import Digest
from ..errors import RegistryError
from ..names import validate_name
from ..state import Context
from ..uploads import UploadSession
from .common import (
    blob_location,
    digest_param,
    parse_content_range,
    range_header,
    stream_into,
    upload_location,
)

__all__ = ["start_upload", "patch_upload", "put_upload", "upload_status", "cancel_upload"]


def _session_headers(name: str, uuid: str, size: int) -> dict[str, str]:
    return {
        "Location": upload_location(name, uuid),
        "Range": range_header(size),
        "Docker-Upload-UUID": uuid,
    }


def _created(name: str, digest: Digest) -> web.Response:
    return web.Response(
        status=201, headers={"Location": blob_location(name, digest), "Docker-Content-Digest": str(digest)}
    )


async def _try_mount(ctx: Context, digest_text: str, source: str) -> web.Response | None:
    """Link a blob ``source`` already serves into ``ctx.name``; None if that cannot be done."""
    try:
        validate_name(source)
        digest = Digest.parse(digest_text)
    except RegistryError:
        return None
    registry = ctx.registry
    if not registry.authorizer.allows(ctx.identity, Access("repository", source, frozenset({"pull"}))):
        return None

    def mount() -> bool:
        if not registry.blobs.linked(source, digest) or registry.blobs.size(digest) is None:
            return False
        registry.blobs.link(ctx.name, digest)
        return True

    if not await asyncio.to_thread(mount):
        return None
    return _created(ctx.name, digest)


async def _append(request: web.Request, session: UploadSession, *, final: bool) -> None:
    """Write the request body into ``session`` and commit it, honouring ``Content-Range``."""
    content_range = request.headers.get("Content-Range")
    expected: int | None = None
    if content_range:
        start, end = parse_content_range(content_range)
        if start != session.size:
            raise RegistryError(
                "BLOB_UPLOAD_INVALID",
                f"chunk starts at {start}, upload is at {session.size}",
                status=416,
                headers=_session_headers(session.status.repository, session.uuid, session.size),
            )
        expected = end - start + 1
        if request.content_length is not None and request.content_length != expected:
            raise RegistryError(
                "SIZE_INVALID", f"Content-Length {request.content_length} does not match Content-Range {content_range}"
            )
    received = await stream_into(request, session, checkpoint=expected is None and not final)
    if expected is not None and received != expected:
        raise RegistryError("SIZE_INVALID", f"received {received} bytes, Content-Range announced {expected}")
    await asyncio.to_thread(session.commit)


async def start_upload(request: web.Request, ctx: Context) -> web.StreamResponse:
    registry = ctx.registry
    mount, source = request.query.get("mount"), request.query.get("from")
    if mount and source:
        mounted = await _try_mount(ctx, mount, source)
        if mounted is not None:
            return mounted
    digest = digest_param(request) if "digest" in request.query else None
    status = await asyncio.to_thread(registry.uploads.start, ctx.name)
    if digest is None:
        return web.Response(status=202, headers=_session_headers(ctx.name, status.uuid, 0))
    # Monolithic upload: the body is the whole blob.
    async with registry.upload_lock(status.uuid):
        session = await asyncio.to_thread(registry.uploads.open, ctx.name, status.uuid)
        try:
            await _append(request, session, final=True)
            await asyncio.to_thread(session.close)
            await asyncio.to_thread(registry.uploads.finish, session, digest)
        except BaseException:
            await asyncio.to_thread(session.close)
            await asyncio.to_thread(_discard, ctx, status.uuid)
            raise
    return _created(ctx.name, digest)


def _discard(ctx: Context, uuid: str) -> None:
    try:
        ctx.registry.uploads.cancel(ctx.name, uuid)
    except RegistryError:
        pass


async def patch_upload(request: web.Request, ctx: Context) -> web.StreamResponse:
    registry = ctx.registry
    uuid = ctx.params["uuid"]
    async with registry.upload_lock(uuid):
        session = await asyncio.to_thread(registry.uploads.open, ctx.name, uuid)
        try:
            await _append(request, session, final=False)
        finally:
            await asyncio.to_thread(session.close)
        size = session.committed
    return web.Response(status=202, headers=_session_headers(ctx.name, uuid, size))


async def put_upload(request: web.Request, ctx: Context) -> web.StreamResponse:
    registry = ctx.registry
    uuid = ctx.params["uuid"]
    digest = digest_param(request)
    async with registry.upload_lock(uuid):
        session = await asyncio.to_thread(registry.uploads.open, ctx.name, uuid)
        try:
            if request.body_exists:
                await _append(request, session, final=True)
        finally:
            await asyncio.to_thread(session.close)
        await asyncio.to_thread(registry.uploads.finish, session, digest)
    return _created(ctx.name, digest)


async def upload_status(request: web.Request, ctx: Context) -> web.StreamResponse:
    status = await asyncio.to_thread(ctx.registry.uploads.status, ctx.name, ctx.params["uuid"])
    return web.Response(status=204, headers=_session_headers(ctx.name, status.uuid, status.offset))


async def cancel_upload(request: web.Request, ctx: Context) -> web.StreamResponse:
    await asyncio.to_thread(ctx.registry.uploads.cancel, ctx.name, ctx.params["uuid"])
    return web.Response(status=204)
