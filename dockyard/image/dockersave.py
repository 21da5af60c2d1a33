"""``docker save``: images as a docker-archive tar with an OCI layout (the layout is drawn in
``dockyard.image.dockerarchive``, which re-exports this module's API next to ``load``).

Layers travel uncompressed, as Docker writes them: each blob is decompressed into a temp
file (its digest checked against the diff_id on the way, so a damaged store never exports
a layer that would not load) and added to the tar with its size known up front.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from dockyard import reference
from dockyard.errors import NotFound
from dockyard.image.service import ImageService
from dockyard.oci import image as oci

__all__ = ["ANNOTATION_NAME", "ANNOTATION_REF", "SaveTarget", "save_targets", "save"]

ANNOTATION_NAME = "io.containerd.image.name"
ANNOTATION_REF = "org.opencontainers.image.ref.name"


@dataclass
class SaveTarget:
    image_id: str
    tags: list[str] = field(default_factory=list)  # familiar "busybox:latest"


def save_targets(images: ImageService, names: list[str]) -> list[SaveTarget]:
    """Resolve ``names`` as Docker's save does: a repository name means all its tags,
    a tag that tag, an ID the image with no tags. Raises NotFound before anything is sent."""
    out: dict[str, SaveTarget] = {}
    for name in names:
        parsed = reference.try_parse(name)
        rec = None
        tags: list[str] = []
        if parsed is not None and not parsed.digest and ":" not in name.rsplit("/", 1)[-1]:
            repo = parsed.repository
            for r in images.list():
                mine = [t for t in r.tags if t.rsplit(":", 1)[0] == repo]
                if mine:
                    target = out.setdefault(r.id, SaveTarget(r.id))
                    for t in mine:
                        fam = reference.parse(t).familiar()
                        if fam not in target.tags:
                            target.tags.append(fam)
                    rec = r
            if rec is not None:
                continue
        rec = images.resolve(name)
        if parsed is not None and not name.startswith("sha256:") and images._is_tag(name):
            tags = [reference.parse(name).familiar()]
        target = out.setdefault(rec.id, SaveTarget(rec.id))
        for t in tags:
            if t not in target.tags:
                target.tags.append(t)
    return list(out.values())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    tar.addfile(info)


def _plain_layer(images: ImageService, blob: str, diff_id: str, tmp_dir: str) -> tuple[str, bool]:
    """A path to the layer as an uncompressed tar (and whether it is a temp file)."""
    from dockyard.image.archive import HashingReader, open_decompressed

    path = str(images.content.path(blob))
    with open(path, "rb") as f:
        raw = HashingReader(f)
        head = raw.peek(6)
        from dockyard.image.archive import detect_compression
        if detect_compression(head) == "none":
            if "sha256:" + _sha256_file(path) != diff_id:
                raise NotFound(f"layer {diff_id}: stored blob does not match")
            return path, False
        plain = open_decompressed(raw, "auto")
        fd, tmp = tempfile.mkstemp(prefix="save-", dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := plain.read(1 << 20):
                    out.write(chunk)
            if plain.hexdigest() != diff_id:
                raise NotFound(f"layer {diff_id}: stored blob does not match")
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp, True


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def save(images: ImageService, targets: list[SaveTarget], out: BinaryIO, tmp_dir: str) -> None:
    """Write ``targets`` to ``out`` as one docker-archive tar (layout in the module doc)."""
    from dockyard.image.archive import HashingWriter

    tar = tarfile.TarFile(fileobj=HashingWriter(out), mode="w", format=tarfile.PAX_FORMAT)  # type: ignore[arg-type]
    written: set[str] = set()
    manifest_json: list[dict[str, Any]] = []
    index: list[dict[str, Any]] = []
    repositories: dict[str, dict[str, str]] = {}
    saved_ids = {t.image_id for t in targets}
    with tar:
        _add_dir(tar, "blobs")
        _add_dir(tar, "blobs/sha256")
        for t in targets:
            raw = images.content.read(t.image_id)
            cfg = json.loads(raw)
            hexid = t.image_id.split(":", 1)[1]
            if hexid not in written:
                _add_bytes(tar, f"blobs/sha256/{hexid}", raw)
                written.add(hexid)
            diff_ids = list(cfg.get("rootfs", {}).get("diff_ids") or [])
            layers = images.layers(t.image_id)
            layer_descs = []
            for diff_id, ref in zip(diff_ids, layers):
                lhex = diff_id.split(":", 1)[1]
                if not ref.blob:
                    raise NotFound(f"layer {diff_id} of {t.image_id} has no stored blob")
                path, temp = _plain_layer(images, ref.blob, diff_id, tmp_dir)
                try:
                    size = os.path.getsize(path)
                    if lhex not in written:
                        info = tarfile.TarInfo(f"blobs/sha256/{lhex}")
                        info.size, info.mode = size, 0o644
                        with open(path, "rb") as f:
                            tar.addfile(info, f)
                        written.add(lhex)
                finally:
                    if temp:
                        os.unlink(path)
                layer_descs.append({"mediaType": oci.MEDIA_OCI_LAYER, "digest": diff_id,
                                    "size": size})
            man = {"schemaVersion": 2, "mediaType": oci.MEDIA_OCI_MANIFEST,
                   "config": {"mediaType": oci.MEDIA_OCI_CONFIG, "digest": t.image_id,
                              "size": len(raw)},
                   "layers": layer_descs}
            man_raw = json.dumps(man, separators=(",", ":")).encode()
            man_hex = hashlib.sha256(man_raw).hexdigest()
            if man_hex not in written:
                _add_bytes(tar, f"blobs/sha256/{man_hex}", man_raw)
                written.add(man_hex)
            desc = {"mediaType": oci.MEDIA_OCI_MANIFEST, "digest": "sha256:" + man_hex,
                    "size": len(man_raw)}
            if not t.tags:
                index.append(desc)
            for tag in t.tags:
                full = reference.parse(tag)
                index.append({**desc, "annotations": {ANNOTATION_NAME: str(full),
                                                      ANNOTATION_REF: full.tag or "latest"}})
                repo, _, tg = tag.rpartition(":")
                top = diff_ids[-1].split(":", 1)[1] if diff_ids else hexid
                repositories.setdefault(repo, {})[tg] = top
            item: dict[str, Any] = {
                "Config": f"blobs/sha256/{hexid}", "RepoTags": t.tags or None,
                "Layers": [f"blobs/sha256/{d.split(':', 1)[1]}" for d in diff_ids]}
            parent = images.get(t.image_id).parent
            if parent and parent in saved_ids:  # as moby: only a parent that travels along
                item["Parent"] = parent
            manifest_json.append(item)
        _add_bytes(tar, "index.json", json.dumps(
            {"schemaVersion": 2, "mediaType": oci.MEDIA_OCI_INDEX, "manifests": index},
            separators=(",", ":")).encode())
        _add_bytes(tar, "manifest.json", json.dumps(manifest_json, separators=(",", ":")).encode())
        _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        if repositories:
            _add_bytes(tar, "repositories", json.dumps(repositories, separators=(",", ":")).encode())


