"""``network create|ls|inspect|rm|prune|connect|disconnect``: docker's flags, output and errors.

Networking is being finished by another engineer: a route the daemon does not serve yet
(404/501) makes its test xfail with that reason rather than fail.
"""

from __future__ import annotations

import json

import pytest

from engine_helpers import Daemon, docker, dockyard


def _need(r, what: str) -> None:
    if r.returncode != 0 and ("page not found" in r.stderr or "not implemented" in r.stderr.lower()
                              or "not supported" in r.stderr.lower()):
        pytest.xfail(f"{what} not served by the daemon yet: {r.stderr.strip()}")


@pytest.fixture
def net(daemon: Daemon, name: str):
    r = dockyard(daemon, "network", "create", "--subnet", "10.231.0.0/24", "--gateway", "10.231.0.1",
                 "--ip-range", "10.231.0.128/25", "--label", "tier=test", "-o", "com.docker.network.bridge.name=dy"
                 + name[-8:].replace("-", ""), name)
    _need(r, "network create")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip()) == 64
    try:
        yield name
    finally:
        dockyard(daemon, "network", "rm", name)


def test_ls_and_inspect_match_docker(daemon: Daemon, net: str) -> None:
    for args in ((), ("--no-trunc",), ("-q",), ("--format", "json"), ("--filter", f"name={net}"),
                 ("--format", "{{.Name}} {{.Driver}} {{.Labels}}"), ("-f", "label=tier=test", "-q")):
        ours, ref = dockyard(daemon, "network", "ls", *args, check=True), docker(daemon, "network", "ls", *args,
                                                                                 check=True)
        assert ours.stdout == ref.stdout, args
    ours, ref = dockyard(daemon, "network", "inspect", net, check=True), docker(daemon, "network", "inspect", net,
                                                                               check=True)
    assert ours.stdout == ref.stdout
    info = json.loads(ours.stdout)[0]
    assert info["IPAM"]["Config"][0]["Subnet"] == "10.231.0.0/24"
    assert info["IPAM"]["Config"][0]["IPRange"] == "10.231.0.128/25"
    assert info["Labels"] == {"tier": "test"}
    assert dockyard(daemon, "network", "inspect", "-f", "{{.Name}}", net, check=True).stdout == f"{net}\n"


def test_create_errors_match_docker(daemon: Daemon, net: str) -> None:
    for args in ((net,), ("--gateway", "10.9.9.1", "x-net"), ("--subnet", "10.232.0.0/24", "--gateway", "10.9.9.1",
                                                                "x-net")):
        ours, ref = dockyard(daemon, "network", "create", *args), docker(daemon, "network", "create", *args)
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr), args


def test_connect_disconnect(daemon: Daemon, net: str, name: str) -> None:
    ctr = name + "-c"
    dockyard(daemon, "run", "-d", "--name", ctr, "busybox", "sleep", "300", check=True)
    try:
        r = dockyard(daemon, "network", "connect", "--alias", "web", "--ip", "10.231.0.200", net, ctr)
        _need(r, "network connect")
        assert r.returncode == 0 and r.stdout == "", r.stderr
        info = json.loads(dockyard(daemon, "inspect", ctr, check=True).stdout)[0]
        ep = info["NetworkSettings"]["Networks"][net]
        assert ep["IPAddress"] == "10.231.0.200" and "web" in (ep.get("Aliases") or [])
        ours, ref = dockyard(daemon, "network", "connect", net, ctr), docker(daemon, "network", "connect", net, ctr)
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr)
        r = dockyard(daemon, "network", "disconnect", net, ctr)
        assert r.returncode == 0, r.stderr
        info = json.loads(dockyard(daemon, "inspect", ctr, check=True).stdout)[0]
        assert net not in info["NetworkSettings"]["Networks"]
    finally:
        dockyard(daemon, "rm", "-f", ctr)


def test_rm_prune_and_errors(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "network", "create", name)
    _need(r, "network create")
    assert dockyard(daemon, "network", "rm", name, check=True).stdout == f"{name}\n"
    for args in (("rm", "no-such-net"), ("inspect", "no-such-net"), ("rm", "-f", "no-such-net"),
                 ("disconnect", "no-such-net", "x")):
        ours, ref = dockyard(daemon, "network", *args), docker(daemon, "network", *args)
        assert (ours.returncode, ours.stdout, ours.stderr) == (ref.returncode, ref.stdout, ref.stderr), args
    dockyard(daemon, "network", "create", name + "-unused", check=True)
    declined = dockyard(daemon, "network", "prune", input="n\n")
    assert declined.stdout.startswith("WARNING! This will remove all custom networks not used by at least one")
    r = dockyard(daemon, "network", "prune", "-f", check=True)
    assert f"Deleted Networks:\n{name}-unused\n" in r.stdout
    assert "bridge" in dockyard(daemon, "network", "ls", "--format", "{{.Name}}", check=True).stdout.split()
