"""Data in named volumes outlives containers, a daemon restart and a ``kill -9`` of the
daemon; the volume records and in-use references come back with the daemon."""

from __future__ import annotations

import json
import os
import time


from engine_helpers import Daemon, docker
from vol_helpers import volume_mounts, volume_names



def _run(d: Daemon, *args: str) -> str:
    return docker(d, "run", *args, check=True, timeout=60).stdout


def test_data_survives_container_removal_and_daemon_restart(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "volume", "create", "--label", "keep=1", "keep", check=True)
    _run(d, "--name", "writer", "-v", "keep:/k", "-v", "/anon", "busybox", "sh", "-c",
         "echo precious > /k/f; echo scratch > /anon/s")
    anon = [m["Name"] for m in json.loads(docker(d, "inspect", "writer", check=True).stdout)[0]
            ["Mounts"] if m["Destination"] == "/anon"][0]
    docker(d, "rm", "writer", check=True)
    assert _run(d, "--rm", "-v", "keep:/k", "busybox", "cat", "/k/f") == "precious\n"
    before = json.loads(docker(d, "volume", "inspect", "keep", anon, check=True).stdout)
    d.terminate()
    d.start()
    after = json.loads(docker(d, "volume", "inspect", "keep", anon, check=True).stdout)
    assert after == before
    assert _run(d, "--rm", "-v", "keep:/k", "busybox", "cat", "/k/f") == "precious\n"
    docker(d, "volume", "rm", "keep", anon, check=True)
    assert volume_names(d) == []


def test_kill9_keeps_volumes_users_and_data(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "volume", "create", "-d", "local", "--opt", "type=tmpfs", "--opt",
           "device=tmpfs", "--opt", "o=size=1m", "mem", check=True)
    docker(d, "run", "-d", "--name", "ticker", "-v", "data:/d", "-v", "mem:/m", "busybox",
           "sh", "-c", "i=0; while :; do echo $i >> /d/log; echo $i > /m/last; i=$((i+1)); "
           "sleep 0.05; done", check=True, timeout=60)
    cid = json.loads(docker(d, "inspect", "ticker", check=True).stdout)[0]["Id"]
    time.sleep(0.5)
    d.kill9()
    time.sleep(0.5)   # the container keeps writing while no daemon runs
    mp = os.path.join(d.data_root, "volumes", "data", "_data")
    n_offline = len(open(os.path.join(mp, "log")).read().split())
    d.start()
    assert sorted(volume_names(d)) == ["data", "mem"]
    # the re-adopted container still holds its volumes (and its option volume stays mounted)
    r = docker(d, "volume", "rm", "data")
    assert r.returncode == 1 and f"remove data: volume is in use - [{cid}]" in r.stderr
    assert volume_mounts(d) == [os.path.join(d.data_root, "volumes", "mem", "_data")]
    time.sleep(0.3)
    lines = open(os.path.join(mp, "log")).read().split()
    assert len(lines) > n_offline and lines == [str(i) for i in range(len(lines))]
    docker(d, "stop", "-t", "0", "ticker", check=True, timeout=60)
    assert volume_mounts(d) == []    # the last user stopped: unmounted
    docker(d, "rm", "ticker", check=True)
    docker(d, "volume", "rm", "data", "mem", check=True)


def test_kill9_during_stopped_container_then_option_volume_unmounted(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "mem",
           check=True)
    docker(d, "run", "-d", "--name", "short", "-v", "mem:/m", "busybox", "sh", "-c",
           "sleep 1", check=True, timeout=60)
    d.kill9()
    time.sleep(2)   # the container ends while the daemon is away
    d.start()
    st = json.loads(docker(d, "inspect", "short", check=True).stdout)[0]["State"]
    assert st["Status"] == "exited"
    assert volume_mounts(d) == []
    docker(d, "rm", "short", check=True)
    docker(d, "volume", "rm", "mem", check=True)


def test_half_created_volume_directory_is_repaired(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "volume", "create", "real", check=True)
    d.kill9()
    # what a kill -9 between mkdir and the database row leaves
    os.makedirs(os.path.join(d.data_root, "volumes", "halfmade", "_data"))
    d.start()
    assert volume_names(d) == ["real"]
    assert sorted(os.listdir(os.path.join(d.data_root, "volumes"))) == ["real"]
    docker(d, "volume", "rm", "real", check=True)
