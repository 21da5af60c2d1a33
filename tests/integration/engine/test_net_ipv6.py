"""IPv6 on user-defined bridge networks (``--ipv6 --subnet <v6>``): dual-stack addresses
handed out in order (or ``--ip6``), Docker's inspect fields, AAAA names through
aardvark-dns, isolation between networks in ip6tables too, Docker's errors, and nothing
left in ip6tables once the networks are gone."""

from __future__ import annotations

import ipaddress
import json
import secrets
import subprocess

from engine_helpers import Daemon, docker
from net_helpers import instance, net_inspect, rules


def _ula() -> str:
    """A /64 of a ULA /48 of the test's own (never the host's fd00::/64)."""
    net = ipaddress.IPv6Network(f"fd7a:{secrets.token_hex(2)}:{secrets.token_hex(2)}::/64")
    return str(net.network_address)  # canonical ("fd7a:d1e:5::"): what inspect shows


def test_dual_stack_network(daemon: Daemon, name: str) -> None:
    a, b = _ula(), _ula()
    net_a, net_b = f"{name}-a", f"{name}-b"
    ctrs = [f"{name}-c1", f"{name}-c2", f"{name}-other"]
    try:
        docker(daemon, "network", "create", "--ipv6", "--subnet", f"{a}/64", net_a, check=True)
        docker(daemon, "network", "create", "--ipv6", "--subnet", f"{b}/64", net_b, check=True)
        info = net_inspect(daemon, net_a)
        assert info["EnableIPv6"] is True
        v6 = [c for c in info["IPAM"]["Config"] if ":" in c["Subnet"]]
        assert v6 == [{"Subnet": f"{a}/64", "Gateway": f"{a}1"}]
        assert any("." in c["Subnet"] for c in info["IPAM"]["Config"])  # dual stack

        docker(daemon, "run", "-d", "--name", ctrs[0], "--network", net_a, "busybox", "sleep", "60",
               check=True)
        docker(daemon, "run", "-d", "--name", ctrs[1], "--network", net_a, "--ip6", f"{a}99",
               "busybox", "sleep", "60", check=True)
        docker(daemon, "run", "-d", "--name", ctrs[2], "--network", net_b, "busybox", "sleep", "60",
               check=True)
        es = json.loads(docker(daemon, "inspect", ctrs[0], check=True).stdout)[0][
            "NetworkSettings"]["Networks"][net_a]
        assert (es["GlobalIPv6Address"], es["GlobalIPv6PrefixLen"], es["IPv6Gateway"]) == \
            (f"{a}2", 64, f"{a}1")
        assert es["IPAddress"]  # and an IPv4 address as well
        members = net_inspect(daemon, net_a)["Containers"]
        assert sorted(m["IPv6Address"] for m in members.values()) == [f"{a}2/64", f"{a}99/64"]
        inside = docker(daemon, "exec", ctrs[1], "ip", "-6", "addr", "show", "eth0", check=True).stdout
        assert f"{a}99/64" in inside
        r = docker(daemon, "exec", ctrs[1], "ping6", "-c1", "-W2", ctrs[0], check=True)
        assert f"{a}2" in r.stdout  # the name resolved to its IPv6 address (AAAA)
        cut = docker(daemon, "exec", ctrs[2], "ping6", "-c1", "-W1", f"{a}2")
        assert cut.returncode != 0  # another network: isolated, in ip6tables too
        assert f"DY-{instance(daemon)}" in rules("ip6tables")
    finally:
        docker(daemon, "rm", "-f", *ctrs)
        docker(daemon, "network", "rm", net_a, net_b)
    left = rules("ip6tables")
    assert a not in left and b not in left
    assert f"DY-{instance(daemon)}" not in left  # no endpoint with IPv6 left: the chains go


def test_ipv6_errors(daemon: Daemon, name: str) -> None:
    r = docker(daemon, "network", "create", "--ipv6", name)
    assert r.returncode != 0 and "non-overlapping IPv6 address pool" in r.stderr
    r = docker(daemon, "network", "create", "--subnet", f"{_ula()}/64", name)
    assert r.returncode != 0 and "needs --ipv6" in r.stderr
    sub = _ula()
    docker(daemon, "network", "create", "--ipv6", "--subnet", f"{sub}/64", name, check=True)
    try:
        r = docker(daemon, "network", "create", "--ipv6", "--subnet", f"{sub}/80", name + "2")
        assert r.returncode != 0 and "Pool overlaps" in r.stderr
        host = subprocess.run(["ip", "-6", "-j", "route"], capture_output=True, text=True).stdout
        routes = [x["dst"] for x in json.loads(host or "[]")
                  if ":" in x.get("dst", "") and not x["dst"].startswith(("fe80", "ff", "default"))
                  and "/" in x["dst"]]
        if routes:  # the host's own IPv6 prefix is taken too
            r = docker(daemon, "network", "create", "--ipv6", "--subnet", routes[0], name + "3")
            assert r.returncode != 0 and "Pool overlaps" in r.stderr
    finally:
        docker(daemon, "network", "rm", name)
