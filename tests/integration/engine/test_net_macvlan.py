"""macvlan and ipvlan networks: containers straight on a parent link's segment.

The parent is a link this module makes (a dummy, or a veth pair where the kernel has no
dummy links), never a real interface; traffic stays between the containers on it.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import subprocess
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker, dockyard
from net_helpers import ctr_inspect, leftovers, net_inspect, rules

SUBNETS = {"mv": "10.233.11.0/24", "iv": "10.233.12.0/24", "ov": "10.233.13.0/24",
           "dm": "10.233.14.0/24"}


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True)


def _link_names() -> set[str]:
    """Host links this feature could leave: test parents, dummy parents (dm-), the
    daemon's temporary ipvlan/probe links (dyiv*, dyp*). Other daemons' links on this host
    come and go, so they are not compared."""
    return {ln["ifname"] for ln in json.loads(_ip("-j", "link").stdout)
            if ln["ifname"].startswith(("dytst", "dm-", "dyiv", "dyp"))}


@pytest.fixture(scope="module")
def parent() -> Iterator[str]:
    """A parent link of our own: a dummy, or (no CONFIG_DUMMY) one end of a veth pair."""
    for net in SUBNETS.values():
        routes = json.loads(_ip("-j", "-4", "route", "show", "table", "all").stdout)
        for r in routes:
            dst = r.get("dst", "")
            if dst and dst != "default" and "/" in dst:
                if ipaddress.ip_network(net).overlaps(ipaddress.ip_network(dst, strict=False)):
                    pytest.skip(f"{net} is routed on this host ({dst})")
    name = f"dytst{secrets.token_hex(2)}"
    made = [name]
    if _ip("link", "add", name, "type", "dummy").returncode != 0:
        r = _ip("link", "add", name, "type", "veth", "peer", "name", f"{name}p")
        assert r.returncode == 0, r.stderr
        made.append(f"{name}p")
    try:
        for link in made:
            assert _ip("link", "set", link, "up").returncode == 0
        yield name
    finally:
        _ip("link", "del", name)


@pytest.fixture(scope="module", autouse=True)
def no_leftovers(daemon: Daemon, parent: str) -> Iterator[None]:
    before_rules, before_links = rules(), _link_names()
    yield
    for n in ("mv", "iv", "ov", "dm"):
        docker(daemon, "network", "rm", f"dytest-{n}")
    assert leftovers(daemon, list(SUBNETS.values()), [], before_rules) == []
    assert _link_names() == before_links
    assert _children(parent) == []


def _children(parent: str) -> list[str]:
    """Links on the host stacked on the parent (macvlan/ipvlan children left behind)."""
    return [ln for ln in _ip("-o", "link").stdout.splitlines()
            if f"@{parent}:" in ln and f" {parent}p@" not in ln]   # not the veth peer


def _pair(d: Daemon, net: str, stem: str, static: str) -> tuple[str, str, str, str]:
    a, b = f"{stem}-a", f"{stem}-b"
    docker(d, "run", "-d", "--name", a, "--network", net, "--ip", static, "busybox",
           "sleep", "120", check=True)
    docker(d, "run", "-d", "--name", b, "--network", net, "busybox", "sleep", "120",
           check=True)
    ip_a = ctr_inspect(d, a)["NetworkSettings"]["Networks"][net]["IPAddress"]
    ip_b = ctr_inspect(d, b)["NetworkSettings"]["Networks"][net]["IPAddress"]
    return a, b, ip_a, ip_b


def _check_pair(d: Daemon, net: str, a: str, b: str, ip_a: str, ip_b: str, gw: str,
                subnet: str, static: str) -> None:
    assert ip_a == static
    assert ipaddress.ip_address(ip_b) in ipaddress.ip_network(subnet) and ip_b != ip_a
    for src, dst in ((a, ip_b), (b, ip_a)):
        r = docker(d, "exec", src, "ping", "-c1", "-W3", dst)
        assert r.returncode == 0, r.stdout + r.stderr
    r = docker(d, "exec", a, "ip", "route", check=True)
    assert f"default via {gw}" in r.stdout
    r = docker(d, "exec", a, "cat", "/etc/resolv.conf", check=True)
    assert f"nameserver {gw}" not in r.stdout  # no embedded DNS on these drivers
    conts = net_inspect(d, net)["Containers"]
    got = {v["Name"]: v["IPv4Address"] for v in conts.values()}
    assert got == {a: f"{ip_a}/24", b: f"{ip_b}/24"}
    r = docker(d, "network", "rm", net)
    assert r.returncode != 0 and "has active endpoints" in r.stderr


def test_macvlan_bridge_mode(daemon: Daemon, parent: str, name: str) -> None:
    net, subnet = "dytest-mv", SUBNETS["mv"]
    r = dockyard(daemon, "network", "create", "-d", "macvlan", "--subnet", subnet,
                 "--gateway", "10.233.11.254", "--ip-range", "10.233.11.128/25",
                 "-o", f"parent={parent}", "-o", "macvlan_mode=bridge", net, check=True)
    net_id = r.stdout.strip()
    assert len(net_id) == 64
    r = dockyard(daemon, "network", "ls", "--filter", "driver=macvlan", "--format",
                 "{{.Name}} {{.Driver}}", check=True)
    assert r.stdout.split("\n")[0] == f"{net} macvlan"
    info = json.loads(dockyard(daemon, "network", "inspect", net, check=True).stdout)[0]
    assert info["Driver"] == "macvlan" and info["Id"] == net_id
    assert info["Options"] == {"parent": parent, "macvlan_mode": "bridge"}
    assert info["IPAM"]["Config"] == [{"Subnet": subnet, "Gateway": "10.233.11.254",
                                       "IPRange": "10.233.11.128/25"}]
    static = "10.233.11.200"
    a, b, ip_a, ip_b = _pair(daemon, net, name, static)
    try:
        _check_pair(daemon, net, a, b, ip_a, ip_b, "10.233.11.254", subnet, static)
        assert ip_b.startswith("10.233.11.1")   # from the ip-range
        mac = ctr_inspect(daemon, a)["NetworkSettings"]["Networks"][net]["MacAddress"]
        r = docker(daemon, "exec", a, "cat", "/sys/class/net/eth0/address", check=True)
        assert r.stdout.strip() == mac
        assert _children(parent) == []   # the children live in the containers only
        # published ports are not an error, but nothing is forwarded
        r = docker(daemon, "run", "--rm", "--network", net, "-p", "18089:80", "busybox",
                   "true")
        assert r.returncode == 0, r.stderr
    finally:
        docker(daemon, "rm", "-f", a, b)
    assert net_inspect(daemon, net)["Containers"] == {}
    dockyard(daemon, "network", "rm", net, check=True)
    assert docker(daemon, "network", "inspect", net).returncode != 0
    assert _children(parent) == []


def test_ipvlan_l2(daemon: Daemon, parent: str, name: str) -> None:
    net, subnet = "dytest-iv", SUBNETS["iv"]
    r = docker(daemon, "network", "create", "-d", "ipvlan", "--subnet", subnet,
               "-o", f"parent={parent}", "-o", "ipvlan_mode=l2", net)
    if r.returncode != 0 and "not supported by this host's kernel" in r.stderr:
        assert "CONFIG_IPVLAN" in r.stderr
        assert docker(daemon, "network", "inspect", net).returncode != 0
        pytest.skip(f"no ipvlan in this kernel; refused clearly: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    info = net_inspect(daemon, net)
    assert info["Driver"] == "ipvlan" and info["Options"]["ipvlan_mode"] == "l2"
    static = "10.233.12.50"
    a, b, ip_a, ip_b = _pair(daemon, net, name, static)
    try:
        _check_pair(daemon, net, a, b, ip_a, ip_b, "10.233.12.1", subnet, static)
    finally:
        docker(daemon, "rm", "-f", a, b)
    docker(daemon, "network", "rm", net, check=True)


def test_bad_parent_and_mode(daemon: Daemon, parent: str) -> None:
    for driver in ("macvlan", "ipvlan"):
        r = docker(daemon, "network", "create", "-d", driver, "--subnet", SUBNETS["ov"],
                   "-o", "parent=dynoparent0", "dytest-ov")
        assert r.returncode != 0
        assert "-o parent interface was not found on the host: dynoparent0" in r.stderr
    r = docker(daemon, "network", "create", "-d", "macvlan", "-o", f"parent={parent}",
               "-o", "macvlan_mode=l2", "dytest-ov")
    assert r.returncode != 0
    assert "requested macvlan mode 'l2' is not valid, 'bridge' mode is the macvlan driver " \
           "default" in r.stderr
    assert docker(daemon, "network", "inspect", "dytest-ov").returncode != 0
    r = docker(daemon, "network", "create", "-d", "overlay", "dytest-ov")
    assert r.returncode != 0 and 'plugin "overlay" not found' in r.stderr


def test_no_parent_makes_dummy_or_says_why(daemon: Daemon) -> None:
    net = "dytest-dm"
    r = docker(daemon, "network", "create", "-d", "macvlan", "--subnet", SUBNETS["dm"], net)
    if r.returncode != 0:
        assert "no -o parent=IFACE given" in r.stderr and "CONFIG_DUMMY" in r.stderr, r.stderr
        assert not any(n.startswith("dm-") for n in _link_names())
        return
    net_id = r.stdout.strip()
    assert f"dm-{net_id[:12]}" in _link_names()
    docker(daemon, "network", "rm", net, check=True)
    assert f"dm-{net_id[:12]}" not in _link_names()


def test_overlap_with_own_networks_refused(daemon: Daemon, parent: str) -> None:
    net = "dytest-ov"
    docker(daemon, "network", "create", "-d", "macvlan", "--subnet", SUBNETS["ov"],
           "-o", f"parent={parent}", net, check=True)
    try:
        for args in (("-d", "macvlan", "-o", f"parent={parent}"), ("-d", "bridge")):
            r = docker(daemon, "network", "create", *args, "--subnet", "10.233.13.128/25",
                       "dytest-ov2")
            assert r.returncode != 0
            assert "Pool overlaps with other one on this address space" in r.stderr
    finally:
        docker(daemon, "network", "rm", net, check=True)
