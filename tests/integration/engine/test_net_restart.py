"""A daemon restart keeps networks, addresses and netns of running containers; their end
after the restart still tears everything down; nothing is left on the host."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker, started_daemon
from net_helpers import (ctr_inspect, http_get, instance, leftovers, links, net_inspect, rules,
                         HTTPD)


@pytest.fixture(scope="module")
def own() -> Iterator[Daemon]:
    with started_daemon() as d:
        yield d
        assert leftovers(d, [], []) == []
    inst = instance(d)
    assert f"dy{inst}-" not in links() and f"DY-{inst}" not in rules()


def test_restart_keeps_addresses(own: Daemon, name: str) -> None:
    d = own
    docker(d, "network", "create", "--subnet", "10.201.40.0/24", name, check=True)
    docker(d, "run", "-d", "--name", name + "-a", "--network", name, "busybox", "sleep", "120",
           check=True)
    docker(d, "run", "-d", "--name", name + "-w", "-p", "127.0.0.1::80", "busybox", "sh", "-c",
           HTTPD.format(text="kept"), check=True)
    a = ctr_inspect(d, name + "-a")["NetworkSettings"]["Networks"][name]
    w = ctr_inspect(d, name + "-w")["NetworkSettings"]
    port = w["Ports"]["80/tcp"][0]["HostPort"]
    d.terminate()
    d.start()
    a2 = ctr_inspect(d, name + "-a")["NetworkSettings"]["Networks"][name]
    assert (a2["IPAddress"], a2["MacAddress"], a2["EndpointID"]) == (
        a["IPAddress"], a["MacAddress"], a["EndpointID"])
    assert ctr_inspect(d, name + "-w")["NetworkSettings"]["IPAddress"] == w["IPAddress"]
    assert http_get(f"http://127.0.0.1:{port}/").strip() == "kept"
    # a new container gets a new address, not a duplicate of a kept lease
    r = docker(d, "run", "--rm", "--network", name, "busybox", "sh", "-c",
               f"ip -4 -o addr show eth0; ping -c1 -W2 {name}-a", check=True)
    assert a["IPAddress"] + "/" not in r.stdout
    r = docker(d, "run", "--rm", "busybox", "ip", "-4", "-o", "addr", "show", "eth0",
               check=True)
    assert w["IPAddress"] + "/" not in r.stdout
    # killed while the daemon is down: the next daemon tears its endpoint down
    cid = ctr_inspect(d, name + "-a")["Id"]
    d.terminate()
    subprocess.run(["runc", "--root", os.path.join(d.exec_root, "runc"), "kill", cid, "KILL"],
                   check=True)
    time.sleep(1)
    d.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not ctr_inspect(d, name + "-a")["State"]["Running"]:
            break
        time.sleep(0.2)
    assert cid not in net_inspect(d, name)["Containers"]
    assert not os.path.exists(os.path.join(d.exec_root, "netns", cid))
    docker(d, "rm", "-f", name + "-a", name + "-w", check=True)
    docker(d, "network", "rm", name, check=True)
    assert "10.201.40.0/24" not in rules()
