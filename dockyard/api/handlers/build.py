"""``POST /build`` (the classic builder's API) and ``POST /build/prune``.

The query is what the docker CLI (``DOCKER_BUILDKIT=0 docker build``) and the docker SDK
send: ``t`` (repeated), ``dockerfile``, ``buildargs``/``labels`` (JSON objects),
``target``, ``nocache``, ``pull``, ``q``, ``rm`` (default true), ``forcerm``,
``networkmode``, ``cachefrom`` (JSON array). ``remote`` (a URL or git context) and
``version=2`` (BuildKit sessions) are refused: dockyard builds from the tar it is sent.

The body (the context tar) is spooled to a file first, then the build runs in its own
task while its jsonmessage lines stream out (see :mod:`dockyard.build.progress`); a
client that goes away cancels the build, which removes its containers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import TYPE_CHECKING, Any, AsyncIterator

from dockyard import reference
from dockyard.api.handlers.images import spool_body
from dockyard.api.http import JSONResponse, Request, StreamResponse
from dockyard.api.router import Router
from dockyard.build import progress
from dockyard.build.builder import BuildOptions, StepFailed
from dockyard.build.context import pad_tar
from dockyard.build.service import Builder
from dockyard.errors import DockyardError, InvalidArgument

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine

__all__ = ["register", "build_options"]

log = logging.getLogger("dockyard.api")


def _str_map(value: Any, name: str, *, allow_null: bool) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgument(f"{name} must be a JSON object")
    out: dict[str, Any] = {}
    for k, v in value.items():
        if v is None and allow_null:
            out[str(k)] = None
        else:
            out[str(k)] = "" if v is None else str(v)
    return out


def build_options(req: Request) -> BuildOptions:
    if req.q("remote"):
        raise InvalidArgument("remote build contexts are not supported: dockyard builds "
                              "offline from the context tar sent with the request")
    if (req.q("version") or "1") == "2":
        raise InvalidArgument("BuildKit (version=2) is not supported by this daemon; use the "
                              "classic builder (DOCKER_BUILDKIT=0)")
    tags = [t for t in req.q_all("t") if t]
    for t in tags:
        reference.parse(t)
    cache_from = req.qjson("cachefrom", []) or []
    if not isinstance(cache_from, list):
        raise InvalidArgument("cachefrom must be a JSON array")
    return BuildOptions(
        tags=tags, dockerfile=req.q("dockerfile") or "Dockerfile",
        build_args=_str_map(req.qjson("buildargs", {}), "buildargs", allow_null=True),
        labels=_str_map(req.qjson("labels", {}), "labels", allow_null=False),
        target=req.q("target") or "", no_cache=req.qbool("nocache"),
        pull=req.qbool("pull"), quiet=req.qbool("q"), rm=req.qbool("rm", True),
        force_rm=req.qbool("forcerm"), network_mode=req.q("networkmode") or "default",
        cache_from=[str(c) for c in cache_from])


def register(router: Router, engine: Engine) -> None:
    builder = Builder(engine)
    engine.extensions["builder"] = builder

    async def build(req: Request) -> StreamResponse:
        opts = build_options(req)
        path = await spool_body(req, engine.tmp)
        await asyncio.to_thread(pad_tar, path)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()

        async def work() -> None:
            try:
                with open(path, "rb") as body:
                    await builder.build(body, opts, queue.put_nowait)
            except StepFailed as exc:
                queue.put_nowait(progress.error(str(exc), exc.code))
            except DockyardError as exc:
                queue.put_nowait(progress.error(str(exc)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the stream has begun: report in it
                log.exception("build failed")
                queue.put_nowait(progress.error(f"build failed: {exc}"))
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                queue.put_nowait(None)

        task = asyncio.ensure_future(work())

        async def gen() -> AsyncIterator[bytes]:
            try:
                while True:
                    item = await queue.get()
                    if item is None:
                        break
                    yield item
            finally:
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

        return StreamResponse(gen())

    async def prune(req: Request) -> JSONResponse:
        req.qfilters()
        deleted, reclaimed = await asyncio.to_thread(builder.prune)
        engine.events.emit("builder", "prune", "", {"reclaimed": str(reclaimed)})
        return JSONResponse({"CachesDeleted": deleted or None, "SpaceReclaimed": reclaimed})

    router.add("POST", "/build", build)
    router.add("POST", "/build/prune", prune, min_version="1.31")
