"""``UploadStore``: blob upload sessions that survive a server restart.

Lifecycle of one session (the spec's POST → PATCH… → PUT)::

    status = uploads.start("library/busybox")          # POST: /uploads/<uuid>/{info,data}
    session = uploads.open("library/busybox", status.uuid)
    session.write(chunk); session.commit()             # PATCH: durable, offset advances
    session.close()
    uploads.finish(session, Digest.parse("sha256:…"))  # PUT: verify, publish, link

Why it is crash safe: the data file is written with the driver's append
writer, so only committed bytes count and the tail of a chunk interrupted by
``kill -9`` is dropped when the session is reopened. The session's offset *is*
the committed size, so after a restart ``GET <location>`` reports exactly what
can be resumed. The blob becomes visible only in ``finish``, after the digest
of the whole content has been checked, by an atomic move.

Hashing: sha256 is computed while the bytes arrive and the hasher is cached
per session, keyed by the offset it covers; after a restart (or for a sha512
digest) the committed data is re-read once to rebuild it.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass

from . import layout
from .blobs import BlobStore
from .digests import Digest, Hasher, new_hasher
from .errors import RegistryError
from .storage import FileWriter, PathNotFound, StorageDriver

__all__ = ["UploadStatus", "UploadSession", "UploadStore", "CHECKPOINT_BYTES"]

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_READ_SIZE = 1 << 20

#: A long streamed chunk is committed every this many bytes, so a crash in the
#: middle of a large PATCH still leaves most of it resumable.
CHECKPOINT_BYTES = 64 << 20


@dataclass(frozen=True)
class UploadStatus:
    uuid: str
    repository: str
    offset: int
    started: float


class UploadSession:
    """An open upload: a driver append writer plus the running sha256.

    Not thread safe; the HTTP layer holds one lock per upload so that only one
    request writes a session at a time. Every method blocks (run in a thread).
    """

    def __init__(self, store: UploadStore, status: UploadStatus, writer: FileWriter, hasher: Hasher) -> None:
        self.store = store
        self.status = status
        self._writer = writer
        self._hasher = hasher
        self._committed = writer.size
        self._hashed = writer.size

    @property
    def uuid(self) -> str:
        return self.status.uuid

    @property
    def size(self) -> int:
        """Bytes in the session including those not yet committed."""
        return self._writer.size

    @property
    def committed(self) -> int:
        return self._committed

    def write(self, data: bytes | bytearray, *, checkpoint: bool = False) -> None:
        self._writer.write(data)
        self._hasher.update(data)
        self._hashed += len(data)
        if checkpoint and self._writer.size - self._committed >= CHECKPOINT_BYTES:
            self.commit()

    def commit(self) -> None:
        self._writer.commit()
        self._committed = self._writer.size
        self.store._remember(self.uuid, self._committed, self._hasher)

    def close(self) -> None:
        """Release the writer; uncommitted bytes are dropped (and the cached hash kept valid)."""
        self._writer.close()

    def sha256(self) -> str | None:
        """The sha256 of the committed content, if the running hash covers exactly it."""
        if self._hashed != self._committed:
            return None
        return self._hasher.copy().hexdigest()


class UploadStore:
    """Upload sessions in a ``StorageDriver``; see the module docstring."""

    def __init__(self, driver: StorageDriver, blobs: BlobStore) -> None:
        self.driver = driver
        self.blobs = blobs
        self._hashes: dict[str, tuple[int, Hasher]] = {}
        self._lock = threading.Lock()

    def _remember(self, uuid: str, offset: int, hasher: Hasher) -> None:
        with self._lock:
            self._hashes[uuid] = (offset, hasher.copy())

    def _forget(self, uuid: str) -> None:
        with self._lock:
            self._hashes.pop(uuid, None)

    def start(self, name: str) -> UploadStatus:
        uuid = str(uuidlib.uuid4())
        started = time.time()
        info = json.dumps({"repository": name, "started": started}).encode()
        writer = self.driver.writer(layout.upload_data(uuid), append=True)
        writer.commit()
        writer.close()
        self.driver.put_content(layout.upload_info(uuid), info)
        self._remember(uuid, 0, new_hasher("sha256"))
        return UploadStatus(uuid, name, 0, started)

    def status(self, name: str, uuid: str) -> UploadStatus:
        """The session's committed state, or ``BLOB_UPLOAD_UNKNOWN``."""
        unknown = RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": uuid})
        if not _UUID_RE.match(uuid):
            raise unknown
        try:
            info = json.loads(self.driver.get_content(layout.upload_info(uuid)))
            size = self.driver.stat(layout.upload_data(uuid)).size
        except (PathNotFound, ValueError) as exc:
            raise unknown from exc
        if info.get("repository") != name:
            raise unknown
        return UploadStatus(uuid, name, size, float(info.get("started", 0)))

    def open(self, name: str, uuid: str) -> UploadSession:
        status = self.status(name, uuid)
        writer = self.driver.writer(layout.upload_data(uuid), append=True)
        with self._lock:
            cached = self._hashes.get(uuid)
        if cached is not None and cached[0] == writer.size:
            hasher = cached[1].copy()
        else:
            hasher = self._rehash(uuid, "sha256")
            self._remember(uuid, writer.size, hasher)
        return UploadSession(self, status, writer, hasher)

    def _rehash(self, uuid: str, algorithm: str) -> Hasher:
        hasher = new_hasher(algorithm)
        with self.driver.reader(layout.upload_data(uuid)) as stream:
            while chunk := stream.read(_READ_SIZE):
                hasher.update(chunk)
        return hasher

    def finish(self, session: UploadSession, digest: Digest) -> int:
        """Verify the committed content against ``digest``, publish it and link it.

        On a mismatch the session is discarded (its bytes can never become that
        blob) and ``DIGEST_INVALID`` is raised; nothing is stored.
        """
        uuid = session.uuid
        actual = session.sha256() if digest.algorithm == "sha256" else None
        if actual is None:
            actual = self._rehash(uuid, digest.algorithm).hexdigest()
        size = session.committed
        if actual != digest.hex:
            self.cancel(session.status.repository, uuid)
            raise RegistryError(
                "DIGEST_INVALID",
                detail={"expected": str(digest), "actual": f"{digest.algorithm}:{actual}"},
            )
        self.blobs.publish(layout.upload_data(uuid), digest)
        self.blobs.link(session.status.repository, digest)
        self._remove(uuid)
        return size

    def cancel(self, name: str, uuid: str) -> None:
        self.status(name, uuid)
        self._remove(uuid)

    def _remove(self, uuid: str) -> None:
        self._forget(uuid)
        try:
            self.driver.delete(layout.upload_dir(uuid))
        except PathNotFound:
            pass

    def list(self) -> list[UploadStatus]:
        """Every session on disk (for garbage collection of stale ones)."""
        out: list[UploadStatus] = []
        try:
            dirs = self.driver.list(layout.UPLOADS)
        except PathNotFound:
            return out
        for path in dirs:
            uuid = path.rsplit("/", 1)[-1]
            try:
                info = json.loads(self.driver.get_content(layout.upload_info(uuid)))
                size = self.driver.stat(layout.upload_data(uuid)).size
                out.append(UploadStatus(uuid, str(info.get("repository")), size, float(info.get("started", 0))))
            except (PathNotFound, ValueError):
                # A session whose start was interrupted: no info yet. Report it
                # as very old so it is collected.
                out.append(UploadStatus(uuid, "", 0, 0.0))
        return out

    def remove(self, uuid: str) -> None:
        """Drop a session without checking its repository (garbage collection)."""
        self._remove(uuid)
