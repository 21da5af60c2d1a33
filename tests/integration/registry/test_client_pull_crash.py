"""kill -9 of the daemon in the middle of a pull: nothing half-pulled survives the restart
(no image, no blob, no ingest, no half-unpacked snapshot), and the same pull then works.

A small proxy between the daemon and dockyard's registry sends the big layer's first half
and then holds the rest back until the test lets it go, so the kill lands mid-layer every
time (not by timing).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import threading
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

import engine_fixtures  # noqa: F401 - puts the engine's helpers on sys.path
from client_helpers import base_layer, layered_image
from engine_helpers import Daemon, _unix_request, docker, started_daemon
from regsrv_helpers import ServerProcess, push_image

pytestmark = pytest.mark.timeout(180)

BIG = 12 << 20


class HoldingProxy:
    """Forwards to ``upstream``; a GET of blob ``hold`` stops after half its body until
    ``release`` is set (``half_sent`` says when it got there)."""

    def __init__(self, upstream: str, hold: str) -> None:
        self.upstream = upstream
        self.hold = hold
        self.half_sent = threading.Event()
        self.release = threading.Event()
        self.host = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> HoldingProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.host = f"127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession(auto_decompress=False)

    def stop(self) -> None:
        self.release.set()

        async def down() -> None:
            await self._session.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(down(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        body = await request.read() if request.can_read_body else None
        async with self._session.request(request.method, self.upstream + request.path_qs,
                                         data=body, headers=headers, allow_redirects=False) as up:
            held = request.method == "GET" and request.path.endswith(self.hold) \
                and not self.release.is_set()
            if not held:
                out = web.Response(status=up.status, body=await up.read(), headers={
                    k: v for k, v in up.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")})
                return out
            resp = web.StreamResponse(status=up.status, headers={
                "Content-Length": up.headers["Content-Length"],
                "Content-Type": up.headers.get("Content-Type", "application/octet-stream")})
            await resp.prepare(request)
            data = await up.read()
            await resp.write(data[: len(data) // 2])
            self.half_sent.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return resp  # the rest never comes: the daemon that asked is gone by now


def _pull(d: Daemon, ref: str) -> tuple[int, str]:
    name, tag = ref.rsplit(":", 1)
    status, data = _unix_request(d.sock, "POST", f"/images/create?fromImage={name}&tag={tag}",
                                 None, 120)
    return status, data.decode(errors="replace") if isinstance(data, bytes) else str(data)


def _store_leftovers(d: Daemon, layer_digest: str) -> dict[str, list[str]]:
    root = Path(d.data_root)
    ingest = root / "content" / "ingest"
    return {
        "ingest": sorted(os.listdir(ingest)) if ingest.exists() else [],
        "tmp snapshots": sorted(p.name for p in (root / "snapshots").glob("tmp-*")),
        "blob": [p.name for p in (root / "content").rglob(layer_digest.split(":", 1)[1])],
    }


def test_kill9_mid_pull_leaves_nothing_half_done(server: ServerProcess) -> None:
    with started_daemon() as d:
        docker(d, "tag", "busybox", f"{server.host}/crash/base:1", check=True)
        docker(d, "push", f"{server.host}/crash/base:1", check=True)
        base_gz, base_diff = base_layer(server.url, "crash/base", "1")
        payload = os.urandom(BIG)
        image = layered_image(base_gz, base_diff, {"big.bin": payload})
        push_image(server.url, "crash/img", "1", image)
        layer_digest = json.loads(image.manifest)["layers"][1]["digest"]
        image_id = "sha256:" + hashlib.sha256(image.config).hexdigest()

        proxy = HoldingProxy(server.url, layer_digest).start()
        try:
            ref = f"{proxy.host}/crash/img:1"
            puller = threading.Thread(target=lambda: _safe_pull(d, ref), daemon=True)
            puller.start()
            assert proxy.half_sent.wait(60), "the pull never reached the big layer"
            during = _store_leftovers(d, layer_digest)
            assert during["ingest"] and during["tmp snapshots"], during  # really mid-layer
            d.kill9()
            puller.join(30)

            d.start()
            assert _store_leftovers(d, layer_digest) == {"ingest": [], "tmp snapshots": [],
                                                         "blob": []}
            status, _ = _unix_request(d.sock, "GET", f"/images/{image_id}/json", None, 30)
            assert status == 404
            assert image_id not in docker(d, "images", "-aq", "--no-trunc", check=True).stdout

            proxy.release.set()
            status, text = _pull(d, ref)
            assert status == 200 and "errorDetail" not in text, text
            out = docker(d, "run", "--rm", "--network", "none", ref, "md5sum", "/big.bin",
                         check=True).stdout
            assert out.split()[0] == hashlib.md5(payload).hexdigest()
        finally:
            proxy.stop()


def _safe_pull(d: Daemon, ref: str) -> None:
    try:
        _pull(d, ref)
    except (OSError, http.client.HTTPException):
        pass  # the daemon is killed under it: that is the point
