"""With a FORWARD policy of DROP (as on the project's machines, with br_netfilter), the
engine's own rules keep its networks working. Simulated without touching the host's
policy: a DROP at the end of FORWARD for this daemon's bridges only."""

from __future__ import annotations

import subprocess
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker
from net_helpers import ctr_inspect, instance, leftovers, net_inspect, rules, HTTPD


@pytest.fixture(scope="module", autouse=True)
def drop_policy(daemon: Daemon) -> Iterator[None]:
    before = rules()
    pattern = f"dy{instance(daemon)}-+"
    added = []
    for flag in ("-i", "-o"):
        spec = ["FORWARD", flag, pattern, "-j", "DROP"]
        subprocess.run(["iptables", "-w", "-A", *spec], check=True)
        added.append(spec)
    try:
        yield
    finally:
        for spec in added:
            subprocess.run(["iptables", "-w", "-D", *spec])
    assert leftovers(daemon, [], [], before) == []


def test_intra_network_and_published_ports(daemon: Daemon, name: str) -> None:
    docker(daemon, "network", "create", name, check=True)
    docker(daemon, "network", "create", "--internal", name + "-int", check=True)
    try:
        docker(daemon, "run", "-d", "--name", name + "-web", "--network", name, "-p", "80",
               "busybox", "sh", "-c", HTTPD.format(text="through-drop"), check=True)
        info = ctr_inspect(daemon, name + "-web")
        port = info["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
        gw = net_inspect(daemon, name)["IPAM"]["Config"][0]["Gateway"]
        r = docker(daemon, "run", "--rm", "--network", name, "busybox", "sh", "-c",
                   f"timeout 5 wget -qO- http://{name}-web/; "
                   f"timeout 5 wget -qO- http://{gw}:{port}/; echo rc=$?")
        assert r.stdout.count("through-drop") == 2, r.stdout + r.stderr
        docker(daemon, "run", "-d", "--name", name + "-i", "--network", name + "-int",
               "busybox", "sleep", "30", check=True)
        r = docker(daemon, "run", "--rm", "--network", name + "-int", "busybox", "ping",
                   "-c1", "-W2", name + "-i")
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        docker(daemon, "rm", "-f", name + "-web", name + "-i")
        docker(daemon, "network", "rm", name, name + "-int")
