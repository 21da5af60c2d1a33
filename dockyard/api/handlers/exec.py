"""Exec endpoints: ``POST /containers/{id}/exec``, ``/exec/{id}/start|resize``, ``GET /exec/{id}/json``.

``start`` without ``Detach`` hijacks the connection: with a TTY the bytes are raw, else
Docker's multiplexed stream (8-byte headers, 1 stdout / 2 stderr); the client's bytes are
the process's stdin, and the stream ends (our ``close_write``) when the process has ended
and its output is drained.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from dockyard.api.http import MULTIPLEXED_STREAM, RAW_STREAM, Hijack, JSONResponse, Request, Response
from dockyard.api.router import Router
from dockyard.errors import InvalidArgument
from dockyard.runtime.exec import ExecSession
from dockyard.api.stream import mux_frame

if TYPE_CHECKING:
    from dockyard.api.server import HijackedStream
    from dockyard.daemon.engine import Engine

__all__ = ["register"]



async def _pump_pipes(s: ExecSession, hs: HijackedStream) -> None:
    proc = s.proc
    assert proc is not None

    async def out(reader: asyncio.StreamReader | None, stream: int) -> None:
        if reader is None:
            return
        while data := await reader.read(32768):
            await hs.write(mux_frame(stream, data))

    async def stdin() -> None:
        if proc.stdin is None:
            return
        while data := await hs.read(32768):
            proc.stdin.write(data)
            try:
                await proc.stdin.drain()
            except ConnectionError:
                return
        proc.stdin.close()

    in_task = asyncio.ensure_future(stdin())
    try:
        await asyncio.gather(out(proc.stdout, 1), out(proc.stderr, 2))
        await s.done.wait()
        if s.error:
            await hs.write(mux_frame(1, (s.error + "\r\n").encode()))
    finally:
        in_task.cancel()
        await hs.close_write()


async def _pump_pty(s: ExecSession, hs: HijackedStream) -> None:
    loop = asyncio.get_running_loop()
    fd = s.master_fd
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    def readable() -> None:
        try:
            data = os.read(fd, 32768)
        except OSError:   # EIO: every slave end closed, the process is gone
            data = b""
        if not data:
            loop.remove_reader(fd)
        queue.put_nowait(data)

    loop.add_reader(fd, readable)

    async def stdin() -> None:
        while data := await hs.read(32768):
            try:
                await loop.run_in_executor(None, os.write, fd, data)
            except OSError:
                return

    in_task = asyncio.ensure_future(stdin())
    try:
        while data := await queue.get():
            await hs.write(data)
        await s.done.wait()
        if s.error:
            await hs.write((s.error + "\r\n").encode())
    finally:
        in_task.cancel()
        loop.remove_reader(fd)
        try:
            os.close(fd)
        except OSError:
            pass
        s.master_fd = -1
        await hs.close_write()


def register(router: Router, engine: Engine) -> None:
    execs = engine.execs

    async def create(req: Request) -> JSONResponse:
        body = await req.json()
        if not isinstance(body, dict):
            raise InvalidArgument("exec config cannot be empty")
        exec_id = execs.create(req.params["id"], body)
        c = engine.containers.get(req.params["id"])
        engine.containers._event(c, "exec_create: " + " ".join(body.get("Cmd") or []),
                                 execID=exec_id)
        return JSONResponse({"Id": exec_id}, status=201)

    async def start(req: Request) -> Response | Hijack:
        body: dict[str, Any] = await req.json() or {}
        s = execs.get(req.params["id"])
        size = body.get("ConsoleSize")
        tty_size = (int(size[0]), int(size[1])) if size and size[0] and size[1] else None
        if body.get("Detach"):
            await execs.start(s.id, detach=True, tty_size=tty_size)
            return Response(b"", status=200, content_type="application/json")

        async def run(hs: HijackedStream) -> None:
            await execs.start(s.id, detach=False, tty_size=tty_size)
            c = engine.containers.get(s.container_id)
            engine.containers._event(c, "exec_start: " + " ".join(s.config.get("Cmd") or []),
                                     execID=s.id)
            if s.tty:
                await _pump_pty(s, hs)
            else:
                await _pump_pipes(s, hs)

        return Hijack(run, content_type=RAW_STREAM if s.tty else MULTIPLEXED_STREAM)

    async def resize(req: Request) -> Response:
        s = execs.get(req.params["id"])
        h, w = req.qint("h") or 0, req.qint("w") or 0
        if h and w:
            s.resize(h, w)
        return Response(b"", status=200, content_type="text/plain; charset=utf-8")

    async def inspect(req: Request) -> JSONResponse:
        return JSONResponse(execs.get(req.params["id"]).inspect())

    router.add("POST", "/containers/{id}/exec", create)
    router.add("POST", "/exec/{id}/start", start)
    router.add("POST", "/exec/{id}/resize", resize)
    router.add("GET", "/exec/{id}/json", inspect)
