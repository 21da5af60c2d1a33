"""Volume endpoints: ``/volumes`` (list), ``/volumes/create``, ``/volumes/{name}`` (inspect,
delete) and ``/volumes/prune``. The work is in :mod:`dockyard.volume.service`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockyard.api.http import JSONResponse, Request
from dockyard.api.router import Router
from dockyard.errors import InvalidArgument

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine

__all__ = ["register"]


def _str_map(value: Any, what: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidArgument(f"invalid {what}: expected an object")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def register(router: Router, engine: Engine) -> None:
    volumes = engine.volumes

    async def list_(req: Request) -> JSONResponse:
        return JSONResponse({"Volumes": volumes.list(req.qfilters()), "Warnings": []})

    async def create(req: Request) -> JSONResponse:
        body = await req.json() or {}
        if not isinstance(body, dict):
            raise InvalidArgument("invalid volume create request: expected an object")
        name = body.get("Name") or ""
        if not isinstance(name, str):
            raise InvalidArgument("invalid volume name: expected a string")
        vol = volumes.create(name, str(body.get("Driver") or ""),
                             _str_map(body.get("DriverOpts"), "DriverOpts"),
                             _str_map(body.get("Labels"), "Labels"))
        return JSONResponse(vol, status=201)

    async def inspect(req: Request) -> JSONResponse:
        return JSONResponse(volumes.inspect(req.params["name"]))

    async def delete(req: Request) -> None:
        volumes.remove(req.params["name"], force=req.qbool("force"))
        return None

    async def prune(req: Request) -> JSONResponse:
        filters = req.qfilters()
        if req.version_before("1.42"):
            # Before API 1.42 prune took every unused volume, named ones too.
            filters["all"] = ["true"]
        return JSONResponse(volumes.prune(filters))

    router.add("GET", "/volumes", list_)
    router.add("POST", "/volumes/create", create)
    router.add("POST", "/volumes/prune", prune, min_version="1.25")
    router.add("GET", "/volumes/{name}", inspect)
    router.add("DELETE", "/volumes/{name}", delete)
