"""``GET /v2/<name>/referrers/<digest>[?artifactType=…]`` (OCI distribution 1.1).

Always ``200`` with an OCI image index, empty when nothing refers to the
digest (a registry supporting the API must not answer 404). Filtering by
``artifactType`` is announced with ``OCI-Filters-Applied: artifactType``.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from .. import mediatypes as mt
from ..digests import Digest
from ..state import Context

__all__ = ["list_referrers"]


async def list_referrers(request: web.Request, ctx: Context) -> web.StreamResponse:
    subject = Digest.parse(ctx.params["digest"])
    artifact_type = request.query.get("artifactType") or None
    entries = await asyncio.to_thread(ctx.registry.manifests.referrers, ctx.name, subject, artifact_type)
    headers = {"OCI-Filters-Applied": "artifactType"} if artifact_type else {}
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": entries}
    return web.json_response(index, content_type=mt.OCI_INDEX, headers=headers)
