"""Interop with skopeo: copies into and out of the dockyard registry (docker:// and oci:)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from regsrv_helpers import (
    SKOPEO,
    ServerProcess,
    make_image,
    read_oci_layout,
    sha256,
    skopeo,
    write_oci_index_layout,
    write_oci_layout,
)

pytestmark = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")

NO_TLS = ("--src-tls-verify=false", "--dest-tls-verify=false")


def _image():  # type: ignore[no-untyped-def]
    return make_image([
        {"bin/tool": b"\x7fELF" + bytes(range(256)) * 400},
        {"etc/config": b"key=value\n" * 100},
        {"data/big": bytes(1_000_000)},
    ], label="skopeo")


def test_oci_layout_roundtrip(server: ServerProcess, repo: str, tmp_path: Path) -> None:
    image = _image()
    write_oci_layout(tmp_path / "src", {"v1": image})
    skopeo("copy", *NO_TLS, f"oci:{tmp_path / 'src'}:v1", f"docker://{server.host}/{repo}:v1", env_home=tmp_path)

    raw = skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{server.host}/{repo}:v1").stdout
    assert raw.encode() == image.manifest  # stored byte for byte, digest preserved
    info = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{server.host}/{repo}:v1").stdout)
    assert info["Digest"] == image.manifest_digest and info["RepoTags"] == ["v1"]

    skopeo("copy", *NO_TLS, f"docker://{server.host}/{repo}:v1", f"oci:{tmp_path / 'dst'}:v1", env_home=tmp_path)
    manifest, blobs = read_oci_layout(tmp_path / "dst", "v1")
    assert manifest == image.manifest
    assert blobs == image.blobs


def test_docker_schema2_conversion_and_repo_to_repo(server: ServerProcess, repo: str, tmp_path: Path) -> None:
    image = _image()
    write_oci_layout(tmp_path / "src", {"v1": image})
    skopeo("copy", *NO_TLS, "--format", "v2s2", f"oci:{tmp_path / 'src'}:v1",
           f"docker://{server.host}/{repo}:v2s2", env_home=tmp_path)
    r = requests.get(f"{server.url}/v2/{repo}/manifests/v2s2",
                     headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    assert r.headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v2+json"
    # registry to registry (same server, another repository): blobs may be mounted
    skopeo("copy", *NO_TLS, f"docker://{server.host}/{repo}:v2s2", f"docker://{server.host}/{repo}-copy:latest",
           env_home=tmp_path)
    r2 = requests.get(f"{server.url}/v2/{repo}-copy/manifests/latest",
                      headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    assert r2.content == r.content
    assert json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{server.host}/{repo}-copy").stdout)[
        "Tags"] == ["latest"]


def test_multi_arch_index_with_all(server: ServerProcess, repo: str, tmp_path: Path) -> None:
    images = {"linux/amd64": make_image(label="amd64"), "linux/arm64": make_image(label="arm64")}
    index = write_oci_index_layout(tmp_path / "src", "multi", images)
    skopeo("copy", *NO_TLS, "--all", f"oci:{tmp_path / 'src'}:multi", f"docker://{server.host}/{repo}:multi",
           env_home=tmp_path)
    raw = skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{server.host}/{repo}:multi").stdout
    assert raw.encode() == index
    skopeo("copy", *NO_TLS, "--all", f"docker://{server.host}/{repo}:multi", f"oci:{tmp_path / 'dst'}:multi",
           env_home=tmp_path)
    top = json.loads((tmp_path / "dst" / "index.json").read_text())["manifests"][0]
    assert top["digest"] == sha256(index)
    for image in images.values():
        assert (tmp_path / "dst" / "blobs" / "sha256" / image.manifest_digest.split(":")[1]).read_bytes() == image.manifest


def test_skopeo_over_tls(start_server, tls_pair: tuple[Path, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cert, key = tls_pair
    srv = start_server("--allow-anonymous-push", "--tls-cert", str(cert), "--tls-key", str(key))
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(cert, certs / "ca.crt")
    image = make_image(label="tls")
    write_oci_layout(tmp_path / "src", {"v1": image})
    skopeo("copy", "--dest-cert-dir", str(certs), f"oci:{tmp_path / 'src'}:v1", f"docker://{srv.host}/tls/app:v1",
           env_home=tmp_path)
    skopeo("copy", "--src-cert-dir", str(certs), f"docker://{srv.host}/tls/app:v1", f"oci:{tmp_path / 'dst'}:v1",
           env_home=tmp_path)
    assert read_oci_layout(tmp_path / "dst", "v1")[0] == image.manifest
    # without trusting the certificate, skopeo refuses
    proc = skopeo("inspect", f"docker://{srv.host}/tls/app:v1", check=False, env_home=tmp_path)
    assert proc.returncode != 0 and "certificate" in proc.stderr
