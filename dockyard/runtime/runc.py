"""The runc command line, driven asynchronously (the daemon never blocks on it)."""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

from dockyard.errors import Conflict, NotFound, SystemError as DySystemError

__all__ = ["Runc"]


class Runc:
    def __init__(self, root: str, binary: str | None = None) -> None:
        self.root = root
        self.binary = binary or shutil.which("runc") or "/usr/bin/runc"

    async def _run(self, *args: str, check: bool = True) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            self.binary, "--root", self.root, *args,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        rc = proc.returncode or 0
        if check and rc != 0:
            msg = err.decode(errors="replace").strip()
            if "does not exist" in msg or "not exist" in msg:
                raise NotFound(msg)
            if "not running" in msg or "cannot" in msg:
                raise Conflict(msg)
            raise DySystemError(f"runc {args[0]} failed: {msg}")
        return rc, out.decode(errors="replace"), err.decode(errors="replace")

    async def start(self, cid: str) -> None:
        await self._run("start", cid)

    async def kill(self, cid: str, signal: int | str, all_procs: bool = False) -> None:
        args = ["kill"] + (["--all"] if all_procs else []) + [cid, str(signal)]
        await self._run(*args)

    async def delete(self, cid: str, force: bool = True) -> None:
        args = ["delete"] + (["--force"] if force else []) + [cid]
        await self._run(*args, check=False)

    async def state(self, cid: str) -> dict[str, Any] | None:
        rc, out, _ = await self._run("state", cid, check=False)
        if rc != 0:
            return None
        return json.loads(out)

    async def pause(self, cid: str) -> None:
        await self._run("pause", cid)

    async def resume(self, cid: str) -> None:
        await self._run("resume", cid)

    async def ps(self, cid: str) -> list[int]:
        _, out, _ = await self._run("ps", "--format", "json", cid)
        return json.loads(out or "[]") or []

    async def update(self, cid: str, resources: dict[str, Any]) -> None:
        import os
        import tempfile
        fd, path = tempfile.mkstemp(prefix="runc-update-")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(resources, f)
            await self._run("update", "--resources", path, cid)
        finally:
            os.unlink(path)
