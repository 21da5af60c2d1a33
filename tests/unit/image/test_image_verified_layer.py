"""``ImageService.add_verified_layer``: a layer unpacked while its blob streams in is kept only
if the blob is the digest it was asked for; a tampered one leaves neither blob nor snapshot."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import threading
from pathlib import Path

import pytest

from dockyard.image.service import ImageService
from dockyard.registry.client.pull import _Pipe
from dockyard.store.content import ContentStore, DigestMismatch
from dockyard.store.metadata import Metadata
from dockyard.store.snapshots import Snapshotter


def _layer(payload: bytes) -> tuple[bytes, str, str]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("data/payload.bin")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    gz = gzip.compress(tar_bytes, compresslevel=1, mtime=0)
    return (gz, "sha256:" + hashlib.sha256(gz).hexdigest(),
            "sha256:" + hashlib.sha256(tar_bytes).hexdigest())


def _images(root: Path) -> ImageService:
    meta = Metadata(root / "db")
    return ImageService(ContentStore(root / "content"), meta, Snapshotter(root, meta))


def _state(images: ImageService) -> tuple[set[str], set[str], list[str]]:
    snaps = {e for e in os.listdir(images.snapshots.root)}
    return set(images.content.list()), snaps, [s.chain_id for s in images.snapshots.all()]


def _piped(data: bytes) -> _Pipe:
    """A pipe fed from another thread in 64 KiB pieces, as a download feeds it."""
    pipe = _Pipe(limit=2)

    def feed() -> None:
        for i in range(0, len(data), 1 << 16):
            pipe.put([data[i:i + (1 << 16)]])
        pipe.close()

    threading.Thread(target=feed, daemon=True).start()
    return pipe


def test_a_streamed_layer_is_kept_with_its_blob(tmp_path: Path) -> None:
    images = _images(tmp_path)
    gz, digest, diff_id = _layer(os.urandom(3 << 20))
    ref = images.add_verified_layer(None, _piped(gz), digest=digest,  # type: ignore[arg-type]
                                    diff_id=diff_id)
    assert ref.blob == digest and ref.diff_id == diff_id
    assert images.content.read(digest) == gz
    snap = images.snapshots.get(diff_id)
    assert snap is not None and snap.blob == digest
    assert not os.listdir(images.content.root / "ingest")


@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_tampered_blob_leaves_nothing(tmp_path: Path, where: str) -> None:
    images = _images(tmp_path)
    gz, digest, diff_id = _layer(os.urandom(1 << 20))
    bad = bytearray(gz)
    # the middle breaks the gzip stream (crc) before the blob ends; the end only the digest
    bad[len(bad) // 2 if where == "middle" else len(bad) - 1] ^= 0xFF
    before = _state(images)
    with pytest.raises(DigestMismatch):
        images.add_verified_layer(None, _piped(bytes(bad)),  # type: ignore[arg-type]
                                  digest=digest, diff_id=diff_id)
    assert _state(images) == before
    assert not os.listdir(images.content.root / "ingest")


def test_a_failed_download_leaves_nothing(tmp_path: Path) -> None:
    images = _images(tmp_path)
    gz, digest, diff_id = _layer(os.urandom(1 << 20))
    pipe = _Pipe()
    pipe.put([gz[: len(gz) // 2]])
    pipe.close(ConnectionResetError("cut"))
    before = _state(images)
    with pytest.raises(ConnectionResetError):
        images.add_verified_layer(None, pipe, digest=digest,  # type: ignore[arg-type]
                                  diff_id=diff_id)
    assert _state(images) == before


def test_a_wrong_diff_id_leaves_nothing(tmp_path: Path) -> None:
    images = _images(tmp_path)
    gz, digest, _ = _layer(os.urandom(1 << 20))
    before = _state(images)
    with pytest.raises(Exception, match="diff_id mismatch"):
        images.add_verified_layer(None, _piped(gz), digest=digest,  # type: ignore[arg-type]
                                  diff_id="sha256:" + "0" * 64)
    assert _state(images) == before
