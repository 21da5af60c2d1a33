"""Image endpoints: list, inspect, delete, tag, history, create (import / pull), prune,
and dockyard's own ``/dockyard/images/bootstrap``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from typing import TYPE_CHECKING, Any, AsyncIterator

from dockyard import reference
from dockyard.api.http import JSONResponse, Request, StreamResponse
from dockyard.api.router import Router
from dockyard.errors import DockyardError, InvalidArgument, NotFound
from dockyard.image.service import ImageRecord
from dockyard.oci.image import parse_rfc3339

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine

log = logging.getLogger("dockyard.api")

__all__ = ["register", "image_inspect", "spool_body", "image_event", "emit_removal_events"]


def image_inspect(engine: Engine, rec: ImageRecord) -> dict[str, Any]:
    cfg = engine.images.config(rec.id)
    container_cfg = cfg.get("config") or {}
    chain = engine.images.top_chain(rec.id)
    lowers = engine.snapshots.lowerdirs(chain) if chain else []
    return {
        "Id": rec.id,
        "RepoTags": rec.repo_tags(),
        "RepoDigests": rec.repo_digests(),
        "Parent": rec.parent or "",
        # moby: an image without a comment of its own shows its last history entry's
        "Comment": cfg.get("comment") or ((cfg.get("history") or [{}])[-1].get("comment") or ""),
        "Created": cfg.get("created", ""),
        "Container": cfg.get("container", ""),
        "ContainerConfig": cfg.get("container_config") or _empty_cfg(),
        "DockerVersion": cfg.get("docker_version", ""),
        "Author": cfg.get("author", ""),
        "Config": container_cfg,
        "Architecture": cfg.get("architecture", ""),
        "Variant": cfg.get("variant"),
        "Os": cfg.get("os", "linux"),
        "Size": rec.size,
        "VirtualSize": rec.size,
        "GraphDriver": {"Name": "overlay2", "Data": {
            "MergedDir": "", "UpperDir": lowers[0] if lowers else "",
            "LowerDir": ":".join(lowers[1:]), "WorkDir": ""}},
        "RootFS": {"Type": "layers", "Layers": list(cfg.get("rootfs", {}).get("diff_ids", []))},
        "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
    }


def _empty_cfg() -> dict[str, Any]:
    from dockyard.oci.image import empty_container_config
    return empty_container_config()


def image_summary(engine: Engine, rec: ImageRecord, users: int) -> dict[str, Any]:
    tags = rec.repo_tags()
    digests = rec.repo_digests()
    return {
        "Id": rec.id,
        "ParentId": rec.parent or "",
        "RepoTags": tags or ["<none>:<none>"] if not digests else tags,
        "RepoDigests": digests or (["<none>@<none>"] if not tags else []),
        "Created": int(rec.created),
        "Size": rec.size,
        "SharedSize": -1,
        "VirtualSize": rec.size,
        "Labels": rec.labels or None,
        "Containers": users,
    }


async def spool_body(req: Request, tmp_dir: str) -> str:
    """Write a (possibly huge) request body to a temp file; the caller removes it."""
    fd, path = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            async for chunk in req.iter_body():
                f.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _progress(status: str, **extra: Any) -> bytes:
    msg: dict[str, Any] = {"status": status}
    msg.update(extra)
    return (json.dumps(msg) + "\r\n").encode()


def _error(message: str) -> bytes:
    return (json.dumps({"errorDetail": {"message": message}, "error": message}) + "\r\n").encode()


def _image_filters(engine: Engine, filters: dict[str, list[str]]) -> Any:
    allowed = {"dangling", "label", "before", "since", "reference", "until"}
    for k in filters:
        if k not in allowed:
            raise InvalidArgument(f"Invalid filter '{k}'")
    before = since = None
    if filters.get("before"):
        before = engine.images.resolve(filters["before"][0]).created
    if filters.get("since"):
        since = engine.images.resolve(filters["since"][0]).created

    def match(rec: ImageRecord) -> bool:
        if filters.get("dangling"):
            want = filters["dangling"][0].lower() in ("1", "true")
            if want != (not rec.tags):
                return False
        for lab in filters.get("label", []):
            k, sep, v = lab.partition("=")
            if k not in rec.labels or (sep and rec.labels[k] != v):
                return False
        if before is not None and rec.created >= before:
            return False
        if since is not None and rec.created <= since:
            return False
        if filters.get("reference"):
            import fnmatch
            names = rec.repo_tags()
            ok = False
            for pattern in filters["reference"]:
                for n in names:
                    repo = n.rsplit(":", 1)[0]
                    if fnmatch.fnmatchcase(n, pattern) or fnmatch.fnmatchcase(repo, pattern):
                        ok = True
            if not ok:
                return False
        return True

    return match


def image_event(engine: Engine, action: str, image_id: str, name: str,
                labels: dict[str, str] | None = None) -> None:
    """An image event as moby's LogImageEvent: the image's labels, then ``name``."""
    attrs = dict(labels or {})
    attrs["name"] = name
    engine.events.emit("image", action, image_id, attrs)


def _labels(engine: Engine, image_id: str) -> dict[str, str]:
    try:
        return engine.images.get(image_id).labels
    except DockyardError:
        return {}


def emit_removal_events(engine: Engine, image_id: str, labels: dict[str, str],
                        items: list[dict[str, str]]) -> None:
    """``untag`` per removed name and ``delete`` once for the image, both naming its ID
    (as moby); the layers in ``Deleted`` entries get no event."""
    for item in items:
        if "Untagged" in item:
            image_event(engine, "untag", image_id, image_id, labels)
        elif item.get("Deleted") == image_id:
            image_event(engine, "delete", image_id, image_id)


def register(router: Router, engine: Engine) -> None:
    images = engine.images
    users = engine.containers.users_of_image

    async def list_(req: Request) -> JSONResponse:
        match = _image_filters(engine, req.qfilters())
        out = []
        records = images.list()
        parents = {r.parent for r in records if r.parent}
        dangling_only = any(v.lower() in ("1", "true") for v in req.qfilters().get("dangling", []))
        for rec in records:
            # untagged parents of other images (a build's intermediates) only with all=1,
            # and never as dangling (moby lists the heads of the image tree for that)
            if not rec.tags and not rec.digests and rec.id in parents and (
                    not req.qbool("all") or dangling_only):
                continue
            if match(rec):
                out.append(image_summary(engine, rec, len(users(rec.id))))
        return JSONResponse(out)

    async def inspect(req: Request) -> JSONResponse:
        rec = images.resolve(req.params["name"])
        return JSONResponse(image_inspect(engine, rec))

    async def history(req: Request) -> JSONResponse:
        rec = images.resolve(req.params["name"])
        cfg = images.config(rec.id)
        layers = images.layers(rec.id)
        out = []
        layer_i = 0
        hist = cfg.get("history") or []
        for i, h in enumerate(hist):
            size = 0
            if not h.get("empty_layer"):
                size = layers[layer_i].size if layer_i < len(layers) else 0
                layer_i += 1
            out.append({"Id": "<missing>", "Created": int(parse_rfc3339(h.get("created", ""))),
                        "CreatedBy": h.get("created_by", ""), "Tags": None, "Size": size,
                        "Comment": h.get("comment", "")})
        out.reverse()
        # As moby: the newest entry is the image, the next ones its parent chain, one
        # image per entry; the rest stay "<missing>".
        cur: ImageRecord | None = rec
        for item in out:
            if cur is None:
                break
            item["Id"] = cur.id
            item["Tags"] = cur.repo_tags() or None
            try:
                cur = images.get(cur.parent) if cur.parent else None
            except NotFound:
                cur = None
        return JSONResponse(out)

    async def delete(req: Request) -> JSONResponse:
        rec = images.resolve(req.params["name"])
        result = images.delete(req.params["name"], force=req.qbool("force"),
                               prune=not req.qbool("noprune"), users=users)
        emit_removal_events(engine, rec.id, rec.labels, result)
        return JSONResponse(result)

    async def tag(req: Request) -> JSONResponse:
        rec = images.resolve(req.params["name"])
        repo = req.q("repo") or ""
        tag_ = req.q("tag") or "latest"
        if not repo:
            raise InvalidArgument("repository name must have at least one component")
        ref = f"{repo}:{tag_}" if not (":" in repo.rsplit("/", 1)[-1]) else repo
        images.tag(rec.id, ref)
        image_event(engine, "tag", rec.id, reference.parse(ref).familiar(), rec.labels)
        return JSONResponse(None, status=201)

    async def create(req: Request) -> StreamResponse:
        src = req.q("fromSrc")
        if src is not None:
            return await _import(req, src)
        from_image = req.q("fromImage")
        if not from_image:
            raise InvalidArgument("either fromSrc or fromImage is required")
        pull = engine.extensions.get("pull")
        if pull is None:
            ref = reference.parse(from_image, default_tag=False)
            raise NotFound(
                f"pull access denied for {ref.familiar_repository()}, repository does not "
                f"exist or may require 'docker login'")
        return await pull(req)

    async def _import(req: Request, src: str) -> StreamResponse:
        repo = req.q("repo") or ""
        tag_ = req.q("tag") or ""
        ref = None
        if repo:
            ref = f"{repo}:{tag_}" if tag_ else repo
            reference.parse(ref)  # reject a bad name before reading the body
        changes = req.q_all("changes")
        message = req.q("message") or ""
        if src != "-":
            raise InvalidArgument("importing from a URL is not supported (no network); "
                                  "pipe the tarball instead: dockyard import - < rootfs.tar")
        path = await spool_body(req, engine.tmp)

        def run() -> str:
            from dockyard.image.importer import import_rootfs
            with open(path, "rb") as f:
                return import_rootfs(images, f, tag=ref, changes=changes, message=message)

        async def gen() -> AsyncIterator[bytes]:
            try:
                image_id = await asyncio.to_thread(run)
            except DockyardError as exc:
                yield _error(str(exc))
                return
            except Exception as exc:  # the stream has begun: report in it, never cut it short
                log.exception("import failed")
                yield _error(f"import failed: {exc}")
                return
            finally:
                os.unlink(path)
            labels = _labels(engine, image_id)
            if ref:
                image_event(engine, "tag", image_id, reference.parse(ref).familiar(), labels)
            image_event(engine, "import", image_id, image_id, labels)
            yield _progress(image_id)

        return StreamResponse(gen())

    async def prune(req: Request) -> JSONResponse:
        from dockyard.api.handlers.prune import prune_images
        deleted, reclaimed = prune_images(engine, req.qfilters())
        engine.events.emit("image", "prune", "", {"reclaimed": str(reclaimed)})
        return JSONResponse({"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed})

    async def bootstrap(req: Request) -> JSONResponse:
        name = req.q("name") or "busybox"
        if name != "busybox":
            raise InvalidArgument(f"no bootstrap recipe for {name!r} (available: busybox)")
        tag_ = req.q("tag") or "busybox:latest"
        from dockyard.image.bootstrap import bootstrap_busybox
        image_id = await asyncio.to_thread(bootstrap_busybox, images, engine.tmp, tag_)
        engine.events.emit("image", "import", image_id, {"name": tag_})
        return JSONResponse({"Id": image_id, "Tag": tag_})

    router.add("GET", "/images/json", list_)
    router.add("POST", "/images/create", create)
    router.add("POST", "/images/prune", prune, min_version="1.25")
    router.add("GET", "/images/{name:.*}/json", inspect)
    router.add("GET", "/images/{name:.*}/history", history)
    router.add("POST", "/images/{name:.*}/tag", tag)
    router.add("DELETE", "/images/{name:.*}", delete)
    router.add("POST", "/dockyard/images/bootstrap", bootstrap)
