"""Distribution endpoints: pull (``POST /images/create?fromImage=``), push and ``/auth``.

Routes::

    POST /images/create?fromImage=&tag=&platform=    (images.py's create() defers here
                                                      through engine.extensions["pull"])
    POST /images/{name}/push?tag=                     X-Registry-Auth
    POST /auth                                        {username, password, serveraddress}
    GET  /distribution/{name}/json                    what a name resolves to, without pulling

Docker Hub (names without a registry: ``busybox``) is reached only when the daemon runs
with ``--allow-docker-hub``: these machines have no internet, and ``run`` of an unknown
image must fail at once rather than dial out. Named registries (``host:port/x``) always work.

Credentials travel in ``X-Registry-Auth`` (base64url JSON, see registry/client/auth.py);
the daemon never reads a config.json (the client owns credentials, as with Docker).

Error placement follows moby, because the docker CLI prints each differently: a pull that
fails before its first progress line ("manifest unknown", "pull access denied") is an
HTTP error ("Error response from daemon: …"); anything later, and every push failure
(push writes "The push refers to repository" first), is an ``errorDetail`` line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from dockyard import reference
from dockyard.api.http import JSONResponse, Request, StreamResponse
from dockyard.api.router import Router
from dockyard.api.stream import json_error
from dockyard.digest import is_digest
from dockyard.errors import DockyardError, InvalidArgument, NotFound, Unauthorized

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine
    from dockyard.registry.client.progress import Progress

__all__ = ["register", "pull_reference"]

log = logging.getLogger("dockyard.api")


def pull_reference(from_image: str, tag: str | None) -> reference.Reference:
    """Docker's rule: ``tag`` may be a tag or a digest; neither means *every tag*.

    (``docker pull x`` sends ``tag=latest``; only ``docker pull --all-tags x`` sends none.)
    """
    ref = reference.parse(from_image, default_tag=False)
    if tag:
        if is_digest(tag):
            return reference.Reference(ref.domain, ref.path, None, tag)
        return ref.with_tag(tag)
    return ref


async def _stream(job: Callable[[Progress], Awaitable[Any]], *,
                  early_errors: bool) -> StreamResponse:
    """Run ``job`` writing to a Progress; stream its lines (see the module docstring)."""
    from dockyard.registry.client.progress import Progress

    progress = Progress()
    failure: list[BaseException] = []

    async def run() -> None:
        try:
            await job(progress)
        except DockyardError as exc:
            failure.append(exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the stream may have begun: report it there, never cut it
            log.exception("registry operation failed")
            failure.append(DockyardError(f"{type(exc).__name__}: {exc}"))
        finally:
            progress.close()

    task = asyncio.create_task(run())
    try:
        first = await progress.get()
    except asyncio.CancelledError:  # the client left before the first line
        task.cancel()
        raise
    if first is None and failure and early_errors:
        raise failure[0]

    async def gen() -> AsyncIterator[bytes]:
        try:
            line = first
            while line is not None:
                yield line
                line = await progress.get()
            if failure:
                yield json_error(str(failure[0]))
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    return StreamResponse(gen())


def _hub_guard(allowed: bool, ref: reference.Reference, action: str) -> None:
    """Docker Hub only when the daemon allows it (see DaemonConfig.allow_docker_hub)."""
    if allowed or ref.domain != reference.DEFAULT_DOMAIN:
        return
    what = f"{action} access denied for {ref.familiar_repository()}"
    raise NotFound(f"{what}, repository does not exist or may require 'docker login': "
                   "Docker Hub is not enabled on this daemon (dockyardd --allow-docker-hub)")


def register(router: Router, engine: Engine) -> None:
    config = getattr(engine, "config", None)
    insecure = list(getattr(config, "insecure_registries", None) or [])
    hub = bool(getattr(config, "allow_docker_hub", False))

    def creds_of(req: Request) -> Any:
        from dockyard.registry.client.auth import decode_registry_auth
        return decode_registry_auth(req.headers.get("X-Registry-Auth"))

    async def pull(req: Request) -> StreamResponse:
        ref = pull_reference(req.q("fromImage") or "", req.q("tag"))
        _hub_guard(hub, ref, "pull")
        creds = creds_of(req)
        platform = req.q("platform") or None

        async def job(progress: Progress) -> None:
            from dockyard.registry.client.pull import pull as do_pull, pull_all_tags
            if ref.tag or ref.digest:
                results = [await do_pull(engine.images, ref, progress, creds=creds,
                                         tmp_dir=engine.tmp, platform=platform,
                                         insecure_registries=insecure)]
            else:
                results = await pull_all_tags(engine.images, ref, progress, creds=creds,
                                              tmp_dir=engine.tmp, platform=platform,
                                              insecure_registries=insecure)
            for r in results:
                engine.events.emit("image", "pull", r.name, {"name": r.name})

        return await _stream(job, early_errors=True)

    async def push(req: Request) -> StreamResponse:
        name = req.params["name"]
        tag = req.q("tag") or None
        _hub_guard(hub, reference.parse(name, default_tag=False), "push")  # bad name: 400
        creds = creds_of(req)

        async def job(progress: Progress) -> None:
            from dockyard.registry.client.push import push as do_push
            results = await do_push(engine.images, name, tag, progress, creds=creds,
                                    insecure_registries=insecure)
            repo = reference.parse(name, default_tag=False)
            for r in results:
                full = reference.Reference(repo.domain, repo.path, r.tag).familiar()
                engine.events.emit("image", "push", full, {"name": full})

        return await _stream(job, early_errors=False)

    async def auth(req: Request) -> JSONResponse:
        from dockyard.registry.client.auth import credentials_from_doc, normalize_host
        from dockyard.registry.client.transport import Transport

        body = await req.json() or {}
        if not isinstance(body, dict):
            raise InvalidArgument("invalid auth configuration: expected a JSON object")
        creds = credentials_from_doc(body)
        host = normalize_host(str(body.get("serveraddress") or ""))
        if host == "docker.io":
            if not hub:
                raise Unauthorized("unauthorized: Docker Hub is not enabled on this daemon "
                                   "(dockyardd --allow-docker-hub)")
            host = "registry-1.docker.io"
        async with Transport(host, creds, insecure_registries=insecure) as t:
            if t.challenge is not None:
                if creds.anonymous:
                    raise Unauthorized("unauthorized: authentication required")
                await t.authorize()  # a token fetch with these credentials (bearer)
                resp = await t.request("GET", "/v2/")
                async with resp:
                    await resp.read()
                    if resp.status in (401, 403):
                        raise Unauthorized("unauthorized: incorrect username or password")
        return JSONResponse({"Status": "Login Succeeded", "IdentityToken": ""})

    async def inspect(req: Request) -> JSONResponse:
        from dockyard.registry.client.pull import inspect_remote
        ref = reference.parse(req.params["name"])
        _hub_guard(hub, ref, "pull")
        return JSONResponse(await inspect_remote(ref, creds=creds_of(req),
                                                 insecure_registries=insecure))

    engine.extensions["pull"] = pull
    router.add("GET", "/distribution/{name:.*}/json", inspect, min_version="1.30")
    router.add("POST", "/images/{name:.*}/push", push)
    router.add("POST", "/auth", auth)
