"""Pruning and disk usage: ``POST /containers/prune``, image pruning for ``/images/prune``,
``GET /system/df``, and placeholder ``/volumes/prune``, ``/networks/prune``, ``/build/prune``.

Semantics follow moby 20.10 (daemon/prune.go, daemon/images/image_prune.go,
daemon/disk_usage.go):

- filters ``until`` (a timestamp or a Go duration before now), ``label`` (every one must
  match) and ``label!`` (a container goes only when *not all* of them match); any other key
  is ``Invalid filter 'x'``; images also take ``dangling`` (true/1 or false/0);
- container prune removes every container that does not run; ``SpaceReclaimed`` is the
  size of their writable layers; image prune deletes like ``rmi`` of each reference
  (so images a container uses stay) and counts the bytes of the layers removed;
- each prune emits a ``prune`` event of its type with ``reclaimed``, Actor ID empty.

The placeholders answer what a Docker with nothing to prune answers; they are registered
only while no ``volumes``/``networks``/``build`` handler module exists.
"""

from __future__ import annotations

import importlib.util
import os
import time
from typing import TYPE_CHECKING, Any

from dockyard.api.http import JSONResponse, Request
from dockyard.api.router import Router
from dockyard.errors import DockyardError, InvalidArgument, NotFound

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine
    from dockyard.runtime.manager import Container

__all__ = ["register", "prune_images", "match_labels", "prune_until", "container_sizes"]

_CONTAINER_FILTERS = frozenset({"label", "label!", "until"})
_IMAGE_FILTERS = frozenset({"dangling", "label", "label!", "until"})
_DF_TYPES = ("container", "image", "volume", "build-cache")


def _validate(filters: dict[str, list[str]], accepted: frozenset[str]) -> None:
    for key in filters:
        if key not in accepted:
            raise InvalidArgument(f"Invalid filter '{key}'")


def _match_kv(wanted: list[str], labels: dict[str, str]) -> bool:
    """moby's ``MatchKVList``: no filter matches all; otherwise every ``k`` / ``k=v`` holds."""
    if not wanted:
        return True
    if not labels:
        return False
    for w in wanted:
        k, sep, v = w.partition("=")
        if k not in labels or (sep and labels[k] != v):
            return False
    return True


def match_labels(filters: dict[str, list[str]], labels: dict[str, str]) -> bool:
    if not _match_kv(filters.get("label", []), labels):
        return False
    neg = filters.get("label!", [])
    return not (neg and _match_kv(neg, labels))


def prune_until(filters: dict[str, list[str]]) -> float | None:
    """The ``until`` filter as unix seconds: a timestamp, a date, or a duration before now."""
    values = filters.get("until") or []
    if not values:
        return None
    if len(values) > 1:
        raise InvalidArgument("more than one until filter specified")
    from dockyard.cli.units import parse_timestamp
    try:
        return parse_timestamp(values[0], time.time())
    except Exception as exc:  # the parser's own error kind lives with the CLI
        raise InvalidArgument(str(exc) or f"invalid until filter: {values[0]}") from exc


def _tree_size(path: str) -> int:
    total = 0
    for root, dirs, files in os.walk(path):
        for n in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            try:
                total += os.lstat(os.path.join(root, n)).st_size
            except OSError:
                pass
    return total


def container_sizes(engine: Engine, c: Container) -> tuple[int, int]:
    """(SizeRw, SizeRootFs): the writable layer's bytes, plus the image's."""
    upper = (c.rec.get("_dy") or {}).get("upper") or os.path.join(c.dir, "diff")
    rw = _tree_size(upper)
    try:
        base = engine.images.get(c.rec["Image"]).size
    except NotFound:
        base = 0
    return rw, rw + base


def _created(c: Container) -> float:
    from dockyard.oci.image import parse_rfc3339
    return parse_rfc3339(c.rec.get("Created") or "")


def _image_name(engine: Engine, rec: dict[str, Any]) -> str:
    from dockyard.api.handlers.containers import summary_image_name
    return summary_image_name(engine, rec)


def _chain_sizes(engine: Engine) -> dict[str, int]:
    """Every layer (by chain id) an image references, with its size."""
    from dockyard.store.snapshots import chain_ids
    sizes: dict[str, int] = {}
    for rec in engine.images.list():
        try:
            chains = chain_ids(engine.images.config(rec.id)["rootfs"]["diff_ids"])
        except (DockyardError, KeyError, OSError):
            continue
        for chain in chains:
            snap = engine.snapshots.get(chain)
            sizes[chain] = snap.size if snap is not None else 0
    return sizes


def _image_chains(engine: Engine, image_id: str) -> list[str]:
    from dockyard.store.snapshots import chain_ids
    try:
        return chain_ids(engine.images.config(image_id)["rootfs"]["diff_ids"])
    except (DockyardError, KeyError, OSError):
        return []


def prune_images(engine: Engine, filters: dict[str, list[str]]) -> tuple[list[dict[str, str]], int]:
    """moby's ImagesPrune: ``(ImagesDeleted, SpaceReclaimed)``; emits untag/delete events."""
    from dockyard.api.handlers.images import emit_removal_events
    _validate(filters, _IMAGE_FILTERS)
    dangling_only = True
    values = filters.get("dangling") or []
    if values:
        if any(v.lower() in ("false", "0") for v in values):
            dangling_only = False
        elif not any(v.lower() in ("true", "1") for v in values):
            raise InvalidArgument(f"Invalid filter 'dangling=[{' '.join(values)}]'")
    until = prune_until(filters)
    images = engine.images
    users = engine.containers.users_of_image
    sizes = _chain_sizes(engine)
    records = images.list()
    parents = {r.parent for r in records if r.parent}
    deleted: list[dict[str, str]] = []
    for rec in records:
        refs = rec.tags + rec.digests
        if rec.id in parents and (dangling_only or not refs):
            continue   # only heads when dangling; never an untagged parent of another image
        if until is not None and rec.created > until:
            continue
        if not match_labels(filters, rec.labels):
            continue
        removed: list[dict[str, str]] = []
        if refs:
            if dangling_only and rec.tags:
                continue
            for ref in refs:
                try:
                    removed += images.delete(ref, force=False, prune=True, users=users)
                except DockyardError:
                    continue   # in use by a container: kept, as moby's imageDeleteFailed
        else:
            try:
                removed = images.delete(rec.id, force=False, prune=True, users=users)
            except DockyardError:
                continue
        emit_removal_events(engine, rec.id, rec.labels, removed)
        deleted += removed
    reclaimed = sum(sizes.get(d.get("Deleted", ""), 0) for d in deleted)
    return deleted, reclaimed


def _prune_event(engine: Engine, type_: str, reclaimed: int) -> None:
    engine.events.emit(type_, "prune", "", {"reclaimed": str(reclaimed)})


def register(router: Router, engine: Engine) -> None:
    mgr = engine.containers

    async def containers_prune(req: Request) -> JSONResponse:
        filters = req.qfilters()
        _validate(filters, _CONTAINER_FILTERS)
        until = prune_until(filters)
        deleted: list[str] = []
        reclaimed = 0
        for c in list(mgr.containers.values()):
            if c.running or c.state.get("Status") == "removing":
                continue
            if until is not None and _created(c) > until:
                continue
            if not match_labels(filters, c.rec["Config"].get("Labels") or {}):
                continue
            size = container_sizes(engine, c)[0]
            try:
                await mgr.remove(c.id)
            except DockyardError:
                continue
            reclaimed += size
            deleted.append(c.id)
        _prune_event(engine, "container", reclaimed)
        return JSONResponse({"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed})

    async def system_df(req: Request) -> JSONResponse:
        wanted = set(_DF_TYPES)
        if req.version_at_least("1.42") and req.q_all("type"):
            wanted = set()
            for t in req.q_all("type"):
                if t not in _DF_TYPES:
                    raise InvalidArgument(f"unknown object type: {t}")
                wanted.add(t)
        out: dict[str, Any] = {"LayersSize": 0, "Images": None, "Containers": None,
                               "Volumes": None, "BuildCache": None}
        if "image" in wanted:
            out["LayersSize"], out["Images"] = _df_images(engine)
        if "container" in wanted:
            out["Containers"] = _df_containers(engine)
        if "volume" in wanted:
            # The volume subsystem, when there is one, says what its volumes hold.
            vols = getattr(engine, "volumes", None)
            out["Volumes"] = vols.df() if hasattr(vols, "df") else []
        if "build-cache" in wanted:
            out["BuildCache"] = []
        return JSONResponse(out)

    router.add("POST", "/containers/prune", containers_prune, min_version="1.25")
    router.add("GET", "/system/df", system_df, min_version="1.25")
    _register_placeholders(router, engine)


def _df_images(engine: Engine) -> tuple[int, list[dict[str, Any]]]:
    """Top images with ``Containers`` counts and ``SharedSize``; the bytes of all their layers."""
    from dockyard.api.handlers.images import image_summary
    records = engine.images.list()
    parents = {r.parent for r in records if r.parent}
    top = [r for r in records if r.tags or r.digests or r.id not in parents]
    sizes = _chain_sizes(engine)
    chains = {r.id: _image_chains(engine, r.id) for r in top}
    refs: dict[str, int] = {}
    for cs in chains.values():
        for ch in set(cs):
            refs[ch] = refs.get(ch, 0) + 1
    out = []
    for rec in top:
        users = engine.containers.users_of_image(rec.id)
        item = image_summary(engine, rec, len(users))
        item["Containers"] = len(users)
        item["SharedSize"] = sum(sizes.get(ch, 0) for ch in chains[rec.id] if refs[ch] > 1)
        out.append(item)
    return sum(sizes.values()), out


def _df_containers(engine: Engine) -> list[dict[str, Any]]:
    from dockyard.runtime import record
    out = []
    for c in sorted(engine.containers.containers.values(), key=_created, reverse=True):
        item = record.summary(c.rec, _image_name(engine, c.rec))
        rw, rootfs = container_sizes(engine, c)
        if rw:
            item["SizeRw"] = rw
        if rootfs:
            item["SizeRootFs"] = rootfs
        out.append(item)
    return out


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"dockyard.api.handlers.{name}") is not None
    except (ImportError, ValueError):
        return False


def _register_placeholders(router: Router, engine: Engine) -> None:
    """Prunes of subsystems not written yet, answered as a Docker with nothing to prune."""

    async def volumes_prune(req: Request) -> JSONResponse:
        req.qfilters()
        _prune_event(engine, "volume", 0)
        return JSONResponse({"VolumesDeleted": [], "SpaceReclaimed": 0})

    async def networks_prune(req: Request) -> JSONResponse:
        req.qfilters()
        _prune_event(engine, "network", 0)
        return JSONResponse({"NetworksDeleted": None})

    async def build_prune(req: Request) -> JSONResponse:
        req.qfilters()
        _prune_event(engine, "builder", 0)
        return JSONResponse({"CachesDeleted": None, "SpaceReclaimed": 0})

    for module, path, handler, since in (("volumes", "/volumes/prune", volumes_prune, "1.25"),
                                         ("networks", "/networks/prune", networks_prune, "1.25"),
                                         ("build", "/build/prune", build_prune, "1.31")):
        if not _module_exists(module):
            router.add("POST", path, handler, min_version=since)
