"""Published ports: -p [ip:]host:container[/proto], ranges, -P, NetworkSettings.Ports and
``docker port``; reachable from the host (loopback and the bridge's address) and from
other containers; a taken host port is a clear error at start."""

from __future__ import annotations

import json
import socket
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker
from net_helpers import rules, ctr_inspect, http_get, leftovers, net_inspect, HTTPD


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module", autouse=True)
def no_leftovers(daemon: Daemon) -> Iterator[None]:
    before = rules()
    yield
    assert leftovers(daemon, [], [], before) == []


def test_publish_reachable_from_host_and_containers(daemon: Daemon, name: str) -> None:
    p1, p2 = _free_port(), _free_port()
    docker(daemon, "run", "-d", "--name", name, "-p", f"{p1}:80", "-p",
           f"127.0.0.1:{p2}:80/tcp", "busybox", "sh", "-c", HTTPD.format(text="published"),
           check=True)
    try:
        ports = ctr_inspect(daemon, name)["NetworkSettings"]["Ports"]
        assert ports["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": str(p1)},
                                   {"HostIp": "127.0.0.1", "HostPort": str(p2)}]
        r = docker(daemon, "port", name, check=True)
        assert f"80/tcp -> 0.0.0.0:{p1}" in r.stdout
        assert f"80/tcp -> 127.0.0.1:{p2}" in r.stdout
        assert http_get(f"http://127.0.0.1:{p1}/").strip() == "published"
        assert http_get(f"http://127.0.0.1:{p2}/").strip() == "published"
        gw = net_inspect(daemon, "bridge")["IPAM"]["Config"][0]["Gateway"]
        assert http_get(f"http://{gw}:{p1}/").strip() == "published"
        # another container reaches it through the host's address of the bridge
        r = docker(daemon, "run", "--rm", "busybox", "sh", "-c",
                   f"timeout 5 wget -qO- http://{gw}:{p1}/; echo rc=$?")
        assert "published" in r.stdout, r.stdout + r.stderr
        r = docker(daemon, "ps", "--filter", f"name={name}", "--format", "{{.Ports}}",
                   check=True)
        assert f"0.0.0.0:{p1}->80/tcp" in r.stdout
    finally:
        docker(daemon, "rm", "-f", name)
    # the rules went with the container: the port is free again
    s = socket.socket()
    s.bind(("0.0.0.0", p1))
    s.close()


def test_taken_port_is_an_error(daemon: Daemon, name: str) -> None:
    holder = socket.socket()
    holder.bind(("0.0.0.0", 0))
    port = holder.getsockname()[1]
    try:
        r = docker(daemon, "run", "-d", "--name", name, "-p", f"{port}:80", "busybox",
                   "sleep", "30")
        assert r.returncode != 0
        assert f"Bind for 0.0.0.0:{port} failed: port is already allocated" in r.stderr
        assert ctr_inspect(daemon, name)["State"]["Running"] is False
    finally:
        holder.close()
        docker(daemon, "rm", "-f", name)


def test_port_taken_by_another_container(daemon: Daemon, name: str) -> None:
    port = _free_port()
    docker(daemon, "run", "-d", "--name", name, "-p", f"{port}:80", "busybox", "sleep", "30",
           check=True)
    try:
        r = docker(daemon, "run", "-d", "--name", name + "-2", "-p", f"{port}:80", "busybox",
                   "sleep", "30")
        assert "port is already allocated" in r.stderr
    finally:
        docker(daemon, "rm", "-f", name, name + "-2")


def test_publish_all_and_ranges(daemon: Daemon, name: str) -> None:
    base = _free_port()
    while base > 65000:
        base = _free_port()
    docker(daemon, "run", "-d", "--name", name, "--expose", "80", "--expose", "53/udp", "-P",
           "-p", f"{base}-{base + 1}:90-91", "busybox", "sleep", "30", check=True)
    try:
        ports = ctr_inspect(daemon, name)["NetworkSettings"]["Ports"]
        assert ports["90/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": str(base)}]
        assert ports["91/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": str(base + 1)}]
        for key in ("80/tcp", "53/udp"):
            (b,) = ports[key]
            assert b["HostIp"] == "0.0.0.0" and int(b["HostPort"]) > 1024
        r = docker(daemon, "port", name, "80", check=True)
        assert r.stdout.strip() == f"0.0.0.0:{ports['80/tcp'][0]['HostPort']}"
    finally:
        docker(daemon, "rm", "-f", name)


def test_publish_on_user_network(daemon: Daemon, name: str) -> None:
    docker(daemon, "network", "create", name, check=True)
    port = _free_port()
    try:
        docker(daemon, "run", "-d", "--name", name + "-web", "--network", name, "-p",
               f"{port}:80", "busybox", "sh", "-c", HTTPD.format(text="usernet"), check=True)
        assert http_get(f"http://127.0.0.1:{port}/").strip() == "usernet"
        info = json.loads(docker(daemon, "inspect", name + "-web", check=True).stdout)[0]
        assert info["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"] == str(port)
    finally:
        docker(daemon, "rm", "-f", name + "-web")
        docker(daemon, "network", "rm", name)
