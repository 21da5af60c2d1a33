"""Content digests (``sha256:<hex>``), the identity of every blob, layer and image.

Why a module of its own: digests are validated by one rule everywhere (store paths are
built from them, so an unvalidated digest would be a path-traversal hole).
"""

from __future__ import annotations

import hashlib
import re

from dockyard.errors import InvalidArgument

__all__ = ["Digest", "parse", "sha256_bytes", "is_digest", "short_id"]

_DIGEST_RE = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


class Digest(str):
    """A validated digest string; ``algorithm`` and ``hex`` split it."""

    @property
    def algorithm(self) -> str:
        return self.split(":", 1)[0]

    @property
    def hex(self) -> str:
        return self.split(":", 1)[1]


def is_digest(value: str) -> bool:
    return bool(_DIGEST_RE.match(value))


def parse(value: str) -> Digest:
    """Validate ``value`` as ``algorithm:hex``; raise InvalidArgument otherwise."""
    if not _DIGEST_RE.match(value):
        raise InvalidArgument(f"invalid digest: {value!r}")
    return Digest(value)


def sha256_bytes(data: bytes) -> Digest:
    return Digest("sha256:" + hashlib.sha256(data).hexdigest())


def short_id(value: str) -> str:
    """The 12-hex form Docker prints for ids (``sha256:`` stripped)."""
    return value.split(":", 1)[-1][:12]
