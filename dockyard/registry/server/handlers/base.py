"""``GET /v2/``: the API version check (and where clients learn how to authenticate)."""

from __future__ import annotations

from aiohttp import web

from ..state import Context

__all__ = ["version_check"]


async def version_check(request: web.Request, ctx: Context) -> web.StreamResponse:
    # Reaching here means the authorizer let the caller through; the
    # Docker-Distribution-API-Version header is added to every response.
    return web.json_response({})
