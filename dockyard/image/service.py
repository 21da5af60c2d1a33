"""Images: configs in the content store, layers as snapshots, names in the tags table.

An image is its config blob (the image ID is that blob's digest), a row in ``images``,
one snapshot per layer (by chain id), and any number of tags. Creating an image is
"layers first, then config blob, then the row and its tags in one transaction"; so a
crash leaves, at worst, unreferenced blobs and snapshots that ``repair``/prune remove.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterable

from dockyard import reference
from dockyard.digest import short_id
from dockyard.errors import Conflict, InvalidArgument, NotFound
from dockyard.oci import image as oci
from dockyard.store.content import ContentStore, DigestMismatch
from dockyard.store.metadata import Metadata
from dockyard.store.snapshots import Snapshotter, chain_ids

__all__ = ["ImageRecord", "ImageService", "LayerRef"]

_HEX_RE = re.compile(r"^[a-f0-9]{1,64}$")

#: (container_id, running) of the containers created from an image
UsersFn = Callable[[str], list[tuple[str, bool]]]


@dataclass
class LayerRef:
    """A layer as an image holds it: uncompressed identity plus the blob we keep for it."""

    diff_id: str
    blob: str | None = None
    media_type: str | None = None
    size: int = 0


@dataclass
class ImageRecord:
    id: str
    created: float
    size: int
    manifest: str | None
    parent: str | None
    labels: dict[str, str]
    tags: list[str] = field(default_factory=list)      # full refs, "docker.io/library/x:tag"
    digests: list[str] = field(default_factory=list)   # full "repo@sha256:..." refs

    def repo_tags(self) -> list[str]:
        return [reference.parse(t).familiar() for t in self.tags]

    def repo_digests(self) -> list[str]:
        out = []
        for d in self.digests:
            repo, dg = d.split("@", 1)
            out.append(reference.parse(repo, default_tag=False).familiar_repository() + "@" + dg)
        return out


class ImageService:
    def __init__(self, content: ContentStore, meta: Metadata, snapshots: Snapshotter) -> None:
        self.content = content
        self.meta = meta
        self.snapshots = snapshots

    # -- reading ----------------------------------------------------------------------
    def list(self) -> list[ImageRecord]:
        tags: dict[str, list[str]] = {}
        for row in self.meta.query("SELECT name, image_id FROM tags"):
            tags.setdefault(row["image_id"], []).append(row["name"])
        out = []
        for row in self.meta.query("SELECT * FROM images ORDER BY created DESC"):
            out.append(self._record(row, tags.get(row["id"], [])))
        return out

    def _record(self, row: Any, names: list[str]) -> ImageRecord:
        return ImageRecord(
            id=row["id"], created=row["created"], size=row["size"], manifest=row["manifest"],
            parent=row["parent"], labels=json.loads(row["labels"] or "{}"),
            tags=sorted(n for n in names if "@" not in n),
            digests=sorted(n for n in names if "@" in n),
        )

    def exists(self, image_id: str) -> bool:
        return self.meta.one("SELECT 1 FROM images WHERE id=?", (image_id,)) is not None

    def get(self, image_id: str) -> ImageRecord:
        row = self.meta.one("SELECT * FROM images WHERE id=?", (image_id,))
        if row is None:
            raise NotFound(f"No such image: {image_id}")
        names = [r["name"] for r in self.meta.query("SELECT name FROM tags WHERE image_id=?",
                                                     (image_id,))]
        return self._record(row, names)

    def resolve(self, ref: str) -> ImageRecord:
        """Find an image by ID, ID prefix, ``name[:tag]`` or ``name@digest`` as Docker does."""
        image_id = self.resolve_id(ref)
        if image_id is None:
            raise NotFound(f"No such image: {ref}")
        return self.get(image_id)

    def resolve_id(self, ref: str) -> str | None:
        if ref.startswith("sha256:"):
            return self._by_prefix(ref[7:])
        parsed = reference.try_parse(ref)
        if parsed is not None:
            row = self.meta.one("SELECT image_id FROM tags WHERE name=?", (str(parsed),))
            if row:
                return row["image_id"]
        if _HEX_RE.match(ref):
            return self._by_prefix(ref)
        return None

    def _by_prefix(self, prefix: str) -> str | None:
        if not _HEX_RE.match(prefix):
            return None
        rows = self.meta.query("SELECT id FROM images WHERE id LIKE ?", (f"sha256:{prefix}%",))
        if len(rows) == 1:
            return rows[0]["id"]
        if len(rows) > 1:
            raise Conflict(f"ambiguous image ID prefix: {prefix}")
        return None

    def config(self, image_id: str) -> dict[str, Any]:
        return json.loads(self.content.read(image_id))

    def layers(self, image_id: str) -> list[LayerRef]:
        cfg = self.config(image_id)
        out = []
        for chain in chain_ids(cfg["rootfs"]["diff_ids"]):
            snap = self.snapshots.get(chain)
            if snap is None:
                raise NotFound(f"layer {chain} of image {image_id} is missing")
            out.append(LayerRef(snap.diff_id, snap.blob, snap.media_type, snap.size))
        return out

    def top_chain(self, image_id: str) -> str | None:
        ids = chain_ids(self.config(image_id)["rootfs"]["diff_ids"])
        return ids[-1] if ids else None

    # -- writing ------------------------------------------------------------------------
    def create(self, config: dict[str, Any], *, tags: Iterable[str] = (),
               parent: str | None = None, raw: bytes | None = None) -> str:
        """Store ``config`` (its layers must already be snapshots) and tag it.

        ``raw`` is the config exactly as a registry served it: the image ID is the digest
        of those bytes (re-serialising would change the ID Docker shows for a pull).
        """
        chains = chain_ids(config["rootfs"]["diff_ids"])
        size = 0
        layer_descs: list[tuple[str, int, str]] = []
        for chain in chains:
            snap = self.snapshots.get(chain)
            if snap is None:
                raise NotFound(f"layer {chain} is not in the store")
            size += snap.size
            if snap.blob:
                layer_descs.append((snap.blob, self.content.size(snap.blob),
                                    snap.media_type or oci.MEDIA_DOCKER_LAYER_GZIP))
        raw = oci.canonical(config) if raw is None else raw
        image_id = self.content.put(raw)
        manifest_digest = None
        if len(layer_descs) == len(chains):
            man = oci.manifest(image_id, len(raw), layer_descs)
            manifest_digest = self.content.put(oci.canonical(man))
        labels = (config.get("config") or {}).get("Labels") or {}
        created = oci.parse_rfc3339(config.get("created", "")) or time.time()
        with self.meta.tx() as db:
            db.execute("INSERT OR IGNORE INTO images(id, created, size, manifest, parent, labels) "
                       "VALUES(?,?,?,?,?,?)",
                       (image_id, created, size, manifest_digest, parent, json.dumps(labels)))
            if parent:  # an image stored before without one (a load, an older build)
                db.execute("UPDATE images SET parent=? WHERE id=? AND parent IS NULL",
                           (parent, image_id))
            for t in tags:
                db.execute("INSERT OR REPLACE INTO tags(name, image_id) VALUES(?,?)",
                           (str(reference.parse(t)), image_id))
        return image_id

    def add_layer(self, parent_chain: str | None, stream: BinaryIO, *,
                  diff_id: str | None = None) -> LayerRef:
        """Keep the layer blob as it came and unpack it as a snapshot on ``parent_chain``.

        With ``diff_id`` (a pull knows it from the image config) a tar that unpacks to
        anything else is refused before its snapshot is recorded.
        """
        from dockyard.image.archive import detect_compression
        from dockyard.image.unpack import apply_layer  # only the paths that unpack pay for it

        writer = self.content.writer()
        tee = _Tee(stream, writer)
        compression: dict[str, str] = {}

        def apply(dest: str) -> tuple[str, int]:
            result = apply_layer(tee, dest)
            compression["c"] = detect_compression(tee.head)
            return result.diff_id, result.size

        try:
            snap = self.snapshots.commit_layer(parent_chain, apply, diff_id=diff_id)
            tee.drain()
            blob = writer.commit()
        except BaseException:
            writer.abort()
            raise
        media = _media_type(compression.get("c", "gzip"))
        if not snap.blob:
            self.snapshots.set_blob(snap.chain_id, blob, media)
        elif snap.blob != blob:
            self.content.delete(blob)  # the same layer arrived compressed differently
        return LayerRef(snap.diff_id, snap.blob or blob, snap.media_type or media, snap.size)

    def add_verified_layer(self, parent_chain: str | None, stream: BinaryIO, *,
                           digest: str | None, diff_id: str) -> LayerRef:
        """Unpack an untrusted blob as it is read from ``stream``, keeping it only if it is ``digest``.

        For a pull: ``stream`` gives the bytes while they download, each read once. They go
        to a content-store ingest (which hashes them) and through the decompressor into a
        ``tmp-*`` snapshot at the same time. Only once the stream has ended does anything
        become visible, in this order: the ingest must hash to ``digest`` and is committed
        by rename, the snapshot is checked against ``diff_id`` and renamed and recorded,
        and then the blob is set on it (its media type from its compression, as
        ``add_layer``). A blob that is not ``digest`` raises
        ``DigestMismatch`` (the stream is read to its end first, so a tampered blob that
        also breaks the decompressor is still reported as a mismatch) and leaves neither
        blob nor snapshot.

        ``digest=None`` is for a digest the store cannot check (not sha256): the caller
        verifies the bytes itself and ``stream`` must then end (EOF) only once they are
        verified, and raise otherwise; the blob is kept under its sha256.
        """
        from dockyard.image.archive import detect_compression
        from dockyard.image.unpack import apply_layer  # only the paths that unpack pay for it

        writer = self.content.writer()
        tee = _Tee(stream, writer)
        blob: list[str] = []
        new_blob: list[str] = []  # committed here and not in the store before

        def verify() -> None:
            tee.drain()
            existed = digest is not None and self.content.exists(digest)
            blob.append(writer.commit(expected=digest))  # DigestMismatch: the ingest is gone
            if not existed:
                new_blob.append(blob[0])

        def apply(dest: str) -> tuple[str, int]:
            try:
                # The ingest hashes the blob: apply_layer need not hash it again.
                result = apply_layer(tee, dest, hash_blob=False)
            except Exception as exc:
                tee.drain()  # a tampered blob is a mismatch, whatever broke first
                if digest is not None and writer.digest != digest:
                    raise DigestMismatch(f"digest mismatch: expected {digest}, "
                                         f"got {writer.digest}") from exc
                raise
            verify()
            return result.diff_id, result.size

        try:
            snap = self.snapshots.commit_layer(parent_chain, apply, diff_id=diff_id)
            if not writer.done:  # the layer was already there: apply never ran
                verify()
        except BaseException:
            writer.abort()
            for b in new_blob:  # verified, but its snapshot failed (a diff_id mismatch)
                self.content.delete(b)
            raise
        media = _media_type(detect_compression(tee.head))
        if not snap.blob:
            self.snapshots.set_blob(snap.chain_id, blob[0], media)
        elif snap.blob != blob[0]:
            self.content.delete(blob[0])  # the same layer arrived compressed differently
        return LayerRef(snap.diff_id, snap.blob or blob[0], snap.media_type or media, snap.size)

    def tag(self, image_id: str, ref: str) -> None:
        parsed = reference.parse(ref)
        if parsed.digest:
            raise InvalidArgument("refusing to create a tag with a digest reference")
        with self.meta.tx() as db:
            db.execute("INSERT OR REPLACE INTO tags(name, image_id) VALUES(?,?)",
                       (str(parsed), image_id))

    def add_digest_ref(self, image_id: str, repo: str, digest: str) -> None:
        parsed = reference.parse(repo, default_tag=False)
        with self.meta.tx() as db:
            db.execute("INSERT OR REPLACE INTO tags(name, image_id) VALUES(?,?)",
                       (f"{parsed.repository}@{digest}", image_id))

    def delete(self, ref: str, *, force: bool = False, prune: bool = True,
               users: UsersFn = lambda _id: []) -> list[dict[str, str]]:
        """Docker's ``rmi``: untag, and delete the image once no tag or container needs it."""
        image_id = self.resolve_id(ref)
        if image_id is None:
            raise NotFound(f"No such image: {ref}")
        rec = self.get(image_id)
        by_name = not (ref.startswith("sha256:") or (_HEX_RE.match(ref) and
                                                     not self._is_tag(ref)))
        out: list[dict[str, str]] = []
        containers = users(image_id)
        running = [c for c, r in containers if r]
        if by_name:
            name = self._full_name(ref)
            # moby: untagging a repository's last tag also drops its digest references
            # (RepoDigests a pull or push recorded), so `rmi x:1` can delete the image.
            names = [name] + _orphaned_digests(name, rec)
            remaining = [t for t in rec.tags + rec.digests if t not in names]
            if remaining or (containers and force):
                for n in names:
                    self._untag(n)
                return [{"Untagged": reference_familiar(n)} for n in names]
            if containers:
                raise Conflict(
                    f'conflict: unable to remove repository reference "{ref}" (must force) - '
                    f"container {short_id(containers[0][0])} is using its referenced image "
                    f"{short_id(image_id)}")
            for n in names:
                self._untag(n)
                out.append({"Untagged": reference_familiar(n)})
        else:
            if running:
                raise Conflict(
                    f"conflict: unable to delete {short_id(image_id)} (cannot be forced) - "
                    f"image is being used by running container {short_id(running[0])}")
            if containers and not force:
                raise Conflict(
                    f"conflict: unable to delete {short_id(image_id)} (must be forced) - "
                    f"image is being used by stopped container {short_id(containers[0][0])}")
            names = rec.tags + rec.digests
            if len(rec.tags) > 1 and not force:
                raise Conflict(
                    f"conflict: unable to delete {short_id(image_id)} (must be forced) - "
                    f"image is referenced in multiple repositories")
            for n in names:
                self._untag(n)
                out.append({"Untagged": reference_familiar(n)})
        out.extend(self._remove_image(image_id))
        if prune:
            out.extend(self._prune_parents(rec.parent, users))
        return out

    def _prune_parents(self, parent: str | None, users: UsersFn) -> list[dict[str, str]]:
        """moby's parent pruning: after an ``rmi``, its parent goes too while it has no
        name, no other child and no container (a build's intermediate images)."""
        out: list[dict[str, str]] = []
        while parent:
            try:
                rec = self.get(parent)
            except NotFound:
                break
            if rec.tags or rec.digests or users(rec.id) or self.meta.one(
                    "SELECT 1 FROM images WHERE parent=?", (rec.id,)):
                break
            out.extend(self._remove_image(rec.id))
            parent = rec.parent
        return out

    def _is_tag(self, ref: str) -> bool:
        parsed = reference.try_parse(ref)
        return bool(parsed and self.meta.one("SELECT 1 FROM tags WHERE name=?", (str(parsed),)))

    @staticmethod
    def _full_name(ref: str) -> str:
        return str(reference.parse(ref))

    def _untag(self, name: str) -> None:
        with self.meta.tx() as db:
            db.execute("DELETE FROM tags WHERE name=?", (name,))

    def _remove_image(self, image_id: str) -> list[dict[str, str]]:
        cfg = self.config(image_id)
        row = self.meta.one("SELECT manifest FROM images WHERE id=?", (image_id,))
        with self.meta.tx() as db:
            db.execute("DELETE FROM tags WHERE image_id=?", (image_id,))
            db.execute("DELETE FROM images WHERE id=?", (image_id,))
        out = [{"Deleted": image_id}]
        # Layers no other image needs go too (top first, like Docker's output).
        needed = self._needed_chains()
        for chain in reversed(chain_ids(cfg["rootfs"]["diff_ids"])):
            if chain in needed:
                break
            snap = self.snapshots.get(chain)
            self.snapshots.remove(chain)
            if snap and snap.blob:
                self.content.delete(snap.blob)
            out.append({"Deleted": chain})
        self.content.delete(image_id)
        if row and row["manifest"]:
            self.content.delete(row["manifest"])
        return out

    def _needed_chains(self) -> set[str]:
        needed: set[str] = set()
        for row in self.meta.query("SELECT id FROM images"):
            try:
                needed.update(chain_ids(self.config(row["id"])["rootfs"]["diff_ids"]))
            except NotFound:
                continue
        return needed

    def prune(self, *, all_images: bool = False, users: UsersFn = lambda _id: [],
              label_filter: Callable[[dict[str, str]], bool] = lambda _l: True,
              until: float | None = None) -> tuple[list[dict[str, str]], int]:
        """Remove dangling (or, with ``all_images``, unused) images; returns (deleted, bytes)."""
        deleted: list[dict[str, str]] = []
        reclaimed = 0
        for rec in self.list():
            if rec.tags and not all_images:
                continue
            if users(rec.id):
                continue
            if not label_filter(rec.labels):
                continue
            if until is not None and rec.created >= until:
                continue
            for n in rec.tags + rec.digests:
                self._untag(n)
                deleted.append({"Untagged": reference_familiar(n)})
            reclaimed += rec.size
            deleted.extend(self._remove_image(rec.id))
        return deleted, reclaimed

    def repair(self) -> None:
        """After a crash: drop images whose config or layers are gone, and tags without image."""
        for row in self.meta.query("SELECT id FROM images"):
            ok = self.content.exists(row["id"])
            if ok:
                cfg = self.config(row["id"])
                ok = all(self.snapshots.get(c) for c in chain_ids(cfg["rootfs"]["diff_ids"]))
            if not ok:
                with self.meta.tx() as db:
                    db.execute("DELETE FROM images WHERE id=?", (row["id"],))
        with self.meta.tx() as db:
            db.execute("DELETE FROM tags WHERE image_id NOT IN (SELECT id FROM images)")


def _orphaned_digests(name: str, rec: ImageRecord) -> list[str]:
    """The ``repo@digest`` names of ``name``'s repository once tag ``name`` is gone."""
    if "@" in name:
        return []
    repo = reference.parse(name).repository
    if any(reference.parse(t).repository == repo for t in rec.tags if t != name):
        return []
    return [d for d in rec.digests if d.split("@", 1)[0] == repo]


def reference_familiar(name: str) -> str:
    if "@" in name:
        repo, dg = name.split("@", 1)
        return reference.parse(repo, default_tag=False).familiar_repository() + "@" + dg
    return reference.parse(name).familiar()


def _media_type(compression: str) -> str:
    return {
        "gzip": oci.MEDIA_DOCKER_LAYER_GZIP,
        "zstd": oci.MEDIA_OCI_LAYER_ZSTD,
        "none": oci.MEDIA_DOCKER_LAYER,
    }.get(compression, oci.MEDIA_DOCKER_LAYER_GZIP)


class _Tee:
    """A read-only stream that copies what is read into a content writer."""

    def __init__(self, src: BinaryIO, writer: Any) -> None:
        self._src = src
        self._writer = writer
        self.head = b""

    def read(self, n: int = -1) -> bytes:
        data = self._src.read(n)
        if data:
            if len(self.head) < 8:
                self.head += data[: 8 - len(self.head)]
            self._writer.write(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass
