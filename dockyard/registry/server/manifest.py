"""Parsing pushed manifests into what the registry needs to know about them.

The registry stores manifests byte for byte; it parses them only to learn
(1) their media type, (2) the descriptors they reference — which must already
exist in the repository (``MANIFEST_BLOB_UNKNOWN`` otherwise) and which garbage
collection marks — and (3) the OCI 1.1 ``subject`` with the ``artifactType``
and ``annotations`` the referrers API reports.

Worked example::

    m = parse_manifest(body, "application/vnd.oci.image.manifest.v1+json")
    m.blobs        # config + layers: must be blobs linked in the repository
    m.manifests    # an index's children: must be manifests of the repository
    m.subject      # Descriptor or None
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import mediatypes as mt
from .digests import Digest
from .errors import RegistryError

__all__ = ["Descriptor", "ParsedManifest", "parse_manifest"]


@dataclass(frozen=True)
class Descriptor:
    """An OCI descriptor, with the spec's field names."""

    mediaType: str
    digest: Digest
    size: int
    urls: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, value: Any, where: str) -> Descriptor:
        if not isinstance(value, dict):
            raise RegistryError("MANIFEST_INVALID", f"{where}: descriptor must be an object")
        try:
            digest = Digest.parse(str(value.get("digest", "")))
        except RegistryError as exc:
            raise RegistryError("MANIFEST_INVALID", f"{where}: {exc.message}") from exc
        size = value.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RegistryError("MANIFEST_INVALID", f"{where}: descriptor size must be a non-negative integer")
        media = value.get("mediaType", "")
        if not isinstance(media, str):
            raise RegistryError("MANIFEST_INVALID", f"{where}: mediaType must be a string")
        urls = value.get("urls") or ()
        if not isinstance(urls, (list, tuple)):
            raise RegistryError("MANIFEST_INVALID", f"{where}: urls must be a list")
        return cls(media, digest, size, tuple(str(u) for u in urls))


@dataclass(frozen=True)
class ParsedManifest:
    """What the registry learned from one manifest document."""

    mediaType: str
    blobs: tuple[Descriptor, ...] = ()
    manifests: tuple[Descriptor, ...] = ()
    subject: Descriptor | None = None
    artifactType: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    platforms: tuple[dict[str, Any] | None, ...] = ()

    @property
    def is_index(self) -> bool:
        return self.mediaType in mt.INDEXES

    def referrer_descriptor(self, digest: Digest, size: int) -> dict[str, Any]:
        """This manifest as an entry of a referrers list (spec "Listing Referrers").

        ``artifactType`` falls back to the config's media type for image
        manifests and is omitted for indexes without one.
        """
        entry: dict[str, Any] = {"mediaType": self.mediaType, "digest": str(digest), "size": size}
        if self.artifactType:
            entry["artifactType"] = self.artifactType
        if self.annotations:
            entry["annotations"] = dict(self.annotations)
        return entry


def _detect_type(doc: dict[str, Any], content_type: str) -> str:
    declared = doc.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise RegistryError("MANIFEST_INVALID", "mediaType must be a string")
    if declared and content_type and content_type not in ("application/json", "application/octet-stream"):
        if declared != content_type:
            raise RegistryError(
                "MANIFEST_INVALID",
                f"manifest mediaType {declared!r} does not match Content-Type {content_type!r}",
            )
    media = declared or content_type
    if media in ("", "application/json", "application/octet-stream"):
        # OCI manifests may omit mediaType; tell them apart by their fields.
        if "manifests" in doc:
            return mt.OCI_INDEX
        if "config" in doc or "layers" in doc:
            return mt.OCI_MANIFEST
        raise RegistryError("MANIFEST_INVALID", "cannot tell the manifest's media type")
    if media in mt.DOCKER_SCHEMA1:
        raise RegistryError("MANIFEST_INVALID", "Docker schema1 manifests are not supported")
    if media not in mt.MANIFEST_TYPES:
        raise RegistryError("MANIFEST_INVALID", f"unsupported manifest media type {media!r}")
    return media


def _annotations(doc: dict[str, Any]) -> dict[str, str]:
    value = doc.get("annotations") or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise RegistryError("MANIFEST_INVALID", "annotations must map strings to strings")
    return {str(k): v for k, v in value.items()}


def parse_manifest(body: bytes, content_type: str | None) -> ParsedManifest:
    """Parse and validate ``body``; raise ``MANIFEST_INVALID`` when it is not a manifest."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryError("MANIFEST_INVALID", f"manifest is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise RegistryError("MANIFEST_INVALID", "manifest must be a JSON object")
    if doc.get("schemaVersion") != 2:
        raise RegistryError("MANIFEST_INVALID", "schemaVersion must be 2")
    media = _detect_type(doc, mt.bare_type(content_type))
    subject = Descriptor.from_json(doc["subject"], "subject") if doc.get("subject") is not None else None
    artifact = doc.get("artifactType")
    if artifact is not None and not isinstance(artifact, str):
        raise RegistryError("MANIFEST_INVALID", "artifactType must be a string")
    annotations = _annotations(doc)

    if media in mt.INDEXES:
        raw = doc.get("manifests")
        if not isinstance(raw, list):
            raise RegistryError("MANIFEST_INVALID", "index must have a manifests list")
        children = tuple(Descriptor.from_json(d, f"manifests[{i}]") for i, d in enumerate(raw))
        platforms = tuple(d.get("platform") if isinstance(d.get("platform"), dict) else None for d in raw)
        return ParsedManifest(media, (), children, subject, artifact or None, annotations, platforms)

    config_raw = doc.get("config")
    if config_raw is None:
        raise RegistryError("MANIFEST_INVALID", "image manifest must have a config descriptor")
    config = Descriptor.from_json(config_raw, "config")
    layers_raw = doc.get("layers", [])
    if not isinstance(layers_raw, list):
        raise RegistryError("MANIFEST_INVALID", "layers must be a list")
    layers = tuple(Descriptor.from_json(d, f"layers[{i}]") for i, d in enumerate(layers_raw))
    return ParsedManifest(media, (config, *layers), (), subject, artifact or config.mediaType or None, annotations)
