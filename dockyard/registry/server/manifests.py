"""``ManifestStore``: manifests, tags, referrers and the repository catalog.

A manifest is stored as a blob (the exact bytes pushed) plus a revision link
in its repository that remembers the pushed media type; a tag is a small file
naming a digest; a manifest with an OCI 1.1 ``subject`` also leaves its
referrer descriptor under the subject's digest, so the referrers API is a
directory listing rather than a scan. See ``layout`` for the tree.

Write order on push — blob, revision, tag, referrer — means a crash at any
point leaves either the old state or extra unreferenced data for garbage
collection, never a tag pointing at nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import layout
from .blobs import BlobStore
from .digests import Digest, compute
from .errors import RegistryError
from .manifest import ParsedManifest, parse_manifest
from .names import validate_tag
from .storage import PathNotFound, StorageDriver

__all__ = ["StoredManifest", "PutResult", "ManifestStore"]


@dataclass(frozen=True)
class StoredManifest:
    digest: Digest
    mediaType: str
    body: bytes


@dataclass(frozen=True)
class PutResult:
    digest: Digest
    manifest: ParsedManifest


class ManifestStore:
    """Manifests in a ``StorageDriver``; every method is blocking (run it in a thread)."""

    def __init__(self, driver: StorageDriver, blobs: BlobStore) -> None:
        self.driver = driver
        self.blobs = blobs

    # -- repositories -------------------------------------------------------

    def repository_exists(self, name: str) -> bool:
        try:
            return self.driver.stat(layout.repository(name)).is_dir
        except PathNotFound:
            return False

    def _require_repository(self, name: str) -> None:
        if not self.repository_exists(name):
            raise RegistryError("NAME_UNKNOWN", detail={"name": name})

    def catalog(self) -> list[str]:
        """Every repository name, sorted; a repository is a directory holding ``_``-entries."""
        found: list[str] = []

        def visit(path: str, name: str) -> None:
            try:
                children = self.driver.list(path)
            except PathNotFound:
                return
            is_repository = False
            for child in children:
                base = child.rsplit("/", 1)[-1]
                if base.startswith("_"):
                    is_repository = True
                else:
                    visit(child, f"{name}/{base}" if name else base)
            if is_repository and name:
                found.append(name)

        visit(layout.REPOSITORIES, "")
        return sorted(found)

    # -- reading --------------------------------------------------------------

    def resolve(self, name: str, reference: str) -> tuple[Digest, str]:
        """The digest and media type ``reference`` (tag or digest) names."""
        if Digest.is_digest(reference):
            digest = Digest.parse(reference)
        else:
            validate_tag(reference)
            try:
                digest = Digest.parse(self.driver.get_content(layout.tag_file(name, reference)).decode())
            except PathNotFound as exc:
                self._require_repository(name)
                raise RegistryError("MANIFEST_UNKNOWN", detail={"tag": reference}) from exc
        media = self._revision(name, digest)
        if media is None:
            self._require_repository(name)
            raise RegistryError("MANIFEST_UNKNOWN", detail={"digest": str(digest)})
        return digest, media

    def _revision(self, name: str, digest: Digest) -> str | None:
        try:
            info = json.loads(self.driver.get_content(layout.revision_link(name, digest)))
        except PathNotFound:
            return None
        return str(info.get("mediaType", ""))

    def get(self, name: str, reference: str) -> StoredManifest:
        digest, media = self.resolve(name, reference)
        try:
            body = self.blobs.read(digest)
        except RegistryError as exc:
            raise RegistryError("MANIFEST_UNKNOWN", detail={"digest": str(digest)}) from exc
        return StoredManifest(digest, media, body)

    def tags(self, name: str) -> list[str]:
        self._require_repository(name)
        try:
            paths = self.driver.list(layout.tags_dir(name))
        except PathNotFound:
            return []
        return sorted(p.rsplit("/", 1)[-1] for p in paths)

    def referrers(self, name: str, subject: Digest, artifact_type: str | None = None) -> list[dict[str, Any]]:
        """Descriptors of the manifests in ``name`` whose subject is ``subject``."""
        out: list[dict[str, Any]] = []
        try:
            links = list(self.driver.walk(layout.referrers_dir(name, subject)))
        except PathNotFound:
            return out
        for info in links:
            try:
                entry = json.loads(self.driver.get_content(info.path))
                referrer = Digest.parse(entry["digest"])
            except (PathNotFound, ValueError, KeyError, RegistryError):
                continue
            if self._revision(name, referrer) is None:
                continue  # the referrer was deleted after its link was listed
            if artifact_type is not None and entry.get("artifactType") != artifact_type:
                continue
            out.append(entry)
        return sorted(out, key=lambda e: e["digest"])

    # -- writing --------------------------------------------------------------

    def put(self, name: str, reference: str, body: bytes, content_type: str | None) -> PutResult:
        """Verify and store a pushed manifest, then point ``reference`` at it."""
        tag: str | None = None
        if Digest.is_digest(reference):
            wanted = Digest.parse(reference)
            digest = compute(body, wanted.algorithm)
            if digest != wanted:
                raise RegistryError(
                    "DIGEST_INVALID", detail={"expected": str(wanted), "actual": str(digest)}
                )
        else:
            tag = validate_tag(reference)
            digest = compute(body)
        parsed = parse_manifest(body, content_type)
        self._check_references(name, parsed)

        self.blobs.put(digest, body)
        revision = {"digest": str(digest), "mediaType": parsed.mediaType}
        self.driver.put_content(layout.revision_link(name, digest), json.dumps(revision).encode())
        if tag is not None:
            self.driver.put_content(layout.tag_file(name, tag), str(digest).encode())
        if parsed.subject is not None:
            entry = parsed.referrer_descriptor(digest, len(body))
            link = layout.referrer_link(name, parsed.subject.digest, digest)
            self.driver.put_content(link, json.dumps(entry).encode())
        return PutResult(digest, parsed)

    def _check_references(self, name: str, parsed: ParsedManifest) -> None:
        missing: list[str] = []
        for blob in parsed.blobs:
            if blob.urls and not self.blobs.linked(name, blob.digest):
                continue  # a foreign layer: clients fetch it from its urls
            if not self.blobs.linked(name, blob.digest) or self.blobs.size(blob.digest) is None:
                missing.append(str(blob.digest))
        for child in parsed.manifests:
            if self._revision(name, child.digest) is None:
                missing.append(str(child.digest))
        if missing:
            raise RegistryError(
                "MANIFEST_BLOB_UNKNOWN",
                f"manifest references unknown content: {', '.join(missing)}",
                detail={"digests": missing},
            )

    def delete(self, name: str, reference: str) -> None:
        """Delete a tag, or a manifest with every tag and referrer entry that names it."""
        if not Digest.is_digest(reference):
            validate_tag(reference)
            try:
                self.driver.delete(layout.tag_file(name, reference))
            except PathNotFound as exc:
                self._require_repository(name)
                raise RegistryError("MANIFEST_UNKNOWN", detail={"tag": reference}) from exc
            return
        digest = Digest.parse(reference)
        media = self._revision(name, digest)
        if media is None:
            self._require_repository(name)
            raise RegistryError("MANIFEST_UNKNOWN", detail={"digest": str(digest)})
        for tag in self.tags(name):
            try:
                if self.driver.get_content(layout.tag_file(name, tag)).decode() == str(digest):
                    self.driver.delete(layout.tag_file(name, tag))
            except PathNotFound:
                continue
        try:
            parsed = parse_manifest(self.blobs.read(digest), media)
        except RegistryError:
            parsed = None
        if parsed is not None and parsed.subject is not None:
            try:
                self.driver.delete(layout.referrer_link(name, parsed.subject.digest, digest))
            except PathNotFound:
                pass
        self.driver.delete(layout.revision_link(name, digest))
