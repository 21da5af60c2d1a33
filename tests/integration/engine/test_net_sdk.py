"""Networks through the docker SDK for Python (docker-py's networks API as the checklist)."""

from __future__ import annotations

from typing import Iterator

import docker as docker_sdk
import pytest

from engine_helpers import Daemon
from net_helpers import leftovers, rules


@pytest.fixture(scope="module", autouse=True)
def no_leftovers(daemon: Daemon) -> Iterator[None]:
    before = rules()
    yield
    assert leftovers(daemon, ["10.201.50.0/24"], [], before) == []


def test_sdk_network_lifecycle(client, name: str) -> None:
    ipam = docker_sdk.types.IPAMConfig(pool_configs=[
        docker_sdk.types.IPAMPool(subnet="10.201.50.0/24", gateway="10.201.50.1")])
    net = client.networks.create(name, driver="bridge", ipam=ipam, labels={"sdk": "yes"},
                                 check_duplicate=True)
    try:
        assert net.name == name and net.attrs["IPAM"]["Config"][0]["Subnet"] == "10.201.50.0/24"
        assert [n.name for n in client.networks.list(names=[name])] == [name]
        assert name in [n.name for n in client.networks.list(filters={"label": "sdk=yes"})]
        c = client.containers.run("busybox", ["sleep", "60"], detach=True, name=name + "-c")
        try:
            net.connect(c, ipv4_address="10.201.50.9", aliases=["sdkalias"])
            net.reload()
            assert [x.name for x in net.containers] == [name + "-c"]
            c.reload()
            ep = c.attrs["NetworkSettings"]["Networks"][name]
            assert ep["IPAddress"] == "10.201.50.9" and "sdkalias" in ep["Aliases"]
            with pytest.raises(docker_sdk.errors.APIError, match="active endpoints"):
                net.remove()
            net.disconnect(c)
            net.reload()
            assert net.containers == []
        finally:
            c.remove(force=True)
        out = client.containers.run("busybox", ["ip", "-4", "-o", "addr", "show", "eth0"],
                                    network=name, remove=True)
        assert b"10.201.50." in out
    finally:
        net.remove()
    with pytest.raises(docker_sdk.errors.NotFound):
        client.networks.get(name)


def test_sdk_prune(client, name: str) -> None:
    client.networks.create(name, labels={"sdkprune": "1"})
    res = client.networks.prune(filters={"label": "sdkprune=1"})
    assert res["NetworksDeleted"] == [name]
