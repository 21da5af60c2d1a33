"""Push: a local image's layer blobs, config and a manifest built for it, as ``docker push`` does.

What is pushed comes from the store, never re-derived when it need not be:

- the *config* is the blob in the content store whose digest is the image ID;
- each *layer* is the compressed blob ``ImageService.add_layer`` kept (the snapshot's
  ``blob``). A layer without one (made by a path that only unpacked) is written again
  from its snapshot directory by ``diff.write_layer`` — deterministic tar, gzip without
  a timestamp — committed to the content store and recorded, so later pushes reuse it;
- the *manifest* is Docker schema2 when every layer is a Docker media type, OCI otherwise
  (zstd layers have no Docker media type).

Per blob (up to 5 at a time): ``HEAD`` in the target repository → "Layer already exists";
else a cross-repository *mount* from a repository of the same registry this blob is
known to be in (remembered by pulls and pushes) → "Mounted from …"; else an upload:
``POST`` a session, ``PATCH`` the bytes, ``PUT ?digest=``. A ``PATCH`` cut short asks the
session how much arrived (``GET`` → ``Range: 0-<last>``) and resumes from there.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from dockyard import reference
from dockyard.errors import DockyardError, InvalidArgument, NotFound, Unavailable
from dockyard.oci import image as oci
from dockyard.registry.client.auth import Credentials
from dockyard.registry.client.progress import Progress, short
from dockyard.registry.client.pull import known_sources, registry_host, remember_source
from dockyard.registry.client.transport import Transport, registry_error
from dockyard.store.snapshots import chain_ids

if TYPE_CHECKING:
    from dockyard.image.service import ImageService

__all__ = ["push", "PushResult", "build_manifest", "local_tags"]

MAX_UPLOADS = 5
_CHUNK = 1 << 20
_ATTEMPTS = 5
_TO_OCI = {oci.MEDIA_DOCKER_LAYER_GZIP: oci.MEDIA_OCI_LAYER_GZIP,
           oci.MEDIA_DOCKER_LAYER: oci.MEDIA_OCI_LAYER}
_DOCKER_LAYERS = (oci.MEDIA_DOCKER_LAYER_GZIP, oci.MEDIA_DOCKER_LAYER)


class PushResult:
    def __init__(self, tag: str, digest: str, size: int) -> None:
        self.tag, self.digest, self.size = tag, digest, size


def local_tags(images: ImageService, repo: reference.Reference, tag: str | None) -> list[tuple[str, str]]:
    """``(tag, image id)`` to push: the one tag asked for, or every tag of the repository."""
    if tag:
        image_id = images.resolve_id(str(repo.with_tag(tag)))
        if image_id is None:
            raise NotFound(f"An image does not exist locally with the tag: "
                           f"{repo.familiar_repository()}")
        return [(tag, image_id)]
    rows = images.meta.query("SELECT name, image_id FROM tags WHERE name LIKE ?",
                             (repo.repository + ":%",))
    out = sorted((r["name"][len(repo.repository) + 1:], r["image_id"]) for r in rows
                 if "/" not in r["name"][len(repo.repository) + 1:])
    if not out:
        raise NotFound(f"An image does not exist locally with the tag: {repo.familiar_repository()}")
    return out


def build_manifest(config_digest: str, config_size: int,
                   layers: list[tuple[str, int, str]]) -> tuple[bytes, str]:
    """``(bytes, media type)``: schema2 if every layer has a Docker media type, else OCI."""
    if all(mt in _DOCKER_LAYERS for _, _, mt in layers):
        doc = oci.manifest(config_digest, config_size, layers)
        return json.dumps(doc, indent=3).encode(), oci.MEDIA_DOCKER_MANIFEST
    doc = {
        "schemaVersion": 2,
        "mediaType": oci.MEDIA_OCI_MANIFEST,
        "config": {"mediaType": oci.MEDIA_OCI_CONFIG, "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": _TO_OCI.get(mt, mt), "digest": d, "size": size}
                   for d, size, mt in layers],
    }
    return json.dumps(doc, indent=3).encode(), oci.MEDIA_OCI_MANIFEST


def _ensure_blob(images: ImageService, chain: str) -> tuple[str, int, str]:
    """The layer's compressed blob, regenerated from its snapshot if the store lacks it."""
    snap = images.snapshots.get(chain)
    if snap is None:
        raise NotFound(f"layer {chain} is missing")
    if snap.blob and images.content.exists(snap.blob):
        return snap.blob, images.content.size(snap.blob), snap.media_type or oci.MEDIA_DOCKER_LAYER_GZIP
    from dockyard.image.diff import write_layer

    writer = images.content.writer()
    try:
        written = write_layer(images.snapshots.path(snap), writer, compression="gzip")  # type: ignore[arg-type]
        if written.diff_id != snap.diff_id:
            raise InvalidArgument(f"layer {snap.diff_id} rewritten from its snapshot has diff_id "
                                  f"{written.diff_id}: cannot push it")
        blob = writer.commit(written.digest)
    except BaseException:
        writer.abort()
        raise
    images.snapshots.set_blob(chain, blob, oci.MEDIA_DOCKER_LAYER_GZIP)
    return blob, written.size, oci.MEDIA_DOCKER_LAYER_GZIP


def _with_query(location: str, **params: str) -> str:
    parts = urlsplit(location)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class _Uploader:
    """Blob uploads into one repository over one transport."""

    def __init__(self, t: Transport, images: ImageService, repo: reference.Reference,
                 progress: Progress) -> None:
        self.t, self.images, self.repo, self.progress = t, images, repo, progress
        self.path = repo.path

    async def push_blob(self, digest: str, size: int, lid: str | None) -> None:
        """Make ``digest`` present in the repository, reporting under ``lid`` when given."""
        if await self.t.blob_exists(self.path, digest):
            if lid:
                self.progress.status("Layer already exists", id=lid)
            remember_source(self.images, digest, self.repo.repository)
            return
        location = None
        for source in self._mount_sources(digest):
            src_path = source.split("/", 1)[1]
            await self.t.add_scopes([f"repository:{src_path}:pull"])
            resp = await self.t.request("POST", f"/v2/{self.path}/blobs/uploads/",
                                        params={"mount": digest, "from": src_path}, retry=True)
            async with resp:
                await resp.read()
                if resp.status == 201:
                    if lid:
                        self.progress.status(f"Mounted from {src_path}", id=lid)
                    remember_source(self.images, digest, self.repo.repository)
                    return
                if resp.status == 202:
                    location = resp.headers.get("Location")
                    break
        await self._upload(digest, size, lid, location)
        if lid:
            self.progress.status("Pushed", id=lid)
        remember_source(self.images, digest, self.repo.repository)

    def _mount_sources(self, digest: str) -> list[str]:
        host = self.repo.domain
        return [s for s in known_sources(self.images, digest)
                if s.split("/", 1)[0] == host and s != self.repo.repository][:3]

    async def _start(self) -> str:
        resp = await self.t.request("POST", f"/v2/{self.path}/blobs/uploads/", retry=True)
        await self.t.check(resp, (202,), "blob upload")
        return self._location(resp)

    def _location(self, resp: Any) -> str:
        loc = resp.headers.get("Location")
        if not loc:
            raise DockyardError("registry sent no upload Location")
        return loc if "://" in loc else self.t.url(loc)

    async def _upload(self, digest: str, size: int, lid: str | None, location: str | None) -> None:
        location = self.t.url(location) if location else await self._start()
        offset = 0
        failures = 0
        while True:
            try:
                location = await self._patch(location, digest, offset, size, lid)
                break
            except Unavailable:
                failures += 1
                if failures >= _ATTEMPTS:
                    raise
                await asyncio.sleep(min(0.25 * 2 ** failures, 4))
                offset, location = await self._resume_point(location)
        resp = await self.t.request("PUT", _with_query(location, digest=digest), retry=True,
                                    headers={"Content-Length": "0"})
        await self.t.check(resp, (201, 204), f"blob upload {digest}")

    async def _resume_point(self, location: str) -> tuple[int, str]:
        """How much of the session arrived; a lost session starts over."""
        resp = await self.t.request("GET", location)
        async with resp:
            await resp.read()
            if resp.status in (200, 204):
                # "0-<last byte>"; "0-0" is ambiguous (nothing or one byte): start over.
                rng = resp.headers.get("Range", "0-0").removeprefix("bytes=")
                last = int(rng.rsplit("-", 1)[-1] or 0)
                if last > 0:
                    return last + 1, (self._location(resp) if resp.headers.get("Location")
                                      else location)
        return 0, await self._start()

    async def _patch(self, location: str, digest: str, offset: int, size: int,
                     lid: str | None) -> str:
        blob_path = str(self.images.content.path(digest))
        progress = self.progress

        def body() -> AsyncIterator[bytes]:
            async def gen() -> AsyncIterator[bytes]:
                sent = offset
                with open(blob_path, "rb") as f:
                    f.seek(offset)
                    while True:
                        data = await asyncio.to_thread(f.read, _CHUNK)
                        if not data:
                            break
                        sent += len(data)
                        yield data
                        if lid:
                            progress.bytes(lid, "Pushing", sent, size)
            return gen()

        headers = {"Content-Type": "application/octet-stream",
                   "Content-Length": str(size - offset)}
        if offset:
            headers["Content-Range"] = f"{offset}-{size - 1}"
        if size - offset == 0:
            return location
        resp = await self.t.request("PATCH", location, headers=headers, body=body, retry=False)
        await self.t.check(resp, (202, 204), f"blob upload {digest}")
        return self._location(resp) if resp.headers.get("Location") else location


async def push(images: ImageService, name: str, tag: str | None, progress: Progress, *,
               creds: Credentials | None = None,
               insecure_registries: Sequence[str] = ()) -> list[PushResult]:
    """Push ``name`` (a repository; with ``tag``, or every local tag of it)."""
    repo = reference.parse(name, default_tag=False)
    if repo.digest:
        raise InvalidArgument("cannot push a digest reference")
    if repo.tag and not tag:
        tag = repo.tag
    repo = reference.Reference(repo.domain, repo.path)
    progress.status(f"The push refers to repository [{repo.repository}]")
    todo = local_tags(images, repo, tag)
    results: list[PushResult] = []
    async with Transport(registry_host(repo), creds, scopes=[f"repository:{repo.path}:pull,push"],
                         insecure_registries=list(insecure_registries)) as t:
        up = _Uploader(t, images, repo, progress)
        for tag_, image_id in todo:
            results.append(await _push_image(images, up, repo, tag_, image_id, progress))
    return results


async def _push_image(images: ImageService, up: _Uploader, repo: reference.Reference, tag: str,
                      image_id: str, progress: Progress) -> PushResult:
    config = images.config(image_id)
    chains = chain_ids(config["rootfs"]["diff_ids"])
    blobs = [await asyncio.to_thread(_ensure_blob, images, c) for c in chains]
    diff_ids = list(config["rootfs"]["diff_ids"])
    order = list(reversed(range(len(chains))))  # moby lists the top layer first
    for i in order:
        progress.status("Preparing", id=short(diff_ids[i]))
    sem = asyncio.Semaphore(MAX_UPLOADS)

    async def one(i: int) -> None:
        lid = short(diff_ids[i])
        if sem.locked():
            progress.status("Waiting", id=lid)
        async with sem:
            await up.push_blob(blobs[i][0], blobs[i][1], lid)

    tasks = [asyncio.create_task(one(i)) for i in order]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    cfg_size = images.content.size(image_id)
    await up.push_blob(image_id, cfg_size, None)
    body, media = build_manifest(image_id, cfg_size, blobs)
    resp = await up.t.request("PUT", f"/v2/{repo.path}/manifests/{tag}", retry=True,
                              headers={"Content-Type": media}, body=lambda: body)
    async with resp:
        data = await resp.read()
        if resp.status not in (200, 201):
            raise registry_error(resp.status, data)
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    images.add_digest_ref(image_id, repo.repository, digest)
    progress.status(f"{tag}: digest: {digest} size: {len(body)}")
    progress.aux({"Tag": tag, "Digest": digest, "Size": len(body)})
    return PushResult(tag, digest, len(body))
