"""Bad volume and mount input: each a clear error in Docker's words, and nothing left behind
(no container, no volume, no host folder, no mount)."""

from __future__ import annotations

import os

import docker as docker_sdk
import pytest

from engine_helpers import Daemon, docker
from vol_helpers import Made, made, run, volume_mounts, volume_names  # noqa: F401


def _state(d: Daemon) -> tuple[list[str], list[str], list[str]]:
    return (docker(d, "ps", "-a", "-q", "--no-trunc", check=True).stdout.split(),
            sorted(volume_names(d)), sorted(os.listdir(os.path.join(d.data_root, "volumes"))))


CASES = [
    (["--mount", "type=bind,src=/nonexistent-dy-x,dst=/x"],
     'invalid mount config for type "bind": bind source path does not exist: '
     '/nonexistent-dy-x'),
    (["--mount", "type=bind,src=rel/x,dst=/x"],
     "invalid mount config for type \"bind\": invalid mount path: 'rel/x' mount path must "
     "be absolute"),
    (["--mount", "type=bind,dst=/x"],
     'invalid mount config for type "bind": field Source must not be empty'),
    (["--mount", "type=tmpfs,src=x,dst=/x"],
     'invalid mount config for type "tmpfs": field Source must not be specified'),
    (["--mount", "type=volume,dst=/x,readonly"],
     'invalid mount config for type "volume": must not set ReadOnly mode when using '
     'anonymous volumes'),
    (["--mount", "type=bind,src=/tmp,dst=/x,bind-propagation=sideways"],
     'invalid mount config for type "bind": invalid propagation mode: sideways'),
    (["-v", "{n}-good:/a", "--mount", "type=volume,src={n}-opt,dst=/o,volume-opt=foo=bar"],
     'create {n}-opt: invalid option: "foo"'),
    (["-v", "{n}-good:/a", "-v", "bad$name:/b"],
     'create bad$name: "bad$name" includes invalid characters for a local volume name, only '
     '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use '
     'absolute path'),
    (["-v", "relative/dir:/b"],
     'create relative/dir: "relative/dir" includes invalid characters for a local volume '
     'name'),
    (["-v", "{n}-good:/y:bogus"], "invalid mode: bogus"),
    (["-v", "{n}-good:/a", "-v", "{n}-other:/a"], "Duplicate mount point: /a"),
    (["-v", "/tmp:/"],
     "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": "
     "invalid specification: destination can't be '/'"),
    (["--tmpfs", "relative"], "invalid mount path: 'relative' mount path must be absolute"),
    (["-v", "{n}-good:/a", "--volume-driver", "nfs"],
     'error looking up volume plugin nfs: plugin "nfs" not found'),
]


@pytest.mark.parametrize("args, message", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_mounts_fail_cleanly(daemon: Daemon, made: Made, name: str, args: list[str],
                                 message: str) -> None:
    args = [a.replace("{n}", name) for a in args]
    message = message.replace("{n}", name)
    before = _state(daemon)
    c = made.container(name)
    for v in ("good", "opt", "other"):
        made.volume(f"{name}-{v}")
    # --pull=never: a 404 would otherwise make the CLI try to pull (as against Docker)
    r = run(daemon, "--pull=never", "--name", c, *args, "busybox", "true", check=False)
    assert r.returncode == 125
    assert f"Error response from daemon: {message}" in r.stderr
    assert "Traceback" not in r.stderr
    assert _state(daemon) == before
    assert volume_mounts(daemon) == []
    assert not os.path.exists("/nonexistent-dy-x")


def test_cli_rejects_unknown_mount_keys(daemon: Daemon, made: Made, name: str) -> None:
    r = run(daemon, "--name", made.container(name), "--mount",
            "type=volume,src=x,dst=/x,colour=red", "busybox", "true", check=False)
    assert r.returncode != 0 and "unexpected key 'colour'" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["bad$name"], 'create bad$name: "bad$name" includes invalid characters'),
    (["a"], "create a: volume name is too short, names should be at least two alphanumeric "
            "characters"),
    (["--opt", "foo=bar", "{n}"], 'create {n}: invalid option: "foo"'),
    (["--opt", "type=tmpfs", "{n}"], 'create {n}: missing required option: "device"'),
    (["--opt", "o=bind", "{n}"], 'create {n}: missing required option: "'),
    (["-d", "nfs", "{n}"], 'error looking up volume plugin nfs: plugin "nfs" not found'),
])
def test_bad_volume_create(daemon: Daemon, made: Made, name: str, args: list[str],
                           message: str) -> None:
    v = made.volume(name[:60])
    args = [a.replace("{n}", v) for a in args]
    before = _state(daemon)
    r = docker(daemon, "volume", "create", *args)
    assert r.returncode == 1
    assert f"Error response from daemon: {message.replace('{n}', v)}" in r.stderr
    assert _state(daemon) == before


def test_sdk_errors(daemon: Daemon, made: Made, name: str) -> None:
    client = docker_sdk.DockerClient(base_url=daemon.host, version="auto", timeout=60)
    try:
        with pytest.raises(docker_sdk.errors.APIError) as exc:
            client.volumes.create(name="no/slashes")
        assert exc.value.status_code == 400 and "includes invalid characters" in str(exc.value)
        with pytest.raises(docker_sdk.errors.NotFound) as nf:
            client.volumes.get(f"{name}-none")
        assert f"get {name}-none: no such volume" in str(nf.value)
        with pytest.raises(docker_sdk.errors.APIError) as exc:
            client.containers.create("busybox", "true", name=made.container(name),
                                     mounts=[docker_sdk.types.Mount(
                                         "/x", "/nonexistent-dy-x", type="bind")])
        assert exc.value.status_code == 400
        assert "bind source path does not exist" in str(exc.value)
        # what the CLI refuses itself, the daemon refuses too
        with pytest.raises(docker_sdk.errors.APIError) as exc:
            client.api.create_container("busybox", "true", name=made.container(f"{name}-b"),
                                        host_config={"Binds": ["/tmp:/x:ro:z"]})
        assert exc.value.status_code == 400
        assert "invalid volume specification: '/tmp:/x:ro:z'" in str(exc.value)
        with pytest.raises(docker_sdk.errors.APIError) as exc:
            client.volumes.list(filters={"colour": "red"})
        assert exc.value.status_code == 400
    finally:
        client.close()
