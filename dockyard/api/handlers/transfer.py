"""Image transfer endpoints: ``GET /images/{name}/get``, ``GET /images/get?names=``
(docker save) and ``POST /images/load`` (docker load). The format lives in
``dockyard.image.dockerarchive``; this module only streams it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import TYPE_CHECKING, AsyncIterator

from dockyard.api.handlers.archive import TAR, ThreadedStream
from dockyard.api.http import Request, StreamResponse
from dockyard.api.router import Router
from dockyard.errors import DockyardError, InvalidArgument

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine

__all__ = ["register"]

log = logging.getLogger("dockyard.api")


def _line(obj: dict[str, object]) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def register(router: Router, engine: Engine) -> None:
    images = engine.images

    def _event(action: str, image_id: str) -> None:
        """As moby's LogImageEvent: the image's labels plus ``name`` (its ID here)."""
        try:
            labels = dict(images.get(image_id).labels)
        except DockyardError:
            labels = {}
        labels["name"] = image_id
        engine.events.emit("image", action, image_id, labels)

    async def _save(names: list[str]) -> StreamResponse:
        from dockyard.image import dockerarchive as da
        if not names:
            raise InvalidArgument("no images to save: give at least one name")
        targets = await asyncio.to_thread(da.save_targets, images, names)
        for t in targets:
            _event("save", t.image_id)
        return StreamResponse(ThreadedStream(lambda out: da.save(images, targets, out, engine.tmp)),
                              content_type=TAR)

    async def save_one(req: Request) -> StreamResponse:
        return await _save([req.params["name"]])

    async def save_many(req: Request) -> StreamResponse:
        return await _save(req.q_all("names"))

    async def load(req: Request) -> StreamResponse:
        from dockyard.api.handlers.images import spool_body
        from dockyard.image import dockerarchive as da
        spool = await spool_body(req, engine.tmp)

        def run() -> tuple[list[str], list[str]]:
            with open(spool, "rb") as f:
                return da.load(images, f, engine.tmp)

        async def gen() -> AsyncIterator[bytes]:
            try:
                messages, loaded = await asyncio.to_thread(run)
            except DockyardError as exc:
                yield _line({"errorDetail": {"message": str(exc)}, "error": str(exc)})
                return
            except Exception as exc:  # the stream has begun: report in it
                log.exception("load failed")
                msg = f"load failed: {exc}"
                yield _line({"errorDetail": {"message": msg}, "error": msg})
                return
            finally:
                os.unlink(spool)
            for image_id in loaded:
                _event("load", image_id)
            for m in messages:
                yield _line({"stream": m + "\n"})

        return StreamResponse(gen(), content_type="application/json")

    router.add("GET", "/images/get", save_many)
    router.add("GET", "/images/{name:.*}/get", save_one)
    router.add("POST", "/images/load", load)
