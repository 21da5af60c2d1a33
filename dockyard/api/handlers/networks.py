"""Network endpoints (``/networks/...``): list, inspect, create, delete, prune, connect,
disconnect. The logic is ``dockyard.network.service``; this module only speaks HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockyard.api.http import JSONResponse, Request
from dockyard.api.router import Router
from dockyard.errors import InvalidArgument

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine

__all__ = ["register"]


def register(router: Router, engine: Engine) -> None:
    svc = getattr(engine, "networks", None)
    if svc is None:
        return

    async def body_of(req: Request) -> dict[str, Any]:
        body = await req.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise InvalidArgument("request body must be a JSON object")
        return body

    async def list_(req: Request) -> JSONResponse:
        return JSONResponse(svc.list(req.qfilters()))

    async def inspect(req: Request) -> JSONResponse:
        return JSONResponse(svc.inspect(req.params["id"]))

    async def create(req: Request) -> JSONResponse:
        return JSONResponse(await svc.create(await body_of(req)), status=201)

    async def delete(req: Request) -> None:
        await svc.remove(req.params["id"])
        return None

    async def prune(req: Request) -> JSONResponse:
        return JSONResponse(await svc.prune(req.qfilters()))

    async def connect(req: Request) -> None:
        await svc.connect(req.params["id"], await body_of(req))
        return None

    async def disconnect(req: Request) -> None:
        await svc.disconnect(req.params["id"], await body_of(req))
        return None

    router.add("GET", "/networks", list_)
    router.add("GET", "/networks/{id}", inspect)
    router.add("POST", "/networks/create", create)
    router.add("POST", "/networks/prune", prune, min_version="1.25")
    router.add("POST", "/networks/{id}/connect", connect)
    router.add("POST", "/networks/{id}/disconnect", disconnect)
    router.add("DELETE", "/networks/{id}", delete)
