"""``docker container prune`` / ``image prune`` / ``system df`` / ``system prune`` and the
SDK's ``client.containers.prune``, ``client.images.prune``, ``client.df``."""

from __future__ import annotations

import io
import json
import tarfile
import uuid

import docker as docker_sdk
import pytest

from engine_helpers import Daemon, docker


@pytest.fixture
def label() -> str:
    return f"prune-{uuid.uuid4().hex[:8]}"


def ids(d: Daemon, *names: str) -> dict[str, str]:
    out = {}
    for n in names:
        r = docker(d, "inspect", "-f", "{{.Id}}", n)
        if r.returncode == 0:
            out[n] = r.stdout.strip()
    return out


def rm(d: Daemon, *names: str) -> None:
    for n in names:
        docker(d, "rm", "-f", n)


def test_container_prune_with_label_filters_cli(daemon: Daemon, name: str, label: str) -> None:
    names = [f"{name}-a", f"{name}-b", f"{name}-run", f"{name}-other", f"{name}-keep"]
    for n in names[:2]:
        docker(daemon, "create", "--name", n, "-l", f"{label}=1", "busybox", "true", check=True)
    docker(daemon, "run", "-d", "--name", names[2], "-l", f"{label}=1", "--network", "none",
           "busybox", "sleep", "300", check=True)
    docker(daemon, "create", "--name", names[3], "busybox", "true", check=True)
    docker(daemon, "create", "--name", names[4], "-l", f"{label}=1", "-l", "keep=yes",
           "busybox", "true", check=True)
    try:
        before = ids(daemon, *names)
        r = docker(daemon, "container", "prune", "-f", "--filter", f"label={label}",
                   "--filter", "label!=keep=yes", check=True)
        assert r.stdout.startswith("Deleted Containers:\n"), r.stdout
        deleted = set(r.stdout.split("\n\n")[0].splitlines()[1:])
        assert deleted == {before[names[0]], before[names[1]]}
        assert "Total reclaimed space:" in r.stdout
        assert set(ids(daemon, *names)) == set(names[2:])
    finally:
        rm(daemon, *names)


def test_container_prune_until_and_space_with_sdk(daemon: Daemon, client: docker_sdk.DockerClient,
                                                  name: str, label: str) -> None:
    docker(daemon, "run", "--name", name, "-l", label, "--network", "none", "busybox", "sh",
           "-c", "head -c 200000 /dev/zero > /data.bin", check=True)
    try:
        # created less than an hour ago: "until=1h" keeps it
        kept = client.containers.prune(filters={"label": label, "until": "1h"})
        assert kept == {"ContainersDeleted": None, "SpaceReclaimed": 0}
        with pytest.raises(docker_sdk.errors.APIError, match="Invalid filter 'status'"):
            client.containers.prune(filters={"status": "exited"})
        cid = client.containers.get(name).id
        r = client.containers.prune(filters={"label": label})
        assert r["ContainersDeleted"] == [cid]
        assert r["SpaceReclaimed"] >= 200000
        with pytest.raises(docker_sdk.errors.NotFound):
            client.containers.get(name)
    finally:
        rm(daemon, name)


def _tar(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        ti = tarfile.TarInfo("payload.bin")
        ti.size = len(payload)
        tar.addfile(ti, io.BytesIO(payload))
    return buf.getvalue()


def _import(d: Daemon, ref: str, *changes: str) -> str:
    args = ["import"]
    for c in changes:
        args += ["--change", c]
    r = docker(d, *args, "-", ref, input=_tar(uuid.uuid4().bytes * 1000))
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def _exists(d: Daemon, ref: str) -> bool:
    return docker(d, "image", "inspect", ref).returncode == 0


def _dangling(d: Daemon, repo: str, *changes: str) -> str:
    """An image without a tag: imported as ``repo:swap``, then the tag is moved to busybox."""
    iid = _import(d, f"{repo}:swap", *changes)
    docker(d, "tag", "busybox", f"{repo}:swap", check=True)
    return iid


def test_image_prune_dangling_and_labels_cli(daemon: Daemon, label: str) -> None:
    repo = f"pr-{uuid.uuid4().hex[:8]}"
    dangling_l = _dangling(daemon, repo, f"LABEL {label}=1")
    dangling = _dangling(daemon, repo)
    tagged_l = _import(daemon, f"{repo}:tl", f"LABEL {label}=1")
    try:
        assert json.loads(docker(daemon, "image", "inspect", dangling_l,
                                 check=True).stdout)[0]["RepoTags"] == []
        r = docker(daemon, "image", "prune", "-f", "--filter", f"label={label}=1", check=True)
        assert f"deleted: {dangling_l}" in r.stdout, r.stdout
        assert not _exists(daemon, dangling_l)
        assert _exists(daemon, dangling) and _exists(daemon, tagged_l)   # unlabelled / tagged
        r = docker(daemon, "image", "prune", "-a", "-f", "--filter", f"label={label}", check=True)
        assert f"untagged: {repo}:tl" in r.stdout and f"deleted: {tagged_l}" in r.stdout
        assert _exists(daemon, "busybox") and _exists(daemon, dangling)
        r = docker(daemon, "image", "prune", "-f", "--filter", f"label!={label}", check=True)
        assert f"deleted: {dangling}" in r.stdout and not _exists(daemon, dangling)
    finally:
        for iid in (dangling_l, dangling, tagged_l):
            docker(daemon, "rmi", "-f", iid)
        docker(daemon, "rmi", f"{repo}:swap")


def test_image_prune_all_keeps_images_in_use_sdk(daemon: Daemon, client: docker_sdk.DockerClient,
                                                 name: str, label: str) -> None:
    repo = f"pu-{uuid.uuid4().hex[:8]}"
    used = _import(daemon, f"{repo}:used", f"LABEL {label}=1", 'CMD ["/bin/nothing"]')
    unused = _import(daemon, f"{repo}:unused", f"LABEL {label}=1")
    docker(daemon, "create", "--name", name, f"{repo}:used", check=True)
    try:
        r = client.images.prune(filters={"dangling": False, "label": label})
        deleted = r["ImagesDeleted"] or []
        assert {"Untagged": f"{repo}:unused"} in deleted and {"Deleted": unused} in deleted
        assert not any(d.get("Deleted") == used for d in deleted)
        assert r["SpaceReclaimed"] > 0
        assert client.images.get(used).id == used
        # (the CLI always adds its own dangling=true/false, so this is the API's check)
        with pytest.raises(docker_sdk.errors.APIError, match=r"Invalid filter 'dangling=\[maybe\]'"):
            client.images.prune(filters={"dangling": "maybe"})
    finally:
        rm(daemon, name)
        for iid in (used, unused):
            docker(daemon, "rmi", "-f", iid)


def test_system_df_with_sdk(daemon: Daemon, client: docker_sdk.DockerClient, name: str) -> None:
    docker(daemon, "run", "--name", name, "--network", "none", "busybox", "sh", "-c",
           "head -c 100000 /dev/zero > /blob", check=True)
    try:
        df = client.df()
        assert df["LayersSize"] > 0 and df["BuildCache"] == [] and isinstance(df["Volumes"], list)
        busybox = next(i for i in df["Images"] if "busybox:latest" in (i["RepoTags"] or []))
        assert busybox["Containers"] >= 1 and busybox["SharedSize"] >= 0
        assert busybox["Size"] <= df["LayersSize"]
        mine = next(c for c in df["Containers"] if c["Names"] == [f"/{name}"])
        assert mine["SizeRw"] >= 100000
        assert mine["SizeRootFs"] == mine["SizeRw"] + busybox["Size"]
        assert mine["State"] == "exited"
    finally:
        rm(daemon, name)


def test_system_df_cli_tables(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        out = docker(daemon, "system", "df", check=True).stdout.splitlines()
        assert out[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
        assert [line.split()[0] for line in out[1:]] == ["Images", "Containers", "Local",
                                                         "Build"]
        verbose = docker(daemon, "system", "df", "-v", check=True).stdout
        assert "Images space usage:" in verbose and "Containers space usage:" in verbose
        assert name in verbose and "busybox" in verbose and "Build cache usage: 0B" in verbose
    finally:
        rm(daemon, name)


def test_system_prune_cli(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    cid = ids(daemon, name)[name]
    try:
        r = docker(daemon, "system", "prune", "-f", check=True, timeout=120)
        assert cid in r.stdout and "Total reclaimed space:" in r.stdout
        assert ids(daemon, name) == {}
        assert _exists(daemon, "busybox")
    finally:
        rm(daemon, name)


def test_placeholder_prunes_answer_like_an_empty_docker(client: docker_sdk.DockerClient) -> None:
    assert client.api.prune_builds() == {"CachesDeleted": None, "SpaceReclaimed": 0}
    assert "NetworksDeleted" in client.networks.prune()
    assert client.volumes.prune()["SpaceReclaimed"] == 0
