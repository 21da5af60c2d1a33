"""Endpoints Docker has and dockyard does not (yet): answered as a Docker without the feature.

Why: a client that hits a missing route gets moby's bare ``404 page not found``, which reads
like a bug or a wrong API version. Docker's own answers are more useful and are what clients
expect:

- swarm (``/swarm``, ``/nodes``, ``/services``, ``/tasks``, ``/secrets``, ``/configs``):
  503 "This node is not a swarm manager..." (``/swarm/leave``: "not part of a swarm"), what
  a Docker outside a swarm answers, so ``docker node ls`` prints Docker's message;
- plugins: ``GET /plugins`` is ``[]``; a named plugin is ``plugin "x" not found``;
  installing one is not offered (501);
- ``GET /distribution/{name}/json``: 501 that says there is no registry client;
- ``GET /volumes``: an empty list while no volumes subsystem exists;
- every other route of the Engine API: 501 naming the endpoint.

This module registers last (see ``build_router``) and adds a route only where nothing
resolves already, so a real implementation registered by another module always wins.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Awaitable, Callable

from dockyard.api.http import JSONResponse, Request, Response
from dockyard.api.router import Router
from dockyard.errors import DockyardError, NotFound, NotImplementedKind, Unavailable

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine

__all__ = ["register", "NOT_A_MANAGER", "NOT_IN_SWARM", "ENGINE_ROUTES"]

NOT_A_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or '
                 '"docker swarm join" to connect this node to swarm and try again.')
NOT_IN_SWARM = "This node is not part of a swarm"

_SWARM: tuple[tuple[str, str], ...] = (
    ("GET", "/swarm"), ("POST", "/swarm/init"), ("POST", "/swarm/join"),
    ("POST", "/swarm/update"), ("GET", "/swarm/unlockkey"), ("POST", "/swarm/unlock"),
    ("GET", "/nodes"), ("GET", "/nodes/{id}"), ("DELETE", "/nodes/{id}"),
    ("POST", "/nodes/{id}/update"),
    ("GET", "/services"), ("POST", "/services/create"), ("GET", "/services/{id}"),
    ("DELETE", "/services/{id}"), ("POST", "/services/{id}/update"),
    ("GET", "/services/{id}/logs"),
    ("GET", "/tasks"), ("GET", "/tasks/{id}"), ("GET", "/tasks/{id}/logs"),
    ("GET", "/secrets"), ("POST", "/secrets/create"), ("GET", "/secrets/{id}"),
    ("DELETE", "/secrets/{id}"), ("POST", "/secrets/{id}/update"),
    ("GET", "/configs"), ("POST", "/configs/create"), ("GET", "/configs/{id}"),
    ("DELETE", "/configs/{id}"), ("POST", "/configs/{id}/update"),
)

_PLUGIN_BY_NAME: tuple[tuple[str, str], ...] = (
    ("GET", "/plugins/{name:.*}/json"), ("DELETE", "/plugins/{name:.*}"),
    ("POST", "/plugins/{name:.*}/enable"), ("POST", "/plugins/{name:.*}/disable"),
    ("POST", "/plugins/{name:.*}/upgrade"), ("POST", "/plugins/{name:.*}/push"),
    ("POST", "/plugins/{name:.*}/set"),
)

#: The rest of the Engine API (swagger ``paths``), for the generic 501 fallback.
ENGINE_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/containers/json"), ("POST", "/containers/create"),
    ("GET", "/containers/{id}/json"), ("GET", "/containers/{id}/top"),
    ("GET", "/containers/{id}/logs"), ("GET", "/containers/{id}/changes"),
    ("GET", "/containers/{id}/export"), ("GET", "/containers/{id}/stats"),
    ("POST", "/containers/{id}/resize"), ("POST", "/containers/{id}/start"),
    ("POST", "/containers/{id}/stop"), ("POST", "/containers/{id}/restart"),
    ("POST", "/containers/{id}/kill"), ("POST", "/containers/{id}/update"),
    ("POST", "/containers/{id}/rename"), ("POST", "/containers/{id}/pause"),
    ("POST", "/containers/{id}/unpause"), ("POST", "/containers/{id}/attach"),
    ("GET", "/containers/{id}/attach/ws"), ("POST", "/containers/{id}/wait"),
    ("DELETE", "/containers/{id}"), ("HEAD", "/containers/{id}/archive"),
    ("GET", "/containers/{id}/archive"), ("PUT", "/containers/{id}/archive"),
    ("POST", "/containers/prune"), ("GET", "/images/json"), ("POST", "/build"),
    ("POST", "/build/prune"), ("POST", "/images/create"), ("GET", "/images/{name:.*}/json"),
    ("GET", "/images/{name:.*}/history"), ("POST", "/images/{name:.*}/push"),
    ("POST", "/images/{name:.*}/tag"), ("DELETE", "/images/{name:.*}"),
    ("GET", "/images/search"), ("POST", "/images/prune"), ("POST", "/auth"),
    ("POST", "/commit"), ("GET", "/system/df"), ("GET", "/images/{name:.*}/get"),
    ("GET", "/images/get"), ("POST", "/images/load"), ("POST", "/containers/{id}/exec"),
    ("POST", "/exec/{id}/start"), ("POST", "/exec/{id}/resize"), ("GET", "/exec/{id}/json"),
    ("POST", "/volumes/create"), ("GET", "/volumes/{name}"), ("PUT", "/volumes/{name}"),
    ("DELETE", "/volumes/{name}"), ("POST", "/volumes/prune"), ("GET", "/networks"),
    ("GET", "/networks/{id}"), ("DELETE", "/networks/{id}"), ("POST", "/networks/create"),
    ("POST", "/networks/{id}/connect"), ("POST", "/networks/{id}/disconnect"),
    ("POST", "/networks/prune"), ("POST", "/session"),
)

_PARAM = re.compile(r"\{[^{}]*\}")

Handler = Callable[[Request], Awaitable["Response | None"]]


def _sample(pattern: str) -> str:
    """A concrete path the pattern matches, to ask the router whether it is taken."""
    return _PARAM.sub("x", pattern)


def _taken(router: Router, method: str, pattern: str) -> bool:
    try:
        router.resolve(method, _sample(pattern))
    except NotFound:
        return False
    except DockyardError:
        return True
    return True


def _raiser(exc: Callable[[Request], DockyardError]) -> Handler:
    async def handler(req: Request) -> Response | None:
        raise exc(req)
    return handler


def register(router: Router, engine: Engine) -> None:
    def add(method: str, pattern: str, handler: Handler) -> None:
        if not _taken(router, method, pattern):
            router.add(method, pattern, handler)

    not_manager = _raiser(lambda req: Unavailable(NOT_A_MANAGER))
    for method, pattern in _SWARM:
        add(method, pattern, not_manager)
    add("POST", "/swarm/leave", _raiser(lambda req: Unavailable(NOT_IN_SWARM)))

    async def plugins(req: Request) -> JSONResponse:
        req.qfilters()
        return JSONResponse([])

    add("GET", "/plugins", plugins)
    no_plugin = _raiser(lambda req: NotFound(f'plugin "{req.params.get("name", "")}" not found'))
    for method, pattern in _PLUGIN_BY_NAME:
        add(method, pattern, no_plugin)
    no_install = _raiser(lambda req: NotImplementedKind(
        "plugins are not supported by this engine: it cannot install or create plugins"))
    for method, pattern in (("GET", "/plugins/privileges"), ("POST", "/plugins/pull"),
                            ("POST", "/plugins/create")):
        add(method, pattern, no_install)

    add("GET", "/distribution/{name:.*}/json", _raiser(lambda req: NotImplementedKind(
        f"cannot look up {req.params.get('name', '')} in its registry: this engine has no "
        f"registry client for GET /distribution/{{name}}/json")))

    async def volumes(req: Request) -> JSONResponse:
        req.qfilters()
        return JSONResponse({"Volumes": [], "Warnings": None})

    add("GET", "/volumes", volumes)

    # `docker inspect NAME` asks for each kind of object in turn and needs a 404 for the
    # kinds that have none, so lookups of one object say "not found", never "not implemented".
    add("GET", "/networks/{id}", _raiser(lambda req: NotFound(
        f"network {req.params.get('id', '')} not found")))
    add("GET", "/volumes/{name}", _raiser(lambda req: NotFound(
        f"get {req.params.get('name', '')}: no such volume")))

    for method, pattern in ENGINE_ROUTES:
        add(method, pattern, _raiser(
            lambda req, m=method, p=pattern: NotImplementedKind(
                f"not implemented in this engine: {m} {p}")))
