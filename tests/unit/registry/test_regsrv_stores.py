"""Upload, blob and manifest stores over both drivers (no HTTP)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterator

import pytest

from dockyard.registry.server import layout
from dockyard.registry.server.blobs import BlobStore
from dockyard.registry.server.digests import Digest, compute
from dockyard.registry.server.errors import RegistryError
from dockyard.registry.server.gc import collect
from dockyard.registry.server.manifests import ManifestStore
from dockyard.registry.server.storage import LocalDriver, MemoryDriver, StorageDriver
from dockyard.registry.server.uploads import UploadStore


@pytest.fixture(params=["local", "memory"])
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageDriver]:
    yield LocalDriver(tmp_path / "root") if request.param == "local" else MemoryDriver()


def _upload(uploads: UploadStore, name: str, chunks: list[bytes], digest: Digest) -> int:
    status = uploads.start(name)
    for chunk in chunks:
        session = uploads.open(name, status.uuid)
        session.write(chunk)
        session.commit()
        session.close()
    session = uploads.open(name, status.uuid)
    session.close()
    return uploads.finish(session, digest)


def test_upload_resume_after_restart_and_publish(driver: StorageDriver) -> None:
    blobs = BlobStore(driver)
    uploads = UploadStore(driver, blobs)
    status = uploads.start("a/b")
    session = uploads.open("a/b", status.uuid)
    session.write(b"part one, ")
    session.commit()
    session.close()
    # a new store instance has no cached hash: it rehashes the committed data
    uploads2 = UploadStore(driver, blobs)
    assert uploads2.status("a/b", status.uuid).offset == 10
    session = uploads2.open("a/b", status.uuid)
    session.write(b"part two")
    session.commit()
    session.close()
    data = b"part one, part two"
    assert uploads2.finish(session, compute(data)) == len(data)
    assert blobs.stat_in("a/b", compute(data)) == len(data)
    with pytest.raises(RegistryError):
        uploads2.status("a/b", status.uuid)


def test_upload_wrong_repository_or_uuid_is_unknown(driver: StorageDriver) -> None:
    uploads = UploadStore(driver, BlobStore(driver))
    status = uploads.start("a")
    for name, uuid in (("b", status.uuid), ("a", "../../etc"), ("a", "0" * 36)):
        with pytest.raises(RegistryError) as info:
            uploads.status(name, uuid)
        assert info.value.code == "BLOB_UPLOAD_UNKNOWN"


def test_digest_mismatch_stores_nothing(driver: StorageDriver) -> None:
    blobs = BlobStore(driver)
    uploads = UploadStore(driver, blobs)
    with pytest.raises(RegistryError) as info:
        _upload(uploads, "a", [b"real data"], compute(b"other data"))
    assert info.value.code == "DIGEST_INVALID"
    assert blobs.size(compute(b"real data")) is None and blobs.size(compute(b"other data")) is None
    assert uploads.list() == []


def test_sha512_upload(driver: StorageDriver) -> None:
    blobs = BlobStore(driver)
    data = b"x" * 1000
    digest = Digest("sha512", hashlib.sha512(data).hexdigest())
    assert _upload(UploadStore(driver, blobs), "a", [data[:500], data[500:]], digest) == 1000
    assert blobs.read(digest) == data


def _manifest(config: bytes, layers: list[bytes], subject: Digest | None = None) -> bytes:
    doc: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": str(compute(config)),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": str(compute(x)),
                    "size": len(x)} for x in layers],
    }
    if subject is not None:
        doc["subject"] = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": str(subject), "size": 1}
    return json.dumps(doc).encode()


def test_manifests_tags_referrers_and_gc(driver: StorageDriver) -> None:
    blobs = BlobStore(driver)
    uploads = UploadStore(driver, blobs)
    manifests = ManifestStore(driver, blobs)
    for data in (b"cfg", b"layer1", b"layer2", b"orphan"):
        _upload(uploads, "r", [data], compute(data))
    body = _manifest(b"cfg", [b"layer1"])
    with pytest.raises(RegistryError) as info:
        manifests.put("r", "v1", _manifest(b"cfg", [b"missing"]), None)
    assert info.value.code == "MANIFEST_BLOB_UNKNOWN"
    result = manifests.put("r", "v1", body, "application/vnd.oci.image.manifest.v1+json")
    assert manifests.get("r", "v1").body == body
    assert manifests.tags("r") == ["v1"]
    signature = _manifest(b"cfg", [b"layer2"], subject=result.digest)
    sig = manifests.put("r", str(compute(signature)), signature, None)
    assert [e["digest"] for e in manifests.referrers("r", result.digest)] == [str(sig.digest)]
    assert manifests.catalog() == ["r"]

    report = collect(driver, dry_run=True)
    assert report.deleted == [str(compute(b"orphan"))]
    report = collect(driver)
    assert blobs.size(compute(b"orphan")) is None and blobs.size(compute(b"layer2")) is not None
    # untagged: the referrer stays (it refers to a tagged manifest); after deleting
    # the tag both go.
    assert collect(driver, delete_untagged=True).manifests_deleted == 0
    manifests.delete("r", "v1")
    report = collect(driver, delete_untagged=True)
    assert report.manifests_deleted == 2
    assert blobs.size(compute(b"layer1")) is None and blobs.size(compute(b"cfg")) is None
    assert [i.path for i in driver.walk("/") if i.path.startswith(layout.BLOBS + "/")] == []


def test_streamed_writes_checkpoint(driver: StorageDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long streamed chunk commits every CHECKPOINT_BYTES, so a crash keeps most of it."""
    from dockyard.registry.server import uploads as uploads_module

    monkeypatch.setattr(uploads_module, "CHECKPOINT_BYTES", 10)
    uploads = UploadStore(driver, BlobStore(driver))
    status = uploads.start("a")
    session = uploads.open("a", status.uuid)
    session.write(b"x" * 6, checkpoint=True)
    assert session.committed == 0
    session.write(b"y" * 6, checkpoint=True)
    assert session.committed == 12
    session.write(b"z" * 3, checkpoint=True)
    session.close()  # as if the request died here: the last 3 bytes are dropped
    assert uploads.status("a", status.uuid).offset == 12
    session = uploads.open("a", status.uuid)
    session.close()
    assert uploads.finish(session, compute(b"x" * 6 + b"y" * 6)) == 12
