"""Debian's docker-registry (distribution 2.8) and the dockyard registry, through skopeo."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import pytest

from regsrv_helpers import (
    SKOPEO,
    DockerRegistryProcess,
    ServerProcess,
    make_image,
    read_oci_layout,
    skopeo,
    write_oci_index_layout,
    write_oci_layout,
)

pytestmark = pytest.mark.skipif(
    SKOPEO is None or not os.path.exists("/usr/bin/docker-registry"), reason="needs skopeo and docker-registry"
)

NO_TLS = ("--src-tls-verify=false", "--dest-tls-verify=false")


@pytest.fixture
def distribution(tmp_path: Path) -> Iterator[DockerRegistryProcess]:
    proc = DockerRegistryProcess(tmp_path / "distribution").start()
    try:
        yield proc
    finally:
        proc.stop()


def _raw(host: str, ref: str) -> bytes:
    return skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{host}/{ref}").stdout.encode()


@pytest.mark.parametrize("fmt", ["oci", "v2s2"])
def test_copy_both_ways(distribution: DockerRegistryProcess, server: ServerProcess, repo: str, tmp_path: Path,
                        fmt: str) -> None:
    image = make_image([{"a": os.urandom(200_000)}, {"b": b"interop"}], label=f"interop-{fmt}")
    write_oci_layout(tmp_path / "src", {"v1": image})
    skopeo("copy", *NO_TLS, "--format", fmt, f"oci:{tmp_path / 'src'}:v1",
           f"docker://{distribution.host}/{repo}:v1", env_home=tmp_path)
    original = _raw(distribution.host, f"{repo}:v1")

    # distribution → dockyard
    skopeo("copy", *NO_TLS, f"docker://{distribution.host}/{repo}:v1", f"docker://{server.host}/{repo}:v1",
           env_home=tmp_path)
    assert _raw(server.host, f"{repo}:v1") == original

    # dockyard → distribution (another repository), then back out to a layout
    skopeo("copy", *NO_TLS, f"docker://{server.host}/{repo}:v1", f"docker://{distribution.host}/{repo}/back:v1",
           env_home=tmp_path)
    assert _raw(distribution.host, f"{repo}/back:v1") == original
    skopeo("copy", *NO_TLS, f"docker://{distribution.host}/{repo}/back:v1", f"oci:{tmp_path / 'out'}:v1",
           env_home=tmp_path)
    manifest, blobs = read_oci_layout(tmp_path / "out", "v1")
    assert len(blobs) == 3  # config + two layers came all the way round
    if fmt == "oci":
        assert manifest == image.manifest and blobs == image.blobs


def test_multi_arch_both_ways(distribution: DockerRegistryProcess, server: ServerProcess, repo: str,
                              tmp_path: Path) -> None:
    images = {"linux/amd64": make_image(label="i-amd64"), "linux/arm64": make_image(label="i-arm64")}
    index = write_oci_index_layout(tmp_path / "src", "multi", images)
    skopeo("copy", *NO_TLS, "--all", f"oci:{tmp_path / 'src'}:multi", f"docker://{server.host}/{repo}:multi",
           env_home=tmp_path)
    skopeo("copy", *NO_TLS, "--all", f"docker://{server.host}/{repo}:multi",
           f"docker://{distribution.host}/{repo}:multi", env_home=tmp_path)
    assert _raw(distribution.host, f"{repo}:multi") == index
    skopeo("copy", *NO_TLS, "--all", f"docker://{distribution.host}/{repo}:multi",
           f"docker://{server.host}/{repo}/again:multi", env_home=tmp_path)
    assert _raw(server.host, f"{repo}/again:multi") == index
    tags = json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{server.host}/{repo}/again").stdout)
    assert tags["Tags"] == ["multi"]
