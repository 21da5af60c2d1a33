"""The builder of one engine: where builds keep their files, their cache, and prune.

On-disk layout::

    <data_root>/builder/
      ctx-<random>/        an unpacked build context (one per running build)
      src-<random>/        a COPY's downloads and heredoc files while it runs
      mnt/<random>/        writable and read-only views of states (see layers.py)

Persistent state is in the metadata database: ``kv`` scope ``build.cache`` (the layer
cache) and ``build.carriers`` (the IDs of the short-lived images a RUN container is
created from, dropped when the RUN ends, or at the next start after a crash).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.build.builder import BuildOptions, Job
from dockyard.build.cache import BuildCache
from dockyard.build.context import BuildContext, unpack_context
from dockyard.build.layers import Layers
from dockyard.oci import image as oci
from dockyard.store.snapshots import chain_ids

if TYPE_CHECKING:
    from dockyard.build.state import StageState
    from dockyard.daemon.engine import Engine

__all__ = ["Builder"]

log = logging.getLogger("dockyard.build")
_CARRIERS = "build.carriers"


class Builder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.root = os.path.join(engine.config.data_root, "builder")
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        self.layers = Layers(self.root, engine.images, engine.snapshots)
        self.cache = BuildCache(engine.meta, engine.snapshots, engine.content.exists)
        self._carriers_lock = threading.Lock()  # the kv list is read-modified-written
        self._contexts = _ContextCache()
        #: COPY --from source checksums by (chain id, sources): layer chains never change
        self.chain_checksums: dict[tuple[object, ...], str] = {}
        self.layers.sweep()
        for name in os.listdir(self.root):
            if name.startswith(("ctx-", "src-")):
                shutil.rmtree(os.path.join(self.root, name), ignore_errors=True)
        stale = list(engine.meta.kv_get(_CARRIERS, "ids", []) or [])
        if stale:
            self._reap_task = asyncio.ensure_future(self._reap(stale))

    async def _reap(self, carriers: list[str]) -> None:
        """After a crash mid-RUN: remove the build containers of the dead build (the
        manager re-adopted them) and the carrier images they were created from."""
        for image_id in carriers:
            for cid, _running in self.engine.containers.users_of_image(image_id):
                try:
                    await self.engine.containers.remove(cid, force=True, volumes=True)
                except Exception:  # best effort: it may be gone already
                    log.warning("could not remove build container %s", cid[:12])
            await asyncio.to_thread(self.drop_carrier, image_id)

    # -- a build -----------------------------------------------------------------------
    async def build(self, body: BinaryIO, opts: BuildOptions,
                    emit: Callable[[bytes], None]) -> str:
        key = (await asyncio.to_thread(_digest, body), opts.dockerfile or "")
        ctx = self._contexts.take(key)
        if ctx is None:
            ctx_dir = tempfile.mkdtemp(prefix="ctx-", dir=self.root)
            try:
                ctx = await asyncio.to_thread(unpack_context, body, ctx_dir, opts.dockerfile)
            except BaseException:
                await asyncio.to_thread(shutil.rmtree, ctx_dir, True)
                raise
        try:
            return await Job(self, ctx, opts, emit).run()
        finally:
            dropped = self._contexts.give(key, ctx)
            for old in dropped:
                await asyncio.to_thread(shutil.rmtree, old.root, True)

    # -- carriers: the image a RUN container is created from ------------------------------
    def carrier(self, st: StageState) -> str:
        """An untagged image of ``st``'s layers (and volumes) for a RUN container."""
        cfg = oci.empty_container_config()
        cfg["Volumes"] = st.run.get("Volumes")
        config: dict[str, Any] = {
            "architecture": oci.arch(), "os": "linux", "created": oci.rfc3339(),
            "comment": f"dockyard build step {os.urandom(8).hex()}", "config": cfg,
            "rootfs": {"type": "layers", "diff_ids": st.diff_ids}, "history": []}
        with self._carriers_lock:
            image_id = self.engine.images.create(config)
            ids = list(self.engine.meta.kv_get(_CARRIERS, "ids", []) or [])
            self.engine.meta.kv_set(_CARRIERS, "ids", ids + [image_id])
        return image_id

    def drop_carrier(self, image_id: str) -> None:
        """Forget a carrier's row and config, never its layers (the state owns them)."""
        meta = self.engine.meta
        with meta.tx() as db:
            tagged = db.execute("SELECT 1 FROM tags WHERE image_id=?", (image_id,)).fetchone()
            row = db.execute("SELECT manifest FROM images WHERE id=?", (image_id,)).fetchone()
            if not tagged:
                db.execute("DELETE FROM images WHERE id=?", (image_id,))
        if not tagged and row is not None:
            self.engine.content.delete(image_id)
            if row["manifest"]:
                self.engine.content.delete(row["manifest"])
        with self._carriers_lock:
            ids = [i for i in (meta.kv_get(_CARRIERS, "ids", []) or []) if i != image_id]
            meta.kv_set(_CARRIERS, "ids", ids)

    # -- prune ------------------------------------------------------------------------------
    def prune(self) -> tuple[list[str], int]:
        """Forget every cache entry, then free the layers only the cache kept alive."""
        entries = self.cache.entries()
        self.cache.delete([e.key for e in entries])
        needed: set[str] = set()
        for rec in self.engine.images.list():
            try:
                cfg = self.engine.images.config(rec.id)
            except Exception:  # a half-deleted image: its layers are not ours to judge
                continue
            needed.update(chain_ids(cfg["rootfs"]["diff_ids"]))
        for c in self.engine.containers.containers.values():
            chain = c.rec.get("_dy", {}).get("chain")
            while chain:
                needed.add(chain)
                snap = self.engine.snapshots.get(chain)
                chain = snap.parent if snap else None
        cached: set[str] = set()
        for e in entries:
            cached.update(chain_ids((e.config.get("rootfs") or {}).get("diff_ids") or []))
        reclaimed = 0
        deleted: list[str] = []
        # top layers first: a snapshot goes only when nothing stacked on it stays
        parents = {s.parent for s in self.engine.snapshots.all() if s.chain_id in needed}
        for chain in sorted(cached - needed, key=lambda c: -self._depth(c)):
            if chain in parents:
                continue
            snap = self.engine.snapshots.get(chain)
            if snap is None:
                continue
            self.engine.snapshots.remove(chain)
            if snap.blob:
                self.engine.content.delete(snap.blob)
            reclaimed += snap.size
            deleted.append(chain)
        return [e.id for e in entries] or deleted, reclaimed

    def _depth(self, chain: str) -> int:
        n = 0
        while chain:
            snap = self.engine.snapshots.get(chain)
            if snap is None:
                break
            chain = snap.parent  # type: ignore[assignment]
            n += 1
        return n


def _digest(body: BinaryIO) -> str:
    """sha256 of the whole context as sent (the docker CLI's tar of an unchanged folder is
    the same bytes each time), leaving ``body`` at its start."""
    h = hashlib.sha256()
    body.seek(0)
    while chunk := body.read(1 << 20):
        h.update(chunk)
    body.seek(0)
    return h.hexdigest()


class _ContextCache:
    """The last few unpacked contexts, by the digest of their tar and the Dockerfile name.

    Why: unpacking a context safely (fd-relative, no escapes) is most of a fully cached
    rebuild; an identical context is unpacked once. A context is read-only to a build, and
    an entry is handed to one build at a time (``take`` removes it, ``give`` puts it back),
    so eviction never deletes a directory in use. Entries live under the builder root as
    ``ctx-*`` directories, which a daemon start sweeps.
    """

    def __init__(self, keep: int = 2) -> None:
        self.keep = keep
        self._entries: OrderedDict[tuple[str, str], BuildContext] = OrderedDict()

    def take(self, key: tuple[str, str]) -> BuildContext | None:
        return self._entries.pop(key, None)

    def give(self, key: tuple[str, str], ctx: BuildContext) -> list[BuildContext]:
        """Keep ``ctx``; returns the entries pushed out, for the caller to delete."""
        dropped: list[BuildContext] = []
        if key in self._entries:
            dropped.append(ctx)   # a concurrent build of the same context kept its copy
        else:
            self._entries[key] = ctx
        while len(self._entries) > self.keep:
            dropped.append(self._entries.popitem(last=False)[1])
        return dropped
