"""docker push / pull through dockyardd against dockyard's own registry server.

The daemon (one per module, busybox bootstrapped) is driven by the real docker CLI and,
for the wire format of progress messages, by raw Engine API calls.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

import pytest
import requests

from client_helpers import base_layer, blob_file, layered_image, unique
from engine_fixtures import Docker, api, daemon, dk  # noqa: F401 - fixtures
from regsrv_helpers import ServerProcess, push_image

pytestmark = pytest.mark.timeout(300)


def _digest_of(push_output: str, tag: str) -> str:
    m = re.search(rf"^{re.escape(tag)}: digest: (sha256:[0-9a-f]{{64}}) size: (\d+)$", push_output, re.M)
    assert m, push_output
    return m.group(1)


def _restore_busybox(dk: Docker) -> None:
    dk.d.bootstrap_busybox()


def test_push_rmi_pull_back_same_image_runs(dk: Docker, server: ServerProcess) -> None:
    ref = f"{server.host}/rt/busybox:1"
    image_id = dk("inspect", "-f", "{{.Id}}", "busybox", check=True).stdout.strip()
    dk("tag", "busybox", ref, check=True)
    out = dk("push", ref, check=True).stdout
    assert f"The push refers to repository [{server.host}/rt/busybox]" in out
    assert "Pushed" in out
    digest = _digest_of(out, "1")
    try:
        dk("rmi", "-f", image_id, check=True)
        assert image_id not in dk.image_ids()
        pulled = dk("pull", ref, check=True).stdout
        assert "1: Pulling from rt/busybox" in pulled
        assert "Pull complete" in pulled
        assert f"Digest: {digest}" in pulled
        assert f"Status: Downloaded newer image for {ref}" in pulled
        assert dk("inspect", "-f", "{{.Id}}", ref, check=True).stdout.strip() == image_id
        digests = json.loads(dk("inspect", "-f", "{{json .RepoDigests}}", ref, check=True).stdout)
        assert f"{server.host}/rt/busybox@{digest}" in digests
        run = dk("run", "--rm", ref, "sh", "-c", "echo pulled-and-running", check=True)
        assert run.stdout.strip() == "pulled-and-running"
        again = dk("pull", ref, check=True).stdout
        assert f"Status: Image is up to date for {ref}" in again
    finally:
        _restore_busybox(dk)


def test_second_push_says_layer_already_exists(dk: Docker, server: ServerProcess) -> None:
    ref = f"{server.host}/again/busybox:2"
    dk("tag", "busybox", ref, check=True)
    first = dk("push", ref, check=True).stdout
    second = dk("push", ref, check=True).stdout
    assert "Layer already exists" in second, second
    assert "Pushed" not in second
    assert _digest_of(first, "2") == _digest_of(second, "2")


def test_push_to_another_repository_mounts_the_layer(dk: Docker, server: ServerProcess) -> None:
    dk("tag", "busybox", f"{server.host}/mnt/src:1", check=True)
    dk("push", f"{server.host}/mnt/src:1", check=True)
    dk("tag", "busybox", f"{server.host}/mnt/dst:1", check=True)
    out = dk("push", f"{server.host}/mnt/dst:1", check=True).stdout
    assert "Mounted from mnt/src" in out, out


def test_pull_by_digest(dk: Docker, server: ServerProcess) -> None:
    dk("tag", "busybox", f"{server.host}/dg/busybox:1", check=True)
    out = dk("push", f"{server.host}/dg/busybox:1", check=True).stdout
    digest = _digest_of(out, "1")
    base_gz, base_diff = base_layer(server.url, "dg/busybox", "1")
    image = layered_image(base_gz, base_diff, {"by-digest.txt": unique("by digest")})
    push_image(server.url, "dg/app", "v1", image)
    ref = f"{server.host}/dg/app@{image.manifest_digest}"
    pulled = dk("pull", ref, check=True).stdout
    assert f"Digest: {image.manifest_digest}" in pulled
    assert "Already exists" in pulled  # busybox's layer
    assert "Pull complete" in pulled
    fmt = "{{.Id}} {{json .RepoTags}} {{json .RepoDigests}}"
    image_id, tags, digests = dk("inspect", "-f", fmt, ref, check=True).stdout.split()
    assert image_id == "sha256:" + hashlib.sha256(image.config).hexdigest()
    assert json.loads(tags) == []
    assert json.loads(digests) == [ref]
    run = dk("run", "--rm", ref, "cat", "/by-digest.txt", check=True)
    assert run.stdout.startswith("by digest")
    assert digest  # the busybox push itself succeeded


def test_pull_progress_messages_on_the_api(dk: Docker, server: ServerProcess) -> None:
    dk("tag", "busybox", f"{server.host}/msg/busybox:1", check=True)
    dk("push", f"{server.host}/msg/busybox:1", check=True)
    base_gz, base_diff = base_layer(server.url, "msg/busybox", "1")
    image = layered_image(base_gz, base_diff, {"big.bin": os.urandom(3 << 20)})
    push_image(server.url, "msg/app", "1", image)
    status, lines = api(dk.d, "POST", f"/v1.43/images/create?fromImage={server.host}/msg/app&tag=1",
                        stream=True)
    assert status == 200
    assert lines[0] == {"status": "Pulling from msg/app", "id": "1"}
    new_id = list(image.blobs)[-1].split(":")[1][:12]  # the big layer's blob
    by_id = [m for m in lines if m.get("id") == new_id]
    statuses = [m["status"] for m in by_id]
    assert statuses[0] == "Pulling fs layer"
    assert "Downloading" in statuses and "Download complete" in statuses
    assert statuses[-1] == "Pull complete"
    downloading = [m for m in by_id if m["status"] == "Downloading"]
    assert downloading[-1]["progressDetail"]["current"] == downloading[-1]["progressDetail"]["total"]
    assert any(m == {"status": "Already exists", "progressDetail": {},
                     "id": list(image.blobs)[1].split(":")[1][:12]} for m in lines)
    assert lines[-2] == {"status": f"Digest: {image.manifest_digest}"}
    assert lines[-1] == {"status": f"Status: Downloaded newer image for {server.host}/msg/app:1"}


def test_push_progress_messages_on_the_api(dk: Docker, start_server: Any) -> None:
    fresh = start_server("--allow-anonymous-push")  # nothing there yet: every layer is pushed
    dk("tag", "busybox", f"{fresh.host}/pmsg/busybox:7", check=True)
    status, lines = api(dk.d, "POST", f"/v1.43/images/{fresh.host}/pmsg/busybox/push?tag=7",
                        headers={"X-Registry-Auth": "e30="}, stream=True)
    assert status == 200
    assert lines[0] == {"status": f"The push refers to repository [{fresh.host}/pmsg/busybox]"}
    assert lines[1]["status"] == "Preparing"
    pushing = [m for m in lines if m.get("status") == "Pushing"]
    assert pushing and pushing[-1]["progressDetail"]["current"] == pushing[-1]["progressDetail"]["total"]
    assert {"status": "Pushed", "progressDetail": {}, "id": lines[1]["id"]} in lines
    aux = lines[-1]["aux"]
    assert lines[-2] == {"status": f"7: digest: {aux['Digest']} size: {aux['Size']}"}
    assert aux["Tag"] == "7"


def test_missing_tag_is_an_error_response(dk: Docker, server: ServerProcess) -> None:
    dk("tag", "busybox", f"{server.host}/miss/busybox:1", check=True)
    dk("push", f"{server.host}/miss/busybox:1", check=True)
    r = dk("pull", f"{server.host}/miss/busybox:nope")
    assert r.returncode != 0
    assert "manifest unknown" in r.stderr, r.stderr
    r = dk("push", f"{server.host}/miss/never-tagged:1")
    assert r.returncode != 0
    assert "An image does not exist locally with the tag" in r.stderr + r.stdout


def test_tampered_blob_is_refused_and_nothing_is_stored(dk: Docker, server: ServerProcess) -> None:
    dk("tag", "busybox", f"{server.host}/bad/busybox:1", check=True)
    dk("push", f"{server.host}/bad/busybox:1", check=True)
    base_gz, base_diff = base_layer(server.url, "bad/busybox", "1")
    image = layered_image(base_gz, base_diff, {"evil.txt": unique("x" * 4096)})
    push_image(server.url, "bad/app", "1", image)
    layer_digest = list(image.blobs)[-1]
    path = blob_file(server.root, layer_digest)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes
    path.write_bytes(bytes(data))
    before = dk.image_ids()
    snapshots = set(os.listdir(os.path.join(dk.d.data_root, "snapshots")))
    r = dk("pull", f"{server.host}/bad/app:1")
    assert r.returncode != 0
    assert f"filesystem layer verification failed for digest {layer_digest}" in r.stdout + r.stderr
    assert dk.image_ids() == before
    assert set(os.listdir(os.path.join(dk.d.data_root, "snapshots"))) == snapshots
    content = os.path.join(dk.d.data_root, "content", "blobs", "sha256", layer_digest[7:])
    assert not os.path.exists(content)
    config = os.path.join(dk.d.data_root, "content", "blobs", "sha256",
                          hashlib.sha256(image.config).hexdigest())
    assert not os.path.exists(config)


def test_push_regenerates_a_layer_blob_the_store_lost(dk: Docker, start_server: Any) -> None:
    """A snapshot without its compressed blob is written again (deterministically) for push."""
    fresh = start_server("--allow-anonymous-push")
    dk("tag", "busybox", f"{fresh.host}/regen/first:1", check=True)
    first = dk("push", f"{fresh.host}/regen/first:1", check=True).stdout
    man = requests.get(
        f"{fresh.url}/v2/regen/first/manifests/1", timeout=30,
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"}).json()
    layer = man["layers"][0]["digest"]
    blob = os.path.join(dk.d.data_root, "content", "blobs", "sha256", layer[7:])
    assert os.path.exists(blob)
    os.unlink(blob)
    other = start_server("--allow-anonymous-push")
    dk("tag", "busybox", f"{other.host}/regen/again:1", check=True)
    again = dk("push", f"{other.host}/regen/again:1", check=True).stdout
    assert "Pushed" in again
    assert _digest_of(again, "1") == _digest_of(first, "1")  # same tar, same gzip: same manifest
    assert os.path.exists(blob)


def test_all_tags_push_and_pull(dk: Docker, server: ServerProcess) -> None:
    repo = f"{server.host}/alltags/busybox"
    for tag in ("a", "b"):
        dk("tag", "busybox", f"{repo}:{tag}", check=True)
    out = dk("push", "--all-tags", repo, check=True).stdout
    assert re.search(r"^a: digest: sha256:", out, re.M) and re.search(r"^b: digest: sha256:", out, re.M)
    for tag in ("a", "b"):
        dk("rmi", f"{repo}:{tag}", check=True)
    pulled = dk("pull", "--all-tags", repo, check=True).stdout
    assert "a: Pulling from alltags/busybox" in pulled and "b: Pulling from alltags/busybox" in pulled
    assert f"Status: Downloaded newer image for {repo}" in pulled
    for tag in ("a", "b"):
        dk("image", "inspect", f"{repo}:{tag}", check=True)


def test_docker_hub_stays_off_unless_enabled(dk: Docker) -> None:
    """Names without a registry would go to Docker Hub: refused at once, nothing dialled."""
    r = dk("pull", "no-such-image-anywhere:1", timeout=20)
    assert r.returncode != 0
    assert ("pull access denied for no-such-image-anywhere, repository does not exist or may "
            "require 'docker login'") in r.stderr
    assert "--allow-docker-hub" in r.stderr
    r = dk("run", "--rm", "no-such-image-anywhere", timeout=20)
    assert r.returncode == 125 and "Unable to find image" in r.stderr
    status, body = api(dk.d, "POST", "/v1.43/auth", body={"username": "u", "password": "p"})
    assert status == 401 and "Docker Hub is not enabled" in body["message"]


def test_registry_data_through_the_docker_sdk(dk: Docker, server: ServerProcess) -> None:
    """docker-py's ``images.get_registry_data`` (``GET /distribution/{name}/json``)."""
    import docker

    ref = f"{server.host}/sdk/busybox:1"
    dk("tag", "busybox", ref, check=True)
    digest = _digest_of(dk("push", ref, check=True).stdout, "1")
    client = docker.DockerClient(base_url=dk.d.host, version="1.43")
    try:
        data = client.images.get_registry_data(ref)
        assert data.id == digest
        assert data.has_platform("linux/amd64") and not data.has_platform("linux/arm64")
        with pytest.raises(docker.errors.NotFound):
            client.images.get_registry_data(f"{server.host}/sdk/busybox:missing")
    finally:
        client.close()


def test_rmi_of_the_last_tag_drops_the_digest_reference_too(dk: Docker, server: ServerProcess) -> None:
    """As moby: RepoDigests a pull recorded do not keep an image alive once its tag is gone."""
    dk("tag", "busybox", f"{server.host}/rmi/busybox:1", check=True)
    dk("push", f"{server.host}/rmi/busybox:1", check=True)
    image = layered_image(*base_layer(server.url, "rmi/busybox", "1"), {"f": unique("rmi")})
    push_image(server.url, "rmi/app", "1", image)
    ref = f"{server.host}/rmi/app:1"
    dk("pull", ref, check=True)
    out = dk("rmi", ref, check=True).stdout.splitlines()
    assert out[:2] == [f"Untagged: {ref}", f"Untagged: {server.host}/rmi/app@{image.manifest_digest}"]
    assert f"Deleted: sha256:{hashlib.sha256(image.config).hexdigest()}" in out
    assert "sha256:" + hashlib.sha256(image.config).hexdigest() not in dk.image_ids()
