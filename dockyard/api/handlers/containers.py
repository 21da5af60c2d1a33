"""Container endpoints: create, start, stop, restart, kill, wait, delete, list, inspect,
logs, attach, resize, rename (``/containers/...``)."""

from __future__ import annotations

import asyncio
import logging
import json
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from dockyard.api.http import (MULTIPLEXED_STREAM, RAW_STREAM, Hijack, JSONResponse, Request,
                               Response, StreamResponse)
from dockyard.api.router import Router
from dockyard.errors import DockyardError, InvalidArgument, NotFound, NotImplementedKind
from dockyard.runtime import conmon, listing, record
from dockyard.runtime.attach import pump
from dockyard.runtime.logfmt import LogEntry, format_time
from dockyard.api.stream import mux_frame

if TYPE_CHECKING:
    from dockyard.api.server import HijackedStream
    from dockyard.daemon.engine import Engine

log = logging.getLogger("dockyard.api")

__all__ = ["register", "summary_image_name"]


def summary_image_name(engine: Engine, rec: dict[str, Any]) -> str:
    """The IMAGE column: the name the container was made from while it still names the
    same image, else the image ID (as Docker shows after a re-tag)."""
    ref = rec["Config"].get("Image") or rec["Image"]
    try:
        current = engine.images.resolve_id(ref)
    except DockyardError:
        current = None
    return ref if current == rec["Image"] else rec["Image"]



def _parse_since(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return float(value)
    except ValueError:
        from dockyard.cli.units import parse_timestamp
        import time
        return parse_timestamp(value, time.time())


T = TypeVar("T")


async def _in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """Each next item of a blocking iterator, taken in a worker thread."""
    done = object()
    while True:
        item = await asyncio.to_thread(next, items, done)
        if item is done:
            return
        yield item  # type: ignore[misc]


def register(router: Router, engine: Engine) -> None:
    mgr = engine.containers

    def image_name(rec: dict[str, Any]) -> str:
        return summary_image_name(engine, rec)

    async def create(req: Request) -> JSONResponse:
        body = await req.json()
        if not isinstance(body, dict):
            raise InvalidArgument("config cannot be empty in order to create a container")
        cid, warnings = await mgr.create(body, req.q("name"))
        return JSONResponse({"Id": cid, "Warnings": warnings}, status=201)

    async def start(req: Request) -> None:
        await mgr.start(req.params["id"])
        return None

    async def stop(req: Request) -> None:
        await mgr.stop(req.params["id"], req.qint("t"), req.q("signal"))
        return None

    async def restart(req: Request) -> None:
        await mgr.restart(req.params["id"], req.qint("t"))
        return None

    async def kill(req: Request) -> None:
        await mgr.kill(req.params["id"], req.q("signal"))
        return None

    async def wait(req: Request) -> StreamResponse:
        fut = mgr.wait_future(req.params["id"], req.q("condition") or "not-running")

        async def gen() -> AsyncIterator[bytes]:
            code = await fut
            yield (json.dumps({"StatusCode": code, "Error": None}) + "\n").encode()

        return StreamResponse(gen())

    async def delete(req: Request) -> None:
        await mgr.remove(req.params["id"], force=req.qbool("force"), volumes=req.qbool("v"))
        return None

    async def list_(req: Request) -> JSONResponse:
        filters = req.qfilters()
        chosen = listing.select(
            list(mgr.containers.values()), all_=req.qbool("all"),
            limit=req.qint("limit") or 0, filters=filters,
            resolve_image=engine.images.resolve_id, find=mgr.get)
        out = []
        for c in chosen:
            item = record.summary(c.rec, image_name(c.rec))
            if req.qbool("size"):
                item["SizeRw"], item["SizeRootFs"] = _sizes(engine, c)
            out.append(item)
        return JSONResponse(out)

    async def inspect(req: Request) -> JSONResponse:
        c = mgr.get(req.params["id"])
        data = record.public(c.rec)
        if req.qbool("size"):
            data["SizeRw"], data["SizeRootFs"] = _sizes(engine, c)
        return JSONResponse(data)

    async def logs(req: Request) -> StreamResponse:
        c = mgr.get(req.params["id"])
        want_out, want_err = req.qbool("stdout"), req.qbool("stderr")
        if not (want_out or want_err):
            raise InvalidArgument("Bad parameters: you must choose at least one stream")
        follow = req.qbool("follow")
        timestamps = req.qbool("timestamps")
        since = _parse_since(req.q("since"))
        until = _parse_since(req.q("until"))
        tail_q = req.q("tail") or "all"
        tail = -1 if tail_q == "all" else int(tail_q) if tail_q.lstrip("-").isdigit() else -1
        tty = c.tty
        if not c.log_options.readable:
            raise NotImplementedKind("configured logging driver does not support reading")
        lf = c.logfile()

        def fmt(e: LogEntry) -> bytes | None:
            if e.stream == "stdout" and not want_out:
                return None
            if e.stream == "stderr" and not want_err:
                return None
            data = e.data
            if timestamps:
                data = format_time(e.time).encode() + b" " + data
            return data if tty else mux_frame(1 if e.stream == "stdout" else 2, data)

        async def gen() -> AsyncIterator[bytes]:
            # The file work runs in a thread, a batch at a time: a log of millions of lines
            # must not stall the daemon, nor go out as millions of writes.
            seen: tuple[int, int] | None = None  # just after the last entry sent
            async for data, seen in _in_thread(
                    lf.batches(lf.select(since=since, until=until, tail=tail), fmt)):
                if data:
                    yield data
            if not follow or (until and until < __import__("time").time()):
                return
            if seen is None:  # nothing (yet, or --tail 0): from the end as it is now
                seen = await asyncio.to_thread(lf.follow_point)
            follower = lf.follower(seen)
            try:
                while True:
                    done = c.exited.is_set() or c.id not in mgr.containers
                    await asyncio.to_thread(lf.sync)
                    new = ((e, 0) for e in follower.poll()
                           if not (since and e.ts < since) and not (until and e.ts > until))
                    async for data, _ in _in_thread(lf.batches(new, fmt)):
                        if data:
                            yield data
                    if until and until < __import__("time").time():
                        return
                    if done:
                        return
                    try:
                        await asyncio.wait_for(c.exited.wait(), 0.1)
                    except asyncio.TimeoutError:
                        pass
            finally:
                follower.close()

        ctype = RAW_STREAM if tty else (MULTIPLEXED_STREAM if req.version_at_least("1.42")
                                        else RAW_STREAM)
        return StreamResponse(gen(), content_type=ctype)

    async def attach(req: Request) -> Hijack:
        c = mgr.get(req.params["id"])
        stdin, stdout, stderr = req.qbool("stdin"), req.qbool("stdout"), req.qbool("stderr")
        stream, want_logs = req.qbool("stream"), req.qbool("logs")
        tty = c.tty
        if c.state.get("Paused"):
            from dockyard.errors import Conflict
            raise Conflict(f"container {req.params['id']} is paused, unpause the container "
                           f"before attach")
        # A stopped container is no error here (the docker CLI refuses it client-side for
        # `attach`): `start -a` attaches first and the stream begins with the next start.

        def fmt(e: LogEntry) -> bytes | None:
            if (e.stream == "stdout" and stdout) or (e.stream == "stderr" and stderr):
                return e.data if tty else mux_frame(1 if e.stream == "stdout" else 2, e.data)
            return None

        async def run(hs: HijackedStream) -> None:
            if want_logs:
                lf = c.logfile()
                async for data, _ in _in_thread(lf.batches(lf.select(), fmt)):
                    if data:
                        await hs.write(data)
            if not stream:
                await hs.close_write()
                return
            try:
                sock = await mgr.attach_socket(c)
            except OSError as exc:
                # the container did not start, or is gone: the stream ends with no output
                log.info("attach to %s: %s", c.id[:12], exc)
                await hs.close_write()
                return
            await pump(sock, hs, tty=tty, stdin=stdin, stdout=stdout, stderr=stderr,
                       stdin_once=bool(c.rec["Config"].get("StdinOnce")))

        ctype = RAW_STREAM if tty else (MULTIPLEXED_STREAM if req.version_at_least("1.42")
                                        else RAW_STREAM)
        return Hijack(run, content_type=ctype)

    async def resize(req: Request) -> Response:
        c = mgr.get(req.params["id"])
        h, w = req.qint("h") or 0, req.qint("w") or 0
        if not c.running:
            from dockyard.errors import Conflict
            raise Conflict(f"Container {c.id} is not running")
        if c.tty and h and w:
            try:
                conmon.resize(c.dir, h, w)
            except OSError:
                pass
        return Response(b"", status=200, content_type="text/plain; charset=utf-8")

    async def pause(req: Request) -> None:
        await mgr.pause(req.params["id"])
        return None

    async def unpause(req: Request) -> None:
        await mgr.unpause(req.params["id"])
        return None

    async def update(req: Request) -> JSONResponse:
        body = await req.json()
        if not isinstance(body, dict):
            raise InvalidArgument("update config cannot be empty")
        warnings = await mgr.update(req.params["id"], body)
        return JSONResponse({"Warnings": warnings})

    async def rename(req: Request) -> None:
        name = req.q("name")
        if not name:
            raise InvalidArgument("Neither old nor new names may be empty")
        mgr.rename(req.params["id"], name)
        return None

    router.add("POST", "/containers/create", create)
    router.add("GET", "/containers/json", list_)
    router.add("GET", "/containers/{id}/json", inspect)
    router.add("POST", "/containers/{id}/start", start)
    router.add("POST", "/containers/{id}/stop", stop)
    router.add("POST", "/containers/{id}/restart", restart)
    router.add("POST", "/containers/{id}/kill", kill)
    router.add("POST", "/containers/{id}/wait", wait)
    router.add("DELETE", "/containers/{id}", delete)
    router.add("GET", "/containers/{id}/logs", logs)
    router.add("POST", "/containers/{id}/attach", attach)
    router.add("POST", "/containers/{id}/resize", resize)
    router.add("POST", "/containers/{id}/rename", rename)
    router.add("POST", "/containers/{id}/pause", pause)
    router.add("POST", "/containers/{id}/unpause", unpause)
    router.add("POST", "/containers/{id}/update", update)


def _sizes(engine: Engine, c: Any) -> tuple[int, int]:
    import os
    rw = 0
    upper = os.path.join(c.dir, "diff")
    for root, _dirs, files in os.walk(upper):
        for f in files:
            try:
                rw += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    try:
        base = engine.images.get(c.rec["Image"]).size
    except NotFound:
        base = 0
    return rw, rw + base
