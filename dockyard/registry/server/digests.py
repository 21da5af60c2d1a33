"""Content digests (``sha256:<hex>``, ``sha512:<hex>``): parsing and hashing.

Why the registry keeps its own small type: every path it builds from a digest
must be safe, so a digest is only ever constructed through ``Digest.parse``,
which accepts exactly the registered algorithms with lowercase hex of the right
length (OCI image-spec, descriptor.md). Anything else is ``DIGEST_INVALID``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from .errors import RegistryError

__all__ = ["ALGORITHMS", "Digest", "Hasher", "compute", "new_hasher"]

#: algorithm → length of its lowercase hex encoding
ALGORITHMS: dict[str, int] = {"sha256": 64, "sha512": 128}

_GRAMMAR = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


class Hasher(Protocol):
    """The part of ``hashlib``'s interface the upload path uses."""

    def update(self, data: bytes | bytearray, /) -> None: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> Hasher: ...


@dataclass(frozen=True, order=True)
class Digest:
    """A validated digest; ``str(d)`` is the canonical ``algorithm:hex`` form."""

    algorithm: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse ``text`` or raise ``DIGEST_INVALID`` (400)."""
        if not text or not _GRAMMAR.fullmatch(text):
            raise RegistryError("DIGEST_INVALID", f"invalid digest {text!r}", detail={"digest": text})
        algorithm, _, encoded = text.partition(":")
        length = ALGORITHMS.get(algorithm)
        if length is None:
            raise RegistryError(
                "DIGEST_INVALID", f"unsupported digest algorithm {algorithm!r}", detail={"digest": text}
            )
        if len(encoded) != length or not re.fullmatch(r"[a-f0-9]+", encoded):
            raise RegistryError("DIGEST_INVALID", f"invalid digest {text!r}", detail={"digest": text})
        return cls(algorithm, encoded)

    @classmethod
    def is_digest(cls, text: str) -> bool:
        """True when ``text`` looks like a digest (has the ``alg:encoded`` shape)."""
        return ":" in text

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


def new_hasher(algorithm: str = "sha256") -> Hasher:
    """A fresh hasher for one of ``ALGORITHMS``."""
    if algorithm not in ALGORITHMS:
        raise RegistryError("DIGEST_INVALID", f"unsupported digest algorithm {algorithm!r}")
    return hashlib.new(algorithm)


def compute(data: bytes, algorithm: str = "sha256") -> Digest:
    """The digest of ``data`` with ``algorithm``."""
    hasher = new_hasher(algorithm)
    hasher.update(data)
    return Digest(algorithm, hasher.hexdigest())
