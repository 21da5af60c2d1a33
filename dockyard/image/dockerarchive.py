"""``docker save`` / ``docker load``: images as a docker-archive tar (plus an OCI layout).

What ``save`` writes (Docker 25+'s layout, which Docker 20.10 reads through
``manifest.json``)::

    blobs/sha256/<config hex>      the image config, byte for byte (the ID is its digest)
    blobs/sha256/<diff_id hex>     each layer as an uncompressed tar
    blobs/sha256/<manifest hex>    an OCI manifest per image
    index.json                     OCI index: the manifests, named by annotations
    manifest.json                  [{"Config": "blobs/sha256/<hex>", "RepoTags": [...],
                                     "Layers": ["blobs/sha256/<hex>", ...]}]
    oci-layout                     {"imageLayoutVersion": "1.0.0"}
    repositories                   {"busybox": {"latest": "<top layer hex>"}}

What ``load`` reads: that, Docker 20.10's layout (``<config hex>.json``,
``<layer id>/layer.tar``, shared layers as relative symlinks, described by
``manifest.json``) and archives with only an OCI layout (``index.json``; layers may be
compressed; tags from ``io.containerd.image.name`` / ``org.opencontainers.image.ref.name``).

Safety contract of ``load`` (an archive comes from anywhere): members are never written
under their own names. Each regular file is spooled to a private temp file and looked up
through a name table, so no member can land outside the temp dir. A name that climbs out
(``../x``) is refused; a symlink is only followed when it is relative, stays inside the
archive and is not under ``blobs/`` (Docker 25 never writes those; a symlinked blob is an
attack on the digest check). Every blob named by a digest is verified, every layer must
unpack to its config's diff_id. All of this is checked *before* anything is stored; if a
layer still fails while being stored, the layers this load added are removed again, so a
refused archive leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from dockyard import reference
from dockyard.errors import InvalidArgument
from dockyard.image.dockersave import ANNOTATION_NAME, ANNOTATION_REF, SaveTarget, save, save_targets
from dockyard.image.service import ImageService
from dockyard.oci import image as oci
from dockyard.store.snapshots import chain_ids

__all__ = ["save", "load", "Archive", "ImagePlan", "plan", "SaveTarget", "save_targets"]

_HEX_RE = re.compile(r"^[a-f0-9]{64}$")
_BLOB_RE = re.compile(r"^blobs/sha256/([a-f0-9]{64})$")
_MAX_META = 16 * 1024 * 1024  # manifest.json, index.json, configs: small JSON
_MAX_LINKS = 40


def _bad(msg: str) -> InvalidArgument:
    return InvalidArgument(f"invalid archive: {msg}")


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _clean(name: str) -> str:
    """A member name relative to the archive root; one that climbs out is refused."""
    norm = posixpath.normpath(name.lstrip("/") or ".")
    if norm == ".." or norm.startswith("../"):
        raise _bad(f"path escapes the archive: {name}")
    return norm


# -- load: reading the archive -----------------------------------------------------------


class Archive:
    """An archive's members spooled to private files, looked up by cleaned name."""

    def __init__(self, tmp_dir: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="load-", dir=tmp_dir)
        self.files: dict[str, str] = {}     # member name -> spooled file
        self.links: dict[str, str] = {}     # member name -> symlink target (raw)
        self.hardlinks: dict[str, str] = {}  # member name -> member name

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    @classmethod
    def read(cls, stream: BinaryIO, tmp_dir: str) -> Archive:
        arc = cls(tmp_dir)
        try:
            try:
                tar = tarfile.open(fileobj=stream, mode="r|*")
            except tarfile.TarError as exc:
                raise _bad(f"not a tar archive: {exc}") from exc
            with tar:
                n = 0
                try:
                    for m in tar:
                        name = _clean(m.name)
                        if m.isreg():
                            n += 1
                            path = os.path.join(arc.dir, str(n))
                            src = tar.extractfile(m)
                            with open(path, "wb") as out:
                                if src is not None:
                                    shutil.copyfileobj(src, out, 1 << 20)
                            arc.files[name] = path
                            arc.links.pop(name, None)
                        elif m.issym():
                            arc.links[name] = m.linkname
                            arc.files.pop(name, None)
                        elif m.islnk():
                            arc.hardlinks[name] = _clean(m.linkname)
                        # directories and anything else carry nothing we read
                except tarfile.TarError as exc:
                    raise _bad(str(exc)) from exc
        except BaseException:
            arc.close()
            raise
        return arc

    def has(self, name: str) -> bool:
        try:
            self.path(name)
            return True
        except InvalidArgument:
            return False

    def path(self, name: str) -> str:
        """The spooled file of ``name``, following in-archive links safely."""
        cur = _clean(name)
        for _ in range(_MAX_LINKS):
            if cur in self.files:
                return self.files[cur]
            if cur in self.hardlinks:
                cur = self.hardlinks[cur]
                continue
            parts = cur.split("/")
            for i in range(len(parts), 0, -1):
                prefix = "/".join(parts[:i])
                if prefix not in self.links:
                    continue
                target = self.links[prefix]
                if prefix == "blobs" or prefix.startswith("blobs/"):
                    raise _bad(f"{prefix} is a symlink to {target} (blobs must be regular files)")
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(prefix), target))
                if target.startswith("/") or joined == ".." or joined.startswith("../"):
                    raise _bad(f"symlink {prefix} -> {target} points outside the archive")
                cur = posixpath.normpath("/".join([joined, *parts[i:]]))
                break
            else:
                raise _bad(f"{name} not found in the archive")
        raise _bad(f"too many levels of links: {name}")

    def read_json(self, name: str) -> Any:
        path = self.path(name)
        if os.path.getsize(path) > _MAX_META:
            raise _bad(f"{name} is too large")
        with open(path, "rb") as f:
            data = f.read()
        try:
            return json.loads(data)
        except ValueError as exc:
            raise _bad(f"{name}: {exc}") from exc

    def read_bytes(self, name: str) -> bytes:
        path = self.path(name)
        if os.path.getsize(path) > _MAX_META:
            raise _bad(f"{name} is too large")
        with open(path, "rb") as f:
            return f.read()

    def blob_name(self, digest: str) -> str:
        alg, _, hexd = digest.partition(":")
        if alg != "sha256" or not _HEX_RE.match(hexd):
            raise _bad(f"unsupported digest {digest!r}")
        return f"blobs/sha256/{hexd}"

    def verify(self, name: str, digest: str) -> None:
        if "sha256:" + _sha256_file(self.path(name)) != digest:
            raise _bad(f"{name}: content does not match digest {digest}")


# -- load: the plan -------------------------------------------------------------------------


@dataclass
class ImagePlan:
    """One image to load: its config bytes and, per layer, the archive member holding it."""

    config_raw: bytes
    config: dict[str, Any]
    layers: list[str]
    tags: list[str]
    parent: str | None = None

    @property
    def image_id(self) -> str:
        return "sha256:" + hashlib.sha256(self.config_raw).hexdigest()


def _check_config(cfg: Any, what: str) -> None:
    if not isinstance(cfg, dict) or not isinstance(cfg.get("rootfs"), dict):
        raise _bad(f"{what} is not an image config")
    diff_ids = cfg["rootfs"].get("diff_ids") or []
    if not isinstance(diff_ids, list) or not all(isinstance(d, str) and d.startswith("sha256:")
                                                  and _HEX_RE.match(d[7:]) for d in diff_ids):
        raise _bad(f"{what} has bad rootfs.diff_ids")


def _valid_tags(tags: Any) -> list[str]:
    out = []
    for t in tags or []:
        if not isinstance(t, str):
            raise _bad(f"bad RepoTags entry {t!r}")
        try:
            parsed = reference.parse(t)
        except Exception as exc:
            raise _bad(f"bad RepoTags entry {t!r}: {exc}") from exc
        if parsed.digest:
            raise _bad(f"RepoTags entry with a digest: {t!r}")
        out.append(t)
    return out


def _plan_manifest(arc: Archive) -> list[ImagePlan]:
    entries = arc.read_json("manifest.json")
    if not isinstance(entries, list):
        raise _bad("manifest.json is not a list")
    plans = []
    for e in entries:
        if not isinstance(e, dict) or not isinstance(e.get("Config"), str) or \
                not isinstance(e.get("Layers") or [], list):
            raise _bad("bad manifest.json entry")
        cname = e["Config"]
        raw = arc.read_bytes(cname)
        m = _BLOB_RE.match(_clean(cname)) or re.match(r"^([a-f0-9]{64})\.json$", cname)
        if m and hashlib.sha256(raw).hexdigest() != m.group(1):
            raise _bad(f"{cname}: content does not match its digest")
        try:
            cfg = json.loads(raw)
        except ValueError as exc:
            raise _bad(f"{cname}: {exc}") from exc
        _check_config(cfg, cname)
        layers = [str(x) for x in e.get("Layers") or []]
        if len(layers) != len(cfg["rootfs"].get("diff_ids") or []):
            raise _bad(f"{cname}: {len(layers)} layers listed for "
                       f"{len(cfg['rootfs'].get('diff_ids') or [])} diff_ids")
        for layer in layers:
            arc.path(layer)  # exists and is reachable safely
        parent = e.get("Parent")
        plans.append(ImagePlan(raw, cfg, layers, _valid_tags(e.get("RepoTags")),
                               parent if isinstance(parent, str) else None))
    return plans


def _manifests_of(arc: Archive, index: Any, depth: int = 0) -> list[tuple[dict[str, Any], str | None]]:
    """(manifest, tag) pairs of an OCI index, nested indexes resolved for our platform."""
    if depth > 4 or not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        raise _bad("bad index.json")
    out = []
    for desc in index["manifests"]:
        if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
            raise _bad("bad descriptor in index.json")
        ann = desc.get("annotations") or {}
        tag = ann.get(ANNOTATION_NAME)
        if not tag and reference.try_parse(ann.get(ANNOTATION_REF) or "") is not None \
                and ("/" in ann.get(ANNOTATION_REF, "") or ":" in ann.get(ANNOTATION_REF, "")):
            tag = ann.get(ANNOTATION_REF)
        name = arc.blob_name(desc["digest"])
        arc.verify(name, desc["digest"])
        doc = arc.read_json(name)
        mt = desc.get("mediaType") or doc.get("mediaType")
        if mt in (oci.MEDIA_OCI_INDEX, oci.MEDIA_DOCKER_LIST):
            plat = [d for d in doc.get("manifests", [])
                    if (d.get("platform") or {}).get("architecture") in (oci.arch(), None)
                    and (d.get("platform") or {}).get("os", "linux") == "linux"]
            for m, _ in _manifests_of(arc, {"manifests": plat[:1]}, depth + 1):
                out.append((m, tag))
        else:
            out.append((doc, tag))
    return out


def _plan_oci(arc: Archive) -> list[ImagePlan]:
    plans = []
    for man, tag in _manifests_of(arc, arc.read_json("index.json")):
        if not isinstance(man.get("config"), dict) or not isinstance(man.get("layers"), list):
            raise _bad("bad manifest in the OCI layout")
        cname = arc.blob_name(man["config"]["digest"])
        arc.verify(cname, man["config"]["digest"])
        raw = arc.read_bytes(cname)
        cfg = json.loads(raw)
        _check_config(cfg, cname)
        layers = []
        for d in man["layers"]:
            lname = arc.blob_name(d["digest"])
            arc.verify(lname, d["digest"])
            layers.append(lname)
        if len(layers) != len(cfg["rootfs"].get("diff_ids") or []):
            raise _bad(f"{cname}: {len(layers)} layers for its diff_ids")
        plans.append(ImagePlan(raw, cfg, layers, _valid_tags([tag] if tag else [])))
    return plans


def plan(arc: Archive) -> list[ImagePlan]:
    """What an archive holds, fully checked, before anything is stored."""
    if arc.has("manifest.json"):
        return _plan_manifest(arc)
    if arc.has("index.json"):
        return _plan_oci(arc)
    raise _bad("no manifest.json or index.json (not a docker save archive)")


# -- load: storing ---------------------------------------------------------------------------


def _store(images: ImageService, arc: Archive, p: ImagePlan, added: list[str]) -> str:
    diff_ids = p.config["rootfs"].get("diff_ids") or []
    parent = None
    for i, (diff_id, name, chain) in enumerate(zip(diff_ids, p.layers, chain_ids(diff_ids))):
        existed = images.snapshots.get(chain) is not None
        with open(arc.path(name), "rb") as f:
            try:
                images.add_layer(parent, f, diff_id=diff_id)
            except InvalidArgument as exc:
                if "diff_id mismatch" in str(exc):
                    raise _bad(f"invalid diffID for layer {i}: {exc}") from exc
                raise
        if not existed:
            added.append(chain)
        parent = chain
    return images.create(p.config, tags=p.tags, raw=p.config_raw, parent=p.parent)


def load(images: ImageService, stream: BinaryIO, tmp_dir: str) -> tuple[list[str], list[str]]:
    """Load every image of the archive read from ``stream``; returns Docker's messages and
    the loaded image IDs."""
    arc = Archive.read(stream, tmp_dir)
    try:
        plans = plan(arc)
        if not plans:
            raise _bad("no images in the archive")
        _check_parents(plans)
        messages: list[str] = []
        loaded: list[str] = []
        added: list[str] = []
        try:
            for p in plans:
                before = {t: images.resolve_id(t) for t in p.tags}
                image_id = _store(images, arc, p, added)
                loaded.append(image_id)
                for t in p.tags:
                    old = before[t]
                    if old and old != image_id:
                        messages.append(f"The image {reference.parse(t).familiar()} already "
                                        f"exists, renaming the old one with ID {old} to "
                                        f"empty string")
                    messages.append(f"Loaded image: {reference.parse(t).familiar()}")
                if not p.tags:
                    messages.append(f"Loaded image ID: {image_id}")
        except BaseException:
            _discard(images, added)
            raise
        return messages, loaded
    finally:
        arc.close()


def _check_parents(plans: list[ImagePlan]) -> None:
    """Keep a ``Parent`` link only to an image of the same archive whose layers it extends
    (moby's validatedParentLinks)."""
    by_id = {p.image_id: p for p in plans}
    for p in plans:
        parent = by_id.get(p.parent or "")
        if parent is None:
            p.parent = None
            continue
        mine = p.config["rootfs"].get("diff_ids") or []
        theirs = parent.config["rootfs"].get("diff_ids") or []
        if mine[: len(theirs)] != theirs or len(mine) > len(theirs) + 1:
            p.parent = None


def _discard(images: ImageService, chains: list[str]) -> None:
    """Remove layers this load added that no image uses (a refused archive stores nothing)."""
    needed = images._needed_chains()
    for chain in reversed(chains):
        if chain in needed:
            continue
        snap = images.snapshots.get(chain)
        images.snapshots.remove(chain)
        if snap and snap.blob:
            images.content.delete(snap.blob)
