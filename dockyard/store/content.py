"""The content store: blobs by digest, written crash-safely.

Vocabulary (as containerd's content store):

- *ingest*: a write in progress, a temp file under ``ingest/`` that nobody can read by digest;
- *commit*: verify the digest of what was written, fsync, then rename into ``blobs/`` —
  the only moment a blob becomes visible, so a crash leaves either nothing or the whole blob;
- *blob*: immutable content at ``blobs/<alg>/<hex>``.

On-disk layout::

    <root>/content/
      blobs/sha256/<hex>        committed, immutable, verified
      ingest/<random>           writes in progress; removed when the store opens

Example::

    with store.writer() as w:
        w.write(b"...")
        digest = w.commit(expected=None)   # verified, visible from here on
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO, Iterator

from dockyard import digest as digests
from dockyard.errors import InvalidArgument, NotFound

__all__ = ["ContentStore", "DigestMismatch", "Writer"]


class DigestMismatch(InvalidArgument):
    """What was written does not hash to the digest the commit expected (nothing is stored)."""


class Writer:
    """An ingest: bytes go to a temp file while the digest is computed."""

    def __init__(self, store: ContentStore) -> None:
        self._store = store
        self.path = store.root / "ingest" / secrets.token_hex(16)
        self._file: BinaryIO = open(self.path, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self._done = False

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    @property
    def digest(self) -> digests.Digest:
        """The digest of what was written so far."""
        return digests.Digest("sha256:" + self._hash.hexdigest())

    @property
    def done(self) -> bool:
        """Committed or aborted: nothing more can be written."""
        return self._done

    def commit(self, expected: str | None = None) -> digests.Digest:
        """Verify, fsync and publish the blob; returns its digest.

        A mismatch with ``expected`` aborts the ingest and raises ``DigestMismatch``.
        """
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        actual = digests.Digest("sha256:" + self._hash.hexdigest())
        if expected is not None and expected != actual:
            self.abort()
            raise DigestMismatch(f"digest mismatch: expected {expected}, got {actual}")
        target = self._store.path(actual)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        self._done = True
        return actual

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)
        self._done = True

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._done:
            self.abort()


class ContentStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        ingest = self.root / "ingest"
        # Half-done writes from a crashed process are never visible: drop them.
        shutil.rmtree(ingest, ignore_errors=True)
        ingest.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        d = digests.parse(digest)
        return self.root / "blobs" / d.algorithm / d.hex

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def size(self, digest: str) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError as exc:
            raise NotFound(f"blob {digest} not found") from exc

    def writer(self) -> Writer:
        return Writer(self)

    def put(self, data: bytes, expected: str | None = None) -> digests.Digest:
        with self.writer() as w:
            w.write(data)
            return w.commit(expected)

    def ingest_stream(self, stream: BinaryIO, expected: str | None = None) -> digests.Digest:
        with self.writer() as w:
            while chunk := stream.read(1 << 20):
                w.write(chunk)
            return w.commit(expected)

    def read(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"blob {digest} not found") from exc

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError as exc:
            raise NotFound(f"blob {digest} not found") from exc

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def list(self) -> Iterator[digests.Digest]:
        base = self.root / "blobs" / "sha256"
        for entry in os.scandir(base):
            yield digests.Digest("sha256:" + entry.name)
