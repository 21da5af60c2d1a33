"""Garbage collection: mark every blob a manifest references, sweep the rest.

Mark
    For every repository, every manifest revision is marked, and so is
    everything it references: an image manifest's config and layers, an
    index's child manifests. With ``delete_untagged`` the revisions first
    shrink to those reachable from a tag — through index children and OCI
    referrers of reachable manifests — and the others are deleted like a
    ``DELETE /v2/<name>/manifests/<digest>`` would.
Sweep
    Every blob under ``/blobs`` that is not marked is deleted; layer links
    left pointing at deleted blobs are removed; upload sessions older than
    ``upload_max_age`` and temp files a crash left behind go too.

Run it with the server stopped or in ``--read-only`` mode: a blob uploaded
while the mark runs, whose manifest is not pushed yet, is not referenced by
anything and would be swept (distribution has the same rule).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import layout
from .blobs import BlobStore
from .digests import Digest
from .errors import RegistryError
from .manifest import ParsedManifest, parse_manifest
from .manifests import ManifestStore
from .storage import LocalDriver, PathNotFound, StorageDriver
from .uploads import UploadStore

__all__ = ["GcReport", "collect"]

DEFAULT_UPLOAD_MAX_AGE = 7 * 24 * 3600


@dataclass
class GcReport:
    marked: int = 0
    blobs_deleted: int = 0
    bytes_freed: int = 0
    manifests_deleted: int = 0
    links_removed: int = 0
    uploads_removed: int = 0
    deleted: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.marked} blobs marked, {self.blobs_deleted} blobs eligible for deletion "
            f"({self.bytes_freed} bytes), {self.manifests_deleted} untagged manifests, "
            f"{self.links_removed} dangling links, {self.uploads_removed} stale uploads"
        )


def _digests_under(driver: StorageDriver, path: str) -> list[Digest]:
    """Digests of ``<path>/<alg>/<hex>`` link files."""
    out: list[Digest] = []
    try:
        files = list(driver.walk(path))
    except PathNotFound:
        return out
    for info in files:
        parts = info.path.rsplit("/", 2)
        try:
            out.append(Digest.parse(f"{parts[-2]}:{parts[-1]}"))
        except RegistryError:
            continue
    return out


def _parse(blobs: BlobStore, manifests: ManifestStore, name: str, digest: Digest) -> ParsedManifest | None:
    try:
        _, media = manifests.resolve(name, str(digest))
        return parse_manifest(blobs.read(digest), media)
    except RegistryError:
        return None


def _reachable(driver: StorageDriver, blobs: BlobStore, manifests: ManifestStore, name: str) -> set[Digest]:
    keep: set[Digest] = set()
    todo: list[Digest] = []
    for tag in manifests.tags(name):
        try:
            todo.append(manifests.resolve(name, tag)[0])
        except RegistryError:
            continue
    while todo:
        digest = todo.pop()
        if digest in keep:
            continue
        keep.add(digest)
        parsed = _parse(blobs, manifests, name, digest)
        if parsed is not None:
            todo.extend(child.digest for child in parsed.manifests)
        todo.extend(_digests_under(driver, layout.referrers_dir(name, digest)))
    return keep


def collect(
    driver: StorageDriver,
    *,
    dry_run: bool = False,
    delete_untagged: bool = False,
    upload_max_age: float = DEFAULT_UPLOAD_MAX_AGE,
    now: float | None = None,
) -> GcReport:
    """Run one mark-and-sweep over ``driver``; with ``dry_run`` only report."""
    report = GcReport()
    blobs = BlobStore(driver)
    manifests = ManifestStore(driver, blobs)
    uploads = UploadStore(driver, blobs)
    marked: set[Digest] = set()
    repositories = manifests.catalog()

    for name in repositories:
        revisions = _digests_under(driver, layout.revisions(name))
        if delete_untagged:
            keep = _reachable(driver, blobs, manifests, name)
            for digest in revisions:
                if digest not in keep:
                    report.manifests_deleted += 1
                    if not dry_run:
                        manifests.delete(name, str(digest))
            revisions = [d for d in revisions if d in keep]
        for digest in revisions:
            marked.add(digest)
            parsed = _parse(blobs, manifests, name, digest)
            if parsed is None:
                continue
            marked.update(d.digest for d in parsed.blobs)
            marked.update(d.digest for d in parsed.manifests)
    report.marked = len(marked)

    try:
        stored = list(driver.walk(layout.BLOBS))
    except PathNotFound:
        stored = []
    for info in stored:
        parts = info.path.split("/")  # "", "blobs", alg, xx, hex, "data"
        if len(parts) != 6 or parts[-1] != "data":
            continue
        try:
            digest = Digest.parse(f"{parts[2]}:{parts[4]}")
        except RegistryError:
            continue
        if digest in marked:
            continue
        report.blobs_deleted += 1
        report.bytes_freed += info.size
        report.deleted.append(str(digest))
        if not dry_run:
            blobs.delete(digest)

    if not dry_run:
        for name in repositories:
            for digest in _digests_under(driver, layout.layer_links(name)):
                if blobs.size(digest) is None:
                    driver.delete(layout.layer_link(name, digest))
                    report.links_removed += 1

    current = time.time() if now is None else now
    for status in uploads.list():
        if current - status.started > upload_max_age:
            report.uploads_removed += 1
            if not dry_run:
                uploads.remove(status.uuid)
    if not dry_run and isinstance(driver, LocalDriver):
        driver.sweep_temp("/", older_than=3600)
    return report
