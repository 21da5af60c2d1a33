"""Events: what happened to containers, images, volumes and networks, as Docker reports it.

Publishers call ``emit``; each ``/events`` request subscribes a queue. A bounded ring of
recent events answers ``since`` without a store. The message shape is Docker's::

    {"status": "start", "id": "<id>", "from": "busybox", "Type": "container",
     "Action": "start", "Actor": {"ID": "<id>", "Attributes": {"name": "x", "image": "busybox"}},
     "scope": "local", "time": 1700000000, "timeNano": 1700000000123456789}
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

__all__ = ["Events"]


class Events:
    def __init__(self, keep: int = 1024) -> None:
        self._recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()

    def emit(self, type_: str, action: str, actor_id: str,
             attributes: dict[str, str] | None = None) -> dict[str, Any]:
        now = time.time_ns()
        msg: dict[str, Any] = {}
        if type_ in ("container", "image"):
            # Docker's deprecated fields come first, in its struct order (omitted when empty).
            msg["status"] = action
            if actor_id:
                msg["id"] = actor_id
            if type_ == "container" and attributes and attributes.get("image"):
                msg["from"] = attributes["image"]
        msg.update({
            "Type": type_, "Action": action,
            "Actor": {"ID": actor_id, "Attributes": dict(attributes or {})},
            "scope": "local", "time": now // 1_000_000_000, "timeNano": now,
        })
        self._recent.append(msg)
        for q in list(self._subscribers):
            try:
                q.put_nowait(msg)
            except asyncio.QueueFull:
                pass
        return msg

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10000)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(q)

    def recent(self, since_ns: int = 0, until_ns: int = 0) -> list[dict[str, Any]]:
        return [m for m in self._recent
                if m["timeNano"] >= since_ns and (not until_ns or m["timeNano"] <= until_ns)]

    @staticmethod
    def now_ns() -> int:
        return time.time_ns()
