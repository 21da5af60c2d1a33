"""The default bridge network: an address from the engine's pool, a default route and
outbound NAT, no name resolution (as Docker), --dns/--add-host/--hostname honoured."""

from __future__ import annotations

import ipaddress
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker
from net_helpers import ctr_inspect, http_get, leftovers, net_inspect, rules, HTTPD


@pytest.fixture(scope="module", autouse=True)
def no_leftovers(daemon: Daemon) -> Iterator[None]:
    before = rules()
    yield
    assert leftovers(daemon, [], [], before) == []


def test_default_bridge_network_is_listed(daemon: Daemon) -> None:
    r = docker(daemon, "network", "ls", "--format", "{{.Name}} {{.Driver}}", check=True)
    assert {"bridge bridge", "host host", "none null"} <= set(r.stdout.split("\n"))
    net = net_inspect(daemon, "bridge")
    cfg = net["IPAM"]["Config"][0]
    subnet = ipaddress.ip_network(cfg["Subnet"])
    assert subnet.is_private
    assert ipaddress.ip_address(cfg["Gateway"]) in subnet
    assert net["Options"]["com.docker.network.bridge.default_bridge"] == "true"


def test_address_route_and_no_dns(daemon: Daemon, name: str) -> None:
    net = net_inspect(daemon, "bridge")
    gw = net["IPAM"]["Config"][0]["Gateway"]
    docker(daemon, "run", "-d", "--name", name, "busybox", "sleep", "60", check=True)
    try:
        info = ctr_inspect(daemon, name)
        ns = info["NetworkSettings"]
        ip = ns["IPAddress"]
        assert ipaddress.ip_address(ip) in ipaddress.ip_network(net["IPAM"]["Config"][0]["Subnet"])
        assert ns["Gateway"] == gw
        ep = ns["Networks"]["bridge"]
        assert ep["IPAddress"] == ip and ep["NetworkID"] == net["Id"]
        assert ep["MacAddress"] and len(ep["EndpointID"]) == 64
        assert ns["SandboxKey"]
        r = docker(daemon, "exec", name, "ip", "route", check=True)
        assert f"default via {gw}" in r.stdout
        r = docker(daemon, "exec", name, "cat", "/etc/hosts", "/etc/resolv.conf", check=True)
        assert f"{ip}\t{info['Config']['Hostname']}" in r.stdout
        # no embedded DNS on the default bridge: the host's resolvers, not the gateway
        assert f"nameserver {gw}" not in r.stdout
        # outbound NAT for the pool
        assert any("MASQUERADE" in ln for ln in rules().splitlines()) and \
            net["IPAM"]["Config"][0]["Subnet"] in rules()
        # the network lists the running container
        assert info["Id"] in net_inspect(daemon, "bridge")["Containers"]
        # a second container reaches the first over the bridge
        r = docker(daemon, "run", "--rm", "busybox", "ping", "-c1", "-W2", ip)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        docker(daemon, "rm", "-f", name)


def test_host_reaches_container(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
           HTTPD.format(text="from-bridge"), check=True)
    try:
        ip = ctr_inspect(daemon, name)["NetworkSettings"]["IPAddress"]
        assert http_get(f"http://{ip}/").strip() == "from-bridge"
    finally:
        docker(daemon, "rm", "-f", name)


def test_dns_add_host_hostname(daemon: Daemon, name: str) -> None:
    r = docker(daemon, "run", "--rm", "--name", name, "--dns", "198.51.100.53",
               "--dns-search", "example.test", "--add-host", "db.test:198.51.100.77",
               "--hostname", "myhost", "busybox", "sh", "-c",
               "cat /etc/resolv.conf /etc/hosts; hostname", check=True)
    assert "nameserver 198.51.100.53" in r.stdout
    assert "search example.test" in r.stdout
    assert "198.51.100.77\tdb.test" in r.stdout
    assert r.stdout.strip().endswith("myhost")


def test_stopped_container_releases_address(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sleep", "60", check=True)
    try:
        assert ctr_inspect(daemon, name)["NetworkSettings"]["IPAddress"]
        docker(daemon, "stop", "-t", "0", name, check=True)
        ns = ctr_inspect(daemon, name)["NetworkSettings"]
        assert ns["IPAddress"] == "" and ns["Networks"]["bridge"]["IPAddress"] == ""
        assert ns["Ports"] in ({}, None)
    finally:
        docker(daemon, "rm", "-f", name)


def test_link_and_host_gateway(daemon: Daemon, name: str) -> None:
    gw = net_inspect(daemon, "bridge")["IPAM"]["Config"][0]["Gateway"]
    docker(daemon, "run", "-d", "--name", name, "busybox", "sleep", "60", check=True)
    try:
        ip = ctr_inspect(daemon, name)["NetworkSettings"]["IPAddress"]
        r = docker(daemon, "run", "--rm", "--link", f"{name}:db", "--add-host",
                   "gw.test:host-gateway", "busybox", "sh", "-c",
                   "cat /etc/hosts; ping -c1 -W2 db", check=True)
        assert f"{gw}\tgw.test" in r.stdout
        assert f"{ip}\tdb " in r.stdout
    finally:
        docker(daemon, "rm", "-f", name)
