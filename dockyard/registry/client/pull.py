"""Pull: registry manifest → verified blobs → snapshots → one image row, as ``docker pull`` does.

The order of a pull, and why nothing unverified is ever stored:

1. *resolve* the tag or digest to a manifest (``Accept``: OCI index/manifest, Docker
   list/schema2); an index picks the platform's manifest (``linux/<host arch>`` or the
   request's ``platform``). Manifests fetched by digest are hashed and compared.
2. fetch the *config* (verified): the image ID is its digest, its ``rootfs.diff_ids``
   give the chain ids, so layers already unpacked here are "Already exists".
3. *download* the missing layers, up to 3 at a time, each to a temp file while it is
   hashed; a blob whose bytes do not match its digest is deleted and the pull fails
   ("filesystem layer verification failed for digest …") before it reaches the store.
4. *extract* each verified layer (2 at a time; a snapshot is a directory of its own, so
   a layer need not wait for the one below): ``ImageService.add_layer`` keeps the blob in
   the content store and unpacks it, refusing a tar whose diff_id differs from the
   config's. A failed pull removes the snapshots it made that no image needs.
5. *create* the image row and tag it, then record the ``repo@digest`` (RepoDigests) —
   only after every layer is in place, so a failed pull leaves no image behind.

Blobs' source repositories are remembered (metadata ``kv``, scope ``distribution``) so a
later push to another repository of the same registry can mount instead of upload.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard import reference
from dockyard.errors import DockyardError, Forbidden, InvalidArgument, NotFound, Unauthorized
from dockyard.oci import image as oci
from dockyard.registry.client.auth import Credentials
from dockyard.registry.client.progress import Progress, short
from dockyard.registry.client.transport import Transport
from dockyard.store.snapshots import chain_ids

if TYPE_CHECKING:
    from dockyard.image.service import ImageService

__all__ = ["pull", "pull_all_tags", "PullResult", "ACCEPT", "registry_host", "parse_platform",
           "select_manifest", "remember_source", "known_sources", "inspect_remote"]

ACCEPT = [oci.MEDIA_OCI_INDEX, oci.MEDIA_DOCKER_LIST, oci.MEDIA_OCI_MANIFEST, oci.MEDIA_DOCKER_MANIFEST]
_INDEXES = (oci.MEDIA_OCI_INDEX, oci.MEDIA_DOCKER_LIST)
_LAYER_TYPES = {
    oci.MEDIA_DOCKER_LAYER_GZIP, oci.MEDIA_DOCKER_LAYER, oci.MEDIA_OCI_LAYER,
    oci.MEDIA_OCI_LAYER_GZIP, oci.MEDIA_OCI_LAYER_ZSTD,
}
MAX_DOWNLOADS = 3
MAX_EXTRACTS = 2
_REPORT_EVERY = 1 << 20
_KV_SCOPE = "distribution"


@dataclass
class PullResult:
    image_id: str
    digest: str           # of what the tag pointed at (an index digest for multi-arch)
    name: str             # familiar reference printed in "Status: …"
    up_to_date: bool


def registry_host(ref: reference.Reference) -> str:
    """The host to talk to: Docker Hub's name is not its API endpoint."""
    return "registry-1.docker.io" if ref.domain == reference.DEFAULT_DOMAIN else ref.domain


def parse_platform(value: str | None) -> tuple[str, str, str | None]:
    """``"linux/arm64/v8"`` → ``("linux", "arm64", "v8")``; empty means this host."""
    if not value:
        return "linux", oci.arch(), None
    parts = value.strip().lower().split("/")
    if len(parts) == 1:
        return "linux", parts[0], None  # "arm64" alone, as containerd's platforms.Parse
    if len(parts) > 3 or not all(parts):
        raise InvalidArgument(f'"{value}": unknown operating system or architecture: '
                              "invalid argument")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def select_manifest(index: dict[str, Any], platform: tuple[str, str, str | None]) -> dict[str, Any]:
    """The index entry for ``platform`` (os, architecture and, when asked, variant)."""
    want_os, want_arch, want_variant = platform
    candidates = []
    for entry in index.get("manifests") or []:
        p = entry.get("platform") or {}
        if p.get("os") != want_os or p.get("architecture") != want_arch:
            continue
        variant = p.get("variant")
        if want_variant and (variant or ("v8" if want_arch == "arm64" else None)) != want_variant:
            continue
        candidates.append(entry)
    if not candidates:
        want = "/".join(x for x in platform if x)
        raise NotFound(f"no matching manifest for {want} in the manifest list entries")
    return candidates[0]


def remember_source(images: ImageService, digest: str, repository: str) -> None:
    """Note that ``repository`` (``host/path``) holds blob ``digest`` (for mounts on push)."""
    known = images.meta.kv_get(_KV_SCOPE, digest, [])
    if repository in known:
        return
    known = ([repository] + known)[:8]
    images.meta.kv_set(_KV_SCOPE, digest, known)


def known_sources(images: ImageService, digest: str) -> list[str]:
    return list(images.meta.kv_get(_KV_SCOPE, digest, []))


def _wrap_resolve_error(exc: DockyardError, ref: reference.Reference) -> DockyardError:
    text = str(exc)
    if isinstance(exc, (Unauthorized, Forbidden)) or "name unknown" in text:
        if "incorrect username or password" in text:
            return exc
        return NotFound(f"pull access denied for {ref.familiar_repository()}, repository does not "
                        f"exist or may require 'docker login': {text}")
    if isinstance(exc, NotFound) and "manifest unknown" in text:
        return NotFound(f"manifest for {ref.familiar()} not found: {text}")
    return exc


class _CountingReader:
    """Reads a file for ``add_layer`` and reports how far it got ("Extracting")."""

    def __init__(self, f: BinaryIO, report: Any) -> None:
        self._f = f
        self._report = report
        self.count = 0
        self._reported = 0

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.count += len(data)
        # Decompressors read 8 KiB at a time: waking the event loop for each would cost more
        # than the unpacking itself.
        if self.count - self._reported >= _REPORT_EVERY or not data:
            self._reported = self.count
            self._report(self.count)
        return data


async def pull(images: ImageService, ref: reference.Reference, progress: Progress, *,
               creds: Credentials | None = None, tmp_dir: str, platform: str | None = None,
               insecure_registries: Sequence[str] = (), final_status: bool = True) -> PullResult:
    """Pull ``ref`` into ``images``, writing Docker's progress messages to ``progress``.

    ``final_status=False`` leaves out the "Status: …" line (an all-tags pull writes one
    for the repository at the end).
    """
    want = parse_platform(platform)
    path = ref.path
    target = ref.digest or ref.tag or "latest"
    async with Transport(registry_host(ref), creds, scopes=[f"repository:{path}:pull"],
                         insecure_registries=list(insecure_registries)) as t:
        try:
            body, media = await t.get_manifest(path, target, ACCEPT)
        except DockyardError as exc:
            raise _wrap_resolve_error(exc, ref) from exc
        top_digest = "sha256:" + hashlib.sha256(body).hexdigest()
        doc = _json(body, "manifest")
        media = media or str(doc.get("mediaType") or "")
        from_index = media in _INDEXES or (not media and "manifests" in doc)
        if from_index:
            entry = select_manifest(doc, want)
            body, media = await t.get_manifest(path, entry["digest"], ACCEPT)
            doc = _json(body, "manifest")
        if doc.get("schemaVersion") != 2 or "config" not in doc:
            raise InvalidArgument(f"unsupported manifest format for {ref.familiar()} "
                                  f"(media type {media or 'unknown'}): only OCI and Docker schema2")
        progress.status(f"Pulling from {path}", id=target, detail=False)
        cfg_desc = doc["config"]
        raw_cfg = await t.fetch_small(path, cfg_desc["digest"])
        config = _json(raw_cfg, "image config")
        if platform and not from_index:
            got = (config.get("os"), config.get("architecture"))
            if got != want[:2]:
                raise NotFound(f"image with reference {ref.familiar()} was found but does not "
                               f"match the specified platform: wanted {'/'.join(want[:2])}, "
                               f"actual: {got[0]}/{got[1]}")
        layers = list(doc.get("layers") or [])
        diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
        if len(layers) != len(diff_ids):
            raise InvalidArgument(f"image config has {len(diff_ids)} diff_ids but the manifest "
                                  f"lists {len(layers)} layers")
        for desc in layers:
            if desc.get("mediaType") not in _LAYER_TYPES:
                raise InvalidArgument(f"unsupported layer media type {desc.get('mediaType')!r}")
        image_id = "sha256:" + hashlib.sha256(raw_cfg).hexdigest()
        chains = chain_ids(diff_ids)
        await _fetch_layers(images, t, path, layers, diff_ids, chains, progress, tmp_dir)

    tag_ref = None if ref.digest else ref.with_tag(target)
    previous = images.resolve_id(str(tag_ref)) if tag_ref else (
        image_id if images.meta.one("SELECT 1 FROM tags WHERE name=?",
                                    (f"{ref.repository}@{ref.digest}",)) else None)
    created = await asyncio.to_thread(
        images.create, config, tags=[str(tag_ref)] if tag_ref else [], raw=raw_cfg)
    images.add_digest_ref(created, ref.repository, top_digest)
    for desc in layers:
        remember_source(images, desc["digest"], ref.repository)
    progress.status(f"Digest: {top_digest}")
    name = (tag_ref or ref).familiar()
    up_to_date = previous == created
    if final_status:
        progress.status(f"Status: Image is up to date for {name}" if up_to_date
                        else f"Status: Downloaded newer image for {name}")
    return PullResult(created, top_digest, name, up_to_date)


async def pull_all_tags(images: ImageService, repo: reference.Reference, progress: Progress, *,
                        creds: Credentials | None = None, tmp_dir: str,
                        platform: str | None = None,
                        insecure_registries: Sequence[str] = ()) -> list[PullResult]:
    """``docker pull --all-tags``: every tag the registry lists, then one status line."""
    async with Transport(registry_host(repo), creds, scopes=[f"repository:{repo.path}:pull"],
                         insecure_registries=list(insecure_registries)) as t:
        try:
            tags = await t.list_tags(repo.path)
        except DockyardError as exc:
            raise _wrap_resolve_error(exc, repo) from exc
    if not tags:
        raise NotFound(f"repository {repo.familiar_repository()} has no tags")
    results = []
    for tag in tags:
        results.append(await pull(images, repo.with_tag(tag), progress, creds=creds,
                                  tmp_dir=tmp_dir, platform=platform,
                                  insecure_registries=insecure_registries, final_status=False))
    name = repo.familiar_repository()
    progress.status(f"Status: Image is up to date for {name}" if all(r.up_to_date for r in results)
                    else f"Status: Downloaded newer image for {name}")
    return results


async def inspect_remote(ref: reference.Reference, *, creds: Credentials | None = None,
                         insecure_registries: Sequence[str] = ()) -> dict[str, Any]:
    """``GET /distribution/{name}/json``: the descriptor a name resolves to, and its platforms."""
    target = ref.digest or ref.tag or "latest"
    async with Transport(registry_host(ref), creds, scopes=[f"repository:{ref.path}:pull"],
                         insecure_registries=list(insecure_registries)) as t:
        try:
            body, media = await t.get_manifest(ref.path, target, ACCEPT)
        except DockyardError as exc:
            raise _wrap_resolve_error(exc, ref) from exc
        doc = _json(body, "manifest")
        media = media or str(doc.get("mediaType") or "")
        platforms: list[dict[str, Any]] = []
        if media in _INDEXES or "manifests" in doc:
            for entry in doc.get("manifests") or []:
                p = entry.get("platform") or {}
                if p.get("os") and p.get("os") != "unknown":
                    platforms.append(p)
        elif "config" in doc:
            cfg = _json(await t.fetch_small(ref.path, doc["config"]["digest"]), "image config")
            platform = {"architecture": cfg.get("architecture", ""), "os": cfg.get("os", "")}
            if cfg.get("variant"):
                platform["variant"] = cfg["variant"]
            platforms.append(platform)
    descriptor = {"mediaType": media, "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                  "size": len(body)}
    return {"Descriptor": descriptor, "Platforms": platforms}


async def _fetch_layers(images: ImageService, t: Transport, path: str, layers: list[dict[str, Any]],
                        diff_ids: list[str], chains: list[str], progress: Progress,
                        tmp_dir: str) -> None:
    """Download missing layers (3 at a time) and unpack each once it is verified (2 at a time).

    Layers unpack independently of each other (a snapshot is its own directory; its
    parent is only part of its name), so a layer need not wait for the one below.
    """
    missing = [i for i, c in enumerate(chains) if images.snapshots.get(c) is None]
    # Once a layer is missing every layer above it is too (their chains include it).
    first_missing = missing[0] if missing else len(chains)
    todo = list(range(first_missing, len(chains)))
    for i, desc in enumerate(layers):
        progress.status("Already exists" if i < first_missing else "Pulling fs layer",
                        id=short(desc["digest"]))
    if not todo:
        return
    work = tempfile.mkdtemp(prefix="pull-", dir=tmp_dir)
    downloads = asyncio.Semaphore(MAX_DOWNLOADS)
    extracts = asyncio.Semaphore(MAX_EXTRACTS)
    loop = asyncio.get_running_loop()
    running: list[asyncio.Future[None]] = []
    created: list[int] = []

    def extract(i: int, dest: str, lid: str, total: int | None) -> None:
        def report(n: int) -> None:
            loop.call_soon_threadsafe(progress.bytes, lid, "Extracting", n, total)

        with open(dest, "rb") as f:
            images.add_layer(chains[i - 1] if i else None,
                             _CountingReader(f, report),  # type: ignore[arg-type]
                             diff_id=diff_ids[i])
        created.append(i)

    async def fetch(i: int) -> None:
        desc = layers[i]
        lid, total = short(desc["digest"]), int(desc.get("size") or 0) or None
        dest = os.path.join(work, f"layer-{i}")
        if downloads.locked():
            progress.status("Waiting", id=lid)
        async with downloads:
            await t.download(path, desc["digest"], dest,
                             on_progress=lambda n: progress.bytes(lid, "Downloading", n, total))
        progress.status("Verifying Checksum", id=lid)
        progress.status("Download complete", id=lid)
        async with extracts:
            fut = loop.run_in_executor(None, extract, i, dest, lid, total)
            running.append(fut)
            await asyncio.shield(fut)  # a thread cannot be cancelled: let it finish
        os.unlink(dest)
        progress.status("Pull complete", id=lid)

    tasks = [asyncio.create_task(fetch(i)) for i in todo]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*running, return_exceptions=True)
        await asyncio.to_thread(_discard, images, [chains[i] for i in sorted(created)])
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _discard(images: ImageService, chains: list[str]) -> None:
    """A failed pull leaves no layer behind that no image needs (top first)."""
    needed: set[str] = set()
    for rec in images.list():
        try:
            needed.update(chain_ids(images.config(rec.id)["rootfs"]["diff_ids"]))
        except DockyardError:
            continue
    for chain in reversed(chains):
        if chain in needed:
            continue
        snap = images.snapshots.get(chain)
        images.snapshots.remove(chain)
        if snap and snap.blob:
            images.content.delete(snap.blob)


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise InvalidArgument(f"invalid {what}: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidArgument(f"invalid {what}: not a JSON object")
    return doc
