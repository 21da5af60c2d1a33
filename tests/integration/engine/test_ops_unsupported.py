"""Endpoints of features dockyard does not offer answer as a Docker without them: swarm is
"not a swarm manager" (503), plugins are an empty list, nothing Docker has is a bare 404."""

from __future__ import annotations

import json
import re
import socket

import docker as docker_sdk
import pytest

from dockyard.api.handlers.unsupported import (ENGINE_ROUTES, NOT_A_MANAGER, _PLUGIN_BY_NAME,
                                               _SWARM)
from engine_helpers import Daemon, _unix_request, docker


@pytest.mark.parametrize("args", [["node", "ls"], ["service", "ls"], ["secret", "ls"],
                                  ["config", "ls"], ["swarm", "unlock-key"],
                                  ["node", "inspect", "self"]])
def test_swarm_commands_print_dockers_message(daemon: Daemon, args: list[str]) -> None:
    r = docker(daemon, *args, timeout=30)
    assert r.returncode == 1
    assert f"Error response from daemon: {NOT_A_MANAGER}" in r.stderr, r.stderr


def test_swarm_leave_and_info(daemon: Daemon, client: docker_sdk.DockerClient) -> None:
    r = docker(daemon, "swarm", "leave", timeout=30)
    assert r.returncode == 1 and "This node is not part of a swarm" in r.stderr
    assert client.info()["Swarm"]["LocalNodeState"] == "inactive"
    with pytest.raises(docker_sdk.errors.APIError) as exc:
        client.nodes.list()
    assert exc.value.status_code == 503 and exc.value.explanation == NOT_A_MANAGER
    with pytest.raises(docker_sdk.errors.APIError) as exc:
        client.services.list()
    assert exc.value.status_code == 503


def test_plugins_are_an_empty_list(daemon: Daemon, client: docker_sdk.DockerClient) -> None:
    assert client.plugins.list() == []
    out = docker(daemon, "plugin", "ls", check=True).stdout.splitlines()
    assert out[0].split() == ["ID", "NAME", "DESCRIPTION", "ENABLED"] and len(out) == 1
    r = docker(daemon, "plugin", "inspect", "vieux/sshfs:latest")
    assert r.returncode != 0 and 'plugin "vieux/sshfs:latest" not found' in r.stderr
    with pytest.raises(docker_sdk.errors.NotFound):
        client.plugins.get("nope")


def test_distribution_is_a_clear_error(daemon: Daemon) -> None:
    # busybox means Docker Hub, which this daemon does not reach unless asked: a clear error
    status, body = _unix_request(daemon.sock, "GET", "/v1.41/distribution/busybox/json")
    assert status in (401, 403, 404, 500, 501, 503), (status, body)
    message = json.loads(body)["message"]
    assert "page not found" not in message and message


def _sample(pattern: str) -> str:
    return re.sub(r"\{[^{}]*\}", "nonexistent-xyz", pattern)


def test_no_docker_endpoint_is_a_bare_404(daemon: Daemon) -> None:
    routes = [r for r in ENGINE_ROUTES + _SWARM + _PLUGIN_BY_NAME
              if not r[1].endswith("/prune") and r[1] != "/swarm/init"]
    routes += [("GET", "/plugins"), ("GET", "/plugins/privileges"),
               ("GET", "/distribution/{name:.*}/json"), ("POST", "/swarm/leave")]
    bare = []
    for method, pattern in routes:
        try:
            status, body = _unix_request(daemon.sock, method, _sample(pattern), timeout=5)
        except (socket.timeout, TimeoutError):
            continue   # a real handler waiting for more: the route exists
        if status == 404 and b"page not found" in body:
            bare.append(f"{method} {pattern}")
    assert bare == []
    # ... while a path Docker does not have is still moby's 404
    status, body = _unix_request(daemon.sock, "GET", "/no/such/endpoint")
    assert status == 404 and b"page not found" in body
