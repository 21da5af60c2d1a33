"""The aiohttp application: one dispatcher for ``/v2/…``, the token endpoint, error rendering.

Request flow::

    /v2/<tail> ──▶ router.match(method, tail)      404 NOT_FOUND / 405 UNSUPPORTED
               ──▶ names.validate_name(name)         400 NAME_INVALID
               ──▶ read-only check                   405 UNSUPPORTED
               ──▶ authorizer.authorize(needed)      401 UNAUTHORIZED / 403 DENIED
               ──▶ handler(request, Context)

Every failure is a ``RegistryError`` rendered by ``error_middleware`` as the
spec's ``{"errors": [...]}`` body; every response carries
``Docker-Distribution-API-Version: registry/2.0``.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from aiohttp import web

from dockyard.errors import DockyardError, Forbidden, InvalidArgument, NotFound, Unauthorized

from . import router
from .auth.endpoint import token_handler
from .errors import RegistryError
from .names import validate_name
from .state import Context, Registry

__all__ = ["REGISTRY_KEY", "create_app", "error_middleware"]

log = logging.getLogger("dockyard.registry.server")

REGISTRY_KEY = web.AppKey("registry", Registry)


def _render(exc: RegistryError) -> web.Response:
    return web.Response(
        status=exc.status,
        body=exc.body(),
        content_type="application/json",
        headers=exc.headers,
    )


def _as_registry_error(exc: DockyardError) -> RegistryError:
    """Map a generic dockyard kind that escaped a store onto a wire code."""
    if isinstance(exc, Unauthorized):
        return RegistryError("UNAUTHORIZED", str(exc))
    if isinstance(exc, Forbidden):
        return RegistryError("DENIED", str(exc))
    if isinstance(exc, NotFound):
        return RegistryError("NOT_FOUND", str(exc))
    if isinstance(exc, InvalidArgument):
        return RegistryError("UNSUPPORTED", str(exc), status=400)
    return RegistryError("UNKNOWN", str(exc) or type(exc).__name__)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except RegistryError as exc:
        return _render(exc)
    except DockyardError as exc:
        return _render(_as_registry_error(exc))
    except web.HTTPException:
        raise
    except (ConnectionResetError, BrokenPipeError):
        # The client went away mid-body; what was kept is the upload's business
        # (see handlers/uploads.py). Nobody is left to read this answer.
        log.debug("client disconnected during %s %s", request.method, request.path)
        return _render(RegistryError("BLOB_UPLOAD_INVALID", "client disconnected"))
    except Exception as exc:  # noqa: BLE001 - a client must never see a traceback
        log.exception("internal error on %s %s", request.method, request.path)
        return _render(RegistryError("UNKNOWN", f"internal error: {type(exc).__name__}"))


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Docker-Distribution-API-Version"] = "registry/2.0"


async def dispatch(request: web.Request) -> web.StreamResponse:
    registry = request.app[REGISTRY_KEY]
    found = router.match(request.method, request.match_info.get("tail", ""))
    if found.name:
        validate_name(found.name)
    if registry.config.read_only and request.method in router.WRITE_METHODS:
        raise RegistryError("UNSUPPORTED", "the registry is in read-only mode")
    identity = await registry.authorizer.authorize(request, found.needed(request.method))
    return await found.handler(request, Context(registry, found.name, found.params, identity))


async def _token(request: web.Request) -> web.StreamResponse:
    return await token_handler(request, request.app[REGISTRY_KEY].authorizer)


def create_app(registry: Registry) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=1 << 20)
    app[REGISTRY_KEY] = registry
    app.on_response_prepare.append(_add_headers)
    app.router.add_route("*", "/v2", dispatch)
    app.router.add_route("*", "/v2/{tail:.*}", dispatch)
    app.router.add_route("GET", "/token", _token)
    app.router.add_route("POST", "/token", _token)
    return app
