"""``BlobStore``: content-addressed blobs and the per-repository links to them.

A blob exists once in ``/blobs`` (see ``layout``) and is served by a
repository only when that repository links it: an upload or a cross-repository
mount creates a layer link, a manifest push creates a revision link (manifests
are blobs too). Deleting a blob through the API removes only the link; the
bytes go when garbage collection finds nothing references them.
"""

from __future__ import annotations

from typing import BinaryIO

from . import layout
from .digests import Digest
from .errors import RegistryError
from .storage import PathNotFound, StorageDriver

__all__ = ["BlobStore"]


class BlobStore:
    """Blobs in a ``StorageDriver``; every method is blocking (run it in a thread)."""

    def __init__(self, driver: StorageDriver) -> None:
        self.driver = driver

    def size(self, digest: Digest) -> int | None:
        """The blob's size if the registry holds it at all, else None."""
        try:
            return self.driver.stat(layout.blob_data(digest)).size
        except PathNotFound:
            return None

    def linked(self, name: str, digest: Digest) -> bool:
        """True if repository ``name`` may serve ``digest`` (as a layer or a manifest)."""
        for path in (layout.layer_link(name, digest), layout.revision_link(name, digest)):
            try:
                self.driver.stat(path)
                return True
            except PathNotFound:
                continue
        return False

    def stat_in(self, name: str, digest: Digest) -> int:
        """The size of a blob repository ``name`` serves, or ``BLOB_UNKNOWN``."""
        size = self.size(digest) if self.linked(name, digest) else None
        if size is None:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": str(digest)})
        return size

    def link(self, name: str, digest: Digest) -> None:
        self.driver.put_content(layout.layer_link(name, digest), str(digest).encode())

    def unlink(self, name: str, digest: Digest) -> None:
        """Remove the layer link, or raise ``BLOB_UNKNOWN`` if there is none."""
        try:
            self.driver.delete(layout.layer_link(name, digest))
        except PathNotFound as exc:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": str(digest)}) from exc

    def local_file(self, digest: Digest) -> str | None:
        return self.driver.local_file(layout.blob_data(digest))

    def open(self, digest: Digest, offset: int = 0) -> BinaryIO:
        try:
            return self.driver.reader(layout.blob_data(digest), offset)
        except PathNotFound as exc:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": str(digest)}) from exc

    def read(self, digest: Digest) -> bytes:
        try:
            return self.driver.get_content(layout.blob_data(digest))
        except PathNotFound as exc:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": str(digest)}) from exc

    def put(self, digest: Digest, content: bytes) -> None:
        """Store small, already verified content (a manifest) unless it is there."""
        if self.size(digest) is None:
            self.driver.put_content(layout.blob_data(digest), content)

    def publish(self, source: str, digest: Digest) -> None:
        """Make the verified committed file at ``source`` the blob ``digest``.

        The move is atomic, so the blob appears whole or not at all. If an
        identical blob is already there (another upload won the race), the
        source is simply dropped: both have the same bytes.
        """
        if self.size(digest) is None:
            self.driver.move(source, layout.blob_data(digest))
        else:
            self.driver.delete(source)

    def delete(self, digest: Digest) -> None:
        """Remove the blob's bytes (garbage collection only)."""
        try:
            self.driver.delete(layout.blob_dir(digest))
        except PathNotFound:
            pass
