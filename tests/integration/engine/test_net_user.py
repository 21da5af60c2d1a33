"""User-defined bridge networks: create/ls/inspect/rm/prune, name and alias resolution
through aardvark-dns, isolation between networks, --internal, live connect/disconnect,
overlapping subnets refused."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker
from net_helpers import rules, ctr_inspect, leftovers, net_inspect, HTTPD

_made: dict[str, tuple[str, str]] = {}   # network name -> (subnet, bridge)


def _net(d: Daemon, name: str, *args: str) -> dict:
    docker(d, "network", "create", *args, name, check=True)
    info = net_inspect(d, name)
    _made[name] = (info["IPAM"]["Config"][0]["Subnet"],
                   info["Options"].get("com.docker.network.bridge.name", ""))
    return info


@pytest.fixture(scope="module", autouse=True)
def no_leftovers(daemon: Daemon) -> Iterator[None]:
    before = rules()
    yield
    for n in list(_made):
        docker(daemon, "network", "rm", n)
    subnets = [s for s, _ in _made.values()]
    bridges = [b for _, b in _made.values() if b]
    assert leftovers(daemon, subnets, bridges, before) == []


def test_create_inspect_ls_rm(daemon: Daemon, name: str) -> None:
    info = _net(daemon, name, "--subnet", "10.201.10.0/24", "--gateway", "10.201.10.254",
                "--ip-range", "10.201.10.128/25", "--label", "team=net", "--attachable",
                "-o", "com.docker.network.driver.mtu=1300")
    assert info["Driver"] == "bridge" and info["Attachable"] is True
    assert info["IPAM"]["Config"][0] == {"Subnet": "10.201.10.0/24", "Gateway": "10.201.10.254",
                                         "IPRange": "10.201.10.128/25"}
    assert info["Labels"] == {"team": "net"}
    r = docker(daemon, "network", "ls", "-q", "--filter", f"name={name}", check=True)
    assert r.stdout.split() == [info["Id"][:12]]
    r = docker(daemon, "network", "ls", "--filter", "label=team=net", "--format", "{{.Name}}",
               check=True)
    assert name in r.stdout.split()
    r = docker(daemon, "network", "ls", "--filter", "type=custom", "--format", "{{.Name}}",
               check=True)
    assert "bridge" not in r.stdout.split() and name in r.stdout.split()
    r = docker(daemon, "network", "ls", "--filter", "driver=null", "--format", "{{.Name}}",
               check=True)
    assert r.stdout.split() == ["none"]
    ctr = f"{name}-c"
    docker(daemon, "run", "-d", "--name", ctr, "--network", name, "busybox", "sleep", "60",
           check=True)
    try:
        ip = ctr_inspect(daemon, ctr)["NetworkSettings"]["Networks"][name]["IPAddress"]
        assert ip == "10.201.10.128" or ip.startswith("10.201.10.1")  # inside the ip-range
        r = docker(daemon, "exec", ctr, "cat", "/sys/class/net/eth0/mtu", check=True)
        assert r.stdout.strip() == "1300"
        conts = net_inspect(daemon, name)["Containers"]
        (entry,) = conts.values()
        assert entry["Name"] == ctr and entry["IPv4Address"] == f"{ip}/24"
        assert entry["MacAddress"] and entry["EndpointID"]
        r = docker(daemon, "network", "rm", name)
        assert r.returncode != 0
        assert (f"error while removing network: network {name} id {info['Id']} has active "
                f"endpoints") in r.stderr
    finally:
        docker(daemon, "rm", "-f", ctr)
    docker(daemon, "network", "rm", name, check=True)
    _made.pop(name)
    assert docker(daemon, "network", "inspect", name).returncode != 0


def test_builtin_networks_cannot_be_removed(daemon: Daemon) -> None:
    r = docker(daemon, "network", "rm", "bridge")
    assert "bridge is a pre-defined network and cannot be removed" in r.stderr


def test_duplicate_name_refused(daemon: Daemon, name: str) -> None:
    _net(daemon, name)
    r = docker(daemon, "network", "create", name)
    assert r.returncode != 0 and "already exists" in r.stderr


def test_overlapping_subnet_refused(daemon: Daemon, name: str) -> None:
    _net(daemon, name, "--subnet", "10.201.20.0/24")
    r = docker(daemon, "network", "create", "--subnet", "10.201.20.128/25", name + "-b")
    assert r.returncode != 0
    assert "Pool overlaps with other one on this address space" in r.stderr
    # a host route is refused as well (the host's own eth0 network)
    import subprocess
    routes = json.loads(subprocess.run(["ip", "-j", "-4", "route"], capture_output=True,
                                       text=True).stdout)
    host = next((r["dst"] for r in routes if r["dst"] != "default" and "/" in r["dst"]), None)
    if host:
        r = docker(daemon, "network", "create", "--subnet", host, name + "-c")
        assert "Pool overlaps with other one on this address space" in r.stderr


def test_name_and_alias_resolution(daemon: Daemon, name: str) -> None:
    _net(daemon, name)
    srv = f"{name}-srv"
    docker(daemon, "run", "-d", "--name", srv, "--network", name, "--network-alias", "backend",
           "busybox", "sleep", "60", check=True)
    try:
        ip = ctr_inspect(daemon, srv)["NetworkSettings"]["Networks"][name]["IPAddress"]
        ep = ctr_inspect(daemon, srv)["NetworkSettings"]["Networks"][name]
        assert "backend" in ep["Aliases"]
        gw = net_inspect(daemon, name)["IPAM"]["Config"][0]["Gateway"]
        r = docker(daemon, "run", "--rm", "--network", name, "busybox", "sh", "-c",
                   f"cat /etc/resolv.conf; ping -c1 -W2 {srv} && ping -c1 -W2 backend && "
                   f"nslookup -type=a {srv}")
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"nameserver {gw}" in r.stdout
        assert f"({ip})" in r.stdout and ip in r.stdout.split("Address:")[-1]
    finally:
        docker(daemon, "rm", "-f", srv)


def test_isolation_between_networks(daemon: Daemon, name: str) -> None:
    _net(daemon, name + "-a")
    _net(daemon, name + "-b")
    other = f"{name}-other"
    docker(daemon, "run", "-d", "--name", other, "--network", name + "-b", "busybox", "sh",
           "-c", HTTPD.format(text="b"), check=True)
    try:
        ip = ctr_inspect(daemon, other)["NetworkSettings"]["Networks"][name + "-b"]["IPAddress"]
        r = docker(daemon, "run", "--rm", "--network", name + "-b", "busybox",
                   "ping", "-c1", "-W2", ip)
        assert r.returncode == 0, r.stdout + r.stderr
        r = docker(daemon, "run", "--rm", "--network", name + "-a", "busybox",
                   "ping", "-c1", "-W2", ip)
        assert r.returncode != 0
        # nor from the default bridge (sh stays PID 1: busybox timeout cannot kill PID 1)
        r = docker(daemon, "run", "--rm", "busybox", "sh", "-c",
                   f"timeout 3 wget -qO- http://{ip}/; echo rc=$?")
        assert "rc=0" not in r.stdout and "rc=" in r.stdout
    finally:
        docker(daemon, "rm", "-f", other)


def test_internal_has_no_way_out(daemon: Daemon, name: str) -> None:
    _net(daemon, name + "-int", "--internal")
    _net(daemon, name + "-ext")
    srv = f"{name}-srv"
    docker(daemon, "run", "-d", "--name", srv, "--network", name + "-ext", "busybox", "sh",
           "-c", HTTPD.format(text="ext"), check=True)
    try:
        ext_ip = ctr_inspect(daemon, srv)["NetworkSettings"]["Networks"][name + "-ext"][
            "IPAddress"]
        r = docker(daemon, "run", "--rm", "--network", name + "-int", "busybox", "sh", "-c",
                   f"ip route; timeout 3 wget -qO- http://{ext_ip}/ && echo REACHED")
        assert "default" not in r.stdout
        assert "REACHED" not in r.stdout
        assert net_inspect(daemon, name + "-int")["Internal"] is True
    finally:
        docker(daemon, "rm", "-f", srv)


def test_connect_disconnect_running(daemon: Daemon, name: str) -> None:
    _net(daemon, name + "-x", "--subnet", "10.201.30.0/24")
    ctr, peer = f"{name}-c", f"{name}-peer"
    docker(daemon, "run", "-d", "--name", ctr, "busybox", "sleep", "60", check=True)
    docker(daemon, "run", "-d", "--name", peer, "--network", name + "-x", "busybox", "sleep",
           "60", check=True)
    try:
        docker(daemon, "network", "connect", "--ip", "10.201.30.40", "--alias", "joined",
               name + "-x", ctr, check=True)
        ep = ctr_inspect(daemon, ctr)["NetworkSettings"]["Networks"][name + "-x"]
        assert ep["IPAddress"] == "10.201.30.40" and "joined" in ep["Aliases"]
        r = docker(daemon, "exec", ctr, "ip", "-4", "-o", "addr", check=True)
        assert "10.201.30.40/24" in r.stdout
        r = docker(daemon, "exec", peer, "ping", "-c1", "-W2", "joined")
        assert r.returncode == 0, r.stdout + r.stderr
        gw = net_inspect(daemon, name + "-x")["IPAM"]["Config"][0]["Gateway"]
        r = docker(daemon, "exec", ctr, "cat", "/etc/resolv.conf", check=True)
        assert f"nameserver {gw}" in r.stdout   # the joined network's aardvark-dns
        r = docker(daemon, "exec", ctr, "ping", "-c1", "-W2", peer)
        assert r.returncode == 0, r.stdout + r.stderr
        r = docker(daemon, "network", "connect", name + "-x", ctr)
        assert r.returncode != 0 and "already exists in network" in r.stderr
        docker(daemon, "network", "disconnect", name + "-x", ctr, check=True)
        assert name + "-x" not in ctr_inspect(daemon, ctr)["NetworkSettings"]["Networks"]
        r = docker(daemon, "exec", ctr, "ip", "-4", "-o", "addr", check=True)
        assert "10.201.30.40" not in r.stdout
        r = docker(daemon, "exec", ctr, "cat", "/etc/resolv.conf", check=True)
        assert f"nameserver {gw}" not in r.stdout
        r = docker(daemon, "exec", peer, "ping", "-c1", "-W2", "10.201.30.40")
        assert r.returncode != 0
    finally:
        docker(daemon, "rm", "-f", ctr, peer)


def test_prune_removes_unused(daemon: Daemon, name: str) -> None:
    _net(daemon, name + "-p", "--label", "prune=me")
    r = docker(daemon, "network", "prune", "-f", "--filter", "label=prune=me", check=True)
    assert name + "-p" in r.stdout
    _made.pop(name + "-p")
    assert docker(daemon, "network", "inspect", name + "-p").returncode != 0


def test_static_ip_needs_user_subnet(daemon: Daemon, name: str) -> None:
    info = _net(daemon, name)
    subnet = info["IPAM"]["Config"][0]["Subnet"]
    ip = subnet.split("/")[0].rsplit(".", 1)[0] + ".9"
    r = docker(daemon, "run", "--rm", "--network", name, "--ip", ip, "busybox", "true")
    assert "user configured subnets" in r.stderr
    r = docker(daemon, "run", "--rm", "--ip", "172.17.0.9", "busybox", "true")
    assert r.returncode != 0
    _net(daemon, name + "-s", "--subnet", "10.201.60.0/24")
    r = docker(daemon, "run", "--rm", "--network", name + "-s", "--ip", "10.201.61.5",
               "busybox", "true")
    assert "no configured subnet or ip-range contain the IP address 10.201.61.5" in r.stderr


def test_run_on_missing_network(daemon: Daemon, name: str) -> None:
    r = docker(daemon, "run", "--rm", "--network", name + "-nope", "busybox", "true")
    assert r.returncode != 0 and "not found" in r.stderr
