"""Tiny fake handlers exercising the plumbing (not the engine), shared by the server tests."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from dockyard.api.http import Hijack, JSONResponse, Reply, Request, Response, StreamResponse
from dockyard.api.router import Router
from dockyard.api.server import HijackedStream
from dockyard.api.stream import STDERR, STDOUT, json_message, mux_frame
from dockyard.errors import Conflict, InvalidArgument, NotFound, NotModified, Unavailable

VERSION = {
    "Platform": {"Name": "Dockyard Engine - Test"},
    "Components": [
        {"Name": "Engine", "Version": "99.1.0",
         "Details": {"ApiVersion": "1.43", "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64",
                     "GitCommit": "deadbee", "GoVersion": "python3.11", "KernelVersion": "6.1", "BuildTime": ""}},
    ],
    "Version": "99.1.0",
    "ApiVersion": "1.43",
    "MinAPIVersion": "1.24",
    "GitCommit": "deadbee",
    "GoVersion": "python3.11",
    "Os": "linux",
    "Arch": "amd64",
    "KernelVersion": "6.1",
    "BuildTime": "2024-01-01T00:00:00.000000000+00:00",
}


@dataclass
class State:
    """What the handlers observed, for the test thread to check."""

    upload_started: threading.Event = field(default_factory=threading.Event)
    upload_chunks: list[int] = field(default_factory=list)
    follow_closed: threading.Event = field(default_factory=threading.Event)
    idle_closed: threading.Event = field(default_factory=threading.Event)
    hijack_got: list[bytes] = field(default_factory=list)


def build(state: State) -> Router:
    r = Router()

    async def ping(req: Request) -> Reply:
        headers = {"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache"}
        return Response(b"" if req.method == "HEAD" else b"OK", headers=headers)

    async def version(req: Request) -> Reply:
        return JSONResponse(VERSION)

    async def echo(req: Request) -> Reply:
        return JSONResponse({
            "body": await req.json(),
            "query": req.query,
            "params": req.params,
            "path": req.path,
            "version": req.version,
            "ua": req.headers.get("user-agent"),
        })

    async def upload(req: Request) -> Reply:
        digest = hashlib.sha256()
        size = 0
        async for chunk in req.iter_body():
            state.upload_started.set()
            state.upload_chunks.append(len(chunk))
            digest.update(chunk)
            size += len(chunk)
        return JSONResponse({"size": size, "sha256": digest.hexdigest()})

    async def load(req: Request) -> Reply:
        # Like POST /images/load: progress is streamed while the upload is still arriving.
        async def gen() -> AsyncIterator[bytes]:
            size = 0
            async for chunk in req.iter_body():
                size += len(chunk)
            yield json_message(stream=f"Loaded {size} bytes\n")

        return StreamResponse(gen())

    async def ignore_body(req: Request) -> Reply:
        return None

    async def conn_id(req: Request) -> Reply:
        return JSONResponse({"conn": id(req.source)})

    errors = {"notfound": NotFound("No such container: x"), "conflict": Conflict("name is in use"),
              "invalid": InvalidArgument("bad flag"), "unavailable": Unavailable("swarm is not offered"),
              "notmodified": NotModified("already started")}

    async def fail(req: Request) -> Reply:
        kind = req.params["kind"]
        if kind == "crash":
            raise RuntimeError("internal detail")
        raise errors[kind]

    async def stream(req: Request) -> Reply:
        n = req.qint("n", 3) or 0

        async def gen() -> AsyncIterator[bytes]:
            for i in range(n):
                yield json_message(status="line", id=str(i))
                await asyncio.sleep(0)

        return StreamResponse(gen())

    async def follow(req: Request) -> Reply:
        async def gen() -> AsyncIterator[bytes]:
            try:
                i = 0
                while True:
                    yield json.dumps({"i": i}).encode() + b"\n"
                    i += 1
                    await asyncio.sleep(0.02)
            finally:
                state.follow_closed.set()

        return StreamResponse(gen())

    async def idle_follow(req: Request) -> Reply:
        async def gen() -> AsyncIterator[bytes]:
            try:
                yield b'{"first":true}\n'
                await asyncio.Event().wait()  # nothing more, ever: only EOF can end this
                yield b"never\n"
            finally:
                state.idle_closed.set()

        return StreamResponse(gen())

    async def stream_error(req: Request) -> Reply:
        async def gen() -> AsyncIterator[bytes]:
            yield b'{"ok":1}\n'
            raise RuntimeError("generator blew up")

        return StreamResponse(gen())

    async def download(req: Request) -> Reply:
        mib = req.qint("mib", 1) or 0

        async def gen() -> AsyncIterator[bytes]:
            block = bytes(range(256)) * 4096
            for _ in range(mib):
                yield block

        return StreamResponse(gen(), content_type="application/x-tar")

    async def hijack_echo(req: Request) -> Reply:
        async def run(stream: HijackedStream) -> None:
            while data := await stream.read(1024):
                state.hijack_got.append(data)
                await stream.write(data.upper())
            await stream.write(b"<eof>")
            await stream.close_write()

        return Hijack(run)

    async def exec_start(req: Request) -> Reply:
        body = await req.json()

        async def run(stream: HijackedStream) -> None:
            await stream.write(mux_frame(STDOUT, " ".join(body["Cmd"]).encode() + b"\n"))
            await stream.write(mux_frame(STDERR, b"upgraded=" + str(stream.upgraded).encode()))
            await stream.close_write()

        ctype = "application/vnd.docker.multiplexed-stream" if req.wants_upgrade else "application/vnd.docker.raw-stream"
        return Hijack(run, content_type=ctype)

    async def hijack_missing(req: Request) -> Reply:
        raise NotFound("No such container: ghost")

    async def container_json(req: Request) -> Reply:
        if req.params["id"] == "missing":
            raise NotFound(f"No such container: {req.params['id']}")
        return JSONResponse({"Id": req.params["id"], "Config": {"Tty": False}})

    async def attach(req: Request) -> Reply:
        async def run(stream: HijackedStream) -> None:
            # docker-py reads the socket under http.client's buffer: like a real
            # daemon, output comes after the head rather than in the same segment.
            await asyncio.sleep(0.05)
            await stream.write(mux_frame(STDOUT, b"hello\n"))
            await stream.write(mux_frame(STDERR, b"err\n"))

        return Hijack(run, content_type="application/vnd.docker.multiplexed-stream")

    async def start(req: Request) -> Reply:
        return None

    async def stop(req: Request) -> Reply:
        raise NotModified("container already stopped")

    async def archive_head(req: Request) -> Reply:
        stat = base64.b64encode(json.dumps({"name": "etc", "size": 4096, "mode": 2147484141}).encode()).decode()
        return Response(b"", content_type="application/json", headers={"X-Docker-Container-Path-Stat": stat})

    async def images(req: Request) -> Reply:
        return JSONResponse([{"Id": "sha256:1", "RepoTags": ["busybox:latest"], "filters": req.qfilters()}])

    async def image_inspect(req: Request) -> Reply:
        return JSONResponse({"Id": "sha256:1", "RepoTags": [req.params["name"]]})

    async def events(req: Request) -> Reply:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(3):
                yield json.dumps({"Type": "container", "Action": "start", "id": str(i)}).encode() + b"\n"

        return StreamResponse(gen())

    r.get("/_ping", ping)
    r.add("HEAD", "/_ping", ping)
    r.get("/version", version)
    r.post("/echo", echo)
    r.post("/echo/{name:.*}/x", echo)
    r.get("/images/json", images)
    r.get("/images/{name:.*}/json", image_inspect)
    r.post("/upload", upload)
    r.post("/ignore-body", ignore_body)
    r.post("/load", load)
    r.get("/conn", conn_id)
    r.get("/fail/{kind}", fail)
    r.get("/stream", stream)
    r.get("/follow", follow)
    r.get("/idle-follow", idle_follow)
    r.get("/stream-error", stream_error)
    r.get("/download", download)
    r.post("/hijack/echo", hijack_echo)
    r.post("/hijack/missing", hijack_missing)
    r.post("/exec/{id}/start", exec_start)
    r.get("/containers/{id}/json", container_json)
    r.post("/containers/{id}/attach", attach)
    r.post("/containers/{id}/start", start)
    r.post("/containers/{id}/stop", stop)
    r.add("HEAD", "/containers/{id}/archive", archive_head)
    r.get("/events", events)
    r.get("/new-feature", version, min_version="1.42")
    return r
