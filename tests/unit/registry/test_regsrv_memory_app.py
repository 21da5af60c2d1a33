"""The whole HTTP app in-process over the in-memory driver.

This drives the streaming (non-sendfile) blob path and shows the app needs
nothing from a filesystem: ``create_app(open_registry(config, MemoryDriver()))``.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from dockyard.registry.server.app import create_app
from dockyard.registry.server.config import ServerConfig
from dockyard.registry.server.state import open_registry
from dockyard.registry.server.storage import MemoryDriver


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


async def _scenario(tmp_path: Path) -> None:
    config = ServerConfig(root=tmp_path, allow_anonymous_push=True)
    app = create_app(open_registry(config, MemoryDriver()))
    async with TestClient(TestServer(app)) as client:
        data = bytes(range(256)) * 100
        r = await client.post("/v2/mem/app/blobs/uploads/")
        assert r.status == 202
        location = r.headers["Location"]
        r = await client.patch(location, data=data[:1000], headers={"Content-Range": "0-999"})
        assert r.status == 202 and r.headers["Range"] == "0-999"
        r = await client.put(location, params={"digest": _digest(data)}, data=data[1000:])
        assert r.status == 201, await r.text()

        r = await client.get(f"/v2/mem/app/blobs/{_digest(data)}")
        assert r.status == 200 and await r.read() == data
        assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
        r = await client.get(f"/v2/mem/app/blobs/{_digest(data)}", headers={"Range": "bytes=100-199"})
        assert r.status == 206 and await r.read() == data[100:200]
        assert r.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        r = await client.head(f"/v2/mem/app/blobs/{_digest(data)}")
        assert r.status == 200 and r.headers["Content-Length"] == str(len(data))
        r = await client.get(f"/v2/mem/app/blobs/{_digest(data)}", headers={"Range": "bytes=999999-"})
        assert r.status == 416
        r = await client.get("/v2/_catalog")
        assert (await r.json()) == {"repositories": ["mem/app"]}
    assert not any(tmp_path.iterdir())  # nothing touched the disk


def test_app_over_memory_driver(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))
