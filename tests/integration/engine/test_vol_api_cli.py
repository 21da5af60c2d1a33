"""``docker volume create|ls|inspect|rm|prune``, local driver options, volume events and
``system df``, through the real docker CLI and the docker SDK."""

from __future__ import annotations

import json
import os
import re
import time

import docker as docker_sdk
import pytest

from engine_helpers import Daemon, _unix_request, docker
from vol_helpers import Made, inspect, made, run, volume_mounts, volume_names  # noqa: F401


def test_create_inspect_ls_rm(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-v")
    assert docker(daemon, "volume", "create", "--label", "tier=db", "--label", "x",
                  v, check=True).stdout == f"{v}\n"
    info = inspect(daemon, v, "volume")
    assert info["Name"] == v and info["Driver"] == "local" and info["Scope"] == "local"
    assert info["Mountpoint"] == os.path.join(daemon.data_root, "volumes", v, "_data")
    assert os.path.isdir(info["Mountpoint"])
    assert info["Labels"] == {"tier": "db", "x": ""}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["CreatedAt"])
    assert docker(daemon, "volume", "inspect", "-f", "{{.Mountpoint}}", v,
                  check=True).stdout.strip() == info["Mountpoint"]
    # creating it again answers the same volume
    docker(daemon, "volume", "create", v, check=True)
    assert inspect(daemon, v, "volume")["CreatedAt"] == info["CreatedAt"]
    # a generated name
    gen = made.volume(docker(daemon, "volume", "create", check=True).stdout.strip())
    assert re.fullmatch(r"[0-9a-f]{64}", gen)
    out = docker(daemon, "volume", "ls", check=True).stdout.splitlines()
    assert out[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert f"local     {v}" in out
    assert {v, gen} <= set(volume_names(daemon))
    assert volume_names(daemon, f"name={name}-") == [v]
    assert volume_names(daemon, "label=tier=db") == [v]
    assert volume_names(daemon, "label=tier=web") == []
    assert v in volume_names(daemon, "driver=local")
    assert volume_names(daemon, "driver=nfs") == []
    docker(daemon, "volume", "rm", v, gen, check=True)
    assert not os.path.exists(os.path.join(daemon.data_root, "volumes", v))
    r = docker(daemon, "volume", "rm", v)
    assert r.returncode == 1 and f"get {v}: no such volume" in r.stderr
    r = docker(daemon, "volume", "inspect", v)
    assert r.returncode == 1 and f"get {v}: no such volume" in r.stderr
    assert docker(daemon, "volume", "rm", "-f", v).returncode == 0


def test_ls_dangling_and_bad_filter(daemon: Daemon, made: Made, name: str) -> None:
    used, idle = made.volume(f"{name}-used"), made.volume(f"{name}-idle")
    docker(daemon, "volume", "create", idle, check=True)
    run(daemon, "--name", made.container(name), "-v", f"{used}:/x", "busybox", "true")
    assert used in volume_names(daemon, "dangling=false")
    assert used not in volume_names(daemon, "dangling=true")
    assert idle in volume_names(daemon, "dangling=true")
    r = docker(daemon, "volume", "ls", "--filter", "colour=red")
    assert r.returncode != 0 and "invalid filter 'colour'" in r.stderr
    r = docker(daemon, "volume", "ls", "--filter", "dangling=maybe")
    assert r.returncode != 0 and "invalid filter 'dangling=maybe'" in r.stderr


def test_local_tmpfs_volume_is_mounted_while_used(daemon: Daemon, made: Made,
                                                  name: str) -> None:
    v = made.volume(f"{name}-t")
    docker(daemon, "volume", "create", "-d", "local", "--opt", "type=tmpfs", "--opt",
           "device=tmpfs", "--opt", "o=size=1m,mode=0770", v, check=True)
    info = inspect(daemon, v, "volume")
    assert info["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m,mode=0770"}
    r = run(daemon, "--rm", "-v", f"{v}:/t", "busybox", "sh", "-c",
            "grep ' /t ' /proc/mounts; stat -c %a /t; "
            "dd if=/dev/zero of=/t/big bs=1k count=2048 2>&1; ls -l /t/big", check=False)
    assert "tmpfs /t tmpfs" in r.stdout and "size=1024k" in r.stdout
    assert "770" in r.stdout.splitlines()[1]
    assert "No space left on device" in r.stdout
    assert volume_mounts(daemon) == []   # unmounted once unused


def test_local_bind_volume_keeps_host_data(daemon: Daemon, made: Made, name: str) -> None:
    host = made.tmpdir()
    with open(os.path.join(host, "keep"), "w") as f:
        f.write("precious\n")
    v = made.volume(f"{name}-b")
    docker(daemon, "volume", "create", "--opt", "type=none", "--opt", f"device={host}",
           "--opt", "o=bind", v, check=True)
    r = run(daemon, "--rm", "-v", f"{v}:/b", "busybox", "sh", "-c",
            "cat /b/keep; echo new > /b/made")
    assert r.stdout == "precious\n"
    assert open(os.path.join(host, "made")).read() == "new\n"
    assert volume_mounts(daemon) == []
    docker(daemon, "volume", "rm", v, check=True)
    # removing the volume never deletes through the bind: the host folder keeps its files
    assert sorted(os.listdir(host)) == ["keep", "made"]


def test_local_bind_volume_missing_device_fails_at_run(daemon: Daemon, made: Made,
                                                       name: str) -> None:
    v = made.volume(f"{name}-m")
    docker(daemon, "volume", "create", "--opt", "type=none", "--opt",
           "device=/nonexistent-dy-device", "--opt", "o=bind", v, check=True)
    r = run(daemon, "--name", made.container(name), "-v", f"{v}:/b", "busybox", "true",
            check=False)
    assert r.returncode != 0 and "failed to mount local volume" in r.stderr
    assert volume_mounts(daemon) == []


def test_prune_anonymous_by_default_all_and_labels(daemon: Daemon, made: Made,
                                                   name: str) -> None:
    named = made.volume(f"{name}-named")
    labelled = made.volume(f"{name}-lab")
    used = made.volume(f"{name}-used")
    docker(daemon, "volume", "create", named, check=True)
    docker(daemon, "volume", "create", "--label", f"{name}=1", labelled, check=True)
    c = made.container(name)
    run(daemon, "--name", c, "-v", f"{used}:/u", "-v", "/anon", "busybox", "true")
    anon_in_use = [m["Name"] for m in inspect(daemon, c)["Mounts"] if m["Destination"] == "/anon"]
    # an anonymous volume nothing uses any more
    c2 = made.container(f"{name}-2")
    run(daemon, "--name", c2, "-v", "/scratch", "busybox", "true")
    loose = [m["Name"] for m in inspect(daemon, c2)["Mounts"]][0]
    assert inspect(daemon, loose, "volume")["Labels"] == {"com.docker.volume.anonymous": ""}
    docker(daemon, "rm", c2, check=True)
    assert loose in volume_names(daemon)
    r = docker(daemon, "volume", "prune", "-f", check=True)
    assert loose in r.stdout and named not in r.stdout and labelled not in r.stdout
    assert loose not in volume_names(daemon)
    assert {named, labelled, used, *anon_in_use} <= set(volume_names(daemon))
    # -a with a label filter: only the labelled named volume goes
    r = docker(daemon, "volume", "prune", "-f", "-a", "--filter", f"label={name}=1",
               check=True)
    assert labelled in r.stdout and named not in r.stdout
    assert labelled not in volume_names(daemon) and named in volume_names(daemon)
    # label! keeps what matches; in-use volumes are never pruned
    docker(daemon, "volume", "create", "--label", "keep=yes", labelled, check=True)
    docker(daemon, "volume", "prune", "-f", "-a", "--filter", "label!=keep", check=True)
    names = set(volume_names(daemon))
    assert labelled in names and used in names and named not in names


def test_rm_in_use_refused_loses_nothing(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-v")
    c = made.container(name)
    run(daemon, "-d", "--name", c, "-v", f"{v}:/d", "busybox", "sh", "-c",
        "echo data > /d/file; sleep 300")
    cid = inspect(daemon, c)["Id"]
    time.sleep(0.5)
    for args in (("volume", "rm", v), ("volume", "rm", "-f", v)):
        r = docker(daemon, *args)
        assert r.returncode == 1
        assert f"remove {v}: volume is in use - [{cid}]" in r.stderr
    assert docker(daemon, "exec", c, "cat", "/d/file", check=True).stdout == "data\n"
    docker(daemon, "rm", "-f", c, check=True)
    # a stopped (or created) container still holds its volumes, as in Docker
    docker(daemon, "create", "--name", c, "-v", f"{v}:/d", "busybox", "true", check=True)
    assert docker(daemon, "volume", "rm", v).returncode == 1
    docker(daemon, "rm", c, check=True)
    docker(daemon, "volume", "rm", v, check=True)


def test_volume_events(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-ev")
    since = str(time.time() - 0.1)
    docker(daemon, "volume", "create", v, check=True)
    run(daemon, "--rm", "-v", f"{v}:/x:ro", "busybox", "true")
    docker(daemon, "volume", "rm", v, check=True)
    docker(daemon, "volume", "prune", "-f", "--filter", "label=nothing-has-this", check=True)
    time.sleep(0.2)
    r = docker(daemon, "events", "--since", since, "--until", str(time.time()), "--filter",
               "type=volume", "--format", "{{json .}}", check=True, timeout=30)
    evs = [json.loads(line) for line in r.stdout.splitlines()]
    mine = [(e["Action"], e["Actor"]["Attributes"]) for e in evs if e["Actor"]["ID"] == v]
    assert [a for a, _ in mine] == ["create", "mount", "unmount", "destroy"]
    assert mine[0][1] == {"driver": "local"}
    assert mine[1][1]["destination"] == "/x" and mine[1][1]["read/write"] == "false"
    assert len(mine[1][1]["container"]) == 64
    assert any(e["Action"] == "prune" and "reclaimed" in e["Actor"]["Attributes"]
               for e in evs)


def test_system_df_counts_volumes(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-df")
    run(daemon, "--name", made.container(name), "-v", f"{v}:/d", "busybox", "sh", "-c",
        "head -c 4096 /dev/zero > /d/f")
    status, body = _unix_request(daemon.sock, "GET", "/system/df")
    assert status == 200
    vols = {x["Name"]: x for x in json.loads(body)["Volumes"] or []}
    assert vols[v]["UsageData"] == {"Size": 4096, "RefCount": 1}
    assert vols[v]["Mountpoint"] == inspect(daemon, v, "volume")["Mountpoint"]
    r = docker(daemon, "system", "df", check=True)
    assert re.search(r"^Local Volumes\s+\d+\s+\d+", r.stdout, re.M)
    r = docker(daemon, "system", "df", "-v", "--format", "{{json .Volumes}}", check=True)
    mine = [x for x in json.loads(r.stdout) if x["Name"] == v]
    assert mine and mine[0]["Links"] == "1" and mine[0]["Size"] == "4.096kB"


# -- the docker SDK -----------------------------------------------------------------------
def test_sdk_volumes(client, made: Made, name: str) -> None:
    v = made.volume(f"{name}-sdk")
    vol = client.volumes.create(name=v, driver="local", labels={"sdk": "yes"},
                                driver_opts={"type": "tmpfs", "device": "tmpfs",
                                             "o": "size=2m"})
    assert vol.name == v and vol.attrs["Labels"] == {"sdk": "yes"}
    assert client.volumes.get(v).attrs["Options"]["o"] == "size=2m"
    assert [x.name for x in client.volumes.list(filters={"label": "sdk=yes"})] == [v]
    out = client.containers.run("busybox", ["sh", "-c", "echo hi > /v/f; cat /v/f; "
                                            "grep -c ' /v tmpfs' /proc/mounts"],
                                volumes={v: {"bind": "/v", "mode": "rw"}}, remove=True)
    assert out == b"hi\n1\n"
    c = client.containers.run("busybox", ["sleep", "300"], detach=True,
                              name=made.container(name),
                              volumes={v: {"bind": "/v", "mode": "ro"}})
    with pytest.raises(docker_sdk.errors.APIError) as exc:
        vol.remove()
    assert exc.value.status_code == 409 and "volume is in use" in str(exc.value)
    mounts = client.api.inspect_container(c.id)["Mounts"]
    assert mounts == [{"Type": "volume", "Name": v, "Source": vol.attrs["Mountpoint"],
                       "Destination": "/v", "Driver": "local", "Mode": "ro", "RW": False,
                       "Propagation": ""}]
    c.remove(force=True)
    res = client.volumes.prune(filters={"label": "sdk=yes", "all": "true"})
    assert res["VolumesDeleted"] == [v]
    with pytest.raises(docker_sdk.errors.NotFound):
        client.volumes.get(v)


def test_option_volume_stays_mounted_while_any_user_runs(daemon: Daemon, made: Made,
                                                         name: str) -> None:
    v = made.volume(f"{name}-shared")
    docker(daemon, "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
           "--opt", "o=size=1m", v, check=True)
    long = made.container(f"{name}-long")
    run(daemon, "-d", "--name", long, "-v", f"{v}:/m", "busybox", "sh", "-c",
        "echo kept > /m/f; sleep 300")
    run(daemon, "--rm", "-v", f"{v}:/m", "busybox", "cat", "/m/f")
    # the short one stopped; the long one still has the same tmpfs
    mp = inspect(daemon, v, "volume")["Mountpoint"]
    assert volume_mounts(daemon) == [mp]
    assert docker(daemon, "exec", long, "cat", "/m/f", check=True).stdout == "kept\n"
    docker(daemon, "stop", "-t", "0", long, check=True, timeout=60)
    assert volume_mounts(daemon) == []
    # a tmpfs volume starts empty again at its next mount
    assert run(daemon, "--rm", "-v", f"{v}:/m", "busybox", "ls", "-A", "/m").stdout == ""
