"""Pull: registry manifest → verified blobs → snapshots → one image row, as ``docker pull`` does.

The order of a pull, and why nothing unverified is ever stored:

1. *resolve* the tag or digest to a manifest (``Accept``: OCI index/manifest, Docker
   list/schema2); an index picks the platform's manifest (``linux/<host arch>`` or the
   request's ``platform``). Manifests fetched by digest are hashed and compared.
2. fetch the *config* (verified): the image ID is its digest, its ``rootfs.diff_ids``
   give the chain ids, so layers already unpacked here are "Already exists".
3. *download* the missing layers, up to 3 at a time, and *extract* each while it
   arrives (a snapshot is a directory of its own, so a layer need not wait for the one
   below): ``ImageService.add_verified_layer`` writes the bytes to a content-store
   ingest, which hashes them, and unpacks them into a temporary snapshot. Only a blob
   that hashes to its digest is committed (by rename), and only then is the snapshot
   checked against the config's diff_id and committed; otherwise both are dropped and
   the pull fails ("filesystem layer verification failed for digest …"). A failed pull
   also removes the snapshots it made that no image needs.
4. *create* the image row and tag it, then record the ``repo@digest`` (RepoDigests) —
   only after every layer is in place, so a failed pull leaves no image behind.

Blobs' source repositories are remembered (metadata ``kv``, scope ``distribution``) so a
later push to another repository of the same registry can mount instead of upload.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard import reference
from dockyard.errors import (DockyardError, Forbidden, InvalidArgument, NotFound, Unauthorized,
                             Unavailable)
from dockyard.image.archive import read_to_end
from dockyard.oci import image as oci
from dockyard.registry.client.auth import Credentials
from dockyard.registry.client.progress import Progress, short
from dockyard.registry.client.transport import Transport, VerificationError
from dockyard.store.content import DigestMismatch
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
    """Reads a layer's bytes for the unpacking and reports how far it got ("Extracting")."""

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
    for the repository at the end). ``tmp_dir`` is no longer used: layers stream into the
    content store's ingest.
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
        await _fetch_layers(images, t, path, layers, diff_ids, chains, progress)

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
                        diff_ids: list[str], chains: list[str], progress: Progress) -> None:
    """Download missing layers (3 at a time), each unpacked while it arrives.

    A layer's bytes go from the socket through a ``_Pipe`` to a thread of its own that
    writes them to a content-store ingest and unpacks them into a temporary snapshot
    (``ImageService.add_verified_layer``); the blob and the snapshot become visible only
    once the whole blob hashes to its digest. Layers unpack independently of each other
    (a snapshot is its own directory; its parent is only part of its name), so a layer
    need not wait for the one below.
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
    downloads = asyncio.Semaphore(MAX_DOWNLOADS)
    loop = asyncio.get_running_loop()
    # Own threads: an unpacking thread blocks on its pipe, so it must not hold a thread of
    # the default pool that the download feeding it may need.
    unpackers = ThreadPoolExecutor(max_workers=MAX_DOWNLOADS, thread_name_prefix="pull-unpack")
    running: list[asyncio.Future[None]] = []
    created: list[int] = []

    def extract(i: int, pipe: _Pipe, lid: str, total: int | None) -> None:
        def report(n: int) -> None:
            loop.call_soon_threadsafe(progress.bytes, lid, "Extracting", n, total)

        digest = layers[i]["digest"]
        try:
            # The content store checks sha256 itself; fetch() checks any other algorithm.
            images.add_verified_layer(chains[i - 1] if i else None,
                                      _CountingReader(pipe, report),  # type: ignore[arg-type]
                                      digest=digest if digest.startswith("sha256:") else None,
                                      diff_id=diff_ids[i])
        except DigestMismatch as exc:
            raise VerificationError("filesystem layer verification failed for digest "
                                    f"{layers[i]['digest']}") from exc
        finally:
            pipe.abandon()  # a download still feeding it must not wait for room
        created.append(i)

    async def fetch(i: int) -> None:
        desc = layers[i]
        lid, total = short(desc["digest"]), int(desc.get("size") or 0) or None
        if downloads.locked():
            progress.status("Waiting", id=lid)
        async with downloads:
            pipe = _Pipe()
            fut = loop.run_in_executor(unpackers, extract, i, pipe, lid, total)
            running.append(fut)
            alg = desc["digest"].split(":", 1)[0]
            other = None if alg == "sha256" else _new_hash(alg, desc["digest"])

            def put(chunks: list[bytes]) -> None:
                if other is not None:
                    for c in chunks:
                        other.update(c)
                pipe.put(chunks)

            try:
                await t.stream_blob(
                    path, desc["digest"], lambda chunks: asyncio.to_thread(put, chunks),
                    on_progress=lambda n: progress.bytes(lid, "Downloading", n, total))
                if other is not None and f"{alg}:{other.hexdigest()}" != desc["digest"]:
                    raise VerificationError("filesystem layer verification failed for digest "
                                            f"{desc['digest']}")
                pipe.close()  # only now does the unpacking see the end of the blob
            except BaseException as exc:
                pipe.close(exc)
                await asyncio.gather(fut, return_exceptions=True)  # a thread cannot be cancelled
                raise
            progress.status("Verifying Checksum", id=lid)
            progress.status("Download complete", id=lid)
            await asyncio.shield(fut)
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
        unpackers.shutdown(wait=False)


def _new_hash(alg: str, digest: str) -> Any:
    try:
        return hashlib.new(alg)
    except ValueError as exc:
        raise InvalidArgument(f"unsupported digest algorithm: {digest}") from exc


class _Pipe:
    """A blob's bytes from the download (``put``) to the thread unpacking it (``read``).

    At most ``limit`` batches wait in it, so a slow unpack slows the download instead of
    filling memory. ``close()`` marks the end; ``close(exc)`` makes ``read`` raise ``exc``
    (the download failed: the layer must not look complete). The reader calls
    ``abandon()`` when it is done, so a ``put`` never waits on a reader that is gone.
    """

    def __init__(self, limit: int = 8) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(limit)
        self._buf = b""
        self._pos = 0
        self._end: BaseException | bool = False
        self._abandoned = threading.Event()

    def put(self, chunks: list[bytes]) -> None:
        self._offer(b"".join(chunks))

    def close(self, exc: BaseException | None = None) -> None:
        if exc is not None and not isinstance(exc, Exception):
            exc = Unavailable(f"download stopped: {type(exc).__name__}")
        self._offer(exc)

    def _offer(self, item: bytes | BaseException | None) -> None:
        while not self._abandoned.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def abandon(self) -> None:
        self._abandoned.set()

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            return read_to_end(self.read)
        if self._pos >= len(self._buf):
            if self._end is True:
                return b""
            if isinstance(self._end, BaseException):
                raise self._end
            item = self._queue.get()
            if item is None:
                self._end = True
                return b""
            if isinstance(item, BaseException):
                self._end = item
                raise item
            self._buf, self._pos = item, 0
        data = self._buf[self._pos:self._pos + n]
        self._pos += len(data)
        return data


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
