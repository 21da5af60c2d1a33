"""Listings: ``GET /v2/<name>/tags/list`` and ``GET /v2/_catalog``, paginated.

Both take ``n`` (page size) and ``last`` (exclusive start, a value not an
index) and answer with a ``Link: <…?n=N&last=X>; rel="next"`` header when more
entries follow. Entries are in plain (byte-wise) sorted order, the order
distribution uses, so ``last`` works the same against either registry.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..state import Context
from .common import paginate

__all__ = ["list_tags", "catalog"]


async def list_tags(request: web.Request, ctx: Context) -> web.StreamResponse:
    tags = await asyncio.to_thread(ctx.registry.manifests.tags, ctx.name)
    page, headers = paginate(request, tags, f"/v2/{ctx.name}/tags/list")
    return web.json_response({"name": ctx.name, "tags": page}, headers=headers)


async def catalog(request: web.Request, ctx: Context) -> web.StreamResponse:
    registry = ctx.registry
    names = await asyncio.to_thread(registry.manifests.catalog)
    pull = frozenset({"pull"})
    # The catalog grant is checked by the router; which names show is the
    # policy's answer for this user, whatever scopes the token carries.
    visible = [n for n in names if registry.authorizer.policy.allowed(ctx.identity.user, n) >= pull]
    page, headers = paginate(request, visible, "/v2/_catalog")
    return web.json_response({"repositories": page}, headers=headers)
