"""dockerarchive's reading side without a daemon: hostile archives are refused by
``Archive.read`` / ``Archive.path`` / ``plan`` before anything could be stored."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from dockyard.errors import InvalidArgument
from dockyard.image.dockerarchive import Archive, plan

Entry = tuple[str, str, object]  # (kind, name, data or link target)


def _tar(entries: list[Entry]) -> io.BytesIO:
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        for kind, name, value in entries:
            ti = tarfile.TarInfo(name)
            if kind == "file":
                data = value if isinstance(value, bytes) else str(value).encode()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, str(value)
                t.addfile(ti)
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, str(value)
                t.addfile(ti)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
    bio.seek(0)
    return bio


def _layer(content: bytes = b"hello") -> bytes:
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        ti = tarfile.TarInfo("f")
        ti.size = len(content)
        t.addfile(ti, io.BytesIO(content))
    return bio.getvalue()


def _image(layer: bytes) -> tuple[bytes, str]:
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    return cfg, hashlib.sha256(cfg).hexdigest()


def _good_entries() -> list[Entry]:
    layer = _layer()
    cfg, hexid = _image(layer)
    lhex = hashlib.sha256(layer).hexdigest()
    return [
        ("dir", "blobs", None), ("dir", "blobs/sha256", None),
        ("file", f"blobs/sha256/{hexid}", cfg), ("file", f"blobs/sha256/{lhex}", layer),
        ("file", "manifest.json", json.dumps([{"Config": f"blobs/sha256/{hexid}",
                                               "RepoTags": ["x:1"],
                                               "Layers": [f"blobs/sha256/{lhex}"]}])),
    ]


def _read(tmp_path: Path, entries: list[Entry]) -> Archive:
    return Archive.read(_tar(entries), str(tmp_path))


def test_good_archive_plans(tmp_path: Path) -> None:
    arc = _read(tmp_path, _good_entries())
    try:
        plans = plan(arc)
        assert len(plans) == 1 and plans[0].tags == ["x:1"]
        assert plans[0].image_id.startswith("sha256:")
    finally:
        arc.close()
    assert not list(tmp_path.iterdir())  # close() removes the spool


@pytest.mark.parametrize("name", ["../escape", "a/../../escape", "/../../x"])
def test_member_climbing_out_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidArgument, match="escapes the archive"):
        _read(tmp_path, [*_good_entries(), ("file", name, b"x")])
    assert not list(tmp_path.iterdir())
    assert not (tmp_path.parent / "escape").exists()


def test_absolute_member_names_stay_inside(tmp_path: Path) -> None:
    arc = _read(tmp_path, [("file", "/etc/passwd", b"mine")])
    try:
        with open(arc.path("etc/passwd"), "rb") as f:
            assert f.read() == b"mine"
    finally:
        arc.close()


def test_hardlink_out_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="escapes"):
        _read(tmp_path, [("hard", "x", "../../etc/passwd")])


@pytest.mark.parametrize("target", ["/etc/passwd", "../../etc/passwd", "other"])
def test_symlinked_blob_is_refused(tmp_path: Path, target: str) -> None:
    entries = _good_entries()
    layer_name = entries[3][1]
    entries = [e for e in entries if e[1] != layer_name] + [("file", "other", _layer()),
                                                           ("sym", layer_name, target)]
    arc = _read(tmp_path, entries)
    try:
        with pytest.raises(InvalidArgument, match="symlink"):
            plan(arc)
    finally:
        arc.close()


def test_old_layout_symlinks_resolve_inside_only(tmp_path: Path) -> None:
    layer = _layer()
    cfg, hexid = _image(layer)
    man = [{"Config": f"{hexid}.json", "RepoTags": None, "Layers": ["b/layer.tar"]}]
    ok = [("file", f"{hexid}.json", cfg), ("file", "a/layer.tar", layer),
          ("sym", "b/layer.tar", "../a/layer.tar"), ("file", "manifest.json", json.dumps(man))]
    arc = _read(tmp_path, ok)
    try:
        assert len(plan(arc)) == 1
    finally:
        arc.close()
    for target in ("/a/layer.tar", "../../a/layer.tar"):
        bad = [*ok[:2], ("sym", "b/layer.tar", target), ok[3]]
        arc = _read(tmp_path, bad)
        try:
            with pytest.raises(InvalidArgument, match="outside the archive"):
                plan(arc)
        finally:
            arc.close()
    # a symlinked directory is resolved inside too
    arc = _read(tmp_path, [ok[0], ("file", "a/layer.tar", layer), ("sym", "b", "a"), ok[3]])
    try:
        assert len(plan(arc)) == 1
    finally:
        arc.close()


def test_config_digest_and_layer_count_are_checked(tmp_path: Path) -> None:
    entries = _good_entries()
    cfg_name = entries[2][1]
    tampered = [e if e[1] != cfg_name else ("file", cfg_name, e[2] + b" ") for e in entries]  # type: ignore[operator]
    arc = _read(tmp_path, tampered)
    try:
        with pytest.raises(InvalidArgument, match="does not match"):
            plan(arc)
    finally:
        arc.close()
    man = json.loads(entries[4][2])  # type: ignore[arg-type]
    man[0]["Layers"] = []
    arc = _read(tmp_path, [*entries[:4], ("file", "manifest.json", json.dumps(man))])
    try:
        with pytest.raises(InvalidArgument, match="layers listed"):
            plan(arc)
    finally:
        arc.close()


def test_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        Archive.read(io.BytesIO(b"this is not a tar" * 100), str(tmp_path))
    arc = _read(tmp_path, [("file", "hello", b"x")])
    try:
        with pytest.raises(InvalidArgument, match="no manifest.json or index.json"):
            plan(arc)
    finally:
        arc.close()


def test_oci_only_blobs_are_verified(tmp_path: Path) -> None:
    layer = _layer()
    cfg, hexid = _image(layer)
    lhex = hashlib.sha256(layer).hexdigest()
    man = json.dumps({"schemaVersion": 2, "config": {"digest": f"sha256:{hexid}", "size": len(cfg)},
                      "layers": [{"digest": f"sha256:{lhex}", "size": len(layer)}]}).encode()
    mhex = hashlib.sha256(man).hexdigest()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{mhex}",
        "annotations": {"io.containerd.image.name": "docker.io/library/oci:1"}}]}
    entries: list[Entry] = [("file", f"blobs/sha256/{hexid}", cfg),
                            ("file", f"blobs/sha256/{lhex}", layer),
                            ("file", f"blobs/sha256/{mhex}", man),
                            ("file", "index.json", json.dumps(index)),
                            ("file", "oci-layout", '{"imageLayoutVersion":"1.0.0"}')]
    arc = _read(tmp_path, entries)
    try:
        plans = plan(arc)
        assert plans[0].tags == ["docker.io/library/oci:1"]
    finally:
        arc.close()
    entries[1] = ("file", f"blobs/sha256/{lhex}", _layer(b"other"))
    arc = _read(tmp_path, entries)
    try:
        with pytest.raises(InvalidArgument, match="does not match digest"):
            plan(arc)
    finally:
        arc.close()
