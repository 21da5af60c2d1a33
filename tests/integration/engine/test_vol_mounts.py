"""``-v name:/path[:opts]``, ``-v /host:/path[:ro][,propagation]`` and ``--mount`` (volume,
bind, tmpfs), as ``docker inspect`` lists them; two containers sharing one volume."""

from __future__ import annotations

import os
import time

import docker as docker_sdk

from engine_helpers import Daemon, docker
from vol_helpers import Made, inspect, made, run, volume_names  # noqa: F401


def _mounts(d: Daemon, c: str) -> dict[str, dict]:
    return {m["Destination"]: m for m in inspect(d, c)["Mounts"]}


def test_named_volume_flags_and_inspect(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-v")
    c = made.container(name)
    assert v not in volume_names(daemon)
    r = run(daemon, "--name", c, "-v", f"{v}:/rw", "-v", f"{v}:/ro:ro,z", "busybox", "sh",
            "-c", "echo one > /rw/f; cat /ro/f; echo two > /ro/g 2>/dev/null || echo refused")
    assert r.stdout == "one\nrefused\n"
    m = _mounts(daemon, c)
    src = os.path.join(daemon.data_root, "volumes", v, "_data")
    assert m["/rw"] == {"Type": "volume", "Name": v, "Source": src, "Destination": "/rw",
                        "Driver": "local", "Mode": "z", "RW": True, "Propagation": ""}
    assert m["/ro"]["Mode"] == "ro,z" and m["/ro"]["RW"] is False
    # the CLI's `ps --filter volume=`
    assert docker(daemon, "ps", "-a", "-q", "--filter", f"volume={v}",
                  check=True).stdout.strip() == inspect(daemon, c)["Id"][:12]
    # named volumes survive the container, even with rm -v
    docker(daemon, "rm", "-v", c, check=True)
    assert open(os.path.join(src, "f")).read() == "one\n"
    assert run(daemon, "--rm", "-v", f"{v}:/x", "busybox", "cat", "/x/f").stdout == "one\n"


def test_bind_creates_missing_host_folder(daemon: Daemon, made: Made, name: str) -> None:
    base = made.tmpdir()
    host = os.path.join(base, "not", "yet")
    c = made.container(name)
    run(daemon, "--name", c, "-v", f"{host}:/h", "busybox", "sh", "-c", "echo in > /h/f")
    assert open(os.path.join(host, "f")).read() == "in\n"
    assert _mounts(daemon, c)["/h"] == {"Type": "bind", "Source": host, "Destination": "/h",
                                        "Mode": "", "RW": True, "Propagation": "rprivate"}
    docker(daemon, "rm", "-v", c, check=True)
    assert os.path.exists(os.path.join(host, "f"))   # rm -v never touches binds


def test_bind_read_only_and_propagation(daemon: Daemon, made: Made, name: str) -> None:
    host = made.tmpdir()
    with open(os.path.join(host, "f"), "w") as f:
        f.write("host\n")
    c = made.container(name)
    r = run(daemon, "--name", c, "-v", f"{host}:/h:ro,rslave", "busybox", "sh", "-c",
            "cat /h/f; touch /h/new 2>&1 || true")
    assert r.stdout.startswith("host\n") and "Read-only file system" in r.stdout
    assert not os.path.exists(os.path.join(host, "new"))
    assert _mounts(daemon, c)["/h"] == {"Type": "bind", "Source": host, "Destination": "/h",
                                        "Mode": "ro,rslave", "RW": False,
                                        "Propagation": "rslave"}


def test_bind_of_a_single_file(daemon: Daemon, made: Made, name: str) -> None:
    host = made.tmpdir()
    path = os.path.join(host, "conf")
    with open(path, "w") as f:
        f.write("k=v\n")
    r = run(daemon, "--rm", "-v", f"{path}:/etc/app.conf:ro", "busybox", "cat",
            "/etc/app.conf")
    assert r.stdout == "k=v\n"


def test_mount_flag_long_form(daemon: Daemon, made: Made, name: str) -> None:
    host = made.tmpdir()
    v = made.volume(f"{name}-v")
    c = made.container(name)
    run(daemon, "--name", c,
        "--mount", f"type=volume,src={v},dst=/vol,volume-label=k=l",
        "--mount", f"type=bind,src={host},dst=/b,readonly,bind-propagation=rslave",
        "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770",
        "--mount", "type=volume,dst=/anon",
        "busybox", "sh", "-c",
        "echo v > /vol/f; touch /b/x 2>/dev/null || echo ro-bind; "
        "grep ' /t ' /proc/mounts; stat -c %a /t")
    out = run(daemon, "--rm", "-v", f"{v}:/vol", "busybox", "cat", "/vol/f").stdout
    assert out == "v\n"
    r = docker(daemon, "logs", c, check=True).stdout.splitlines()
    assert r[0] == "ro-bind"
    assert "tmpfs /t tmpfs" in r[1] and "size=1024k" in r[1] and "mode=1770" in r[1]
    assert r[2] == "1770"
    assert inspect(daemon, v, "volume")["Labels"] == {"k": "l"}
    m = _mounts(daemon, c)
    assert m["/vol"]["Mode"] == "z" and m["/vol"]["RW"] is True
    assert m["/b"] == {"Type": "bind", "Source": host, "Destination": "/b", "Mode": "",
                       "RW": False, "Propagation": "rslave"}
    assert m["/t"] == {"Type": "tmpfs", "Source": "", "Destination": "/t", "Mode": "",
                       "RW": True, "Propagation": ""}
    anon = m["/anon"]["Name"]
    assert inspect(daemon, anon, "volume")["Labels"] == {"com.docker.volume.anonymous": ""}
    docker(daemon, "rm", "-v", c, check=True)
    assert anon not in volume_names(daemon) and v in volume_names(daemon)


def test_mount_volume_opt_creates_option_volume(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-o")
    r = run(daemon, "--rm", "--mount",
            f"type=volume,src={v},dst=/o,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"
            f'"volume-opt=o=size=2m"', "busybox", "sh", "-c", "grep ' /o ' /proc/mounts")
    assert "tmpfs /o tmpfs" in r.stdout and "size=2048k" in r.stdout
    assert inspect(daemon, v, "volume")["Options"] == {"type": "tmpfs", "device": "tmpfs",
                                                       "o": "size=2m"}


def test_two_containers_share_a_volume(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-shared")
    a, b = made.container(f"{name}-a"), made.container(f"{name}-b")
    run(daemon, "-d", "--name", a, "-v", f"{v}:/s", "busybox", "sh", "-c",
        "i=0; while :; do echo a$i >> /s/a.log; i=$((i+1)); sleep 0.05; done")
    run(daemon, "-d", "--name", b, "-v", f"{v}:/s", "busybox", "sh", "-c",
        "i=0; while :; do echo b$i >> /s/b.log; i=$((i+1)); sleep 0.05; done")
    time.sleep(1.0)
    assert inspect(daemon, a)["State"]["Running"] and inspect(daemon, b)["State"]["Running"]
    # each sees the other's writes, live
    n1 = len(docker(daemon, "exec", a, "cat", "/s/b.log", check=True).stdout.split())
    time.sleep(0.5)
    n2 = len(docker(daemon, "exec", a, "cat", "/s/b.log", check=True).stdout.split())
    assert 0 < n1 < n2
    assert docker(daemon, "exec", b, "head", "-1", "/s/a.log", check=True).stdout == "a0\n"
    r = docker(daemon, "volume", "rm", v)
    assert r.returncode == 1 and "volume is in use" in r.stderr
    ids = sorted(inspect(daemon, x)["Id"] for x in (a, b))
    assert r.stderr.strip().endswith(f"[{', '.join(ids)}]") or all(i in r.stderr for i in ids)


def test_sdk_binds_and_mounts(daemon: Daemon, made: Made, name: str) -> None:
    host = made.tmpdir()
    v = made.volume(f"{name}-sdk")
    client = docker_sdk.DockerClient(base_url=daemon.host, version="auto", timeout=60)
    try:
        out = client.containers.run(
            "busybox", ["sh", "-c", "echo s > /h/s; echo v > /v/f; cat /v/f; ls /t"],
            volumes={host: {"bind": "/h", "mode": "rw"}},
            mounts=[docker_sdk.types.Mount("/v", v, type="volume"),
                    docker_sdk.types.Mount("/t", None, type="tmpfs", tmpfs_size="1m")],
            name=made.container(name))
        assert out == b"v\n"
        attrs = client.containers.get(name).attrs
        assert sorted(m["Type"] for m in attrs["Mounts"]) == ["bind", "tmpfs", "volume"]
        assert attrs["HostConfig"]["Binds"] == [f"{host}:/h:rw"]
    finally:
        client.close()
    assert open(os.path.join(host, "s")).read() == "s\n"


def test_cli_relative_bind_is_made_absolute(daemon: Daemon, made: Made, name: str) -> None:
    import subprocess

    from engine_helpers import DOCKER_CLI
    cwd = made.tmpdir()
    r = subprocess.run([DOCKER_CLI, "run", "--rm", "-v", "./sub:/s", "busybox", "sh", "-c",
                        "echo rel > /s/f"], env=daemon.env, cwd=cwd, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(cwd, "sub", "f")).read() == "rel\n"
