"""docker save / docker load / docker history with the real docker CLI and the SDK: the
archive layout (docker-archive + OCI layout), a round trip into a second daemon, Docker
20.10's older layout, OCI-only archives, and hostile archives refused with nothing stored."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
from pathlib import Path

import docker as docker_sdk
import pytest

from engine_helpers import DOCKER_CLI, Daemon, docker, started_daemon


@pytest.fixture
def second():
    with started_daemon(busybox=False) as d:
        yield d


@pytest.fixture
def two_layer(daemon: Daemon, name: str):
    """A tagged image with two layers (busybox + a commit)."""
    docker(daemon, "run", "--name", name, "busybox", "sh", "-c", "echo layered > /layer2", check=True)
    ref = f"{name}:two"
    docker(daemon, "commit", "-m", "second layer", name, ref, check=True)
    docker(daemon, "rm", name, check=True)
    try:
        yield ref
    finally:
        docker(daemon, "rmi", "-f", ref)


def _members(data: bytes) -> dict[str, bytes]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t:
            if m.isreg():
                out[m.name] = t.extractfile(m).read()
    return out


def _tar(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        for n, data in files.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        for n, target in (links or {}).items():
            ti = tarfile.TarInfo(n)
            ti.type, ti.linkname = tarfile.SYMTYPE, target
            t.addfile(ti)
    return bio.getvalue()


def _save(d: Daemon, *refs: str) -> bytes:
    r = subprocess.run([DOCKER_CLI, "save", *refs], env=d.env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _load(d: Daemon, data: bytes) -> subprocess.CompletedProcess[str]:
    return docker(d, "load", input=data)


def _store_state(d: Daemon) -> tuple[list[str], list[str], list[str]]:
    images = sorted(i["Id"] for i in d.api("GET", "/images/json?all=1"))
    snaps = sorted(os.listdir(os.path.join(d.data_root, "snapshots")))
    blobs = sorted(os.listdir(os.path.join(d.data_root, "content", "blobs", "sha256")))
    return images, snaps, blobs


# -- the archive ----------------------------------------------------------------------------


def test_save_layout(daemon: Daemon, two_layer: str) -> None:
    files = _members(_save(daemon, two_layer))
    image_id = json.loads(docker(daemon, "image", "inspect", two_layer, check=True).stdout)[0]["Id"]
    manifest = json.loads(files["manifest.json"])
    assert len(manifest) == 1 and manifest[0]["RepoTags"] == [two_layer]
    config_name = manifest[0]["Config"]
    assert config_name == "blobs/sha256/" + image_id[7:]
    config = files[config_name]
    assert "sha256:" + hashlib.sha256(config).hexdigest() == image_id
    diff_ids = json.loads(config)["rootfs"]["diff_ids"]
    assert len(manifest[0]["Layers"]) == len(diff_ids) == 2
    for layer, diff_id in zip(manifest[0]["Layers"], diff_ids):
        assert "sha256:" + hashlib.sha256(files[layer]).hexdigest() == diff_id  # uncompressed
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(files["index.json"])
    desc = index["manifests"][0]
    assert desc["annotations"]["io.containerd.image.name"] == f"docker.io/library/{two_layer}"
    oci_manifest = json.loads(files["blobs/sha256/" + desc["digest"][7:]])
    assert oci_manifest["config"]["digest"] == image_id
    assert [x["digest"] for x in oci_manifest["layers"]] == diff_ids
    repo, tag = two_layer.split(":")
    assert json.loads(files["repositories"]) == {repo: {tag: diff_ids[-1][7:]}}


def test_save_errors(daemon: Daemon, tmp_path: Path) -> None:
    r = docker(daemon, "save", "-o", str(tmp_path / "x.tar"), "no-such-image-xyz:1")
    assert r.returncode != 0 and "No such image" in r.stderr


def test_cli_save_load_roundtrip_into_second_daemon(daemon: Daemon, second: Daemon,
                                                    two_layer: str) -> None:
    data = _save(daemon, "busybox", two_layer)
    since = str(int(time.time()) - 1)
    r = _load(second, data)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == sorted(["Loaded image: busybox:latest",
                                                    f"Loaded image: {two_layer}"])
    for ref in ("busybox", two_layer):
        a = json.loads(docker(daemon, "image", "inspect", ref, check=True).stdout)[0]
        b = json.loads(docker(second, "image", "inspect", ref, check=True).stdout)[0]
        assert a["Id"] == b["Id"] and a["RootFS"] == b["RootFS"] and a["Config"] == b["Config"]
    out = docker(second, "run", "--rm", two_layer, "cat", "/layer2", check=True).stdout
    assert out == "layered\n"
    # saved together, the parent link travels along: history names the parent image
    ids = docker(second, "history", "--no-trunc", "--format", "{{.ID}}", two_layer,
                 check=True).stdout.split()
    base_id = json.loads(docker(second, "image", "inspect", "busybox", check=True).stdout)[0]["Id"]
    assert ids[1] == base_id
    hist_a = docker(daemon, "history", "--format", "{{.CreatedBy}}|{{.Size}}|{{.Comment}}", two_layer,
                    check=True).stdout
    hist_b = docker(second, "history", "--format", "{{.CreatedBy}}|{{.Size}}|{{.Comment}}", two_layer,
                    check=True).stdout
    assert hist_a == hist_b and "second layer" in hist_b
    ev = docker(second, "events", "--since", since, "--until", str(int(time.time()) + 1),
                "--filter", "type=image", "--format", "{{.Action}} {{.ID}}", check=True).stdout
    assert f"load {b['Id']}" in ev.splitlines()
    # loading the same archive again (gzip-compressed, as `docker save | gzip` makes it)
    # is a no-op that says the same
    import gzip
    r = _load(second, gzip.compress(data, 1))
    assert r.returncode == 0 and "Loaded image: busybox:latest" in r.stdout, r.stderr


def test_sdk_save_load_and_history(daemon: Daemon, client, two_layer: str) -> None:
    img = client.images.get(two_layer)
    data = b"".join(img.save(named=True))
    client.images.remove(two_layer, force=True)
    loaded = client.images.load(data)
    assert [i.id for i in loaded] == [img.id]
    assert two_layer in client.images.get(img.id).tags
    hist = client.images.get(two_layer).history()
    # saved without its parent, the image has none after the load (as Docker)
    assert hist[0]["Id"] == img.id and hist[0]["Tags"] == [two_layer]
    assert all(h["Id"] == "<missing>" and h["Tags"] is None for h in hist[1:])
    assert hist[0]["Comment"] == "second layer" and hist[0]["Size"] > 0
    assert set(hist[0]) >= {"Id", "Created", "CreatedBy", "Tags", "Size", "Comment"}
    # an archive saved by ID has no tags: Docker says "Loaded image ID"
    by_id = b"".join(client.api.get_image(img.id))
    assert json.loads(_members(by_id)["manifest.json"])[0]["RepoTags"] is None
    client.images.remove(two_layer, force=True)
    r = _load(daemon, by_id)
    assert r.returncode == 0 and r.stdout.strip() == f"Loaded image ID: {img.id}"
    docker(daemon, "tag", img.id, two_layer, check=True)


# -- other layouts ---------------------------------------------------------------------------


def test_load_docker_2010_layout(daemon: Daemon, second: Daemon, two_layer: str) -> None:
    """Docker 20.10's save: <layer id>/layer.tar, <hex>.json; a shared layer as a symlink."""
    files = _members(_save(daemon, two_layer))
    man = json.loads(files["manifest.json"])[0]
    config = files[man["Config"]]
    cfg_hex = hashlib.sha256(config).hexdigest()
    out: dict[str, bytes] = {f"{cfg_hex}.json": config}
    layers = []
    links = {}
    for i, layer in enumerate(man["Layers"]):
        lid = hashlib.sha256(f"v1-{i}".encode()).hexdigest()
        out[f"{lid}/VERSION"] = b"1.0"
        out[f"{lid}/json"] = json.dumps({"id": lid}).encode()
        if i == 0:
            out[f"{lid}/layer.tar"] = files[layer]
        else:  # as 20.10 writes a layer it already wrote for another image
            first = layers[0].split("/")[0]
            out[f"{first}-copy/layer.tar"] = files[layer]
            links[f"{lid}/layer.tar"] = f"../{first}-copy/layer.tar"
        layers.append(f"{lid}/layer.tar")
    out["manifest.json"] = json.dumps([{"Config": f"{cfg_hex}.json", "RepoTags": [two_layer],
                                        "Layers": layers}]).encode()
    out["repositories"] = json.dumps({two_layer.split(":")[0]: {"two": layers[-1][:64]}}).encode()
    r = _load(second, _tar(out, links))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"Loaded image: {two_layer}"
    assert json.loads(docker(second, "image", "inspect", two_layer, check=True).stdout)[0]["Id"] == \
        "sha256:" + cfg_hex
    assert docker(second, "run", "--rm", two_layer, "cat", "/layer2", check=True).stdout == "layered\n"


def test_load_oci_layout_only(daemon: Daemon, second: Daemon, two_layer: str) -> None:
    files = _members(_save(daemon, two_layer))
    files.pop("manifest.json")
    files.pop("repositories")
    r = _load(second, _tar(files))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"Loaded image: {two_layer}"
    assert docker(second, "run", "--rm", two_layer, "cat", "/layer2", check=True).stdout == "layered\n"


# -- hostile archives ----------------------------------------------------------------------------


def _hostile_variants(good: dict[str, bytes]) -> dict[str, tuple[dict[str, bytes], dict[str, str]]]:
    man = json.loads(good["manifest.json"])[0]
    layer = man["Layers"][-1]
    variants: dict[str, tuple[dict[str, bytes], dict[str, str]]] = {}
    # a member climbing out of the archive
    v = dict(good)
    v["../../escape"] = b"x"
    variants["dotdot member"] = (v, {})
    # a manifest pointing out of the archive
    v = dict(good)
    v["manifest.json"] = json.dumps([{**man, "Layers": [*man["Layers"][:-1], "../../etc/passwd"]}]).encode()
    variants["dotdot layer path"] = (v, {})
    # a blob that is a symlink (to a host file, and to another blob)
    v = dict(good)
    v.pop(layer)
    variants["symlinked blob to host"] = (v, {layer: "/etc/passwd"})
    variants["symlinked blob inside"] = (v, {layer: man["Layers"][0].split("/")[-1]})
    # a layer whose content does not match its diff_id
    v = dict(good)
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        ti = tarfile.TarInfo("evil")
        ti.size = 4
        t.addfile(ti, io.BytesIO(b"evil"))
    v[layer] = bio.getvalue()
    variants["diff_id mismatch"] = (v, {})
    return variants


def test_hostile_archives_are_refused_and_store_nothing(daemon: Daemon, second: Daemon,
                                                        two_layer: str, tmp_path: Path) -> None:
    good = _members(_save(daemon, two_layer))
    before = _store_state(second)
    for what, (files, links) in _hostile_variants(good).items():
        r = _load(second, _tar(files, links))
        assert r.returncode != 0, what
        assert "invalid archive" in r.stderr, (what, r.stderr)
        assert "Traceback" not in r.stderr
        assert _store_state(second) == before, what
    # a layer tar that escapes (../ inside the layer): refused, nothing stored
    c = docker_sdk.DockerClient(base_url=second.host, version="1.43", timeout=60)
    try:
        bio = io.BytesIO()
        with tarfile.open(fileobj=bio, mode="w") as t:
            ti = tarfile.TarInfo("../../../../tmp/dockyard-load-escape")
            ti.size = 1
            t.addfile(ti, io.BytesIO(b"x"))
        evil = bio.getvalue()
        diff_id = "sha256:" + hashlib.sha256(evil).hexdigest()
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                          "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
        cfg_hex = hashlib.sha256(cfg).hexdigest()
        archive = _tar({f"{cfg_hex}.json": cfg, "l/layer.tar": evil,
                        "manifest.json": json.dumps([{"Config": f"{cfg_hex}.json",
                                                      "RepoTags": ["evil:1"],
                                                      "Layers": ["l/layer.tar"]}]).encode()})
        with pytest.raises(docker_sdk.errors.ImageLoadError) as exc:
            c.images.load(archive)
        assert "escapes" in str(exc.value)
    finally:
        c.close()
    assert not os.path.exists("/tmp/dockyard-load-escape")
    assert _store_state(second) == before
    # and the daemon still loads a good archive
    assert _load(second, _tar(good)).returncode == 0
