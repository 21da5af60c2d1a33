"""Manifests: push/pull by tag and digest for the four types, negotiation, verification, delete."""

from __future__ import annotations

import json

import pytest
import requests

from regsrv_helpers import (
    DOCKER_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST,
    make_image,
    push_blob,
    push_image,
    sha256,
)


@pytest.mark.parametrize("docker", [False, True], ids=["oci", "docker"])
def test_image_manifest_by_tag_and_digest(base: str, repo: str, docker: bool) -> None:
    image = make_image(docker=docker, label=repo)
    r = push_image(base, repo, "v1", image)
    assert r.headers["Docker-Content-Digest"] == image.manifest_digest
    assert r.headers["Location"] == f"/v2/{repo}/manifests/{image.manifest_digest}"
    for ref in ("v1", image.manifest_digest):
        r = requests.get(f"{base}/v2/{repo}/manifests/{ref}", headers={"Accept": image.media_type})
        assert r.status_code == 200
        assert r.content == image.manifest  # byte for byte
        assert r.headers["Content-Type"] == image.media_type
        assert r.headers["Docker-Content-Digest"] == image.manifest_digest
        h = requests.head(f"{base}/v2/{repo}/manifests/{ref}", headers={"Accept": image.media_type})
        assert h.status_code == 200 and h.content == b""
        assert int(h.headers["Content-Length"]) == len(image.manifest)
        assert h.headers["Docker-Content-Digest"] == image.manifest_digest


def _index(children: list[tuple[bytes, str, str]], media: str) -> bytes:
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": media,
        "manifests": [
            {"mediaType": m, "digest": sha256(body), "size": len(body), "platform": {"os": "linux", "architecture": arch}}
            for body, m, arch in children
        ],
    }).encode()


@pytest.mark.parametrize("docker", [False, True], ids=["oci-index", "docker-list"])
def test_index_requires_children_then_negotiates(base: str, repo: str, docker: bool) -> None:
    amd = make_image(docker=docker, label="amd64")
    arm = make_image(docker=docker, label="arm64")
    media = DOCKER_LIST if docker else OCI_INDEX
    index = _index([(amd.manifest, amd.media_type, "amd64"), (arm.manifest, arm.media_type, "arm64")], media)
    r = requests.put(f"{base}/v2/{repo}/manifests/multi", data=index, headers={"Content-Type": media})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    push_image(base, repo, amd.manifest_digest, amd)
    push_image(base, repo, arm.manifest_digest, arm)
    r = requests.put(f"{base}/v2/{repo}/manifests/multi", data=index, headers={"Content-Type": media})
    assert r.status_code == 201, r.text
    r = requests.get(f"{base}/v2/{repo}/manifests/multi", headers={"Accept": f"{media}, {amd.media_type}"})
    assert r.content == index and r.headers["Content-Type"] == media
    # a client that cannot read lists gets the linux/amd64 image instead
    r = requests.get(f"{base}/v2/{repo}/manifests/multi", headers={"Accept": amd.media_type})
    assert r.status_code == 200 and r.content == amd.manifest
    assert r.headers["Docker-Content-Digest"] == amd.manifest_digest
    # ...and one that reads neither gets MANIFEST_UNKNOWN
    r = requests.get(f"{base}/v2/{repo}/manifests/multi", headers={"Accept": "application/x-nothing"})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"


def test_manifest_type_not_accepted(base: str, repo: str) -> None:
    image = make_image(label="oci-only")
    push_image(base, repo, "v1", image)
    r = requests.get(f"{base}/v2/{repo}/manifests/v1", headers={"Accept": DOCKER_MANIFEST})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    r = requests.get(f"{base}/v2/{repo}/manifests/v1", headers={"Accept": "*/*"})
    assert r.status_code == 200


def test_manifest_blob_unknown(base: str, repo: str) -> None:
    image = make_image(label="missing-layer")
    push_blob(base, repo, image.config)  # the layer is never pushed
    r = requests.put(f"{base}/v2/{repo}/manifests/v1", data=image.manifest, headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["code"] == "MANIFEST_BLOB_UNKNOWN" and sha256(image.layers[0]) in err["detail"]["digests"]


def test_blob_in_another_repository_does_not_count(base: str, repo: str) -> None:
    image = make_image(label="elsewhere")
    push_image(base, f"{repo}-a", "v1", image)
    r = requests.put(f"{base}/v2/{repo}-b/manifests/v1", data=image.manifest, headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"


def test_manifest_invalid_and_digest_mismatch(base: str, repo: str) -> None:
    url = f"{base}/v2/{repo}/manifests"
    r = requests.put(f"{url}/v1", data=b"{not json", headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_INVALID"
    image = make_image(label="mismatch")
    for data in image.blobs.values():
        push_blob(base, repo, data)
    r = requests.put(f"{url}/v1", data=image.manifest, headers={"Content-Type": DOCKER_MANIFEST})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_INVALID"
    r = requests.put(f"{url}/{sha256(b'other')}", data=image.manifest, headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    r = requests.put(f"{url}/bad:tag:x", data=image.manifest, headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 400


def test_manifest_too_large(start_server) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--allow-anonymous-push", "--max-manifest-size", "1000")
    body = json.dumps({"schemaVersion": 2, "pad": "x" * 2000}).encode()
    r = requests.put(f"{srv.url}/v2/r/manifests/v1", data=body, headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 413


def test_delete_tag_then_manifest(base: str, repo: str) -> None:
    image = make_image(label="deletable")
    push_image(base, repo, "a", image)
    requests.put(f"{base}/v2/{repo}/manifests/b", data=image.manifest, headers={"Content-Type": OCI_MANIFEST})
    r = requests.delete(f"{base}/v2/{repo}/manifests/a")
    assert r.status_code == 202
    assert requests.get(f"{base}/v2/{repo}/manifests/a").status_code == 404
    assert requests.get(f"{base}/v2/{repo}/manifests/b").status_code == 200
    r = requests.delete(f"{base}/v2/{repo}/manifests/{image.manifest_digest}")
    assert r.status_code == 202
    for ref in ("b", image.manifest_digest):
        r = requests.get(f"{base}/v2/{repo}/manifests/{ref}")
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    assert requests.get(f"{base}/v2/{repo}/tags/list").json()["tags"] == []
    r = requests.delete(f"{base}/v2/{repo}/manifests/{image.manifest_digest}")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    r = requests.delete(f"{base}/v2/{repo}-never/manifests/{image.manifest_digest}")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NAME_UNKNOWN"


def test_retag_moves_the_tag(base: str, repo: str) -> None:
    one, two = make_image(label="one"), make_image(label="two")
    push_image(base, repo, "latest", one)
    push_image(base, repo, "latest", two)
    r = requests.get(f"{base}/v2/{repo}/manifests/latest")
    assert r.headers["Docker-Content-Digest"] == two.manifest_digest
    assert requests.get(f"{base}/v2/{repo}/manifests/{one.manifest_digest}").status_code == 200
