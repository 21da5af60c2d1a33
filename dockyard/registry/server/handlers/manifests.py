"""Manifest endpoints: ``GET``/``HEAD``/``PUT``/``DELETE /v2/<name>/manifests/<reference>``.

Content negotiation: a manifest is returned with the media type it was pushed
with. If the client's ``Accept`` does not include that type, an index or
manifest list is replaced by its ``linux/amd64`` entry when the client accepts
that entry's type (what distribution does for old clients); otherwise the
answer is ``404 MANIFEST_UNKNOWN`` naming the type it would not accept.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from .. import mediatypes as mt
from ..errors import RegistryError
from ..manifest import parse_manifest
from ..manifests import StoredManifest
from ..state import Context
from .common import manifest_location

__all__ = ["get_manifest", "put_manifest", "delete_manifest"]


def _negotiate(ctx: Context, stored: StoredManifest, accepted: frozenset[str] | None) -> StoredManifest:
    if accepted is None or stored.mediaType in accepted:
        return stored
    if stored.mediaType in mt.INDEXES:
        parsed = parse_manifest(stored.body, stored.mediaType)
        for child, platform in zip(parsed.manifests, parsed.platforms):
            if (
                platform
                and platform.get("os") == "linux"
                and platform.get("architecture") == "amd64"
                and child.mediaType in accepted
            ):
                return ctx.registry.manifests.get(ctx.name, str(child.digest))
    raise RegistryError(
        "MANIFEST_UNKNOWN",
        f"manifest is {stored.mediaType}, which the request's Accept header does not allow",
        detail={"mediaType": stored.mediaType, "accepted": sorted(accepted)},
    )


async def get_manifest(request: web.Request, ctx: Context) -> web.StreamResponse:
    accepted = mt.acceptable(request.headers.getall("Accept", []))

    def load() -> StoredManifest:
        stored = ctx.registry.manifests.get(ctx.name, ctx.params["reference"])
        return _negotiate(ctx, stored, accepted)

    stored = await asyncio.to_thread(load)
    headers = {
        "Docker-Content-Digest": str(stored.digest),
        "ETag": f'"{stored.digest}"',
        "Content-Type": stored.mediaType,
    }
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers=headers)
    if request.method == "HEAD":
        response = web.StreamResponse(status=200, headers=headers)
        response.content_length = len(stored.body)
        return response
    return web.Response(status=200, body=stored.body, headers=headers)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise RegistryError("MANIFEST_INVALID", f"manifest larger than {limit} bytes", status=413)
    body = bytearray()
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > limit:
            raise RegistryError("MANIFEST_INVALID", f"manifest larger than {limit} bytes", status=413)
    return bytes(body)


async def put_manifest(request: web.Request, ctx: Context) -> web.StreamResponse:
    registry = ctx.registry
    body = await _read_limited(request, registry.config.max_manifest_size)
    result = await asyncio.to_thread(
        registry.manifests.put, ctx.name, ctx.params["reference"], body, request.headers.get("Content-Type")
    )
    headers = {
        "Location": manifest_location(ctx.name, result.digest),
        "Docker-Content-Digest": str(result.digest),
    }
    if result.manifest.subject is not None:
        headers["OCI-Subject"] = str(result.manifest.subject.digest)
    return web.Response(status=201, headers=headers)


async def delete_manifest(request: web.Request, ctx: Context) -> web.StreamResponse:
    if not ctx.registry.config.delete_enabled:
        raise RegistryError("UNSUPPORTED", "deletion is disabled on this registry")
    await asyncio.to_thread(ctx.registry.manifests.delete, ctx.name, ctx.params["reference"])
    return web.Response(status=202)
