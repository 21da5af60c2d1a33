"""Blob endpoints: ``GET``/``HEAD``/``DELETE /v2/<name>/blobs/<digest>``.

GETs are served with ``web.FileResponse`` so the bytes go from the page cache
to the socket by ``sendfile`` and ``Range`` requests get ``206`` for free.
A driver without local files (the in-memory one) is streamed instead.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from ..digests import Digest
from ..errors import RegistryError
from ..state import Context

__all__ = ["get_blob", "delete_blob"]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_STREAM_CHUNK = 1 << 20


async def get_blob(request: web.Request, ctx: Context) -> web.StreamResponse:
    registry = ctx.registry
    digest = Digest.parse(ctx.params["digest"])
    size = await asyncio.to_thread(registry.blobs.stat_in, ctx.name, digest)
    headers = {
        "Docker-Content-Digest": str(digest),
        "Content-Type": "application/octet-stream",
        "ETag": f'"{digest}"',
        "Cache-Control": "max-age=31536000",
    }
    local = registry.blobs.local_file(digest)
    if local is not None:
        return web.FileResponse(local, headers=headers, chunk_size=1 << 20)
    return await _stream(request, ctx, digest, size, headers)


async def _stream(
    request: web.Request, ctx: Context, digest: Digest, size: int, headers: dict[str, str]
) -> web.StreamResponse:
    start, end, status = 0, size - 1, 200
    match = _RANGE.match(request.headers.get("Range", ""))
    if match and (match.group(1) or match.group(2)):
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:
            start = max(size - int(match.group(2)), 0)
        if start >= size or start > end:
            raise RegistryError("BLOB_UNKNOWN", "range not satisfiable", status=416,
                                headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = max(end - start + 1, 0)
    headers["Accept-Ranges"] = "bytes"
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    stream = await asyncio.to_thread(ctx.registry.blobs.open, digest, start)
    try:
        remaining = end - start + 1
        while remaining > 0:
            chunk = await asyncio.to_thread(stream.read, min(_STREAM_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            await response.write(chunk)
    finally:
        stream.close()
    await response.write_eof()
    return response


async def delete_blob(request: web.Request, ctx: Context) -> web.StreamResponse:
    if not ctx.registry.config.delete_enabled:
        raise RegistryError("UNSUPPORTED", "deletion is disabled on this registry")
    digest = Digest.parse(ctx.params["digest"])
    await asyncio.to_thread(ctx.registry.blobs.unlink, ctx.name, digest)
    return web.Response(status=202, headers={"Docker-Content-Digest": str(digest)})
