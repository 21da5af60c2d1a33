"""Docker's JSON progress messages for pull and push, as the docker CLI renders them.

A pull, as moby writes it (one JSON object per line)::

    {"status":"Pulling from library/busybox","id":"latest"}
    {"status":"Pulling fs layer","progressDetail":{},"id":"3f4d90098f5b"}
    {"status":"Already exists","progressDetail":{},"id":"5e8117c0bd28"}
    {"status":"Downloading","progressDetail":{"current":32768,"total":2152262},"progress":"[>  ] …","id":"3f4d90098f5b"}
    {"status":"Verifying Checksum","progressDetail":{},"id":"3f4d90098f5b"}
    {"status":"Download complete","progressDetail":{},"id":"3f4d90098f5b"}
    {"status":"Extracting","progressDetail":{"current":…,"total":…},"id":"3f4d90098f5b"}
    {"status":"Pull complete","progressDetail":{},"id":"3f4d90098f5b"}
    {"status":"Digest: sha256:…"}
    {"status":"Status: Downloaded newer image for busybox:latest"}    (or "Image is up to date for …")

A push::

    {"status":"The push refers to repository [127.0.0.1:5000/x]"}
    {"status":"Preparing","progressDetail":{},"id":"0b16ab2571f4"}
    {"status":"Pushing","progressDetail":{"current":…,"total":…},"id":"0b16ab2571f4"}
    {"status":"Pushed","progressDetail":{},"id":"0b16ab2571f4"}     (or "Layer already exists",
                                                                    "Mounted from other/repo")
    {"status":"1: digest: sha256:… size: 527"}
    {"progressDetail":{},"aux":{"Tag":"1","Digest":"sha256:…","Size":527}}

Failures are ``{"errorDetail":{"message":…},"error":…}``. Pull ids are the blob digest's
first 12 hex digits, push ids the layer's diff_id's (as moby).

:class:`Progress` is the sink the pull and push code write to: it queues lines for the
API response and rate-limits byte counters (every 100 ms per id, and always the last).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from dockyard.api.stream import json_error, json_message, progress_bar

__all__ = ["Progress", "short"]

_INTERVAL = 0.1


def short(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]


class Progress:
    """A queue of jsonmessage lines; :meth:`lines` drains it until :meth:`close`."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._last: dict[str, float] = {}
        self.sent = 0
        self.messages: list[dict[str, Any]] = []  # kept for callers that want them (tests, CLI)

    def _put(self, line: bytes, record: dict[str, Any]) -> None:
        self.sent += 1
        self.messages.append(record)
        self._queue.put_nowait(line)

    def status(self, status: str, id: str | None = None, *,  # noqa: A002 - Docker's field
               detail: bool = True) -> None:
        """A status line; a layer's (with ``id``) carries an empty ``progressDetail`` as moby's.

        "Pulling from" has an id (the tag) but no detail: ``detail=False``.
        """
        rec: dict[str, Any] = {"status": status}
        if id is not None:
            rec.update(progressDetail={}, id=id) if detail else rec.update(id=id)
        self._put(json_message(**rec), rec)

    def bytes(self, id: str, status: str, current: int, total: int | None,  # noqa: A002
              *, force: bool = False) -> None:
        """A byte counter ("Downloading", "Extracting", "Pushing"), at most every 100 ms."""
        now = time.monotonic()
        if not force and now - self._last.get(id, 0.0) < _INTERVAL and (
                total is None or current < total):
            return
        self._last[id] = now
        detail: dict[str, int] = {"current": current}
        if total:
            detail["total"] = total
        rec = {"status": status, "progressDetail": detail,
               "progress": progress_bar(current, total), "id": id}
        self._put(json_message(**rec), rec)

    def aux(self, aux: dict[str, Any]) -> None:
        rec = {"progressDetail": {}, "aux": aux}
        self._put(json_message(**rec), rec)

    def error(self, message: str) -> None:
        rec = {"errorDetail": {"message": message}, "error": message}
        self._put(json_error(message), rec)

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def get(self) -> bytes | None:
        """The next line, or None once closed."""
        return await self._queue.get()

    def pending(self) -> bool:
        return not self._queue.empty()
