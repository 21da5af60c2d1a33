"""The layer cache: which state a build step produced from which parent state.

Vocabulary: a *state* is an image config (``config``, ``rootfs.diff_ids``, ``history``)
plus the chain id of its top layer; its *id* is the sha256 of the canonical config, i.e.
the image ID it would have. A step's *key* is, as in Docker's classic builder, the parent
state's id + the step's command line as the history records it (``/bin/sh -c echo hi``,
``|1 V=2 /bin/sh -c make``, ``/bin/sh -c #(nop) COPY file:<content sha256> in /app ``)
+ what the command line leaves out (COPY's --chown/--chmod). COPY/ADD put the checksum of
their sources' content in the command line, so a changed file misses and everything
before it still hits.

Storage: one row per key in the metadata ``kv`` table (scope ``build.cache``), written in
its own SQLite transaction, so the cache survives restarts and ``kill -9``. A hit is only
used when its layers are still snapshots (an ``rmi`` may have removed them). Layers the
cache alone keeps alive are freed by ``POST /build/prune``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from dockyard.store.metadata import Metadata
from dockyard.store.snapshots import Snapshotter, chain_ids

__all__ = ["CacheEntry", "BuildCache", "SCOPE", "cache_key"]

SCOPE = "build.cache"


def cache_key(parent_id: str, created_by: str, extra: str = "") -> str:
    raw = json.dumps([parent_id, created_by, extra], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class CacheEntry:
    key: str
    id: str
    config: dict[str, Any]
    chain: str | None
    created: float
    used: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "config": self.config, "chain": self.chain,
                "created": self.created, "used": self.used}


class BuildCache:
    def __init__(self, meta: Metadata, snapshots: Snapshotter,
                 blob_exists: Callable[[str], bool] = lambda _d: True) -> None:
        self.meta = meta
        self.snapshots = snapshots
        self.blob_exists = blob_exists

    def get(self, key: str) -> CacheEntry | None:
        raw = self.meta.kv_get(SCOPE, key)
        if not raw:
            return None
        entry = CacheEntry(key, raw["id"], raw["config"], raw.get("chain"),
                           raw.get("created", 0.0), raw.get("used", 0.0))
        if not self._layers_present(entry):
            self.meta.execute("DELETE FROM kv WHERE scope=? AND key=?", (SCOPE, key))
            return None
        entry.used = time.time()
        self.meta.kv_set(SCOPE, key, entry.to_json())
        return entry

    def put(self, key: str, state_id: str, config: dict[str, Any], chain: str | None) -> None:
        now = time.time()
        self.meta.kv_set(SCOPE, key, CacheEntry(key, state_id, config, chain, now, now).to_json())

    def entries(self) -> list[CacheEntry]:
        out = []
        for row in self.meta.query("SELECT key, value FROM kv WHERE scope=?", (SCOPE,)):
            raw = json.loads(row["value"])
            out.append(CacheEntry(row["key"], raw["id"], raw["config"], raw.get("chain"),
                                  raw.get("created", 0.0), raw.get("used", 0.0)))
        return out

    def delete(self, keys: list[str]) -> None:
        with self.meta.tx() as db:
            for k in keys:
                db.execute("DELETE FROM kv WHERE scope=? AND key=?", (SCOPE, k))

    def _layers_present(self, entry: CacheEntry) -> bool:
        # A snapshot whose blob is gone (another image's rmi deleted a blob two layers
        # shared) cannot make an image: re-running the step writes the blob again.
        diff_ids = ((entry.config.get("rootfs") or {}).get("diff_ids")) or []
        for c in chain_ids(diff_ids):
            snap = self.snapshots.get(c)
            if snap is None or (snap.blob and not self.blob_exists(snap.blob)):
                return False
        return True
