"""Container filesystem endpoints: ``cp`` (``/containers/{id}/archive`` GET/HEAD/PUT),
``export``, ``changes`` (docker diff) and ``POST /commit``.

All of them work on running and stopped containers: ``rootfs.mounted`` yields the merged
root (mounting a stopped container's overlay for the duration). Tars are produced by a
worker thread into a pipe and streamed as they are written (``ThreadedStream``), so a huge
export is never held in memory or spooled; the mount lives until the stream is closed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard import reference
from dockyard.api.http import JSONResponse, Request, Response, StreamResponse
from dockyard.api.router import Router
from dockyard.errors import InvalidArgument
from dockyard.runtime import cp, rootfs

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine
    from dockyard.runtime.manager import Container

__all__ = ["register", "ThreadedStream", "TAR"]

TAR = "application/x-tar"
STAT_HEADER = "X-Docker-Container-Path-Stat"


class ThreadedStream:
    """Chunks a blocking ``produce(out)`` writes from a worker thread, as a reply body.

    ``cleanup`` runs exactly once, when the stream ends, fails or is closed by the server
    (also when it was never iterated), after the producer thread has finished.
    """

    def __init__(self, produce: Callable[[BinaryIO], Any],
                 cleanup: Callable[[], Awaitable[Any]] | None = None) -> None:
        self._produce = produce
        self._cleanup = cleanup
        self._gen = self._run()
        self._done = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._gen

    async def aclose(self) -> None:
        await self._gen.aclose()
        await self._finish()

    async def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self._cleanup is not None:
            await self._cleanup()

    async def _run(self) -> AsyncIterator[bytes]:
        rfd, wfd = os.pipe()

        def work() -> None:
            try:
                with os.fdopen(wfd, "wb", buffering=1 << 16) as out:
                    self._produce(out)
            except BrokenPipeError:
                pass  # the client went away
            except Exception as exc:
                if not isinstance(exc.__cause__, BrokenPipeError):
                    raise

        task = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            while True:
                data = await asyncio.to_thread(os.read, rfd, 1 << 16)
                if not data:
                    break
                yield data
            await task  # a producer error cuts the stream short (the server logs it)
        finally:
            os.close(rfd)  # a producer still writing gets EPIPE and stops
            await asyncio.gather(task, return_exceptions=True)
            await self._finish()


def _path_param(req: Request) -> str:
    path = req.q("path")
    if not path:
        raise InvalidArgument("bad parameter: path cannot be empty")
    return path


def _stat_header(st: cp.PathStat) -> dict[str, str]:
    raw = json.dumps(st.to_json(), separators=(",", ":")).encode()
    return {STAT_HEADER: base64.b64encode(raw).decode()}


def register(router: Router, engine: Engine) -> None:
    mgr = engine.containers

    def event(c: Container, action: str, **extra: str) -> None:
        attrs = {"name": c.name, "image": c.rec["Config"].get("Image", "")}
        attrs.update(extra)
        engine.events.emit("container", action, c.id, attrs)

    async def head_archive(req: Request) -> Response:
        ref, path = req.params["id"], _path_param(req)
        c = mgr.get(ref)
        async with rootfs.mounted(mgr, c) as root:
            st = await asyncio.to_thread(cp.stat_path, root, path, ref)
        return Response(b"", 200, None, _stat_header(st))

    async def get_archive(req: Request) -> StreamResponse:
        ref, path = req.params["id"], _path_param(req)
        c = mgr.get(ref)
        stack = contextlib.AsyncExitStack()
        try:
            root = await stack.enter_async_context(rootfs.mounted(mgr, c))
            rp, name = await asyncio.to_thread(cp.resolve, root, path, ref)
            stack.callback(rp.close)
            st = await asyncio.to_thread(cp.stat_of, root, rp, name)
        except BaseException:
            await stack.aclose()
            raise
        arcname = "." if name == "/" else name
        event(c, "archive-path")
        return StreamResponse(ThreadedStream(lambda out: cp.archive(rp, arcname, out), stack.aclose),
                              content_type=TAR, headers=_stat_header(st))

    async def put_archive(req: Request) -> Response:
        from dockyard.api.handlers.images import spool_body
        ref, path = req.params["id"], _path_param(req)
        c = mgr.get(ref)
        no_overwrite = req.qbool("noOverwriteDirNonDir")
        copy_ids = req.qbool("copyUIDGID")
        spool = await spool_body(req, engine.tmp)
        try:
            async with rootfs.mounted(mgr, c) as root:
                await asyncio.to_thread(cp.stat_path, root, path, ref)  # NotFound first
                if c.rec["HostConfig"].get("ReadonlyRootfs"):
                    raise InvalidArgument("container rootfs is marked read-only")
                owner = None
                user = c.rec["Config"].get("User") or ""
                if copy_ids and user:
                    from dockyard.runtime.user import resolve_user
                    u = resolve_user(root, user)
                    owner = (u.uid, u.gid)

                def run() -> None:
                    with open(spool, "rb") as src:
                        cp.extract(root, path, ref, src, no_overwrite_dir_nondir=no_overwrite,
                                   owner=owner)

                await asyncio.to_thread(run)
        finally:
            os.unlink(spool)
        event(c, "extract-to-dir")
        return Response(b"", 200, None)

    async def export(req: Request) -> StreamResponse:
        from dockyard.image.diff import write_tree
        c = mgr.get(req.params["id"])
        stack = contextlib.AsyncExitStack()
        root = await stack.enter_async_context(rootfs.mounted(mgr, c))
        event(c, "export")
        return StreamResponse(
            ThreadedStream(lambda out: write_tree(root, out, compression="none"), stack.aclose),
            content_type=TAR)

    async def changes(req: Request) -> JSONResponse:
        from dockyard.image.diff import changes as list_changes
        c = mgr.get(req.params["id"])
        lowers = rootfs.lower_dirs(engine.snapshots, c)
        found = await asyncio.to_thread(list_changes, rootfs.upper_dir(c), lowers)
        out = [{"Path": ch.path, "Kind": ch.api_kind} for ch in found]
        return JSONResponse(out or None)

    async def commit(req: Request) -> JSONResponse:
        from dockyard.image.commit import commit_container
        ref = req.q("container") or ""
        c = mgr.get(ref)
        repo, tag = req.q("repo") or "", req.q("tag") or ""
        image_ref = None
        if repo:
            image_ref = f"{repo}:{tag}" if tag else repo
            try:
                parsed = reference.parse(image_ref)
            except Exception as exc:
                raise InvalidArgument(str(exc)) from exc
            if parsed.digest:
                raise InvalidArgument("refusing to create a tag with a digest reference")
        elif tag:
            raise InvalidArgument("tag is set but repo is empty")  # Docker: tag needs a repo
        body = await req.json()
        if body is not None and not isinstance(body, dict):
            raise InvalidArgument("config must be a JSON object")
        if c.state.get("Status") == "removing":
            from dockyard.errors import Conflict
            raise Conflict(f"You cannot commit container {c.id} which is being removed")
        pause = req.qbool("pause", default=not req.version_before("1.13"))
        async with rootfs.frozen(mgr, c, pause):
            image_id = await asyncio.to_thread(
                commit_container, engine.images, c.rec, rootfs.upper_dir(c), engine.tmp,
                override=body, changes=req.q_all("changes"), author=req.q("author") or "",
                comment=req.q("comment") or "", tag=image_ref)
            familiar = reference.parse(image_ref).familiar() if image_ref else ""
            if image_ref:  # as moby's TagImage: the image's labels plus the new name
                labels = dict(engine.images.get(image_id).labels)
                labels["name"] = familiar
                engine.events.emit("image", "tag", image_id, labels)
            # moby logs the commit before its deferred unpause
            event(c, "commit", comment=req.q("comment") or "", imageID=image_id,
                  imageRef=familiar)
        return JSONResponse({"Id": image_id}, status=201)

    router.add("HEAD", "/containers/{id}/archive", head_archive)
    router.add("GET", "/containers/{id}/archive", get_archive)
    router.add("PUT", "/containers/{id}/archive", put_archive)
    router.add("GET", "/containers/{id}/export", export)
    router.add("GET", "/containers/{id}/changes", changes)
    router.add("POST", "/commit", commit)
