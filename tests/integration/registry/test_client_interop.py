"""dockyardd's registry client against other implementations and formats.

- Debian's ``docker-registry`` (distribution 2.8): docker push, rmi, pull back, run;
- images skopeo writes: an OCI manifest with gzip layers, an OCI manifest with zstd layers;
- a multi-arch OCI index (amd64 + arm64) pulled as linux/amd64, and ``--platform linux/arm64``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from client_helpers import base_layer, layered_image, unique
from engine_fixtures import Docker, daemon, distribution, dk, skopeo_env  # noqa: F401 - fixtures
from regsrv_helpers import (OCI_INDEX, DockerRegistryProcess, ServerProcess, push_image,
                            write_oci_layout)

pytestmark = pytest.mark.timeout(300)


def _id(config: bytes) -> str:
    return "sha256:" + hashlib.sha256(config).hexdigest()


@pytest.fixture
def busybox_layer(dk: Docker, server: ServerProcess) -> tuple[bytes, str]:
    dk("tag", "busybox", f"{server.host}/base/busybox:1", check=True)
    dk("push", f"{server.host}/base/busybox:1", check=True)
    return base_layer(server.url, "base/busybox", "1")


def test_push_to_docker_registry_then_pull_back(dk: Docker, distribution: DockerRegistryProcess,
                                                busybox_layer: tuple[bytes, str],
                                                server: ServerProcess) -> None:
    image = layered_image(*busybox_layer, {"dr.txt": unique("via distribution")})
    push_image(server.url, "dr/src", "1", image)
    dk("pull", f"{server.host}/dr/src:1", check=True)
    ref = f"{distribution.host}/dr/app:1"
    dk("tag", f"{server.host}/dr/src:1", ref, check=True)
    out = dk("push", ref, check=True).stdout
    assert out.count("Pushed") == 2, out
    # distribution answers for the manifest we pushed and serves our config unchanged
    man = requests.get(f"http://{distribution.host}/v2/dr/app/manifests/1", timeout=30,
                       headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    assert man.status_code == 200
    assert json.loads(man.content)["config"]["digest"] == _id(image.config)
    dk("rmi", "-f", _id(image.config), check=True)
    pulled = dk("pull", ref, check=True).stdout
    assert "Pull complete" in pulled and f"Digest: {man.headers['Docker-Content-Digest']}" in pulled
    assert dk("inspect", "-f", "{{.Id}}", ref, check=True).stdout.strip() == _id(image.config)
    run = dk("run", "--rm", ref, "cat", "/dr.txt", check=True)
    assert run.stdout.startswith("via distribution")
    again = dk("push", ref, check=True).stdout
    assert again.count("Layer already exists") == 2, again


def test_busybox_round_trip_through_docker_registry(dk: Docker,
                                                    distribution: DockerRegistryProcess) -> None:
    ref = f"{distribution.host}/library/busybox:rt"
    image_id = dk("inspect", "-f", "{{.Id}}", "busybox", check=True).stdout.strip()
    dk("tag", "busybox", ref, check=True)
    dk("push", ref, check=True)
    try:
        dk("rmi", "-f", image_id, check=True)
        dk("pull", ref, check=True)
        assert dk("inspect", "-f", "{{.Id}}", ref, check=True).stdout.strip() == image_id
        assert dk("run", "--rm", ref, "true").returncode == 0
    finally:
        dk.d.bootstrap_busybox()


@pytest.mark.parametrize("compress", ["gzip", "zstd"])
def test_pull_oci_images_written_by_skopeo(dk: Docker, distribution: DockerRegistryProcess,
                                           server: ServerProcess, busybox_layer: tuple[bytes, str],
                                           skopeo_env: Callable[..., Any], tmp_path: Path,
                                           compress: str) -> None:
    image = layered_image(*busybox_layer, {"skopeo.txt": unique(f"skopeo {compress}")}, oci=True)
    write_oci_layout(tmp_path / "layout", {"v1": image})
    dest = f"{distribution.host}/skopeo/{compress}:1"
    skopeo_env("copy", "--dest-tls-verify=false", "--format", "oci",
               "--dest-compress-format", compress, f"oci:{tmp_path / 'layout'}:v1", f"docker://{dest}")
    raw = skopeo_env("inspect", "--raw", "--tls-verify=false", f"docker://{dest}").stdout
    manifest = json.loads(raw)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    # skopeo may reuse the base layer's gzip blob already there; ours is recompressed
    assert manifest["layers"][-1]["mediaType"] == f"application/vnd.oci.image.layer.v1.tar+{compress}"
    pulled = dk("pull", dest, check=True).stdout
    assert "Pull complete" in pulled, pulled
    out = dk("run", "--rm", dest, "cat", "/skopeo.txt", check=True).stdout
    assert out.startswith(f"skopeo {compress}")
    # pushed on by dockyardd: the zstd layer keeps its OCI media type
    onward = f"{server.host}/onward/{compress}:1"
    dk("tag", dest, onward, check=True)
    dk("push", onward, check=True)
    media = {lay["mediaType"] for lay in requests.get(
        f"{server.url}/v2/onward/{compress}/manifests/1", timeout=30,
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                 "application/vnd.docker.distribution.manifest.v2+json"}).json()["layers"]}
    assert any(compress in m for m in media) or compress == "gzip", media


def _platform_image(busybox: tuple[bytes, str], arch: str) -> Any:
    return layered_image(*busybox, {"arch.txt": f"{arch}\n".encode()}, arch=arch, oci=True,
                         label=arch)


def test_multi_arch_index_pulls_linux_amd64(dk: Docker, server: ServerProcess,
                                            busybox_layer: tuple[bytes, str]) -> None:
    images = {arch: _platform_image(busybox_layer, arch) for arch in ("arm64", "amd64")}
    for image in images.values():
        push_image(server.url, "multi/app", image.manifest_digest, image)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": img.media_type, "digest": img.manifest_digest, "size": len(img.manifest),
         "platform": {"os": "linux", "architecture": arch}} for arch, img in images.items()]}).encode()
    r = requests.put(f"{server.url}/v2/multi/app/manifests/1", data=index, timeout=30,
                     headers={"Content-Type": OCI_INDEX})
    assert r.status_code == 201, r.text
    index_digest = "sha256:" + hashlib.sha256(index).hexdigest()
    ref = f"{server.host}/multi/app:1"
    out = dk("pull", ref, check=True).stdout
    assert f"Digest: {index_digest}" in out
    fmt = "{{.Id}} {{.Architecture}} {{json .RepoDigests}}"
    image_id, arch, digests = dk("inspect", "-f", fmt, ref, check=True).stdout.split()
    assert (image_id, arch) == (_id(images["amd64"].config), "amd64")
    assert json.loads(digests) == [f"{server.host}/multi/app@{index_digest}"]
    assert dk("run", "--rm", ref, "cat", "/arch.txt", check=True).stdout == "amd64\n"
    arm = f"{server.host}/multi/app:1"
    dk("rmi", ref, check=True)
    out = dk("pull", "--platform", "linux/arm64", arm, check=True).stdout
    image_id, arch, _ = dk("inspect", "-f", fmt, arm, check=True).stdout.split()
    assert (image_id, arch) == (_id(images["arm64"].config), "arm64")
    r = dk("pull", "--platform", "linux/s390x", ref)
    assert r.returncode != 0
    assert "no matching manifest for linux/s390x in the manifest list entries" in r.stderr


def test_https_registry_with_a_self_signed_certificate(dk: Docker, start_server: Any,
                                                       tls_pair: tuple[Path, Path]) -> None:
    """Loopback is insecure the Docker way: https is tried first, without verification."""
    cert, key = tls_pair
    reg = start_server("--allow-anonymous-push", "--tls-cert", str(cert), "--tls-key", str(key))
    assert reg.url.startswith("https://")
    ref = f"{reg.host}/tls/busybox:1"
    dk("tag", "busybox", ref, check=True)
    assert "1: digest: sha256:" in dk("push", ref, check=True).stdout
    dk("rmi", ref, check=True)
    assert f"Status: Downloaded newer image for {ref}" in dk("pull", ref, check=True).stdout
