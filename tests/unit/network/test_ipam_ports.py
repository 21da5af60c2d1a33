"""Unit tests for the pure parts of networking: IPAM picks, port specs, filters."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv4Network

import pytest

from dockyard.errors import Forbidden, InvalidArgument, SystemError as DySystemError
from dockyard.network import ipam, ports
from dockyard.network.catalog import Catalog, _ipam_config
from dockyard.network.model import docker_mac, new_network


def test_pick_skips_taken_pools() -> None:
    assert ipam.pick_subnet([]) == IPv4Network("172.17.0.0/16")
    taken = [IPv4Network("172.17.0.0/16"), IPv4Network("172.18.5.0/24")]
    assert ipam.pick_subnet(taken) == IPv4Network("172.19.0.0/16")
    everything_172 = [IPv4Network("172.16.0.0/12")]
    assert ipam.pick_subnet(everything_172) == IPv4Network("192.168.0.0/20")


def test_overlap_is_docker_text() -> None:
    with pytest.raises(Forbidden, match="Pool overlaps with other one on this address space"):
        ipam.check_overlap(IPv4Network("10.1.2.0/24"), [IPv4Network("10.1.0.0/16")])
    ipam.check_overlap(IPv4Network("10.2.0.0/24"), [IPv4Network("10.1.0.0/16")])


def test_free_address_skips_gateway_and_used() -> None:
    net = IPv4Network("10.0.0.0/29")
    gw = IPv4Address("10.0.0.1")
    assert ipam.free_address(net, gw, None, set()) == IPv4Address("10.0.0.2")
    used = {IPv4Address("10.0.0.2"), IPv4Address("10.0.0.3")}
    assert ipam.free_address(net, gw, None, used) == IPv4Address("10.0.0.4")
    assert ipam.free_address(net, gw, IPv4Network("10.0.0.4/30"), used) == IPv4Address(
        "10.0.0.5")


def test_ipam_config_validation() -> None:
    subnet, gw, rng = _ipam_config({"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.254",
                                    "IPRange": "10.9.0.128/25"}, [])
    assert (str(subnet), str(gw), str(rng)) == ("10.9.0.0/24", "10.9.0.254", "10.9.0.128/25")
    with pytest.raises(InvalidArgument, match="no matching subnet for gateway"):
        _ipam_config({"Subnet": "10.9.0.0/24", "Gateway": "10.8.0.1"}, [])
    with pytest.raises(InvalidArgument, match="no matching subnet for range"):
        _ipam_config({"Subnet": "10.9.0.0/24", "IPRange": "10.9.1.0/25"}, [])


def test_claims_ignore_stale(tmp_path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    a = ipam.Claims("aaaaaa", str(live), directory=str(tmp_path / "claims"))
    b = ipam.Claims("bbbbbb", str(tmp_path / "gone"), directory=str(tmp_path / "claims"))
    with a.locked():
        a.write(["10.5.0.0/16"])
    b.write(["10.6.0.0/16"])
    assert a.others() == []                      # b's exec root does not exist: stale
    c = ipam.Claims("cccccc", str(live), directory=str(tmp_path / "claims"))
    assert c.others() == [IPv4Network("10.5.0.0/16")]


def test_parse_bindings() -> None:
    hc = {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"},
                                      {"HostIp": "127.0.0.1", "HostPort": "8081"}],
                           "53/udp": [{"HostIp": "0.0.0.0", "HostPort": ""}],
                           "90/tcp": [{"HostIp": "", "HostPort": "9000-9005"}],
                           "91/tcp": [{"HostIp": "::", "HostPort": "91"}]},
          "PublishAllPorts": True}
    b = ports.parse_bindings(hc, {"80/tcp": {}, "443/tcp": {}})
    got = {(x.key, x.host_ip, x.host_port, x.host_port_end) for x in b}
    assert got == {("80/tcp", "", 8080, 0), ("80/tcp", "127.0.0.1", 8081, 0),
                   ("53/udp", "", 0, 0), ("90/tcp", "", 9000, 9005), ("443/tcp", "", 0, 0)}
    with pytest.raises(InvalidArgument):
        ports.parse_bindings({"PortBindings": {"80/tcp": [{"HostPort": "x"}]}}, None)
    with pytest.raises(InvalidArgument):
        ports.parse_bindings({"PortBindings": {"80/xyz": [{}]}}, None)


def test_reserve_random_and_taken() -> None:
    res = ports.reserve([ports.Binding(80, "tcp", "127.0.0.1", 0)])
    try:
        (b,) = res.bound
        assert b.host_port > 0
        assert res.settings({"80/tcp": {}, "81/tcp": {}}) == {
            "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(b.host_port)}], "81/tcp": None}
        with pytest.raises(DySystemError,
                           match=f"Bind for 127.0.0.1:{b.host_port} failed: port is already "
                                 f"allocated"):
            ports.reserve([ports.Binding(80, "tcp", "127.0.0.1", b.host_port)])
    finally:
        res.close()
    s = socket.socket()
    s.bind(("127.0.0.1", b.host_port))   # released
    s.close()


def test_range_takes_first_free() -> None:
    hold = socket.socket()
    hold.bind(("127.0.0.1", 0))
    p = hold.getsockname()[1]
    try:
        res = ports.reserve([ports.Binding(80, "tcp", "127.0.0.1", p, p + 1)])
        assert res.bound[0].host_port == p + 1
        res.close()
    except DySystemError:
        pass  # p+1 happened to be taken by someone else
    finally:
        hold.close()


def test_filters() -> None:
    rec = new_network("web-net", "bridge", subnet="10.3.0.0/24", labels={"a": "1"},
                      bridge="x")
    assert Catalog.match(rec, {"name": ["web"]}, set())
    assert not Catalog.match(rec, {"name": ["^net"]}, set())
    assert Catalog.match(rec, {"label": ["a=1"], "type": ["custom"]}, set())
    assert not Catalog.match(rec, {"label": ["a=2"]}, set())
    assert not Catalog.match(rec, {"label!": ["a"]}, set())
    assert Catalog.match(rec, {"dangling": ["true"]}, set())
    assert not Catalog.match(rec, {"dangling": ["true"]}, {rec["Id"]})
    assert Catalog.match(rec, {"id": [rec["Id"][:5]], "driver": ["bridge"]}, set())


def test_docker_mac() -> None:
    assert docker_mac("172.17.0.2") == "02:42:ac:11:00:02"


@pytest.fixture
def catalog(tmp_path):
    from dockyard.network.store import NetworkStore
    from dockyard.store.metadata import Metadata
    meta = Metadata(tmp_path / "db.sqlite")
    root = tmp_path / "run"
    root.mkdir()
    cat = Catalog(NetworkStore(meta), ipam.Claims("u1test", str(root),
                                                  directory=str(tmp_path / "claims")), "u1test")
    cat.load(set())
    yield cat
    meta.close()


def test_catalog_builtins_and_create(catalog) -> None:
    from dockyard.errors import Conflict, NotFound
    assert {r["Name"] for r in catalog.nets.values()} == {"bridge", "host", "none"}
    bridge = catalog.get("bridge")
    assert bridge["_dy"]["bridge"] == "dyu1test-0"
    rec = catalog.create({"Name": "n1", "IPAM": {"Config": [{"Subnet": "10.77.0.0/24"}]},
                          "Options": {"com.docker.network.bridge.name": "brn1",
                                      "com.docker.network.driver.mtu": "1300"}})
    assert rec["IPAM"]["Config"][0] == {"Subnet": "10.77.0.0/24", "Gateway": "10.77.0.1"}
    assert rec["_dy"]["bridge"] == "brn1" and rec["_dy"]["mtu"] == 1300
    assert catalog.get(rec["Id"][:8]) is rec and catalog.get("n1") is rec
    with pytest.raises(Conflict, match="network with name n1 already exists"):
        catalog.create({"Name": "n1"})
    with pytest.raises(Forbidden, match="Pool overlaps"):
        catalog.create({"Name": "n2", "IPAM": {"Config": [{"Subnet": "10.77.0.128/25"}]}})
    with pytest.raises(Forbidden, match="Pool overlaps"):
        catalog.create({"Name": "n2", "IPAM": {"Config": [{"Subnet": bridge["IPAM"]["Config"][
            0]["Subnet"]}]}})
    with pytest.raises(NotFound, match='plugin "overlay" not found'):
        catalog.create({"Name": "n3", "Driver": "overlay"})
    with pytest.raises(Forbidden, match='only one instance of "host"'):
        catalog.create({"Name": "n3", "Driver": "host"})
    with pytest.raises(InvalidArgument, match="invalid MTU"):
        catalog.create({"Name": "n3", "Options": {"com.docker.network.driver.mtu": "x"}})
    auto = catalog.create({"Name": "n4"})
    assert not IPv4Network(auto["IPAM"]["Config"][0]["Subnet"]).overlaps(
        IPv4Network(bridge["IPAM"]["Config"][0]["Subnet"]))
    with pytest.raises(NotFound, match="network nope not found"):
        catalog.get("nope")
