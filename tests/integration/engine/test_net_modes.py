"""Network modes without a bridge: host (the host's interfaces) and none (only lo)."""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker
from net_helpers import rules, ctr_inspect, leftovers


@pytest.fixture(scope="module", autouse=True)
def no_leftovers(daemon: Daemon) -> Iterator[None]:
    before = rules()
    yield
    assert leftovers(daemon, [], [], before) == []


def test_none_has_only_loopback(daemon: Daemon, name: str) -> None:
    r = docker(daemon, "run", "--rm", "--network", "none", "busybox", "sh", "-c",
               "ls /sys/class/net; ip -4 -o addr", check=True)
    assert r.stdout.split("\n")[0].split() == ["lo"]
    assert "127.0.0.1" in r.stdout


def test_none_inspect(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "30",
           check=True)
    try:
        ns = ctr_inspect(daemon, name)["NetworkSettings"]
        assert list(ns["Networks"]) == ["none"]
        assert ns["IPAddress"] == ""
    finally:
        docker(daemon, "rm", "-f", name)


def test_host_sees_host_interfaces(daemon: Daemon, name: str) -> None:
    r = docker(daemon, "run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net",
               check=True)
    assert sorted(r.stdout.split()) == sorted(os.listdir("/sys/class/net"))
    r = docker(daemon, "run", "--rm", "--network", "host", "-p", "9:80", "busybox", "true")
    assert r.returncode == 0


def test_host_network_cannot_be_connected(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "--network", "host", "busybox", "sleep", "30",
           check=True)
    try:
        r = docker(daemon, "network", "connect", "bridge", name)
        assert r.returncode != 0 and "host network" in r.stderr
    finally:
        docker(daemon, "rm", "-f", name)
