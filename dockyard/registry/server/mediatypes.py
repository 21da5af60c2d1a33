"""Manifest media types and ``Accept`` negotiation.

Why negotiation matters: a registry stores a manifest in the exact bytes and
type it was pushed with, but an old client asking only for a Docker schema2
manifest must not be handed an OCI index it cannot parse. ``acceptable``
turns a request's ``Accept`` headers into the set of types the client can
read (``None`` meaning "anything").
"""

from __future__ import annotations

from typing import Iterable

__all__ = [
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "OCI_MANIFEST",
    "OCI_INDEX",
    "DOCKER_SCHEMA1",
    "IMAGE_MANIFESTS",
    "INDEXES",
    "MANIFEST_TYPES",
    "acceptable",
    "bare_type",
]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)

IMAGE_MANIFESTS = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
INDEXES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
MANIFEST_TYPES = IMAGE_MANIFESTS | INDEXES


def bare_type(content_type: str | None) -> str:
    """``content_type`` without parameters, lowercased ("a/b; charset=x" → "a/b")."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def acceptable(accept_headers: Iterable[str]) -> frozenset[str] | None:
    """The media types a client accepts, or ``None`` when it accepts anything.

    Several ``Accept`` headers are merged (Docker sends one per type). Entries
    with ``q=0`` are refused types and left out; ``*/*`` or no header at all
    means anything goes.
    """
    types: set[str] = set()
    seen_any = False
    for header in accept_headers:
        for item in header.split(","):
            item = item.strip()
            if not item:
                continue
            seen_any = True
            media, *params = [part.strip() for part in item.split(";")]
            if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
                continue
            media = media.lower()
            if media in ("*/*", "application/*"):
                return None
            types.add(media)
    if not seen_any:
        return None
    return frozenset(types)
