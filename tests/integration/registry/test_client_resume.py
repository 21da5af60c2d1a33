"""Cut transfers resume: a download continues with ``Range``, an upload from the session's offset.

A small aiohttp proxy sits between the client and a real dockyard registry and breaks the
first transfer of each blob half-way (the connection is closed mid-body). The client must
finish the transfer without starting over, and what arrives must be the blob, verified.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from regsrv_helpers import ServerProcess, push_blob, sha256

from dockyard import reference
from dockyard.image.service import ImageService
from dockyard.registry.client.progress import Progress
from dockyard.registry.client.push import _Uploader
from dockyard.registry.client.transport import Transport, VerificationError
from dockyard.store.content import ContentStore
from dockyard.store.metadata import Metadata
from dockyard.store.snapshots import Snapshotter

pytestmark = pytest.mark.timeout(120)


class FlakyProxy:
    """Forwards to ``upstream``; the first GET and the first PATCH of a blob are cut half-way."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.log: list[tuple[str, str, str]] = []   # (method, path, Range/Content-Range)
        self.cut: set[str] = set()
        self.runner: web.AppRunner | None = None
        self.host = ""

    async def start(self) -> FlakyProxy:
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.host = f"127.0.0.1:{port}"
        self.session = aiohttp.ClientSession(auto_decompress=False)
        return self

    async def stop(self) -> None:
        await self.session.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        hdr = request.headers.get("Range") or request.headers.get("Content-Range") or ""
        self.log.append((request.method, request.path, hdr))
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "transfer-encoding", "content-length")}
        url = self.upstream + request.path_qs
        key = f"{request.method} {request.path.split('/uploads/')[0]}"
        if request.method == "PATCH" and key not in self.cut:
            self.cut.add(key)
            total = int(request.headers["Content-Length"])
            half = await request.content.readexactly(total // 2)
            async with self.session.patch(url, data=half, headers=headers) as up:
                await up.read()
            assert request.transport is not None
            request.transport.close()  # the rest never arrives
            raise ConnectionResetError("cut by the proxy")
        body = await request.read() if request.can_read_body else None
        async with self.session.request(request.method, url, data=body, headers=headers,
                                        allow_redirects=False) as up:
            data = await up.read()
            out_headers = {k: v for k, v in up.headers.items()
                           if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")}
            if "Location" in out_headers and out_headers["Location"].startswith(self.upstream):
                out_headers["Location"] = out_headers["Location"].replace(self.upstream, f"http://{self.host}")
            if request.method == "GET" and "/blobs/sha256:" in request.path and key not in self.cut:
                self.cut.add(key)
                resp = web.StreamResponse(status=up.status, headers=out_headers)
                resp.content_length = len(data)
                await resp.prepare(request)
                await resp.write(data[: len(data) // 2])
                assert request.transport is not None
                request.transport.close()
                return resp
            return web.Response(status=up.status, body=data, headers=out_headers)


def _images(root: Path) -> ImageService:
    meta = Metadata(root / "db")
    return ImageService(ContentStore(root / "content"), meta, Snapshotter(root, meta))


def test_cut_download_resumes_with_range(server: ServerProcess, tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    digest = push_blob(server.url, "resume/dl", data)

    async def run() -> list[tuple[str, str, str]]:
        proxy = await FlakyProxy(server.url).start()
        try:
            async with Transport(proxy.host, scopes=["repository:resume/dl:pull"]) as t:
                got = await t.download("resume/dl", digest, str(tmp_path / "blob"))
            assert got == len(data)
            return proxy.log
        finally:
            await proxy.stop()

    log = asyncio.run(run())
    assert (tmp_path / "blob").read_bytes() == data
    gets = [entry for entry in log if entry[0] == "GET" and digest in entry[1]]
    assert len(gets) == 2
    assert gets[0][2] == ""
    resumed_at = int(gets[1][2].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= len(data) // 2  # what arrived before the cut is kept


def test_tampered_download_is_refused(server: ServerProcess, tmp_path: Path) -> None:
    data = os.urandom(1 << 20)
    real = push_blob(server.url, "resume/bad", data)
    root = server.root / "blobs" / "sha256" / real[7:9] / real[7:] / "data"
    root.write_bytes(b"x" + data[1:])

    async def run() -> None:
        async with Transport(server.host, scopes=["repository:resume/bad:pull"]) as t:
            await t.download("resume/bad", real, str(tmp_path / "blob"))

    with pytest.raises(VerificationError, match="verification failed"):
        asyncio.run(run())
    assert not (tmp_path / "blob").exists()


def test_cut_upload_resumes_from_the_session_offset(server: ServerProcess, tmp_path: Path) -> None:
    images = _images(tmp_path / "store")
    data = os.urandom(3 << 20)
    digest = images.content.put(data)
    progress = Progress()

    async def run() -> list[tuple[str, str, str]]:
        proxy = await FlakyProxy(server.url).start()
        try:
            repo = reference.parse(f"{proxy.host}/resume/up", default_tag=False)
            async with Transport(proxy.host, scopes=["repository:resume/up:pull,push"]) as t:
                await _Uploader(t, images, repo, progress).push_blob(digest, len(data), "lid")
            return proxy.log
        finally:
            await proxy.stop()

    log = asyncio.run(run())
    patches = [entry for entry in log if entry[0] == "PATCH"]
    assert len(patches) == 2, log
    assert patches[1][2] == f"{len(data) // 2}-{len(data) - 1}"
    import requests

    got = requests.get(f"{server.url}/v2/resume/up/blobs/{digest}", timeout=30).content
    assert sha256(got) == digest
    statuses: list[Any] = [m.get("status") for m in progress.messages]
    assert statuses[-1] == "Pushed"
